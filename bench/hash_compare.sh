#!/usr/bin/env bash
# Hashing throughput: exposure-audit against Python imagehash (plain and with
# PIL draft mode) and the libjpeg-turbo decode floor (djpeg -scale 1/8
# -grayscale), on the same folder of photographs, in the same run, one core.
# Installs its Python peers with pip; djpeg is used when present.
#
#   bash bench/hash_compare.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-40}"
out=bench/out
photos="$out/photos"
mkdir -p "$out"

python3 -m pip install --quiet --disable-pip-version-check pillow imagehash >/dev/null
if ! command -v djpeg >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -qq libjpeg-turbo-progs >/dev/null 2>&1 || true)
fi
[ -d "$photos" ] && [ "$(ls "$photos" | wc -l)" = "$count" ] || { rm -rf "$photos"; python3 bench/make_photos.py "$photos" "$count"; }
cargo build --quiet --release --example hash_folder

ours1=$(taskset -c 0 target/release/examples/hash_folder "$photos" 1 | awk '/^RATE/ {print $2}')
full1=$(taskset -c 0 target/release/examples/hash_folder "$photos" 1 --full | awk '/^RATE/ {print $2}')
cores=$(nproc)
oursn=$(target/release/examples/hash_folder "$photos" "$cores" | awk '/^RATE/ {print $2}')
peers=$(taskset -c 0 python3 bench/imagehash_peer.py "$photos")
plain=$(echo "$peers" | awk '$2=="imagehash" {print $3}')
draft=$(echo "$peers" | awk '$2=="imagehash+draft" {print $3}')
floor=""
if command -v djpeg >/dev/null 2>&1; then
  jpgs=$(ls "$photos"/*.jpg | wc -l)
  start=$(date +%s.%N)
  for f in "$photos"/*.jpg; do taskset -c 0 djpeg -scale 1/8 -grayscale "$f" >/dev/null; done
  end=$(date +%s.%N)
  floor=$(python3 -c "print(f'{$jpgs / ($end - $start):.2f}')")
  # Our rate on the same JPEG-only subset, for a fair floor comparison.
  mkdir -p "$out/jpegs" && cp -f "$photos"/*.jpg "$out/jpegs/"
  oursj=$(taskset -c 0 target/release/examples/hash_folder "$out/jpegs" 1 | awk '/^RATE/ {print $2}')
  peersj=$(taskset -c 0 python3 bench/imagehash_peer.py "$out/jpegs")
  plainj=$(echo "$peersj" | awk '$2=="imagehash" {print $3}')
  draftj=$(echo "$peersj" | awk '$2=="imagehash+draft" {print $3}')
fi

echo
echo "pictures: $count ($(ls "$photos" | sed 's/.*\.//' | sort | uniq -c | tr '\n' ' '))"
printf "%-34s %10s\n" "tool" "pictures/s"
printf "%-34s %10s\n" "exposure-audit pHash, 1 core" "$ours1"
printf "%-34s %10s\n" "  full analysis (+faces), 1 core" "$full1"
printf "%-34s %10s\n" "exposure-audit pHash, $cores cores" "$oursn"
printf "%-34s %10s\n" "imagehash.phash, 1 core" "$plain"
printf "%-34s %10s\n" "imagehash + PIL draft, 1 core" "$draft"
if [ -n "$floor" ]; then
  printf "%-34s %10s\n" "djpeg -scale 1/8 -grayscale (JPEG)" "$floor"
  printf "%-34s %10s\n" "exposure-audit on the same JPEGs" "$oursj"
  printf "%-34s %10s\n" "imagehash on the same JPEGs" "$plainj"
  printf "%-34s %10s\n" "imagehash + draft, same JPEGs" "$draftj"
fi
python3 - "$ours1" "$plain" "$draft" "$floor" "${oursj:-}" "${plainj:-}" "${draftj:-}" <<'PY'
import sys
ours, plain, draft, floor, oursj, plainj, draftj = sys.argv[1:8]
ours, plain, draft = float(ours), float(plain), float(draft)
print(f"ratio vs imagehash:        {ours / plain:.2f}x")
print(f"ratio vs imagehash+draft:  {ours / draft:.2f}x")
if floor:
    oursj = float(oursj)
    print(f"JPEG only: vs imagehash {oursj / float(plainj):.2f}x, "
          f"vs imagehash+draft {oursj / float(draftj):.2f}x, "
          f"vs djpeg 1/8 floor {oursj / float(floor):.2f}x")
PY
