#!/usr/bin/env python3
"""Labelling aid for the real corpus: which pictures each page shows, with the
text around them (alt, title, figcaption, the text of the enclosing block).

    python3 bench/real_corpus/inventory.py heath > /tmp/heath-inventory.json
    python3 bench/real_corpus/inventory.py heath --text   # one line a picture

Reads bench/out/real-corpus/<site>/ (see rebuild.sh). Standard library only.
This is not a detector and reports nothing about faces or names: it lists
what a person labelling the pictures should read next to each one. Pages are
.html/.htm (and .php, whose literal `include` of .html fragments is expanded
as evaluate.py serves them). Picture references: <img src/srcset/data-src>,
<source srcset>, <a href> to a picture, <meta property=og:image>, and CSS
url(...) in style attributes, <style> blocks and the site's stylesheets (a
stylesheet rule's pictures are attributed to the pages whose elements use
the rule's class or id, with those elements' text).
"""
import argparse
import html
import json
import os
import re
import sys
import tomllib
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "bench", "out", "real-corpus")
PIC_RE = re.compile(r"\.(jpe?g|png|gif|webp|avif|bmp|tiff?|svg)$", re.I)
PAGE_RE = re.compile(r"\.(html?|php)$", re.I)
INCLUDE_RE = re.compile(r"<\?php\s+include\s*\(?\s*['\"]([^'\"]+)['\"]\s*\)?\s*;?\s*\?>")
PHP_RE = re.compile(r"<\?php.*?\?>", re.S)
CSS_URL_RE = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.I)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
BLOCK_SKIP = {"script", "style", "noscript", "template"}
FURNITURE = {"header", "footer", "nav", "aside", "form"}


def expand_php(site_dir, rel, text, depth=0):
    """Expand `<?php include 'x.html' ?>` with the file's text (as the school's
    server did); any other PHP is dropped."""
    if depth > 5:
        return text
    base = os.path.dirname(rel)

    def repl(m):
        inc = os.path.normpath(os.path.join(base, m.group(1)))
        p = os.path.join(site_dir, inc)
        if os.path.isfile(p) and not inc.startswith(".."):
            with open(p, encoding="utf-8", errors="replace") as f:
                return expand_php(site_dir, inc, f.read(), depth + 1)
        return ""

    return PHP_RE.sub("", INCLUDE_RE.sub(repl, text))


class Node:
    __slots__ = ("tag", "attrs", "children", "parent", "text")

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], []


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root
        self.styles = []

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        if self.cur.tag == "style":
            self.styles.append(data)
        self.cur.children.append(data)


def text_of(node, limit=600):
    out = []

    def walk(n):
        if sum(len(x) for x in out) > limit:
            return
        for c in n.children:
            if isinstance(c, str):
                out.append(c)
            elif c.tag not in BLOCK_SKIP:
                walk(c)

    walk(node)
    return re.sub(r"\s+", " ", " ".join(out)).strip()[:limit]


def in_furniture(node):
    n = node.parent
    while n is not None:
        if n.tag in FURNITURE:
            return n.tag
        n = n.parent
    return None


def nearby(node):
    """Text of the nearest enclosing element that has any, at most four levels
    up, never body/main (the project's rule, docs/details.md)."""
    n, level = node.parent, 0
    while n is not None and level < 4 and n.tag not in ("body", "main", "#root", "html"):
        t = text_of(n, 300)
        if t:
            return t
        n, level = n.parent, level + 1
    return ""


def caption(node):
    n = node.parent
    while n is not None and n.tag not in ("body", "#root"):
        if n.tag == "figure":
            for c in n.children:
                if not isinstance(c, str) and c.tag == "figcaption":
                    return text_of(c, 300)
            return ""
        n = n.parent
    return ""


def srcset_urls(v):
    return [p.strip().split()[0] for p in v.split(",") if p.strip()]


def site_path(page_rel, ref, site_url="http://site.invalid/"):
    """A reference on a page -> path relative to the site root, or None when
    it is off site."""
    ref = html.unescape(ref.strip())
    if not ref or ref.startswith(("data:", "javascript:", "mailto:", "#")):
        return None
    base = urljoin(site_url, page_rel.replace(os.sep, "/"))
    u = urlsplit(urljoin(base, ref))
    if u.netloc != urlsplit(site_url).netloc:
        return None
    return unquote(u.path).lstrip("/")


def walk_nodes(n):
    for c in n.children:
        if not isinstance(c, str):
            yield c
            yield from walk_nodes(c)


def page_title(tree):
    for n in walk_nodes(tree.root):
        if n.tag == "title":
            return text_of(n, 200)
    return ""


def pages_of(site_dir):
    for d, _, files in os.walk(site_dir):
        for f in files:
            if PAGE_RE.search(f):
                rel = os.path.relpath(os.path.join(d, f), site_dir)
                if rel.startswith("includes" + os.sep):
                    continue
                yield rel


