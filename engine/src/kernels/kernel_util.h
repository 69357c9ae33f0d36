// Helpers shared by the built-in kernels: registration, typed access to
// FlatBuffers options, input validation, fused activations, padding and
// broadcasting.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "graph_fusion.h"
#include "inferd/engine/kernel.h"
#include "tflite_generated.h"

namespace inferd::engine::kernels {

namespace fb = ::inferd::tflite;

// The registration of a built-in op's kernel: the op versions, input and
// output counts it accepts (TFLite's register.cc ranges) and the element
// types its eval handles.
inline KernelRegistration builtinKernel(fb::BuiltinOperator op, int32_t minVersion,
                                        int32_t maxVersion, int32_t minInputs, int32_t maxInputs,
                                        KernelFn prepare, KernelFn eval,
                                        std::vector<ElementType> types, int32_t minOutputs = 1,
                                        int32_t maxOutputs = 1) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(op);
  r.minVersion = minVersion;
  r.maxVersion = maxVersion;
  r.minInputs = minInputs;
  r.maxInputs = maxInputs;
  r.minOutputs = minOutputs;
  r.maxOutputs = maxOutputs;
  r.prepare = prepare;
  r.eval = eval;
  r.types = std::move(types);
  return r;
}

inline const fb::Operator* fbOp(const OpContext& ctx) {
  return static_cast<const fb::Operator*>(ctx.op().fbOperator);
}

// The op's builtin options table of type T, or nullptr when absent or of a
// different type (callers fall back to TFLite's defaults then).
template <typename T>
const T* options(const OpContext& ctx) {
  const fb::Operator* op = fbOp(ctx);
  if (op == nullptr) return nullptr;
  return op->builtin_options_as<T>();
}

// Fails unless the tensor has the given type.
inline Status checkType(const OpContext& ctx, const Tensor* t, ElementType type, const char* what) {
  if (t->type != type) {
    return ctx.unsupported("{} has type {}, expected {}", what, elementTypeName(t->type),
                           elementTypeName(type));
  }
  return Status::ok();
}

inline Status checkRank(const OpContext& ctx, const Tensor* t, int rank, const char* what) {
  if (t->rank() != rank) {
    return ctx.error("{} must have rank {}, has shape {}", what, rank, dimsToString(t->dims));
  }
  return Status::ok();
}

// Input i must exist (not omitted).
inline Status requireInput(const OpContext& ctx, int i, const Tensor** out) {
  *out = ctx.input(i);
  if (*out == nullptr) return ctx.error("input {} is required but missing", i);
  return Status::ok();
}

// Input i must be a constant (data known at prepare time).
inline Status requireConstant(const OpContext& ctx, int i, const char* what) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr || !t->isConstant) {
    return ctx.unsupported("{} (input {}) must be a constant tensor", what, i);
  }
  return Status::ok();
}

// --- fused activations ---

