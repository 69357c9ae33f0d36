"""The cases of the op conformance suite (tools/make_conformance.py).

A case is one op, or a few, written with TensorFlow ops on constant weights
from the case's own RandomState, plus its inputs (shape, dtype, value range)
and the forms it is converted in: ALL (fp32, int8, dynamic; weighted cases,
whose weights have >= 1024 elements so dynamic-range quantization takes
them), Q (fp32, int8) or F (fp32 only: ops without int8 kernels in the
issue's list). Add a case with the @case decorator; the name is the folder
name prefix, so keep names stable (renaming regenerates the goldens).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import tensorflow as tf

FORMS = ("fp32", "int8", "dynamic")

# --- inputs -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class In:
    """One graph input: shape (None = dynamic dim, fed as 1... see `feed`),
    dtype and the range random values are drawn from (uniform [lo, hi) for
    floats, integers in [lo, hi) otherwise)."""
    shape: tuple
    dtype: str = "float32"
    lo: float = -1.0
    hi: float = 1.0
    feed: tuple | None = None  # concrete shape when `shape` has None dims

    def sample(self, rng: np.random.RandomState) -> np.ndarray:
        shape = self.feed or self.shape
        if self.dtype == "float32":
            return rng.uniform(self.lo, self.hi, shape).astype(np.float32)
        if self.dtype == "bool":
            return rng.randint(0, 2, shape).astype(bool)
        return rng.randint(int(self.lo), int(self.hi), shape).astype(self.dtype)


def f32(*shape, lo=-1.0, hi=1.0):
    return In(tuple(shape), "float32", lo, hi)


def i32(*shape, lo=0, hi=10):
    return In(tuple(shape), "int32", lo, hi)


class Weights:
    """Constant tensors for one case, from the case's own RandomState."""

    def __init__(self, rng: np.random.RandomState):
        self.rng = rng

    def he(self, *shape, fan_in=None):
        fan = fan_in or int(np.prod(shape[:-1]))
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan)).astype(np.float32)

    def normal(self, *shape, scale=0.1):
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def uniform(self, *shape, lo=-1.0, hi=1.0):
        return self.rng.uniform(lo, hi, shape).astype(np.float32)


@dataclasses.dataclass
class Case:
    name: str
    build: Callable  # Weights -> function of the inputs (tf tensors) -> tensor or tuple
    inputs: list
    forms: tuple
    io: str = "int8"  # int8 form's input/output type: int8, or float32/uint8 (QUANTIZE/DEQUANTIZE at the edges)
    exact: tuple = ()  # forms whose float outputs must be bit-identical to LiteRT's ("exact" tolerance)


CASES: dict[str, Case] = {}
ALL, Q, F = FORMS, ("fp32", "int8"), ("fp32",)


def case(name, inputs, forms=Q, io="int8", exact=()):
    def register(build):
        if name in CASES:
            raise SystemExit(f"error: duplicate case {name}")
        CASES[name] = Case(name, build, list(inputs), tuple(forms), io, tuple(exact))
        return build
    return register


# --- cases: convolutions and matrix products ----------------------------------
# Weighted cases that have a dynamic form use >= 1024-element weights.

@case("conv2d_s1_same_relu", [f32(1, 9, 11, 8)], ALL)
def _(w):
    k, b = w.he(3, 3, 8, 16), w.normal(16)
    return lambda x: tf.nn.relu(tf.nn.conv2d(x, k, 1, "SAME") + b)


@case("conv2d_s2_valid_relu6", [f32(1, 10, 13, 8)], ALL)
def _(w):
    k, b = w.he(3, 3, 8, 16), w.normal(16)
    return lambda x: tf.nn.relu6(tf.nn.conv2d(x, k, 2, "VALID") + b)


@case("conv2d_dilation2_same", [f32(1, 11, 9, 8)], ALL)
def _(w):
    k, b = w.he(3, 3, 8, 16), w.normal(16)
    return lambda x: tf.nn.conv2d(x, k, 1, "SAME", dilations=2) + b


