// Checks and parameters shared by the kernels' 8-bit quantized paths (INT8
// and UINT8 tensors with per-tensor affine quantization): reading a tensor's
// scale and zero point, comparing them between tensors, fused activation
// bounds, and dispatching on the element type. The arithmetic itself lives in
// quant_util.h.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernel_util.h"
#include "quant_util.h"

namespace inferd::engine::kernels {

inline bool isQuantized8(ElementType t) { return t == ElementType::kInt8 || t == ElementType::kUInt8; }

struct TensorQuant {
  float scale = 1.f;
  int32_t zeroPoint = 0;
};

inline bool operator==(const TensorQuant& a, const TensorQuant& b) {
  return a.scale == b.scale && a.zeroPoint == b.zeroPoint;
}

// The per-tensor (scale, zero point) of a quantized tensor (INT8, UINT8,
// INT16; a missing zero point is 0); fails when the tensor has none, is
// quantized per channel, or has a scale that is not positive or a zero point
// outside its type's range.
inline Status perTensorQuant(const OpContext& ctx, const Tensor* t, const char* what,
                             TensorQuant* q) {
  if (t->info == nullptr || t->quant().scale.empty()) {
    return ctx.error("{} of type {} has no quantization parameters", what, elementTypeName(t->type));
  }
  const QuantParams& p = t->quant();
  if (p.scale.size() != 1 || p.zeroPoint.size() > 1) {
    return ctx.unsupported("{} is quantized per channel ({} scales); only per-tensor quantization is "
                           "supported here",
                           what, p.scale.size());
  }
  const float scale = p.scale[0];
  const int64_t zp = p.zeroPoint.empty() ? 0 : p.zeroPoint[0];
  if (!(scale > 0.f) || !std::isfinite(scale)) {
    return ctx.error("{} has an invalid quantization scale {}", what, scale);
  }
  int64_t lo = 0, hi = 255;
  if (t->type == ElementType::kInt8) {
    lo = -128;
    hi = 127;
  } else if (t->type == ElementType::kInt16) {
    lo = -32768;
    hi = 32767;
  }
  if (zp < lo || zp > hi) {
    return ctx.error("{} zero point {} is outside the {} range", what, zp, elementTypeName(t->type));
  }
  q->scale = scale;
  q->zeroPoint = static_cast<int32_t>(zp);
  return Status::ok();
}

// Fails unless `a` and `b` (already read) are quantized alike, naming the
// rule TFLite enforces.
inline Status requireSameQuant(const OpContext& ctx, const TensorQuant& a, const TensorQuant& b,
                               const char* whatA, const char* whatB) {
  if (a == b) return Status::ok();
  return ctx.error("{} (scale {}, zero point {}) and {} (scale {}, zero point {}) must have the same "
                   "quantization",
                   whatA, a.scale, a.zeroPoint, whatB, b.scale, b.zeroPoint);
}

// TFLite's CalculateActivationRangeQuantized for a fused activation on an
// output of 8-bit type `type` quantized as `out`.
inline Status quantizedActivation(const OpContext& ctx, fb::ActivationFunctionType act,
                                  ElementType type, const TensorQuant& out,
                                  quant::QuantRange* range) {
  ActivationRange real;
  INFERD_RETURN_IF_ERROR(activationRange(ctx, act, &real));
  const int32_t lo = type == ElementType::kInt8 ? -128 : 0;
  const int32_t hi = type == ElementType::kInt8 ? 127 : 255;
  *range = quant::activationRangeQuantized(real.min, real.max, out.scale, out.zeroPoint, lo, hi);
  return Status::ok();
}

// Calls f(T{}) with T = int8_t or uint8_t for an 8-bit quantized type.
template <typename F>
decltype(auto) dispatchQuantized8(ElementType t, F&& f) {
  if (t == ElementType::kInt8) return f(int8_t{});
  return f(uint8_t{});
}

}  // namespace inferd::engine::kernels
