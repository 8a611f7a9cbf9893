#!/usr/bin/env python3
"""exposure-audit against poppler on the documents of the real-school corpus
(issue 20): pictures found, names beside them, and speed.

    bash bench/real_corpus/rebuild.sh                  # the sites, once
    python3 bench/documents_compare.py                 # every site of sources.toml
    python3 bench/documents_compare.py --sites heath park --bin target/release/exposure-audit
    python3 bench/documents_compare.py --runs 1 --no-throughput --list 50

Needs Python 3.11+ (standard library only), poppler-utils (pdfimages,
pdftotext), and optionally taskset and /usr/bin/time (GNU time -v).

1. Pictures. For each site, every PDF, Word, PowerPoint and OpenDocument
   file under bench/out/real-corpus/<site>/ is linked from a generated index
   page served on 127.0.0.1 (a random port; only the index and the documents
   are served, everything else is 404, so the audit reads exactly these
   files), and `BIN audit` runs with a temporary config (fresh database,
   [documents] at its defaults), then `BIN report --format json`. Ours, per
   document, is the number of occurrences with found_via "document" whose
   page_url is the document. The peer is `pdfimages -list` on the same file:
   rows of type `image` (smask, stencil and mask rows are transparency, not
   pictures), those whose width and height are both >= MIN_PICTURE_SIDE
   (48, src/extract/document.rs: the audit leaves smaller ones out as
   decoration), and of those the distinct ones (one per object id, as the
   audit records a picture object drawn on several pages once; an inline
   image counts each time). For Office files the peer is the package's
   media entries (sizes read from PNG/JPEG/GIF/BMP headers, distinct by
   sha256; every entry counts, also a slide master's background or a Word
   header's logo). Word 97 / Excel / old PowerPoint files are counted but not read
   by either side. pdfimages also lists the pictures drawn inside soft-mask
   groups (an ExtGState /SMask whose /G form draws a grey picture: the
   feathered edges and shadows InDesign makes), which are transparency,
   not pictures; a rough scan of each PDF's objects finds them (only when
   sure) and the table shows the count both with and without them.
   Documents where ours < the distinct >= 48 count are listed with the
   likely reason: soft-mask pictures, content-identical objects (the audit
   keeps one copy per sha256 in a document; found by extracting with
   `pdfimages -all` and hashing), inline images and JBIG2/CCITT/JPX
   encodings, and what the report's `unseen` list says went wrong.
2. Names. For PDFs, `pdftotext -layout` gives each page's text; on pages
   where pdfimages lists a picture >= 48 px (not only in a soft mask),
   person-like names are found by a HEURISTIC (runs of two or three
   capitalised words, or a title and a surname, with a stop list of common
   capitalised words: it both misses names and takes non-names; a stricter
   subset keeps those with a title or a first word in Moby's first names,
   a list the audit also uses). Each is looked for among the report's
   person_name details (where caption, nearby_text or document_text) of the
   pictures we report on that document page.
3. Throughput. One audit of all the PDFs of the chosen sites (one index
   page), run with `taskset -c 0` (one core), against `pdfimages -j` on the
   same PDFs into a temporary folder, one process per PDF, also under
   `taskset -c 0`. Best of --runs (3) for each; wall and CPU (user+system)
   seconds, documents per second, peak RSS (GNU time's maximum resident set
   size when /usr/bin/time exists, else the children's ru_maxrss). Our audit
   does more than extract: it fetches over HTTP, hashes (sha256, perceptual
   hashes), looks for faces, text details and metadata, and writes SQLite.
   The load average at the time is printed: another build on the machine
   makes wall times noisy (CPU seconds less so).
"""
import argparse
import contextlib
import functools
import hashlib
import html
import http.server
import json
import os
import re
import resource
import shutil
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import zipfile
import zlib
from collections import Counter, defaultdict
from urllib.parse import quote, unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
CORPUS = os.path.join(ROOT, "bench", "out", "real-corpus")
SOURCES = os.path.join(HERE, "real_corpus", "sources.toml")
DOC_RE = re.compile(r"\.(pdf|docx?|pptx?|odt|odp|xlsx?|rtf)$", re.I)
READ_EXT = {"pdf", "docx", "pptx", "odt", "odp"}
OFFICE_EXT = {"docx", "pptx", "odt", "odp"}
MEDIA_RE = re.compile(r"^(word|ppt|xl)/media/|^Pictures/|^media/")
NAME_WHERE = {"caption", "nearby_text", "document_text"}


def min_picture_side():
    try:
        with open(os.path.join(ROOT, "src", "extract", "document.rs")) as f:
            m = re.search(r"MIN_PICTURE_SIDE:\s*u32\s*=\s*(\d+)", f.read())
            if m:
                return int(m.group(1))
    except OSError:
        pass
    return 48


MIN_SIDE = min_picture_side()


# --------------------------------------------------------------------------- the peer: poppler and zip

