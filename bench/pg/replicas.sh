#!/usr/bin/env bash
# Several mockcloud-server replicas on one PostgreSQL database; see bench/README.md, section
# "Replicas on one database".
#
#   bench/pg/replicas.sh [--replicas "1 2 3"] [--duration S] [--repeat N] [--conns C]
#                        [--server-threads T] [--quick] [--no-build] [--build DIR] [--out DIR]
#
# For each round and each replica count R (interleaved, so that noise on the machine falls on all
# of them alike): a fresh database, R servers on it (--clock virtual --seed 1 --log-level warning
# --threads T), then two workloads, each with one wrk per replica in parallel (-t1, C/R
# connections each, S seconds; bench/http/post.lua and report.lua):
#   create  POST /api/v1/vms/ with unique names over 2 environments (nothing completes: the clock
#           is virtual), then X-Total-Count must be equal on every replica and cover the 2xx;
#   get     GET /api/v1/vms/{id} of one running VM.
# req/s are summed over the replicas' wrk runs, p99 is the worst of theirs; the summary gives the
# medians over the rounds. Default: 10 s, 3 rounds, 32 connections, 1 server thread (~4 minutes);
# --quick: 3 s, 1 round. PostgreSQL is tests/pg/with-postgres.sh's throwaway cluster (or the one of
# MOCKCLOUD_TEST_DATABASE_URL when set: the benchmark creates and drops databases in it).
# Everything listens on 127.0.0.1 and stops on exit; raw outputs stay in --out (default a new
# /tmp/mockcloud-pgbench.XXXXXX).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LUA=$ROOT/bench/http
BUILD=$ROOT/build-hbench
REPLICAS="1 2 3" DUR=10 REPEAT=3 CONNS=32 SERVER_THREADS=1 DO_BUILD=1 OUT=""
ARGS=${MOCKCLOUD_PGBENCH_ARGS:-$*}  # as first given, before the re-run under with-postgres.sh
while [ $# -gt 0 ]; do
  case $1 in
    --replicas) REPLICAS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --server-threads) SERVER_THREADS=$2; shift ;;
    --quick) DUR=3 REPEAT=1 ;;
    --no-build) DO_BUILD=0 ;;
    --build) BUILD=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "replicas.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in wrk curl jq psql; do
  command -v $tool >/dev/null || { echo "replicas.sh: $tool is not installed" >&2; exit 2; }
done

if [ $DO_BUILD = 1 ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOCKCLOUD_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target mockcloud-server >/dev/null
  DO_BUILD=0
fi
SERVER=$BUILD/http/mockcloud-server
[ -x "$SERVER" ] || { echo "replicas.sh: build $SERVER first" >&2; exit 2; }

# The rest runs against a PostgreSQL of its own.
if [ -z "${MOCKCLOUD_TEST_DATABASE_URL:-}" ]; then
  again=(--no-build --build "$BUILD" --replicas "$REPLICAS" --duration "$DUR" --repeat "$REPEAT"
    --conns "$CONNS" --server-threads "$SERVER_THREADS")
  [ -z "$OUT" ] || again+=(--out "$OUT")
  MOCKCLOUD_PGBENCH_ARGS=$ARGS exec bash "$ROOT/tests/pg/with-postgres.sh" bash "$0" "${again[@]}"
fi
BASE_URL=$MOCKCLOUD_TEST_DATABASE_URL

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/mockcloud-pgbench.XXXXXX)
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"

