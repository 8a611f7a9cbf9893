#!/usr/bin/env python3
"""Makes a folder of photograph-sized pictures (1 to 12 megapixels, mostly
JPEG, some PNG and WebP) from the repository's fixture photographs, for the
hashing benchmark. Upscaled with a little noise so JPEG entropy decoding
costs what it costs on a camera photo.

  python3 bench/make_photos.py OUT_DIR [COUNT]
"""
import os
import random
import sys

from PIL import Image, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "tests", "fixtures", "images")
SIZES_MP = [1, 2, 3, 4, 6, 8, 12]


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(7)
    sources = sorted(f for f in os.listdir(SRC) if f.endswith((".jpg", ".png")))
    noise_cache = {}
    for i in range(count):
        src = Image.open(os.path.join(SRC, sources[i % len(sources)])).convert("RGB")
        mp = SIZES_MP[i % len(SIZES_MP)]
        aspect = 4 / 3
        h = int((mp * 1_000_000 / aspect) ** 0.5)
        w = int(h * aspect)
        img = src.resize((w, h), Image.BICUBIC)
        key = (w, h)
        if key not in noise_cache:
            noise_cache[key] = Image.effect_noise((w, h), 24).convert("RGB")
        img = Image.blend(img, noise_cache[key], 0.12).filter(ImageFilter.SHARPEN)
        kind = "png" if i % 10 == 3 else "webp" if i % 10 == 7 else "jpg"
        path = os.path.join(out, f"photo-{i:03d}-{mp}mp.{kind}")
        if kind == "jpg":
            img.save(path, quality=rnd.choice([82, 88, 92]))
        elif kind == "webp":
            img.save(path, quality=85)
        else:
            img.save(path, optimize=False, compress_level=6)
    print(f"{count} pictures in {out}")


if __name__ == "__main__":
    main()