def pdfimages_list(path):
    """Rows of `pdfimages -list`: dicts with page, num, type, w, h, enc, obj (None when inline)."""
    out = subprocess.run(["pdfimages", "-list", path], capture_output=True, text=True, errors="replace", timeout=300)
    rows = []
    for line in out.stdout.splitlines()[2:]:
        c = line.split()
        if len(c) < 11 or not c[0].isdigit():
            continue
        obj = None if c[10] == "[inline]" else (c[10], c[11] if len(c) > 11 else "0")
        rows.append(dict(page=int(c[0]), num=int(c[1]), type=c[2], w=int(c[3]) if c[3].isdigit() else 0,
                         h=int(c[4]) if c[4].isdigit() else 0, enc=c[8], obj=obj))
    err = None
    if out.returncode != 0:
        err = (out.stderr.strip().splitlines() or ["pdfimages failed"])[-1][:100]
    return rows, err


def big(r):
    return r["w"] >= MIN_SIDE and r["h"] >= MIN_SIDE


def pdf_peer(path):
    rows, err = pdfimages_list(path)
    imgs = [r for r in rows if r["type"] == "image"]
    bigs = [r for r in imgs if big(r)]
    distinct, seen, masked = 0, set(), 0
    in_masks = soft_mask_images(path) if bigs else set()
    for r in bigs:
        if r["obj"] is None:
            distinct += 1
        elif r["obj"] not in seen:
            seen.add(r["obj"])
            distinct += 1
            masked += int(r["obj"][0]) in in_masks
    return dict(all=len(imgs), big=len(bigs), distinct=distinct, masked=masked, mask_objs=in_masks, rows=rows, error=err)


OBJ_RE = re.compile(rb"(?<![0-9])(\d+)\s+(\d+)\s+obj\b(.*?)\bendobj", re.S)
REF_RE = re.compile(rb"(?<![0-9])(\d+)\s+\d+\s+R\b")