@case("conv2d_even_kernel_s2x1_same", [f32(1, 9, 8, 8)], ALL)
def _(w):
    k, b = w.he(4, 4, 8, 12), w.normal(12)
    return lambda x: tf.nn.conv2d(x, k, (2, 1), "SAME") + b


# A mobile block in dynamic-range form, held to bit-exactness: float layers
# (< 1024 weights: the stem conv, a depthwise conv with an odd channel
# count, the squeeze-excite 1x1 convs on one pixel, the dense head) between
# hybrid ones (expand, depthwise, project), LOGISTIC and HARD_SWISH on
# sizes with a tail.
# Any float rounding difference would be turned into quantization steps by
# the hybrid layers' run-time input quantization; inferd follows TFLite's
# builtin summation order in such models (OpContext::reproducibleFloat).
@case("hybrid_mbconv_se", [f32(1, 10, 10, 16)], ALL, exact=("dynamic",))
def _(w):
    k0, b0 = w.he(3, 3, 16, 6), w.normal(6)            # 864 weights: float
    ke, be = w.he(1, 1, 6, 192), w.normal(192)          # 1152: hybrid
    kd, bd = w.he(3, 3, 192, 1, fan_in=9), w.normal(192)  # 1728: hybrid depthwise
    kp, bp = w.he(1, 1, 192, 10), w.normal(10)          # 1920: hybrid
    kd2, bd2 = w.he(3, 3, 10, 1, fan_in=9), w.normal(10)  # 90: float depthwise
    ks, bs = w.he(1, 1, 10, 6), w.normal(6)             # squeeze, one pixel
    kx, bx = w.he(1, 1, 6, 10), w.normal(10)            # excite, one pixel
    kh, bh = w.he(10, 7), w.normal(7)                   # dense head, batch 1

    def swish(v):
        return v * tf.sigmoid(v)

    def f(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, k0, 2, "SAME") + b0)
        y = swish(tf.nn.conv2d(y, ke, 1, "VALID") + be)
        y = tf.nn.relu6(tf.nn.depthwise_conv2d(y, kd, [1, 1, 1, 1], "SAME") + bd)
        y = tf.nn.conv2d(y, kp, 1, "VALID") + bp
        y = tf.nn.depthwise_conv2d(y, kd2, [1, 1, 1, 1], "SAME") + bd2
        s = tf.reduce_mean(y, axis=[1, 2], keepdims=True)
        s = swish(tf.nn.conv2d(s, ks, 1, "VALID") + bs)
        s = tf.sigmoid(tf.nn.conv2d(s, kx, 1, "VALID") + bx)
        y = y * s
        y = y * tf.nn.relu6(y + 3.0) * (1.0 / 6.0)  # HARD_SWISH on 250 elements
        return tf.matmul(tf.reduce_mean(y, axis=[1, 2]), kh) + bh, y
    return f


@case("conv2d_1x1_odd_channels", [f32(1, 5, 7, 3)])
def _(w):
    k, b = w.he(1, 1, 3, 5), w.normal(5)
    return lambda x: tf.nn.conv2d(x, k, 1, "VALID") + b


@case("conv2d_rect_kernel_s3_valid_tanh", [f32(1, 13, 11, 3)])
def _(w):
    k, b = w.he(5, 2, 3, 7), w.normal(7)
    return lambda x: tf.tanh(tf.nn.conv2d(x, k, 3, "VALID") + b)


@case("dwconv_m1_same_relu6", [f32(1, 9, 11, 8)])
def _(w):
    k, b = w.he(3, 3, 8, 1, fan_in=9), w.normal(8)
    return lambda x: tf.nn.relu6(tf.nn.depthwise_conv2d(x, k, (1, 1, 1, 1), "SAME") + b)


