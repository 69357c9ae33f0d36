#!/usr/bin/env python3
"""Rewrite MediaPipe's custom op Convolution2DTransposeBias into builtin TRANSPOSE_CONV.

MediaPipe models (selfie segmentation, ...) use a custom op that runtimes
without MediaPipe's op resolver cannot run. This tool rewrites every such op
into the builtin TRANSPOSE_CONV, version 3 (the version that adds the optional
bias input), so stock LiteRT can produce reference outputs for the model.

  custom  Convolution2DTransposeBias(input, weights[O,KH,KW,I], bias[O])
          custom_options = int32 LE {padding (1 SAME, 2 VALID), stride_w, stride_h}
  builtin TRANSPOSE_CONV(output_shape: int32[4] constant, weights, input, bias)
          TransposeConvOptions{padding (SAME 0, VALID 1), stride_w, stride_h}

The output_shape constant is a new int32 tensor + buffer holding the custom
op's (static) output shape. Both ops use the same OHWI weight layout, the
same output size and the same padding offset (total padding / 2 before), so
the rewrite keeps the numbers; tools/make_goldens.py checks this against a
NumPy model of MediaPipe's kernel.

The model is read and written with the FlatBuffers Python object API,
generated at run time by `flatc` from the project's own schema
(engine/schema/tflite.fbs) into a temporary directory; nothing generated is
kept. Fields that the schema does not declare would be dropped, so the schema
must declare everything real files carry (it tracks TFLite schema v3).

Usage: tools/rewrite_transpose_conv_bias.py IN.tflite OUT.tflite
Needs: flatc (Debian: flatbuffers-compiler), pip packages flatbuffers, numpy.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import importlib
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

try:
    import flatbuffers
except ImportError:  # pragma: no cover - message for people, not tests
    sys.exit("error: the Python package 'flatbuffers' is missing (pip install flatbuffers)")

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO_ROOT / "engine" / "schema" / "tflite.fbs"

CUSTOM_OP_NAME = "Convolution2DTransposeBias"
TRANSPOSE_CONV_VERSION = 3  # v3 = TRANSPOSE_CONV with the optional bias input
BUFFER_ALIGNMENT = 16  # what the TFLite converter uses for Buffer.data

# TfLitePadding, which MediaPipe's kernel reads from the custom options.
_MEDIAPIPE_PADDING = {1: "SAME", 2: "VALID"}


class RewriteError(Exception):
    """The model cannot be rewritten; the message says which op and why."""


@dataclasses.dataclass(frozen=True)
class RewrittenOp:
    """Where a rewritten op sits, for callers that want to check it."""

    subgraph: int
    operator: int
    input: int  # tensor indices
    weights: int
    bias: int
    output: int
    output_shape_tensor: int
    padding: str  # "SAME" or "VALID"
    stride_w: int
    stride_h: int


class Schema:
    """The Python modules flatc generated from a .fbs schema.

    Attribute access returns the generated module of a type, e.g.
    `schema.Model.ModelT`, `schema.BuiltinOperator.BuiltinOperator`.
    """

    def __init__(self, package: str, gen_dir: pathlib.Path):
        self.package = package
        self.gen_dir = gen_dir

    def __getattr__(self, type_name: str):
        try:
            return importlib.import_module(f"{self.package}.{type_name}")
        except ImportError as e:
            raise RewriteError(
                f"schema has no type '{type_name}' (looked for module "
                f"{self.package}.{type_name} in {self.gen_dir})") from e


_schemas: dict[tuple[str, str], Schema] = {}


def load_schema(schema_path: pathlib.Path | str = DEFAULT_SCHEMA, flatc: str = "flatc") -> Schema:
    """Generates the Python object API for `schema_path` and makes it importable."""
    schema_path = pathlib.Path(schema_path).resolve()
    key = (str(schema_path), flatc)
    if key in _schemas:
        return _schemas[key]
    if not schema_path.is_file():
        raise RewriteError(f"schema '{schema_path}' does not exist")
    if shutil.which(flatc) is None:
        raise RewriteError(f"'{flatc}' not found on PATH (Debian: apt-get install flatbuffers-compiler)")
    text = schema_path.read_text()
    match = re.search(r"^\s*namespace\s+([A-Za-z_][\w.]*)\s*;", text, re.M)
    if match is None:
        raise RewriteError(f"schema '{schema_path}' declares no namespace")
    package = match.group(1)

    gen_dir = pathlib.Path(tempfile.mkdtemp(prefix="tflite_schema_py_"))
    atexit.register(shutil.rmtree, gen_dir, ignore_errors=True)
    cmd = [flatc, "--python", "--gen-object-api", "-o", str(gen_dir), str(schema_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RewriteError(f"'{' '.join(cmd)}' failed ({proc.returncode}): {proc.stderr.strip()}")

    top = package.split(".")[0]
    if top in sys.modules:  # an unrelated package of that name would shadow ours
        loaded = getattr(sys.modules[top], "__file__", None) or ""
        if not loaded.startswith(str(gen_dir)):
            raise RewriteError(f"a Python module '{top}' is already imported from '{loaded}'; "
                               f"it would shadow the generated package '{package}'")
    sys.path.insert(0, str(gen_dir))
    schema = Schema(package, gen_dir)
    _check_wire_values(schema)
    _schemas[key] = schema
    return schema


def _check_wire_values(schema: Schema) -> None:
    """The rewrite hard-codes TFLite wire values; make sure the schema agrees."""
    expected = [
        (schema.BuiltinOperator.BuiltinOperator, "TRANSPOSE_CONV", 67),
        (schema.BuiltinOperator.BuiltinOperator, "CUSTOM", 32),
        (schema.Padding.Padding, "SAME", 0),
        (schema.Padding.Padding, "VALID", 1),
        (schema.TensorType.TensorType, "INT32", 2),
    ]
    for enum, name, value in expected:
        got = getattr(enum, name, None)
        if got != value:
            raise RewriteError(f"schema enum {enum.__name__}.{name} is {got}, TFLite uses {value}")
    if not hasattr(schema.BuiltinOptions.BuiltinOptions, "TransposeConvOptions"):
        raise RewriteError("schema union BuiltinOptions has no member TransposeConvOptions")


class _AlignedBuilder(flatbuffers.Builder):
    """Builder that aligns byte vectors (Buffer.data) to 16 bytes.

    flatc's Python generator ignores `force_align`, so without this the
    constant data of the rewritten model could start at any byte offset.
    """

    def CreateNumpyVector(self, x):  # noqa: N802 - flatbuffers' own spelling
        if not (isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 1):
            return super().CreateNumpyVector(x)
        payload = x.tobytes()
        self.StartVector(1, len(payload), BUFFER_ALIGNMENT)
        self.head -= len(payload)
        self.Bytes[self.head:self.head + len(payload)] = payload
        self.vectorNumElems = len(payload)
        return self.EndVector()


def read_model(data: bytes, schema: Schema):
    """Parses .tflite bytes into the schema's mutable object API (ModelT)."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise RewriteError(f"not a .tflite file (file identifier is {data[4:8]!r}, expected b'TFL3')")
    buf = bytearray(data)
    model = schema.Model.Model.GetRootAs(buf, 0)
    return schema.Model.ModelT.InitFromObj(model)


