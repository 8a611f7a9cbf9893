#!/usr/bin/env python3
"""List the share-card pictures of the real-school corpus, for labelling.

    python3 bench/real_corpus/share_cards.py heath halcyon rowlands cinderash
    python3 bench/real_corpus/share_cards.py --all halcyon     # unlabelled pictures too
    python3 bench/real_corpus/share_cards.py --json rowlands

For each page of bench/out/real-corpus/<site>/ (.html/.htm files, the
query-string twins wget saved as index.html@p=N, and, where sources.toml says
php_includes, the .php pages with their literal includes expanded as
evaluate.py's SiteHandler.expand does) it finds the page's "share card"
pictures:

  <meta property="og:image">, og:image:url, og:image:secure_url,
  <meta name="twitter:image">, twitter:image:src, and the images of
  schema.org JSON-LD (ImageObject url/contentUrl/@id, "image",
  "primaryImageOfPage", "thumbnailUrl", "logo"),

resolves each address to a path on the site (absolute on one of the site's
`hosts`, or relative to the page; other hosts are skipped; the path is
percent-decoded) and prints, for the pictures that are in
bench/real_corpus/labels/<site>.json (or all with --all), the page's share
texts for that picture:

  meta:   og:image:alt / twitter:image:alt, og:title / twitter:title, and the
          first of og:description / twitter:description / <meta name="description">
  JSON-LD: caption / name / description of the ImageObject and of the
          object that holds it (also an object that holds it by reference,
          "image": {"@id": ...}, as Yoast and Rank Math write their graphs)

It only lists candidates. It does not decide which words are person names:
the labels are made by a person reading each text. Standard library only.
"""
import argparse
import html.parser
import json
import os
import posixpath
import re
import sys
import tomllib
from urllib.parse import unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "bench", "out", "real-corpus")
LABELS = os.path.join(HERE, "labels")
INCLUDE_RE = re.compile(r"<\?php\s+include\s*\(?\s*['\"]([^'\"]+)['\"]\s*\)?\s*;?\s*\?>")
PHP_RE = re.compile(r"<\?php.*?\?>", re.S)

META_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
META_ALT = ("og:image:alt", "twitter:image:alt")
META_TITLE = ("og:title", "twitter:title")
META_DESC = ("og:description", "twitter:description", "description")
LD_IMAGE_KEYS = ("image", "primaryImageOfPage", "thumbnailUrl", "logo")
LD_TEXT_KEYS = ("caption", "name", "description")


