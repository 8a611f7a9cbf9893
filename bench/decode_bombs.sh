#!/usr/bin/env bash
# Peak memory of an audit of a page of four copies of each decode bomb in
# tests/fixtures/bombs (issue 16, item 2: a few hundred bytes declaring
# 10000 x 10000 pixels), run under the same `ulimit -v 2097152` as the
# hostile test, then of one page of all of them. Prints, per page: the
# audit's exit code (3 = partial, the expected end) and its peak resident
# memory. The pages are served by Python's http.server on 127.0.0.1.
#
#   bash bench/decode_bombs.sh                 # release build of this tree
#   BIN=path/to/exposure-audit bash bench/decode_bombs.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=target/release/exposure-audit
fi
out=bench/out/bombs
rm -rf "$out"
mkdir -p "$out/site"
bombs=(animated.webp interlaced16.png deflate.tiff canvas.gif rle8.bmp progressive.jpg)
all="<html><body>"
for b in "${bombs[@]}"; do
  page="<html><body>"
  for copy in 0 1 2 3; do
    # Four distinct files (a byte after the end), so each is decoded.
    { cat "tests/fixtures/bombs/$b"; printf "%d" "$copy"; } > "$out/site/$copy-$b"
    page+="<img src=\"/$copy-$b\">"
  done
  echo "$page</body></html>" > "$out/site/$b.html"
  all+="${page#<html><body>}"
done
echo "$all</body></html>" > "$out/site/all.html"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$out/site" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
  sleep 0.1
done

printf '%-22s %5s %10s\n' page exit "peak MiB"
for page in "${bombs[@]/%/.html}" all.html; do
  cfg="$out/$page.toml"
  cat > "$cfg" <<TOML
[storage]
database = "$out/$page.db"
[crawl]
per_host_delay_ms = 0
max_retries = 0
[[sources]]
kind = "website"
name = "Bombs"
start_urls = ["http://127.0.0.1:$port/$page"]
TOML
  set +e
  /usr/bin/time -f '%M' -o "$out/$page.time" \
    sh -c 'ulimit -v 2097152 && exec "$0" audit --config "$1"' "$BIN" "$cfg" >"$out/$page.log" 2>&1
  code=$?
  set -e
  kib=$(tail -n 1 "$out/$page.time")
  printf '%-22s %5s %10s\n' "$page" "$code" "$((kib / 1024))"
done
