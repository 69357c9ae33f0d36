#!/usr/bin/env python3
"""Benchmark inferd's cpu device against LiteRT on the bundled reference models.

For each model (tests/data/models) and thread count, in the same run:
  inferd  `inferctl run MODEL --local --repeat N --threads T` on the golden
          input (tests/data/golden/<model>/input_0.npy); inferctl reports the
          median and minimum of the graph's compute time over the N runs.
  LiteRT  ai_edge_litert Interpreter(num_threads=T) with its default CPU
          delegate (XNNPACK), 3 warm-up invokes, then N timed invoke() calls
          (wall time around invoke(), so it includes the Python call).
MediaPipe's custom op Convolution2DTransposeBias (selfie segmentation) is
rewritten to TRANSPOSE_CONV for LiteRT, as tools/make_goldens.py does.

Prints one table of medians (and minimums), inferd / LiteRT per row. On a
machine busy with other work, run it as root under `chrt -f 10` (real-time
priority for this process tree) so that neither runtime is preempted by
unrelated processes mid-measurement; both run under the same policy.

Usage: tools/bench_models.py [--build-dir build] [--repeat 50] [--threads 1 2]
                             [--models face_detection_short_range ...]
Needs: a build of inferctl, pip package ai-edge-litert, flatc (for the rewrite).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import rewrite_transpose_conv_bias as rtcb  # noqa: E402

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: the Python package 'ai-edge-litert' is missing (pip install ai-edge-litert)")

REPO_ROOT = rtcb.REPO_ROOT
MODELS = ("face_detection_short_range", "hand_landmark_lite", "selfie_segmentation")
LITERT_WARMUP = 3
TIME_RE = re.compile(r"time: median ([0-9.]+) ms, min ([0-9.]+) ms")


def inferd_times(inferctl: pathlib.Path, model: pathlib.Path, inputs: list[pathlib.Path], repeat: int,
                 threads: int, out_dir: pathlib.Path) -> tuple[float, float]:
    cmd = [str(inferctl), "run", str(model), "--local", "--repeat", str(repeat), "--threads", str(threads),
           "--output-dir", str(out_dir)]
    for p in inputs:
        cmd += ["--input", str(p)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{r.stderr}")
    m = TIME_RE.search(r.stdout)
    if not m:
        sys.exit(f"error: no timing line in the output of {' '.join(cmd)}:\n{r.stdout}")
    return float(m.group(1)), float(m.group(2))


def litert_times(model: pathlib.Path, inputs: list[np.ndarray], repeat: int, threads: int) -> tuple[float, float]:
    it = Interpreter(model_path=str(model), num_threads=threads)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    for _ in range(LITERT_WARMUP):
        it.invoke()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=pathlib.Path, default=REPO_ROOT / "build",
                        help="meson build directory holding clients/inferctl (default: build)")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per measurement (default 50)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="model names in tests/data/models")
    args = parser.parse_args(argv)

    inferctl = args.build_dir / "clients" / "inferctl"
    if not inferctl.is_file():
        sys.exit(f"error: {inferctl} not found; build first (ninja -C {args.build_dir})")

    rows = []
    with tempfile.TemporaryDirectory(prefix="inferd-bench-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        schema = None
        for name in args.models:
            model = REPO_ROOT / "tests" / "data" / "models" / f"{name}.tflite"
            golden = REPO_ROOT / "tests" / "data" / "golden" / name
            input_paths = sorted(golden.glob("input_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
            if not model.is_file() or not input_paths:
                sys.exit(f"error: {model} or its golden inputs in {golden} are missing")
            inputs = [np.load(p) for p in input_paths]

            litert_model = model
            if rtcb.CUSTOM_OP_NAME.encode() in model.read_bytes():
                schema = schema or rtcb.load_schema()
                litert_model = tmp / f"{name}.builtin.tflite"
                rtcb.rewrite_file(model, litert_model, schema)

            for threads in args.threads:
                ours = inferd_times(inferctl, model, input_paths, args.repeat, threads, tmp / "out")
                theirs = litert_times(litert_model, inputs, args.repeat, threads)
                rows.append((name, threads, ours, theirs))

    print(f"median (min) ms over {args.repeat} runs; inferd: graph compute time reported by inferctl; "
          "LiteRT: wall time of invoke()")
    print(f"{'model':<28} {'threads':>7} {'inferd':>17} {'LiteRT':>17} {'inferd/LiteRT':>14}")
    for name, threads, ours, theirs in rows:
        print(f"{name:<28} {threads:>7} {ours[0]:>8.3f} ({ours[1]:>6.3f}) {theirs[0]:>8.3f} ({theirs[1]:>6.3f}) "
              f"{ours[0] / theirs[0]:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
