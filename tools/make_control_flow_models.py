#!/usr/bin/env python3
"""Build small converter-made models with control flow, variables, LSTMs and
several signatures, and record LiteRT's outputs as goldens.

Writes tests/data/control_flow/:
  <model>.tflite        the converted models (see MODELS below)
  <case>/case.txt       one golden case: the model, the signature (or '-'
                        for subgraph 0 through the plain interpreter), how
                        many consecutive invokes, and the files:
                          input <tensor name> <file>
                          output <invoke> <tensor name> <file>
  <case>/*.npy          inputs and LiteRT's outputs
  README.md             provenance and the ops of every model
Checked by tests/engine/control_flow_models_test.cpp.

Models (weights from numpy.random.RandomState(crc32(<name>)), inputs too):
  while_loop        tf.while_loop whose trip count depends on the input
  while_grow        tf.while_loop that grows a tensor (shapes change per
                    iteration)
  cond              tf.cond on the input's sum (IF with two branches)
  variable          a tf.Variable accumulated on every call (CALL_ONCE,
                    VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE); two
                    invokes, so the second sees the first's update
  lstm              tf_keras (Keras 2) LSTM (return_sequences) + Dense,
                    float: UNIDIRECTIONAL_SEQUENCE_LSTM
  lstm_dynamic      the same with dynamic-range quantization (int8 weights,
                    float activations: the hybrid LSTM kernel)
  lstm_keras3       the same layers in Keras 3, which converts the LSTM to
                    a WHILE loop over the cell's ops
  multi_signature   a tf.Module with two signatures ('scale', 'combine')

Reference: LiteRT Interpreter, builtin kernels (no delegate: XNNPACK does
not take control flow), num_threads=1. Case <model>: subgraph 0 through the
plain API, one invoke. Case <model>_<key>: signature <key> through its
runner; models with state are invoked twice on the same interpreter.

Needs: tensorflow-cpu (2.21 used), tf-keras (same version), ai-edge-litert,
numpy.
Re-runnable: outputs are overwritten.
"""

from __future__ import annotations

import collections
import os
import pathlib
import shutil
import subprocess
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

# The goldens of each model are made in a child process of their own that
# does not load TensorFlow: LiteRT's resource variables misbehave after
# other models ran in the same process (READ_VARIABLE finds no variable).
GOLDENS_ONLY = "--goldens-only" in sys.argv[1:]
try:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402
    if not GOLDENS_ONLY:
        import keras  # noqa: E402
        import tf_keras  # noqa: E402
        import tensorflow as tf  # noqa: E402
        from tensorflow.lite.python import schema_py_generated as schema  # noqa: E402
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: needs the pip packages tensorflow-cpu, tf-keras and ai-edge-litert")

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "tests" / "data" / "control_flow"


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def convert_module(functions, module, quantize: bool = False) -> bytes:
    conv = tf.lite.TFLiteConverter.from_concrete_functions(functions, module)
    if quantize:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    return conv.convert()


def while_loop():
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            # Doubles-and-shifts until the sum passes 40: 2 to 6 iterations
            # for inputs in [0, 1).
            i = tf.constant(0)
            c = lambda i, y: tf.reduce_sum(y) < 40.0  # noqa: E731
            b = lambda i, y: (i + 1, y * 1.75 + 0.5)  # noqa: E731
            n, y = tf.while_loop(c, b, (i, x))
            return {"count": n, "value": y}
    m = M()
    return convert_module([m.__call__.get_concrete_function()], m)


def while_grow():
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32)])
        def __call__(self, x):
            def body(i, acc):
                row = x * tf.cast(i + 1, tf.float32)
                return i + 1, tf.concat([acc, row], axis=0)
            _, acc = tf.while_loop(lambda i, acc: i < 4, body, (tf.constant(0), x),
                                   shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, 3])))
            return {"rows": acc}
    m = M()
    return convert_module([m.__call__.get_concrete_function()], m)


def cond():
    rng = np.random.RandomState(seed_of("cond"))
    w = tf.constant(rng.uniform(-1, 1, (4, 3)).astype(np.float32))

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2, 4], tf.float32)])
        def __call__(self, x):
            y = tf.cond(tf.reduce_sum(x) > 4.0,
                        lambda: tf.nn.relu(tf.matmul(x, w)),
                        lambda: tf.tanh(tf.matmul(x - 1.0, w)) * 3.0)
            return {"y": y}
    m = M()
    return convert_module([m.__call__.get_concrete_function()], m)


def variable():
    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.total = tf.Variable(tf.fill([1, 4], 0.25))

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            self.total.assign_add(x)
            return {"total": self.total * 2.0}
    m = M()
    return convert_module([m.__call__.get_concrete_function()], m)


def lstm(quantize: bool, fused: bool = True):
    # tf_keras (Keras 2) LSTMs convert to the fused UNIDIRECTIONAL_SEQUENCE_LSTM;
    # Keras 3 LSTMs convert to a WHILE loop over the cell's ops.
    k = tf_keras if fused else keras
    name = "lstm"
    # Big enough (weights >= 1024 elements) for dynamic-range quantization
    # to store int8 weights.
    inp = k.Input((6, 32), batch_size=2, name="seq")
    h = k.layers.LSTM(40, return_sequences=True)(inp)
    out = k.layers.Dense(3)(h)
    model = k.Model(inp, out)
    rng = np.random.RandomState(seed_of(name))
    model.set_weights([rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    return conv.convert()


def multi_signature():
    rng = np.random.RandomState(seed_of("multi_signature"))
    w = tf.constant(rng.uniform(-1, 1, (3, 2)).astype(np.float32))

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32)])
        def scale(self, x):
            return {"scaled": x * 3.0 + 1.0}

        @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.float32), tf.TensorSpec([2, 2], tf.float32)])
        def combine(self, a, b):
            return {"sum": tf.matmul(a, w) + b, "diff": tf.reduce_max(a, axis=1) - tf.reduce_min(b, axis=1)}

    m = M()
    return convert_module([m.scale.get_concrete_function(), m.combine.get_concrete_function()], m)


