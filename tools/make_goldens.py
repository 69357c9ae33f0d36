#!/usr/bin/env python3
"""Produce golden reference outputs (and LiteRT timings) for the test models.

For every <stem>.tflite in --models-dir this writes, under --out-dir/<stem>/:

  input_<i>.npy       deterministic input i (subgraph 0 input order)
  output_<i>.npy      LiteRT's output i, in the order of subgraph 0's
                      `outputs` list (= Interpreter.get_output_details();
                      the script checks the two agree, by tensor index)
  manifest.txt        per file: tensor index, name, shape, dtype, max|value|
                      (plus min/mean), the seed, LiteRT version, the ops
  litert_timing.txt   median wall time of 20 invoke() calls, 1 and 2 threads

Inputs: numpy.random.RandomState(seed) with seed = crc32(<stem>); float
image inputs (NHWC, H and W >= 32) are flat random blocks on a 16x16 grid
plus N(0, 0.05) noise clipped to [0, 1] (pure noise makes segmentation
outputs all background); other float inputs are uniform in [0, 1); integer
inputs uniform over
[0, 255] clipped to the dtype's range; in subgraph input order.

Reference run: LiteRT `Interpreter` with its default CPU delegate (XNNPACK),
num_threads=1. The manifest also records the largest difference to LiteRT's
builtin kernels without delegates, as a hint for test tolerances.

Models with MediaPipe's custom op Convolution2DTransposeBias are first
rewritten to builtin TRANSPOSE_CONV (tools/rewrite_transpose_conv_bias.py)
into a temporary directory; the rewritten copy is never written next to the
committed models. The rewrite is checked three ways: each rewritten op
against a NumPy model of MediaPipe's kernel, the op's output against the
original model run through XNNPACK's own implementation of the custom op,
and every other tensor's metadata against the original model.

Needs: pip packages ai-edge-litert, numpy, flatbuffers; flatc.
Re-runnable: outputs are overwritten; same LiteRT + same CPU = same files.
"""

from __future__ import annotations

import argparse
import collections
import os
import pathlib
import platform
import statistics
import sys
import tempfile
import time
import zlib

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import rewrite_transpose_conv_bias as rtcb  # noqa: E402

try:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: the Python package 'ai-edge-litert' is missing (pip install ai-edge-litert)")

REPO_ROOT = rtcb.REPO_ROOT
DEFAULT_MODELS_DIR = REPO_ROOT / "tests" / "data" / "models"
DEFAULT_OUT_DIR = REPO_ROOT / "tests" / "data" / "golden"
TIMING_RUNS = 20
TIMING_WARMUP = 3
TIMING_THREADS = (1, 2)
# Rewritten op vs NumPy model of MediaPipe's kernel (fp32 vs fp64 sums).
OP_CHECK_RTOL = 1e-4


def litert_version() -> str:
    try:
        from importlib.metadata import version
        return version("ai-edge-litert")
    except Exception:  # noqa: BLE001 - informational only
        return "unknown"


def cpu_name() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def make_interpreter(path: pathlib.Path, threads: int = 1, delegates: bool = True,
                     preserve: bool = False) -> Interpreter:
    resolver = OpResolverType.AUTO if delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_path=str(path), num_threads=threads,
                     experimental_op_resolver_type=resolver,
                     experimental_preserve_all_tensors=preserve)
    it.allocate_tensors()
    return it


