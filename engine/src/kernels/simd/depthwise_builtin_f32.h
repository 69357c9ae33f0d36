// An AVX2 twin of the reference float DEPTHWISE_CONV_2D (multiplier 1) that
// the builtin-order paths run: the float depthwise layers of dynamic-range
// models, where LiteRT uses its builtin kernels. Per output it does what
// the reference does -- the bias (or zero) first, then the taps inside the
// input in row-major order with a multiply and an add each (no FMA), then
// the clamp with the same comparisons -- 8 channels per lane group and up
// to two output pixels and 32 channels at a time, so the bytes equal the
// reference's.
#pragma once

#include <cstdint>

namespace inferd::engine::kernels::simd {

struct DepthwiseBuiltinGeometry {
  int64_t inH = 0, inW = 0, channels = 0;
  int64_t filterH = 0, filterW = 0;
  int64_t outH = 0, outW = 0;
  int64_t strideH = 1, strideW = 1, padH = 0, padW = 0, dilationH = 1, dilationW = 1;
};

// Output rows [rowBegin, rowEnd) of all batches (row r is batch r / outH,
// output row r % outH); in is NHWC, w is [1][filterH][filterW][channels],
// bias may be null. Needs hasAvx2().
void depthwiseBuiltinRowsAvx2(const DepthwiseBuiltinGeometry& g, const float* in, const float* w, const float* bias,
                              float lo, float hi, float* out, int64_t rowBegin, int64_t rowEnd);

}  // namespace inferd::engine::kernels::simd
