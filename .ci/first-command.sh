#!/usr/bin/env bash
# The README's first command, as a new user runs it: in a fresh copy of the repository, run the
# quick start's first command verbatim (install what is missing, configure, build what it runs,
# start the server on 127.0.0.1:8000), then check that the server answers /health and that /docs
# renders the API in headless Chromium from the assets that command built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
copy=$root/build-first/repo
rm -rf "$root/build-first"
mkdir -p "$copy"
git ls-files -z | xargs -0 cp --parents -t "$copy"

# The first ```sh block after "## Quick start".
cmd=$(awk '/^## Quick start/{q=1} q && /^```sh/{getline; print; exit}' README.md)
[ -n "$cmd" ] || { echo "first-command: no command found in README.md" >&2; exit 1; }
echo "first-command: $cmd"
if curl -s -o /dev/null --max-time 2 http://127.0.0.1:8000/health; then
  echo "first-command: something already listens on 127.0.0.1:8000" >&2
  exit 1
fi

log=$root/build-first/run.log
(cd "$copy" && exec setsid bash -c "$cmd") >"$log" 2>&1 &
pid=$!
cleanup() { kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT

# Building takes minutes; the server answers once it is up.
for _ in $(seq 1800); do
  curl -sf -o /dev/null --max-time 2 http://127.0.0.1:8000/health && break
  kill -0 "$pid" 2>/dev/null || { echo "first-command: the command stopped:" >&2; tail -40 "$log" >&2; exit 1; }
  sleep 1
done
curl -sf http://127.0.0.1:8000/health
echo
# The pages' files came from the build, not a "files missing" page.
code=$(curl -s -o "$root/build-first/docs.html" -w '%{http_code}' http://127.0.0.1:8000/docs)
[ "$code" = 200 ] || { echo "first-command: /docs answered $code" >&2; cat "$root/build-first/docs.html" >&2; exit 1; }
for f in swagger-ui-bundle.js swagger-ui.css; do
  curl -sf -o /dev/null "http://127.0.0.1:8000/docs/assets/$f" ||
    { echo "first-command: /docs/assets/$f is missing" >&2; exit 1; }
done
code=$(curl -s -o "$root/build-first/ui.html" -w '%{http_code}' http://127.0.0.1:8000/ui)
[ "$code" = 200 ] || { echo "first-command: /ui answered $code" >&2; cat "$root/build-first/ui.html" >&2; exit 1; }
profile=$(mktemp -d)
dom=$(chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage \
  --user-data-dir="$profile" --virtual-time-budget=15000 --dump-dom http://127.0.0.1:8000/docs 2>/dev/null)
rm -rf "$profile"
grep -q 'class="swagger-ui' <<<"$dom" || { echo "first-command: Swagger UI did not render" >&2; exit 1; }
grep -q '/api/v1/vms' <<<"$dom" || { echo "first-command: /docs does not list the VM routes" >&2; exit 1; }
echo "first-command: /docs renders the API"
