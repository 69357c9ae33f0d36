#!/usr/bin/env python3
"""Build small float models with the TensorFlow Lite converter, plus goldens.

The MediaPipe models in tests/data/models were all made by one toolchain;
these models prove the engine on what the stock TFLite converter writes
from Keras. Everything is generated here, offline: architectures from
keras.applications (weights=None) or defined below, every weight drawn from
numpy.random.RandomState(crc32(<model name>)) - no third-party weights.

Writes:
  tests/data/converter_models/<name>.tflite   float32 graphs; *_fp16 variants
                                              store weights as FLOAT16 behind
                                              DEQUANTIZE (like MediaPipe)
  tests/data/converter_models/README.md       provenance, ops, sizes
  tests/data/converter_golden/<name>/         input_<i>.npy, output_<i>.npy,
                                              manifest.txt, made by
                                              tools/make_goldens.py's process()
                                              (same inputs, same LiteRT
                                              reference: XNNPACK, 1 thread)

Models:
  mobilenet_v2_035_96[_fp16]  keras.applications.MobileNetV2, alpha 0.35,
                              96x96x3, 8 classes; outputs the softmax and
                              the pooled 1280 features
  op_zoo[_fp16]               hand-built conv net exercising one converter
                              lowering after another (see OpZoo)
  seq_mlp[_fp16]              1-D conv sequence branch + MLP branch, two
                              inputs, two heads

Needs: pip packages tensorflow-cpu (2.21 used), ai-edge-litert, numpy,
flatbuffers; flatc. Re-runnable: outputs are overwritten.
"""

from __future__ import annotations

import argparse
import collections
import os
import pathlib
import sys
import tempfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_goldens as mg  # noqa: E402
import rewrite_transpose_conv_bias as rtcb  # noqa: E402

try:
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
    from tensorflow.python.framework.convert_to_constants import (  # noqa: E402
        convert_variables_to_constants_v2)
except ImportError:  # pragma: no cover - message for people
    sys.exit("error: the Python package 'tensorflow-cpu' is missing (pip install tensorflow-cpu)")

REPO_ROOT = rtcb.REPO_ROOT
DEFAULT_MODELS_DIR = REPO_ROOT / "tests" / "data" / "converter_models"
DEFAULT_GOLDEN_DIR = REPO_ROOT / "tests" / "data" / "converter_golden"
L = keras.layers


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# --- weights ------------------------------------------------------------------

def fan_in(layer, shape: tuple[int, ...]) -> int:
    if isinstance(layer, L.DepthwiseConv2D):  # (kh, kw, cin, multiplier)
        return shape[0] * shape[1]
    if isinstance(layer, L.Conv2DTranspose):  # (kh, kw, cout, cin)
        sh, sw = layer.strides
        return max(1, shape[0] * shape[1] * shape[3] // (sh * sw))
    return int(np.prod(shape[:-1]))  # Conv1D/2D (..., cin, cout), Dense (in, out)


# Weights randomize() leaves as the model made them: the statistics of
# keras.layers.Normalization (EfficientNet's input preprocessing).
KEPT_WEIGHTS = ("mean", "variance", "count")


def randomize(model, rng: np.random.RandomState) -> None:
    """Overwrites every weight from `rng`: He-normal kernels, small random
    biases, non-trivial batch-norm statistics (so the converter's folding of
    BN into the convolutions is exercised with real numbers); recurrent
    kernels scaled down to keep RNN states in range."""
    seen = set()
    for layer in model._flatten_layers(include_self=False):
        for v in layer.weights:
            if id(v) in seen:
                continue
            seen.add(id(v))
            shape, name = tuple(v.shape), v.name
            if name in KEPT_WEIGHTS and isinstance(layer, L.Normalization):
                continue
            if name in ("kernel", "depthwise_kernel"):
                x = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in(layer, shape))
            elif name == "recurrent_kernel":
                x = rng.standard_normal(shape) * np.sqrt(0.5 / shape[0])
            elif name == "gamma":
                x = rng.uniform(0.6, 1.2, shape)
            elif name in ("beta", "bias", "moving_mean"):
                x = rng.normal(0.0, 0.1, shape)
            elif name == "moving_variance":
                x = rng.uniform(0.5, 1.5, shape)
            elif name == "alpha":  # PReLU
                x = rng.uniform(0.05, 0.4, shape)
            else:
                raise SystemExit(f"error: no initializer for weight '{v.path}' {shape}")
            v.assign(x.astype(np.float32))


# --- models -------------------------------------------------------------------