def write_model(model_t) -> bytes:
    builder = _AlignedBuilder(1024 * 1024)
    root = model_t.Pack(builder)
    builder.Finish(root, file_identifier=b"TFL3")
    return bytes(builder.Output())


def _opcode(op_code_t) -> int:
    return max(op_code_t.builtinCode or 0, op_code_t.deprecatedBuiltinCode or 0)


def _custom_name(op_code_t) -> str | None:
    name = op_code_t.customCode
    if name is None:
        return None
    return name.decode() if isinstance(name, (bytes, bytearray)) else str(name)


def _tensor_name(tensor_t) -> str:
    name = tensor_t.name
    if name is None:
        return ""
    return name.decode(errors="replace") if isinstance(name, (bytes, bytearray)) else str(name)


def _ints(values) -> list[int]:
    return [] if values is None else [int(v) for v in values]


def _find_or_add_transpose_conv_code(model_t, schema: Schema) -> int:
    code = schema.BuiltinOperator.BuiltinOperator.TRANSPOSE_CONV
    for i, oc in enumerate(model_t.operatorCodes):
        if _opcode(oc) == code and _custom_name(oc) is None:
            oc.version = max(oc.version, TRANSPOSE_CONV_VERSION)
            return i
    oc = schema.OperatorCode.OperatorCodeT()
    oc.builtinCode = code
    oc.deprecatedBuiltinCode = code  # 67 < 127, so the legacy byte holds it too
    oc.version = TRANSPOSE_CONV_VERSION
    model_t.operatorCodes.append(oc)
    return len(model_t.operatorCodes) - 1


