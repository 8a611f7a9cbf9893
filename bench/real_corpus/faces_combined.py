#!/usr/bin/env python3
"""SeetaFace and UltraFace together, measured on a labelled faces folder.

Both detectors' per-picture counts come from their own tools' dumps:

    DUMP=bench/out/seeta_tune.csv target/release/examples/faces_eval bench/out/real-faces/tune
    DUMP=bench/out/cnn_tune.csv bench/out/faces_cnn_target/release/faces_cnn \
        bench/out/real-faces/tune version-RFB-640.onnx
    python3 bench/real_corpus/faces_combined.py bench/out/seeta_tune.csv bench/out/cnn_tune.csv

The rule (chosen on the tune sites, docs/faces.md):
  - a picture has faces when SeetaFace finds one and UltraFace finds one at
    0.5 (each vetoes the other's lone false alarms), or when UltraFace finds
    two or more at 0.7 (small faces of a group that SeetaFace misses);
  - its count is the larger of SeetaFace's and UltraFace's at 0.7.
Prints per-picture precision and recall and per-face recall by count, for
each detector alone and for the rule.
"""
import sys

THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9]


def load(seeta_path, cnn_path):
    seeta = {}
    for line in open(seeta_path):
        f, truth, found = line.strip().split(",")
        seeta[f] = int(found)
    rows = []
    for line in open(cnn_path):
        p = line.strip().split(",")
        rows.append((p[0], int(p[1]), seeta.get(p[0], 0), dict(zip(THRESHOLDS, map(int, p[2:])))))
    return rows


def combined(s, c):
    if s > 0 and c[0.5] > 0:
        return max(s, c[0.7])
    if c[0.7] >= 2:
        return c[0.7]
    return 0


def tally(rows, found_of):
    tp = fp = fn = tn = faces = found_faces = 0
    for _f, truth, s, c in rows:
        found = found_of(s, c)
        if truth and found:
            tp += 1
        elif found:
            fp += 1
        elif truth:
            fn += 1
        else:
            tn += 1
        faces += truth
        found_faces += min(found, truth)
    return (f"per-picture precision {tp / max(tp + fp, 1):.3f} ({tp}/{tp + fp})  recall {tp / max(tp + fn, 1):.3f}  "
            f"per face {found_faces}/{faces} = {found_faces / max(faces, 1):.3f}")


def main():
    rows = load(sys.argv[1], sys.argv[2])
    print(f"{len(rows)} pictures")
    print(f"  SeetaFace alone        {tally(rows, lambda s, c: s)}")
    print(f"  UltraFace at 0.7 alone {tally(rows, lambda s, c: c[0.7])}")
    print(f"  together (the rule)    {tally(rows, combined)}")


if __name__ == "__main__":
    main()
