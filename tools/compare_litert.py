#!/usr/bin/env python3
"""Side-by-side latency of inferd's cpu device and LiteRT on model folders.

For each folder (holding model.tflite and input_<i>.npy, as made by
tools/make_arch_models.py) and thread count 1 and 2, alternates three rounds
of `inferctl bench --local --runs N --threads T --json` (median of the graph's
compute time after one warm-up run) and N LiteRT invoke() calls with its default CPU path
(XNNPACK delegate; wall time around invoke, so it includes the Python call),
and prints the median of the rounds' medians and inferd / LiteRT.

  python3 tools/make_arch_models.py mobilenet_v2_100_224 mobilenet_v3_small_224 efficientnet_b0_224
  python3 tools/compare_litert.py build/arch_models/*_{fp32,int8,dynamic} \
      tests/data/arch_models/{transformer_encoder,lstm_classifier}_*

--write-doc docs/performance.md also writes the whole Markdown page: the
table (inferd ms, LiteRT ms and the ratio at each thread count), the machine
(CPU model and ISA flags from /proc/cpuinfo, cores), the date, the versions
and the exact commands that reproduce it (--note adds paragraphs of your own).

Needs a build of inferctl (--build-dir, default build) and pip ai-edge-litert.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import importlib.metadata
import json
import os
import pathlib
import re
import shlex
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: the Python package 'ai-edge-litert' is missing (pip install ai-edge-litert)")


def fmt_ms(v: float) -> str:
    """3 decimals, or 3 significant digits below 1 ms (µs-scale models)."""
    if v >= 1:
        return f"{v:.3f}"
    return np.format_float_positional(v, precision=3, unique=False, fractional=False, trim="k")


def input_files(folder: str) -> list[str]:
    """input_<i>.npy in the model's input order (i numerically)."""
    files = glob.glob(f"{folder}/input_*.npy")
    return sorted(files, key=lambda f: int(re.search(r"input_(\d+)\.npy$", f).group(1)))


