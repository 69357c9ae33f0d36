// Integer arithmetic shared by the quantized kernels, following TensorFlow
// Lite's definitions so that results match it byte for byte:
//  - a real multiplier M in (0, 2^31) is represented as a Q31 fixed-point
//    value q in [2^30, 2^31) and a power-of-two shift, M = q * 2^(shift-31);
//  - products are rounded with a saturating rounding doubling high multiply
//    (gemmlowp's SaturatingRoundingDoublingHighMul) followed by a rounding
//    right shift that rounds half away from zero.
#pragma once

#include <algorithm>
#include <bit>
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
// represent (shift < -31) flush to zero, as TensorFlow Lite does. Shifts
// above 31 (multipliers of 2^31 and more, which only corrupted scales give:
// every nonzero product saturates) are capped at 31, so that the left
// shift of a 32-bit value below stays defined.
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
  shift = std::min(shift, 31);
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

// roundingDivideByPOT as LiteRT's x86-64 build computes it for exponents of
// 32 and more, which TensorFlow Lite's 8-bit DIV reaches for dividends of a
// few quanta: the mask (1 << exponent) - 1 is all ones in 32 bits and the
// arithmetic shift count is taken modulo 32 (x86 SAR), so the result is not
// x / 2^exponent. Reproduced to match LiteRT byte for byte.
inline int32_t roundingDivideByPOTWide(int32_t x, int exponent) {
  if (exponent < 32) return roundingDivideByPOT(x, exponent);
  const int32_t threshold = -1 + (x < 0 ? 1 : 0);  // (mask >> 1) + (x < 0)
  return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
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

// x * 2^amount saturated to int32 (gemmlowp's SaturatingRoundingMultiplyByPOT
// for a positive exponent).
inline int32_t saturatingLeftShift(int32_t x, int amount) {
  const int64_t r = static_cast<int64_t>(x) * (int64_t{1} << amount);
  return static_cast<int32_t>(std::clamp<int64_t>(r, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

// 1 / sqrt(x) for an integer x >= 0 as a multiplier (TFLite's
// GetInvSqrtQuantizedMultiplierExp with a left-shift exponent): x is scaled by
// a power of four into [2^27, 2^29), five Newton-Raphson steps
// r <- 1.5 r - (x / 2) r^3 run in Q3.28 fixed point from r = 1, and the
// result is multiplied by sqrt(2) / 2. x <= 1 gives {INT32_MAX, 0}.
inline Multiplier invSqrtMultiplier(int32_t x) {
  if (x <= 1) return {std::numeric_limits<int32_t>::max(), 0};
  int shift = 11;  // a right shift until the end
  while (x >= (1 << 29)) {
    x /= 4;
    ++shift;
  }
  const int bitPairs = (std::countl_zero(static_cast<uint32_t>(x)) - 1) / 2 - 1;
  shift -= bitPairs;
  x <<= 2 * bitPairs;
  // Q3.28 values (3 integer bits): a product of two has 6, of three 9.
  const int32_t halfInput = roundingDivideByPOT(x >> 1, 1);
  constexpr int32_t kOneAndHalf = (1 << 28) + (1 << 27);
  int32_t r = 1 << 28;  // 1.0
  for (int i = 0; i < 5; ++i) {
    const int32_t cube =
        saturatingLeftShift(saturatingRoundingDoublingHighMul(saturatingRoundingDoublingHighMul(r, r), r), 6);
    r = saturatingLeftShift(saturatingRoundingDoublingHighMul(kOneAndHalf, r) -
                                saturatingRoundingDoublingHighMul(halfInput, cube),
                            3);
  }
  constexpr int32_t kHalfSqrt2 = 1518500250;  // sqrt(2) / 2 in Q0.31
  r = saturatingRoundingDoublingHighMul(r, kHalfSqrt2);
  if (shift < 0) {
    r = static_cast<int32_t>(static_cast<uint32_t>(r) << -shift);
    shift = 0;
  }
  return {r, -shift};
}

// The number of leading bits equal to the sign bit, not counting the sign
// bit itself (GCC's __builtin_clrsb); 31 for 0 and -1.
inline int countLeadingSignBits(int32_t x) {
  const auto u = static_cast<uint32_t>(x);
  return std::countl_zero(x >= 0 ? u : ~u) - 1;
}

// 1 / (1 + a) for a in [0, 1) given in Q0.31, as a Q0.31 value (gemmlowp's
// one_over_one_plus_x_for_x_in_0_1): d = (1 + a) / 2, the linear start
// 48/17 - 32/17 d and three Newton-Raphson steps r <- r + r (1 - d r) in
// Q2.29 fixed point.
inline int32_t oneOverOnePlusX(int32_t a) {
  const auto halfDenominator =
      static_cast<int32_t>((static_cast<int64_t>(a) + std::numeric_limits<int32_t>::max() + 1) / 2);
  constexpr int32_t k48Over17 = 1515870810;      // Q2.29
  constexpr int32_t kMinus32Over17 = -1010580540;  // Q2.29
  constexpr int32_t kOne = 1 << 29;               // Q2.29
  int32_t r = k48Over17 + saturatingRoundingDoublingHighMul(halfDenominator, kMinus32Over17);
  for (int i = 0; i < 3; ++i) {
    const int32_t error = kOne - saturatingRoundingDoublingHighMul(halfDenominator, r);
    r += saturatingLeftShift(saturatingRoundingDoublingHighMul(r, error), 2);  // Q4.27 -> Q2.29
  }
  return saturatingLeftShift(r, 1);  // r / 2 in Q1.30 read as Q0.31
}

// 1 / x for an integer x > 0 (TFLite's GetReciprocal with 31 integer
// digits): x = 2^bits * (1 + a) with a in [0, 1), 1 / x =
// oneOverOnePlusX(a) * 2^-bits. Returns {Q0.31 value, bits}.
struct Reciprocal {
  int32_t value = 0;
  int bitsOverUnit = 0;
};

inline Reciprocal reciprocal(int32_t x) {
  const int headroomPlusOne = std::countl_zero(static_cast<uint32_t>(x));
  const auto fraction = static_cast<int32_t>((static_cast<uint32_t>(x) << headroomPlusOne) - (1u << 31));
  return {oneOverOnePlusX(fraction), 31 - headroomPlusOne};
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

// x * M with the rounding of ruy's x86 kernels (the GEMM behind TensorFlow
// Lite's int8 CONV_2D, FULLY_CONNECTED): the Q31 product and the final right
// shift both round half up (towards +infinity) instead of away from zero.
// Differs from multiplyByQuantizedMultiplier only on exact negative ties.
inline int32_t multiplyByQuantizedMultiplierRoundUp(int32_t x, Multiplier m) {
  const int leftShift = m.shift > 0 ? m.shift : 0;
  const int rightShift = m.shift > 0 ? 0 : -m.shift;
  const int64_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << leftShift);
  const int64_t high = (shifted * m.value + (1ll << 30)) >> 31;  // arithmetic shift: floor
  if (rightShift == 0) return static_cast<int32_t>(high);
  const int64_t nudge = 1ll << (rightShift - 1);
  if (high > std::numeric_limits<int32_t>::max() - nudge) {
    return static_cast<int32_t>(1ll << (31 - rightShift));  // ruy's overflow value
  }
  return static_cast<int32_t>((high + nudge) >> rightShift);
}

// x * M as TensorFlow Lite's int8 DEPTHWISE_CONV_2D rounds
// (DepthwiseConvRound<kUpward>, the ARM rounding shift): gemmlowp's Q31
// product, then a right shift that rounds ties up.
inline int32_t multiplyByQuantizedMultiplierShiftUp(int32_t x, Multiplier m) {
  const int leftShift = m.shift > 0 ? m.shift : 0;
  const int rightShift = m.shift > 0 ? 0 : -m.shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << leftShift);
  const int64_t high = saturatingRoundingDoublingHighMul(shifted, m.value);
  if (rightShift == 0) return static_cast<int32_t>(high);
  return static_cast<int32_t>((high + (int64_t{1} << (rightShift - 1))) >> rightShift);
}

// TensorFlow Lite's requantization rounding for an op: most kernels use the
// gemmlowp rounding (kAwayFromZero); the ruy GEMM rounds ties up (kUp); the
// int8 depthwise kernels round only the final shift up (kShiftUp).
enum class Rounding : uint8_t { kAwayFromZero, kUp, kShiftUp };

inline int32_t multiplyByQuantizedMultiplier(int32_t x, Multiplier m, Rounding rounding) {
  switch (rounding) {
    case Rounding::kUp: return multiplyByQuantizedMultiplierRoundUp(x, m);
    case Rounding::kShiftUp: return multiplyByQuantizedMultiplierShiftUp(x, m);
    case Rounding::kAwayFromZero: break;
  }
  return multiplyByQuantizedMultiplier(x, m);
}

// Real value -> quantized value with the division done in double, as
// TensorFlow Lite's optimized QUANTIZE kernel does on x86 (its reference
// kernel divides in float: quantizeValue). NaN gives the lowest value (what
// LiteRT's conversion produces); out-of-range values saturate.
template <typename T> inline T quantizeValueDouble(float real, float scale, int32_t zeroPoint) {
  const double q = std::round(static_cast<double>(real) / static_cast<double>(scale));
  if (std::isnan(q)) return static_cast<T>(qmin<T>());
  const double clamped = std::clamp(q + zeroPoint, static_cast<double>(qmin<T>()),
                                    static_cast<double>(qmax<T>()));
  return static_cast<T>(static_cast<int32_t>(clamped));
}

// A buffer of real values -> quantized values as LiteRT's QUANTIZE does it
// per tensor (its optimized kernel, NEON or NEON_2_SSE on x86): the first
// n & ~7 values eight at a time as round-half-to-even(x * float(1 / scale))
// (NaN and out-of-range products give the lowest value), the rest with
// quantizeValueDouble.
template <typename T>
inline void quantizeBuffer(const float* x, int64_t n, float scale, int32_t zeroPoint, T* out) {
  const auto inv = static_cast<float>(1.0 / static_cast<double>(scale));
  const int64_t vectorEnd = n & ~int64_t{7};
  for (int64_t i = 0; i < vectorEnd; ++i) {
    const float v = x[i] * inv;
    int64_t q = std::numeric_limits<int32_t>::min();  // what the SIMD conversion gives
    if (std::abs(v) < 2147483648.f) q = static_cast<int64_t>(std::nearbyint(v));
    out[i] = static_cast<T>(std::clamp<int64_t>(q + zeroPoint, qmin<T>(), qmax<T>()));
  }
  for (int64_t i = vectorEnd; i < n; ++i) out[i] = quantizeValueDouble<T>(x[i], scale, zeroPoint);
}

// TensorFlow Lite's CalculateActivationRangeQuantized: the float clamp range
// of a fused activation ([lo, hi], +-infinity when open) as quantized bounds
// within [typeMin, typeMax] for the output's scale and zero point.
struct QuantRange {
  int32_t min = 0;
  int32_t max = 0;
};

inline QuantRange activationRangeQuantized(float lo, float hi, float scale, int32_t zeroPoint,
                                           int32_t typeMin, int32_t typeMax) {
  auto quantize = [&](float real) {
    // A tiny scale can put real / scale beyond int64: clamp in float first
    // (anything past 2^40 lands on a type bound anyway).
    const float steps = std::clamp(std::round(real / scale), -0x1p40f, 0x1p40f);
    const int64_t q = static_cast<int64_t>(steps) + zeroPoint;
    return static_cast<int32_t>(std::clamp<int64_t>(q, typeMin, typeMax));
  };
  QuantRange r{typeMin, typeMax};
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

// TFLite's PopulateSoftmaxLookupTable (8-bit SOFTMAX and LOG_SOFTMAX):
// table[255 - d] = exp(-inScale * beta * d) for the distance d = max - q of
// a value to its row maximum, in float.
inline void populateSoftmaxExpTable(float inScale, float beta, float table[256]) {
  const float scale = -inScale * beta;
  for (int32_t d = 0; d <= 255; ++d) table[255 - d] = std::exp(scale * static_cast<float>(d));
}

}  // namespace inferd::engine::kernels::quant
