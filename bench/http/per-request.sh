#!/usr/bin/env bash
# The server's user-space instructions for N requests of one kind, under callgrind (deterministic,
# unlike wall time on a shared machine). Run it for two N and divide the difference:
#   bench/http/per-request.sh build/http/mockcloud-server get 500; ... get 1500
# KIND: get (one VM, keep-alive) or post (VM creations). DIALECT (optional): mockcloud (default)
# or original (the server with --dialect original: GET /api/v1/vms/{integer id}, POST a VMCreate
# {"name","instance_type","environment_id"}):
#   bench/http/per-request.sh build/http/mockcloud-server post 500 original
# Needs valgrind, curl and jq.
set -euo pipefail
server=$1 kind=$2 n=$3 dialect=${4:-mockcloud}
case $kind/$dialect in
  get/mockcloud|post/mockcloud|get/original|post/original) ;;
  *) echo "per-request.sh: KIND get|post, DIALECT mockcloud|original" >&2; exit 2 ;;
esac
d=$(mktemp -d)
vpid=""
trap 'if [ -n "$vpid" ]; then kill "$vpid" 2>/dev/null || true; fi; rm -rf "$d"' EXIT
dialect_args=()  # none for the default, so that servers from before --dialect still run
[ $dialect = original ] && dialect_args=(--dialect original)
valgrind --tool=callgrind --callgrind-out-file=$d/cg.out "$server" --port 0 --clock virtual --seed 1 --worker-failure-rate 0 --log-level warning --threads 1 "${dialect_args[@]}" > $d/log 2>&1 &
vpid=$!
for i in $(seq 300); do port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' $d/log); [ -n "$port" ] && break; sleep 0.1; done
B=http://127.0.0.1:$port
if [ $dialect = original ]; then
  env=$(curl -s -X POST $B/api/v1/environments/ -H 'Content-Type: application/json' -d '{"name":"dev","network_cidr":"10.0.0.0/16"}' | jq -r .id)
  vm=$(curl -s -X POST $B/api/v1/vms/ -H 'Content-Type: application/json' -d "{\"name\":\"one\",\"instance_type\":\"t3.micro\",\"environment_id\":$env}" | jq -r .id)
  body_head='{"name":"vm-' body_tail="\",\"instance_type\":\"t3.micro\",\"environment_id\":$env}"
else
  env=$(curl -s -X POST $B/api/v1/environments/ -H 'Content-Type: application/json' -d '{"name":"dev"}' | jq -r .id)
  vm=$(curl -s -X POST $B/api/v1/vms/ -H 'Content-Type: application/json' -d "{\"name\":\"one\",\"environment_id\":\"$env\"}" | jq -r .id)
  body_head='{"name":"vm-' body_tail="\",\"environment_id\":\"$env\"}"
fi
curl -sf -X POST $B/_mock/clock/advance -H 'Content-Type: application/json' -d '{"seconds":61}' >/dev/null
status=$(curl -s $B/api/v1/vms/$vm | jq -r .status)
[ "$status" = running ] || { echo "per-request.sh: the VM is $status, not running" >&2; exit 1; }
: > $d/cfg
for i in $(seq $n); do
  if [ $kind = get ]; then echo "url = $B/api/v1/vms/$vm" >> $d/cfg
  else printf '%s\n' "url = $B/api/v1/vms/" 'header = "Content-Type: application/json"' "data = $body_head$i$body_tail" >> $d/cfg; fi
  echo "output = /dev/null" >> $d/cfg
  [ $i = $n ] || echo next >> $d/cfg
done
curl -s -K $d/cfg
kill -INT $vpid; wait $vpid || true
vpid=""
grep -h "^summary:\|^totals:" $d/cg.out | head -1 | awk '{print $2}'
