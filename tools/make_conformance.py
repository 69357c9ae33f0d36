#!/usr/bin/env python3
"""Build the op conformance suite: small TFLite models plus LiteRT goldens.

Every case (tools/conformance_cases.py) is one op (or a few) written with
TensorFlow ops on constant weights drawn from
numpy.random.RandomState(crc32(<case>)), converted with
tf.lite.TFLiteConverter in up to three forms:

  fp32     plain float conversion; goldens from LiteRT's default interpreter
           (XNNPACK delegate, 1 thread)
  int8     full integer quantization: optimizations=[Optimize.DEFAULT],
           TFLITE_BUILTINS_INT8, int8 inputs and outputs (a few cases keep
           float I/O to test QUANTIZE/DEQUANTIZE at the boundary), a
           representative dataset of REPR_SAMPLES inputs drawn from a fixed
           seed; goldens from LiteRT's builtin kernels
           (OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
  dynamic  dynamic-range quantization (Optimize.DEFAULT, no dataset): int8
           weights (only constants with >= 1024 elements are quantized, so
           the weighted cases use weights at least that large) and float
           activations; goldens from the builtin kernels like int8

Writes, for every (case, form), tests/data/conformance/<case>_<form>/:
  model.tflite, input_<i>.npy (subgraph 0 input order), output_<i>.npy
  (LiteRT's outputs, subgraph 0 output order)
and tests/data/conformance/manifest.json (everything about every case: form,
per-output tolerance kind, the builtin ops in the file in operator order,
their versions, shapes, sizes) plus manifest.tsv, the same index in a form
the C++ test (tests/accel_hal/conformance_test.cpp) reads without a JSON
parser. Tolerance kinds per output:
  float       |ours - ref| <= 1e-4 + 1e-3 * max|ref|
  quant       integer outputs of quantized ops: never more than 1 quantum
              off, >= 99 % of elements exactly equal
  dequant:S   float outputs of a DEQUANTIZE of scale S: as `quant`, in units
              of S
  exact       integer/bool outputs of non-quantized ops (ARG_MAX, comparisons,
              SHAPE, CAST): bit-exact; also the float outputs of the forms a
              case lists in `exact=` (dynamic-range models, where inferd
              follows LiteRT's builtin kernels bit for bit)

`--check` rebuilds everything into a temporary folder and compares it file
by file with what is committed (regeneration must be stable).

Needs: pip packages tensorflow-cpu (2.21 used), ai-edge-litert, numpy,
flatbuffers; flatc.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import pathlib
import shutil
import sys
import tempfile
import zlib
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_goldens as mg  # noqa: E402
import rewrite_transpose_conv_bias as rtcb  # noqa: E402

try:
    import tensorflow as tf  # noqa: E402
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: the Python package 'tensorflow-cpu' is missing (pip install tensorflow-cpu)")

import conformance_cases as cc  # noqa: E402
from conformance_cases import CASES, FORMS, Case  # noqa: E402

REPO_ROOT = rtcb.REPO_ROOT
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "conformance"
REPR_SAMPLES = 32
SIZE_BUDGET = 3 * 1024 * 1024


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# --- conversion ---------------------------------------------------------------

def concrete(case_: Case, fn):
    specs = [tf.TensorSpec(i.shape, tf.as_dtype(i.dtype), name=f"in{k}")
             for k, i in enumerate(case_.inputs)]
    tf_fn = tf.function(lambda *xs: fn(*xs), input_signature=specs)
    return tf_fn.get_concrete_function(), tf_fn


def repr_samples(inputs: list, seed: int, count: int = REPR_SAMPLES) -> list[list[np.ndarray]]:
    rng = np.random.RandomState(seed)
    return [[i.sample(rng) for i in inputs] for _ in range(count)]


def convert(concrete_fn, form: str, samples: Callable | None = None, io: str = "int8",
            trackable=None) -> bytes:
    """`samples`: callable returning the representative dataset (int8 form)."""
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_fn], trackable)
    if form == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: iter(samples())
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io != "float32":
            converter.inference_input_type = tf.as_dtype(io)
            converter.inference_output_type = tf.as_dtype(io)
    elif form == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif form != "fp32":
        raise ValueError(form)
    return converter.convert()


def quantize_input(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    if x.dtype == dtype:
        return x
    scale, zp = detail["quantization"]
    if dtype.kind not in "iu" or scale == 0:
        raise SystemExit(f"error: cannot feed {x.dtype} data to input '{detail['name']}' ({dtype})")
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(dtype)


def model_ops(model_t, schema) -> tuple[list[list[str]], dict[str, int]]:
    """Builtin op names per subgraph in operator order, and opcode versions."""
    names = {v: k for k, v in vars(schema.BuiltinOperator.BuiltinOperator).items()
             if not k.startswith("_")}

    def name(code):
        return names.get(rtcb._opcode(code), f"BUILTIN_{rtcb._opcode(code)}")
    codes = model_t.operatorCodes
    ops = [[name(codes[op.opcodeIndex]) for op in sg.operators or []] for sg in model_t.subgraphs]
    versions = {name(code): int(code.version or 1) for code in codes}
    return ops, dict(sorted(versions.items()))


def tolerances(model_t, schema, form: str, out_details: list[dict]) -> list[str]:
    """Per output: float / quant / dequant:<scale> / exact."""
    sg = model_t.subgraphs[0]
    deq = schema.BuiltinOperator.BuiltinOperator.DEQUANTIZE
    producer = {}
    for op in sg.operators or []:
        for t in rtcb._ints(op.outputs):
            producer[t] = op
    kinds = []
    for d in out_details:
        dtype = np.dtype(d["dtype"])
        if dtype == np.float32:
            op = producer.get(int(d["index"]))
            if form == "int8" and op is not None and \
                    rtcb._opcode(model_t.operatorCodes[op.opcodeIndex]) == deq:
                q = sg.tensors[rtcb._ints(op.inputs)[0]].quantization
                kinds.append(f"dequant:{float(q.scale[0]):.9g}")
            else:
                kinds.append("float")
        elif dtype.kind in "iu" and d["quantization"][0] != 0:
            kinds.append("quant")
        else:
            kinds.append("exact")
    return kinds


def make_case(label: str, base: str, form: str, model_bytes: bytes, input_specs: list,
              seed: int, out_dir: pathlib.Path, schema, exact: bool = False) -> dict:
    """Writes out_dir/<label>/{model.tflite,input_*,output_*} and returns the
    manifest entry. Inputs: input_specs sampled from RandomState(seed + 1)
    (the representative dataset uses `seed`), quantized for int8 inputs."""
    case_dir = out_dir / label
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    path = case_dir / "model.tflite"
    path.write_bytes(model_bytes)

    model_t = rtcb.read_model(model_bytes, schema)
    reference = mg.make_interpreter(path, delegates=(form == "fp32"))
    mg.check_io_order(reference, model_t, label)
    details = reference.get_input_details()
    rng = np.random.RandomState(seed + 1)
    raw = [s.sample(rng) for s in input_specs]
    inputs = []
    for x, d in zip(raw, details):
        x = quantize_input(x, d)
        if tuple(d["shape"]) != x.shape:
            reference.resize_tensor_input(d["index"], x.shape)
            reference.allocate_tensors()
        inputs.append(x)
    outputs = mg.run(reference, inputs)
    for i, o in enumerate(outputs):
        if o.dtype.kind == "f" and not np.all(np.isfinite(o)):
            raise SystemExit(f"error: {label}: output {i} has NaN/Inf")
    for i, x in enumerate(inputs):
        np.save(case_dir / f"input_{i}.npy", x)
    for i, o in enumerate(outputs):
        np.save(case_dir / f"output_{i}.npy", o)

    subgraph_ops, versions = model_ops(model_t, schema)
    out_details = reference.get_output_details()
    entry = dict(
        case=label, base=base, form=form,
        golden=("LiteRT default interpreter (XNNPACK), 1 thread" if form == "fp32"
                else "LiteRT builtin kernels (BUILTIN_WITHOUT_DEFAULT_DELEGATES), 1 thread"),
        tolerance=[("exact" if exact and t == "float" else t)
                   for t in tolerances(model_t, schema, form, out_details)],
        ops=subgraph_ops[0], op_versions=versions,
        **({"subgraph_ops": subgraph_ops[1:]} if len(subgraph_ops) > 1 else {}),
        inputs=[dict(name=d["name"], shape=list(x.shape), dtype=str(x.dtype),
                     quantization=[float(d["quantization"][0]), int(d["quantization"][1])])
                for d, x in zip(details, inputs)],
        outputs=[dict(name=d["name"], shape=list(o.shape), dtype=str(o.dtype),
                      quantization=[float(d["quantization"][0]), int(d["quantization"][1])])
                 for d, o in zip(out_details, outputs)],
        bytes=sum(p.stat().st_size for p in case_dir.iterdir()),
        seed=seed)
    return entry


README_INTRO = """\
Generated by `python3 {generator}`; do not edit (the script rewrites this
file, manifest.json and manifest.tsv). Each `<case>/` holds `model.tflite`,
`input_<i>.npy` and `output_<i>.npy` (LiteRT's outputs; fp32 forms from the
default interpreter with XNNPACK, int8 and dynamic forms from the builtin
kernels, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES). manifest.json
records per case the form, the tolerance kind of every output, the builtin
ops in the file (operator order) and their versions; manifest.tsv is the
index `tests/accel_hal/conformance_test.cpp` reads.

