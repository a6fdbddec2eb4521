#!/usr/bin/env bash
# The HTTP benchmark of mockcloud-server (issues #3 and #4); see bench/README.md, section "HTTP".
#
#   bench/http/run.sh [--quick] [--only all|dialects|subscribers] [--threads "1 2"] [--duration S]
#                     [--repeat N] [--startup-runs N] [--log-level warning] [--no-build] [--build DIR]
#                     [--out DIR] [--subscribers N] [--event-rate R]
#
# Full run (default): 10 s per wrk run, 3 rounds, server --threads 1 and 2, ~9-10 minutes.
# The server runs with --log-level warning (nginx has access_log off); one extra round with the
# default (info: a log line per request) measures what the access log costs.
# GET one VM and POST create VM run in both wire dialects back to back in each round (a second
# server with --dialect original beside the default one; the default first in odd rounds, the
# original first in even ones); the summary gives the original's ratio to the default.
# --only dialects: only that comparison (no nginx, list, mixed, 1,000 connections, durable
# creates or start-up): ~2 minutes with --threads 1, ~4 with the default "1 2".
# --only subscribers: GET one VM on a server without event-stream subscribers and on a second
# one, seeded alike, holding --subscribers N (default 1,000) open `GET /api/v1/events` streams
# (subscribers.py, reading and discarding); then, unless --event-rate 0, the same server while a
# background writer makes R VM creates per second (default 10) and advances the clock every second,
# so that ~2R events/s go to every subscriber. Back to back in each round, the order reversed in
# even rounds; the summary gives the median of the rounds' with/without ratios. Needs python3.
# --subscribers 0 --event-rate 0 is the control: the same two servers, neither with subscribers.
# --quick: 3 s per wrk run, 1 round, 5 start-up runs: ~2 minutes.
#
# Everything listens on 127.0.0.1 only, every load is bounded in time (wrk -d), and every process
# this script starts is stopped on exit (trap). The raw outputs stay in --out (default a new
# /tmp/mockcloud-hbench.XXXXXX); the summary (Markdown) is printed at the end and kept as
# summary.md there.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$ROOT/build-hbench
DUR=10 REPEAT=3 THREADS="1 2" STARTUP_RUNS=20 DO_BUILD=1 OUT="" LOG_LEVEL=warning ONLY=all
CONNS=32 WRK_THREADS=2 VMS=1000 BIG_CONNS=1000 SUBS=1000 EVENT_RATE=10

ARGS="$*"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) DUR=3 REPEAT=1 STARTUP_RUNS=5 ;;
    --only) ONLY=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --startup-runs) STARTUP_RUNS=$2; shift ;;
    --log-level) LOG_LEVEL=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build) BUILD=$2; shift ;;
    --out) OUT=$2; shift ;;
    --subscribers) SUBS=$2; shift ;;
    --event-rate) EVENT_RATE=$2; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case $ONLY in
  all|dialects|subscribers) ;;
  *) echo "run.sh: --only all, dialects or subscribers, not $ONLY" >&2; exit 2 ;;
esac

TOOLS="wrk curl jq"
[ $ONLY = all ] && TOOLS="$TOOLS nginx"
[ $ONLY = subscribers ] && TOOLS="$TOOLS python3"
for tool in $TOOLS; do
  command -v $tool >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 2; }
done

if [ $DO_BUILD = 1 ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOCKCLOUD_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target mockcloud-server mockcloud-bench-startup >/dev/null
fi
SERVER=$BUILD/http/mockcloud-server
STARTUP=$BUILD/bench/mockcloud-bench-startup
[ -x "$SERVER" ] || { echo "run.sh: build $SERVER first" >&2; exit 2; }
[ $ONLY != all ] || [ -x "$STARTUP" ] || { echo "run.sh: build $STARTUP first" >&2; exit 2; }
# Servers from before --log-level existed take no such flag.
HAS_LOG_LEVEL=0
"$SERVER" --help 2>/dev/null | grep -q -- '--log-level' && HAS_LOG_LEVEL=1
log_args() {  # log_args LEVEL: the flag for that level, if the server has one
  [ $HAS_LOG_LEVEL = 1 ] && echo "--log-level $1" || true
}
# Nor --dialect: the full run then skips the comparison of dialects.
HAS_DIALECT=0
"$SERVER" --help 2>/dev/null | grep -q -- '--dialect' && HAS_DIALECT=1
if [ $HAS_DIALECT = 0 ]; then
  [ $ONLY = dialects ] && { echo "run.sh: $SERVER has no --dialect" >&2; exit 2; }
  [ $ONLY = all ] && echo "run.sh: $SERVER has no --dialect: no comparison of dialects" >&2
fi
# The comparison of dialects runs in the full run and with --only dialects, not --only subscribers.
[ $ONLY = subscribers ] && HAS_DIALECT=0
# Nor the event stream (--event-heartbeat came with GET /api/v1/events).
if [ $ONLY = subscribers ] && ! "$SERVER" --help 2>/dev/null | grep -q -- '--event-heartbeat'; then
  echo "run.sh: $SERVER has no GET /api/v1/events (no --event-heartbeat)" >&2; exit 2
fi

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/mockcloud-hbench.XXXXXX)
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
NGINX_DIR=$(mktemp -d /tmp/mockcloud-hbench-nginx.XXXXXX)
DATA_DIRS=()

