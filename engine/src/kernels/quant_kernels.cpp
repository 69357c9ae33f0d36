// Validation and requantization set-up shared by the quantized and hybrid
// kernels (quant_kernels.h).
#include "quant_kernels.h"
#include "quant_kernel_util.h"

#include <string>

namespace inferd::engine::kernels::qk {

Status perTensorQuant(const OpContext& ctx, const Tensor* t, const char* what, float* scale,
                      int32_t* zeroPoint) {
  TensorQuant q;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, t, what, &q));
  *scale = q.scale;
  *zeroPoint = q.zeroPoint;
  return Status::ok();
}

namespace {

// Scales of weights `w` (one, or `channels` along `channelDim`).
Status weightScales(const OpContext& ctx, const Tensor* w, int64_t channels, int channelDim,
                    std::vector<float>* scales) {
  const QuantParams& q = w->quant();
  if (q.scale.empty()) {
    return ctx.error("weights of type {} have no quantization parameters",
                     elementTypeName(w->type));
  }
  if (q.scale.size() != 1) {
    if (static_cast<int64_t>(q.scale.size()) != channels) {
      return ctx.error("weights have {} per-channel scales, expected {} (one per output channel)",
                       q.scale.size(), channels);
    }
    if (q.quantizedDimension != channelDim) {
      return ctx.unsupported("weights are quantized along dimension {}; only dimension {} (the "
                             "output channels) is supported", q.quantizedDimension, channelDim);
    }
  }
  *scales = q.scale;
  return Status::ok();
}

Status checkSymmetric(const OpContext& ctx, const Tensor* w) {
  const QuantParams& q = w->quant();
  for (size_t i = 0; i < q.zeroPoint.size(); ++i) {
    if (q.zeroPoint[i] != 0) {
      return ctx.unsupported("int8 weights must be symmetric (zero point 0), channel {} has zero "
                             "point {}", i, q.zeroPoint[i]);
    }
  }
  return Status::ok();
}

}  // namespace

Status weightQuant(const OpContext& ctx, const Tensor* w, int64_t channels, int channelDim,
                   std::vector<float>* scales, int32_t* zeroPoint) {
  if (w->type != ElementType::kInt8 && w->type != ElementType::kUInt8) {
    return ctx.unsupported("weights have type {}; quantized inputs need INT8 or UINT8 weights",
                           elementTypeName(w->type));
  }
  INFERD_RETURN_IF_ERROR(weightScales(ctx, w, channels, channelDim, scales));
  *zeroPoint = 0;
  if (w->type == ElementType::kInt8) return checkSymmetric(ctx, w);
  if (scales->size() != 1) {
    return ctx.unsupported("per-channel quantization needs INT8 weights, these are UINT8");
  }
  *zeroPoint = static_cast<int32_t>(w->quant().zeroPoint.empty() ? 0 : w->quant().zeroPoint[0]);
  return Status::ok();
}

Status hybridWeights(OpContext& ctx, const Tensor* w, int64_t channels, int channelDim,
                     std::vector<float>* scales) {
  if (w->type != ElementType::kInt8) {
    return ctx.unsupported("FLOAT32 input with {} weights is not supported (hybrid kernels take "
                           "INT8 weights)", elementTypeName(w->type));
  }
  INFERD_RETURN_IF_ERROR(weightScales(ctx, w, channels, channelDim, scales));
  INFERD_RETURN_IF_ERROR(checkSymmetric(ctx, w));
  return checkType(ctx, ctx.output(0), ElementType::kFloat32,
                   "output of a hybrid (FLOAT32 input, INT8 weights) node");
}

Status quantizedBias(const OpContext& ctx, int index, int64_t channels, const int32_t** bias) {
  const Tensor* b = ctx.input(index);
  *bias = nullptr;
  if (b == nullptr) return Status::ok();
  if (b->type != ElementType::kInt32) {
    return ctx.unsupported("bias has type {}, expected INT32 for quantized inputs",
                           elementTypeName(b->type));
  }
  if (b->numElements() != channels) {
    return ctx.error("bias has {} elements, expected {} (one per output channel)",
                     b->numElements(), channels);
  }
  *bias = b->as<int32_t>();
  return Status::ok();
}

Status hybridBias(const OpContext& ctx, int index, int64_t channels, const float** bias) {
  const Tensor* b = ctx.input(index);
  *bias = nullptr;
  if (b == nullptr) return Status::ok();
  if (b->type != ElementType::kFloat32) {
    return ctx.unsupported("bias has type {}, expected FLOAT32 for a hybrid node",
                           elementTypeName(b->type));
  }
  if (b->numElements() != channels) {
    return ctx.error("bias has {} elements, expected {} (one per output channel)",
                     b->numElements(), channels);
  }
  *bias = b->as<float>();
  return Status::ok();
}

Status makeRequantizer(OpContext& ctx, const Tensor* input, const std::vector<float>& wScales,
                       ScaleProduct product, fb::ActivationFunctionType activation,
                       quant::Rounding rounding, Requantizer* out) {
  const Tensor* output = ctx.output(0);
  if (output->type != input->type) {
    return ctx.unsupported("output has type {}, expected {} like the input",
                           elementTypeName(output->type), elementTypeName(input->type));
  }
  float inScale = 0.f, outScale = 0.f;
  int32_t inZp = 0;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, input, "input", &inScale, &inZp));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, output, "output", &outScale, &out->outZeroPoint));
  out->multipliers.clear();
  for (float ws : wScales) {
    const double real = product == ScaleProduct::kDouble
                            ? static_cast<double>(inScale) * static_cast<double>(ws) /
                                  static_cast<double>(outScale)
                            : static_cast<double>(inScale * ws) / static_cast<double>(outScale);
    out->multipliers.push_back(quant::quantizeMultiplier(real));
  }
  ActivationRange range;
  INFERD_RETURN_IF_ERROR(activationRange(ctx, activation, &range));
  const bool isInt8 = output->type == ElementType::kInt8;
  out->clamp = quant::activationRangeQuantized(
      range.min, range.max, outScale, out->outZeroPoint,
      isInt8 ? quant::qmin<int8_t>() : quant::qmin<uint8_t>(),
      isInt8 ? quant::qmax<int8_t>() : quant::qmax<uint8_t>());
  out->rounding = rounding;
  return Status::ok();
}

}  // namespace inferd::engine::kernels::qk