def make_inputs(interp: Interpreter, seed: int) -> list[np.ndarray]:
    rng = np.random.RandomState(seed)
    inputs = []
    for d in interp.get_input_details():
        shape, dtype = tuple(int(s) for s in d["shape"]), np.dtype(d["dtype"])
        if dtype.kind == "f" and len(shape) == 4 and shape[1] >= 32 and shape[2] >= 32:
            # Image inputs: flat random blocks on a 16x16 grid plus noise.
            # Pure noise drives segmentation models to all-background
            # outputs (near zero everywhere), which would test little.
            n, h, w, c = shape
            grid = rng.random_sample((n, 16, 16, c))
            ys = np.arange(h) * 16 // h
            xs = np.arange(w) * 16 // w
            x = grid[:, ys][:, :, xs] + 0.05 * rng.standard_normal(shape)
            x = np.clip(x, 0.0, 1.0).astype(dtype)
        elif dtype.kind == "f":
            x = rng.random_sample(shape).astype(dtype)
        elif dtype.kind in "iu":
            info = np.iinfo(dtype)
            x = rng.randint(max(info.min, 0), min(info.max, 255) + 1, size=shape).astype(dtype)
        elif dtype.kind == "b":
            x = rng.randint(0, 2, size=shape).astype(dtype)
        else:
            raise SystemExit(f"error: input '{d['name']}' has unsupported dtype {dtype}")
        inputs.append(x)
    return inputs


def run(interp: Interpreter, inputs: list[np.ndarray]) -> list[np.ndarray]:
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


def check_io_order(interp: Interpreter, model_t, label: str) -> tuple[list[int], list[int]]:
    """Subgraph 0's inputs/outputs lists must be what get_*_details() lists."""
    sg = model_t.subgraphs[0]
    want_in, want_out = rtcb._ints(sg.inputs), rtcb._ints(sg.outputs)
    got_in = [int(d["index"]) for d in interp.get_input_details()]
    got_out = [int(d["index"]) for d in interp.get_output_details()]
    if got_in != want_in or got_out != want_out:
        raise SystemExit(f"error: {label}: LiteRT lists inputs {got_in} outputs {got_out}, "
                         f"subgraph 0 declares inputs {want_in} outputs {want_out}")
    return want_in, want_out


def ops_summary(interp: Interpreter) -> collections.Counter:
    return collections.Counter(op["op_name"] for op in interp._get_ops_details())


# --- checks of the Convolution2DTransposeBias rewrite -------------------------

def mediapipe_transpose_conv_bias(x, w, b, out_hw, padding, stride_w, stride_h):
    """NumPy model of MediaPipe's kernel (mediapipe/util/tflite/operations/
    transpose_conv_bias.cc), in float64: output = bias, then every input pixel
    scatters x[iy, ix, :] . w[:, fy, fx, :] to (iy*sh - pad_h + fy, ix*sw -
    pad_w + fx), dropping what falls outside; pad = total SAME padding / 2."""
    x, w, b = (np.asarray(a, np.float64) for a in (x, w, b))
    n, in_h, in_w, _ = x.shape
    out_c, k_h, k_w, _ = w.shape
    out_h, out_w = out_hw
    pad_h = pad_w = 0
    if padding == "SAME":
        pad_h = max(0, k_h - (in_h - 1) % stride_h - 1) // 2
        pad_w = max(0, k_w - (in_w - 1) % stride_w - 1) // 2
    y = np.broadcast_to(b, (n, out_h, out_w, out_c)).copy()
    iy, ix = np.arange(in_h), np.arange(in_w)
    for fy in range(k_h):
        oy = iy * stride_h - pad_h + fy
        vy = (oy >= 0) & (oy < out_h)
        for fx in range(k_w):
            ox = ix * stride_w - pad_w + fx
            vx = (ox >= 0) & (ox < out_w)
            contrib = np.einsum("nhwi,oi->nhwo", x, w[:, fy, fx, :])
            y[:, oy[vy][:, None], ox[vx][None, :], :] += contrib[:, iy[vy][:, None], ix[vx][None, :], :]
    return y