def css_rules(css):
    """(selector, [url]) pairs of a stylesheet."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", css):
        urls = CSS_URL_RE.findall(m.group(2))
        if urls:
            yield m.group(1).strip(), urls


def inventory(site):
    site_dir = os.path.join(CORPUS, site)
    if not os.path.isdir(site_dir):
        sys.exit(f"inventory.py: {site_dir} missing; run bench/real_corpus/rebuild.sh {site}")
    pics = {}

    def add(path, page, via, **ctx):
        if path is None or not PIC_RE.search(path):
            return
        e = pics.setdefault(path, {"exists": os.path.isfile(os.path.join(site_dir, path)), "pages": [], "contexts": []})
        if page not in e["pages"]:
            e["pages"].append(page)
        c = {"page": page, "via": via}
        c.update({k: v for k, v in ctx.items() if v})
        if c not in e["contexts"]:
            e["contexts"].append(c)

    # stylesheet rules by class/id, for CSS backgrounds
    sheet_rules = []
    for d, _, files in os.walk(site_dir):
        for f in files:
            if f.lower().endswith(".css"):
                rel = os.path.relpath(os.path.join(d, f), site_dir)
                with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                    for sel, urls in css_rules(fh.read()):
                        sheet_rules.append((rel, sel, urls))

    for page in sorted(pages_of(site_dir)):
        with open(os.path.join(site_dir, page), encoding="utf-8", errors="replace") as f:
            text = f.read()
        if page.lower().endswith(".php"):
            text = expand_php(site_dir, page, text)
        t = Tree()
        try:
            t.feed(text)
        except Exception as e:  # noqa: BLE001 - a broken page is reported, not fatal
            print(f"inventory.py: {site}/{page}: {e}", file=sys.stderr)
            continue
        title = page_title(t)
        classes, ids = {}, {}
        for n in walk_nodes(t.root):
            a = n.attrs
            furn = in_furniture(n)
            for cl in (a.get("class") or "").split():
                classes.setdefault(cl, []).append(n)
            if a.get("id"):
                ids.setdefault(a["id"], []).append(n)
            if n.tag == "img":
                ctx = dict(alt=a.get("alt"), title=a.get("title"), caption=caption(n) or a.get("data-caption"),
                           nearby=nearby(n), furniture=furn, page_title=title)
                for k in ("src", "data-src", "data-lazy-src", "data-original"):
                    if a.get(k):
                        add(site_path(page, a[k]), page, "img" if k == "src" else "lazy", **ctx)
                for k in ("srcset", "data-srcset", "data-lazy-srcset"):
                    if a.get(k):
                        for u in srcset_urls(a[k]):
                            add(site_path(page, u), page, "srcset", **ctx)
            elif n.tag == "source" and a.get("srcset"):
                for u in srcset_urls(a["srcset"]):
                    add(site_path(page, u), page, "picture", nearby=nearby(n), furniture=furn, page_title=title)
            elif n.tag == "a" and a.get("href") and PIC_RE.search(urlsplit(a["href"]).path):
                add(site_path(page, a["href"]), page, "link", title=a.get("title"), nearby=text_of(n, 300) or nearby(n),
                    furniture=furn, page_title=title)
            elif n.tag == "meta" and (a.get("property") or a.get("name") or "").lower() in ("og:image", "twitter:image"):
                add(site_path(page, a.get("content") or ""), page, "og_image", page_title=title)
            if a.get("style"):
                for u in CSS_URL_RE.findall(a["style"]):
                    add(site_path(page, u), page, "css", nearby=text_of(n, 300) or nearby(n), furniture=furn, page_title=title)
        for css in t.styles:
            for sel, urls in css_rules(css):
                for u in urls:
                    add(site_path(page, u), page, "css", selector=sel, page_title=title)
        for sheet, sel, urls in sheet_rules:
            used = []
            for m in re.finditer(r"([.#])([A-Za-z0-9_-]+)", sel):
                used += (classes if m.group(1) == "." else ids).get(m.group(2), [])
            for n in used[:3]:
                for u in urls:
                    add(site_path(sheet, u), page, "css", selector=sel, nearby=text_of(n, 300),
                        furniture=in_furniture(n), page_title=title)
    # pictures on disk that no page shows
    for d, _, files in os.walk(site_dir):
        for f in files:
            if PIC_RE.search(f):
                rel = os.path.relpath(os.path.join(d, f), site_dir).replace(os.sep, "/")
                pics.setdefault(rel, {"exists": True, "pages": [], "contexts": []})
    return pics


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site")
    ap.add_argument("--text", action="store_true", help="one line a picture instead of JSON")
    args = ap.parse_args()
    with open(os.path.join(HERE, "sources.toml"), "rb") as f:
        names = [s["name"] for s in tomllib.load(f)["sites"]]
    if args.site not in names:
        sys.exit(f"inventory.py: no site {args.site!r} in sources.toml ({', '.join(names)})")
    inv = inventory(args.site)
    if args.text:
        for p, e in sorted(inv.items()):
            ctx = "; ".join(
                f"{c['page']} [{c['via']}] " + " | ".join(f"{k}={c[k]!r}" for k in ("alt", "title", "caption", "nearby") if c.get(k))
                for c in e["contexts"][:3])
            print(f"{p}{'' if e['exists'] else ' (ABSENT)'}  pages={len(e['pages'])}  {ctx}")
    else:
        json.dump(inv, sys.stdout, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
