#!/usr/bin/env python3
"""Measure exposure-audit on the labelled real-school corpus (issue 19).

    bash bench/real_corpus/rebuild.sh                   # the sites, from git mirrors
    python3 bench/real_corpus/evaluate.py               # every site, tune and heldout
    python3 bench/real_corpus/evaluate.py --split heldout
    python3 bench/real_corpus/evaluate.py --sites heath woodley --bin target/release/exposure-audit

For each site of bench/real_corpus/sources.toml it serves
bench/out/real-corpus/<site>/ on 127.0.0.1 (a random port; .php pages that
only include .html fragments are served with the includes expanded, as the
school's server did; folders without an index are 404 unless --listings),
writes a temporary config (fresh database), runs `BIN audit` and
`BIN report --format json`, and compares the report with
bench/real_corpus/labels/<site>.json:

  discovery  labelled pictures that occur in some exposure
  names      person_name details against the names labelled beside each
             picture: recall per (picture, person), precision per
             (exposure, person); "lenient" precision also accepts names
             written in the same block for another picture (also_nearby);
             role accuracy where the label says staff or pupil. A reported
             name is the labelled person's when it has the same words, fewer
             ("Kate" for "Kate Morwenna"), or more ending in the same
             surname; one that adds a surname the label lacks ("Lizzie
             Early" for "Lizzie") is a wrong name (names_person; until
             session 16 it counted as right)
  faces      per-face recall, sum of min(found, labelled) / sum of labelled
             (found = the exposure's image.faces), with and without the
             approximate crowd counts; per-picture precision: pictures with
             faces reported that have labelled faces (sure or hard ones) /
             pictures with faces reported; per-picture recall
  copies     labelled families split over several exposures, exposures
             holding more than one labelled family, hard-negative pairs
             merged
  risk       exposures ranked by score with the labels beside them; the
             order agreement: of the pairs of exposures whose label classes
             issue 19 orders (a named child over an adult's named portrait
             and over unnamed faces, unnamed faces over an adult's named
             portrait, anything with a face or a name over the rest), the
             share the score orders so (ties count half);
             --ranking-md FILE writes the ranking as a Markdown table

Each figure is printed for tune and heldout separately and per site, with
its counts, then each tune site's lists of misses and false finds and its
risk ranking. A held-out site's lists and ranking are printed only with
--heldout-lists (reading them makes it a tune site); --json and
--ranking-md write everything. Standard library only; Python 3.11+.
"""
import argparse
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import unicodedata
from collections import defaultdict
from urllib.parse import unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "bench", "out", "real-corpus")
LABELS = os.path.join(HERE, "labels")
TITLES = {"mr", "mrs", "miss", "ms", "mx", "dr", "sir", "prof", "professor", "rev", "revd", "dame", "lady", "lord", "master"}
INCLUDE_RE = re.compile(r"<\?php\s+include\s*\(?\s*['\"]([^'\"]+)['\"]\s*\)?\s*;?\s*\?>")
PHP_RE = re.compile(r"<\?php.*?\?>", re.S)


# --------------------------------------------------------------------------- serving

