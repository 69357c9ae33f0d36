#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install dependencies, build,
# and run a bundled model (MediaPipe face detection) on a bundled input
# through `inferctl run --local`, printing a summary of its outputs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build inferctl

model=tests/data/models/face_detection_short_range.tflite
input=tests/data/golden/face_detection_short_range/input_0.npy
out=$(mktemp -d /tmp/inferd-demo.XXXXXX)

echo "== inferctl inspect $model"
build/clients/inferctl inspect "$model" | sed -n '1,12p'
echo "   ..."
echo "== inferctl run $model --local --input input=$input --output-dir $out --repeat 10"
build/clients/inferctl run "$model" --local --input "input=$input" --output-dir "$out" --repeat 10
