#!/usr/bin/env bash
# The server's user-space instructions for N requests of one kind, under callgrind (deterministic,
# unlike wall time on a shared machine). Run it for two N and divide the difference:
#   bench/http/per-request.sh build/http/mockcloud-server get 500; ... get 1500
# KIND: get (one VM, keep-alive) or post (VM creations). Needs valgrind, curl and jq.
set -euo pipefail
server=$1 kind=$2 n=$3
d=$(mktemp -d)
valgrind --tool=callgrind --callgrind-out-file=$d/cg.out "$server" --port 0 --clock virtual --seed 1 --worker-failure-rate 0 --log-level warning --threads 1 > $d/log 2>&1 &
vpid=$!
for i in $(seq 300); do port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' $d/log); [ -n "$port" ] && break; sleep 0.1; done
B=http://127.0.0.1:$port
env=$(curl -s -X POST $B/api/v1/environments/ -H 'Content-Type: application/json' -d '{"name":"dev"}' | jq -r .id)
vm=$(curl -s -X POST $B/api/v1/vms/ -H 'Content-Type: application/json' -d "{\"name\":\"one\",\"environment_id\":\"$env\"}" | jq -r .id)
curl -s -X POST $B/_mock/clock/advance -d '{"seconds":61}' >/dev/null
: > $d/cfg
for i in $(seq $n); do
  if [ $kind = get ]; then echo "url = $B/api/v1/vms/$vm" >> $d/cfg
  else printf '%s\n' "url = $B/api/v1/vms/" 'header = "Content-Type: application/json"' "data = {\"name\":\"vm-$i\",\"environment_id\":\"$env\"}" >> $d/cfg; fi
  echo "output = /dev/null" >> $d/cfg
  [ $i = $n ] || echo next >> $d/cfg
done
curl -s -K $d/cfg
kill -INT $vpid; wait $vpid || true
grep -h "^summary:\|^totals:" $d/cg.out | head -1 | awk '{print $2}'
rm -rf $d
