#!/usr/bin/env python3
"""The documents of the real-school corpus (issue 20): every PDF, Word,
PowerPoint and OpenDocument file of each site, with the pictures inside.

    python3 bench/real_corpus/documents.py            # writes bench/out/real-corpus/pdfimages.txt
    python3 bench/real_corpus/documents.py --totals   # also prints the totals table (Markdown)

PDFs are read with poppler's `pdfinfo` (pages) and `pdfimages -list`
(pictures, by encoding; soft masks and stencil masks are counted apart,
they are transparency, not pictures); Office and OpenDocument files are zip
archives whose media folder is counted by file type. A document counts as
linked when some page of the site has an href to it. Needs poppler-utils
(Debian: apt-get install -y poppler-utils). Standard library otherwise.
"""
import argparse
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections import Counter, defaultdict
from urllib.parse import unquote, urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "bench", "out", "real-corpus")
DOC_RE = re.compile(r"\.(pdf|docx?|pptx?|odt|odp|xlsx?)$", re.I)
HREF_RE = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


def linked_documents(site_dir):
    linked = set()
    for d, _, files in os.walk(site_dir):
        for f in files:
            if not f.lower().endswith((".html", ".htm", ".php")):
                continue
            rel = os.path.relpath(os.path.join(d, f), site_dir).replace(os.sep, "/")
            with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            base = urljoin("http://site.invalid/", rel)
            for h in HREF_RE.findall(text):
                u = urlsplit(urljoin(base, h.strip()))
                if u.netloc == "site.invalid" and DOC_RE.search(u.path):
                    linked.add(unquote(u.path).lstrip("/"))
    return linked


def pdf_facts(path):
    pages = None
    try:
        info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, timeout=60, errors="replace")
        m = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
        pages = int(m.group(1)) if m else None
    except subprocess.TimeoutExpired:
        pass
    enc, masks, err = Counter(), 0, None
    big = 0
    try:
        out = subprocess.run(["pdfimages", "-list", path], capture_output=True, text=True, timeout=120, errors="replace")
        if out.returncode != 0:
            err = (out.stderr.strip().splitlines() or ["pdfimages failed"])[-1][:80]
        for line in out.stdout.splitlines()[2:]:
            cols = line.split()
            if len(cols) < 9:
                continue
            kind, width, height, e = cols[2], cols[3], cols[4], cols[8]
            if kind in ("smask", "stencil", "mask"):
                masks += 1
                continue
            enc[e] += 1
            if width.isdigit() and height.isdigit() and int(width) >= 200 and int(height) >= 200:
                big += 1
    except subprocess.TimeoutExpired:
        err = "pdfimages timed out"
    return pages, enc, masks, big, err


def office_facts(path):
    enc = Counter()
    try:
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if re.match(r"(word|ppt|xl)/media/|Pictures/", n):
                    enc[os.path.splitext(n)[1].lower().lstrip(".") or "?"] += 1
    except zipfile.BadZipFile:
        return enc, "not a zip (old binary format or damaged)"
    return enc, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default=os.path.join(CORPUS, "pdfimages.txt"))
    ap.add_argument("--totals", action="store_true", help="print the per-site totals as a Markdown table")
    args = ap.parse_args()
    for tool in ("pdfinfo", "pdfimages"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit(f"documents.py: {tool} missing (apt-get install -y poppler-utils)")
    with open(os.path.join(HERE, "sources.toml"), "rb") as f:
        sites = tomllib.load(f)["sites"]
    lines = ["site\tfile\tlinked\tbytes\tpages\tpictures\tpictures>=200px\tby encoding\tmasks\tnote"]
    totals = {}
    for s in sites:
        site_dir = os.path.join(CORPUS, s["name"])
        if not os.path.isdir(site_dir):
            sys.exit(f"documents.py: {site_dir} missing: run bash bench/real_corpus/rebuild.sh")
        linked = linked_documents(site_dir)
        t = defaultdict(int)
        t_enc = Counter()
        docs = []
        for d, _, files in os.walk(site_dir):
            for f in files:
                if DOC_RE.search(f):
                    docs.append(os.path.relpath(os.path.join(d, f), site_dir).replace(os.sep, "/"))
        for rel in sorted(docs):
            path = os.path.join(site_dir, rel)
            ext = os.path.splitext(rel)[1].lower().lstrip(".")
            size = os.path.getsize(path)
            is_linked = rel in linked
            t[f"{ext} files"] += 1
            t[f"{ext} linked"] += is_linked
            if ext == "pdf":
                pages, enc, masks, big, err = pdf_facts(path)
                t["pdf pages"] += pages or 0
                t["pdf pictures"] += sum(enc.values())
                t["pdf pictures >=200px"] += big
                t["pdfs with pictures"] += bool(enc)
                t_enc.update(enc)
                lines.append("\t".join([s["name"], rel, "yes" if is_linked else "no", str(size), str(pages if pages is not None else "?"),
                                        str(sum(enc.values())), str(big), " ".join(f"{k}:{v}" for k, v in enc.most_common()) or "-",
                                        str(masks), err or ""]))
            else:
                enc, err = office_facts(path)
                t["office pictures"] += sum(enc.values())
                t_enc.update({f"office-{k}": v for k, v in enc.items()})
                lines.append("\t".join([s["name"], rel, "yes" if is_linked else "no", str(size), "-", str(sum(enc.values())), "-",
                                        " ".join(f"{k}:{v}" for k, v in enc.most_common()) or "-", "-", err or ""]))
        totals[s["name"]] = (t, t_enc)
    lines.append("")
    lines.append("# totals per site")
    for name, (t, enc) in totals.items():
        lines.append(f"{name}\t" + "  ".join(f"{k}={v}" for k, v in sorted(t.items())) + "\tencodings: " +
                     " ".join(f"{k}:{v}" for k, v in enc.most_common()))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    ndocs = sum(v for t, _ in totals.values() for k, v in t.items() if k.endswith(" files"))
    print(f"wrote {args.output}: {ndocs} documents", file=sys.stderr)
    if args.totals:
        print("| site | PDFs (linked) | PDF pages | PDFs with pictures | pictures in PDFs (>= 200 px) | Word/PowerPoint/other (linked) | pictures in Office files | encodings |")
        print("|---|---|---|---|---|---|---|---|")
        for name, (t, enc) in totals.items():
            office = sum(v for k, v in t.items() if k.endswith(" files") and not k.startswith("pdf"))
            office_l = sum(v for k, v in t.items() if k.endswith(" linked") and not k.startswith("pdf"))
            print(f"| {name} | {t['pdf files']} ({t['pdf linked']}) | {t['pdf pages']} | {t['pdfs with pictures']} | "
                  f"{t['pdf pictures']} ({t['pdf pictures >=200px']}) | {office} ({office_l}) | {t['office pictures']} | "
                  + ", ".join(f"{k} {v}" for k, v in enc.most_common(6)) + " |")


if __name__ == "__main__":
    main()