struct ActivationRange {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

// The range of the op's fused activation, narrowed by a RELU-family op the
// graph rewrite folded into this node (graph_fusion.h); every range includes
// [0, 1], so clamping to the intersection is clamping twice.
inline Status activationRange(const OpContext& ctx, fb::ActivationFunctionType act,
                              ActivationRange* range) {
  *range = ActivationRange{};
  switch (act) {
    case fb::ActivationFunctionType::NONE: break;
    case fb::ActivationFunctionType::RELU: range->min = 0.f; break;
    case fb::ActivationFunctionType::RELU_N1_TO_1: range->min = -1.f; range->max = 1.f; break;
    case fb::ActivationFunctionType::RELU6: range->min = 0.f; range->max = 6.f; break;
    default:
      return ctx.unsupported("fused activation {} is not supported",
                             fb::EnumNameActivationFunctionType(act));
  }
  if (const NodeFusion* f = ctx.fusion()) {
    range->min = std::max(range->min, f->clampMin);
    range->max = std::min(range->max, f->clampMax);
  }
  return Status::ok();
}

inline float clampActivation(float x, const ActivationRange& r) {
  return std::min(std::max(x, r.min), r.max);
}

// --- convolution geometry (TFLite semantics) ---

// Output size of a forward convolution/pool along one dimension.
inline int32_t convOutputSize(fb::Padding padding, int32_t in, int32_t filter, int32_t stride,
                              int32_t dilation) {
  const int32_t effFilter = (filter - 1) * dilation + 1;
  if (padding == fb::Padding::SAME) return (in + stride - 1) / stride;
  return (in - effFilter + stride) / stride;  // VALID
}

// Padding before the first element along one dimension (TFLite's
// ComputePaddingWithOffset: the extra odd pixel goes after).
inline int32_t convPaddingBefore(fb::Padding padding, int32_t in, int32_t filter, int32_t stride,
                                 int32_t dilation, int32_t out, int32_t* offset = nullptr) {
  const int32_t effFilter = (filter - 1) * dilation + 1;
  int32_t total = ((out - 1) * stride + effFilter - in);
  if (padding != fb::Padding::SAME || total < 0) total = 0;
  if (offset != nullptr) *offset = total % 2;
  return total / 2;
}

// --- NHWC images ---

// The sizes of an NHWC image op's input and output of the same depth
// (pooling, resizing) and the element offsets of their pixels.
struct NhwcSizes {
  int32_t batches, inH, inW, depth, outH, outW;
  NhwcSizes(const Tensor* input, const Tensor* output)
      : batches(input->dim(0)),
        inH(input->dim(1)),
        inW(input->dim(2)),
        depth(input->dim(3)),
        outH(output->dim(1)),
        outW(output->dim(2)) {}
  int64_t inOffset(int32_t b, int32_t y, int32_t x) const {
    return ((static_cast<int64_t>(b) * inH + y) * inW + x) * depth;
  }
  int64_t outOffset(int32_t b, int32_t y, int32_t x) const {
    return ((static_cast<int64_t>(b) * outH + y) * outW + x) * depth;
  }
};

// --- broadcasting (numpy rules, up to rank 6) ---

constexpr int kMaxBroadcastRank = 6;

// Output shape of broadcasting a and b; error if incompatible.
Status broadcastShape(const OpContext& ctx, const Dims& a, const Dims& b, Dims* out);

// Strides to index `in` while walking `out` (0 on broadcast dims), padded to
// kMaxBroadcastRank with leading 1s.
struct BroadcastIndexer {
  int32_t outDims[kMaxBroadcastRank];
  int64_t strideA[kMaxBroadcastRank];
  int64_t strideB[kMaxBroadcastRank];
  BroadcastIndexer(const Dims& a, const Dims& b, const Dims& out);
};

// Calls f(outIndex, aIndex, bIndex) for every output element.
template <typename F>
void forEachBroadcast(const BroadcastIndexer& ix, F&& f) {
  int64_t o = 0;
  int32_t idx[kMaxBroadcastRank] = {0, 0, 0, 0, 0, 0};
  const int32_t* d = ix.outDims;
  for (idx[0] = 0; idx[0] < d[0]; ++idx[0])
    for (idx[1] = 0; idx[1] < d[1]; ++idx[1])
      for (idx[2] = 0; idx[2] < d[2]; ++idx[2])
        for (idx[3] = 0; idx[3] < d[3]; ++idx[3])
          for (idx[4] = 0; idx[4] < d[4]; ++idx[4]) {
            int64_t a = 0, b = 0;
            for (int k = 0; k < 5; ++k) {
              a += idx[k] * ix.strideA[k];
              b += idx[k] * ix.strideB[k];
            }
            for (int32_t i5 = 0; i5 < d[5]; ++i5) {
              f(o++, a + i5 * ix.strideA[5], b + i5 * ix.strideB[5]);
            }
          }
}

// Normalizes a possibly negative axis; error if out of [-rank, rank).
inline Status normalizeAxis(const OpContext& ctx, int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank) {
    return ctx.error("axis {} is out of range for rank {}", axis, rank);
  }
  *out = static_cast<int>(axis < 0 ? axis + rank : axis);
  return Status::ok();
}

// Reads an integer element (INT32 or INT64 tensors) as int64.
inline int64_t readInt(const Tensor* t, int64_t i) {
  if (t->type == ElementType::kInt64) return t->as<int64_t>()[i];
  return t->as<int32_t>()[i];
}

inline Status checkIntTensor(const OpContext& ctx, const Tensor* t, const char* what) {
  if (t->type != ElementType::kInt32 && t->type != ElementType::kInt64) {
    return ctx.unsupported("{} must be INT32 or INT64, is {}", what, elementTypeName(t->type));
  }
  return Status::ok();
}

}  // namespace inferd::engine::kernels