class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one site folder. Directory listings only when asked."""
    php_includes = False
    php_extensionless = False
    listings = False
    hosts = ()  # the school's own domains, rewritten to this server in texts

    TEXT_SUFFIXES = (".html", ".htm", ".css", ".json", ".xml", ".txt", ".rss", ".atom", ".svg")

    def rewrite(self, text):
        """The school's absolute links to its own domains, as links to this
        server: on the real site they are on-site."""
        here = f"http://127.0.0.1:{self.server.server_address[1]}"
        for h in self.hosts:
            # The host whole (not "school.com.au"), in any case, plain or
            # JSON-escaped, with or without a scheme.
            for slashes, to in (("//", here), ("\\/\\/", here.replace("/", "\\/"))):
                pat = re.compile(r"(?:https?:)?" + re.escape(slashes + h) + r"(?![\w.-])", re.I)
                text = pat.sub(lambda _m, to=to: to, text)
        return text

    def text_like(self, path):
        low = path.lower()
        return low.endswith(self.TEXT_SUFFIXES) or "wp-json" in low or re.search(r"\.html?@[^/]*$", low) is not None

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            for index in ("index.html", "index.htm", "index.php"):
                if os.path.isfile(os.path.join(path, index)):
                    if not self.path.split("?", 1)[0].endswith("/"):
                        self.send_response(301)
                        self.send_header("Location", self.path.split("?", 1)[0] + "/")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    path = os.path.join(path, index)
                    break
            else:
                if not self.listings:
                    self.send_error(404, "Not Found")
                    return None
                return super().send_head()
        if self.php_extensionless and not os.path.exists(path) and os.path.isfile(path + ".php"):
            path += ".php"  # the school's .htaccess: RewriteRule ^(.*)$ $1.php when $1.php exists
        if path.lower().endswith(".php") and os.path.isfile(path):
            if not self.php_includes:
                self.send_error(404, "Not Found")
                return None
            body = self.rewrite(self.expand(path)).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Bytes(body)
        if self.hosts and os.path.isfile(path) and self.text_like(path):
            with open(path, "rb") as f:
                raw = f.read()
            body = self.rewrite(raw.decode("utf-8", errors="surrogateescape")).encode("utf-8", errors="surrogateescape")
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Bytes(body)
        return super().send_head()

    def expand(self, path, depth=0):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        root = os.path.abspath(self.directory)

        def repl(m):
            inc = os.path.abspath(os.path.join(os.path.dirname(path), m.group(1)))
            if depth < 5 and inc.startswith(root + os.sep) and os.path.isfile(inc):
                return self.expand(inc, depth + 1)
            return ""

        return PHP_RE.sub("", INCLUDE_RE.sub(repl, text))

    def guess_type(self, path):
        if path.lower().endswith((".htm", ".html")) or re.search(r"\.html?@[^/]*$", path, re.I):
            return "text/html"
        return super().guess_type(path)


class _Bytes:
    def __init__(self, b):
        self.b = b

    def read(self, *_):
        b, self.b = self.b, b""
        return b

    def close(self):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # The audit stops the transfer of what it does not read (videos,
        # documents past their bound): a closed connection is expected.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(site_dir, php_includes, listings, php_extensionless=False, hosts=()):
    handler = type("H", (SiteHandler,), {"php_includes": php_includes, "listings": listings,
                                         "php_extensionless": php_extensionless, "hosts": tuple(hosts)})
    httpd = _Server(("127.0.0.1", 0), functools.partial(handler, directory=site_dir))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------- running the audit

def run_audit(binary, site, port, workdir, timeout):
    db = os.path.join(workdir, "audit.db")
    cfg = os.path.join(workdir, "exposure-audit.toml")
    start = f"http://127.0.0.1:{port}{site.get('start_path', '/')}"
    with open(cfg, "w") as f:
        f.write(f"""# written by bench/real_corpus/evaluate.py for site {site['name']}
[storage]
database = {json.dumps(db)}

[crawl]
user_agent = "exposure-audit-real-corpus/1 (+bench/real_corpus/evaluate.py)"
max_pages = 5000
concurrency = 4
per_host_delay_ms = 0
robots = "evaluate"

[[sources]]
kind = "website"
name = "{site['name']}"
start_urls = [{json.dumps(start)}]
""")
    t0 = time.monotonic()
    audit = subprocess.run([binary, "audit", "--config", cfg], capture_output=True, text=True, timeout=timeout)
    secs = time.monotonic() - t0
    if audit.returncode not in (0, 3):
        raise RuntimeError(f"{site['name']}: audit exited {audit.returncode}: {audit.stderr.strip()[-2000:]}")
    out = os.path.join(workdir, "report.json")
    rep = subprocess.run([binary, "report", "--config", cfg, "--format", "json", "--output", out],
                         capture_output=True, text=True, timeout=600)
    if rep.returncode != 0:
        raise RuntimeError(f"{site['name']}: report exited {rep.returncode}: {rep.stderr.strip()[-2000:]}")
    with open(out) as f:
        report = json.load(f)
    return report, secs, audit.returncode, audit.stdout.strip().splitlines()[-1:] if audit.stdout.strip() else []


# --------------------------------------------------------------------------- names

def fold(s):
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


def name_tokens(text):
    """'Mrs Kate Morwenna' -> ('kate', 'morwenna'); initials and titles
    dropped, 'Romero - Garcia' -> 'romero-garcia', underscores are spaces."""
    t = fold(text).lower().replace("_", " ").replace("’", "'")
    t = re.sub(r"\s*-\s*", "-", t)
    t = re.sub(r"'s\b", "", t)
    toks = [w.strip(".,;:()[]\"") for w in t.split()]
    toks = [w for w in toks if w and w not in TITLES]
    full = [w for w in toks if len(w.rstrip(".")) > 1]
    return tuple(full or toks)


def same_person(a, b):
    """Two names (token tuples) that may be one person, either way round:
    equal as sets, or one holds the other's words and they share the last
    word (the surname, or the only name). For telling labels apart from
    each other and reported names from each other."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return False
    if sa == sb:
        return True
    return (sa <= sb or sb <= sa) and (a[-1] in sb or b[-1] in sa)


