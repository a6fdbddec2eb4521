#!/usr/bin/env bash
# tests/pg/with-postgres.sh COMMAND...: runs COMMAND against a PostgreSQL of its own.
#
# Creates a cluster with Debian's PostgreSQL 15 (package postgresql) in a fresh temporary
# directory, as an unprivileged user (the `postgres` user of the package when run as root), starts
# it on a free port of 127.0.0.1 with its socket inside that directory and fsync on, creates a
# user and a database for the tests, exports
#   MOCKCLOUD_TEST_DATABASE_URL=postgresql://mockcloud:<password>@127.0.0.1:<port>/mockcloud
# (the user may create databases), runs COMMAND, then stops the cluster and removes the directory,
# whatever happens; exits with COMMAND's exit code. Also exported, for tests that stop PostgreSQL
# and start it again (on the same port and socket: the settings are in postgresql.conf):
#   MOCKCLOUD_TEST_PG_CTL    a command prefix running pg_ctl as the cluster's owner
#   MOCKCLOUD_TEST_PGDATA    the cluster's data directory
# e.g. $MOCKCLOUD_TEST_PG_CTL -D "$MOCKCLOUD_TEST_PGDATA" -m fast -w stop, then
#      $MOCKCLOUD_TEST_PG_CTL -D "$MOCKCLOUD_TEST_PGDATA" -l "$MOCKCLOUD_TEST_PGDATA/restart.log" -w start
#   MOCKCLOUD_PG_BIN   where initdb and pg_ctl are (default /usr/lib/postgresql/15/bin)
#   MOCKCLOUD_PG_KEEP=1  keep the directory (the server's log is in it)
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND..." >&2
  exit 2
fi
bin=${MOCKCLOUD_PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl psql; do
  if [ ! -x "$bin/$tool" ] && ! { [ "$tool" = psql ] && command -v psql >/dev/null; }; then
    echo "with-postgres.sh: $bin/$tool is missing: install Debian's package postgresql" \
      "(PostgreSQL 15; cmake/install-deps.sh --test does)" >&2
    exit 1
  fi
done
psql_bin=$bin/psql
[ -x "$psql_bin" ] || psql_bin=$(command -v psql)

# As root, the cluster belongs to the package's `postgres` user: initdb refuses root.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with-postgres.sh: no user postgres: install Debian's package postgresql" >&2
    exit 1
  fi
  as_owner=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/mockcloud-pg-XXXXXX)
chmod 755 "$dir"
[ ${#as_owner[@]} -eq 0 ] || chown postgres: "$dir"
cleanup() {
  local rc=$?
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  if [ -n "${MOCKCLOUD_PG_KEEP:-}" ]; then
    echo "with-postgres.sh: kept $dir" >&2
  else
    rm -rf "$dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: bind port 0, read what the kernel gave, release it (a race with another process
# taking it in between is unlikely; pg_ctl then fails and so does the test).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 \
  --locale=C >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
# The settings go to postgresql.conf rather than pg_ctl -o, so that a restart keeps them.
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
EOF
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 start >/dev/null || {
  cat "$dir/postgres.log" >&2
  exit 1
}
"${as_owner[@]}" "$psql_bin" -h "$dir" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE USER mockcloud PASSWORD '$password' CREATEDB" \
  -c "CREATE DATABASE mockcloud OWNER mockcloud" >/dev/null

export MOCKCLOUD_TEST_DATABASE_URL="postgresql://mockcloud:$password@127.0.0.1:$port/mockcloud"
export MOCKCLOUD_TEST_PG_SOCKET_DIR=$dir MOCKCLOUD_TEST_PG_PORT=$port
MOCKCLOUD_TEST_PG_CTL=$(printf '%q ' "${as_owner[@]}" "$bin/pg_ctl")
export MOCKCLOUD_TEST_PG_CTL=${MOCKCLOUD_TEST_PG_CTL% } MOCKCLOUD_TEST_PGDATA=$dir/data
set +e
"$@"
rc=$?
set -e
exit "$rc"
