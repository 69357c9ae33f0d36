// IEEE 754 binary16 -> binary32 conversion for fp16 weights (DEQUANTIZE,
// DENSIFY). Every half value is exactly representable as a float, so the
// conversion is exact: normals, subnormals, signed zeros, infinities, and
// NaNs (payload kept in the top mantissa bits).
#pragma once

#include <cstdint>
#include <cstring>

namespace inferd::engine::kernels {

inline float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1fu) {
    // Inf (mantissa 0) or NaN: all-ones float exponent.
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    // Normal: rebias the exponent from 15 to 127.
    bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  } else {
    // Zero or subnormal: mantissa * 2^-24, exact in float arithmetic (a
    // 10-bit integer times a power of two); the float is normal.
    float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    std::memcpy(&bits, &magnitude, sizeof(bits));
    bits |= sign;
  }
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

}  // namespace inferd::engine::kernels