def names_person(label, reported):
    """Whether a reported name names the labelled person: the same words;
    fewer of them ("Kate" or "Mrs Morwenna" for "Kate Morwenna"); or more,
    ending in the same surname (a middle name). Not a name that adds a
    surname the label does not have: "Lizzie Early" (from "Lizzie Early
    Years Practitioner") or "Lizzie Staff" is a wrong name for "Lizzie"."""
    sl, sr = set(label), set(reported)
    if not sl or not sr:
        return False
    if sl == sr or sr < sl:
        return True
    return sl < sr and label[-1] == reported[-1]


# --------------------------------------------------------------------------- comparing

def rel_path(url, port):
    u = urlsplit(url)
    if u.hostname != "127.0.0.1" or (u.port or 80) != port:
        return None
    return unquote(u.path).lstrip("/")


def page_rel(url, port, site_dir):
    """A page address -> the file that answered it, relative to the site
    root ('governors' and 'governors/' -> 'governors/index.html'; 'staff' ->
    'staff.php' where the site's server added .php)."""
    p = rel_path(url, port) if url else None
    if p is None:
        return None
    for c in (p, p.rstrip("/") + "/index.html", p.rstrip("/") + "/index.htm", p.rstrip("/") + "/index.php", p + ".php"):
        c = c.lstrip("/")
        if c and os.path.isfile(os.path.join(site_dir, c)):
            return c
    return p