def _mediapipe_output_hw(in_size: int, kernel: int, stride: int, padding: str) -> int:
    # MediaPipe's Prepare(): total padding is only non-zero for SAME.
    total_pad = max(0, kernel - (in_size - 1) % stride - 1) if padding == "SAME" else 0
    return stride * (in_size - 1) + kernel - total_pad


def _drop_unused_opcodes(model_t) -> None:
    used = sorted({op.opcodeIndex for sg in model_t.subgraphs for op in (sg.operators or [])})
    remap = {old: new for new, old in enumerate(used)}
    model_t.operatorCodes = [model_t.operatorCodes[i] for i in used]
    for sg in model_t.subgraphs:
        for op in sg.operators or []:
            op.opcodeIndex = remap[op.opcodeIndex]


def rewrite(model_t, schema: Schema) -> list[RewrittenOp]:
    """Rewrites every Convolution2DTransposeBias op of `model_t` in place."""
    for i, b in enumerate(model_t.buffers or []):
        if (b.offset or 0) > 1:
            raise RewriteError(f"buffer {i} lives outside the FlatBuffer (offset {b.offset}); "
                               "large (> 2 GiB) models are not supported")
    custom_codes = {i for i, oc in enumerate(model_t.operatorCodes or [])
                    if _custom_name(oc) == CUSTOM_OP_NAME}
    if not custom_codes:
        return []

    S = schema
    tc_index = _find_or_add_transpose_conv_code(model_t, S)
    rewritten: list[RewrittenOp] = []
    for sg_index, sg in enumerate(model_t.subgraphs):
        for op_index, op in enumerate(sg.operators or []):
            if op.opcodeIndex not in custom_codes:
                continue
            where = f"subgraph {sg_index} operator {op_index} ({CUSTOM_OP_NAME})"
            inputs, outputs = _ints(op.inputs), _ints(op.outputs)
            if len(inputs) != 3 or len(outputs) != 1 or min(inputs + outputs) < 0:
                raise RewriteError(f"{where}: expected inputs (input, weights, bias) and one output, "
                                   f"got inputs {inputs} outputs {outputs}")
            x_i, w_i, b_i = inputs
            y_i = outputs[0]
            n_tensors = len(sg.tensors)
            for t in inputs + outputs:
                if t >= n_tensors:
                    raise RewriteError(f"{where}: tensor {t} out of range (subgraph has {n_tensors})")

            opts = bytes(np.asarray(op.customOptions if op.customOptions is not None else [],
                                    dtype=np.uint8))
            if len(opts) < 12:
                raise RewriteError(f"{where}: custom_options has {len(opts)} bytes, expected 12 "
                                   "(int32 padding, stride_width, stride_height)")
            mp_padding, stride_w, stride_h = struct.unpack("<iii", opts[:12])
            if any(opts[12:]):
                print(f"warning: {where}: ignoring {len(opts) - 12} extra custom_options bytes "
                      "(MediaPipe's kernel reads only the first 12)", file=sys.stderr)
            if mp_padding not in _MEDIAPIPE_PADDING:
                raise RewriteError(f"{where}: padding {mp_padding} is neither 1 (SAME) nor 2 (VALID)")
            if stride_w <= 0 or stride_h <= 0:
                raise RewriteError(f"{where}: strides must be positive, got w={stride_w} h={stride_h}")
            padding = _MEDIAPIPE_PADDING[mp_padding]

            x, w, b, y = (sg.tensors[t] for t in (x_i, w_i, b_i, y_i))
            xs, ws, bs, ys = (_ints(t.shape) for t in (x, w, b, y))
            if len(xs) != 4 or len(ws) != 4 or len(bs) != 1 or len(ys) != 4:
                raise RewriteError(f"{where}: expected 4-D input/weights/output and 1-D bias, got "
                                   f"input {xs} weights {ws} bias {bs} output {ys}")
            if any(d <= 0 for d in ys) or any(d < 0 for d in _ints(y.shapeSignature)):
                raise RewriteError(f"{where}: output '{_tensor_name(y)}' has no static shape "
                                   f"(shape {ys}, signature {_ints(y.shapeSignature)}); "
                                   "TRANSPOSE_CONV needs a constant output_shape")
            if ws[3] != xs[3] or ws[0] != bs[0] or ws[0] != ys[3] or xs[0] != ys[0]:
                raise RewriteError(f"{where}: inconsistent shapes input {xs} weights {ws} "
                                   f"(OHWI) bias {bs} output {ys}")
            want_h = _mediapipe_output_hw(xs[1], ws[1], stride_h, padding)
            want_w = _mediapipe_output_hw(xs[2], ws[2], stride_w, padding)
            if (ys[1], ys[2]) != (want_h, want_w):
                raise RewriteError(f"{where}: output is {ys[1]}x{ys[2]} but MediaPipe's kernel "
                                   f"would produce {want_h}x{want_w}")

            buffer_t = S.Buffer.BufferT()
            buffer_t.data = np.frombuffer(np.asarray(ys, dtype="<i4").tobytes(), dtype=np.uint8)
            model_t.buffers.append(buffer_t)
            shape_t = S.Tensor.TensorT()
            shape_t.shape = [4]
            shape_t.type = S.TensorType.TensorType.INT32
            shape_t.buffer = len(model_t.buffers) - 1
            shape_t.name = f"{_tensor_name(y)}/output_shape"
            sg.tensors.append(shape_t)
            shape_i = len(sg.tensors) - 1

            options = S.TransposeConvOptions.TransposeConvOptionsT()
            options.padding = getattr(S.Padding.Padding, padding)
            options.strideW = stride_w
            options.strideH = stride_h
            op.opcodeIndex = tc_index
            op.inputs = [shape_i, w_i, x_i, b_i]
            op.builtinOptionsType = S.BuiltinOptions.BuiltinOptions.TransposeConvOptions
            op.builtinOptions = options
            op.customOptions = None
            op.customOptionsFormat = 0

            rewritten.append(RewrittenOp(sg_index, op_index, x_i, w_i, b_i, y_i, shape_i,
                                         padding, stride_w, stride_h))
    _drop_unused_opcodes(model_t)
    return rewritten


