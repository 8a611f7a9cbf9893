#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 600 s each), seeded
# with the repository's fixtures, and keeps what it finds.
#
#   bash fuzz/run.sh            # every target, 600 s each
#   bash fuzz/run.sh 60 robots  # one target, 60 s
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The toolchain here is
# stable, so the script sets RUSTC_BOOTSTRAP=1 for the sanitizer flags
# cargo-fuzz passes. A crash leaves its input in fuzz/artifacts/<target>/;
# copy it to fuzz/regressions/<target>/ and `cargo test --test it
# fuzz_regressions` replays every kept input.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(html_extract sitemap listing robots metadata config feeds_and_apis pdf office)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1

seed() {
  local t="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$t" in
    html_extract|listing) cp ../demo/site/*.html "$dir"/ 2>/dev/null || true
                          find ../demo/site -name '*.html' -exec cp {} "$dir"/ \; ;;
    metadata) cp ../tests/fixtures/images/* "$dir"/ ;;
    config) cp ../config/exposure-audit.toml "$dir"/ ;;
    robots) printf 'User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\nSitemap: /sitemap.xml\n' > "$dir/robots.txt" ;;
    sitemap) printf '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"><url><loc>https://school.example/a</loc><image:image><image:loc>https://school.example/a.jpg</image:loc></image:image></url></urlset>' > "$dir/s.xml" ;;
    feeds_and_apis) find ../demo/site -name '*.xml' -exec cp {} "$dir"/ \; ;;
    pdf) cp ../tests/fixtures/documents/*.pdf ../tests/fixtures/documents/hostile/*.pdf "$dir"/ ;;
    office) cp ../tests/fixtures/documents/*.{docx,pptx,odt,odp} "$dir"/ ;;
  esac
  if [ -d "regressions/$t" ]; then cp regressions/"$t"/* "$dir"/ 2>/dev/null || true; fi
}

for t in "${targets[@]}"; do
  seed "$t"
  echo "== $t for ${secs}s"
  cargo fuzz run --sanitizer none --release "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=262144 -timeout=20 2>&1 | tail -n 4
done
