"""Generates a static school-like site for the crawl benchmark: N pages,
each linking to the next pages and to a few others, each with two pictures
(one <img> with srcset, one lazy data-src), every picture a distinct small
JPEG. Usage: python3 make_site.py OUT PAGES"""
import io
import os
import random
import sys

from PIL import Image

out, pages = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(out, "p"), exist_ok=True)
os.makedirs(os.path.join(out, "img"), exist_ok=True)
rng = random.Random(3)


def picture(n):
    im = Image.new("RGB", (96, 64), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(6):
        x, y = rng.randrange(80), rng.randrange(48)
        im.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), (x, y, x + 16, y + 16))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=70)
    with open(os.path.join(out, "img", f"{n}.jpg"), "wb") as f:
        f.write(buf.getvalue())


def page(i):
    links = [i + 1, i + 2, i * 2 + 1, rng.randrange(pages)]
    a = "".join(f'<li><a href="/p/{j}.html">News item {j}</a></li>' for j in links if j < pages)
    return f"""<!doctype html><html><head><title>News {i} | Example Primary</title></head><body>
<header><nav><a href="/">Home</a></nav></header><main><article><h1>News item {i}</h1>
<figure><img src="/img/{2*i}.jpg" srcset="/img/{2*i}.jpg 96w" alt="Class photo {i}"><figcaption>Our class on trip {i}</figcaption></figure>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.</p>
<img data-src="/img/{2*i+1}.jpg" class="lazyload" alt="Assembly {i}"></article>
<ul>{a}</ul></main><footer>Example Primary School</footer></body></html>"""


with open(os.path.join(out, "index.html"), "w") as f:
    f.write(page(0).replace("News item 0", "Welcome"))
for i in range(pages):
    with open(os.path.join(out, "p", f"{i}.html"), "w") as f:
        f.write(page(i))
    picture(2 * i)
    picture(2 * i + 1)
print(f"{pages} pages, {2*pages} pictures in {out}")