@case("dwconv_m2_s2_valid", [f32(1, 10, 9, 6)])
def _(w):
    k, b = w.he(3, 3, 6, 2, fan_in=9), w.normal(12)
    return lambda x: tf.nn.depthwise_conv2d(x, k, (1, 2, 2, 1), "VALID") + b


@case("dwconv_dilation2_same", [f32(1, 11, 10, 8)])
def _(w):
    k, b = w.he(3, 3, 8, 1, fan_in=9), w.normal(8)
    return lambda x: tf.nn.depthwise_conv2d(x, k, (1, 1, 1, 1), "SAME", dilations=(2, 2)) + b


@case("dwconv_5x5_c48_s2", [f32(1, 7, 8, 48)], ALL)
def _(w):
    k, b = w.he(5, 5, 48, 1, fan_in=25), w.normal(48)
    return lambda x: tf.nn.relu(tf.nn.depthwise_conv2d(x, k, (1, 2, 2, 1), "SAME") + b)


@case("dense_bias_relu", [f32(1, 40)], ALL)
def _(w):
    k, b = w.he(40, 32), w.normal(32)
    return lambda x: tf.nn.relu(tf.matmul(x, k) + b)


@case("dense_nobias_batch3", [f32(3, 48)], ALL)
def _(w):
    k = w.he(48, 24)
    return lambda x: tf.matmul(x, k)


@case("dense_3d_input", [f32(1, 5, 40)], ALL)
def _(w):
    k, b = w.he(40, 32), w.normal(32)
    return lambda x: tf.tensordot(x, k, [[2], [0]]) + b


@case("tconv_s2_same", [f32(1, 5, 6, 16)], ALL)
def _(w):
    k, b = w.he(3, 3, 8, 16, fan_in=36), w.normal(8)
    return lambda x: tf.nn.conv2d_transpose(x, k, (1, 10, 12, 8), 2, "SAME") + b


@case("tconv_s2x1_valid", [f32(1, 4, 5, 8)])
def _(w):
    k = w.he(2, 3, 6, 8, fan_in=24)
    return lambda x: tf.nn.conv2d_transpose(x, k, (1, 8, 7, 6), (2, 1), "VALID")


@case("batch_matmul_two_inputs", [f32(2, 5, 6), f32(2, 6, 7)])
def _(w):
    return lambda a, b: tf.matmul(a, b)


@case("batch_matmul_adj_bcast", [f32(2, 3, 6, 5), f32(1, 3, 4, 6)])
def _(w):
    return lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True)


@case("batch_matmul_const_rhs", [f32(2, 3, 40)], ALL)
def _(w):
    k = w.he(2, 40, 32)
    return lambda x: tf.matmul(x, k)


# --- elementwise with broadcasting -------------------------------------------

@case("add_bcast_4d", [f32(1, 5, 1, 7), f32(1, 1, 6, 7, lo=-2, hi=0.5)])
def _(w):
    return lambda a, b: a + b


@case("add_relu_same_shape", [f32(2, 3, 4), f32(2, 3, 4)])
def _(w):
    return lambda a, b: tf.nn.relu(a + b)


@case("sub_const_bcast", [f32(1, 4, 6, 5)])
def _(w):
    c = w.uniform(5, lo=-0.5, hi=0.5)
    return lambda x: x - c


@case("sub_rank_bcast", [f32(3, 1), f32(2, 3, 4, lo=0, hi=3)])
def _(w):
    return lambda a, b: a - b


@case("mul_bcast", [f32(2, 3, 4), f32(3, 1, lo=-3, hi=3)])
def _(w):
    return lambda a, b: a * b


@case("mul_const_scalar", [f32(1, 5, 6)])
def _(w):
    return lambda x: x * 0.37


@case("maximum_bcast", [f32(1, 6, 7), f32(1, 1, 7)])
def _(w):
    return lambda a, b: tf.maximum(a, b)


