// Checks and parameters shared by the kernels' 8-bit quantized paths (INT8
// and UINT8 tensors with per-tensor affine quantization): reading a tensor's
// scale and zero point, comparing them between tensors, fused activation
// bounds, and dispatching on the element type. The arithmetic itself lives in
// quant_util.h.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "optimized/cpu_features.h"
#include "optimized/qelementwise.h"
#include "optimized/qgemm.h"
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

// --- 8-bit quantized element-wise ops computed as one table lookup ---

struct QuantTableState : KernelState {
  uint8_t table[256] = {};  // output bit pattern, indexed by the input's
};

inline bool quantizedInput(const OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  return in != nullptr && isQuantized8(in->type);
}

// Checks an 8-bit input and an output of the same type, reads both
// quantizations and gives the output the input's shape.
inline Status prepareQuantUnary(OpContext& ctx, TensorQuant* in, TensorQuant* out) {
  const Tensor* input = ctx.input(0);
  INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), input->type, "output"));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, input, "input", in));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, ctx.output(0), "output", out));
  return ctx.resizeOutput(0, input->dims);
}

// The output multiplier of an 8-bit MUL: s_a * s_b / s_out evaluated in
// float, as TFLite's mul.cc does.
inline quant::Multiplier mulOutputMultiplier(float scaleA, float scaleB, float scaleOut) {
  const float real = scaleA * scaleB / scaleOut;
  return quant::quantizeMultiplier(static_cast<double>(real));
}

// Fills the table with f(q) (clamped to the type) for every input value q.
template <typename F>
void fillTable(ElementType type, QuantTableState* st, F f) {
  dispatchQuantized8(type, [&](auto tag) {
    using T = decltype(tag);
    for (int32_t q = quant::qmin<T>(); q <= quant::qmax<T>(); ++q) {
      const int32_t v = std::clamp(f(q), quant::qmin<T>(), quant::qmax<T>());
      st->table[static_cast<uint8_t>(static_cast<T>(q))] = static_cast<uint8_t>(static_cast<T>(v));
    }
  });
}

// Whether evalQuantTable runs the vector lookups (opt::lookup8: VBMI byte
// permutes, or AVX2 VPSHUFB).
inline bool vbmiTable(const OpContext& ctx) {
  return ctx.optimizedKernels() && opt::cpuFeatures().best != opt::Isa::kReference;
}

// setState for the ops evaluated by evalQuantTable; also names the variant
// it will run (profiles).
inline void setTableState(OpContext& ctx, std::unique_ptr<QuantTableState> st) {
  ctx.setKernelVariant(!vbmiTable(ctx) ? "reference" : opt::cpuFeatures().avx512vbmi ? "vbmi-lut" : "avx2-lut");
  ctx.setState(std::move(st));
}

inline Status evalQuantTable(OpContext& ctx) {
  const uint8_t* table = ctx.state<QuantTableState>()->table;
  const Tensor* in = ctx.input(0);
  const uint8_t* x = in->data;  // INT8 or UINT8: the table is indexed by the byte
  uint8_t* y = ctx.output(0)->data;
  const int64_t n = in->numElements();
  if (n == 0) return Status::ok();  // (the split below divides by the chunk count)
  if (vbmiTable(ctx)) {
    // Chunks of 64 KiB over the threads for large tensors.
    struct Job {
      const uint8_t* table;
      const uint8_t* x;
      uint8_t* y;
      int64_t n, tasks;
      static void run(void* self, size_t task) {
        const auto& j = *static_cast<const Job*>(self);
        const auto t = static_cast<int64_t>(task);
        const int64_t chunks = (j.n + 65535) / 65536;
        const int64_t c0 = chunks * t / j.tasks, c1 = chunks * (t + 1) / j.tasks;
        const int64_t e0 = c0 * 65536, e1 = std::min(c1 * 65536, j.n);
        if (e1 > e0) opt::lookup8(j.table, j.x + e0, j.y + e0, e1 - e0);
      }
    };
    Job job{table, x, y, n, std::min<int64_t>((n + 65535) / 65536, opt::poolThreads(ctx.threadPool()))};
    opt::parallelFor(ctx.threadPool(), std::max<int64_t>(job.tasks, 1), &Job::run, &job);
    return Status::ok();
  }
  for (int64_t i = 0; i < n; ++i) y[i] = table[x[i]];
  return Status::ok();
}

// Fills the table as TFLite's LUTPopulate does: quantize(f(dequantize(q))),
// f evaluated in float.
template <typename F>
void populateTable(ElementType type, const TensorQuant& in, const TensorQuant& out, F f,
                   QuantTableState* st) {
  dispatchQuantized8(type, [&](auto tag) {
    using T = decltype(tag);
    quant::populateLookupTable<T>(in.scale, in.zeroPoint, out.scale, out.zeroPoint, f,
                                  reinterpret_cast<T*>(st->table));
  });
}

}  // namespace inferd::engine::kernels