def mobilenet_v2():
    base = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None,
                                          classes=8, classifier_activation="softmax")
    pooled = base.get_layer("global_average_pooling2d").output
    model = keras.Model(base.input, [base.output, pooled], name="mobilenet_v2_035_96")
    return model, [tf.TensorSpec((1, 96, 96, 3), tf.float32, name="image")]


class OpZoo(keras.Model):
    """One converter lowering after another on a 32x32x3 image. Comments
    name the TFLite op each step is meant to become."""

    def __init__(self):
        super().__init__(name="op_zoo")
        self.conv_s2 = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")  # CONV_2D s2 +RELU
        self.conv_dil = L.Conv2D(8, 3, dilation_rate=2, padding="same")  # CONV_2D dilation 2
        self.leaky = L.LeakyReLU(negative_slope=0.2)  # LEAKY_RELU
        self.dw = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                    activation="relu6")  # DEPTHWISE_CONV_2D mult 2 +RELU6
        self.prelu = L.PReLU(shared_axes=[1, 2])  # PRELU
        self.conv_1x1 = L.Conv2D(16, 1)  # CONV_2D 1x1
        self.pad = L.ZeroPadding2D(((1, 2), (2, 1)))  # PAD
        self.conv_valid = L.Conv2D(8, (3, 2), strides=(2, 1), padding="valid",
                                   activation="tanh")  # CONV_2D valid, rect kernel, + TANH
        self.crop = L.Cropping2D(((1, 0), (0, 2)))  # STRIDED_SLICE / SLICE
        self.up_bilinear = L.UpSampling2D(2, interpolation="bilinear")  # RESIZE_BILINEAR half-pixel
        self.deconv = L.Conv2DTranspose(4, 3, strides=2, padding="same")  # TRANSPOSE_CONV
        self.dense_seq = L.Dense(6)  # FULLY_CONNECTED keep_num_dims (rank 3)
        self.dense_perm = L.Dense(5, activation="sigmoid")  # FULLY_CONNECTED + LOGISTIC
        self.permute = L.Permute((2, 1))  # TRANSPOSE
        self.maxpool = L.MaxPooling2D(2)  # MAX_POOL_2D
        self.avgpool = L.AveragePooling2D(3, strides=2, padding="same")  # AVERAGE_POOL_2D
        self.gap = L.GlobalAveragePooling2D()  # MEAN
        self.head = L.Dense(10)  # FULLY_CONNECTED

    def call(self, x):
        a = self.conv_s2(x)                                  # 16x16x8
        b = self.leaky(self.conv_dil(a))                     # 16x16x8
        c = self.prelu(self.dw(b))                           # 16x16x16
        c = c * tf.nn.relu6(c + 3.0) / 6.0                   # HARD_SWISH
        e = self.conv_1x1(tf.nn.space_to_depth(c, 2))        # SPACE_TO_DEPTH: 8x8x64 -> 8x8x16
        f = tf.nn.depth_to_space(e, 2)                       # DEPTH_TO_SPACE: 16x16x4
        g = tf.concat([f, a], axis=-1)                       # CONCATENATION: 16x16x12
        q = self.conv_valid(self.pad(g))                     # 19x19x12 -> 9x18x8
        r = self.crop(q)                                     # 8x16x8
        r2 = r[:, ::2, 1::2, :]                              # STRIDED_SLICE with strides: 4x8x8

        up_b = self.up_bilinear(r2)                          # 8x16x8
        # Not L.UpSampling2D(interpolation="nearest"): Keras 3 lowers that to
        # RESHAPE+TILE+RESHAPE, and the engine has no TILE kernel yet.
        up_n = tf.image.resize(r2, (8, 16), method="nearest")  # RESIZE_NEAREST_NEIGHBOR half-pixel
        ac_n = tf.compat.v1.image.resize_nearest_neighbor(r2, (8, 16), align_corners=True)
        gate = tf.sigmoid(r)                                 # LOGISTIC
        mix = tf.concat([up_b * gate, up_n - r, ac_n], axis=-1)  # MUL, SUB: 8x16x24
        y = self.deconv(mix)                                 # 16x32x4
        scale = 1.5 + tf.tanh(tf.reduce_mean(y, axis=[1, 2], keepdims=True))  # MEAN, TANH: 1x1x1x4
        row = tf.reduce_max(y, axis=[2, 3], keepdims=True)   # REDUCE_MAX: 1x16x1x1
        out_image = y / scale + row                          # DIV, ADD, broadcasting

        # align_corners bilinear to an odd size, straight to an output
        out_ac = tf.compat.v1.image.resize_bilinear(r2, (7, 15), align_corners=True)

        seq = tf.reshape(r2, (1, 32, 8))                     # RESHAPE
        out_seq = tf.nn.softmax(self.dense_seq(seq), axis=-1)  # 1x32x6
        out_perm = self.dense_perm(self.permute(seq))        # 1x8x5

        p = self.avgpool(self.maxpool(g))                    # 8x8x12 -> 4x4x12
        s0, s1, s2 = tf.split(p, 3, axis=-1)                 # SPLIT: 3 x 4x4x4
        t = (s0 + s1) * s2 - s1 / (1.0 + s0 * s0)            # ADD, MUL, SUB, DIV
        t = tf.squeeze(tf.expand_dims(t, 1), axis=1)         # EXPAND_DIMS / SQUEEZE (or RESHAPE)
        t = self.gap(tf.concat([t, p], axis=-1))             # MEAN: 1x16
        out_cls = tf.nn.softmax(self.head(t))                # SOFTMAX: 1x10
        return out_image, out_ac, out_seq, out_perm, out_cls