def compare(site, labels, report, port):
    pics = {p["path"]: p for p in labels["pictures"]}
    site_dir = os.path.join(CORPUS, site["name"])
    # picture path -> exposures (indices); exposure -> labelled pictures
    pic_exp = defaultdict(set)
    exp_pics = defaultdict(set)
    for i, e in enumerate(report.get("exposures", [])):
        for o in e.get("occurrences", []):
            if o.get("found_via") == "document":
                continue
            p = rel_path(o.get("image_url", ""), port)
            if p is None:
                continue
            if p not in pics and p.endswith("/"):
                continue
            pic_exp[p].add(i)
            if p in pics:
                exp_pics[i].add(p)
    ex = report.get("exposures", [])
    res = {"site": site["name"], "split": site["split"], "labelled": len(pics),
           "found": sum(1 for p in pics if pic_exp.get(p)), "exposures": len(ex),
           "not_found": sorted(p for p in pics if not pic_exp.get(p))}

    # faces
    f_lab = f_min = f_lab_sure = f_min_sure = 0
    rep_pics = rep_true = 0
    pics_with = pics_with_found = 0
    extra_faces = 0
    missed, false_pics = [], []
    for p, lab in pics.items():
        if not pic_exp.get(p):
            continue
        found = max((ex[i].get("image", {}).get("faces") or 0) for i in pic_exp[p])
        n, hard = lab["faces"], lab.get("faces_hard", 0)
        f_lab += n
        f_min += min(found, n)
        if not lab.get("faces_approx"):
            f_lab_sure += n
            f_min_sure += min(found, n)
        if n > 0:
            pics_with += 1
            pics_with_found += found > 0
            if found == 0:
                missed.append(p)
        if found > 0:
            rep_pics += 1
            if n + hard > 0:
                rep_true += 1
            else:
                false_pics.append(p)
        extra_faces += max(0, found - n - hard)
    res["faces"] = dict(labelled=f_lab, found_min=f_min, labelled_exact=f_lab_sure, found_min_exact=f_min_sure,
                        pictures_reported=rep_pics, pictures_reported_true=rep_true, pictures_with_faces=pics_with,
                        pictures_with_faces_found=pics_with_found, faces_beyond_labels=extra_faces,
                        missed=sorted(missed), false=sorted(false_pics))

    # names
    def keys(items):
        return [name_tokens(n["text"]) for n in items]
    rec_tot = rec_hit = 0
    role_tot = role_ok = role_missing = 0
    name_missed = []
    for p, lab in pics.items():
        if not pic_exp.get(p):
            continue
        lk = []
        for n in lab.get("names", []):
            k = name_tokens(n["text"])
            if not any(same_person(k, x[0]) for x in lk):
                lk.append((k, n))
        dets = [d for i in pic_exp[p] for d in ex[i].get("details", []) if d.get("kind") == "person_name"]
        for k, n in lk:
            rec_tot += 1
            hits = [d for d in dets if names_person(k, name_tokens(d.get("text", "")))]
            if hits:
                rec_hit += 1
                if n.get("role") in ("staff", "pupil"):
                    role_tot += 1
                    roles = {d.get("role") for d in hits}
                    if n["role"] in roles:
                        role_ok += 1
                    elif roles <= {None}:
                        role_missing += 1
            else:
                name_missed.append(f"{p}: {n['text']}")
    prec_tot = prec_ok = prec_len = 0
    false_names = []
    for i, lp in exp_pics.items():
        own = [name_tokens(n["text"]) for p in lp for n in pics[p].get("names", [])]
        near = [name_tokens(n["text"]) for p in lp for n in pics[p].get("also_nearby", [])]
        read = set()
        for p in lp:
            read |= set(pics[p].get("names_read_on", pics[p]["pages"]))
        seen = []
        for d in ex[i].get("details", []):
            if d.get("kind") != "person_name":
                continue
            pg = page_rel(d.get("page_url"), port, site_dir)
            if pg is not None and pg not in read:
                continue  # a page whose text was not labelled for this picture
            k = name_tokens(d.get("text", ""))
            if any(same_person(k, s) for s in seen):
                continue
            seen.append(k)
            prec_tot += 1
            if any(names_person(o, k) for o in own):
                prec_ok += 1
                prec_len += 1
            elif any(names_person(o, k) for o in near):
                prec_len += 1
            else:
                false_names.append(f"{sorted(lp)[0]}: {d.get('text')!r} ({d.get('where')})")
    res["names"] = dict(labelled=rec_tot, found=rec_hit, reported=prec_tot, correct=prec_ok, correct_lenient=prec_len,
                        role_labelled=role_tot, role_correct=role_ok, role_missing=role_missing,
                        missed=name_missed, false=false_names)

    # copies
    fam = defaultdict(set)
    for p, lab in pics.items():
        fam[lab["family"]].add(p)
    multi = {f: ps for f, ps in fam.items() if len(ps) > 1}
    split = []
    considered = 0
    for f, ps in multi.items():
        found = [p for p in ps if pic_exp.get(p)]
        if len(found) < 2:
            continue
        considered += 1
        exps = set().union(*(pic_exp[p] for p in found))
        if len(exps) > 1:
            split.append(f"{f}: {len(found)} copies in {len(exps)} exposures")
    merged = []
    for i, lp in exp_pics.items():
        fs = {pics[p]["family"] for p in lp}
        if len(fs) > 1:
            merged.append(sorted(fs))
    neg_tot = neg_merged = 0
    neg_list = []
    for a, b in labels.get("different_pairs", []):
        if pic_exp.get(a) and pic_exp.get(b):
            neg_tot += 1
            if pic_exp[a] & pic_exp[b]:
                neg_merged += 1
                neg_list.append(f"{a} + {b}")
    res["copies"] = dict(families=considered, split=len(split), split_list=split, merged_exposures=len(merged),
                         merged_list=merged, negatives=neg_tot, negatives_merged=neg_merged, negatives_list=neg_list)

    # risk ranking
    rows = []
    for i, lp in exp_pics.items():
        e = ex[i]
        labs = [pics[p] for p in lp]
        faces = max(l["faces"] for l in labs)
        roles = sorted({n.get("role", "unknown") for l in labs for n in l.get("names", [])})
        nnames = len({name_tokens(n["text"]) for l in labs for n in l.get("names", [])})
        kinds = sorted({l.get("kind", "photo") for l in labs})
        rows.append(dict(site=site["name"], score=e.get("score"), risk=e.get("risk"), reasons=e.get("reasons", []),
                         faces=faces, faces_found=(e.get("image") or {}).get("faces"), names=nnames, roles=roles,
                         kind=",".join(kinds), picture=sorted(lp)[0], copies=len(lp),
                         via=sorted({o.get("found_via") for o in e.get("occurrences", [])})))
    res["risk"] = rows
    return res