# ---- processes: every one started here is stopped on exit, by its pid ----------------------
PIDS=()
stop_pid() {  # stop_pid PID [SIGNAL]: signal (TERM by default), wait up to 5 s, then KILL
  local pid=$1 sig=${2:-TERM} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$NGINX_DIR"
  for d in "${DATA_DIRS[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# 1,000 connections need ~1,000 descriptors in wrk and in the server (which inherits this limit);
# N subscribers need N in subscribers.py and N more in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NEED_FDS=$((BIG_CONNS + 100))
[ $ONLY = subscribers ] && NEED_FDS=$((SUBS + CONNS + 100))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $NEED_FDS ]; then
  [ $ONLY = subscribers ] && { echo "run.sh: ulimit -n is $(ulimit -n), too low for $SUBS subscribers" >&2; exit 2; }
  log "warning: ulimit -n is $(ulimit -n), too low for $BIG_CONNS connections"
fi

# start_server LOG ARGS...: starts the server, sets SPID and SPORT once it prints its port.
start_server() {
  local logf=$1 i; shift
  # The log exists before the server does: the background job opens it only once it runs, and a
  # sed on a missing file below would end the script (set -e).
  : >"$logf"
  # shellcheck disable=SC2046
  "$SERVER" --port 0 --seed 1 --worker-failure-rate 0 $(log_args "${SERVER_LOG_LEVEL:-$LOG_LEVEL}") \
    "$@" >"$logf" 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  SPORT=""
  for i in $(seq 500); do
    SPORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$logf")
    [ -n "$SPORT" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.01
  done
  echo "run.sh: the server did not start:" >&2; cat "$logf" >&2; exit 1
}

# api METHOD PATH [BODY]: the response body (fails on a non-2xx).
api() {
  curl -sS --fail-with-body -X "$1" "http://127.0.0.1:$SPORT$2" \
       -H 'Content-Type: application/json' ${3:+-d "$3"}
}
# total PATH: the X-Total-Count header of a GET.
total() {
  curl -sS -D - -o /dev/null "http://127.0.0.1:$SPORT$1" | tr -d '\r' |
    awk -F': *' 'tolower($1) == "x-total-count" { print $2 }'
}

# seed: 2 environments, VMS VMs spread over them, the clock advanced until all are running.
# Sets ENVS (comma-separated ids), VM_ID (one VM), IDS (a file of all VM ids).
seed() {
  local a b cfg=$OUT/seed.curl i env codes running
  a=$(api POST /api/v1/environments/ '{"name":"hb-a","cidr":"10.1.0.0/16"}' | jq -r .id)
  b=$(api POST /api/v1/environments/ '{"name":"hb-b","cidr":"10.2.0.0/16"}' | jq -r .id)
  ENVS=$a,$b
  : >"$cfg"
  for i in $(seq $VMS); do
    env=$a; [ $((i % 2)) = 0 ] && env=$b
    printf '%s\n' "url = http://127.0.0.1:$SPORT/api/v1/vms/" \
      'header = "Content-Type: application/json"' \
      "data = {\"name\":\"vm-$i\",\"environment_id\":\"$env\",\"cpu\":2,\"memory_mb\":2048,\"image\":\"ubuntu-22.04\"}" \
      'output = /dev/null' 'write-out = "%{http_code}\n"' >>"$cfg"
    [ "$i" = $VMS ] || echo next >>"$cfg"
  done
  codes=$(curl -sS -K "$cfg" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  api POST /_mock/clock/advance '{"seconds":61}' >/dev/null
  running=$(total "/api/v1/vms/?status=running&limit=1")
  if [ "$running" != "$VMS" ]; then
    echo "run.sh: seeding failed: $running of $VMS VMs running (POST statuses: $codes)" >&2; exit 1
  fi
  IDS=$OUT/vm_ids.txt
  api GET "/api/v1/vms/?limit=$VMS" | jq -r '.[].id' >"$IDS"
  VM_ID=$(sed -n "$((VMS / 2))p" "$IDS")
  log "seeded $VMS running VMs in 2 environments (POST statuses: $codes)"
}

# start_original LOG ARGS...: a second server, --dialect original, seeded like the first: one
# environment, VMS VMs (integer ids from 1, names unique across the cloud), the clock advanced
# until all are running. Sets OPID, OU (its base URL), ORIG_ENVS, ORIG_VM_ID; SPID and
# SPORT keep naming the default dialect's server.
start_original() {
  local logf=$1 spid=${SPID:-} sport=${SPORT:-} env cfg=$OUT/seed-original.curl i codes running
  shift
  start_server "$logf" --dialect original "$@"
  OPID=$SPID OU=http://127.0.0.1:$SPORT
  env=$(api POST /api/v1/environments/ '{"name":"bench","network_cidr":"10.0.0.0/16"}' | jq -r .id)
  ORIG_ENVS=$env
  : >"$cfg"
  for i in $(seq $VMS); do
    printf '%s\n' "url = $OU/api/v1/vms/" \
      'header = "Content-Type: application/json"' \
      "data = {\"name\":\"vm-$i\",\"instance_type\":\"t3.micro\",\"environment_id\":$env}" \
      'output = /dev/null' 'write-out = "%{http_code}\n"' >>"$cfg"
    [ "$i" = $VMS ] || echo next >>"$cfg"
  done
  codes=$(curl -sS -K "$cfg" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  api POST /_mock/clock/advance '{"seconds":61}' >/dev/null
  running=$(api GET "/api/v1/vms/?limit=$VMS" | jq '[.vms[] | select(.status == "running")] | length')
  ORIG_VM_ID=1
  if [ "$running" != "$VMS" ] || [ "$(api GET "/api/v1/vms/$ORIG_VM_ID" | jq -r .status)" != running ]; then
    echo "run.sh: seeding the original dialect failed: $running of $VMS VMs running (POST statuses: $codes)" >&2
    exit 1
  fi
  log "seeded the original dialect's server: $VMS running VMs in 1 environment (POST statuses: $codes)"
  SPID=$spid SPORT=$sport
}

# run_wrk LABEL THREADS ROUND CONNS URL SCRIPT [ENV=VALUE...]: one wrk run; its text output goes
# to $OUT/LABEL-tTHREADS-rROUND.txt, its figures to results.tsv.
run_wrk() {
  local label=$1 threads=$2 round=$3 conns=$4 url=$5 script=$6; shift 6
  local txt=$OUT/$label-t$threads-r$round.txt line load
  load=$(cut -d' ' -f1 /proc/loadavg)
  env HB_LUA="$HERE" "$@" wrk -t$WRK_THREADS -c"$conns" -d"${DUR}s" --latency -s "$HERE/$script" \
    "$url" >"$txt" 2>&1 || true
  line=$(grep '^HBRESULT' "$txt" || true)
  if [ -z "$line" ]; then
    echo "run.sh: wrk failed for $label:" >&2; cat "$txt" >&2; exit 1
  fi
  # label threads round requests rps p50_us p99_us status connect read write timeout load1
  echo "$line" | awk -v l="$label" -v t="$threads" -v r="$round" -v load="$load" '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      print l, t, r, v["requests"], v["rps"], v["p50_us"], v["p99_us"], v["status"],
            v["connect"], v["read"], v["write"], v["timeout"], load }' >>"$RESULTS"
  log "$(tail -n1 "$RESULTS" | awk '{ printf "%-12s threads=%s round=%s  %9.0f req/s  p50 %s us  p99 %s us  non-2xx %s  socket errors %s/%s/%s/%s  (load %s)", $1, $2, $3, $5, $6, $7, $8, $9, $10, $11, $12, $13 }')"
}

# dialect_pair THREADS ROUND get|post: GET one VM or POST create VM in the default dialect (labels
# get-one, post) and the original (orig-get-one, orig-post) back to back, the default first in odd
# rounds and the original first in even ones. U and OU are the two servers' base URLs.
dialect_pair() {
  local t=$1 r=$2 what=$3 order=(default original) d
  [ $((r % 2)) = 0 ] && order=(original default)
  for d in "${order[@]}"; do
    case $what/$d in
      get/default) run_wrk get-one "$t" "$r" $CONNS "$U/api/v1/vms/$VM_ID" report.lua ;;
      get/original) run_wrk orig-get-one "$t" "$r" $CONNS "$OU/api/v1/vms/$ORIG_VM_ID" report.lua ;;
      post/default) run_wrk post "$t" "$r" $CONNS "$U" post.lua HB_ENVS="$ENVS" HB_PREFIX="p$r" ;;
      post/original)
        run_wrk orig-post "$t" "$r" $CONNS "$OU" post.lua HB_DIALECT=original \
          HB_ENVS="$ORIG_ENVS" HB_PREFIX="o$r" ;;
    esac
  done
}