def rewrite_file(src: pathlib.Path | str, dst: pathlib.Path | str,
                 schema: Schema | None = None) -> list[RewrittenOp]:
    """Reads `src`, rewrites it and writes `dst`; returns the rewritten ops."""
    schema = schema or load_schema()
    model_t = read_model(pathlib.Path(src).read_bytes(), schema)
    ops = rewrite(model_t, schema)
    pathlib.Path(dst).write_bytes(write_model(model_t))
    return ops


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rewrite MediaPipe's custom op Convolution2DTransposeBias into the "
                    "builtin TRANSPOSE_CONV (version 3, with bias) so stock TFLite/LiteRT "
                    "can run the model.",
        epilog="Example: tools/rewrite_transpose_conv_bias.py "
               "tests/data/models/selfie_segmentation.tflite /tmp/selfie_builtin.tflite")
    parser.add_argument("input", type=pathlib.Path, help="source .tflite")
    parser.add_argument("output", type=pathlib.Path, help="where to write the rewritten .tflite")
    parser.add_argument("--schema", type=pathlib.Path, default=DEFAULT_SCHEMA,
                        help="FlatBuffers schema to generate the Python API from "
                             "(default: %(default)s)")
    parser.add_argument("--flatc", default="flatc", help="flatc binary (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        schema = load_schema(args.schema, args.flatc)
        ops = rewrite_file(args.input, args.output, schema)
    except (RewriteError, OSError) as e:
        print(f"error: {args.input}: {e}", file=sys.stderr)
        return 1
    for r in ops:
        print(f"subgraph {r.subgraph} op {r.operator}: {CUSTOM_OP_NAME} -> TRANSPOSE_CONV v"
              f"{TRANSPOSE_CONV_VERSION} (padding {r.padding}, stride {r.stride_w}x{r.stride_h}, "
              f"output_shape tensor {r.output_shape_tensor})")
    print(f"rewrote {len(ops)} op(s): {args.input} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
