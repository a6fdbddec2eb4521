#!/usr/bin/env bash
# Issue 14: the Debian package, end to end, on Debian 12 as root. Builds build-deb (Release,
# prefix /usr, Debian's hardening flags), makes mockcloud_<version>_<arch>.deb with CPack, lints it
# (errors and warnings not overridden in packaging/lintian-overrides fail), installs it with apt,
# runs the installed server as the service would (systemd does not run in CI), builds the
# find_package consumer of tests/packaging/ against /usr, then reinstalls, removes (settings and
# state stay) and purges the package (nothing of it is left). Runnable from a clean checkout, and
# again: a package installed before is purged first.
#
#   .ci/deb.sh
# Parallel jobs: JOBS (default 2); build directory: BUILD_DIR (default build-deb).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DEBIAN_FRONTEND=noninteractive
jobs=${JOBS:-2}
build=${BUILD_DIR:-build-deb}
begin=$SECONDS

step() {  # step NAME COMMAND...: echoes, runs and times a step
  local name=$1 start=$SECONDS
  shift
  echo "======== deb: $name"
  echo "+ $*"
  "$@"
  echo "======== deb: $name: $((SECONDS - start)) s (total $((SECONDS - begin)) s)"
}
fail() {
  echo "deb: FAILED: $*" >&2
  exit 1
}
installed() {  # installed PACKAGE: is it installed (not just configured-files)?
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# ---- what the build and the package need ----
install_tools() {
  bash cmake/install-deps.sh
  # help2man: the man page; lintian; dpkg-dev: dpkg-shlibdeps and dpkg-buildflags; file: CPack's
  # shlibdeps; npm: the /docs assets; curl: the checks below.
  local missing=() p
  for p in help2man lintian dpkg-dev fakeroot file curl ninja-build npm; do
    if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi  # NodeSource's nodejs
    installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}
step "install tools" install_tools

# A previous run's package (or a hand-installed one): gone first, so the install below is a first
# install (postinst creates the user and the state directory) of exactly this build.
if installed mockcloud || dpkg-query -W -f='${Status}' mockcloud 2>/dev/null | grep -q "config-files"; then
  step "purge the installed mockcloud" apt-get purge -y mockcloud
fi

# ---- build and package ----
# Debian's build flags (hardening: fortify, stack protector, relro, bindnow; file-prefix-map),
# without -g: the package ships no debug information.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
export DEB_CXXFLAGS_MAINT_STRIP="-g -O2"
CXXFLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CXXFLAGS LDFLAGS
# The man page's date: the last commit's (reproducible builds).
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct)
  export SOURCE_DATE_EPOCH
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ -f $build/CMakeCache.txt ]] && ! grep -q "CMAKE_GENERATOR:INTERNAL=${generator[1]:-Unix Makefiles}\$" "$build/CMakeCache.txt"; then
  rm -rf "$build"  # another generator's tree
fi
step "configure" cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX=/usr -DMOCKCLOUD_BUILD_TESTS=OFF -DMOCKCLOUD_BUILD_BENCH=OFF \
  -DMOCKCLOUD_BUILD_EXAMPLES=OFF -DMOCKCLOUD_ASSETS_FROM_BUILD_TREE=OFF \
  "-DCMAKE_CXX_FLAGS=$CXXFLAGS" "-DCMAKE_EXE_LINKER_FLAGS=$LDFLAGS"
