#!/usr/bin/env bash
# Installs what building and testing mockcloud needs on Debian 12 (run as root).
# Skips apt entirely when everything is already there.
set -euo pipefail
packages=(
  g++ cmake make ccache
  libboost1.81-dev libboost-json1.81-dev libfmt-dev doctest-dev libsqlite3-dev
  curl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
