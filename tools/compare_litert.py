#!/usr/bin/env python3
"""Side-by-side latency of inferd's cpu device and LiteRT on model folders.

For each folder (holding model.tflite and input_<i>.npy, as made by
tools/make_arch_models.py) and thread count 1 and 2, alternates three rounds
of `inferctl run --local --repeat N --threads T` (median of the graph's
compute time) and N LiteRT invoke() calls with its default CPU path
(XNNPACK delegate; wall time around invoke, so it includes the Python call),
and prints the median of the rounds' medians and inferd / LiteRT.

  python3 tools/make_arch_models.py mobilenet_v2_100_224 mobilenet_v3_small_224 efficientnet_b0_224
  python3 tools/compare_litert.py build/arch_models/*_{fp32,int8,dynamic} \
      tests/data/arch_models/{transformer_encoder,lstm_classifier}_*

Needs a build of inferctl (--build-dir, default build) and pip ai-edge-litert.
"""

from __future__ import annotations

import argparse
import glob
import pathlib
import re
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: the Python package 'ai-edge-litert' is missing (pip install ai-edge-litert)")

TIME_RE = re.compile(r"time: median ([0-9.]+) ms")


def inferd_ms(inferctl: str, folder: str, inputs: list[str], threads: int, runs: int) -> float:
    cmd = [inferctl, "run", f"{folder}/model.tflite", "--local", "--repeat", str(runs), "--threads", str(threads),
           "--output-dir", "/tmp/compare_litert_out"]
    for x in inputs:
        cmd += ["--input", x]
    r = subprocess.run(cmd, capture_output=True, text=True)
    m = TIME_RE.search(r.stdout)
    if r.returncode != 0 or not m:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{r.stderr}{r.stdout}")
    return float(m.group(1))


def litert_ms(folder: str, inputs: list[str], threads: int, runs: int) -> float:
    it = Interpreter(model_path=f"{folder}/model.tflite", num_threads=threads)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], np.load(x))
    for _ in range(3):
        it.invoke()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--runs", type=int, default=30, help="invocations per round (x10 for models under 1 ms)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    inferctl = str(pathlib.Path(args.build_dir) / "clients" / "inferctl")
    print(f"{'model':34s} {'thr':>3s} {'inferd ms':>10s} {'LiteRT ms':>10s} {'ratio':>6s}")
    for folder in args.folders:
        inputs = sorted(glob.glob(f"{folder}/input_*.npy"))
        for t in args.threads:
            runs = args.runs
            if litert_ms(folder, inputs, t, 3) < 1.0:
                runs *= 10
            a, b = [], []
            for _ in range(args.rounds):
                a.append(inferd_ms(inferctl, folder, inputs, t, runs))
                b.append(litert_ms(folder, inputs, t, runs))
            ours, ref = statistics.median(a), statistics.median(b)
            print(f"{pathlib.Path(folder).name:34s} {t:3d} {ours:10.3f} {ref:10.3f} {ours / ref:6.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
