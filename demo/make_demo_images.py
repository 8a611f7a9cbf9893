#!/usr/bin/env python3
"""Builds the demo site's pictures from the shared fixtures (public domain and
CC0 photographs, see tests/fixtures/README.md). Run once; the output is
committed so `exposure-audit demo` needs no Python.

  pip install pillow piexif && python3 demo/make_demo_images.py

Each picture is made the way a school website makes them: an original from
the camera (with GPS and the photographer in its EXIF), WordPress-style
resized copies without metadata, and a recompressed re-upload elsewhere.
"""
import os
import piexif
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "tests", "fixtures", "images")
SITE = os.path.join(HERE, "site")
UP = os.path.join(SITE, "wp-content", "uploads", "2026", "06")


def dms(value):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60 * 100)
    return ((d, 1), (m, 1), (s, 100))


def exif(lat, lon, artist, description):
    return piexif.dump({
        "0th": {
            piexif.ImageIFD.Artist: artist.encode(),
            piexif.ImageIFD.ImageDescription: description.encode(),
            piexif.ImageIFD.Make: b"Canon",
            piexif.ImageIFD.Model: b"EOS 250D",
        },
        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2026:06:19 10:31:02"},
        "GPS": {
            piexif.GPSIFD.GPSLatitudeRef: b"N" if lat >= 0 else b"S",
            piexif.GPSIFD.GPSLatitude: dms(lat),
            piexif.GPSIFD.GPSLongitudeRef: b"E" if lon >= 0 else b"W",
            piexif.GPSIFD.GPSLongitude: dms(lon),
        },
    })


def load(name):
    return Image.open(os.path.join(SRC, name)).convert("RGB")


def wp_sizes(img, stem, folder, original_exif=None):
    """Original (with EXIF) plus WordPress's 1024, 300 and 150 sizes."""
    os.makedirs(folder, exist_ok=True)
    kw = {"quality": 88}
    if original_exif:
        kw["exif"] = original_exif
    img.save(os.path.join(folder, f"{stem}.jpg"), **kw)
    w, h = img.size
    for target in (1024, 300):
        if w > target:
            r = img.resize((target, round(h * target / w)), Image.LANCZOS)
            r.save(os.path.join(folder, f"{stem}-{r.size[0]}x{r.size[1]}.jpg"), quality=82)
    t = img.copy()
    side = min(w, h)
    t = t.crop(((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)).resize((150, 150), Image.LANCZOS)
    t.save(os.path.join(folder, f"{stem}-150x150.jpg"), quality=82)


def main():
    # Sports day: a portrait with GPS in the original, as phones and cameras write it.
    hopper = load("grace_hopper.jpg")
    hopper = hopper.resize((hopper.width * 2, hopper.height * 2), Image.LANCZOS)
    wp_sizes(hopper, "sports-day-relay", UP, exif(51.501476, -0.140634, "Mr D. Brown", "Sports day relay"))
    # Choir: a portrait, with no metadata.
    astro = load("astronaut.png")
    wp_sizes(astro, "choir-concert", UP)
    os.makedirs(os.path.join(SITE, "images"), exist_ok=True)
    astro.resize((400, 400), Image.LANCZOS).save(os.path.join(SITE, "images", "choir-concert.webp"), lossless=False, quality=80)
    # Photography club: only in the uploads folder and the media API, never linked from a page.
    camera = load("camera.png")
    wp_sizes(camera, "photography-club", UP)
    # School cat and the science trip: pictures without people.
    load("chelsea.png").save(os.path.join(SITE, "images", "school-cat.jpg"), quality=85)
    rocket = load("rocket.jpg")
    rocket.save(os.path.join(SITE, "images", "science-trip-rocket.jpg"), quality=85)
    # Hero banner used as a CSS background, and the logo-like og:image.
    load("hubble_deep_field.jpg").resize((1200, 400), Image.LANCZOS).save(os.path.join(SITE, "images", "hero.jpg"), quality=80)
    load("coffee.png").resize((300, 200), Image.LANCZOS).save(os.path.join(SITE, "images", "staff-room.png"))
    # A re-upload of the sports-day photo by the PTA: smaller, recompressed, no metadata.
    os.makedirs(os.path.join(SITE, "pta"), exist_ok=True)
    hopper.resize((700, round(hopper.height * 700 / hopper.width)), Image.LANCZOS).save(
        os.path.join(SITE, "pta", "relay-team-photo.jpg"), quality=60)


if __name__ == "__main__":
    main()
