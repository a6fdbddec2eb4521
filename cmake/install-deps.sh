#!/usr/bin/env bash
# Installs what mockcloud needs on Debian 12 (run as root):
#   cmake/install-deps.sh          what building and running the server (and its /docs pages) needs
#   cmake/install-deps.sh --test   that, and what the test suite needs
# Packages already installed are skipped; with nothing missing, apt is not touched.
set -euo pipefail

build_packages=(
  g++ cmake make ccache
  libboost1.81-dev libboost-json1.81-dev libfmt-dev doctest-dev libsqlite3-dev
  # the PostgreSQL store's client library (--database-url)
  libpq-dev
  # the build's npm ci (web/): the offline files of the /docs and /redoc pages
  nodejs npm
)
# The test suite's own tools.
test_packages=(
  curl
  # tests/pg: a PostgreSQL 15 of the tests' own (initdb, pg_ctl, psql)
  postgresql
  # tests: the OpenAPI validators, /docs in a browser, promtool
  chromium fonts-dejavu-core prometheus
  # tests: the Python client's pytest suite (python/), run with /usr/bin/python3
  python3-pytest python3-requests
  # examples/gtest_example.cpp (mockcloud/testing/gtest.hpp)
  libgtest-dev libgmock-dev
)

packages=("${build_packages[@]}")
case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  # A nodejs that bundles npm (NodeSource's) conflicts with Debian's npm package.
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
