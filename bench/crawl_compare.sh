#!/usr/bin/env bash
# Crawl throughput and memory: exposure-audit against a Scrapy spider doing
# the same extraction and fetching the same pictures, on a generated static
# site served by nginx on 127.0.0.1, no politeness delay, same concurrency,
# in the same run; then the same site audited again, unchanged (the weekly
# case). Installs nginx (Debian) and Scrapy (pip) when missing.
#
#   bash bench/crawl_compare.sh [PAGES...]     # default: 2000 20000
#   OURS_ONLY=1 bash bench/crawl_compare.sh 100000   # memory growth, no Scrapy
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(2000 20000)
out=$(pwd)/bench/out/crawl
mkdir -p "$out"
if ! command -v nginx >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -q nginx-light >/dev/null 2>&1 || $SUDO apt-get install -y -q nginx >/dev/null
fi
python3 -m pip install -q scrapy pillow
cargo build --quiet --release
concurrency=8
port=8089
for pages in "${sizes[@]}"; do
  site="$out/site-$pages"
  [ -f "$site/p/$((pages - 1)).html" ] || python3 bench/make_site.py "$site" "$pages"
  conf="$out/nginx-$pages.conf"
  cat > "$conf" <<NGINX
worker_processes 1;
daemon off;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  types { text/html html; image/jpeg jpg; }
  server { listen 127.0.0.1:$port; root $site; location / { try_files \$uri \$uri/index.html =404; } }
}
NGINX
  nginx -c "$conf" -p "$out" &
  nginx_pid=$!
  sleep 1
  cfg="$out/audit-$pages.toml"
  cat > "$cfg" <<TOML
[storage]
database = "$out/audit-$pages.db"
[crawl]
per_host_delay_ms = 0
concurrency = $concurrency
max_pages = $((pages + 10))
max_images = $((2 * pages + 10))
max_depth = 1000
[[sources]]
kind = "website"
name = "Bench"
start_urls = ["http://127.0.0.1:$port/"]
TOML
  rm -f "$out/audit-$pages.db"*
  /usr/bin/time -f "%M" -o "$out/rss-ours" target/release/exposure-audit audit --config "$cfg" > "$out/ours.txt" 2>/dev/null || true
  # The weekly case: the same site audited again, unchanged (conditional
  # requests, stored analyses, compared with the first run).
  /usr/bin/time -f "%M" -o "$out/rss-again" target/release/exposure-audit audit --config "$cfg" > "$out/again.txt" 2>/dev/null || true
  if [ -z "${OURS_ONLY:-}" ]; then
    /usr/bin/time -f "%M" -o "$out/rss-peer" python3 bench/scrapy_peer.py "http://127.0.0.1:$port/" $concurrency > "$out/peer.txt" 2>/dev/null || true
  fi
  kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true
  echo "== $pages pages, $((2 * pages)) pictures, $concurrency requests in flight"
  echo "exposure-audit: $(grep '^Run ' "$out/ours.txt") peak $(( $(tail -n 1 "$out/rss-ours") / 1024 )) MiB"
  echo "  audited again: $(grep '^Run ' "$out/again.txt") peak $(( $(tail -n 1 "$out/rss-again") / 1024 )) MiB"
  if [ -z "${OURS_ONLY:-}" ]; then
    echo "scrapy:         $(grep '^SCRAPY' "$out/peer.txt") peak $(( $(tail -n 1 "$out/rss-peer") / 1024 )) MiB"
  fi
done