def soft_mask_images(path):
    """Object numbers of picture XObjects drawn only inside soft-mask groups
    (an ExtGState /SMask << /S /Luminosity /G form >>: InDesign's feathered
    edges and drop shadows). pdfimages lists them as images; they are
    transparency, and the audit does not read them. Found by a rough scan
    of the file's objects (plain and Flate object streams); when the file is
    encrypted or a reference goes through anything else, the picture is kept
    (counted as a picture): this only ever lowers the peer's count when sure."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return set()
    if re.search(rb"/Encrypt\s+\d+\s+\d+\s+R", data):
        return set()
    heads = {}
    for m in OBJ_RE.finditer(data):
        body = m.group(3)
        head, _, rest = body.partition(b"stream")
        heads[int(m.group(1))] = head
        if b"/ObjStm" in head and b"/FlateDecode" in head and not re.search(rb"/DecodeParms", head):
            try:
                d = zlib.decompressobj().decompress(rest.lstrip(b"\r\n"))
                n = int(re.search(rb"/N\s+(\d+)", head).group(1))
                first = int(re.search(rb"/First\s+(\d+)", head).group(1))
                nums = d[:first].split()
                pairs = [(int(nums[i]), int(nums[i + 1])) for i in range(0, 2 * n, 2)]
                for i, (on, off) in enumerate(pairs):
                    end = pairs[i + 1][1] if i + 1 < len(pairs) else len(d) - first
                    heads.setdefault(on, d[first + off:first + end])
            except (zlib.error, AttributeError, ValueError, IndexError):
                continue
    referrers = defaultdict(set)
    masks = set()
    for n, head in heads.items():
        # an image's own /SMask or /Mask is transparency: not a drawing of it
        drawn = re.sub(rb"/S?Mask\s+\d+\s+\d+\s+R", b"", head) if re.search(rb"/Subtype\s*/Image", head) else head
        for r in REF_RE.findall(drawn):
            referrers[int(r)].add(n)
        if re.search(rb"/S\s*/(Luminosity|Alpha)", head):
            masks.update(int(g) for g in re.findall(rb"/G\s+(\d+)\s+\d+\s+R", head))
    inside = set(masks)  # forms drawn only inside a mask group, closed over nesting
    changed = True
    while changed:
        changed = False
        for n, head in heads.items():
            if n in inside or not re.search(rb"/Subtype\s*/Form", head):
                continue
            if referrers[n] and referrers[n] <= inside:
                inside.add(n)
                changed = True
    return {n for n, head in heads.items() if re.search(rb"/Subtype\s*/Image", head)
            and referrers[n] and referrers[n] <= inside}


def image_size(b):
    """(width, height) from a PNG, GIF, BMP or JPEG header; None otherwise."""
    if b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) >= 24:
        return struct.unpack(">II", b[16:24])
    if b[:6] in (b"GIF87a", b"GIF89a") and len(b) >= 10:
        return struct.unpack("<HH", b[6:10])
    if b[:2] == b"BM" and len(b) >= 26:
        w, h = struct.unpack("<ii", b[18:26])
        return abs(w), abs(h)
    if b[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(b):
            if b[i] != 0xFF:
                i += 1
                continue
            m = b[i + 1]
            if m in (0xD8, 0x01) or 0xD0 <= m <= 0xD7 or m == 0xFF:
                i += 1 if m == 0xFF else 2
                continue
            seg = struct.unpack(">H", b[i + 2:i + 4])[0]
            if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", b[i + 5:i + 9])
                return w, h
            i += 2 + seg
    return None


def office_peer(path):
    imgs = []
    try:
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if MEDIA_RE.match(n) and not n.endswith("/"):
                    b = z.read(n)
                    imgs.append((n, image_size(b), hashlib.sha256(b).hexdigest()))
    except (zipfile.BadZipFile, OSError) as e:
        return dict(all=0, big=0, distinct=0, masked=0, rows=[], error=f"not a zip: {e}"[:100])
    bigs = [x for x in imgs if x[1] and x[1][0] >= MIN_SIDE and x[1][1] >= MIN_SIDE]
    return dict(all=len(imgs), big=len(bigs), distinct=len({x[2] for x in bigs}), masked=0, rows=[], error=None,
                unsized=sorted({os.path.splitext(x[0])[1].lower() for x in imgs if not x[1]}))


def identical_copies(path, rows):
    """Of these rows (one per object), how many hold the same bytes as another
    one, by the sha256 of what `pdfimages -all` writes for each (file x-NUM)."""
    want = {r["num"] for r in rows}
    with tempfile.TemporaryDirectory(prefix="docs-compare-all-") as d:
        subprocess.run(["pdfimages", "-all", path, os.path.join(d, "x")], capture_output=True, timeout=600)
        hashes = []
        for f in os.listdir(d):
            m = re.match(r"x-(\d+)\.", f)
            if m and int(m.group(1)) in want:
                with open(os.path.join(d, f), "rb") as fh:
                    hashes.append(hashlib.sha256(fh.read()).hexdigest())
        return len(hashes) - len(set(hashes))


# --------------------------------------------------------------------------- names (heuristic)

TITLES = {"mr", "mrs", "miss", "ms", "mx", "dr", "rev", "revd", "sir", "dame"}
STOP = set("""
a an and the of in on at to for with from by or as is are be we our you your my their his her its this that these those it all
dear thank thanks please well done good best happy welcome congratulations hello hi yours sincerely regards kind
school schools primary secondary academy college university nursery preschool pre reception infant infants junior juniors
year years class classes form group groups house houses team teams term terms half week weeks day days date dates time times
autumn spring summer winter christmas easter halloween diwali eid new old
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
parent parents carer carers pupil pupils child children student students staff head headteacher headmaster headmistress principal
teacher teachers teaching deputy assistant governor governors governing body chair vice trust trustees committee council board
newsletter news club clubs hall church road street lane avenue close park community county city district borough village
uk england english british united kingdom great britain europe european world national international local
st saint mathematics maths math science art arts music history geography french spanish german latin computing
pe re rs design technology drama dance reading writing phonics literacy numeracy curriculum subject subjects
policy policies information info contact contacts phone email tel telephone fax website web online office centre center
room library trip trips visit visits event events lunch lunches menu menus breakfast dinner open evening morning afternoon
report reports annual review award awards certificate certificates prize prizes star stars winner winners
leader leaders leadership manager management officer lead senior key stage ks ks1 ks2 ks3 ks4 ks5 gcse gcses level levels
ib diploma programme program programmes healthy health safe safety safeguarding designated mental wellbeing well being
pta pto friends fund funding premium special needs sen send senco eyfs early years foundation free meals meal uniform
learning support services service education educational department dept local authority ofsted inspection
sports sport football netball rugby cricket athletics swimming games festival concert show play performance
church england catholic christian religious worship assembly assemblies celebration celebrations
london hampshire derbyshire havant cambridgeshire romsey bassingbourn woodley halcyon heath
north south east west northern southern eastern western upper lower middle high grove green hill
page pages section appendix table figure contents introduction summary overview plan plans
one two three four five six seven eight nine ten first second third last next
mrs mr miss ms dr
""".split()) - {"mrs", "mr", "miss", "ms", "dr"}
TOK = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
TIT = r"(?:Mr|Mrs|Miss|Ms|Mx|Dr|Rev|Revd|Sir|Dame)\.?"
RUN_RE = re.compile(rf"(?<![\w'’-])(?:{TIT}|{TOK})(?: (?:{TIT}|{TOK}))+(?![\w'’-])")


def names_in(text):
    """Person-like names in a page's layout text: a heuristic, not a recogniser."""
    out = []
    for line in text.splitlines():
        for m in RUN_RE.finditer(line):
            seg = []
            segs = []
            for w in m.group(0).split(" "):
                lw = w.rstrip(".").lower()
                if lw in TITLES:
                    if seg:
                        segs.append(seg)
                    seg = [w]
                elif lw in STOP:
                    if seg:
                        segs.append(seg)
                    seg = []
                else:
                    seg.append(w)
            if seg:
                segs.append(seg)
            for s in segs:
                titled = s[0].rstrip(".").lower() in TITLES
                body = s[1:] if titled else s
                if (titled and 1 <= len(body) <= 3) or (not titled and 2 <= len(body) <= 3):
                    out.append(" ".join(s))
    return out