def op_zoo():
    model = OpZoo()
    model(tf.zeros((1, 32, 32, 3)))
    return model, [tf.TensorSpec((1, 32, 32, 3), tf.float32, name="image")]


class OpZooEdges(keras.Model):
    """Edge cases of the same kernels on a batch of 2 non-square images
    (2x20x24x3): even kernels with SAME padding (asymmetric pads), strided
    and dilated depthwise, VALID transpose conv with unequal strides,
    negative-stride and shrinking slices, PADV2, non-integer resize ratios,
    reductions over single axes, softmax on a middle axis, 5-D transpose,
    fused activations on ADD/SUB/MUL, broadcasting across ranks."""

    def __init__(self):
        super().__init__(name="op_zoo_edges")
        self.conv_even = L.Conv2D(6, 4, strides=2, padding="same", activation="relu")  # CONV_2D 4x4 s2 SAME
        self.dw_s2 = L.DepthwiseConv2D(5, strides=2, padding="same")  # DEPTHWISE_CONV_2D 5x5 s2
        self.dw_dil = L.DepthwiseConv2D(3, dilation_rate=2, depth_multiplier=3,
                                        padding="same")  # DEPTHWISE_CONV_2D dilation 2, mult 3
        self.deconv_even = L.Conv2DTranspose(5, 4, strides=2, padding="same")  # TRANSPOSE_CONV 4x4 SAME
        self.deconv_valid = L.Conv2DTranspose(3, (3, 2), strides=(2, 3),
                                              padding="valid")  # TRANSPOSE_CONV VALID, sh != sw
        self.prelu = L.PReLU(shared_axes=[1])  # PRELU, alpha 1x12x11 (broadcast over H)
        self.leaky = L.LeakyReLU()  # LEAKY_RELU, default slope
        self.maxpool = L.MaxPooling2D(3, strides=2, padding="same")  # MAX_POOL_2D SAME
        self.avgpool = L.AveragePooling2D((2, 3), strides=(1, 2), padding="valid")  # AVERAGE_POOL_2D
        self.dense_seq = L.Dense(8, activation="tanh")  # FULLY_CONNECTED rank 3, batch 2
        self.dense_a = L.Dense(7, activation="relu")
        self.dense_b = L.Dense(4)

    def call(self, x):
        a = self.conv_even(x)                                 # 2x10x12x6
        b = self.dw_s2(a)                                     # 2x5x6x6
        c = self.dw_dil(a)                                    # 2x10x12x18
        d = self.deconv_even(b)                               # 2x10x12x5
        e = self.deconv_valid(b)                              # 2x11x18x3
        # (No ReLU on f: the converter would drop PReLU's relu(f) as a no-op
        # and leave NEG+RELU+MUL+ADD instead of PRELU; the engine has no NEG.)
        f = tf.concat([a, d], axis=-1) + c[..., :11]          # ADD, STRIDED_SLICE
        g = self.prelu(f)                                     # 2x10x12x11
        h = self.maxpool(g)                                   # 2x5x6x11
        i = tf.image.resize(self.avgpool(g), (5, 6))          # 2x9x5x11 -> 2x5x6x11 bilinear
        j = tf.concat([h, tf.nn.relu(self.leaky(i) - h)], axis=1)  # SUB (+RELU), CONCATENATION axis 1
        gate = 1.1 + tf.sigmoid(tf.reduce_mean(j, axis=[1, 2], keepdims=True))  # 2x1x1x11
        out_pool = tf.nn.relu(j / gate - i[:, :1])            # DIV, SUB (+RELU), broadcasting

        e_rev = e[:, -8:, ::-2, :]                            # STRIDED_SLICE negative stride: 2x8x9x3
        padded = tf.pad(e_rev, [[0, 0], [1, 0], [0, 2], [0, 1]], constant_values=0.5)  # PADV2: 2x9x11x4
        nn_up = tf.image.resize(padded, (13, 16), method="nearest")  # RESIZE_NEAREST_NEIGHBOR 9x11->13x16
        w_row = tf.constant(np.linspace(-1.0, 2.0, 16, dtype=np.float32).reshape(1, 1, 16, 1))
        out_resize = tf.nn.relu6(nn_up * w_row)               # MUL (+RELU6) by a broadcast constant
        ac_down = tf.compat.v1.image.resize_bilinear(padded, (5, 6), align_corners=True)
        out_clip = tf.clip_by_value(ac_down - tf.reduce_mean(ac_down, axis=[1], keepdims=True),
                                    -1.0, 1.0)                # MEAN axis 1, SUB, RELU_N1_TO_1

        e_row = e[:, 2]                                       # STRIDED_SLICE shrink axis: 2x18x3
        mn = tf.reduce_min(e_row, axis=1)                     # REDUCE_MIN: 2x3
        pr = tf.reduce_prod(tf.sigmoid(e_row), axis=[1], keepdims=True)  # REDUCE_PROD: 2x1x3
        sm = tf.nn.softmax(e_row, axis=1)                     # softmax on the middle axis
        out_reduce = sm * pr + mn[:, None, :]                 # 2x18x3

        e_ch = e[..., 1:3]                                    # 2x11x18x2
        t5 = tf.transpose(tf.reshape(e_ch, (2, 11, 18, 2, 1)), (0, 3, 1, 4, 2))  # 5-D TRANSPOSE
        seq = self.dense_seq(tf.reshape(t5, (2, 22, 18)))     # 2x22x8
        s0, s1 = tf.split(seq, 2, axis=1)                     # SPLIT axis 1: 2x11x8 each
        u0, u1 = tf.split(s0 - s1, 2, axis=2)                 # SPLIT axis 2: 2x11x4 each
        flat = tf.concat([tf.reshape(u0 * u1, (2, 44)), tf.reduce_sum(e_row, axis=-1)], axis=-1)  # SUM
        out_dense = self.dense_b(self.dense_a(flat))          # 2x4

        out_s2d = tf.nn.space_to_depth(tf.nn.depth_to_space(c, 3), 2) * 0.5  # 2x30x36x2 -> 2x15x18x8
        return out_pool, out_resize, out_clip, out_reduce, out_dense, out_s2d