def check_rewrite(original: pathlib.Path, rewritten: pathlib.Path, ops, inputs, schema,
                  tmp: pathlib.Path) -> list[str]:
    notes = []
    # 1. Each rewritten op against the NumPy model, on the builtin kernels.
    it = make_interpreter(rewritten, delegates=False, preserve=True)
    run(it, inputs)
    for r in ops:
        x, w, b, y = (it.get_tensor(t) for t in (r.input, r.weights, r.bias, r.output))
        ref = mediapipe_transpose_conv_bias(x, w, b, y.shape[1:3], r.padding, r.stride_w, r.stride_h)
        err = float(np.max(np.abs(y - ref)))
        scale = float(np.max(np.abs(ref))) or 1.0
        if not err <= OP_CHECK_RTOL * scale:
            raise SystemExit(f"error: rewritten op {r.operator} differs from MediaPipe's semantics: "
                             f"max|diff| {err:.3g} at max|ref| {scale:.3g}")
        notes.append(f"op {r.operator} (TRANSPOSE_CONV, was {rtcb.CUSTOM_OP_NAME}) vs NumPy model "
                     f"of MediaPipe's kernel: max|diff| {err:.3g} (max|ref| {scale:.3g})")

    # 2. Same tensors, original model (XNNPACK runs the custom op) vs rewritten
    #    model (XNNPACK runs TRANSPOSE_CONV): expose the op outputs as graph outputs.
    probes = {}
    for label, path in (("original", original), ("rewritten", rewritten)):
        model_t = rtcb.read_model(path.read_bytes(), schema)
        outs = rtcb._ints(model_t.subgraphs[0].outputs)
        model_t.subgraphs[0].outputs = outs + [r.output for r in ops if r.output not in outs]
        probe = tmp / f"probe_{label}.tflite"
        probe.write_bytes(rtcb.write_model(model_t))
        pit = make_interpreter(probe)
        probes[label] = dict(zip((int(d["index"]) for d in pit.get_output_details()), run(pit, inputs)))
    for r in ops:
        a, c = probes["original"][r.output], probes["rewritten"][r.output]
        err = float(np.max(np.abs(a - c)))
        scale = float(np.max(np.abs(a))) or 1.0
        if not err <= OP_CHECK_RTOL * scale:
            raise SystemExit(f"error: op {r.operator}: XNNPACK's {rtcb.CUSTOM_OP_NAME} and "
                             f"TRANSPOSE_CONV differ: max|diff| {err:.3g} at max|value| {scale:.3g}")
        notes.append(f"op {r.operator} output, XNNPACK {rtcb.CUSTOM_OP_NAME} (original model) vs "
                     f"TRANSPOSE_CONV (rewritten): max|diff| {err:.3g}")

    # 3. Nothing else changed: tensor metadata of every original tensor.
    a_it = Interpreter(model_path=str(original))  # loads; the custom op only fails at invoke
    b_it = Interpreter(model_path=str(rewritten))
    a_t = {d["index"]: d for d in a_it.get_tensor_details()}
    b_t = {d["index"]: d for d in b_it.get_tensor_details()}
    for i, da in a_t.items():
        db = b_t.get(i)
        same = db is not None and all(
            np.array_equal(np.asarray(da[k]), np.asarray(db[k]))
            for k in ("name", "shape", "shape_signature", "dtype"))
        qa, qb = da["quantization_parameters"], (db or {}).get("quantization_parameters", {})
        same = same and all(np.array_equal(qa[k], qb.get(k)) for k in qa)
        if not same:
            raise SystemExit(f"error: rewrite changed tensor {i} ('{da['name']}')")
    notes.append(f"rewrite kept all {len(a_t)} original tensors (name, shape, dtype, "
                 f"quantization); added {len(b_t) - len(a_t)}")
    return notes


# --- goldens ------------------------------------------------------------------

def stats_line(fname: str, index: int, name: str, a: np.ndarray) -> str:
    a64 = a.astype(np.float64)
    return (f"{fname}  tensor={index}  name={name}  shape={list(a.shape)}  dtype={a.dtype}  "
            f"max_abs={np.max(np.abs(a64)):.6g}  min={a64.min():.6g}  max={a64.max():.6g}  "
            f"mean={a64.mean():.6g}")