# kv FILE KEY: the value of KEY in a line of key=value pairs (subscribers.py's status files).
kv() { [ -f "$1" ] && sed -n "s/^\(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" "$1" || true; }

# start_subscribers PORT: SUBS event-stream subscribers on the server at PORT (subscribers.py hold,
# in the background); returns once all SUBS got their 200 text/event-stream head, fails otherwise.
# Sets HPID and SUB_STATUS (the file it reports to) and SUB_REPORT (its reports so far).
start_subscribers() {
  local i err=$OUT/subscribers-t$T.err
  SUB_STATUS=$OUT/subscribers-t$T.status SUB_REPORT=0
  rm -f "$SUB_STATUS"
  python3 "$HERE/subscribers.py" hold --port "$1" -n "$SUBS" --status "$SUB_STATUS" --timeout 60 \
    2>"$err" &
  HPID=$!
  PIDS+=("$HPID")
  for i in $(seq 1300); do
    [ -s "$SUB_STATUS" ] && break
    kill -0 "$HPID" 2>/dev/null || break
    sleep 0.05
  done
  if [ "$(kv "$SUB_STATUS" ready)" != yes ]; then
    echo "run.sh: the $SUBS subscribers did not all get their event stream:" >&2
    cat "$err" "$SUB_STATUS" >&2 2>/dev/null || true
    exit 1
  fi
  log "$SUBS subscribers streaming from the server on port $1 (all 200 text/event-stream, connected in $(kv "$SUB_STATUS" connect_s) s)"
}

# sub_report: a report from subscribers.py (SIGUSR1); fails unless all SUBS are still open.
sub_report() {
  local want=$((SUB_REPORT + 1)) i
  kill -USR1 "$HPID" 2>/dev/null || { echo "run.sh: subscribers.py has exited:" >&2; cat "$OUT/subscribers-t$T.err" >&2; exit 1; }
  for i in $(seq 200); do
    [ "$(kv "$SUB_STATUS" report)" = $want ] && break
    sleep 0.05
  done
  [ "$(kv "$SUB_STATUS" report)" = $want ] || { echo "run.sh: subscribers.py did not report" >&2; exit 1; }
  SUB_REPORT=$want
  if [ "$(kv "$SUB_STATUS" open)" != "$SUBS" ]; then
    echo "run.sh: only $(kv "$SUB_STATUS" open) of $SUBS subscribers are still open:" >&2
    cat "$SUB_STATUS" "$OUT/subscribers-t$T.err" >&2
    exit 1
  fi
}