# --------------------------------------------------------------------------- printing

def ratio(a, b):
    return f"{a / b:.2f}" if b else "  - "


def ratio_f(x):
    return f"{x:.2f}" if x is not None else "  - "


def harm_class(r):
    pupil = "pupil" in r["roles"]
    named = r["names"] > 0
    if r["faces"] and pupil:
        return "1 face + pupil named"
    if r["faces"] and named and set(r["roles"]) <= {"staff"}:
        return "3 face + adult named"
    if r["faces"] and named:
        return "7 face + named, role unknown"
    if r["faces"] >= 2:
        return "2 faces (group), unnamed"
    if r["faces"]:
        return "4 one face, unnamed"
    if named:
        return "5 no face, named"
    return "6 no face, no name"


# The order issue 19 asks for, between the label classes: children over
# adults (faces with no name, on a school's site most likely children's,
# over an adult's named portrait, published on purpose and usually with
# consent), named over unnamed, and anything personal over a picture with no
# face and no name. Classes not in a pair here are not compared (a named
# picture with no face against faces, for one).
DPO_ORDER = [
    ("1 face + pupil named", "3 face + adult named"),
    ("1 face + pupil named", "2 faces (group), unnamed"),
    ("1 face + pupil named", "4 one face, unnamed"),
    ("2 faces (group), unnamed", "3 face + adult named"),
    ("4 one face, unnamed", "3 face + adult named"),
] + [(k, "6 no face, no name") for k in ("1 face + pupil named", "2 faces (group), unnamed", "3 face + adult named",
                                         "4 one face, unnamed", "5 no face, named", "7 face + named, role unknown")]


def order_agreement(rows):
    """Of the pairs of exposures whose label classes DPO_ORDER orders, the
    share the score puts in that order (a tie counts half): 1.0 is the
    DPO's ranking, 0.5 a coin toss. Also the number of pairs."""
    by = defaultdict(list)
    for r in rows:
        by[harm_class(r)].append(r["score"] or 0)
    good = total = 0.0
    for hi, lo in DPO_ORDER:
        for x in by[hi]:
            for y in by[lo]:
                total += 1
                good += 1.0 if x > y else 0.5 if x == y else 0.0
    return (good / total if total else None), int(total)