def expand(path, root, depth=0):
    """As evaluate.py's SiteHandler.expand: literal includes inlined, other PHP dropped."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()

    def repl(m):
        inc = os.path.abspath(os.path.join(os.path.dirname(path), m.group(1)))
        if depth < 5 and inc.startswith(root + os.sep) and os.path.isfile(inc):
            return expand(inc, root, depth + 1)
        return ""

    return PHP_RE.sub("", INCLUDE_RE.sub(repl, text))


class Head(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.metas = []  # (key, content) in order
        self.ld = []  # JSON-LD texts
        self._in_ld = False
        self._buf = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").strip().lower()
            if key and "content" in a:
                self.metas.append((key, a["content"]))
        elif tag == "script" and a.get("type", "").strip().lower() == "application/ld+json":
            self._in_ld, self._buf = True, []

    def handle_data(self, data):
        if self._in_ld:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_ld:
            self._in_ld = False
            self.ld.append("".join(self._buf))


def resolve(url, page_url_path, hosts):
    """A share-card address -> the site-relative picture path, or None (off site)."""
    url = url.strip()
    if not url or url.startswith(("data:", "#")):
        return None
    u = urlsplit(url)
    if u.scheme or url.startswith("//"):
        if u.scheme not in ("", "http", "https") or (u.hostname or "").lower() not in hosts:
            return None
        path = u.path
    else:
        path = posixpath.join(posixpath.dirname(page_url_path), u.path) if not u.path.startswith("/") else u.path
    path = posixpath.normpath(unquote(path))
    return path.lstrip("/") if path not in (".", "/") else None


def ld_images(node, holder, out):
    """(address, via, texts) for every image of a JSON-LD tree."""
    if isinstance(node, list):
        for x in node:
            ld_images(x, holder, out)
        return
    if not isinstance(node, dict):
        return
    own = {k: node[k] for k in LD_TEXT_KEYS if isinstance(node.get(k), str)}
    held = {k: holder[k] for k in LD_TEXT_KEYS if isinstance(holder, dict) and isinstance(holder.get(k), str)}
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    if "ImageObject" in types:
        for k in ("url", "contentUrl", "@id"):
            if isinstance(node.get(k), str):
                out.append((node[k], f"ld:ImageObject.{k}", {"image": own, "holder": held}))
    for k in LD_IMAGE_KEYS:
        v = node.get(k)
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, str):
                out.append((x, f"ld:{types[0]}.{k}", {"image": {}, "holder": own}))
            elif isinstance(x, dict) and "@type" not in x and isinstance(x.get("@id"), str):
                # a reference to an ImageObject elsewhere in the graph: this object holds it too
                out.append((x["@id"], f"ld:{types[0]}.{k}->@id", {"image": {}, "holder": own}))
    for k, v in node.items():
        if isinstance(v, (dict, list)):
            ld_images(v, node, out)


def pages_of(site_dir, php):
    for dp, dns, fns in os.walk(site_dir):
        dns.sort()
        for fn in sorted(fns):
            full = os.path.join(dp, fn)
            rel = os.path.relpath(full, site_dir).replace(os.sep, "/")
            low = fn.lower()
            if low.endswith((".html", ".htm")) or re.search(r"\.html?@[^/]*$", low):
                with open(full, encoding="utf-8", errors="replace") as f:
                    yield rel, f.read()
            elif php and low.endswith(".php") and not rel.startswith("inc/"):
                yield rel, expand(full, os.path.abspath(site_dir))


def page_url_path(rel):
    """The address the page is served at, for resolving relative links (its folder is what counts)."""
    if rel.endswith("/index.html") or rel == "index.html":
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def cards(site, everything=False):
    site_dir = os.path.join(CORPUS, site["name"])
    hosts = {h.lower() for h in site.get("hosts", ())}
    with open(os.path.join(LABELS, site["name"] + ".json"), encoding="utf-8") as f:
        labelled = {p["path"] for p in json.load(f)["pictures"]}
    rows = []
    for rel, text in pages_of(site_dir, bool(site.get("php_includes"))):
        if "og:" not in text and "twitter:" not in text and "ld+json" not in text:
            continue
        h = Head()
        try:
            h.feed(text)
            h.close()
        except Exception as e:  # noqa: BLE001
            print(f"{site['name']}/{rel}: {e}", file=sys.stderr)
        m = {}
        for k, v in h.metas:
            m.setdefault(k, []).append(v)
        desc = next((m[k][0] for k in META_DESC if m.get(k)), None)
        meta_texts = {"alt": [v for k in META_ALT for v in m.get(k, [])],
                      "title": [v for k in META_TITLE for v in m.get(k, [])], "description": desc}
        found = {}  # picture -> {"via": [...], "texts": [...]}
        for k, v in h.metas:
            if k in META_IMAGE:
                p = resolve(v, page_url_path(rel), hosts)
                if p:
                    e = found.setdefault(p, {"via": [], "texts": []})
                    e["via"].append(f"meta:{k}")
                    if meta_texts not in e["texts"]:
                        e["texts"].append(meta_texts)
        for block in h.ld:
            try:
                data = json.loads(block)
            except ValueError as e:
                print(f"{site['name']}/{rel}: bad JSON-LD: {e}", file=sys.stderr)
                continue
            out = []
            ld_images(data, None, out)
            for url, via, texts in out:
                p = resolve(url, page_url_path(rel), hosts)
                if p:
                    e = found.setdefault(p, {"via": [], "texts": []})
                    e["via"].append(via)
                    if texts not in e["texts"]:
                        e["texts"].append(texts)
        for p, e in sorted(found.items()):
            if everything or p in labelled:
                rows.append({"site": site["name"], "page": rel, "picture": p, "labelled": p in labelled, **e})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sites", nargs="*")
    ap.add_argument("--all", action="store_true", help="also pictures that are not in the labels")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with open(os.path.join(HERE, "sources.toml"), "rb") as f:
        sites = tomllib.load(f)["sites"]
    rows = []
    for s in sites:
        if args.sites and s["name"] not in args.sites:
            continue
        rows += cards(s, args.all)
    if args.json:
        json.dump(rows, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return
    # Paths and texts come from the sites: shown escaped, so a control
    # character in them cannot drive the terminal.
    def shown(v):
        return json.dumps(v, ensure_ascii=False)[1:-1]

    for r in rows:
        print(f"{r['site']}  {shown(r['page'])}  ->  {shown(r['picture'])}{'' if r['labelled'] else '  (not labelled)'}")
        print(f"    via: {', '.join(sorted(set(r['via'])))}")
        for t in r["texts"]:
            for k, v in t.items():
                if v:
                    print(f"    {k}: {json.dumps(v, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