@case("minimum_const", [f32(2, 5, 3)])
def _(w):
    c = w.uniform(5, 1, lo=-0.5, hi=0.5)
    return lambda x: tf.minimum(x, c)


# --- pooling, reductions ------------------------------------------------------

@case("maxpool_3x3_s2_same", [f32(1, 9, 11, 6)])
def _(w):
    return lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME")


@case("avgpool_2x3_s1x2_valid", [f32(1, 8, 9, 5)])
def _(w):
    return lambda x: tf.nn.avg_pool2d(x, (2, 3), (1, 2), "VALID")


@case("avgpool_3x3_s2_same", [f32(1, 7, 10, 4)])
def _(w):
    return lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME")


@case("mean_hw_keepdims", [f32(1, 6, 7, 5)])
def _(w):
    return lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=True)


@case("mean_last_axis", [f32(2, 5, 8)])
def _(w):
    return lambda x: tf.reduce_mean(x, axis=-1)


@case("sum_axis1", [f32(2, 6, 5)])
def _(w):
    return lambda x: tf.reduce_sum(x, axis=1)


# --- activations --------------------------------------------------------------

@case("softmax_2d", [f32(2, 10, lo=-4, hi=4)])
def _(w):
    return lambda x: tf.nn.softmax(x)


@case("softmax_3d_beta", [f32(1, 4, 9, lo=-3, hi=3)])
def _(w):
    return lambda x: tf.nn.softmax(x * 1.7)


@case("sigmoid", [f32(1, 6, 8, lo=-6, hi=6)])
def _(w):
    return lambda x: tf.sigmoid(x)


@case("tanh", [f32(1, 6, 8, lo=-3, hi=3)])
def _(w):
    return lambda x: tf.tanh(x)


@case("hard_swish", [f32(1, 5, 6, 4, lo=-5, hi=5)])
def _(w):
    return lambda x: x * tf.nn.relu6(x + 3.0) / 6.0


@case("relu", [f32(1, 6, 7, lo=-2, hi=2)])
def _(w):
    return lambda x: tf.nn.relu(x)


@case("relu6", [f32(1, 6, 7, lo=-3, hi=9)])
def _(w):
    return lambda x: tf.nn.relu6(x)


@case("leaky_relu", [f32(1, 6, 7, lo=-2, hi=2)])
def _(w):
    return lambda x: tf.nn.leaky_relu(x, alpha=0.2)


@case("prelu", [f32(1, 4, 5, 6, lo=-2, hi=2)])
def _(w):
    alpha = w.uniform(1, 1, 6, lo=0.05, hi=0.4)
    return lambda x: tf.nn.relu(x) + (-alpha) * tf.nn.relu(-x)  # Keras' PReLU, fused to PRELU


# --- shapes and data movement -------------------------------------------------

@case("concat_channels_two_ranges", [f32(1, 4, 5, 3), f32(1, 4, 5, 6, lo=-4, hi=2)])
def _(w):
    return lambda a, b: tf.concat([a, b], axis=3)


@case("concat_axis1_three", [f32(2, 3, 4), f32(2, 1, 4), f32(2, 2, 4)])
def _(w):
    return lambda a, b, c: tf.concat([a, b, c], axis=1)


@case("reshape", [f32(1, 6, 10)])
def _(w):
    return lambda x: tf.reshape(x, (1, 3, 20)) * 1.5


@case("squeeze", [f32(1, 1, 5, 1, 6)])
def _(w):
    return lambda x: tf.squeeze(x, axis=[1, 3]) + 0.25


@case("pad_constant", [f32(1, 5, 6, 3)])
def _(w):
    return lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 1]])


@case("padv2_value", [f32(1, 4, 5, 2)])
def _(w):
    return lambda x: tf.pad(x, [[0, 0], [2, 0], [0, 3], [1, 1]], constant_values=0.5)


@case("resize_bilinear_half_pixel", [f32(1, 5, 6, 4)])
def _(w):
    return lambda x: tf.image.resize(x, (9, 11), method="bilinear")


