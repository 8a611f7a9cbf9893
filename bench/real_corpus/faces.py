#!/usr/bin/env python3
"""Face detectors on the real-school corpus (issue 19, point 2): writes a
folder of the labelled pictures (symbolic links into the rebuilt corpus)
with the `labels.csv` that `examples/faces_eval` reads, for one split.

    bash bench/real_corpus/rebuild.sh
    python3 bench/real_corpus/faces.py heldout     # writes bench/out/real-faces/heldout/
    cargo run --release --example faces_eval -- bench/out/real-faces/heldout

faces_eval runs the detector the audit uses (SeetaFace through rustface)
and OpenCV's LBP frontal cascade on the same grey pictures, at the size the
audit detects at, and prints precision and recall per picture and per face
(faces found, at most the labelled count, over the labelled count). A
picture's label is its count of sure faces (`faces`); pictures whose count
is an estimate (`faces_approx`, crowds) are left out, and so are pictures
with only hard faces (profiles, turned away: `faces` 0 and `faces_hard` > 0),
which neither counts for nor against a detector. Standard library only.
"""
import json
import os
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "bench", "out", "real-corpus")
PICTURE = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp")


def main():
    split = sys.argv[1] if len(sys.argv) > 1 else "heldout"
    with open(os.path.join(HERE, "sources.toml"), "rb") as f:
        sites = [s for s in tomllib.load(f)["sites"] if split == "all" or s["split"] == split]
    if not sites:
        sys.exit(f"faces.py: no sites in split {split!r} (tune, heldout or all)")
    out = os.path.join(ROOT, "bench", "out", "real-faces", split)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    rows, skipped = [], 0
    for s in sites:
        with open(os.path.join(HERE, "labels", s["name"] + ".json")) as f:
            labels = json.load(f)
        for p in labels["pictures"]:
            src = os.path.join(CORPUS, s["name"], p["path"])
            if not p["path"].lower().endswith(PICTURE) or not os.path.isfile(src):
                skipped += 1
                continue
            if p.get("faces_approx") or (p["faces"] == 0 and p.get("faces_hard", 0) > 0):
                skipped += 1
                continue
            name = f"{s['name']}__{p['path'].replace('/', '__')}"
            os.symlink(src, os.path.join(out, name))
            rows.append(f"{name},{p['faces']}")
    with open(os.path.join(out, "labels.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    faces = sum(int(r.rsplit(",", 1)[1]) for r in rows)
    print(f"{out}: {len(rows)} pictures, {faces} faces ({skipped} left out: crowds, only hard faces, not decodable here)")


if __name__ == "__main__":
    main()
