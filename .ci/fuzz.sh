#!/usr/bin/env bash
# Issue #6: builds the libFuzzer targets of fuzz/ with clang (ASan+UBSan, build-fuzz) and runs
# each from its seed corpus for a bounded time. Any crash, leak, timeout, out-of-memory or
# sanitizer report fails the run; the reproducer is left in build-fuzz/artifacts/.
#
#   .ci/fuzz.sh                       every target, FUZZ_SECONDS each (default 60)
#   .ci/fuzz.sh fuzz_parsers          one target
# Extra configure arguments: MOCKCLOUD_CMAKE_ARGS="..."; parallel jobs: JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${JOBS:-2}
seconds=${FUZZ_SECONDS:-60}
read -r -a extra <<<"${MOCKCLOUD_CMAKE_ARGS:-}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_http_request fuzz_json_body fuzz_parsers)

# clang and its runtimes (libFuzzer is in libclang-rt-14-dev on Debian 12).
if ! command -v clang++ >/dev/null || ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends clang libclang-rt-14-dev
fi

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp:print_suppressions=0"

start=$SECONDS
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMOCKCLOUD_FUZZ=ON -DMOCKCLOUD_BUILD_TESTS=OFF -DMOCKCLOUD_BUILD_BENCH=OFF \
  -DMOCKCLOUD_BUILD_EXAMPLES=OFF -DMOCKCLOUD_INSTALL=OFF -DMOCKCLOUD_WERROR=ON "${extra[@]}"
cmake --build build-fuzz --parallel "$jobs" --target "${targets[@]}"
echo "==== fuzz: build $((SECONDS - start)) s"

mkdir -p build-fuzz/artifacts
for target in "${targets[@]}"; do
  start=$SECONDS
  # Found inputs go to a scratch corpus; the seeds in the repo stay as they are.
  work=build-fuzz/corpus/$target
  mkdir -p "$work"
  echo "==== fuzz: $target for ${seconds} s"
  log=build-fuzz/$target.log
  status=0
  build-fuzz/fuzz/"$target" "$work" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$target-" >"$log" 2>&1 ||
    status=$?
  grep -v -E '^#[0-9]+.*(NEW|REDUCE|pulse)' "$log" | tail -n 80
  if [[ $status -ne 0 ]]; then
    echo "==== fuzz: $target FAILED (exit $status); reproducer in build-fuzz/artifacts/"
    exit 1
  fi
  echo "==== fuzz: $target $((SECONDS - start)) s"
done