PIDS=() DBS=()
stop_servers() {  # SIGTERM to every server started, then SIGKILL after 5 s
  local pid i
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  local db
  stop_servers
  for db in "${DBS[@]}"; do psql "$BASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# start_replica LOG URL: one server on the database URL; appends its port to PORTS.
start_replica() {
  local logf=$1 url=$2 port="" i
  : >"$logf"
  env -u DATA_DIR -u DATABASE_URL "$SERVER" --port 0 --host 127.0.0.1 --seed 1 --clock virtual \
    --worker-failure-rate 0 --log-level warning --threads "$SERVER_THREADS" \
    --database-url "$url" >"$logf" 2>&1 &
  PIDS+=("$!")
  for i in $(seq 500); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$logf")
    [ -n "$port" ] && { PORTS+=("$port"); return 0; }
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.02
  done
  log "a server did not start: $(head -c 400 "$logf")"
  return 1
}
api() {  # api PORT METHOD PATH [BODY]: the body of a 2xx, else fails
  curl -sS --fail-with-body -X "$2" "http://127.0.0.1:$1$3" -H 'Content-Type: application/json' \
    ${4:+-d "$4"}
}
total() {  # total PORT PATH: X-Total-Count
  curl -sS -D - -o /dev/null "http://127.0.0.1:$1$2" | tr -d '\r' |
    awk -F': *' 'tolower($1) == "x-total-count" { print $2 }'
}

# ticks PID...: the CPU time (clock ticks) of each live process and of its reaped children.
ticks() {
  local p t s=0
  for p in "$@"; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || continue
    s=$((s + t))
  done
  echo "$s"
}
# pg_ticks: PostgreSQL's CPU time, the postmaster's and its backends' (-1 without its data
# directory, when the benchmark runs against a server of MOCKCLOUD_TEST_DATABASE_URL).
pg_ticks() {
  local pm
  pm=$(head -n1 "${MOCKCLOUD_TEST_PGDATA:-/nonexistent}/postmaster.pid" 2>/dev/null) || { echo -1; return; }
  ticks "$pm" $(pgrep -P "$pm")
}

# wrk_all LABEL ROUND SCRIPT PATH [ENV=VALUE...]: one wrk per replica in parallel; a line in
# results.tsv: replicas label round rps(sum) p50(max) p99(max) requests non2xx socket_errors
# servers_cpu_us pg_cpu_us (CPU time during the run: the servers', PostgreSQL's or -1)
wrk_all() {
  local label=$1 round=$2 script=$3 path=$4 i c pids=() f cpu0 pg0 cpu1 pg1 hz
  shift 4
  c=$(((CONNS + ${#PORTS[@]} - 1) / ${#PORTS[@]}))
  cpu0=$(ticks "${PIDS[@]}") pg0=$(pg_ticks)
  for i in "${!PORTS[@]}"; do
    f=$OUT/$label-r${#PORTS[@]}-round$round-$i.txt
    env HB_LUA="$LUA" HB_PREFIX="p$round-$i" "$@" wrk -t1 -c"$c" -d"${DUR}s" --latency \
      -s "$LUA/$script" "http://127.0.0.1:${PORTS[$i]}$path" >"$f" 2>&1 &
    pids+=("$!")
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  cpu1=$(ticks "${PIDS[@]}") pg1=$(pg_ticks) hz=$(getconf CLK_TCK)
  cat "$OUT/$label-r${#PORTS[@]}-round$round-"*.txt | grep '^HBRESULT' | awk -v n=${#PORTS[@]} \
    -v l="$label" -v r="$round" -v cpu=$(((cpu1 - cpu0) * 1000000 / hz)) \
    -v pg=$([ "$pg0" = -1 ] && echo -1 || echo $(((pg1 - pg0) * 1000000 / hz))) '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      rps += v["rps"]; req += v["requests"]; bad += v["status"]
      sock += v["connect"] + v["read"] + v["write"] + v["timeout"]
      if (v["p50_us"] > p50) p50 = v["p50_us"]; if (v["p99_us"] > p99) p99 = v["p99_us"]; runs++
    } END {
      if (runs != n) { print "wrk failed" > "/dev/stderr"; exit 1 }
      print n, l, r, rps, p50, p99, req, bad, sock, cpu, pg
    }' >>"$RESULTS" || { log "wrk failed for $label: see $OUT"; exit 1; }
  log "$(tail -n1 "$RESULTS" | awk '{ printf "replicas=%s %-6s round=%s %9.0f req/s  p99 %.2f ms  non-2xx %s  socket errors %s", $1, $2, $3, $4, $6 / 1000, $8, $9 }')"
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "postgres: $(psql "$BASE_URL" -tAc 'SHOW server_version')"
  echo "command: bench/pg/replicas.sh $ARGS"
  echo "settings: replicas $REPLICAS, $REPEAT round(s) of ${DUR} s, $CONNS connections in all, server threads $SERVER_THREADS"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt" >&2

declare -A REFUSED
for round in $(seq "$REPEAT"); do
  for n in $REPLICAS; do
    [ -z "${REFUSED[$n]:-}" ] || continue
    db=mcbench_${n}_${round}_$$
    DBS+=("$db")
    psql "$BASE_URL" -qc "CREATE DATABASE $db" >/dev/null
    url=${BASE_URL%/*}/$db
    PORTS=()
    for i in $(seq "$n"); do
      start_replica "$OUT/server-r$n-round$round-$i.log" "$url" || { REFUSED[$n]=1; break; }
    done
    if [ -n "${REFUSED[$n]:-}" ]; then
      stop_servers
      continue
    fi
    p=${PORTS[0]}
    envs=$(api "$p" POST /api/v1/environments/ '{"name":"a"}' | jq -r .id),$(api "$p" POST /api/v1/environments/ '{"name":"b"}' | jq -r .id)
    vm=$(api "$p" POST /api/v1/vms/ "{\"name\":\"target\",\"environment_id\":\"${envs%,*}\"}" | jq -r .id)
    api "$p" POST /_mock/clock/advance '{"seconds":61}' >/dev/null
    [ "$(api "${PORTS[-1]}" GET "/api/v1/vms/$vm" | jq -r .status)" = running ] ||
      { log "the VM to read is not running on the last replica"; exit 1; }

    wrk_all create "$round" post.lua / HB_ENVS="$envs"
    ok=$(tail -n1 "$RESULTS" | awk '{ print $7 - $8 }')
    # Requests in flight when wrk stopped may still commit: count until every replica agrees.
    for i in $(seq 20); do
      sleep 0.25
      counts=$(for q in "${PORTS[@]}"; do total "$q" "/api/v1/vms/?limit=1"; done | sort -u | tr '\n' ' ')
      [ "$(wc -w <<<"$counts")" = 1 ] && break
    done
    if [ "$(wc -w <<<"$counts")" != 1 ] || [ "${counts% }" -lt $((ok + 1)) ]; then
      log "FAILED: VMs counted per replica: $counts, but $ok creates were acknowledged (+1)"
      exit 1
    fi
    wrk_all get "$round" report.lua "/api/v1/vms/$vm"
    stop_servers
    psql "$BASE_URL" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

med() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l { print $c }' "$RESULTS"; }
# per_req N LABEL COLUMN: the column's CPU time per request of each round, in µs.
per_req() { awk -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l && $7 > 0 && $c >= 0 { print $c / $7 }' "$RESULTS"; }
sum() { awk -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l { s += $c } END { print s + 0 }' "$RESULTS"; }
{
  echo "## Replicas on one database"
  echo
  sed 's/^/    /' "$OUT/machine.txt"
  echo
  echo "Medians of $REPEAT round(s): req/s summed over the replicas' wrk runs, p99 the worst of them;"
  echo "non-2xx and socket errors summed over all runs. CPU/request: the CPU time of the servers"
  echo "and of PostgreSQL during the run, per request (medians of the rounds' figures)."
  echo
  echo "| replicas | creates/s | create p99 | GET one VM/s | GET p99 | non-2xx | socket errors | create CPU/req servers + PG | GET CPU/req servers + PG |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for n in $REPLICAS; do
    if [ -n "${REFUSED[$n]:-}" ] && [ -z "$(col "$n" create 4)" ]; then
      echo "| $n | did not start | | | | | | | |"
      continue
    fi
    awk -v n="$n" -v c="$(col "$n" create 4 | med)" -v cp="$(col "$n" create 6 | med)" \
      -v g="$(col "$n" get 4 | med)" -v gp="$(col "$n" get 6 | med)" \
      -v bad="$(($(sum "$n" create 8) + $(sum "$n" get 8)))" \
      -v sock="$(($(sum "$n" create 9) + $(sum "$n" get 9)))" \
      -v cs="$(per_req "$n" create 10 | med)" -v cq="$(per_req "$n" create 11 | med)" \
      -v gs="$(per_req "$n" get 10 | med)" -v gq="$(per_req "$n" get 11 | med)" 'BEGIN {
      printf "| %s | %.0f | %.2f ms | %.0f | %.2f ms | %s | %s | %.1f + %s µs | %.1f + %s µs |\n", n, c,
        cp / 1000, g, gp / 1000, bad, sock, cs, cq == "nan" ? "?" : sprintf("%.1f", cq), gs,
        gq == "nan" ? "?" : sprintf("%.1f", gq) }'
  done
  echo
  echo "Raw outputs: $OUT"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