def time_model(path: pathlib.Path, inputs, threads: int) -> list[float]:
    it = make_interpreter(path, threads=threads)
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    for _ in range(TIMING_WARMUP):
        it.invoke()
    times = []
    for _ in range(TIMING_RUNS):
        t0 = time.perf_counter()
        it.invoke()
        times.append(time.perf_counter() - t0)
    return times


def process(model_path: pathlib.Path, out_root: pathlib.Path, schema, tmp: pathlib.Path,
            timing: bool) -> dict:
    stem = model_path.stem
    out_dir = out_root / stem
    out_dir.mkdir(parents=True, exist_ok=True)
    seed = zlib.crc32(stem.encode()) & 0x7FFFFFFF

    model_t = rtcb.read_model(model_path.read_bytes(), schema)
    ops = rtcb.rewrite(model_t, schema)
    run_path, notes = model_path, []
    if ops:
        run_path = tmp / f"{stem}.builtin.tflite"
        run_path.write_bytes(rtcb.write_model(model_t))
        notes.append(f"run on a copy with {len(ops)} {rtcb.CUSTOM_OP_NAME} op(s) rewritten to "
                     f"TRANSPOSE_CONV v{rtcb.TRANSPOSE_CONV_VERSION} "
                     "(tools/rewrite_transpose_conv_bias.py)")

    interp = make_interpreter(run_path)
    in_idx, out_idx = check_io_order(interp, model_t, stem)
    inputs = make_inputs(interp, seed)
    outputs = run(interp, inputs)
    if ops:
        notes += check_rewrite(model_path, run_path, ops, inputs, schema, tmp)

    plain = make_interpreter(run_path, delegates=False)
    plain_outputs = run(plain, inputs)
    op_counts = ops_summary(plain)

    for i, o in enumerate(outputs):
        if not np.all(np.isfinite(o)):
            raise SystemExit(f"error: {stem}: output {i} has NaN/Inf")

    for old in list(out_dir.glob("input_*.npy")) + list(out_dir.glob("output_*.npy")):
        old.unlink()
    lines = [
        f"# Golden data for {model_path.name}; written by tools/make_goldens.py, do not edit.",
        f"# LiteRT {litert_version()} (ai-edge-litert), default CPU delegate (XNNPACK), num_threads=1",
        f"# inputs: numpy.random.RandomState({seed}) (seed = crc32('{stem}')), float image inputs "
        "16x16 random blocks + N(0,0.05) noise in [0, 1]",
        "# output_<i> is subgraph 0 outputs[i] (= Interpreter.get_output_details()[i]); "
        f"output tensor indices: {out_idx}",
    ]
    lines += [f"# {n}" for n in notes]
    lines.append("# ops (builtin kernels, no delegate): " +
                 ", ".join(f"{k} x{v}" for k, v in sorted(op_counts.items())))
    for i, (d, o, p) in enumerate(zip(interp.get_output_details(), outputs, plain_outputs)):
        diff = float(np.max(np.abs(o.astype(np.float64) - p.astype(np.float64))))
        lines.append(f"# output_{i}: max|XNNPACK - builtin kernels| = {diff:.3g}")
    for i, (d, x) in enumerate(zip(interp.get_input_details(), inputs)):
        np.save(out_dir / f"input_{i}.npy", x)
        lines.append(stats_line(f"input_{i}.npy", int(d["index"]), d["name"], x))
    for i, (d, o) in enumerate(zip(interp.get_output_details(), outputs)):
        np.save(out_dir / f"output_{i}.npy", o)
        lines.append(stats_line(f"output_{i}.npy", int(d["index"]), d["name"], o))
    (out_dir / "manifest.txt").write_text("\n".join(lines) + "\n")

    medians = {}
    if timing:
        tl = [f"# LiteRT invoke() wall time for {model_path.name} (the time to beat)",
              f"# LiteRT {litert_version()}, default CPU delegate (XNNPACK); {TIMING_WARMUP} "
              f"warm-up invokes, then median of {TIMING_RUNS}",
              f"# CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; python {platform.python_version()}"]
        for threads in TIMING_THREADS:
            t = time_model(run_path, inputs, threads)
            medians[threads] = statistics.median(t)
            tl.append(f"threads={threads}  median_ms={medians[threads] * 1e3:.3f}  "
                      f"min_ms={min(t) * 1e3:.3f}  max_ms={max(t) * 1e3:.3f}  runs={len(t)}")
        (out_dir / "litert_timing.txt").write_text("\n".join(tl) + "\n")

    return dict(stem=stem, inputs=inputs, outputs=outputs, details=interp.get_output_details(),
                in_details=interp.get_input_details(), ops=op_counts, medians=medians,
                rewritten=len(ops), notes=notes, out_dir=out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate golden inputs/outputs and LiteRT timings for every .tflite model "
                    "in --models-dir (one folder per model under --out-dir: input_<i>.npy, "
                    "output_<i>.npy, manifest.txt, litert_timing.txt).",
        epilog="Inputs are deterministic (RandomState(crc32(model stem)), floats uniform in "
               "[0, 1)); outputs follow subgraph 0's output order. Models using MediaPipe's "
               "Convolution2DTransposeBias run as a temporary copy rewritten to TRANSPOSE_CONV.")
    parser.add_argument("--models-dir", type=pathlib.Path, default=DEFAULT_MODELS_DIR,
                        help="folder with the .tflite models (default: %(default)s)")
    parser.add_argument("--out-dir", type=pathlib.Path, default=DEFAULT_OUT_DIR,
                        help="where the per-model golden folders go (default: %(default)s)")
    parser.add_argument("--schema", type=pathlib.Path, default=rtcb.DEFAULT_SCHEMA,
                        help="FlatBuffers schema for reading models (default: %(default)s)")
    parser.add_argument("--flatc", default="flatc", help="flatc binary (default: %(default)s)")
    parser.add_argument("--no-timing", action="store_true",
                        help="skip the LiteRT timing runs (litert_timing.txt is left as it is)")
    parser.add_argument("models", nargs="*",
                        help="only these model stems (default: every .tflite in --models-dir)")
    args = parser.parse_args(argv)

    paths = sorted(args.models_dir.glob("*.tflite"))
    if args.models:
        paths = [p for p in paths if p.stem in args.models]
        missing = set(args.models) - {p.stem for p in paths}
        if missing:
            print(f"error: no model(s) {sorted(missing)} in {args.models_dir}", file=sys.stderr)
            return 1
    if not paths:
        print(f"error: no .tflite files in {args.models_dir}", file=sys.stderr)
        return 1
    try:
        schema = rtcb.load_schema(args.schema, args.flatc)
    except rtcb.RewriteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="make_goldens_") as tmp:
        results = []
        for p in paths:
            print(f"== {p.name}", flush=True)
            try:
                results.append(process(p, args.out_dir, schema, pathlib.Path(tmp), not args.no_timing))
            except rtcb.RewriteError as e:
                print(f"error: {p}: {e}", file=sys.stderr)
                return 1
            r = results[-1]
            for n in r["notes"]:
                print(f"   {n}")
            for d, x in zip(r["in_details"], r["inputs"]):
                print(f"   in  {d['name']:<24} {str(list(x.shape)):<18} {x.dtype}")
            for d, o in zip(r["details"], r["outputs"]):
                print(f"   out {d['name']:<24} {str(list(o.shape)):<18} {o.dtype}  "
                      f"range [{o.min():.4g}, {o.max():.4g}]")
            print("   ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(r["ops"].items())))
            if r["medians"]:
                print("   LiteRT median: " + ", ".join(
                    f"{t} thread(s) {m * 1e3:.2f} ms" for t, m in r["medians"].items()))
            print(f"   -> {r['out_dir']}")
    print(f"wrote goldens for {len(results)} model(s) to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
