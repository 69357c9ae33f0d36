#!/usr/bin/env python3
"""Layer-by-layer comparison of inferd's engine with LiteRT on one model.

Runs the model in LiteRT with every tensor preserved (builtin kernels by
default, or the default interpreter with XNNPACK) and in inferd through
`inferctl run --local --dump-tensors`, on the same inputs, then walks the
ops in execution order and reports, for each op output, whether it is
bit-identical to LiteRT's and, when it is not, whether the op's own inputs
were identical (the op itself differs: "local") or not (a difference that
came from upstream: "propagated").

  python3 tools/compare_layers.py MODEL.tflite [-i input_0.npy ...]
      [--inferctl build/clients/inferctl] [--litert builtin|xnnpack]
      [--reference-kernels] [--show N] [--local-only]

Inputs default to random values from a fixed seed. Prints one line per op
that differs (up to --show), then a summary per op type of local
differences (count, max |diff| in ulps of the reference value).
"""

from __future__ import annotations

import argparse
import collections
import csv
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def litert_tensors(model: pathlib.Path, inputs: list[np.ndarray], mode: str) -> dict[int, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    resolver = OpResolverType.AUTO if mode == "xnnpack" else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_path=str(model), num_threads=1, experimental_op_resolver_type=resolver,
                     experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    out = {}
    for d in it.get_tensor_details():
        try:
            out[d["index"]] = np.array(it.get_tensor(d["index"]))
        except ValueError:  # no data (delegated away or never allocated)
            pass
    return out


def ulps(ours: np.ndarray, ref: np.ndarray) -> float:
    if ours.dtype.kind != "f":
        return float(np.max(np.abs(ours.astype(np.int64) - ref.astype(np.int64)))) if ours.size else 0.0
    a = ours.astype(np.float32).view(np.int32).astype(np.int64)
    b = ref.astype(np.float32).view(np.int32).astype(np.int64)
    a = np.where(a < 0, -(a & 0x7FFFFFFF), a)
    b = np.where(b < 0, -(b & 0x7FFFFFFF), b)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", type=pathlib.Path)
    p.add_argument("-i", "--input", action="append", default=[], help="input_<i>.npy in input order")
    p.add_argument("--inferctl", type=pathlib.Path, default=REPO_ROOT / "build" / "clients" / "inferctl")
    p.add_argument("--litert", choices=("builtin", "xnnpack"), default="builtin")
    p.add_argument("--reference-kernels", action="store_true", help="inferd's portable reference kernels")
    p.add_argument("--show", type=int, default=20, help="ops to list (default %(default)s)")
    p.add_argument("--local-only", action="store_true", help="list only ops whose own inputs were identical")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from ai_edge_litert.interpreter import Interpreter
    probe = Interpreter(model_path=str(args.model))
    details = probe.get_input_details()
    if args.input:
        inputs = [np.load(f) for f in args.input]
    else:
        rng = np.random.RandomState(args.seed)
        inputs = [rng.uniform(-1, 1, d["shape"]).astype(d["dtype"]) for d in details]
    ref = litert_tensors(args.model, inputs, args.litert)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        cmd = [str(args.inferctl), "run", str(args.model), "--local", "--dump-tensors", str(tmp / "dump")]
        for d, x in zip(details, inputs):
            f = tmp / f"in_{d['index']}.npy"
            np.save(f, x)
            cmd += ["-i", f"{d['name']}={f}"]
        if args.reference_kernels:
            cmd.append("--reference-kernels")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(tmp / "dump" / "tensors.tsv") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        ours = {int(r["index"]): np.load(tmp / "dump" / f"t{r['index']}.npy") for r in rows}

    # Op inputs and outputs (model tensor indices) from LiteRT's op details.
    ops = {o["index"]: o for o in probe._get_ops_details()}  # pylint: disable=protected-access
    same = {i: (i in ref and ours[i].shape == ref[i].shape and np.array_equal(ours[i], ref[i])) for i in ours}
    shown = 0
    local = collections.defaultdict(lambda: [0, 0.0, 0])
    for n in sorted(ops):
        op = ops[n]
        outs = [t for t in op["outputs"] if t in ours]
        if not outs:
            continue
        inputs_same = all(same.get(t, True) for t in op["inputs"] if t >= 0)
        kind = local[op["op_name"]]
        kind[2] += 1
        for t in outs:
            if t not in ref:
                continue
            if same[t]:
                continue
            u = ulps(ours[t], ref[t])
            d = float(np.max(np.abs(ours[t].astype(np.float64) - ref[t].astype(np.float64))))
            frac = float(np.mean(ours[t] != ref[t]))
            if inputs_same:
                kind[0] += 1
                kind[1] = max(kind[1], u)
            if shown < args.show and (inputs_same or not args.local_only):
                print(f"op {n:4d} {op['op_name']:<20} t{t:<5} {'local' if inputs_same else 'propagated':<10} "
                      f"max|diff| {d:.3g} ({u:.0f} ulp/quanta), {100 * frac:.2f}% differ, max|ref| "
                      f"{float(np.max(np.abs(ref[t]))):.3g}")
                shown += 1
    print("\nops whose output differs although their inputs are identical (local differences):")
    for name, (count, u, total) in sorted(local.items()):
        print(f"  {name:<24} {count:4d} of {total:4d}   max {u:.0f} ulp/quanta")
    return 0


if __name__ == "__main__":
    sys.exit(main())
