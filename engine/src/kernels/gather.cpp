// Index-driven kernels: GATHER (axis, batch_dims), GATHER_ND,
// EMBEDDING_LOOKUP and ONE_HOT, following TensorFlow Lite's reference
// semantics. Values are moved as bytes, so every fixed-size element type
// works; indices are INT32 or INT64. An index out of range fails the invoke
// (as in TFLite) before anything is written.
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "array_util.h"
#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

// ---------------------------------------------------------------- GATHER

struct GatherState : KernelState {
  int64_t batch = 1;   // prod(params[:batch_dims])
  int64_t outer = 1;   // prod(params[batch_dims:axis])
  int64_t axisSize = 0;
  int64_t inner = 1;   // prod(params[axis+1:])
  int64_t coords = 1;  // prod(indices[batch_dims:])
};

// The params (input 0, any fixed-size type, rank >= 1) and INT32/INT64
// indices (input 1) of GATHER and GATHER_ND; the output has params' type.
Status readParamsAndIndices(OpContext& ctx, const Tensor** params, const Tensor** indices) {
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, params));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, indices));
  const Tensor* p = *params;
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, p, "params"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, *indices, "indices"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, p->type));
  if (p->rank() < 1) return ctx.error("params must have rank >= 1, has shape {}", dimsToString(p->dims));
  return Status::ok();
}

Status prepareGather(OpContext& ctx) {
  const Tensor* params = nullptr;
  const Tensor* indices = nullptr;
  INFERD_RETURN_IF_ERROR(readParamsAndIndices(ctx, &params, &indices));
  const auto* o = options<fb::GatherOptions>(ctx);
  int axis = 0;
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, o != nullptr ? o->axis() : 0, params->rank(), &axis));
  const int64_t batchDimsOption = o != nullptr ? o->batch_dims() : 0;
  const int64_t batchDims = batchDimsOption < 0 ? batchDimsOption + indices->rank() : batchDimsOption;
  if (batchDims < 0 || batchDims > indices->rank()) {
    return ctx.error("batch_dims {} is out of range for indices of rank {}", batchDimsOption, indices->rank());
  }
  if (batchDims > axis) return ctx.error("batch_dims {} must not exceed axis {}", batchDims, axis);
  const int bd = static_cast<int>(batchDims);
  for (int i = 0; i < bd; ++i) {
    if (params->dim(i) != indices->dim(i)) {
      return ctx.error("params {} and indices {} differ in batch dimension {}", dimsToString(params->dims),
                       dimsToString(indices->dims), i);
    }
  }
  auto state = std::make_unique<GatherState>();
  state->batch = productOf(params->dims, 0, bd);
  state->outer = productOf(params->dims, bd, axis);
  state->axisSize = params->dim(axis);
  state->inner = productOf(params->dims, axis + 1, params->rank());
  state->coords = productOf(indices->dims, bd, indices->rank());
  Dims outDims(params->dims.begin(), params->dims.begin() + axis);
  outDims.insert(outDims.end(), indices->dims.begin() + bd, indices->dims.end());
  outDims.insert(outDims.end(), params->dims.begin() + axis + 1, params->dims.end());
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

Status checkIndices(const OpContext& ctx, const Tensor* indices, int64_t limit) {
  const int64_t n = indices->numElements();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = readInt(indices, i);
    if (v < 0 || v >= limit) {
      return ctx.error("index {} (element {} of indices) is out of range [0, {})", v, i, limit);
    }
  }
  return Status::ok();
}

