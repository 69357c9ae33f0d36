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

// --- 16-bit fixed point (gemmlowp's int16 primitives, used by HARD_SWISH) ---

// round(a * b / 2^15), saturating INT16_MIN^2 (gemmlowp's int16
// SaturatingRoundingDoublingHighMul).
inline int16_t saturatingRoundingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

// a * b / 2^15 truncated toward zero, saturating INT16_MIN^2 (ARM's SQDMULH).
inline int16_t saturatingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((static_cast<int32_t>(a) * static_cast<int32_t>(b)) / (1 << 15));
}

// x * 2^amount saturated to int16.
inline int16_t saturatingLeftShift16(int16_t x, int amount) {
  const int64_t r = static_cast<int64_t>(x) * (int64_t{1} << amount);
  return static_cast<int16_t>(std::clamp<int64_t>(r, std::numeric_limits<int16_t>::min(),
                                                  std::numeric_limits<int16_t>::max()));
}

// x / 2^exponent rounded to nearest, ties away from zero (int16 version).
inline int16_t roundingDivideByPOT16(int16_t x, int exponent) {
  return static_cast<int16_t>(roundingDivideByPOT(x, exponent));
}

// The Q15 multiplier nearest to a Q31 one (TFLite's
// DownScaleInt32ToInt16Multiplier), saturating at INT16_MAX.
inline int16_t downScaleMultiplierTo16(int32_t q31) {
  constexpr int32_t kRound = 1 << 15;
  if (q31 >= std::numeric_limits<int32_t>::max() - kRound) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((q31 + kRound) >> 16);
}

// --- fused activations and lookup tables on quantized values ---

// TFLite's CalculateActivationRangeQuantized: the clamp bounds of a fused
// activation whose real range is [lo, hi] (infinite = unbounded) on an output
// quantized with (scale, zeroPoint), within [typeMin, typeMax].
struct QuantizedRange {
  int32_t min = 0;
  int32_t max = 0;
};
inline QuantizedRange quantizedActivationRange(float lo, float hi, float scale, int32_t zeroPoint,
                                               int32_t typeMin, int32_t typeMax) {
  auto quantize = [&](float f) { return zeroPoint + static_cast<int32_t>(std::round(f / scale)); };
  QuantizedRange r{typeMin, typeMax};
  if (std::isfinite(lo)) r.min = std::max(typeMin, quantize(lo));
  if (std::isfinite(hi)) r.max = std::min(typeMax, quantize(hi));
  return r;
}

// A 256-entry table mapping every 8-bit input q to
// quantize(f(dequantize(q))), computed in float as TFLite's LUTPopulate does
// (so LOGISTIC/TANH agree with it byte for byte). Indexed by the input's bit
// pattern: table[static_cast<uint8_t>(q)].
template <typename T, typename F>
inline void populateLookupTable(float inScale, int32_t inZeroPoint, float outScale,
                                int32_t outZeroPoint, F f, T table[256]) {
  static_assert(sizeof(T) == 1, "8-bit types only");
  const float inverseScale = 1.f / outScale;
  for (int32_t q = qmin<T>(); q <= qmax<T>(); ++q) {
    const float x = inScale * static_cast<float>(q - inZeroPoint);
    const float rescaled = std::round(f(x) * inverseScale);
    const auto quantized = static_cast<int32_t>(rescaled + static_cast<float>(outZeroPoint));
    table[static_cast<uint8_t>(static_cast<T>(q))] =
        static_cast<T>(std::clamp(quantized, qmin<T>(), qmax<T>()));
  }
}

}  // namespace inferd::engine::kernels::quant
