#!/usr/bin/env bash
# tests/pg/server.sh SERVER: mockcloud-server with --database-url, under with-postgres.sh
# (MOCKCLOUD_TEST_DATABASE_URL). Checks, in a database of its own:
#  - the start line names the database without its password;
#  - state created over HTTP (environments, a VM and a volume in flight, a fault, settings) is the
#    same after SIGTERM and a restart, and the VM's operation completes after it;
#  - a second server on the same database lists the same state (it is a replica);
#  - --data-dir with --database-url, and DATA_DIR with --database-url, exit 2 naming both;
#  - a newer schema version in mockcloud_meta exits 2, saying so, and is left as it was;
#  - a database that cannot be reached exits 2, naming it without the password.
# The kill -9 case is the crash test's (tests/crash, MOCKCLOUD_CRASH_DATABASE_URL).
set -uo pipefail
server=${1:?usage: server.sh SERVER}
base_url=${MOCKCLOUD_TEST_DATABASE_URL:?run this through tests/pg/with-postgres.sh}
db=mcserver_$$
url=${base_url%/*}/$db
redacted=$(sed -E 's#://([^:@/]+):[^@/]*@#://\1@#' <<<"$url")
work=$(mktemp -d /tmp/mockcloud-pg-server-XXXXXX)
failures=0 checks=0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  psql "$base_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

check() {  # check DESCRIPTION COMMAND...: counts a check, reports a failure
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what" >&2
    failures=$((failures + 1))
  fi
}
contains() { grep -qF -- "$2" <<<"$1"; }

psql "$base_url" -qc "CREATE DATABASE $db" >/dev/null || exit 1

# start NAME ARGS...: starts the server in the background; sets $port once it listens.
start() {
  local name=$1
  shift
  env -u DATA_DIR -u DATABASE_URL -u PORT -u HOST "$server" --port 0 --clock virtual \
    --log-level off "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do
    if line=$(grep -m1 'listening on' "$work/$name.out" 2>/dev/null); then
      port=$(sed -E 's#.*http://127\.0\.0\.1:([0-9]+).*#\1#' <<<"$line")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "server $name did not start:" >&2
  cat "$work/$name.err" >&2
  return 1
}
# exits NAME ARGS...: runs the server, which must exit; sets $rc and $err.
exits() {
  local name=$1
  shift
  env -u DATA_DIR -u DATABASE_URL "$server" --port 0 --clock virtual "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  local p=$!
  pids+=("$p")
  for _ in $(seq 200); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 "$p" 2>/dev/null
  wait "$p"
  rc=$?
  err=$(cat "$work/$name.err")
}
api() { curl -sS --max-time 10 "$@"; }
id_of() { grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4; }
snapshot() {  # every list, as the API gives them
  local b=http://127.0.0.1:$port
  for path in api/v1/environments/ api/v1/vms/ api/v1/volumes/ api/v1/security-groups/ \
    api/v1/tasks/ _mock/faults _mock/config; do
    echo "== $path"
    api "$b/$path"
    echo
  done
}

# A server, some state, SIGTERM.
start first --database-url "$url" || exit 1
first_line=$(grep -m1 'listening on' "$work/first.out")
check "the start line names the database without the password" \
  contains "$first_line" ", database $redacted)"
password=$(sed -E 's#^[^:]+://[^:]+:([^@]*)@.*#\1#' <<<"$url")
check "the start line has no password" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$password" "$first_line"
B=http://127.0.0.1:$port/api/v1
env_id=$(api -X POST "$B/environments/" -H 'Content-Type: application/json' -d '{"name":"dev"}' | id_of)
api -X POST "$B/environments/" -H 'Content-Type: application/json' -d '{"name":"prod"}' >/dev/null
vm_id=$(api -X POST "$B/vms/" -H 'Content-Type: application/json' \
  -d "{\"name\":\"web-1\",\"environment_id\":\"$env_id\"}" | id_of)
api -X POST "$B/volumes/" -H 'Content-Type: application/json' \
  -d "{\"name\":\"data\",\"environment_id\":\"$env_id\",\"size_gb\":20}" >/dev/null
api -X PATCH "http://127.0.0.1:$port/_mock/config" -H 'Content-Type: application/json' \
  -d '{"worker_failure_rate":0}' >/dev/null
check "the VM was created" test -n "$vm_id"
before=$(snapshot)

# While it runs, a second server on the same database joins the same cloud: it lists the same.
first_pid=$pid first_port=$port
start second --database-url "$url" || exit 1
second=$(snapshot)
check "a second server on the same database lists the same state" test "$before" = "$second"
kill -TERM "$pid"
wait "$pid"
pid=$first_pid port=$first_port

kill -TERM "$pid"
wait "$pid"
check "SIGTERM stops the server with exit code 0" test $? -eq 0

start restarted --database-url "$url" || exit 1
after=$(snapshot)
check "after a restart every list is the same" test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") >&2
api -X POST "http://127.0.0.1:$port/_mock/clock/advance" -H 'Content-Type: application/json' \
  -d '{"seconds":120}' >/dev/null
check "the VM in flight at the stop completes after the restart" \
  contains "$(api "http://127.0.0.1:$port/api/v1/vms/$vm_id")" '"status":"running"'
kill -TERM "$pid"
wait "$pid"

# Configuration errors.
exits both --database-url "$url" --data-dir "$work/data"
check "--data-dir with --database-url exits 2 (got $rc)" test "$rc" -eq 2
check "... naming both" contains "$err" "data_dir (from --data-dir) and database_url (from --database-url)"
rc=0
DATA_DIR=$work/data "$server" --port 0 --database-url "$url" >/dev/null 2>"$work/env.err" || rc=$?
check "DATA_DIR with --database-url exits 2 (got $rc)" test "$rc" -eq 2
check "... naming DATA_DIR" contains "$(cat "$work/env.err")" "data_dir (from DATA_DIR)"

# A newer schema is refused and left as it is.
psql "$url" -qc "UPDATE mockcloud_meta SET value = '99' WHERE key = 'schema_version'" >/dev/null
exits newer --database-url "$url"
check "a newer schema version exits 2 (got $rc)" test "$rc" -eq 2
check "... saying so in one line" contains "$err" "has schema version 99, newer than this mockcloud's"
check "... and is left as it is" \
  test "$(psql "$url" -tAc "SELECT value FROM mockcloud_meta WHERE key = 'schema_version'")" = 99

# A database that cannot be reached.
exits unreachable --database-url "postgresql://someone:s3cr3t@127.0.0.1:1/nowhere"
check "an unreachable database exits 2 (got $rc)" test "$rc" -eq 2
check "... naming it without the password" \
  contains "$err" "cannot connect to database postgresql://someone@127.0.0.1:1/nowhere"
check "... and no password" bash -c '! grep -q s3cr3t <<<"$1"' _ "$err"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