Status evalGather(OpContext& ctx) {
  const GatherState& s = *ctx.state<GatherState>();
  const Tensor* params = ctx.input(0);
  const Tensor* indices = ctx.input(1);
  INFERD_RETURN_IF_ERROR(checkIndices(ctx, indices, s.axisSize));
  const size_t esize = elementSize(params->type);
  const size_t rowBytes = static_cast<size_t>(s.inner) * esize;
  uint8_t* out = ctx.output(0)->data;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t o = 0; o < s.outer; ++o) {
      const uint8_t* base = params->data + static_cast<size_t>((b * s.outer + o) * s.axisSize) * rowBytes;
      for (int64_t c = 0; c < s.coords; ++c) {
        const int64_t idx = readInt(indices, b * s.coords + c);
        if (rowBytes > 0) std::memcpy(out, base + static_cast<size_t>(idx) * rowBytes, rowBytes);
        out += rowBytes;
      }
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- GATHER_ND

struct GatherNdState : KernelState {
  int nd = 0;
  int64_t count = 0;  // prod(indices[:-1])
  int64_t slice = 1;  // prod(params[nd:])
};

Status prepareGatherNd(OpContext& ctx) {
  const Tensor* params = nullptr;
  const Tensor* indices = nullptr;
  INFERD_RETURN_IF_ERROR(readParamsAndIndices(ctx, &params, &indices));
  if (indices->rank() < 1) return ctx.error("indices must have rank >= 1, has shape {}", dimsToString(indices->dims));
  const int nd = indices->dim(indices->rank() - 1);
  if (nd > params->rank()) {
    return ctx.error("indices {} index {} dimensions, params {} has only {}", dimsToString(indices->dims), nd,
                     dimsToString(params->dims), params->rank());
  }
  if (nd > kArrayMaxRank) return ctx.unsupported("index depth {} is more than {}", nd, kArrayMaxRank);
  auto state = std::make_unique<GatherNdState>();
  state->nd = nd;
  state->count = productOf(indices->dims, 0, indices->rank() - 1);
  state->slice = productOf(params->dims, nd, params->rank());
  Dims outDims(indices->dims.begin(), indices->dims.end() - 1);
  outDims.insert(outDims.end(), params->dims.begin() + nd, params->dims.end());
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalGatherNd(OpContext& ctx) {
  const GatherNdState& s = *ctx.state<GatherNdState>();
  const Tensor* params = ctx.input(0);
  const Tensor* indices = ctx.input(1);
  // Element strides of the indexed dimensions, in units of slices.
  int64_t stride[kArrayMaxRank];
  int64_t acc = 1;
  for (int k = s.nd - 1; k >= 0; --k) {
    stride[k] = acc;
    acc *= params->dim(k);
  }
  for (int64_t i = 0; i < s.count; ++i) {
    for (int k = 0; k < s.nd; ++k) {
      const int64_t v = readInt(indices, i * s.nd + k);
      if (v < 0 || v >= params->dim(k)) {
        return ctx.error("index {} for dimension {} (index tuple {}) is out of range [0, {})", v, k, i,
                         params->dim(k));
      }
    }
  }
  const size_t sliceBytes = static_cast<size_t>(s.slice) * elementSize(params->type);
  uint8_t* out = ctx.output(0)->data;
  for (int64_t i = 0; i < s.count; ++i) {
    int64_t offset = 0;
    for (int k = 0; k < s.nd; ++k) offset += readInt(indices, i * s.nd + k) * stride[k];
    if (sliceBytes > 0) std::memcpy(out, params->data + static_cast<size_t>(offset) * sliceBytes, sliceBytes);
    out += sliceBytes;
  }
  return Status::ok();
}

// ---------------------------------------------------------------- EMBEDDING_LOOKUP

Status prepareEmbeddingLookup(OpContext& ctx) {
  const Tensor* ids = nullptr;
  const Tensor* table = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &ids));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &table));
  INFERD_RETURN_IF_ERROR(checkType(ctx, ids, ElementType::kInt32, "lookup ids"));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, ids, 1, "lookup ids"));
  if (table->rank() < 2) return ctx.error("value table must have rank >= 2, has shape {}", dimsToString(table->dims));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, table, "value table"));
  if (ctx.output(0)->type != table->type) {
    // Dequantizing (hybrid) lookups come with the quantized work.
    return ctx.unsupported("lookup from a {} table into a {} output is not supported", elementTypeName(table->type),
                           elementTypeName(ctx.output(0)->type));
  }
  Dims outDims = table->dims;
  outDims[0] = ids->dim(0);
  return ctx.resizeOutput(0, outDims);
}

Status evalEmbeddingLookup(OpContext& ctx) {
  const Tensor* ids = ctx.input(0);
  const Tensor* table = ctx.input(1);
  INFERD_RETURN_IF_ERROR(checkIndices(ctx, ids, table->dim(0)));
  const size_t rowBytes = static_cast<size_t>(productOf(table->dims, 1, table->rank())) * elementSize(table->type);
  uint8_t* out = ctx.output(0)->data;
  for (int64_t i = 0; i < ids->numElements(); ++i) {
    if (rowBytes > 0) std::memcpy(out, table->data + static_cast<size_t>(ids->as<int32_t>()[i]) * rowBytes, rowBytes);
    out += rowBytes;
  }
  return Status::ok();
}

// ---------------------------------------------------------------- ONE_HOT