def inferd_ms(inferctl: str, folder: str, inputs: list[str], threads: int, runs: int) -> float:
    cmd = [inferctl, "bench", f"{folder}/model.tflite", "--local", "--runs", str(runs), "--threads", str(threads),
           "--json"]
    # NAME=FILE, the names as LiteRT reports them (the model's tensor names),
    # so that models with several inputs work too.
    names = [d["name"] for d in Interpreter(model_path=f"{folder}/model.tflite").get_input_details()]
    for name, x in zip(names, inputs):
        cmd += ["--input", f"{name}={x}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    try:
        median = json.loads(r.stdout)["median_ms"] if r.returncode == 0 else None
    except (ValueError, KeyError):
        median = None
    if median is None:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{r.stderr}{r.stdout}")
    return float(median)


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


REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512vbmi")


def machine() -> str:
    """CPU model, the ISA flags that pick inferd's kernels, and the cores."""
    model, flags = "unknown CPU", set()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and model == "unknown CPU":
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    isa = ", ".join(f for f in ISA_FLAGS if f in flags) or "none of " + ", ".join(ISA_FLAGS)
    online = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else online
    cores = f"{online} logical CPUs" + (f" ({usable} usable by this process)" if usable != online else "")
    return f"{model}; {cores}; ISA flags: {isa}"


def git_revision() -> str:
    r = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 else "unknown"


def repo_relative(path: str) -> str:
    """`path` relative to the repository when it lies inside it (commands run from the root)."""
    try:
        return str(pathlib.Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return path


def setup_commands(folders: list[str]) -> list[str]:
    """Commands that make the model folders: make_arch_models.py for those under build/arch_models."""
    arch = sorted({re.sub(r"_(fp32|int8|dynamic)$", "", pathlib.Path(f).name)
                   for f in folders if pathlib.Path(f).resolve().parent == REPO_ROOT / "build" / "arch_models"})
    return ["python3 tools/make_arch_models.py " + " ".join(arch)] if arch else []


def write_doc(path: str, args: argparse.Namespace, results: dict[str, dict[int, tuple[float, float]]],
              started: datetime.datetime) -> None:
    threads = args.threads
    cmd = ["python3", "tools/compare_litert.py", *map(repo_relative, args.folders), "--build-dir", repo_relative(args.build_dir), "--runs",
           str(args.runs), "--rounds", str(args.rounds), "--threads", *map(str, threads)]
    try:
        litert = importlib.metadata.version("ai-edge-litert")
    except importlib.metadata.PackageNotFoundError:
        litert = "unknown"
    lines = [
        "# Performance (snapshot)",
        "",
        "<!-- Written by tools/compare_litert.py --write-doc; rerun it rather than editing by hand. -->",
        "",
        f"inferd's cpu device against LiteRT {litert} (ai-edge-litert, default CPU path = XNNPACK",
        f"delegate), side by side in one run: {args.rounds} alternating rounds of `inferctl bench --local",
        "--runs N` (median of the graph's compute time after one warm-up run) and N LiteRT `invoke()`",
        "calls (median wall time around the call, so it includes the Python call, ~1 µs);",
        f"N = {args.runs}, x10 for models under 1 ms. Each figure is the median of the rounds' medians;",
        "ratio = inferd / LiteRT (below 1: inferd faster).",
        "",
        f"- Machine: {machine()}",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M %Z').strip()}",
        f"- inferd: git {git_revision()}, inferctl of `{repo_relative(args.build_dir)}` "
        "(`meson setup build --buildtype=release`)",
        "",
        "Reproduce:",
        "",
        "```sh",
        "meson setup build --buildtype=release && ninja -C build",
        *setup_commands(args.folders),
        " ".join(shlex.quote(c) for c in cmd) + " \\",
        f"    --write-doc {shlex.quote(repo_relative(path))}",
        "```",
        "",
    ]
    for note in args.note:
        lines += [note, ""]
    header = ["model"]
    for t in threads:
        header += [f"inferd ms ({t}T)", f"LiteRT ms ({t}T)", f"ratio ({t}T)"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, by_threads in results.items():
        row = [name]
        for t in threads:
            ours, ref = by_threads[t]
            row += [fmt_ms(ours), fmt_ms(ref), f"{ours / ref:.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    pathlib.Path(path).write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--runs", type=int, default=30, help="invocations per round (x10 for models under 1 ms)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--write-doc", metavar="FILE.md",
                        help="also write the whole performance page (e.g. docs/performance.md)")
    parser.add_argument("--note", action="append", default=[],
                        help="with --write-doc: a paragraph to add before the table (repeatable)")
    args = parser.parse_args()
    if args.note and not args.write_doc:
        parser.error("--note needs --write-doc")
    started = datetime.datetime.now().astimezone()
    inferctl = str(pathlib.Path(args.build_dir) / "clients" / "inferctl")
    results: dict[str, dict[int, tuple[float, float]]] = {}
    print(f"{'model':34s} {'thr':>3s} {'inferd ms':>10s} {'LiteRT ms':>10s} {'ratio':>6s}")
    for folder in args.folders:
        inputs = input_files(folder)
        for t in args.threads:
            runs = args.runs
            if litert_ms(folder, inputs, t, 3) < 1.0:
                runs *= 10
            a, b = [], []
            for _ in range(args.rounds):
                a.append(inferd_ms(inferctl, folder, inputs, t, runs))
                b.append(litert_ms(folder, inputs, t, runs))
            ours, ref = statistics.median(a), statistics.median(b)
            results.setdefault(pathlib.Path(folder).name, {})[t] = (ours, ref)
            print(f"{pathlib.Path(folder).name:34s} {t:3d} {fmt_ms(ours):>10s} {fmt_ms(ref):>10s} {ours / ref:6.2f}",
                  flush=True)
    if args.write_doc:
        write_doc(args.write_doc, args, results, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