def moby_first_names():
    """Grady Ward's Moby first names (data/names/first_names_moby.txt, public domain), lower case."""
    try:
        with open(os.path.join(ROOT, "data", "names", "first_names_moby.txt"), encoding="utf-8") as f:
            return {l.strip().lower() for l in f if l.strip() and not l.startswith("#")}
    except OSError:
        return set()


def strict(name, first_names):
    """A heuristic name with a title, or whose first word is a Moby first name."""
    w = name.split(" ")
    return w[0].rstrip(".").lower() in TITLES or w[0].lower() in first_names


def name_key(text):
    return frozenset(w for w in re.findall(r"[a-z][a-z'’-]*", text.lower()) if w.rstrip(".") not in TITLES)


# --------------------------------------------------------------------------- serving

class DocHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the generated index pages and the listed documents; nothing else."""
    indexes = {}
    allowed = frozenset()

    def log_message(self, *args):
        pass

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        if path in self.indexes:
            body = self.indexes[path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Bytes(body)
        if path.lstrip("/") not in self.allowed:
            self.send_error(404, "Not Found")
            return None
        return super().send_head()


# The corpus server's pieces (a body from memory; a threading server that
# takes a stopped transfer quietly) are the ones evaluate.py serves sites with.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "real_corpus"))
from evaluate import _Bytes, _Server  # noqa: E402


def index_page(title, rels):
    items = "\n".join(f'<li><a href="/{quote(r)}">{html.escape(r)}</a></li>' for r in rels)
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><ul>\n{items}\n</ul></body></html>").encode()


@contextlib.contextmanager
def serve(indexes, allowed):
    """indexes: {"/__index__/x.html": bytes}; allowed: paths under CORPUS ("site/rel")."""
    h = type("H", (DocHandler,), {"indexes": indexes, "allowed": frozenset(allowed)})
    httpd = _Server(("127.0.0.1", 0), functools.partial(h, directory=CORPUS))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------- running

GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
TASKSET = shutil.which("taskset")


def timed(cmd, one_core, timeout, cwd=None):
    """Runs cmd; returns (CompletedProcess, wall, cpu, peak_rss_kib)."""
    if one_core and TASKSET:
        cmd = [TASKSET, "-c", "0"] + cmd
    tfile = None
    if GNU_TIME:
        fd, tfile = tempfile.mkstemp(prefix="docs-compare-time-")
        os.close(fd)
        cmd = [GNU_TIME, "-v", "-o", tfile] + cmd
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout, cwd=cwd)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    rss = r1.ru_maxrss
    if tfile:
        with open(tfile) as f:
            t = f.read()
        os.unlink(tfile)
        u = re.search(r"User time \(seconds\): ([\d.]+)", t)
        s = re.search(r"System time \(seconds\): ([\d.]+)", t)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
        if u and s:
            cpu = float(u.group(1)) + float(s.group(1))
        if m:
            rss = int(m.group(1))
    return p, wall, cpu, rss


def write_config(workdir, name, start):
    db = os.path.join(workdir, "audit.db")
    cfg = os.path.join(workdir, "exposure-audit.toml")
    with open(cfg, "w") as f:
        f.write(f"""# written by bench/documents_compare.py ({name})
[storage]
database = {json.dumps(db)}

[crawl]
user_agent = "exposure-audit-documents-compare/1 (+bench/documents_compare.py)"
max_pages = 5000
concurrency = 4
per_host_delay_ms = 0
robots = "evaluate"

[documents]
read = true