@case("resize_bilinear_align_corners", [f32(1, 5, 6, 4)])
def _(w):
    return lambda x: tf.compat.v1.image.resize_bilinear(x, (8, 13), align_corners=True)


@case("resize_nearest_up2", [f32(1, 5, 6, 3)])
def _(w):
    return lambda x: tf.image.resize(x, (10, 12), method="nearest")


@case("resize_nearest_odd_align_corners", [f32(1, 6, 5, 3)])
def _(w):
    return lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, (7, 9), align_corners=True)


@case("transpose_4d", [f32(2, 3, 4, 5)])
def _(w):
    return lambda x: tf.transpose(x, (0, 2, 3, 1))


@case("strided_slice_neg_stride", [f32(1, 9, 10, 4)])
def _(w):
    return lambda x: x[:, 1:8:2, ::-3, 1:3]


@case("strided_slice_shrink", [f32(2, 6, 5)])
def _(w):
    return lambda x: x[:, 3, 1:]


@case("slice", [f32(2, 7, 6)])
def _(w):
    return lambda x: tf.slice(x, [1, 2, 0], [1, 4, 5])


@case("split_three", [f32(1, 4, 9)])
def _(w):
    return lambda x: tuple(tf.split(x, 3, axis=-1))


@case("gather_axis1_const_indices", [f32(1, 10, 6)])
def _(w):
    idx = np.array([3, 0, 7, 7, 2], np.int32)
    return lambda x: tf.gather(x, idx, axis=1)


@case("embedding_lookup_const_table", [i32(2, 5, lo=0, hi=100)], ALL)
def _(w):
    table = w.uniform(100, 16)
    return lambda ids: tf.gather(table, ids)


@case("argmax_last_axis", [f32(2, 7, 5)])
def _(w):
    return lambda x: tf.argmax(x, axis=-1, output_type=tf.int32)


@case("argmin_axis1", [f32(2, 7, 5)])
def _(w):
    return lambda x: tf.argmin(x, axis=1, output_type=tf.int32)


# --- quantization boundaries --------------------------------------------------

@case("quant_boundary_float_io", [f32(1, 6, 7, 4)], ("int8",), io="float32")
def _(w):
    k, b = w.he(3, 3, 4, 6), w.normal(6)
    return lambda x: tf.nn.conv2d(x, k, 1, "SAME") + b


@case("quant_boundary_uint8_io", [f32(1, 5, 6, 3, lo=-3, hi=1)], ("int8",), io="uint8")
def _(w):
    k = w.he(3, 3, 3, 5, fan_in=27)
    return lambda x: tf.nn.avg_pool2d(tf.nn.relu6(tf.nn.conv2d(x, k, 2, "SAME")), 2, 1, "VALID")


@case("requantize_concat", [f32(1, 4, 4, 3, lo=-0.1, hi=0.1), f32(1, 4, 4, 3, lo=-8, hi=8)])
def _(w):
    return lambda a, b: tf.concat([tf.nn.relu(a), b * 0.5], axis=-1)


# --- few-op graphs -----------------------------------------------------------

@case("conv_bn_relu_maxpool", [f32(1, 12, 12, 8)], ALL)
def _(w):
    k = w.he(3, 3, 8, 16)
    gamma, beta = w.uniform(16, lo=0.6, hi=1.2), w.normal(16)
    mean, var = w.normal(16), w.uniform(16, lo=0.5, hi=1.5)
    scale = gamma / np.sqrt(var + 1e-3)
    return lambda x: tf.nn.max_pool2d(
        tf.nn.relu((tf.nn.conv2d(x, k, 1, "SAME") - mean) * scale + beta), 2, 2, "VALID")


@case("conv2d_batch2_residual_relu6", [f32(2, 6, 7, 6)])
def _(w):
    k, b = w.he(3, 3, 6, 6), w.normal(6)
    return lambda x: tf.nn.relu6(tf.nn.conv2d(x, k, 1, "SAME") + b + x)


