#!/usr/bin/env bash
# Face detector quality on scikit-image's LFW subset (100 faces, 100
# non-faces): precision and recall per picture. Installs its Python side
# with pip.
#
#   bash bench/faces_lfw.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench/out/lfw}"
python3 -m pip install -q scikit-image pillow numpy
python3 bench/faces_lfw.py "$out"
cargo run -q --release --example faces_eval -- "$out"
