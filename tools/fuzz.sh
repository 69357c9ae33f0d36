#!/usr/bin/env bash
# Runs the fuzz targets with libFuzzer (clang, ASan + UBSan) for a long
# time and reports executions and findings per target.
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Default: 3600 s each for fuzz_model, fuzz_infer_request, fuzz_config,
# fuzz_metrics_http.
# Builds into build-fuzz/ (CXX=clang++, -Dfuzzing=true, every library
# instrumented with -fsanitize=fuzzer-no-link); the working corpus grows in
# build-fuzz/corpus/<target>/ (seeded from the committed corpus) and
# crashes, hangs (> 10 s per input) and leaks land in build-fuzz/findings/.
# A finding worth keeping goes into tests/fuzz/corpus/ so that the
# replay tests in CI run it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_model fuzz_infer_request fuzz_config fuzz_metrics_http)
command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang (apt-get install clang)"; exit 1; }

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dwerror=false \
    -Dcpp_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined' >/dev/null
fi
ninja -C build-fuzz "${targets[@]/#/tests/fuzz/}"

declare -A seeds=(
  [fuzz_model]="tests/fuzz/corpus/model tests/data/conformance tests/data/control_flow"
  [fuzz_infer_request]="tests/fuzz/corpus/infer_request"
  [fuzz_config]="tests/fuzz/corpus/config configs"
  [fuzz_metrics_http]="tests/fuzz/corpus/metrics_http"
)
declare -A maxlen=([fuzz_model]=262144 [fuzz_infer_request]=4096 [fuzz_config]=8192 [fuzz_metrics_http]=16384)
mkdir -p build-fuzz/findings
summary=()
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  for s in ${seeds[$t]}; do
    find "$s" -type f \( -name '*.tflite' -o ! -path '*/data/*' \) -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  done
  log=build-fuzz/findings/$t.log
  echo "fuzz.sh: $t for $seconds s (log $log)"
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/tests/fuzz/$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -max_len="${maxlen[$t]}" -artifact_prefix="build-fuzz/findings/$t-" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(ls build-fuzz/findings/ | grep -c "^$t-" || true)
  summary+=("$t: ${execs:-?} execs, exit $rc, $found finding file(s)")
done
printf '%s\n' "${summary[@]}"