[[sources]]
kind = "website"
name = {json.dumps(name)}
start_urls = [{json.dumps(start)}]
""")
    return cfg


def audit(binary, name, port, index, workdir, timeout, one_core=False, report=True):
    cfg = write_config(workdir, name, f"http://127.0.0.1:{port}{index}")
    p, wall, cpu, rss = timed([binary, "audit", "--config", cfg], one_core, timeout)
    if p.returncode not in (0, 3):
        raise RuntimeError(f"{name}: audit exited {p.returncode}: {p.stderr.strip()[-2000:]}")
    rep = None
    if report:
        out = os.path.join(workdir, "report.json")
        r = subprocess.run([binary, "report", "--config", cfg, "--format", "json", "--output", out],
                           capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError(f"{name}: report exited {r.returncode}: {r.stderr.strip()[-2000:]}")
        with open(out) as f:
            rep = json.load(f)
    return dict(report=rep, wall=wall, cpu=cpu, rss=rss, stdout=p.stdout, stderr=p.stderr, exit=p.returncode)


def rel_of(url):
    """'site/rel/path.pdf' from a served address."""
    return unquote(urlsplit(url).path).lstrip("/")


# --------------------------------------------------------------------------- per site

def site_documents(name):
    site_dir = os.path.join(CORPUS, name)
    docs = []
    for d, _, files in os.walk(site_dir):
        for f in files:
            if DOC_RE.search(f):
                docs.append(os.path.relpath(os.path.join(d, f), CORPUS).replace(os.sep, "/"))
    return sorted(docs)


def ext_of(rel):
    return os.path.splitext(rel)[1].lower().lstrip(".")


def compare_site(args, name):
    docs = site_documents(name)
    peer = {}
    for rel in docs:
        ext = ext_of(rel)
        path = os.path.join(CORPUS, rel)
        if ext == "pdf":
            peer[rel] = pdf_peer(path)
        elif ext in OFFICE_EXT:
            peer[rel] = office_peer(path)
        else:
            peer[rel] = None  # not read by either side
    res = dict(site=name, docs=docs, peer=peer, ours=Counter(), ours_pages=defaultdict(set), unseen=defaultdict(list),
               names=None, audit=None)
    if not docs:
        return res
    work = tempfile.mkdtemp(prefix=f"docs-compare-{name}-")
    try:
        index = f"/__index__/{name}.html"
        with serve({index: index_page(f"{name}: documents", docs)}, docs) as port:
            a = audit(args.bin, name, port, index, work, args.timeout)
        if args.keep:
            dst = os.path.join(args.keep, name)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rep = a.pop("report")
    res["audit"] = a
    res["run"] = rep.get("run", {})
    # ours: occurrences inside documents, and the details of each document page
    page_names = defaultdict(list)  # (rel, page) -> person_name texts from the document's text
    page_ctx = defaultdict(list)  # (rel, page) -> our context texts of the pictures on that page
    for e in rep.get("exposures", []):
        occ_pages = set()
        for o in e.get("occurrences", []):
            if o.get("found_via") != "document" or o.get("seen_this_run") is False:
                continue
            rel = rel_of(o["page_url"])
            res["ours"][rel] += 1
            res["ours_pages"][rel].add(o.get("document_page"))
            ctx = o.get("context") or {}
            page_ctx[(rel, o.get("document_page"))].append(
                " ".join(ctx.get(k) or "" for k in ("caption", "nearby_text", "document_text")))
            occ_pages.add((rel, o.get("document_page")))
        if not occ_pages:
            continue
        for d in e.get("details", []):
            if d.get("kind") != "person_name" or d.get("where") not in NAME_WHERE:
                continue
            drel = rel_of(d.get("page_url", ""))
            for rel, pg in occ_pages:
                if rel == drel:
                    page_names[(rel, pg)].append(d.get("text", ""))
    for u in rep.get("unseen", []):
        rel = rel_of(u.get("url", "").split("#", 1)[0])
        if rel in peer:
            res["unseen"][rel].append(("picture" if "#" in u.get("url", "") else "document", u.get("error", "")))
    res["site_findings"] = [f for f in rep.get("site_findings", []) if any(x in (f.get("detail") or "") for x in ("document", "PDF"))]
    if not args.no_names:
        res["names"] = compare_names(docs, peer, res["ours_pages"], page_names, page_ctx)
    return res


def compare_names(docs, peer, ours_pages, page_names, page_ctx):
    t = Counter()
    first_names = moby_first_names()
    for rel in docs:
        p = peer.get(rel)
        if ext_of(rel) != "pdf" or not p:
            continue
        pages = sorted({r["page"] for r in p["rows"] if r["type"] == "image" and big(r)
                        and not (r["obj"] is not None and int(r["obj"][0]) in p["mask_objs"])})
        if not pages:
            continue
        out = subprocess.run(["pdftotext", "-layout", os.path.join(CORPUS, rel), "-"], capture_output=True,
                             text=True, errors="replace", timeout=300)
        texts = out.stdout.split("\f")
        for pg in pages:
            text = texts[pg - 1] if pg - 1 < len(texts) else ""
            peer_names = {}
            for n in names_in(text):
                k = name_key(n)
                if k:
                    peer_names.setdefault(k, n)
            ours = [name_key(x) for x in page_names.get((rel, pg), [])]
            have_pic = pg in ours_pages.get(rel, set())
            t["pages"] += 1
            t["pages_ours"] += have_pic
            t["pages_with_names"] += bool(peer_names)
            t["names"] += len(peer_names)
            if have_pic:
                t["names_on_our_pages"] += len(peer_names)
            for k, n in peer_names.items():
                hit = any(k <= o for o in ours if o)
                t["found"] += hit
                if strict(n, first_names):
                    t["strict"] += 1
                    t["strict_on_our_pages"] += have_pic
                    t["strict_found"] += hit
            words = set(re.findall(r"[a-z][a-z'’-]*", text.lower()))
            if have_pic:
                # how well our text of the page agrees with poppler's, word by word
                ws = [w for c in page_ctx.get((rel, pg), []) for w in re.findall(r"[a-z][a-z'’-]+", c.lower())]
                t["ctx_words"] += len(ws)
                t["ctx_words_in_text"] += sum(1 for w in ws if w in words)
            uniq = {o for o in ours if o}
            t["ours"] += len(uniq)
            t["ours_in_text"] += sum(1 for o in uniq if o <= words)
            t["ours_in_peer"] += sum(1 for o in uniq if any(o <= k or k <= o for k in peer_names))
    return t


def miss_reason(rel, p, ours, unseen):
    """Why ours may be under the peer's distinct count, from what can be seen."""
    why = []
    diff = p["distinct"] - ours
    explained = 0
    if ext_of(rel) == "pdf":
        rows, seen = [], set()
        for r in p["rows"]:
            if r["type"] != "image" or not big(r) or (r["obj"] is not None and r["obj"] in seen):
                continue
            if r["obj"] is not None:
                seen.add(r["obj"])
                if int(r["obj"][0]) in p["mask_objs"]:
                    continue
            rows.append(r)
        if p["masked"]:
            why.append(f"{p['masked']} drawn only inside soft masks")
            explained += p["masked"]
        try:
            c = identical_copies(os.path.join(CORPUS, rel), rows)
            if c:
                why.append(f"{c} identical copies of another object")
                explained += c
        except (subprocess.TimeoutExpired, OSError):
            pass
        inline = sum(1 for r in rows if r["obj"] is None)
        if inline:
            why.append(f"{inline} inline")
        enc = Counter(r["enc"] for r in rows)
        why.extend(f"{v} {k}" for k, v in enc.items() if k in ("jbig2", "ccitt", "jpx"))
        if p["distinct"] > 300:
            why.append("over documents.max_pictures (300)")
        if diff > explained:
            why.append(f"{diff - explained} not explained (encodings " + ", ".join(f"{k} {v}" for k, v in enc.most_common()) + ")")
    if unseen:
        errs = Counter(re.sub(r"\d+", "N", e)[:70] for _, e in unseen)
        why.append("our errors: " + "; ".join(f"{v}x {k}" for k, v in errs.most_common(3)))
    if p.get("error"):
        why.append(f"pdfimages: {p['error']}")
    return ", ".join(why), min(explained, diff), max(0, diff - explained)


