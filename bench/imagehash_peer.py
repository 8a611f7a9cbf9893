#!/usr/bin/env python3
"""The peers of exposure-audit's hashing, timed on one core in this process:
Python imagehash's phash as users call it, and with PIL's draft mode (the
JPEG decoder's DCT scaling). Prints pictures per second for each.

  python3 bench/imagehash_peer.py DIR
"""
import os
import sys
import time

import imagehash
from PIL import Image


def plain(path):
    return imagehash.phash(Image.open(path))


def draft(path):
    im = Image.open(path)
    w, h = im.size
    im.draft("L", (max(w // 8, 32), max(h // 8, 32)))
    return imagehash.phash(im)


def main():
    d = sys.argv[1]
    files = sorted(os.path.join(d, f) for f in os.listdir(d))
    for name, fn in (("imagehash", plain), ("imagehash+draft", draft)):
        t = time.perf_counter()
        for f in files:
            fn(f)
        secs = time.perf_counter() - t
        print(f"{name}: {len(files)} pictures in {secs:.2f} s: {len(files) / secs:.1f} pictures/s", file=sys.stderr)
        print(f"RATE {name} {len(files) / secs:.2f}")


if __name__ == "__main__":
    main()
