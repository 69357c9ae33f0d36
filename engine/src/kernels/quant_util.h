// Integer arithmetic shared by the quantized kernels, following TensorFlow
// Lite's definitions so that results match it byte for byte:
//  - a real multiplier M in (0, 2^31) is represented as a Q31 fixed-point
//    value q in [2^30, 2^31) and a power-of-two shift, M = q * 2^(shift-31);
//  - products are rounded with a saturating rounding doubling high multiply
//    (gemmlowp's SaturatingRoundingDoublingHighMul) followed by a rounding
//    right shift that rounds half away from zero.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "inferd/engine/types.h"

namespace inferd::engine::kernels::quant {

struct Multiplier {
  int32_t value = 0;  // Q31 fixed point, 0 or in [2^30, 2^31)
  int shift = 0;      // > 0: left shift, < 0: right shift
};

// M = value * 2^(shift - 31). M == 0 gives {0, 0}; multipliers too small to
// represent (shift < -31) flush to zero, as TensorFlow Lite does.
inline Multiplier quantizeMultiplier(double m) {
  Multiplier r;
  if (m == 0.0 || !std::isfinite(m)) return r;
  int shift = 0;
  const double q = std::frexp(m, &shift);
  int64_t fixed = static_cast<int64_t>(std::round(q * static_cast<double>(1ll << 31)));
  if (fixed == (1ll << 31)) {
    fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    fixed = 0;
  }
  r.value = static_cast<int32_t>(fixed);
  r.shift = shift;
  return r;
}

// round(a * b / 2^31), saturating the single overflow case INT32_MIN^2.
inline int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return static_cast<int32_t>((ab + nudge) / (1ll << 31));
}

// x / 2^exponent rounded to nearest, ties away from zero.
inline int32_t roundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * M for M given by quantizeMultiplier().
inline int32_t multiplyByQuantizedMultiplier(int32_t x, Multiplier m) {
  const int leftShift = m.shift > 0 ? m.shift : 0;
  const int rightShift = m.shift > 0 ? 0 : -m.shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << leftShift);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, m.value), rightShift);
}

// The representable range of an integer element type.
template <typename T> constexpr int32_t qmin() { return static_cast<int32_t>(std::numeric_limits<T>::min()); }
template <typename T> constexpr int32_t qmax() { return static_cast<int32_t>(std::numeric_limits<T>::max()); }

// Real value -> quantized value, TensorFlow Lite's rounding (half away from
// zero) and saturation.
template <typename T> inline T quantizeValue(float real, float scale, int32_t zeroPoint) {
  const int64_t q = static_cast<int64_t>(std::round(real / scale)) + zeroPoint;  // float division, as TFLite
  return static_cast<T>(std::clamp<int64_t>(q, qmin<T>(), qmax<T>()));
}

}  // namespace inferd::engine::kernels::quant