def ranking_markdown(results, limit=30):
    """The exposures holding labelled pictures, ranked by score, described by
    their labels (no picture names: they hold people's names)."""
    rows = sorted((r for res in results for r in res["risk"]), key=lambda x: (-(x["score"] or 0), x["site"], x["picture"]))
    lines = ["| rank | site | score | band | what the labels say | faces found | kind | reasons |", "|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows[:limit], 1):
        lines.append(f"| {i} | {r['site']} | {r['score']} | {r['risk']} | {harm_class(r)[2:]}"
                     f"{' (' + str(r['faces']) + ' faces)' if r['faces'] > 1 else ''} | {r['faces_found']} | {r['kind']} | "
                     f"{', '.join(r['reasons'])} |")
    return "\n".join(lines) + "\n"


def summarise(title, results, out, list_sites=True):
    def s(path):
        tot = defaultdict(int)
        for r in results:
            d = r
            for k in path[:-1]:
                d = d[k]
            tot[0] += d[path[-1]]
        return tot[0]
    p = lambda *a: print(*a, file=out)
    p(f"\n=== {title}" + (f": {', '.join(r['site'] for r in results)}" if list_sites else "") + " ===")
    lab, found = sum(r["labelled"] for r in results), sum(r["found"] for r in results)
    p(f"discovery   labelled pictures in the report: {found}/{lab} ({ratio(found, lab)})")
    n = {k: sum(r["names"][k] for r in results) for k in ("labelled", "found", "reported", "correct", "correct_lenient",
                                                          "role_labelled", "role_correct", "role_missing")}
    p(f"names       recall {ratio(n['found'], n['labelled'])} ({n['found']}/{n['labelled']} picture-person pairs)   "
      f"precision {ratio(n['correct'], n['reported'])} ({n['correct']}/{n['reported']})   "
      f"lenient {ratio(n['correct_lenient'], n['reported'])} ({n['correct_lenient']}/{n['reported']})")
    p(f"            role correct {ratio(n['role_correct'], n['role_labelled'])} ({n['role_correct']}/{n['role_labelled']} found names "
      f"labelled staff/pupil; {n['role_missing']} without a role)")
    f = {k: sum(r["faces"][k] for r in results) for k in results[0]["faces"] if isinstance(results[0]["faces"][k], int)}
    p(f"faces       per-face recall {ratio(f['found_min'], f['labelled'])} ({f['found_min']}/{f['labelled']}); "
      f"without crowd estimates {ratio(f['found_min_exact'], f['labelled_exact'])} ({f['found_min_exact']}/{f['labelled_exact']})")
    p(f"            per-picture precision {ratio(f['pictures_reported_true'], f['pictures_reported'])} "
      f"({f['pictures_reported_true']}/{f['pictures_reported']})   per-picture recall "
      f"{ratio(f['pictures_with_faces_found'], f['pictures_with_faces'])} ({f['pictures_with_faces_found']}/{f['pictures_with_faces']}); "
      f"faces beyond the labels (sure + hard): {f['faces_beyond_labels']}")
    c = {k: sum(r["copies"][k] for r in results) for k in ("families", "split", "merged_exposures", "negatives", "negatives_merged")}
    p(f"copies      families split {c['split']}/{c['families']}   exposures merging labelled families {c['merged_exposures']}   "
      f"hard-negative pairs merged {c['negatives_merged']}/{c['negatives']}")
    rows = [r for res in results for r in res["risk"]]
    by = defaultdict(list)
    for r in rows:
        by[harm_class(r)].append(r["score"] or 0)
    agree, pairs = order_agreement(rows)
    p(f"risk        order agreement {ratio_f(agree)} ({pairs} pairs of exposures whose label classes issue 19 orders)")
    p("            mean score by what the labels say (exposures holding labelled pictures):")
    for k in sorted(by):
        v = by[k]
        p(f"              {k[2:]:<28} n={len(v):<4} mean {statistics.mean(v):5.1f}  min {min(v):3d}  max {max(v):3d}")


def details(results, out, limit, heldout_lists=False):
    p = lambda *a: print(*a, file=out)
    for r in results:
        p(f"\n--- {r['site']} ({r['split']}): {r['found']}/{r['labelled']} labelled pictures found, {r['exposures']} exposures"
          f" (audit {r['secs']:.0f} s, exit {r['exit']})")
        if r["split"] == "heldout" and not heldout_lists:
            # A held-out site stays blind: what it misses is not shown
            # unless asked for (--heldout-lists), and then it is no
            # longer held out (docs/real-corpus.md).
            p("  (held out: its lists and ranking are not printed; --heldout-lists shows them)")
            continue
        for k, lst in (("labelled pictures in no exposure", r.get("not_found", [])),
                       ("faces missed (labelled, none found)", r["faces"]["missed"]), ("faces reported on a picture without any", r["faces"]["false"]),
                       ("names missed", r["names"]["missed"]), ("names reported and not labelled", r["names"]["false"]),
                       ("families split", r["copies"]["split_list"]), ("exposures merging labelled families", r["copies"]["merged_list"]),
                       ("hard negatives merged", r["copies"]["negatives_list"])):
            if lst:
                p(f"  {k} ({len(lst)}):")
                for x in lst[:limit]:
                    p(f"    {x}")
                if len(lst) > limit:
                    p(f"    ... {len(lst) - limit} more")
        rows = sorted(r["risk"], key=lambda x: (-(x["score"] or 0), x["picture"]))
        p(f"  risk ranking (exposures with labelled pictures; top {min(limit, len(rows))} of {len(rows)}):")
        p("    score risk    faces(lab/found) names roles        kind       via                       picture")
        for x in rows[:limit]:
            p(f"    {x['score']!s:>5} {x['risk']!s:<7} {x['faces']:>4}/{x['faces_found']!s:<5}    {x['names']:>3}  {','.join(x['roles']) or '-':<12} "
              f"{x['kind'][:10]:<10} {','.join(v for v in x['via'] if v)[:25]:<25} {x['picture']}"
              + (f" (+{x['copies'] - 1} copies)" if x["copies"] > 1 else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["all", "tune", "heldout"], default="all")
    ap.add_argument("--sites", nargs="*", help="only these sites")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "exposure-audit"))
    ap.add_argument("--listings", action="store_true", help="serve directory listings for folders without an index")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed for one audit")
    ap.add_argument("--limit", type=int, default=25, help="lines per list in the per-site details")
    ap.add_argument("--json", help="also write the full comparison as JSON here")
    ap.add_argument("--keep", help="keep each site's config, database and report under this folder")
    ap.add_argument("--output", help="also write the printed figures to this file")
    ap.add_argument("--heldout-lists", action="store_true",
                    help="also print the held-out sites' lists of misses and false finds and their ranking "
                         "(reading them makes a site a tune site)")
    ap.add_argument("--ranking-md", help="also write the exposures ranked by score, described by their labels, as a Markdown table here")
    args = ap.parse_args()
    with open(os.path.join(HERE, "sources.toml"), "rb") as f:
        sites = tomllib.load(f)["sites"]
    if args.sites:
        unknown = set(args.sites) - {s["name"] for s in sites}
        if unknown:
            sys.exit(f"evaluate.py: no such site: {', '.join(sorted(unknown))}")
        sites = [s for s in sites if s["name"] in args.sites]
    if args.split != "all":
        sites = [s for s in sites if s["split"] == args.split]
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"evaluate.py: {args.bin} is not an executable (build it with cargo build --release, or give --bin)")
    for s in sites:
        if not os.path.isdir(os.path.join(CORPUS, s["name"])):
            sys.exit(f"evaluate.py: {CORPUS}/{s['name']} missing: run bash bench/real_corpus/rebuild.sh")
        if not os.path.isfile(os.path.join(LABELS, s["name"] + ".json")):
            sys.exit(f"evaluate.py: no labels for {s['name']} in {LABELS}")
    st = os.stat(args.bin)
    results = []
    for s in sites:
        with open(os.path.join(LABELS, s["name"] + ".json")) as f:
            labels = json.load(f)
        work = tempfile.mkdtemp(prefix=f"real-corpus-{s['name']}-")
        try:
            with serve(os.path.join(CORPUS, s["name"]), bool(s.get("php_includes")), args.listings,
                       bool(s.get("php_extensionless")), s.get("hosts", ())) as port:
                report, secs, code, _ = run_audit(args.bin, s, port, work, args.timeout)
                r = compare(s, labels, report, port)
            r["secs"], r["exit"] = secs, code
            results.append(r)
            print(f"{s['name']}: audited in {secs:.0f} s (exit {code}), {r['found']}/{r['labelled']} labelled pictures found", file=sys.stderr)
            if args.keep:
                dst = os.path.join(args.keep, s["name"])
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(work, dst)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    outs = [sys.stdout]
    fh = None
    if args.ranking_md:
        with open(args.ranking_md, "w") as f:
            f.write(ranking_markdown(results))
    if args.output:
        fh = open(args.output, "w")
        outs.append(fh)
    for out in outs:
        print(f"exposure-audit real corpus, {time.strftime('%Y-%m-%d %H:%M')}; binary {args.bin} "
              f"({st.st_size} bytes, modified {time.strftime('%Y-%m-%d %H:%M', time.localtime(st.st_mtime))})", file=out)
        for split in ("tune", "heldout"):
            rs = [r for r in results if r["split"] == split]
            if rs:
                summarise(split, rs, out)
        print("\n=== per site ===", file=out)
        for r in results:
            summarise(f"{r['site']} ({r['split']})", [r], out, list_sites=False)
        details(results, out, args.limit, args.heldout_lists)
    if fh:
        fh.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