# stop_subscribers: SIGTERM to subscribers.py, whose last report must still count all SUBS open.
stop_subscribers() {
  local rc=0
  kill -TERM "$HPID" 2>/dev/null || true
  wait "$HPID" || rc=$?
  cp "$SUB_STATUS" "$OUT/subscribers-t$T.final"
  if [ $rc != 0 ] || [ "$(kv "$SUB_STATUS" open)" != "$SUBS" ]; then
    echo "run.sh: subscribers.py ended with status $rc, $(kv "$SUB_STATUS" open) of $SUBS open:" >&2
    cat "$SUB_STATUS" "$OUT/subscribers-t$T.err" >&2
    exit 1
  fi
}

# proc_cpu PID: the user + system CPU seconds of that process so far.
proc_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# sub_run LABEL THREADS ROUND URL [events]: one wrk run against the server with subscribers, with
# reports before and after (all still open; the client's CPU time and the events each received);
# with `events`, the background writer runs during it. One line per run in subscribers.tsv:
# label threads round client_cpu_s events_per_subscriber events_min_after events_max_after
# resyncs_total writer_creates writer_advances writer_errors server_cpu_s
sub_run() {
  local label=$1 t=$2 r=$3 url=$4 cpu0 ev0 wstatus=$OUT/writer-t$2-r$3.status wpid="" i scpu0
  sub_report
  scpu0=$(proc_cpu "$BPID")
  cpu0=$(kv "$SUB_STATUS" cpu_s) ev0=$(kv "$SUB_STATUS" events_sum)
  if [ "${5:-}" = events ]; then
    rm -f "$wstatus"
    python3 "$HERE/subscribers.py" write --port "$SUB_PORT" --envs "$SUB_ENVS" \
      --rate "$EVENT_RATE" --status "$wstatus" 2>"$OUT/writer-t$t-r$r.err" &
    wpid=$!
    PIDS+=("$wpid")
    for i in $(seq 200); do [ -s "$wstatus" ] && break; sleep 0.05; done
    [ "$(kv "$wstatus" started)" = yes ] || { echo "run.sh: the writer did not start" >&2; cat "$OUT/writer-t$t-r$r.err" >&2; exit 1; }
  fi
  run_wrk "$label" "$t" "$r" $CONNS "$url" report.lua
  if [ -n "$wpid" ]; then
    kill -TERM "$wpid" 2>/dev/null || true
    wait "$wpid" || true
    [ -n "$(kv "$wstatus" creates)" ] || { echo "run.sh: the writer failed" >&2; cat "$OUT/writer-t$t-r$r.err" >&2; exit 1; }
    sleep 0.3  # the last events reach the subscribers
  fi
  sub_report
  local writer="- - -"
  [ -n "$wpid" ] && writer="$(kv "$wstatus" creates) $(kv "$wstatus" advances) $(kv "$wstatus" errors)"
  echo "$label $t $r" \
    "$(awk -v a="$cpu0" -v b="$(kv "$SUB_STATUS" cpu_s)" 'BEGIN { printf "%.2f", b - a }')" \
    "$(awk -v a="$ev0" -v b="$(kv "$SUB_STATUS" events_sum)" -v n="$SUBS" 'BEGIN { printf "%.1f", (b - a) / n }')" \
    "$(kv "$SUB_STATUS" events_min) $(kv "$SUB_STATUS" events_max) $(kv "$SUB_STATUS" resyncs_sum)" \
    "$writer" "$(awk -v a="$scpu0" -v b="$(proc_cpu "$BPID")" 'BEGIN { printf "%.2f", b - a }')" \
    >>"$OUT/subscribers.tsv"
  if [ -n "$wpid" ]; then
    log "  writer: $(cat "$wstatus"); each subscriber got $(tail -n1 "$OUT/subscribers.tsv" | cut -d' ' -f5) events in the run (resync markers so far: $(kv "$SUB_STATUS" resyncs_sum))"
  fi
}

# sub_round THREADS ROUND: GET one VM without subscribers (label sub-none, server U), with SUBS idle
# subscribers (sub-idle, server SU) and, unless --event-rate 0, with them and the writer
# (sub-events); in that order in odd rounds, reversed in even ones.
sub_round() {
  local t=$1 r=$2 order=(none idle) k cpu0
  [ "$EVENT_RATE" != 0 ] && order+=(events)
  [ $((r % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
  for k in "${order[@]}"; do
    case $k in
      none)
        cpu0=$(proc_cpu "$APID")
        run_wrk sub-none "$t" "$r" $CONNS "$U/api/v1/vms/$VM_ID" report.lua
        echo "sub-none $t $r - - - - - - - - $(awk -v a="$cpu0" -v b="$(proc_cpu "$APID")" 'BEGIN { printf "%.2f", b - a }')" \
          >>"$OUT/subscribers.tsv" ;;
      idle) sub_run sub-idle "$t" "$r" "$SU/api/v1/vms/$SUB_VM_ID" ;;
      events) sub_run sub-events "$t" "$r" "$SU/api/v1/vms/$SUB_VM_ID" events ;;
    esac
  done
}

# ---- 0. the machine --------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- src include http 2>/dev/null | grep -q . && echo ' (+ local changes)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "kernel: $(uname -r); nginx: $(nginx -v 2>&1 | cut -d/ -f2); wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
  echo "command: bench/http/run.sh $ARGS"
  echo "settings: wrk -t$WRK_THREADS -c$CONNS -d${DUR}s --latency, $REPEAT round(s), server threads: $THREADS, server log level: $([ $HAS_LOG_LEVEL = 1 ] && echo "$LOG_LEVEL" || echo 'n/a (no --log-level)'), runs: $ONLY$([ $HAS_DIALECT = 1 ] || [ $ONLY = subscribers ] || echo ', no dialect comparison (no --dialect)')$([ $ONLY = subscribers ] && echo ", $SUBS subscribers, writer $EVENT_RATE creates/s")"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt" >&2