MODELS = {
    "while_loop": (while_loop, 1),
    "while_grow": (while_grow, 1),
    "cond": (cond, 1),
    "variable": (variable, 2),
    "lstm": (lambda: lstm(False), 2),
    "lstm_dynamic": (lambda: lstm(True), 2),
    "lstm_keras3": (lambda: lstm(False, fused=False), 1),
    "multi_signature": (multi_signature, 1),
}


def ops_of(data: bytes) -> list[str]:
    m = schema.ModelT.InitFromPackedBuf(data, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    out = []
    for s, sg in enumerate(m.subgraphs):
        counts = collections.Counter()
        for op in sg.operators or []:
            code = m.operatorCodes[op.opcodeIndex]
            b = max(code.builtinCode, code.deprecatedBuiltinCode)
            counts[code.customCode.decode() if code.customCode else names.get(b, str(b))] += 1
        out.append(f"subgraph {s}: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    return out


def inputs_for(details, rng) -> dict[str, np.ndarray]:
    arrays = {}
    for d in details:
        arrays[d["name"]] = rng.uniform(0, 1, d["shape"]).astype(d["dtype"])
    return arrays


def safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)


def write_case(case_dir: pathlib.Path, model_file: str, signature: str, invokes: int,
               inputs: dict[str, np.ndarray], outputs: list[dict[str, np.ndarray]]) -> None:
    case_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"model {model_file}", f"signature {signature}", f"invokes {invokes}"]
    for name, a in inputs.items():
        f = f"in_{safe(name)}.npy"
        np.save(case_dir / f, a)
        lines.append(f"input {name} {f}")
    for k, outs in enumerate(outputs):
        for name, a in outs.items():
            f = f"out{k}_{safe(name)}.npy"
            np.save(case_dir / f, a)
            lines.append(f"output {k} {name} {f}")
    (case_dir / "case.txt").write_text("\n".join(lines) + "\n")


def make_interp(path: pathlib.Path) -> Interpreter:
    return Interpreter(model_path=str(path), num_threads=1,
                       experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)


def golden_cases(name: str, path: pathlib.Path, invokes: int) -> list[str]:
    rng = np.random.RandomState(seed_of(name))
    made = []
    # Subgraph 0 through the plain interpreter API, one invoke (LiteRT's
    # plain API fails a second invoke of the variable model).
    interp = make_interp(path)
    interp.allocate_tensors()
    ins = inputs_for(interp.get_input_details(), rng)
    for d in interp.get_input_details():
        interp.set_tensor(d["index"], ins[d["name"]])
    interp.invoke()
    results = [{d["name"]: interp.get_tensor(d["index"]) for d in interp.get_output_details()}]
    write_case(OUT_DIR / name, path.name, "-", 1, ins, results)
    made.append(name)
    # Every signature through its runner (a fresh interpreter each), with
    # `invokes` consecutive invokes for models with state.
    interp = make_interp(path)
    for key in interp.get_signature_list():
        if key == "serving_default" and len(interp.get_signature_list()) == 1 and invokes == 1:
            continue  # same subgraph and run as above
        runner = make_interp(path).get_signature_runner(key)
        ins = {n: rng.uniform(0, 1, d["shape"]).astype(d["dtype"]) for n, d in runner.get_input_details().items()}
        results = [dict(runner(**ins)) for _ in range(invokes)]
        case = f"{name}_{key}"
        write_case(OUT_DIR / case, path.name, key, invokes, ins, results)
        made.append(case)
    return made


def main() -> int:
    if GOLDENS_ONLY:
        name = sys.argv[-1]
        print(" ".join(golden_cases(name, OUT_DIR / f"{name}.tflite", MODELS[name][1])))
        return 0
    if OUT_DIR.exists():
        shutil.rmtree(OUT_DIR)
    OUT_DIR.mkdir(parents=True)
    for name, (build, _) in MODELS.items():
        tf.keras.utils.set_random_seed(seed_of(name))
        (OUT_DIR / f"{name}.tflite").write_bytes(build())
    rows = []
    for name in MODELS:
        cases = subprocess.run([sys.executable, __file__, "--goldens-only", name], check=True, capture_output=True,
                               text=True).stdout.strip()
        data = (OUT_DIR / f"{name}.tflite").read_bytes()
        rows.append((name, len(data), ops_of(data), cases.split()))
        print(f"{name}: {len(data)} bytes; cases {cases}; " + "; ".join(ops_of(data)))
    readme = [
        "Converter-made control-flow / variable / LSTM / multi-signature models",
        "=======================================================================",
        "",
        "Generated by `python3 tools/make_control_flow_models.py`; do not edit.",
        "Every weight and input is random (numpy RandomState(crc32(name))); no",
        "third-party data. Goldens: LiteRT builtin kernels, 1 thread.",
        f"Toolchain: TensorFlow {tf.__version__}.",
        "",
        "| model | bytes | golden cases | ops per subgraph |",
        "|---|---|---|---|",
    ]
    for name, size, ops, cases in rows:
        readme.append(f"| {name}.tflite | {size} | {', '.join(cases)} | {'<br>'.join(ops)} |")
    (OUT_DIR / "README.md").write_text("\n".join(readme) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
