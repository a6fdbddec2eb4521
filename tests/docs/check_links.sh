#!/usr/bin/env bash
# Checks the relative links of the repository's Markdown files.
#
#   bash tests/docs/check_links.sh [ROOT]      (ROOT: the repository, default this script's)
#
# Scans every git-tracked *.md file of ROOT (every *.md file outside .git, build* and
# node_modules when ROOT is not the top of a git checkout) for inline links and images
# `[text](target)`, reference definitions `[id]: target` and HTML href/src attributes, outside
# fenced code blocks and code spans. Links with a scheme (https:, mailto:, ...) and pure #anchors
# are skipped; a relative target loses its #fragment and ?query, is percent-decoded and resolved
# against the Markdown file's directory. It fails when the target is an absolute path or a
# file: URL, lies outside ROOT, does not exist, or (in a git checkout) exists but is ignored by
# git, so that a fresh clone would not have it. Each failure is printed as `file:line: target:
# why`; the exit status is 1 when there is one, 2 on a usage error, 0 otherwise.
set -euo pipefail

if [ $# -gt 1 ]; then
  echo "usage: $0 [ROOT]" >&2
  exit 2
fi
root=${1:-"$(dirname "${BASH_SOURCE[0]}")/../.."}
[ -d "$root" ] || { echo "check_links.sh: $root is not a directory" >&2; exit 2; }
root=$(cd "$root" && pwd -P)
cd "$root"

known=$(mktemp)
trap 'rm -f "$known"' EXIT

top=$(git rev-parse --show-toplevel 2>/dev/null || true)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$root" ]; then
  mode=git
  mapfile -t files < <(git ls-files -- '*.md')
  # What a fresh checkout would have: tracked files, and new ones that are not ignored.
  git ls-files --cached --others --exclude-standard >"$known"
else
  mode=find
  mapfile -t files < <(find . \( -path ./.git -o -path './build*' -o -name node_modules \) -prune \
                         -o -type f -name '*.md' -print | sed 's|^\./||' | LC_ALL=C sort)
fi

# Prints "LINE<TAB>TARGET" for each link of the Markdown file on stdin.
extract_links() {
  awk '
    function emit(t) {
      sub(/^[ \t]+/, "", t)
      if (substr(t, 1, 1) == "<") {
        t = substr(t, 2)
        sub(/>.*/, "", t)
      } else {
        sub(/[ \t].*/, "", t)  # drop a title: (target "title")
      }
      if (t != "") print FNR "\t" t
    }
    /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    /^[ \t]*$/ { spanning = 0; next }  # a code span ends with its paragraph
    {
      line = $0
      if (spanning) {  # inside a code span that began on an earlier line
        if (!index(line, "`")) next
        line = substr(line, index(line, "`") + 1)
        spanning = 0
      }
      gsub(/`[^`]*`/, "", line)  # code spans
      if (index(line, "`")) {  # one that goes on on the next line
        line = substr(line, 1, index(line, "`") - 1)
        spanning = 1
      }
      if (match(line, /^[ ]*\[[^]]+\]:[ \t]*[^ \t]/)) {  # reference definition
        def = line
        sub(/^[ ]*\[[^]]+\]:/, "", def)
        emit(def)
      }
      rest = line
      while (match(rest, /\]\([^)]*\)/)) {  # [text](target) and ![alt](target)
        emit(substr(rest, RSTART + 2, RLENGTH - 3))
        rest = substr(rest, RSTART + RLENGTH)
      }
      rest = line
      while (match(rest, /(href|src)="[^"]*"/)) {  # HTML
        value = substr(rest, RSTART, RLENGTH - 1)
        sub(/^[a-z]+="/, "", value)
        emit(value)
        rest = substr(rest, RSTART + RLENGTH)
      }
    }'
}

# in_checkout PATH: PATH (relative to the root) is a known file, or a directory holding one.
in_checkout() {
  [ "$mode" = find ] && return 0
  [ -z "$1" ] && return 0
  grep -qxF -- "$1" "$known" && return 0
  [ -d "$1" ] && awk -v dir="$1/" 'index($0, dir) == 1 { found = 1; exit } END { exit !found }' "$known"
}

links=0 broken=0
for file in "${files[@]}"; do
  [ -f "$file" ] || continue  # tracked but deleted in the working tree
  dir=$(dirname "$file")
  while IFS=$'\t' read -r line target; do
    links=$((links + 1))
    why=""
    case "$target" in
      '#'*) continue ;;
      [Ff][Ii][Ll][Ee]:*) why="a file: URL points outside the repository" ;;
      [A-Za-z]*:*)
        scheme=${target%%:*}
        if [[ $scheme =~ ^[A-Za-z][A-Za-z0-9+.-]*$ ]]; then continue; fi ;;
    esac
    if [ -z "$why" ]; then
      path=${target%%#*}
      path=${path%%\?*}
      path=$(printf '%b' "${path//%/\\x}")  # percent-decoding
      if [ -z "$path" ]; then
        continue  # "?query" or "#anchor" of this very file
      elif [ "${path:0:1}" = / ]; then
        why="an absolute path points outside the repository"
      else
        full=$(realpath -m -s -- "$dir/$path")
        if [ "$full" != "$root" ] && [ "${full#"$root"/}" = "$full" ]; then
          why="points outside the repository"
        else
          rel=${full#"$root"}
          rel=${rel#/}
          if [ ! -e "$full" ]; then
            why="no such file in the repository"
          elif ! in_checkout "$rel"; then
            why="ignored by git: a fresh checkout does not have it"
          fi
        fi
      fi
    fi
    if [ -n "$why" ]; then
      echo "$file:$line: $target: $why"
      broken=$((broken + 1))
    fi
  done < <(extract_links <"$file")
done

if [ "$broken" -gt 0 ]; then
  echo "check_links.sh: $broken broken link(s) among $links in ${#files[@]} Markdown file(s)" >&2
  exit 1
fi
echo "check_links.sh: $links links in ${#files[@]} Markdown file(s), none broken"