# ---- 1. nginx: the ceiling, with the body of a real VM ------------------------------------------
if [ $ONLY = all ]; then
  start_server "$OUT/server-body.log" --clock virtual --threads 1
  seed
  api GET "/api/v1/vms/$VM_ID" >"$NGINX_DIR/vm.json"
  stop_pid "$SPID"
  BODY_BYTES=$(wc -c <"$NGINX_DIR/vm.json")
  NGINX_PORT=""
  for attempt in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    cat >"$NGINX_DIR/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $NGINX_DIR/body;
  proxy_temp_path $NGINX_DIR/proxy;
  fastcgi_temp_path $NGINX_DIR/fastcgi;
  uwsgi_temp_path $NGINX_DIR/uwsgi;
  scgi_temp_path $NGINX_DIR/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/json;
      return 200 '$(cat "$NGINX_DIR/vm.json")';
    }
  }
}
EOF
    nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" >"$OUT/nginx.log" 2>&1 &
    NPID=$!
    PIDS+=("$NPID")
    for i in $(seq 100); do
      if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then NGINX_PORT=$port; break; fi
      kill -0 "$NPID" 2>/dev/null || break
      sleep 0.02
    done
    [ -n "$NGINX_PORT" ] && break
    stop_pid "$NPID"
  done
  [ -n "$NGINX_PORT" ] || { echo "run.sh: nginx did not start" >&2; cat "$NGINX_DIR/error.log" >&2; exit 1; }
  log "nginx on port $NGINX_PORT, body $BODY_BYTES bytes"
fi

# ---- 2 and 4. throughput at 32 connections, then 1,000 connections, per server thread count ----
# With --dialect, a second server in the original dialect beside the first, for GET one and POST
# (dialect_pair); with --only dialects, those two only. Not with --only subscribers (6 below).
MAIN_THREADS=$THREADS
[ $ONLY = subscribers ] && MAIN_THREADS=""
for T in $MAIN_THREADS; do
  start_server "$OUT/server-t$T.log" --clock virtual --threads "$T"
  seed
  U=http://127.0.0.1:$SPORT
  [ $HAS_DIALECT = 1 ] && start_original "$OUT/server-original-t$T.log" --clock virtual --threads "$T"
  for R in $(seq "$REPEAT"); do
    if [ $ONLY = all ]; then
      run_wrk nginx "$T" "$R" $CONNS "http://127.0.0.1:$NGINX_PORT/" report.lua
    fi
    if [ $HAS_DIALECT = 1 ]; then
      dialect_pair "$T" "$R" get
    else
      run_wrk get-one "$T" "$R" $CONNS "$U/api/v1/vms/$VM_ID" report.lua
    fi
    if [ $ONLY = all ]; then
      run_wrk list-100 "$T" "$R" $CONNS "$U/api/v1/vms/?limit=100" report.lua
      run_wrk mixed "$T" "$R" $CONNS "$U" mixed.lua HB_IDS="$IDS" HB_ENVS="$ENVS" HB_PREFIX="m$R"
    fi
    if [ $HAS_DIALECT = 1 ]; then
      dialect_pair "$T" "$R" post
    else
      run_wrk post "$T" "$R" $CONNS "$U" post.lua HB_ENVS="$ENVS" HB_PREFIX="p$R"
    fi
  done
  if [ $ONLY = all ]; then
    run_wrk c1000-nginx "$T" 1 $BIG_CONNS "http://127.0.0.1:$NGINX_PORT/" report.lua
    run_wrk c1000-get "$T" 1 $BIG_CONNS "$U/api/v1/vms/$VM_ID" report.lua
    grep -E 'Socket errors|Non-2xx|Requests/sec' "$OUT/c1000-get-t$T-r1.txt" >&2 || true
  fi
  echo "server-t$T VmHWM $(grep VmHWM /proc/$SPID/status | tr -s ' ' | cut -d' ' -f2-)" >>"$OUT/machine.txt"
  stop_pid "$SPID"
  if [ $HAS_DIALECT = 1 ]; then
    echo "server-original-t$T VmHWM $(grep VmHWM /proc/$OPID/status | tr -s ' ' | cut -d' ' -f2-)" >>"$OUT/machine.txt"
    stop_pid "$OPID"
  fi
done