def op_zoo_edges():
    model = OpZooEdges()
    model(tf.zeros((2, 20, 24, 3)))
    return model, [tf.TensorSpec((2, 20, 24, 3), tf.float32, name="images")]


def seq_mlp():
    seq = keras.Input((24, 6), batch_size=1, name="sequence")
    feat = keras.Input((10,), batch_size=1, name="features")
    h = L.Conv1D(12, 3, padding="same", activation="relu")(seq)          # 24x12
    h = L.MaxPooling1D(2)(h)                                             # 12x12
    h = L.Conv1D(16, 3, strides=2, padding="valid", activation="tanh")(h)  # 5x16
    h = L.Dense(8, activation="sigmoid")(h)                              # 5x8 (rank-3 dense)
    pooled = L.Concatenate()([L.GlobalAveragePooling1D()(h), L.GlobalMaxPooling1D()(h)])  # 16
    m = L.Dense(16, activation="relu")(feat)
    m = L.Dense(8, activation="relu6")(m)
    z = L.Dense(12, activation="tanh")(L.Concatenate()([pooled, m]))
    probs = L.Dense(4, activation="softmax", name="probs")(z)
    reg = L.Dense(3, name="regression")(z)
    model = keras.Model([seq, feat], [probs, reg], name="seq_mlp")
    return model, [tf.TensorSpec((1, 24, 6), tf.float32, name="sequence"),
                   tf.TensorSpec((1, 10), tf.float32, name="features")]


BUILDERS = {"mobilenet_v2_035_96": mobilenet_v2, "op_zoo": op_zoo, "op_zoo_edges": op_zoo_edges,
            "seq_mlp": seq_mlp}
FP16_VARIANTS = ("mobilenet_v2_035_96", "op_zoo", "seq_mlp")


def convert(model, specs, fp16: bool) -> bytes:
    # Keras 3 models are traced into a frozen concrete function with a fixed
    # batch of 1, so the converter folds every shape computation away.
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False),
                     input_signature=specs)
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if fp16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


# --- main -------------------------------------------------------------------

