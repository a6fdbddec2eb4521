#!/usr/bin/env bash
# Installs what mockcloud needs on Debian 12 (run as root):
#   cmake/install-deps.sh          what building and running the server needs
#   cmake/install-deps.sh --test   that, and what the test suite needs
# Packages already installed are skipped; with nothing missing, apt is not touched.
set -euo pipefail

build_packages=(
  g++ cmake make ccache
  libboost1.81-dev libboost-json1.81-dev libfmt-dev doctest-dev libsqlite3-dev
)
# The test suite's own tools.
test_packages=(
  curl
  # examples/gtest_example.cpp (mockcloud/testing/gtest.hpp)
  libgtest-dev libgmock-dev
  # tests: the OpenAPI validators and the build's npm ci (web/), /docs in a browser, promtool
  nodejs npm chromium fonts-dejavu-core prometheus
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