# ---- 6. event-stream subscribers (--only subscribers) -------------------------------------------
# Two servers seeded alike: U without subscribers, SU with SUBS of them, connected for all rounds.
if [ $ONLY = subscribers ]; then
  : >"$OUT/subscribers.tsv"
  for T in $THREADS; do
    start_server "$OUT/server-t$T.log" --clock virtual --threads "$T"
    seed
    U=http://127.0.0.1:$SPORT APID=$SPID A_VM_ID=$VM_ID
    start_server "$OUT/server-subscribers-t$T.log" --clock virtual --threads "$T"
    seed
    SU=http://127.0.0.1:$SPORT SUB_PORT=$SPORT BPID=$SPID SUB_VM_ID=$VM_ID SUB_ENVS=$ENVS
    VM_ID=$A_VM_ID
    start_subscribers "$SUB_PORT"
    echo "server-subscribers-t$T fds-with-subscribers $(ls /proc/$BPID/fd | wc -l) server-t$T fds $(ls /proc/$APID/fd | wc -l)" >>"$OUT/machine.txt"
    for R in $(seq "$REPEAT"); do sub_round "$T" "$R"; done
    echo "server-t$T VmHWM $(grep VmHWM /proc/$APID/status | tr -s ' ' | cut -d' ' -f2-) VmRSS $(grep VmRSS /proc/$APID/status | tr -s ' ' | cut -d' ' -f2-)" >>"$OUT/machine.txt"
    echo "server-subscribers-t$T VmHWM $(grep VmHWM /proc/$BPID/status | tr -s ' ' | cut -d' ' -f2-) VmRSS $(grep VmRSS /proc/$BPID/status | tr -s ' ' | cut -d' ' -f2-)" >>"$OUT/machine.txt"
    stop_subscribers
    log "subscribers at the end: $(cat "$OUT/subscribers-t$T.final")"
    stop_pid "$APID"
    stop_pid "$BPID"
  done
fi

# ---- 2b. the same at the default log level (info: one line per request, to a file here) ---------
if [ $ONLY = all ] && [ $HAS_LOG_LEVEL = 1 ] && [ "$LOG_LEVEL" != info ]; then
  T=${THREADS%% *}
  SERVER_LOG_LEVEL=info start_server "$OUT/server-info-t$T.log" --clock virtual --threads "$T"
  seed
  U=http://127.0.0.1:$SPORT
  run_wrk info-nginx "$T" 1 $CONNS "http://127.0.0.1:$NGINX_PORT/" report.lua
  run_wrk info-get-one "$T" 1 $CONNS "$U/api/v1/vms/$VM_ID" report.lua
  run_wrk info-post "$T" 1 $CONNS "$U" post.lua HB_ENVS="$ENVS" HB_PREFIX=i
  stop_pid "$SPID"
fi

if [ $ONLY = all ]; then  # sections 5 and 3, not with --only dialects
  # ---- 5. durable creates: volumes, system clock, with and without --data-dir ---------------------
  DURABLE=$OUT/durable.txt
  : >"$DURABLE"
  for T in $THREADS; do
    for mode in memory durable; do
      args=(--clock system --time-scale 0.001 --threads "$T")
      if [ $mode = durable ]; then
        dir=$(mktemp -d /tmp/mockcloud-hbench-data.XXXXXX); DATA_DIRS+=("$dir")
        args+=(--data-dir "$dir")
      fi
      start_server "$OUT/server-$mode-t$T.log" "${args[@]}"
      env_id=$(api POST /api/v1/environments/ '{"name":"vol","cidr":"10.3.0.0/16"}' | jq -r .id)
      run_wrk "create-$mode" "$T" 1 $CONNS "http://127.0.0.1:$SPORT" post.lua \
        HB_KIND=volumes HB_ENVS="$env_id" HB_PREFIX=v
      read -r requests status <<<"$(tail -n1 "$RESULTS" | awk '{ print $4, $8 }')"
      ok=$((requests - status))
      before=$(total "/api/v1/volumes/?limit=1")
      if [ $mode = durable ]; then
        # A crash, not a graceful stop: every acknowledged create must be in the journal already.
        stop_pid "$SPID" KILL
        t0=$(date +%s%N)
        start_server "$OUT/server-$mode-t$T-restart.log" "${args[@]}"
        restart_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        after=$(total "/api/v1/volumes/?limit=1")
        verdict=FAILED
        [ "$after" = "$before" ] && [ "$after" -ge "$ok" ] && [ "$after" -le $((ok + CONNS)) ] && verdict=ok
        echo "threads=$T mode=$mode wrk_2xx=$ok count_before_kill=$before count_after_restart=$after restart_ms=$restart_ms verdict=$verdict" >>"$DURABLE"
        log "durable t$T: wrk 2xx $ok, count before SIGKILL $before, after restart $after (${restart_ms} ms): $verdict"
      else
        echo "threads=$T mode=$mode wrk_2xx=$ok count=$before" >>"$DURABLE"
      fi
      stop_pid "$SPID"
    done
  done

  # ---- 3. start-up time ---------------------------------------------------------------------------
  "$STARTUP" --runs "$STARTUP_RUNS" -- "$SERVER" --port 0 --clock virtual --seed 1 \
    --worker-failure-rate 0 --threads 1 >"$OUT/startup.txt" 2>&1 || true
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