def write_readme(models_dir: pathlib.Path, rows: list[dict]) -> None:
    lines = [
        "Converter-produced float test models",
        "====================================",
        "",
        "Generated by `python3 tools/make_float_models.py`; do not edit (this file",
        "is rewritten by the script). Goldens: `tests/data/converter_golden/<name>/`,",
        "checked by `tests/accel_hal/converter_models_test.cpp`.",
        "",
        "Provenance: every model here is built by that script from Keras layers",
        "(architectures from `keras.applications` with `weights=None`, or defined",
        "in the script) and converted with `tf.lite.TFLiteConverter`. No",
        "third-party weights: every weight is random, drawn from",
        "`numpy.random.RandomState(crc32(<name without _fp16>))`. `*_fp16` files",
        "are the same graph and weights converted with",
        "`optimizations=[Optimize.DEFAULT]`, `supported_types=[float16]`",
        "(FLOAT16 constants behind DEQUANTIZE ops, as in MediaPipe models).",
        "",
        f"Toolchain: TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"reference LiteRT {mg.litert_version()}.",
        "",
        "| model | bytes | inputs | outputs | ops (LiteRT builtin kernels) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['bytes']} | {r['inputs']} | {r['outputs']} | {r['ops']} |")
    (models_dir / "README.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build small Keras float models, convert them to .tflite (fp32 and fp16 "
                    "weights) and write LiteRT goldens for them.")
    parser.add_argument("--models-dir", type=pathlib.Path, default=DEFAULT_MODELS_DIR,
                        help="where the .tflite files and README.md go (default: %(default)s)")
    parser.add_argument("--golden-dir", type=pathlib.Path, default=DEFAULT_GOLDEN_DIR,
                        help="where the per-model golden folders go (default: %(default)s)")
    parser.add_argument("--flatc", default="flatc", help="flatc binary (default: %(default)s)")
    parser.add_argument("models", nargs="*",
                        help=f"only these base models (default: all of {sorted(BUILDERS)})")
    args = parser.parse_args(argv)

    names = args.models or list(BUILDERS)
    unknown = set(names) - set(BUILDERS)
    if unknown:
        print(f"error: unknown model(s) {sorted(unknown)}; known: {sorted(BUILDERS)}", file=sys.stderr)
        return 1
    try:
        schema = rtcb.load_schema(rtcb.DEFAULT_SCHEMA, args.flatc)
    except rtcb.RewriteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    args.models_dir.mkdir(parents=True, exist_ok=True)
    args.golden_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="make_float_models_") as tmp:
        for base in names:
            seed = seed_of(base)
            # Fresh layer-name counters: the same bytes whether one model or
            # all of them are rebuilt.
            keras.backend.clear_session()
            keras.utils.set_random_seed(seed)
            model, specs = BUILDERS[base]()
            randomize(model, np.random.RandomState(seed))
            variants = [(base, False)] + ([(base + "_fp16", True)] if base in FP16_VARIANTS else [])
            for name, fp16 in variants:
                path = args.models_dir / f"{name}.tflite"
                path.write_bytes(convert(model, specs, fp16))
                print(f"== {path.name} ({path.stat().st_size} bytes)", flush=True)
                r = mg.process(path, args.golden_dir, schema, pathlib.Path(tmp), timing=False)
                if r["rewritten"]:
                    raise SystemExit(f"error: {name}: unexpected custom ops")
                manifest = r["out_dir"] / "manifest.txt"
                manifest.write_text(
                    f"# Model made by tools/make_float_models.py (weights: RandomState({seed}), "
                    f"TensorFlow {tf.__version__}, fp16 weights: {'yes' if fp16 else 'no'})\n"
                    + manifest.read_text())
                for d, o in zip(r["details"], r["outputs"]):
                    print(f"   out {d['name']:<32} {str(list(o.shape)):<18} "
                          f"range [{o.min():.4g}, {o.max():.4g}]")
                print("   ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(r["ops"].items())))

    # The README describes every model present, not just the ones rebuilt now.
    rows = []
    for path in sorted(args.models_dir.glob("*.tflite")):
        it = mg.make_interpreter(path, delegates=False)
        ops = collections.Counter(op["op_name"] for op in it._get_ops_details())

        def fmt(details):
            return "<br>".join(f"{d['name']} {list(int(s) for s in d['shape'])}" for d in details)
        rows.append(dict(name=path.name, bytes=path.stat().st_size,
                         inputs=fmt(it.get_input_details()), outputs=fmt(it.get_output_details()),
                         ops=", ".join(f"{k} x{v}" for k, v in sorted(ops.items()))))
    write_readme(args.models_dir, rows)
    print(f"wrote {len(rows)} model(s) to {args.models_dir}, goldens to {args.golden_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