step "build" cmake --build "$build" --parallel "$jobs"
rm -f "$build"/mockcloud_*.deb
step "cpack" cpack -G DEB --config "$build/CPackConfig.cmake" -B "$build"
debs=("$build"/mockcloud_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || fail "expected one mockcloud_*.deb in $build, found: ${debs[*]}"
deb=$root/${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "deb: $deb (version $version)"
step "package: control" dpkg-deb --info "$deb"
step "package: contents" dpkg-deb --contents "$deb"

# ---- lintian: errors and warnings fail, unless packaging/lintian-overrides explains them ----
# (lintian reads the overrides from the package itself.) Info tags are shown, not fatal.
step "lintian" lintian --fail-on error,warning --display-info --show-overrides \
  --no-tag-display-limit "$deb"

# ---- install ----
step "install" apt-get install -y "$deb"
installed mockcloud || fail "dpkg does not report mockcloud installed"
# (The man page is checked in the package: slim images tell dpkg not to install /usr/share/man.)
for f in /usr/bin/mockcloud-server \
  /usr/include/mockcloud/mockcloud.hpp /usr/share/mockcloud/assets/swagger-ui-bundle.js \
  /lib/systemd/system/mockcloud.service /etc/default/mockcloud \
  /usr/share/doc/mockcloud/copyright /usr/share/doc/mockcloud/changelog.gz; do
  [[ -f $f ]] || fail "$f is not installed"
done
compgen -G "/usr/lib/*/libmockcloud.a" >/dev/null || compgen -G /usr/lib/libmockcloud.a >/dev/null \
  || fail "libmockcloud.a is not installed"
getent passwd mockcloud >/dev/null || fail "postinst did not create the user mockcloud"
[[ $(stat -c %U:%G:%a /var/lib/mockcloud) == mockcloud:mockcloud:750 ]] \
  || fail "/var/lib/mockcloud is $(stat -c %U:%G:%a /var/lib/mockcloud), not mockcloud:mockcloud:750"
step "mockcloud-server --version" /usr/bin/mockcloud-server --version
[[ $(/usr/bin/mockcloud-server --version) == "mockcloud-server ${version%%-*}" ]] \
  || fail "--version does not print mockcloud-server ${version%%-*}"
man_page() {  # the package's man page: a NAME line, and no message from man (groff) if it is here
  local page=./usr/share/man/man1/mockcloud-server.1.gz out
  dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "$page" | zcat >"$root/$build/mockcloud-server.1"
  grep -A1 '^\.SH NAME' "$root/$build/mockcloud-server.1" | grep -q '^mockcloud-server \\- ' \
    || fail "the man page has no proper NAME line"
  grep -A1 '^\.SH NAME' "$root/$build/mockcloud-server.1"
  if command -v man >/dev/null; then
    out=$(MANWIDTH=80 man -l "$root/$build/mockcloud-server.1" 2>&1 >/dev/null) || fail "man: $out"
    [[ -z $out ]] || fail "man: $out"
  fi
}
step "man page" man_page

verify_unit() {  # systemd-analyze verify exits 0 on unknown keys and bad values: any output fails
  local out
  out=$(systemd-analyze verify /lib/systemd/system/mockcloud.service 2>&1) \
    || fail "systemd-analyze verify: $out"
  [[ -z $out ]] || fail "systemd-analyze verify: $out"
  echo "the unit verifies without a message"
}
if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify" verify_unit
else
  echo "deb: systemd-analyze not found: the unit is not verified"
fi

# ---- the installed server, run as the unit runs it: its user, its environment file, its
# ExecStart (plus --port 0: a free port, printed at start) ----
port=
start_service() {  # sets server_pid and port
  local exec_start env_vars log=$root/$build/service.log i
  exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/mockcloud.service)
  [[ -n $exec_start ]] || fail "no ExecStart in the unit"
  # systemd's environment file syntax, for the lines used here: VAR=value, # comments.
  mapfile -t env_vars < <(grep -Ev '^[[:space:]]*(#|$)' /etc/default/mockcloud || true)
  echo "+ setpriv (user mockcloud) env -i ${env_vars[*]} $exec_start --port 0"
  # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does here
  setpriv --reuid=mockcloud --regid=mockcloud --init-groups --no-new-privs -- \
    env -i PATH=/usr/bin:/bin HOME=/var/lib/mockcloud LANG=C.UTF-8 "${env_vars[@]}" \
    $exec_start --port 0 >"$log" 2>&1 &
  server_pid=$!
  port=
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's|^mockcloud-server listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log")
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the server exited at start"; }
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$log"; fail "the server did not print its address"; }
  head -1 "$log"
}
stop_service() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "the server did not stop cleanly on SIGTERM"
  server_pid=
  tail -1 "$root/$build/service.log"
}
expect() {  # expect STATUS METHOD PATH [curl args...]: the body goes to $build/body
  local want=$1 method=$2 path=$3 status
  shift 3
  status=$(curl -sS -o "$root/$build/body" -w '%{http_code}' -X "$method" \
    "http://127.0.0.1:$port$path" "$@")
  echo "$method $path: $status"
  [[ $status == "$want" ]] || { head -c 2000 "$root/$build/body"; echo; fail "$method $path: $status, not $want"; }
}
run_service() {
  start_service
  expect 200 GET /health
  expect 200 GET /docs
  ! grep -q "asset files are missing" "$root/$build/body" || fail "/docs is the assets-missing page"
  for a in swagger-ui.css swagger-ui-bundle.js redoc.standalone.js; do
    expect 200 GET "/docs/assets/$a"
  done
  expect 200 GET /redoc
  expect 200 GET /ui
  for a in ui.js api.js timeline.js ui.css htm-preact-standalone.module.js uPlot.iife.min.js uPlot.min.css; do
    expect 200 GET "/ui/assets/$a"
  done
  expect 201 POST /api/v1/environments/ -H 'Content-Type: application/json' -d '{"name": "deb-check"}'
  stop_service
  [[ $(stat -c %U /var/lib/mockcloud/mockcloud.db) == mockcloud ]] \
    || fail "/var/lib/mockcloud/mockcloud.db is not the mockcloud user's"
  # The state survives a restart.
  start_service
  expect 200 GET /api/v1/environments/
  grep -q '"deb-check"' "$root/$build/body" || fail "the environment did not survive a restart"
  stop_service
}
step "run the installed server as the service" run_service