# ---- summary ------------------------------------------------------------------------------------
med() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v l="$1" -v t="$2" -v c="$3" '$1 == l && $2 == t { print $c }' "$RESULTS"; }
sum() { awk -v l="$1" -v t="$2" -v c="$3" '$1 == l && $2 == t { s += $c } END { print s + 0 }' "$RESULTS"; }
row() {  # row LABEL THREADS BASE_LABEL TITLE
  local rps base p50 p99 non2xx sock
  rps=$(col "$1" "$2" 5 | med); base=$(col "$3" "$2" 5 | med)
  p50=$(col "$1" "$2" 6 | med); p99=$(col "$1" "$2" 7 | med)
  non2xx=$(sum "$1" "$2" 8)
  sock="$(sum "$1" "$2" 9)/$(sum "$1" "$2" 10)/$(sum "$1" "$2" 11)/$(sum "$1" "$2" 12)"
  awk -v title="$4" -v t="$2" -v rps="$rps" -v base="$base" -v p50="$p50" -v p99="$p99" \
      -v n="$non2xx" -v s="$sock" 'BEGIN {
    printf "| %s | %s | %.0f | %.2f | %.2f ms | %.2f ms | %s | %s |\n",
           title, t, rps, rps / base, p50 / 1000, p99 / 1000, n, s }'
}
ratios() {  # ratios DEFAULT_LABEL ORIGINAL_LABEL THREADS: original/default req/s, one per round
  awk -v d="$1" -v o="$2" -v t="$3" '$2 == t && $1 == d { a[$3] = $5 } $2 == t && $1 == o { b[$3] = $5 }
    END { for (r in b) if (r in a) print r, b[r] / a[r] }' "$RESULTS" | sort -n | cut -d' ' -f2
}
pair_row() {  # pair_row A_LABEL B_LABEL THREADS TITLE VERDICT: a row of B against A, same rounds
  # VERDICT: "dialects" (within 10 % or how much slower) or "subscribers" (>= 0.9 or below).
  local arps brps ratio each ap99 bp99 non2xx sock
  arps=$(col "$1" "$3" 5 | med); brps=$(col "$2" "$3" 5 | med)
  ratio=$(ratios "$1" "$2" "$3" | med)
  each=$(ratios "$1" "$2" "$3" | awk '{ printf "%s%.2f", (NR > 1 ? " / " : ""), $1 }')
  ap99=$(col "$1" "$3" 7 | med); bp99=$(col "$2" "$3" 7 | med)
  non2xx="$(sum "$1" "$3" 8)/$(sum "$2" "$3" 8)"
  sock="$(($(sum "$1" "$3" 9) + $(sum "$1" "$3" 10) + $(sum "$1" "$3" 11) + $(sum "$1" "$3" 12)))"
  sock="$sock/$(($(sum "$2" "$3" 9) + $(sum "$2" "$3" 10) + $(sum "$2" "$3" 11) + $(sum "$2" "$3" 12)))"
  awk -v title="$4" -v t="$3" -v arps="$arps" -v brps="$brps" -v ratio="$ratio" -v each="$each" \
      -v ap99="$ap99" -v bp99="$bp99" -v n="$non2xx" -v s="$sock" -v kind="$5" 'BEGIN {
    if (kind == "subscribers")
      verdict = (ratio >= 0.9) ? ">= 0.9" : "**below 0.9**"
    else
      verdict = (ratio >= 0.9) ? "within 10 %" : sprintf("**%.0f %% slower**", (1 - ratio) * 100)
    printf "| %s | %s | %.0f | %.0f | **%.2f** (%s) | %.2f ms | %.2f ms | %s | %s | %s |\n",
           title, t, arps, brps, ratio, each, ap99 / 1000, bp99 / 1000, n, s, verdict }'
}
summary_main() {  # nginx, GET one, the list, POST, mixed; --log-level info; 1,000 connections
  echo "Medians of $REPEAT round(s); ratio = req/s over nginx's req/s in the same rounds;"
  echo "non-2xx and socket errors (connect/read/write/timeout) summed over the rounds."
  echo
  echo "| workload ($CONNS connections) | server threads | req/s | ratio to nginx | p50 | p99 | non-2xx | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for T in $THREADS; do
    row nginx "$T" nginx "nginx, fixed $BODY_BYTES-byte body"
    row get-one "$T" nginx "GET one VM"
    row list-100 "$T" nginx "GET list, limit=100 of $VMS"
    row post "$T" nginx "POST create VM"
    row mixed "$T" nginx "mixed 70/20/10"
  done
  echo
  if grep -q '^info-' "$RESULTS"; then
    echo "| with --log-level info (1 round) | server threads | req/s | ratio to nginx | p50 | p99 | non-2xx | socket errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    T=${THREADS%% *}
    row info-nginx "$T" info-nginx "nginx"
    row info-get-one "$T" info-nginx "GET one VM"
    row info-post "$T" info-nginx "POST create VM"
    echo
  fi
  echo "| $BIG_CONNS connections | server threads | req/s | ratio to nginx | p50 | p99 | non-2xx | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for T in $THREADS; do
    row c1000-nginx "$T" c1000-nginx "nginx"
    row c1000-get "$T" c1000-nginx "GET one VM"
  done
  echo
  echo "wrk's own words at $BIG_CONNS connections (GET one VM):"
  echo
  for T in $THREADS; do
    echo "    threads $T: $(grep -E 'requests in' "$OUT/c1000-get-t$T-r1.txt" | sed 's/^ *//')"
    grep -E 'Socket errors|Non-2xx' "$OUT/c1000-get-t$T-r1.txt" | sed 's/^ */                /' || true
  done
  echo
}
summary_dialects() {  # GET one and POST create, the original dialect against the default
  echo "The original dialect (a second server, \`--dialect original\`) against the default, GET one"
  echo "VM and POST create VM back to back in each round (the default first in odd rounds, the"
  echo "original first in even ones): medians of $REPEAT round(s); original/default is the median of"
  echo "the rounds' ratios (each round's in brackets); non-2xx and socket errors (all kinds) summed"
  echo "over the rounds, default/original."
  echo
  echo "| workload ($CONNS connections) | server threads | default req/s | original req/s | original/default (rounds) | default p99 | original p99 | non-2xx | socket errors | |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for T in $THREADS; do
    pair_row get-one orig-get-one "$T" "GET one VM" dialects
    pair_row post orig-post "$T" "POST create VM" dialects
  done
  echo
}
cpu_per_req() {  # cpu_per_req LABEL THREADS: "round server-CPU-us-per-request", one per round
  awk -v l="$1" -v t="$2" 'FNR == NR { if ($1 == l && $2 == t) req[$3] = $4; next }
    $1 == l && $2 == t && ($3 in req) && req[$3] > 0 { print $3, $12 * 1e6 / req[$3] }' \
    "$RESULTS" "$OUT/subscribers.tsv" | sort -k1,1
}
summary_subscribers() {  # GET one VM without and with SUBS event-stream subscribers
  local f
  echo "GET one VM on a server without subscribers and on a second one, seeded alike, with $SUBS"
  echo "subscribers to \`GET /api/v1/events\` connected through all the rounds; back to back in each"
  echo "round (without first in odd rounds, last in even ones). Medians of $REPEAT round(s);"
  echo "with/without is the median of the rounds' ratios (each round's in brackets); non-2xx and"
  echo "socket errors (all kinds) summed over the rounds, without/with. \"idle\": the subscribers get"
  echo "no event during the run; \"events\": a writer makes $EVENT_RATE VM creates/s on that server and"
  echo "advances its clock every second, so every subscriber receives ~$((2 * EVENT_RATE)) events/s."
  echo
  echo "| workload ($CONNS connections) | server threads | without req/s | with req/s | with/without (rounds) | without p99 | with p99 | non-2xx | socket errors | |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for T in $THREADS; do
    pair_row sub-none sub-idle "$T" "GET one VM, $SUBS idle subscribers" subscribers
    [ "$EVENT_RATE" != 0 ] && pair_row sub-none sub-events "$T" "GET one VM, $SUBS subscribers + events" subscribers
  done
  echo
  echo "The subscribers (subscribers.py; checked before and after every run with them: all $SUBS open):"
  echo
  for T in $THREADS; do
    f=$OUT/subscribers-t$T.final
    echo "    threads $T: at the end $(kv "$f" open) of $(kv "$f" wanted) open, $(kv "$f" failed) closed;" \
      "events per subscriber $(kv "$f" events_min)-$(kv "$f" events_max), heartbeats $(kv "$f" heartbeats_min)-$(kv "$f" heartbeats_max)," \
      "resync markers $(kv "$f" resyncs_sum), client CPU $(kv "$f" cpu_s) s in all"
    awk -v t="$T" '$2 == t && $1 == "sub-idle" { c[++n] = $4 } END { if (n) { printf "    threads %s: client CPU per idle run (s):", t; for (i = 1; i <= n; i++) printf " %s", c[i]; print "" } }' "$OUT/subscribers.tsv"
    awk -v t="$T" '$2 == t && $1 == "sub-events" { c[++n] = $4; e[n] = $5; w[n] = $9 "/" $10 "/" $11 } END { if (n) {
        printf "    threads %s: per events run, client CPU (s) / events per subscriber / writer creates, advances, errors:", t
        for (i = 1; i <= n; i++) printf " %s / %s / %s;", c[i], e[i], w[i]; print "" } }' "$OUT/subscribers.tsv"
  done
  echo
  echo "The server's CPU time (user + system, /proc) per request answered, medians of the rounds,"
  echo "and the median of the rounds' ratios to the server without subscribers (less disturbed than req/s"
  echo "when other jobs share the cores):"
  echo
  for T in $THREADS; do
    echo "    threads $T: $(for l in sub-none sub-idle sub-events; do
      cpu_per_req $l "$T" | cut -d' ' -f2 | med | awk -v l=$l '$1 != "nan" { printf "%s %.1f us", l, $1 }'
      [ $l = sub-none ] && { echo -n "; "; continue; }
      join <(cpu_per_req sub-none "$T") <(cpu_per_req $l "$T") | awk '{ print $3 / $2 }' | med |
        awk '$1 != "nan" { printf " (%.2f); ", $1 }'
    done)"
  done
  echo
  echo "(The servers' descriptors and memory are in the machine lines above.)"
  echo
}
summary_durable() {  # durable creates, restart after SIGKILL, start-up
  echo "Creates of volumes, system clock (--time-scale 0.001), $CONNS connections, ${DUR} s:"
  echo
  echo "| store | server threads | acknowledged creates/s | p50 | p99 | non-2xx | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for T in $THREADS; do
    for mode in memory durable; do
      awk -v l="create-$mode" -v t="$T" -v m="$mode" '$1 == l && $2 == t {
        ok = $4 - $8; printf "| %s | %s | %.0f | %.2f ms | %.2f ms | %s | %s/%s/%s/%s |\n",
          (m == "durable" ? "--data-dir (SQLite)" : "memory"), t, ok / ($4 / $5), $6 / 1000,
          $7 / 1000, $8, $9, $10, $11, $12 }' "$RESULTS"
    done
  done
  echo
  echo "Restart on the same data dir after SIGKILL:"
  echo
  grep 'mode=durable' "$DURABLE" | sed 's/^/    /'
  echo
  echo "Start-up (fork/exec to the first 200 on /health, $STARTUP_RUNS runs):"
  echo
  grep -E '^(startup|listen|child)_' "$OUT/startup.txt" | sed 's/^/    /'
  echo
}
{
  echo "## HTTP benchmark"
  echo
  sed 's/^/    /' "$OUT/machine.txt"
  echo
  echo "Load average (1 min) at the start of the wrk runs: $(awk '{ print $13 }' "$RESULTS" | sort -g | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//; s/ / to /')."
  echo
  if [ $ONLY = all ]; then summary_main; fi
  if [ $HAS_DIALECT = 1 ]; then summary_dialects; fi
  if [ $ONLY = subscribers ]; then summary_subscribers; fi
  if [ $ONLY = all ]; then summary_durable; fi
  echo "Raw outputs: $OUT"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
