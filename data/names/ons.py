#!/usr/bin/env python3
"""Rebuild first_names_ons.txt and first_names_ons_words.txt.

Source: the `ewbabynames` dataset of the ukbabynames package 0.3.0 (CC0;
github.com/mine-cetinkaya-rundel/ukbabynames, commit
199970dc97c49deabd0d8fba7e90704ffaadbd12, data/ewbabynames.rda): every first
name given to more than three babies a year in England and Wales, 1996-2020,
from the Office for National Statistics (Open Government Licence v3.0).

Kept: each name among the 1,000 most frequent of either sex in any of those
years (today's pupils, and their younger teachers), folded to lower case
without accents, as details.rs folds words. The names that are also
everyday lower-case words of British English (Debian's wbritish word list:
Poppy, Blossom, Hunter, Storm) go to first_names_ons_words.txt, which the
detector reads as ambiguous: a name there with a surname or a strong cue.
Places and days the list holds (Cairo, Milan, Sunday, Aston) are left out,
as are gods and figures a school's topic work names (Apollo, Odin).

    pip install rdata pandas            # and: apt-get install wbritish
    git -C /work/.mirror/mine-cetinkaya-rundel+ukbabynames/repo \\
        show 199970d:data/ewbabynames.rda > /tmp/ewbabynames.rda
    python3 data/names/ons.py /tmp/ewbabynames.rda
"""

import sys
import unicodedata
from pathlib import Path

import rdata

HERE = Path(__file__).parent
TOP = 1000
# Places, days, nations and topic-work figures among the frequent names.
LEFT_OUT = {
    "amman", "aston", "cairo", "havana", "indiana", "milan", "montana",
    "nile", "rome", "sahara", "vienna", "warwick", "henley", "zion",
    "sunday", "danish", "md", "apollo", "odin", "loki", "merlin",
    "persephone", "ptolemy", "cheyenne",
    # Blu Tack, in every classroom's blog.
    "blu",
}


def fold(word):
    return "".join(
        c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c)
    ).lower()


def main():
    frame = rdata.conversion.convert(rdata.parser.parse_file(sys.argv[1]))["ewbabynames"]
    names = {fold(n) for n in frame[frame["rank"] <= TOP]["name"]}
    names -= LEFT_OUT
    words = {
        w.strip()
        for w in open("/usr/share/dict/british-english", encoding="utf-8")
        if w.strip().islower()
    }
    head = (
        "# First names of England and Wales, 1996-2020: each among the {} most\n"
        "# frequent of either sex in some year. Built by data/names/ons.py from\n"
        "# ONS baby-names statistics (Open Government Licence v3.0) as packaged\n"
        "# in ukbabynames 0.3.0 (CC0). {}\n"
    )
    plain = sorted(n for n in names if n not in words)
    worded = sorted(n for n in names if n in words)
    (HERE / "first_names_ons.txt").write_text(
        head.format(TOP, "Not everyday words.") + "\n".join(plain) + "\n"
    )
    (HERE / "first_names_ons_words.txt").write_text(
        head.format(TOP, "Everyday words too: read as ambiguous.")
        + "\n".join(worded)
        + "\n"
    )
    print(f"{len(plain)} names, {len(worded)} that are also words")


if __name__ == "__main__":
    main()
