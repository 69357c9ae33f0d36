#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install dependencies, build,
# start the inferd daemon with its default settings and a bundled model
# (MediaPipe face detection), run one inference through `inferctl` over the
# daemon's Unix socket, print a summary of the outputs, and stop the daemon
# with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build inferd inferctl

model=face_detection_short_range
input=tests/data/golden/$model/input_0.npy
work=$(mktemp -d /tmp/inferd-demo.XXXXXX)
log=$work/inferd.log
# No config file and no --socket: inferd and inferctl both use the default
# socket, $XDG_RUNTIME_DIR/inferd/inferd.sock, else /tmp/inferd-<uid>/inferd.sock.
if build/clients/inferctl status >/dev/null 2>&1; then
  echo "demo: an inferd is already serving the default socket; stop it first" >&2
  exit 1
fi

echo "== inferd --model-dir tests/data/models --model $model   (default config, log in $log)"
build/daemon/inferd --model-dir tests/data/models --model "$model" 2>"$log" &
pid=$!
cleanup() {
  if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
}
trap cleanup EXIT

# Ready when the model answers ModelReady (inferctl status lists it READY).
for _ in $(seq 1 300); do
  if build/clients/inferctl status 2>/dev/null | grep -q "$model .*READY"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "inferd exited during start-up:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

echo "== inferctl models"
build/clients/inferctl models
echo "== inferctl run $model --input input=$input --output-dir $work"
build/clients/inferctl run "$model" --input "input=$input" --output-dir "$work"

echo "== stopping inferd (SIGTERM)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
trap - EXIT
echo "inferd exited with status $rc; its log:"
sed 's/^/  /' "$log"
exit $rc