# ---- a find_package(mockcloud) consumer of the installed library ----
consumer() {
  local dir=$root/$build/find-package-test found
  rm -rf "$dir"
  # Its own flags, not the package build's.
  env -u CXXFLAGS -u LDFLAGS cmake -S tests/packaging/find-package-test -B "$dir" \
    "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=/usr \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  found=$(sed -n 's/^mockcloud_DIR:PATH=//p' "$dir/CMakeCache.txt")
  [[ $found == /usr/lib/* ]] || fail "find_package found mockcloud in '$found', not in /usr/lib"
  cmake --build "$dir" --parallel "$jobs"
  "$dir/find-package-test"
}
step "find_package(mockcloud) consumer" consumer

# ---- reinstall (the upgrade path of the maintainer scripts), remove, purge ----
step "reinstall" apt-get install -y --reinstall "$deb"
[[ -f /var/lib/mockcloud/mockcloud.db ]] || fail "the reinstall lost /var/lib/mockcloud"
step "remove" apt-get remove -y mockcloud
[[ ! -e /usr/bin/mockcloud-server ]] || fail "/usr/bin/mockcloud-server is still there after remove"
for f in /etc/default/mockcloud /var/lib/mockcloud/mockcloud.db; do
  [[ -e $f ]] || fail "remove (not purge) deleted $f"
done
dpkg-query -W -f='${Status}' mockcloud | grep -q "config-files" \
  || fail "dpkg: $(dpkg-query -W -f='${Status}' mockcloud), not config-files"
step "purge" apt-get purge -y mockcloud
for f in /usr/bin/mockcloud-server /usr/include/mockcloud /lib/systemd/system/mockcloud.service \
  /etc/default/mockcloud /usr/share/mockcloud /usr/share/doc/mockcloud /var/lib/mockcloud \
  /usr/share/man/man1/mockcloud-server.1.gz \
  /etc/systemd/system/multi-user.target.wants/mockcloud.service; do
  [[ ! -e $f && ! -L $f ]] || fail "$f is still there after the purge"
done
! compgen -G "/usr/lib/*/cmake/mockcloud" >/dev/null || fail "the CMake package is still there"
if dpkg-query -W -f='${Status}' mockcloud 2>/dev/null | grep -qv "not-installed"; then
  fail "dpkg still knows mockcloud: $(dpkg-query -W -f='${Status}' mockcloud)"
fi
echo "deb: purged; dpkg: $(dpkg-query -W -f='${Status}' mockcloud 2>&1 || true)"

echo "======== deb: passed in $((SECONDS - begin)) s"
