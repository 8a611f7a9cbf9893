#!/usr/bin/env bash
# Scale benchmarks, each stage in its own process so its peak memory is its
# own: hashing and extraction throughput, grouping 10,000 to 1,000,000
# hashes, storing 300,000 sightings (about 100,000 exposures) and writing
# the JSON, HTML and CSV reports of that run.
#
#   bash bench/scale.sh            # all stages
#   bash bench/scale.sh quick      # without the 1,000,000-hash stage
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet --bench scale --no-run
run() { taskset -c 0 cargo bench --quiet --bench scale -- "$@" 2>&1 | grep -E '^(hash|extract|group|store|report)'; }
run hash
run extract
run group 10000
run group 100000
[ "${1:-}" = quick ] || run group 1000000
run store 300000
