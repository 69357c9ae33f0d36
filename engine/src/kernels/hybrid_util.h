// Run-time input quantization of TensorFlow Lite's "hybrid" (dynamic-range)
// kernels: float activations meet int8 constant weights, so each row (or
// batch) of the input is quantized to int8 on the fly, the products are
// accumulated in int32 and scaled back to float. The formulas follow the
// kernels LiteRT runs (SymmetricQuantizeFloats, AsymmetricQuantizeFloats of
// its NEON tensor_utils, which it also compiles for x86 SSE4.1 through
// NEON_2_SSE) so that results match it bit for bit: the first n & ~7 values
// of a row are rounded 8 at a time as trunc(v +- 0.5) (its RoundToNearest
// without ARMv8's vcvtaq), the tail with std::round.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace inferd::engine::kernels::hybrid {

// The quantization of one row: real ~= scale * (q - offset).
struct RowQuant {
  float scale = 1.f;
  int32_t offset = 0;
};

// The rounding of element i of an n-element row (see above). A value an
// int32 cannot hold (a row with inf or NaN) becomes INT32_MIN, as x86's
// conversion instructions (and so the vectorized paths) give it, instead of
// undefined behaviour.
inline int32_t roundElement(float v, int64_t i, int64_t n) {
  const float r = i < (n & ~int64_t{7}) ? v + (v < 0.f ? -0.5f : 0.5f) : std::round(v);
  if (!(r > -2147483648.f && r < 2147483648.f)) return INT32_MIN;
  return static_cast<int32_t>(r);
}

// offset + q with two's-complement wrap-around (the vectorized paths' add).
inline int32_t wrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// Symmetric: q in [-127, 127], offset 0, scale = max|x| / 127. An all-zero
// row gets scale 1.
//
// Each quantization is split in its parameters (from the row's min and max
// only) and the rounding loop, so optimized/hybrid_quant.h can vectorize the
// two passes over the row and share the parameter arithmetic.
struct RowParams {
  RowQuant r;
  bool zero = false;     // every q is 0
  float inv = 1.f;       // q = clamp(offset + round(x * inv), lo, hi)
  int32_t lo = -127, hi = 127;
};

inline RowParams symmetricParams(float minV, float maxV) {
  RowParams p;
  const float range = std::max(std::abs(minV), std::abs(maxV));
  if (range == 0.f) {
    p.zero = true;
    return p;
  }
  p.r.scale = range / 127.f;
  p.inv = 127.f / range;
  return p;
}

// Asymmetric: q in [-128, 127] over [min(x, 0), max(x, 0)], the zero point
// nudged to an integer. As in TensorFlow Lite's kernel, the range
// max - min is a float subtraction and the rest is computed in double.
inline RowParams asymmetricParams(float minV, float maxV) {
  RowParams p;
  p.lo = -128;
  const float minF = std::min(0.f, minV);
  const float maxF = std::max(0.f, maxV);
  if (minF == maxF) {
    p.zero = true;
    return p;
  }
  const double rmin = static_cast<double>(minF), rmax = static_cast<double>(maxF);
  const double qmin = -128.0, qmax = 127.0;
  const double scale = static_cast<double>(maxF - minF) / (qmax - qmin);
  const double zpFromMin = qmin - rmin / scale;
  const double zpFromMax = qmax - rmax / scale;
  const double errMin = std::abs(qmin) + std::abs(rmin / scale);
  const double errMax = std::abs(qmax) + std::abs(rmax / scale);
  const double zp = errMin < errMax ? zpFromMin : zpFromMax;
  int32_t offset;
  if (zp <= qmin) {
    offset = -128;
  } else if (zp >= qmax) {
    offset = 127;
  } else {
    offset = static_cast<int32_t>(std::round(zp));
  }
  p.r.scale = static_cast<float>(scale);
  p.r.offset = offset;
  p.inv = static_cast<float>(1.0 / static_cast<double>(p.r.scale));
  return p;
}

// q[i] for i in [begin, n) of an n-element row.
inline void roundRow(const RowParams& p, const float* x, int64_t begin, int64_t n, int8_t* q) {
  for (int64_t i = begin; i < n; ++i) {
    q[i] = static_cast<int8_t>(std::clamp(wrappingAdd(p.r.offset, roundElement(x[i] * p.inv, i, n)), p.lo, p.hi));
  }
}

inline RowQuant quantizeRow(const float* x, int64_t n, int8_t* q, bool asymmetric) {
  if (n <= 0) return {};
  const auto mm = std::minmax_element(x, x + n);
  const RowParams p = asymmetric ? asymmetricParams(*mm.first, *mm.second) : symmetricParams(*mm.first, *mm.second);
  if (p.zero) {
    std::memset(q, 0, static_cast<size_t>(n));
  } else {
    roundRow(p, x, 0, n, q);
  }
  return p.r;
}

}  // namespace inferd::engine::kernels::hybrid
