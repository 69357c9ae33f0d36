#!/usr/bin/env bash
# Builds clients/examples/classify.cpp against the INSTALLED libinferd-client
# only: `meson install --destdir` into a temporary root, then compile with
# the flags from its inferd-client.pc, then run it against a fake daemon.
# Exit 77 (skipped) only when pkg-config is missing.
# Environment (set by meson): BUILD_ROOT, SOURCE_ROOT, FAKE_INFERD, MESON,
# SANITIZE (meson's b_sanitize value).
set -euo pipefail

if ! command -v pkg-config >/dev/null 2>&1; then
  echo "pkg-config is not installed: skipping"
  exit 77
fi
: "${BUILD_ROOT:?}" "${SOURCE_ROOT:?}" "${FAKE_INFERD:?}" "${MESON:?}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-example.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Libraries, headers and the .pc file only (tags), without rebuilding.
"$MESON" install -C "$BUILD_ROOT" --no-rebuild --quiet --tags devel,runtime --destdir "$tmp/root" >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; fail "meson install failed"; }

pc=$(find "$tmp/root" -name inferd-client.pc | head -n 1)
[ -n "$pc" ] || fail "inferd-client.pc was not installed"
echo "installed: $pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
pkg-config --exists inferd-client || fail "pkg-config cannot use $pc"
flags=$(pkg-config --cflags --libs inferd-client)
echo "pkg-config --cflags --libs inferd-client: $flags"
case "$flags" in *"$tmp/root"*) ;; *) fail "flags do not point into the installed root" ;; esac

# The installed headers are self-contained and show no gRPC or protobuf.
incdir=$(find "$tmp/root" -type d -path '*/include/inferd/client' | head -n 1)
[ -f "$incdir/client.h" ] && [ -f "$incdir/tensor.h" ] && [ -f "$incdir/status.h" ] || fail "headers missing in $incdir"
if grep -nE '#include *[<"](grpc|google/|inference|inferd/engine)' "$incdir"/*.h; then
  fail "installed headers include gRPC, protobuf or engine headers"
fi

sanitize=()
if [ -n "${SANITIZE:-}" ] && [ "$SANITIZE" != none ]; then sanitize=("-fsanitize=$SANITIZE"); fi
# Only the example's source and pkg-config's flags: nothing from the build tree.
c++ -std=c++20 -Wall -Wextra -Werror "${sanitize[@]}" "$SOURCE_ROOT/clients/examples/classify.cpp" $flags \
  -o "$tmp/classify" || fail "the example does not build against the installed library"

libdir=$(dirname "$(find "$tmp/root" -name 'libinferd-client.so*' | head -n 1)")
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ldd "$tmp/classify" > "$tmp/ldd.txt" 2>&1 || true
grep -q "$tmp/root.*libinferd-client" "$tmp/ldd.txt" || { cat "$tmp/ldd.txt" >&2; fail "classify does not load the installed library"; }

sock="$tmp/inferd.sock"
"$FAKE_INFERD" "$sock" &
pid=$!
for _ in $(seq 1 200); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "fake daemon did not create $sock"

out=$("$tmp/classify" add_one --socket "$sock" --top 2 --fill 0.5)
echo "$out"
grep -q '^model add_one' <<<"$out" || fail "no model line"
grep -q '^input  x FP32 \[1, 4\]' <<<"$out" || fail "no input line"
grep -q '^output y FP32 \[1, 4\]' <<<"$out" || fail "no output line"
grep -q '#1 index 0 value 1.5' <<<"$out" || fail "wrong top value (expected 0.5 + 1)"

# Errors come back as a status with a code.
if err=$("$tmp/classify" nope --socket "$sock" 2>&1); then fail "unknown model succeeded"; fi
grep -q 'NOT_FOUND' <<<"$err" || fail "unknown model: $err"
echo "ok"
