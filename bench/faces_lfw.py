"""Writes a labelled set of pictures for the face detectors, and
labels.csv (file,faces):
- scikit-image's LFW subset (100 face crops and 100 non-face crops, 25 x 25
  pixels, from Labeled Faces in the Wild), each enlarged four times and set
  in a plain frame, as a face would sit in a picture;
- 30 "group photos": 2 to 9 of the LFW faces at 30 to 110 pixels on a
  photographic background (the fixture photographs without faces), the
  way a class photo or a crowd at a school event looks;
- the fixture photographs: three portraits and four pictures without faces.
Seeded, so every run writes the same set."""
import os
import sys

import numpy as np
from PIL import Image
from skimage import data

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
crops = data.lfw_subset()  # (200, 25, 25), floats 0..1; faces first
rows = []
for i, crop in enumerate(crops):
    face = i < 100
    grey = Image.fromarray((crop * 255).astype(np.uint8), "L").resize((100, 100), Image.BICUBIC)
    frame = Image.new("L", (200, 200), 128)
    frame.paste(grey, (50, 50))
    name = f"{'face' if face else 'other'}-{i:03d}.png"
    frame.save(os.path.join(out, name))
    rows.append(f"{name},{1 if face else 0}" + (",50:50:100" if face else ","))
rng = np.random.default_rng(7)
fixtures = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "images")
backgrounds = [Image.open(os.path.join(fixtures, n)).convert("L").resize((640, 427)) for n in
               ["coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "chelsea.png"]]
for g in range(30):
    canvas = backgrounds[g % len(backgrounds)].copy()
    k = int(rng.integers(2, 10))
    size = int(rng.integers(30, 111))
    cols = max(1, 600 // (size + 10))
    placed = 0
    boxes = []
    for j in range(k):
        r, c = divmod(j, cols)
        x, y = 20 + c * (size + 10), 20 + r * (size + 20)
        if y + size > 420:
            break
        crop = crops[int(rng.integers(0, 100))]
        face = Image.fromarray((crop * 255).astype(np.uint8), "L").resize((size, size), Image.BICUBIC)
        canvas.paste(face, (x, y))
        boxes.append(f"{x}:{y}:{size}")
        placed += 1
    name = f"group-{g:02d}.png"
    canvas.save(os.path.join(out, name))
    rows.append(f"{name},{placed}," + ";".join(boxes))
for n, faces in [("grace_hopper.jpg", 1), ("astronaut.png", 1), ("camera.png", 1), ("coffee.png", 0),
                 ("chelsea.png", 0), ("rocket.jpg", 0), ("hubble_deep_field.jpg", 0)]:
    im = Image.open(os.path.join(fixtures, n)).convert("L")
    im.thumbnail((640, 640))
    name = "fixture-" + n.rsplit(".", 1)[0] + ".png"
    im.save(os.path.join(out, name))
    rows.append(f"{name},{faces},")
with open(os.path.join(out, "labels.csv"), "w") as f:
    f.write("\n".join(rows) + "\n")
print(f"wrote {len(rows)} pictures to {out}")