# --------------------------------------------------------------------------- throughput

def throughput(args, sites):
    pdfs = [rel for s in sites for rel in site_documents(s) if ext_of(rel) == "pdf"]
    if not pdfs:
        return None
    mib = sum(os.path.getsize(os.path.join(CORPUS, r)) for r in pdfs) / 2 ** 20
    index = "/__index__/all-pdfs.html"
    ours, peer = [], []
    with serve({index: index_page("all PDFs", pdfs)}, pdfs) as port:
        for i in range(args.runs):
            work = tempfile.mkdtemp(prefix="docs-compare-speed-")
            try:
                a = audit(args.bin, "all-pdfs", port, index, work, args.timeout, one_core=True, report=False)
                ours.append(a)
                print(f"  throughput run {i + 1}: ours {a['wall']:.1f} s wall, {a['cpu']:.1f} s CPU", file=sys.stderr)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    script = 'i=0; while IFS= read -r f; do i=$((i+1)); pdfimages -j "$f" "$1/p$i"; done < "$2"'
    for i in range(args.runs):
        work = tempfile.mkdtemp(prefix="docs-compare-pdfimages-")
        try:
            lst = os.path.join(work, "list")
            out = os.path.join(work, "out")
            os.mkdir(out)
            with open(lst, "w") as f:
                f.write("".join(os.path.join(CORPUS, r) + "\n" for r in pdfs))
            p, wall, cpu, rss = timed(["sh", "-c", script, "sh", out, lst], True, args.timeout)
            n_files = len(os.listdir(out))
            peer.append(dict(wall=wall, cpu=cpu, rss=rss, files=n_files))
            print(f"  throughput run {i + 1}: pdfimages -j {wall:.1f} s wall, {cpu:.1f} s CPU, {n_files} files", file=sys.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return dict(pdfs=len(pdfs), mib=mib, ours=ours, peer=peer)


# --------------------------------------------------------------------------- printing

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", nargs="*", help="only these sites of bench/real_corpus/sources.toml")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "exposure-audit"))
    ap.add_argument("--runs", type=int, default=3, help="throughput runs of each side (best is kept)")
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--no-names", action="store_true")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed for one audit")
    ap.add_argument("--list", type=int, default=40, help="documents listed where ours is under pdfimages")
    ap.add_argument("--keep", help="keep each site's config, database and report under this folder")
    ap.add_argument("--output", help="also write what is printed to this file")
    args = ap.parse_args()
    for tool in ("pdfimages", "pdftotext"):
        if not shutil.which(tool):
            sys.exit(f"documents_compare.py: {tool} missing (apt-get install -y poppler-utils)")
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"documents_compare.py: {args.bin} is not an executable (give --bin)")
    with open(SOURCES, "rb") as f:
        names = [s["name"] for s in tomllib.load(f)["sites"]]
    if args.sites:
        unknown = set(args.sites) - set(names)
        if unknown:
            sys.exit(f"documents_compare.py: no such site: {', '.join(sorted(unknown))}")
        names = [n for n in names if n in args.sites]
    for n in names:
        if not os.path.isdir(os.path.join(CORPUS, n)):
            sys.exit(f"documents_compare.py: {CORPUS}/{n} missing: run bash bench/real_corpus/rebuild.sh")

    results = []
    for n in names:
        print(f"{n}: comparing documents ...", file=sys.stderr)
        results.append(compare_site(args, n))
    speed = None if args.no_throughput else throughput(args, names)

    lines = []
    p = lines.append
    st = os.stat(args.bin)
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    p(f"exposure-audit documents against poppler, {time.strftime('%Y-%m-%d %H:%M')}; repository at {head or '?'}; binary {args.bin} "
      f"(modified {time.strftime('%Y-%m-%d %H:%M', time.localtime(st.st_mtime))}); "
      f"pdfimages {subprocess.run(['pdfimages', '-v'], capture_output=True, text=True).stderr.split()[2]}; "
      f"min picture side {MIN_SIDE} px; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    p("")
    p("1. Pictures in documents (peer: pdfimages -list type `image`; Office: media entries)")
    p("")
    p(f"| site | documents (PDF / Office / not read) | errors (ours) | peer images | peer >= {MIN_SIDE} px | peer distinct >= {MIN_SIDE} "
      f"| of which only in soft masks | ours | ours < peer distinct (docs, pictures) | ours < peer outside soft masks (docs, pictures) "
      f"| ours > peer outside soft masks (docs, pictures) |")
    p("|---|---|---|---|---|---|---|---|---|---|---|")
    tot = Counter()
    misses, overs, errs = [], [], []
    for r in results:
        t = Counter()
        for rel in r["docs"]:
            ext = ext_of(rel)
            pe = r["peer"][rel]
            if ext == "pdf":
                t["pdf"] += 1
            elif ext in OFFICE_EXT:
                t["office"] += 1
            else:
                t["unread"] += 1
            if pe is None:
                continue
            ours = r["ours"].get(rel, 0)
            t["all"] += pe["all"]
            t["big"] += pe["big"]
            t["distinct"] += pe["distinct"]
            t["masked"] += pe["masked"]
            real = pe["distinct"] - pe["masked"]
            t["ours"] += ours
            doc_errs = [e for k, e in r["unseen"].get(rel, []) if k == "document"]
            if doc_errs:
                t["errors"] += 1
                errs.append((rel, doc_errs[0]))
            if ours < pe["distinct"]:
                t["under_docs"] += 1
                t["under"] += pe["distinct"] - ours
                misses.append((r, rel, pe, ours))
            if ours < real:
                t["under2_docs"] += 1
                t["under2"] += real - ours
            elif ours > real:
                t["over_docs"] += 1
                t["over"] += ours - real
                overs.append((rel, real, ours))
        tot.update(t)
        p(f"| {r['site']} | {t['pdf'] + t['office'] + t['unread']} ({t['pdf']} / {t['office']} / {t['unread']}) | {t['errors']} | "
          f"{t['all']} | {t['big']} | {t['distinct']} | {t['masked']} | {t['ours']} | {t['under_docs']}, {t['under']} | "
          f"{t['under2_docs']}, {t['under2']} | {t['over_docs']}, {t['over']} |")
    p(f"| **total** | {tot['pdf'] + tot['office'] + tot['unread']} ({tot['pdf']} / {tot['office']} / {tot['unread']}) | {tot['errors']} | "
      f"{tot['all']} | {tot['big']} | {tot['distinct']} | {tot['masked']} | {tot['ours']} | {tot['under_docs']}, {tot['under']} | "
      f"{tot['under2_docs']}, {tot['under2']} | {tot['over_docs']}, {tot['over']} |")
    p("")
    for r in results:
        if r["audit"]:
            summ = [l for l in r["audit"]["stdout"].splitlines() if l.startswith(("Run ", "Documents:", "Limit "))]
            p(f"{r['site']} audit: " + " / ".join(summ))
    p("")
    misses.sort(key=lambda x: -(x[2]["distinct"] - x[3]))
    p(f"Documents where ours < pdfimages distinct >= {MIN_SIDE} px ({len(misses)}; the first {min(args.list, len(misses))} by difference):")
    expl = Counter()
    for i, (r, rel, pe, ours) in enumerate(misses):
        why, explained, rest = miss_reason(rel, pe, ours, r["unseen"].get(rel, []))
        expl["missing"] += pe["distinct"] - ours
        expl["masked"] += min(pe["masked"], pe["distinct"] - ours)
        expl["explained"] += explained
        expl["rest"] += rest
        if i < args.list:
            p(f"  -{pe['distinct'] - ours:<4} {rel}: peer {pe['distinct']}, ours {ours}; {why}")
    p(f"  in all {expl['missing']} pictures under pdfimages' distinct count: {expl['masked']} drawn only inside soft masks, "
      f"{expl['explained'] - expl['masked']} identical copies of another object, {expl['rest']} not explained by either")
    if overs:
        p(f"Documents where ours > pdfimages distinct outside soft masks ({len(overs)}; peer -> ours): " +
          "; ".join(f"{rel} {d} -> {o}" for rel, d, o in sorted(overs, key=lambda x: x[1] - x[2])[:15]))
    p(f"Documents our report records as errors ({len(errs)}):")
    for rel, e in errs:
        p(f"  {rel}: {e}")
    if not errs:
        p("  none")
    pic_errs = Counter(re.sub(r"\d+", "N", e)[:80] for r in results for v in r["unseen"].values() for k, e in v if k == "picture")
    if pic_errs:
        p("Pictures inside documents our report records as not read: " + "; ".join(f"{v}x {k}" for k, v in pic_errs.most_common(8)))

    if not args.no_names:
        nt = Counter()
        for r in results:
            if r["names"]:
                nt.update(r["names"])
        p("")
        p("2. Names on a PDF page that has a picture >= 48 px (peer: pdftotext -layout + a capitalised-words HEURISTIC)")
        p(f"  PDF pages with a picture: {nt['pages']} (we report a picture on {nt['pages_ours']}); "
          f"with a heuristic name: {nt['pages_with_names']}; heuristic names: {nt['names']} "
          f"({nt['names_on_our_pages']} on pages where we report a picture)")
        p(f"  heuristic names among our person_name details of that page: {nt['found']}/{nt['names']} "
          f"({nt['found'] / max(1, nt['names_on_our_pages']):.2f} of those on pages where we report a picture)")
        p(f"  of which titled or starting with a Moby first name (data/names/first_names_moby.txt, a list the audit also uses): "
          f"{nt['strict_found']}/{nt['strict']} found ({nt['strict_found'] / max(1, nt['strict_on_our_pages']):.2f} of the "
          f"{nt['strict_on_our_pages']} on pages where we report a picture)")
        p(f"  our person_name details on those pages: {nt['ours']}; whose words are all in pdftotext's page text: {nt['ours_in_text']}; "
          f"that match a heuristic name: {nt['ours_in_peer']}")
        p(f"  words of our caption/nearby/document text on those pages also in pdftotext's words for the page: "
          f"{nt['ctx_words_in_text']}/{nt['ctx_words']} ({nt['ctx_words_in_text'] / max(1, nt['ctx_words']):.2f}; "
          f"low when our text splits or joins words)")
        for r in results:
            if r["names"] and r["names"]["pages"]:
                n = r["names"]
                p(f"  {r['site']}: pages {n['pages']} (ours {n['pages_ours']}), heuristic names {n['names']}, found {n['found']}; "
                  f"strict {n['strict']} (on our pages {n['strict_on_our_pages']}), found {n['strict_found']}; "
                  f"ours {n['ours']}, in text {n['ours_in_text']}; our words in poppler's "
                  f"{n['ctx_words_in_text'] / max(1, n['ctx_words']):.2f}")

    if speed:
        p("")
        p(f"3. Throughput, one core (taskset -c 0), best of {args.runs}: {speed['pdfs']} PDFs, {speed['mib']:.0f} MiB")
        bo = min(speed["ours"], key=lambda x: x["wall"])
        bp = min(speed["peer"], key=lambda x: x["wall"])
        co = min(x["cpu"] for x in speed["ours"])
        cp = min(x["cpu"] for x in speed["peer"])
        n = speed["pdfs"]
        p(f"  exposure-audit audit : {bo['wall']:7.1f} s wall ({n / bo['wall']:6.2f} docs/s), {co:7.1f} s CPU ({n / co:6.2f} docs/CPU-s), "
          f"peak RSS {max(x['rss'] for x in speed['ours']) / 1024:.0f} MiB")
        p(f"  pdfimages -j         : {bp['wall']:7.1f} s wall ({n / bp['wall']:6.2f} docs/s), {cp:7.1f} s CPU ({n / cp:6.2f} docs/CPU-s), "
          f"peak RSS {max(x['rss'] for x in speed['peer']) / 1024:.0f} MiB, {bp['files']} files written")
        p(f"  ratio ours/pdfimages: wall {bo['wall'] / bp['wall']:.2f}x, CPU {co / cp:.2f}x")
        walls = lambda xs: ", ".join(f"{x['wall']:.1f}" for x in xs)
        p(f"  all runs (wall s): ours {walls(speed['ours'])}; pdfimages {walls(speed['peer'])}")
        summ = [l for l in speed["ours"][0]["stdout"].splitlines() if l.startswith(("Run ", "Documents:", "Limit ", "Peak"))]
        p("  our audit said: " + " / ".join(summ))
    text = "\n".join(lines)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
