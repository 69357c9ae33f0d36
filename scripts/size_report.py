#!/usr/bin/env python3
"""Size report: how much the engine adds to a program, stripped.

    python3 scripts/size_report.py [--full DIR] [--small DIR] [--model M.tflite] [--jobs N]

Measures engine_probe (engine/probe: load a model, run it once), linked
three ways, each stripped (strip --strip-all) and measured as a file:

  core         engine_probe_core of the full build: loader + verifier,
               constant folding, graph rewrite, memory planner, interpreter,
               op registry, XNNPACK thread-pool glue; no kernel at all.
  all kernels  engine_probe of the full build (every op) minus core: every
               reference kernel plus our own optimized ones (AVX-512, SIMD)
               and the XNNPACK glue of the kernels.
  one model    engine_probe of a selective build (-Dops_from=MODEL, default
               tests/data/models/face_detection_short_range.tflite): core +
               that model's kernels, the whole program.

Shared libraries are not counted (libstdc++, fmt, XNNPACK, pthreadpool,
cpuinfo: dynamic); flatbuffers is header-only, its verifier is in the
binary and counted. The program's own main() and the ELF overhead are in
every number; an empty C++ program is printed for scale. 1 kB = 1000 bytes.

The full build (default build/) must have every op; it is configured with
-Dtests=false when it does not exist. The small build (default build-small/)
is configured or reconfigured with -Dtests=false -Dops_from=MODEL. Only the
two probe programs and what they need are built. Prints PASS or MISS per
target; a MISS does not change the exit status (0), a build failure does.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = {"core": 150_000, "all kernels": 1_000_000, "one model": 400_000}


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def build_options(builddir):
    out = subprocess.run(["meson", "introspect", "--buildoptions", builddir], check=True,
                         capture_output=True, text=True).stdout
    return {o["name"]: o["value"] for o in json.loads(out)}


def setup(builddir, options):
    """Configures builddir with options (a dict), touching it only when they differ."""
    args = [f"-D{k}={','.join(v) if isinstance(v, list) else v}" for k, v in options.items()]
    if not os.path.exists(os.path.join(builddir, "build.ninja")):
        run(["meson", "setup", builddir] + args, cwd=ROOT, stdout=subprocess.DEVNULL)
        return
    have = build_options(builddir)
    norm = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in have.items()}
    if any(norm.get(k) != (v if isinstance(v, list) else str(v).lower()) for k, v in options.items()):
        run(["meson", "configure", builddir] + args, cwd=ROOT, stdout=subprocess.DEVNULL)


def build(builddir, jobs):
    cmd = ["ninja", "-C", builddir] + (["-j", str(jobs)] if jobs else [])
    run(cmd + ["engine/probe/engine_probe", "engine/probe/engine_probe_core"], cwd=ROOT,
        stdout=subprocess.DEVNULL)


def stripped_size(path, tmp):
    out = os.path.join(tmp, os.path.basename(path) + ".stripped")
    subprocess.run(["strip", "--strip-all", "-o", out, path], check=True)
    return os.path.getsize(out)


def empty_program_size(tmp):
    src = os.path.join(tmp, "empty.cpp")
    with open(src, "w") as f:
        f.write("int main() { return 0; }\n")
    exe = os.path.join(tmp, "empty")
    subprocess.run(["c++", "-O2", "-o", exe, src], check=True)
    return stripped_size(exe, tmp)


def breakdown(path):
    """Code and data bytes of the unstripped binary by part (from nm's symbol sizes)."""
    out = subprocess.run(["nm", "-C", "-S", "--size-sort", "-t", "d", path], check=True,
                         capture_output=True, text=True).stdout
    parts = [
        ("int8 GEMM / elementwise, AVX-512 (kernels::opt)", r"kernels::opt::"),
        ("float SIMD kernels (kernels::simd)", r"kernels::simd::"),
        ("quantization helpers (kernels::qk, hybrid)", r"kernels::(qk|hybrid)::"),
        ("other kernels", r"kernels::"),
        ("flatbuffers schema accessors and verifier", r"inferd::tflite::|flatbuffers::"),
        ("engine core", r"inferd::"),
        ("fmt templates", r"fmt::"),
        ("std templates", r"std::|__gnu_cxx::"),
    ]
    sums = {name: 0 for name, _ in parts}
    sums["other"] = 0
    for line in out.splitlines():
        f = line.split(None, 3)
        if len(f) < 4 or f[2].lower() not in "tdrbvw":
            continue
        for name, pattern in parts:
            if re.search(pattern, f[3]):
                sums[name] += int(f[1])
                break
        else:
            sums["other"] += int(f[1])
    return sums


def kb(n):
    return f"{n / 1000:.1f} kB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", default="build", help="build directory with every op (default build)")
    ap.add_argument("--small", default="build-small", help="selective build directory (default build-small)")
    ap.add_argument("--model", default="tests/data/models/face_detection_short_range.tflite")
    ap.add_argument("--jobs", type=int, default=0, help="ninja -j (default: ninja's)")
    args = ap.parse_args()
    full = os.path.join(ROOT, args.full) if not os.path.isabs(args.full) else args.full
    small = os.path.join(ROOT, args.small) if not os.path.isabs(args.small) else args.small

    if not os.path.exists(os.path.join(full, "build.ninja")):
        setup(full, {"tests": "false"})
    if build_options(full).get("ops") or build_options(full).get("ops_from"):
        print(f"size_report: {args.full} is a selective build; give --full a build with every op", file=sys.stderr)
        return 2
    build(full, args.jobs)
    setup(small, {"tests": "false", "ops": [], "ops_from": [args.model]})
    build(small, args.jobs)

    buildtype = build_options(full).get("buildtype")
    with tempfile.TemporaryDirectory() as tmp:
        core = stripped_size(os.path.join(full, "engine/probe/engine_probe_core"), tmp)
        every = stripped_size(os.path.join(full, "engine/probe/engine_probe"), tmp)
        one = stripped_size(os.path.join(small, "engine/probe/engine_probe"), tmp)
        empty = empty_program_size(tmp)
        parts = breakdown(os.path.join(small, "engine/probe/engine_probe"))

    with open(os.path.join(small, "engine/op_selection_config.h")) as f:
        ops = re.findall(r"BuiltinOperator::(\w+),|^\s+\"(\w+)\",$", f.read().split("kKnownCustom")[0], re.M)
    ops = [a or b for a, b in ops]
    results = {"core": core, "all kernels": every - core, "one model": one}
    print()
    print(f"== size report (stripped, {buildtype} build; 1 kB = 1000 bytes; shared libraries not counted)")
    print(f"   empty C++ program for scale: {kb(empty)}")
    what = {
        "core": f"engine_probe_core ({args.full}): the engine without kernels",
        "all kernels": f"engine_probe minus engine_probe_core ({args.full}, every op): {kb(every)} - {kb(core)}",
        "one model": f"engine_probe ({args.small}, {len(ops)} ops of {os.path.basename(args.model)}): core + kernels",
    }
    for name, size in results.items():
        verdict = "PASS" if size <= TARGETS[name] else "MISS"
        print(f"{verdict} {name:<12} {kb(size):>10}  (target <= {kb(TARGETS[name])})  {what[name]}")
    print(f"   ops of the one-model build: {', '.join(ops)}")
    print("   where the one-model build's bytes are (symbol sizes, unstripped):")
    for name, size in sorted(parts.items(), key=lambda kv: -kv[1]):
        if size:
            print(f"     {kb(size):>10}  {name}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as e:
        print(f"size_report: '{' '.join(e.cmd)}' failed with exit status {e.returncode}", file=sys.stderr)
        sys.exit(1)
