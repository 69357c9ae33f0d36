#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite. Prints
# "N passed, N failed" at the end and exits non-zero on any failure.
#   bash scripts/test.sh              release-style build in build/
#   bash scripts/test.sh --sanitize   debug build with ASan+UBSan in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh
# The foreign-client tests drive inferd with Python's tritonclient[grpc] from
# PyPI, unmodified. Without it (no pip, no network) they report SKIP.
if ! python3 -c 'import tritonclient.grpc, numpy' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'tritonclient[grpc]' numpy ||
    echo "test.sh: could not install tritonclient[grpc]; the tritonclient tests will be skipped" >&2
fi

# setup.sh installs PoCL: the OpenCL tests must run here, not skip.
export INFERD_REQUIRE_OPENCL=${INFERD_REQUIRE_OPENCL:-1}

if [ "$sanitize" = 1 ]; then
  builddir=build-asan
  setup_args=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=98}
  # Fewer mutations: each one runs the model unoptimized under sanitizers.
  export INFERD_MUTATIONS=${INFERD_MUTATIONS:-150}
  # The SIGTERM timing test restarts the daemon per run: 5 runs, not 20.
  export INFERD_SIGTERM_RUNS=${INFERD_SIGTERM_RUNS:-5}
else
  builddir=build
  setup_args=()
fi

if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" "${setup_args[@]}" >/dev/null
else
  meson setup "$builddir" "${setup_args[@]}"
fi
ninja -C "$builddir"

status=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 || status=$?
python3 scripts/test_summary.py "$builddir/meson-logs/testlog.json" || status=1
exit $status
