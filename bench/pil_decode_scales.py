"""How fast PIL's libjpeg-turbo decodes the JPEGs of a folder to grey at
each IDCT scale (Image.draft, then load; no hashing): the decode cost that
bench/hash_compare.sh's peers and exposure-audit share. One core:

    taskset -c 0 python3 bench/pil_decode_scales.py bench/out/jpegs
"""
import glob
import sys
import time

from PIL import Image

files = sorted(glob.glob(sys.argv[1] + "/*.jpg"))
for div in (1, 2, 4, 8):
    start = time.perf_counter()
    for f in files:
        im = Image.open(f)
        w, h = im.size
        im.draft("L", (w // div, h // div))
        im.load()
    secs = time.perf_counter() - start
    print(f"1/{div}: {len(files) / secs:.1f} pictures/s")