No third-party weights: every constant is random from a fixed seed
(crc32 of the case or model name). Toolchain: TensorFlow {tf}, LiteRT {litert}.

Tolerances: float `|ours - ref| <= 1e-4 + 1e-3 * max|ref|`; quant (integer
outputs of quantized ops) never more than 1 quantum off and >= 99 % exactly
equal; dequant:S (float outputs of DEQUANTIZE) the same in units of S;
exact (integer/bool outputs of ARG_MAX, comparisons, SHAPE, CAST, and the
float outputs of cases generated with `exact=`) bit-exact.

Run: `meson test -C build conformance_test --print-errorlogs` (prints one
line of figures per case and the failures grouped by reason);
`INFERD_CONFORMANCE_FILTER=conv2d` runs the cases whose name contains
`conv2d`; `INFERD_CONFORMANCE_DIRS=build/arch_models` runs a folder made by
`tools/make_arch_models.py` instead of the committed ones.
"""


def write_manifest(out_dir: pathlib.Path, entries: list[dict], generator: str, title: str = "") -> None:
    entries = sorted(entries, key=lambda e: e["case"])
    doc = dict(
        generator=generator,
        toolchain=dict(tensorflow=tf.__version__, litert=mg.litert_version()),
        tolerance_kinds={
            "float": "|ours - ref| <= 1e-4 + 1e-3 * max|ref|",
            "quant": "integer output: never more than 1 quantum off, >= 99 % exactly equal",
            "dequant:S": "float output of DEQUANTIZE with scale S: as quant, in units of S",
            "exact": "bit-exact"},
        cases=entries)
    (out_dir / "manifest.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = [f"# Index of manifest.json for tests/accel_hal/conformance_test.cpp; written by {generator}.",
             "# case<TAB>form<TAB>inputs<TAB>per-output tolerance (comma separated)<TAB>ops (operator order)"]
    for e in entries:
        lines.append("\t".join([e["case"], e["form"], str(len(e["inputs"])), ",".join(e["tolerance"]),
                                ",".join(e["ops"]) or "-"]))
    (out_dir / "manifest.tsv").write_text("\n".join(lines) + "\n")
    title = title or "Conformance cases"
    readme = [title, "=" * len(title), "",
              README_INTRO.format(generator=generator, tf=tf.__version__, litert=mg.litert_version()),
              "| case | form | bytes | ops |", "|---|---|---|---|"]
    for e in entries:
        counts: dict[str, int] = {}
        for op in e["ops"] + [o for sg in e.get("subgraph_ops", []) for o in sg]:
            counts[op] = counts.get(op, 0) + 1
        ops = ", ".join(f"{k} x{v}" if v > 1 else k for k, v in sorted(counts.items()))
        readme.append(f"| {e['case']} | {e['form']} | {e['bytes']} | {ops} |")
    (out_dir / "README.md").write_text("\n".join(readme) + "\n")


def read_manifest(out_dir: pathlib.Path) -> list[dict]:
    path = out_dir / "manifest.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["cases"]


def build_case(c: Case, out_dir: pathlib.Path, schema, forms: tuple) -> list[dict]:
    seed = seed_of(c.name)
    fn = c.build(cc.Weights(np.random.RandomState(seed)))
    cf, trackable = concrete(c, fn)
    entries = []
    for form in c.forms:
        if form not in forms:
            continue
        label = f"{c.name}_{form}"
        samples = (lambda: repr_samples(c.inputs, seed))
        model = convert(cf, form, samples, c.io, trackable)
        entry = make_case(label, c.name, form, model, c.inputs, seed, out_dir, schema, exact=form in c.exact)
        entries.append(entry)
        print(f"  {label:<44} {entry['bytes']:>7} B  {' '.join(entry['ops'])}  "
              f"[{','.join(entry['tolerance'])}]", flush=True)
    return entries


def compare_trees(a: pathlib.Path, b: pathlib.Path) -> list[str]:
    diffs = []
    cmp = filecmp.dircmp(a, b)

    def walk(d: filecmp.dircmp, prefix: str):
        diffs.extend(f"only in committed: {prefix}{n}" for n in d.left_only)
        diffs.extend(f"only in rebuilt: {prefix}{n}" for n in d.right_only)
        _, mismatch, errors = filecmp.cmpfiles(d.left, d.right, d.common_files, shallow=False)
        diffs.extend(f"differs: {prefix}{n}" for n in mismatch + errors)
        for name, sub in d.subdirs.items():
            walk(sub, f"{prefix}{name}/")
    walk(cmp, "")
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help="output folder (default: %(default)s)")
    parser.add_argument("--forms", default=",".join(FORMS), help="comma-separated subset of fp32,int8,dynamic")
    parser.add_argument("--check", action="store_true",
                        help="rebuild everything in a temporary folder and compare with --out")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--flatc", default="flatc", help="flatc binary (default: %(default)s)")
    parser.add_argument("cases", nargs="*", help="only these cases (base names; default: all)")
    args = parser.parse_args(argv)

    if args.list:
        for c in CASES.values():
            print(f"{c.name:<40} {','.join(c.forms)}")
        return 0
    forms = tuple(f for f in args.forms.split(",") if f)
    if set(forms) - set(FORMS):
        parser.error(f"unknown form(s) in --forms {args.forms}")
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; see --list")
    if args.check and (args.cases or forms != FORMS):
        parser.error("--check rebuilds everything; give no cases and no --forms")
    try:
        schema = rtcb.load_schema(rtcb.DEFAULT_SCHEMA, args.flatc)
    except rtcb.RewriteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="make_conformance_") as tmp:
        out = pathlib.Path(tmp) / "conformance" if args.check else args.out
        out.mkdir(parents=True, exist_ok=True)
        selected = [CASES[n] for n in args.cases] if args.cases else list(CASES.values())
        rebuilt = {f"{c.name}_{f}" for c in selected for f in c.forms if f in forms}
        entries = [e for e in read_manifest(out) if e["case"] in
                   {f"{c.name}_{f}" for c in CASES.values() for f in c.forms} and e["case"] not in rebuilt]
        for n, c in enumerate(selected, 1):
            print(f"[{n}/{len(selected)}] {c.name}", flush=True)
            entries += build_case(c, out, schema, forms)
        if not args.cases and forms == FORMS:  # drop folders of cases that no longer exist
            known = {e["case"] for e in entries}
            for d in out.iterdir():
                if d.is_dir() and d.name not in known:
                    shutil.rmtree(d)
        write_manifest(out, entries, "tools/make_conformance.py", "Op conformance cases")
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"{len(entries)} model(s) in {out}, {total} bytes in all")
        if total > SIZE_BUDGET:
            print(f"warning: {total} bytes is over the {SIZE_BUDGET}-byte budget", file=sys.stderr)
        if args.check:
            diffs = compare_trees(args.out, out)
            for d in diffs:
                print(d)
            print("check: " + ("regeneration is stable" if not diffs else f"{len(diffs)} difference(s)"))
            return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
