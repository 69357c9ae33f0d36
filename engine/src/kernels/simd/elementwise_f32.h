// Element-wise float functions for fused ops: swish (x * sigmoid(x), the
// SWISH node that replaces LOGISTIC + MUL) and the post-ops a fused node
// applies to its own output when its main path could not (graph_fusion.h).
// AVX-512 where simd::hasAvx512(), AVX2 where simd::hasAvx2(), else
// portable loops with TFLite's reference formulas; spread over `pool` in chunks when there is enough work.
#pragma once

#include <pthreadpool.h>

#include <cstdint>

#include "graph_fusion.h"

namespace inferd::engine::kernels::simd {

// y[i] = x[i] * sigmoid(x[i]); y may be x.
void swishF32(const float* x, float* y, int64_t n, pthreadpool_t pool);

// data[i] = op(data[i]).
void applyPostOpF32(PostOp op, float* data, int64_t n, pthreadpool_t pool);

// Float SOFTMAX over the last axis, rows x depth, for beta >= 0 (then every
// exp argument, (x - max) * beta, is <= 0): the max, exp by the polynomial
// of the post-ops (relative error ~1e-7; below -87.3 about 1e-38 instead of
// a denormal), the sum, then each value divided by it. False, with nothing
// written, where the CPU has no AVX2 (the caller's scalar loop runs).
bool softmaxF32(const float* x, float* y, int64_t rows, int64_t depth, float beta);

// y[i] = tanh(x[i]) on 8 lanes: -expm1(-2|x|) / (2 + expm1(-2|x|)) with the
// sign of x, expm1 from the post-ops' exp polynomial without its leading 1
// (so it keeps its relative accuracy near 0; within a few ulp of
// std::tanh); NaN stays NaN. False, with nothing written, without AVX2.
bool tanhF32(const float* x, float* y, int64_t n);

// y[i] = 1 / (1 + e^-x[i]) on 8 lanes (z = e^-|x| from the same
// polynomial, 1 / (1 + z) or z / (1 + z) by an exact division). False, with
// nothing written, without AVX2.
bool sigmoidF32(const float* x, float* y, int64_t n);

// The portable scalar formulas (TFLite's reference LOGISTIC times x, and
// reference HARD_SWISH).
float swishReference(float x);
float hardSwishReference(float x);

}  // namespace inferd::engine::kernels::simd