struct OneHotState : KernelState {
  int axis = 0;  // where depth goes in the output
};

Status oneHotDims(OpContext& ctx, int axis, Dims* outDims) {
  int64_t depth = 0;
  INFERD_RETURN_IF_ERROR(readIntScalar(ctx, ctx.input(1), "depth", &depth));
  if (depth < 0 || depth > std::numeric_limits<int32_t>::max()) return ctx.error("depth {} is not valid", depth);
  Dims d = ctx.input(0)->dims;
  d.insert(d.begin() + axis, static_cast<int32_t>(depth));
  if (!checkedNumElements(d)) return ctx.error("output shape {} has too many elements", dimsToString(d));
  *outDims = std::move(d);
  return Status::ok();
}

Status prepareOneHot(OpContext& ctx) {
  const Tensor* indices = nullptr;
  const Tensor* depth = nullptr;
  const Tensor* on = nullptr;
  const Tensor* off = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &indices));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &depth));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 2, &on));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 3, &off));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, indices, "indices"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, depth, "depth"));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, on, "on_value"));
  if (off->type != on->type) {
    return ctx.error("on_value has type {}, off_value has type {}", elementTypeName(on->type),
                     elementTypeName(off->type));
  }
  if (on->numElements() != 1 || off->numElements() != 1) {
    return ctx.error("on_value {} and off_value {} must be scalars", dimsToString(on->dims), dimsToString(off->dims));
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, on->type));
  const auto* o = options<fb::OneHotOptions>(ctx);
  const int64_t axis = o != nullptr ? o->axis() : -1;
  // -1 means last; otherwise the output axis in [0, rank(indices)].
  if (axis < -1 || axis > indices->rank()) {
    return ctx.error("axis {} is out of range for indices of rank {}", axis, indices->rank());
  }
  auto state = std::make_unique<OneHotState>();
  state->axis = axis == -1 ? indices->rank() : static_cast<int>(axis);
  const int a = state->axis;
  ctx.setState(std::move(state));
  if (!depth->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(oneHotDims(ctx, a, &outDims));
  return ctx.resizeOutput(0, outDims);
}

Status evalOneHot(OpContext& ctx) {
  const int axis = ctx.state<OneHotState>()->axis;
  const Tensor* indices = ctx.input(0);
  Tensor* out = ctx.output(0);
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(oneHotDims(ctx, axis, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  const int64_t depth = out->dim(axis);
  const int64_t prefix = productOf(indices->dims, 0, axis);
  const int64_t suffix = productOf(indices->dims, axis, indices->rank());
  const size_t esize = elementSize(out->type);
  const uint8_t* on = ctx.input(2)->data;
  const uint8_t* off = ctx.input(3)->data;
  uint8_t* dst = out->data;
  for (int64_t p = 0; p < prefix; ++p) {
    for (int64_t d = 0; d < depth; ++d) {
      for (int64_t s = 0; s < suffix; ++s) {
        // Out-of-range indices (negative included) select off_value, as in TFLite.
        std::memcpy(dst, readInt(indices, p * suffix + s) == d ? on : off, esize);
        dst += esize;
      }
    }
  }
  return Status::ok();
}

KernelRegistration reg(fb::BuiltinOperator code, int32_t maxVersion, int32_t inputs, KernelFn prepare,
                       KernelFn eval) {
  return builtinKernel(code, 1, maxVersion, inputs, inputs, prepare, eval, allFixedSizeTypes());
}

}  // namespace

void registerGatherKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  // Version ranges from TFLite's register.cc; later versions add element
  // types, all moved as bytes here.
  if constexpr (opSelected(BuiltinOperator::GATHER)) {
    r.add(reg(BuiltinOperator::GATHER, 6, 2, prepareGather, evalGather));
  }
  if constexpr (opSelected(BuiltinOperator::GATHER_ND)) {
    r.add(reg(BuiltinOperator::GATHER_ND, 4, 2, prepareGatherNd, evalGatherNd));
  }
  if constexpr (opSelected(BuiltinOperator::EMBEDDING_LOOKUP)) {
    r.add(reg(BuiltinOperator::EMBEDDING_LOOKUP, 3, 2, prepareEmbeddingLookup, evalEmbeddingLookup));
  }
  if constexpr (opSelected(BuiltinOperator::ONE_HOT)) {
    r.add(reg(BuiltinOperator::ONE_HOT, 1, 4, prepareOneHot, evalOneHot));
  }
}

}  // namespace inferd::engine::kernels