@case("squeeze_excite", [f32(1, 6, 6, 12, lo=-2, hi=2)])
def _(w):
    k1, b1, k2, b2 = w.he(12, 4), w.normal(4), w.he(4, 12), w.normal(12)
    return lambda x: x * tf.sigmoid(
        tf.matmul(tf.nn.relu(tf.matmul(tf.reduce_mean(x, axis=[1, 2]), k1) + b1), k2) + b2)[:, None, None, :]


@case("layer_norm", [f32(1, 6, 16, lo=-2, hi=3)])
def _(w):
    gamma, beta = w.uniform(16, lo=0.5, hi=1.5), w.normal(16)

    def fn(x):
        mean = tf.reduce_mean(x, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + 1e-5) * gamma + beta
    return fn


@case("attention_head", [f32(1, 6, 16)])
def _(w):
    wq, wk, wv = w.he(16, 8), w.he(16, 8), w.he(16, 8)

    def fn(x):
        q, k, v = (tf.tensordot(x, m, [[2], [0]]) for m in (wq, wk, wv))
        return tf.matmul(tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / np.sqrt(8.0)), v)
    return fn


@case("clip_relu_n1_to_1", [f32(1, 5, 7, lo=-2, hi=2)])
def _(w):
    return lambda x: tf.clip_by_value(x, -1.0, 1.0)


@case("mean_all_axes", [f32(2, 4, 5)])
def _(w):
    return lambda x: tf.reduce_mean(x, axis=[0, 1, 2])


# --- unary ops (float only unless forms=Q) ------------------------------------

def unary(name, fn, lo=-2.0, hi=2.0, shape=(2, 3, 7), forms=F):
    case(name, [f32(*shape, lo=lo, hi=hi)], forms)(lambda w: fn)


unary("exp", tf.exp, forms=Q)
unary("log", tf.math.log, 0.05, 5.0, forms=Q)
unary("sqrt", tf.sqrt, 0.0, 4.0, forms=Q)
unary("rsqrt", tf.math.rsqrt, 0.1, 4.0)
unary("square", tf.square)
unary("abs", tf.abs, forms=Q)
unary("neg", tf.negative)
unary("floor", tf.floor, -4, 4)
unary("ceil", tf.math.ceil, -4, 4)
unary("round", tf.round, -4, 4)
unary("sin", tf.sin, -4, 4)
unary("cos", tf.cos, -4, 4)
unary("reduce_max_axis1", lambda x: tf.reduce_max(x, axis=1))
unary("reduce_min_keepdims", lambda x: tf.reduce_min(x, axis=[0, 2], keepdims=True))
unary("reduce_prod", lambda x: tf.reduce_prod(x, axis=-1), 0.5, 1.5)
unary("log_softmax", tf.nn.log_softmax, -3, 3, forms=Q)
unary("l2_normalize", lambda x: tf.math.l2_normalize(x, axis=-1), forms=Q)
unary("gelu_exact", lambda x: tf.nn.gelu(x, approximate=False), -3, 3, forms=Q)
unary("gelu_tanh", lambda x: tf.nn.gelu(x, approximate=True), -3, 3, forms=Q)
unary("elu", tf.nn.elu, -3, 3)
unary("cast_float_to_int", lambda x: tf.cast(x, tf.int32), -9, 9)
unary("tile", lambda x: tf.tile(x, [2, 1, 3]))
unary("broadcast_to", lambda x: tf.broadcast_to(x, (4, 2, 3, 7)))
unary("unpack", lambda x: tuple(tf.unstack(x, axis=1)))
unary("split_v", lambda x: tuple(tf.split(x, [2, 4, 1], axis=2)))
unary("mirror_pad_reflect", lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 3]], mode="REFLECT"))
unary("mirror_pad_symmetric", lambda x: tf.pad(x, [[1, 1], [0, 2], [3, 1]], mode="SYMMETRIC"))
unary("cumsum_axis2", lambda x: tf.cumsum(x, axis=2))
unary("cumsum_exclusive_reverse", lambda x: tf.cumsum(x, axis=1, exclusive=True, reverse=True))
unary("comparisons", lambda x: (x < 0.3, x >= -0.2, tf.equal(tf.round(x), 1.0),
                                tf.not_equal(tf.round(x), 0.0)))
