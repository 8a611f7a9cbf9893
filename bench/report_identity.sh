#!/usr/bin/env bash
# Reports before and after a restructure, field by field: runs one build of
# exposure-audit on the bundled demo site (two audits) and on a generated
# 300-page bench site (two audits), writes every report format, and masks
# only what must differ between two runs (times, durations, the port).
#
#   bash bench/report_identity.sh BINARY OUT_DIR
#   diff -r OUT_DIR_BEFORE OUT_DIR_AFTER     # no output: identical
set -euo pipefail
bin=$(realpath "$1"); out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"; mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# Times, durations and loopback ports differ from run to run. An apostrophe
# may be written as &#39; or as itself (both safe in text and in
# double-quoted attributes; the hand-written escaper used the first, maud
# the second): it is compared as itself. No other escape is touched.
mask() {
  sed -E -e "s/&#39;/'/g" -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?/TIME/g' \
         -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
         -e 's/[0-9]+(\.[0-9]+)? ?(ms|s)\b/DURATION/g'
}

# The demo, twice: new, then unchanged.
(cd "$work" && "$bin" demo --output demo >/dev/null 2>&1 && "$bin" demo --output demo >/dev/null 2>&1)
for f in report.json report.csv report.html; do mask < "$work/demo/$f" > "$out/demo-$f"; done

# The bench site, served by Python on a fixed port, audited twice.
site="$here/bench/out/identity-site"
[ -f "$site/p/299.html" ] || python3 "$here/bench/make_site.py" "$site" 300
port=8093
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server=$!
sleep 1
cat > "$work/bench.toml" <<TOML
[storage]
database = "$work/bench.db"
[crawl]
per_host_delay_ms = 0
concurrency = 4
[[sources]]
kind = "website"
name = "Bench"
start_urls = ["http://127.0.0.1:$port/"]
TOML
"$bin" audit --config "$work/bench.toml" >/dev/null 2>&1 || true
"$bin" audit --config "$work/bench.toml" >/dev/null 2>&1 || true
for fmt in json csv html; do
  "$bin" report --config "$work/bench.toml" --format "$fmt" --output "$work/bench.$fmt" >/dev/null 2>&1
  mask < "$work/bench.$fmt" > "$out/bench-report.$fmt"
done
ls -l "$out"