unary("space_to_batch", lambda x: tf.space_to_batch(x, [2, 3], [[1, 1], [0, 2]]),
      shape=(1, 4, 7, 3))
unary("batch_to_space", lambda x: tf.batch_to_space(x, [2, 2], [[0, 1], [1, 0]]),
      shape=(4, 3, 3, 2))


@case("squared_difference", [f32(2, 3, 5), f32(3, 1)], F)
def _(w):
    return lambda a, b: tf.math.squared_difference(a, b)


@case("div_bcast", [f32(2, 3, 5, lo=-3, hi=3), f32(3, 1, lo=0.5, hi=2)])
def _(w):
    return lambda a, b: a / b


@case("div_negative_divisor", [f32(4, 9, lo=-2, hi=5), f32(4, 9, lo=-4, hi=-0.25)])
def _(w):
    return lambda a, b: a / b


@case("pow", [f32(2, 6, lo=0.1, hi=3), f32(2, 6, lo=-2, hi=2)], F)
def _(w):
    return lambda a, b: tf.pow(a, b)


@case("floor_div_floor_mod", [f32(3, 5, lo=-10, hi=10), f32(3, 5, lo=0.5, hi=3)], F)
def _(w):
    return lambda a, b: (tf.math.floordiv(a, b), tf.math.floormod(a, b))


@case("floor_div_mod_int", [i32(3, 5, lo=-20, hi=20), i32(3, 5, lo=1, hi=6)], F)
def _(w):
    return lambda a, b: (tf.math.floordiv(a, b), tf.math.floormod(a, b))


@case("cast_int_to_float", [i32(2, 6, lo=-50, hi=50)], F)
def _(w):
    return lambda x: tf.cast(x, tf.float32) * 0.5


@case("pack", [f32(2, 3), f32(2, 3), f32(2, 3)], F)
def _(w):
    return lambda a, b, c: tf.stack([a, b, c], axis=1)


@case("where_select", [f32(2, 3, 4), f32(2, 3, 4), f32(2, 3, 4)], F)
def _(w):
    return lambda c, a, b: tf.where(c > 0.0, a, b)


@case("select_bcast", [In((2, 1, 4), "bool"), f32(2, 3, 4), f32(1, 3, 1)], F)
def _(w):
    return lambda c, a, b: tf.where(c, a, b)


@case("logical_ops", [In((3, 5), "bool"), In((3, 5), "bool")], F)
def _(w):
    return lambda a, b: (tf.logical_and(a, b), tf.logical_or(a, b), tf.logical_not(a))


@case("one_hot", [i32(2, 5, lo=-1, hi=7)], F)
def _(w):
    return lambda ids: tf.one_hot(ids, 6, on_value=2.0, off_value=-0.5)


@case("embedding_lookup_float", [i32(7, lo=0, hi=20)], F)
def _(w):
    table = w.uniform(20, 8)
    return lambda ids: tf.nn.embedding_lookup(table, ids) * 2.0


@case("shape_dynamic", [In((None, 5), feed=(1, 5))], F)
def _(w):
    return lambda x: (tf.shape(x), x * 2.0)


@case("fill_scalar_value", [f32()], F)
def _(w):
    return lambda v: tf.fill([2, 3], v)


@case("range_float", [f32(lo=-2, hi=2), f32(lo=0.5, hi=1.5)], F)
def _(w):
    return lambda start, delta: tf.range(start, start + 4.5 * delta, delta)
