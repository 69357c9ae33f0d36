// Array kernels that create or rearrange tensors without arithmetic: SHAPE,
// RANK, PACK, UNPACK, TILE, BROADCAST_TO, FILL, ZEROS_LIKE, RANGE, SPLIT_V,
// MIRROR_PAD and REVERSE_V2, following TensorFlow Lite's reference
// semantics. Elements are moved by bytes, so every fixed-size type works
// where TFLite's op is type-agnostic.
//
// Shape-carrying inputs (multiples, shape, dims, size_splits, paddings, the
// RANGE scalars) are read in prepare when constant; otherwise the outputs are
// marked dynamic and the same computation runs in eval.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "array_util.h"
#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

bool allInputsConstant(const OpContext& ctx, int from) {
  for (int i = from; i < ctx.numInputs(); ++i) {
    const Tensor* t = ctx.input(i);
    if (t != nullptr && !t->isConstant) return false;
  }
  return true;
}

// ---------------------------------------------------------------- SHAPE, RANK

Status prepareShape(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  Tensor* out = ctx.output(0);
  if (out->type != ElementType::kInt32 && out->type != ElementType::kInt64) {
    return ctx.unsupported("output type {} is not supported (INT32 and INT64 are)", elementTypeName(out->type));
  }
  // The options' out_type (default INT32) must agree with the output tensor.
  if (const auto* o = options<fb::ShapeOptions>(ctx)) {
    if (static_cast<int>(o->out_type()) != static_cast<int>(out->type)) {
      return ctx.error("out_type is {} but the output tensor has type {}",
                       elementTypeName(static_cast<ElementType>(o->out_type())), elementTypeName(out->type));
    }
  }
  return ctx.resizeOutput(0, {in->rank()});
}

Status evalShape(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  for (int i = 0; i < in->rank(); ++i) {
    if (out->type == ElementType::kInt64) {
      out->as<int64_t>()[i] = in->dim(i);
    } else {
      out->as<int32_t>()[i] = in->dim(i);
    }
  }
  return Status::ok();
}

Status prepareRank(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, ElementType::kInt32));
  return ctx.resizeOutput(0, {});  // a scalar, as in TFLite
}

Status evalRank(OpContext& ctx) {
  ctx.output(0)->as<int32_t>()[0] = ctx.input(0)->rank();
  return Status::ok();
}

// ---------------------------------------------------------------- PACK, UNPACK

struct AxisState : KernelState {
  int axis = 0;
};

Status preparePack(OpContext& ctx) {
  const auto* o = options<fb::PackOptions>(ctx);
  const int n = ctx.numInputs();
  if (o != nullptr && o->values_count() != n) {
    return ctx.error("values_count is {} but the op has {} inputs", o->values_count(), n);
  }
  const Tensor* first = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &first));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, first, "input 0"));
  INFERD_RETURN_IF_ERROR(checkMaxRankOf(ctx, first, kArrayMaxRank - 1, "input 0"));
  for (int i = 1; i < n; ++i) {
    const Tensor* t = nullptr;
    INFERD_RETURN_IF_ERROR(requireInput(ctx, i, &t));
    if (t->type != first->type) {
      return ctx.error("input {} has type {}, input 0 has type {}", i, elementTypeName(t->type),
                       elementTypeName(first->type));
    }
    if (t->dims != first->dims) {
      return ctx.error("input {} has shape {}, input 0 has shape {}", i, dimsToString(t->dims),
                       dimsToString(first->dims));
    }
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, first->type));
  auto state = std::make_unique<AxisState>();
  // The output has one more dimension; the axis indexes the output.
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, o != nullptr ? o->axis() : 0, first->rank() + 1, &state->axis));
  Dims outDims = first->dims;
  outDims.insert(outDims.begin() + state->axis, n);
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalPack(OpContext& ctx) {
  const int axis = ctx.state<AxisState>()->axis;
  const Tensor* first = ctx.input(0);
  const size_t esize = elementSize(first->type);
  const int n = ctx.numInputs();
  const int64_t outer = productOf(first->dims, 0, axis);
  const size_t innerBytes = static_cast<size_t>(productOf(first->dims, axis, first->rank())) * esize;
  uint8_t* out = ctx.output(0)->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      if (innerBytes > 0) std::memcpy(out, ctx.input(i)->data + static_cast<size_t>(o) * innerBytes, innerBytes);
      out += innerBytes;
    }
  }
  return Status::ok();
}

Status prepareUnpack(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  if (in->rank() < 1) return ctx.error("input must have rank >= 1, has shape {}", dimsToString(in->dims));
  INFERD_RETURN_IF_ERROR(checkMaxRankOf(ctx, in, kArrayMaxRank, "input"));
  const auto* o = options<fb::UnpackOptions>(ctx);
  auto state = std::make_unique<AxisState>();
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, o != nullptr ? o->axis() : 0, in->rank(), &state->axis));
  const int n = ctx.numOutputs();
  const int32_t num = o != nullptr ? o->num() : in->dim(state->axis);
  if (num != n) return ctx.error("num is {} but the op has {} outputs", num, n);
  if (in->dim(state->axis) != n) {
    return ctx.error("input {} has {} elements along axis {}, but the op has {} outputs", dimsToString(in->dims),
                     in->dim(state->axis), state->axis, n);
  }
  Dims outDims = in->dims;
  outDims.erase(outDims.begin() + state->axis);
  for (int i = 0; i < n; ++i) {
    INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, i, in->type));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(i, outDims));
  }
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalUnpack(OpContext& ctx) {
  const int axis = ctx.state<AxisState>()->axis;
  const Tensor* in = ctx.input(0);
  const size_t esize = elementSize(in->type);
  const int n = ctx.numOutputs();
  const int64_t outer = productOf(in->dims, 0, axis);
  const size_t innerBytes = static_cast<size_t>(productOf(in->dims, axis + 1, in->rank())) * esize;
  const uint8_t* src = in->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      if (innerBytes > 0) std::memcpy(ctx.output(i)->data + static_cast<size_t>(o) * innerBytes, src, innerBytes);
      src += innerBytes;
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- TILE

Status tileOutputDims(OpContext& ctx, Dims* outDims) {
  const Tensor* in = ctx.input(0);
  const Tensor* multiples = ctx.input(1);
  if (multiples->rank() != 1 || multiples->dim(0) != in->rank()) {
    return ctx.error("multiples must be a 1-D tensor with {} elements (the input's rank), has shape {}", in->rank(),
                     dimsToString(multiples->dims));
  }
  Dims d(static_cast<size_t>(in->rank()));
  for (int i = 0; i < in->rank(); ++i) {
    const int64_t m = readInt(multiples, i);
    const int64_t v = m * in->dim(i);
    if (m < 0 || v > std::numeric_limits<int32_t>::max()) {
      return ctx.error("multiples[{}] = {} is not valid for input dimension {}", i, m, in->dim(i));
    }
    d[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  if (!checkedNumElements(d)) return ctx.error("tiled shape {} has too many elements", dimsToString(d));
  *outDims = std::move(d);
  return Status::ok();
}

Status prepareTile(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* multiples = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &multiples));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkMaxRankOf(ctx, in, kArrayMaxRank, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, multiples, "multiples"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (!multiples->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(tileOutputDims(ctx, &outDims));
  return ctx.resizeOutput(0, outDims);
}

// Tiles the block of input dims [d, rank) into `out`; returns the bytes
// written. The first copy of each block is built recursively from its
// sub-blocks, the remaining multiples - 1 copies duplicate it.
size_t tileBlock(const Tensor* in, const Tensor* multiples, int d, const uint8_t* src, uint8_t* out,
                 size_t esize, size_t* srcBytes) {
  const int rank = in->rank();
  const int64_t m = readInt(multiples, d);
  const int32_t n = in->dim(d);
  size_t written = 0;
  size_t consumed = 0;
  if (d == rank - 1) {
    consumed = static_cast<size_t>(n) * esize;
    if (consumed > 0) std::memcpy(out, src, consumed);
    written = consumed;
  } else {
    for (int32_t i = 0; i < n; ++i) {
      size_t used = 0;
      written += tileBlock(in, multiples, d + 1, src + consumed, out + written, esize, &used);
      consumed += used;
    }
  }
  for (int64_t k = 1; k < m; ++k) {
    if (written > 0) std::memcpy(out + static_cast<size_t>(k) * written, out, written);
  }
  *srcBytes = consumed;
  return written * static_cast<size_t>(m);
}

Status evalTile(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  const Tensor* multiples = ctx.input(1);
  Tensor* out = ctx.output(0);
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(tileOutputDims(ctx, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  if (out->numElements() == 0) return Status::ok();
  const size_t esize = elementSize(in->type);
  if (in->rank() == 0) {
    std::memcpy(out->data, in->data, esize);
    return Status::ok();
  }
  size_t used = 0;
  tileBlock(in, multiples, 0, in->data, out->data, esize, &used);
  return Status::ok();
}

// ---------------------------------------------------------------- BROADCAST_TO

Status broadcastToDims(OpContext& ctx, Dims* outDims) {
  const Tensor* in = ctx.input(0);
  Dims shape;
  INFERD_RETURN_IF_ERROR(readShapeVector(ctx, ctx.input(1), "shape", &shape));
  if (shape.size() > static_cast<size_t>(kMaxBroadcastRank)) {
    return ctx.unsupported("shape {} has rank {}, at most {} is supported", dimsToString(shape), shape.size(),
                           kMaxBroadcastRank);
  }
  if (static_cast<size_t>(in->rank()) > shape.size()) {
    return ctx.error("input {} has a higher rank than the target shape {}", dimsToString(in->dims),
                     dimsToString(shape));
  }
  // Each input dimension (aligned from the right) must equal the target's or be 1.
  const size_t off = shape.size() - static_cast<size_t>(in->rank());
  for (int i = 0; i < in->rank(); ++i) {
    const int32_t a = in->dim(i);
    const int32_t b = shape[off + static_cast<size_t>(i)];
    if (a != b && a != 1) {
      return ctx.error("input {} cannot be broadcast to {} (dimension {} is {} vs {})", dimsToString(in->dims),
                       dimsToString(shape), i, a, b);
    }
  }
  *outDims = std::move(shape);
  return Status::ok();
}

Status prepareBroadcastTo(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* shape = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &shape));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, shape, "shape"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (!shape->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(broadcastToDims(ctx, &outDims));
  return ctx.resizeOutput(0, outDims);
}

template <typename T>
void broadcastCopy(const BroadcastIndexer& ix, const T* in, T* out) {
  forEachBroadcast(ix, [&](int64_t o, int64_t a, int64_t) { out[o] = in[a]; });
}

Status evalBroadcastTo(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(broadcastToDims(ctx, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  if (out->numElements() == 0) return Status::ok();
  const BroadcastIndexer ix(in->dims, in->dims, out->dims);
  switch (elementSize(in->type)) {
    case 1: broadcastCopy(ix, in->as<uint8_t>(), out->as<uint8_t>()); break;
    case 2: broadcastCopy(ix, in->as<uint16_t>(), out->as<uint16_t>()); break;
    case 4: broadcastCopy(ix, in->as<uint32_t>(), out->as<uint32_t>()); break;
    case 8: broadcastCopy(ix, in->as<uint64_t>(), out->as<uint64_t>()); break;
    default: {
      const size_t n = elementSize(in->type);
      forEachBroadcast(ix, [&](int64_t o, int64_t a, int64_t) {
        std::memcpy(out->data + static_cast<size_t>(o) * n, in->data + static_cast<size_t>(a) * n, n);
      });
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- FILL, ZEROS_LIKE

Status prepareFill(OpContext& ctx) {
  const Tensor* dims = nullptr;
  const Tensor* value = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &dims));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &value));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, dims, "dims"));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, value, "value"));
  if (value->numElements() != 1) {
    return ctx.error("value must be a scalar, has shape {}", dimsToString(value->dims));
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, value->type));
  if (!dims->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(readShapeVector(ctx, dims, "dims", &outDims));
  return ctx.resizeOutput(0, outDims);
}

template <typename T>
void fillWith(T* out, int64_t n, const uint8_t* value) {
  T v;
  std::memcpy(&v, value, sizeof(T));
  std::fill(out, out + n, v);
}

Status evalFill(OpContext& ctx) {
  const Tensor* value = ctx.input(1);
  Tensor* out = ctx.output(0);
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(readShapeVector(ctx, ctx.input(0), "dims", &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  const int64_t n = out->numElements();
  const size_t esize = elementSize(value->type);
  switch (esize) {
    case 1: fillWith(out->as<uint8_t>(), n, value->data); break;
    case 2: fillWith(out->as<uint16_t>(), n, value->data); break;
    case 4: fillWith(out->as<uint32_t>(), n, value->data); break;
    case 8: fillWith(out->as<uint64_t>(), n, value->data); break;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(out->data + static_cast<size_t>(i) * esize, value->data, esize);
  }
  return Status::ok();
}

Status prepareZerosLike(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  return ctx.resizeOutput(0, in->dims);
}

Status evalZerosLike(OpContext& ctx) {
  Tensor* out = ctx.output(0);
  if (out->bytes > 0) std::memset(out->data, 0, out->bytes);
  return Status::ok();
}

// ---------------------------------------------------------------- RANGE

template <typename T>
Status rangeSize(const OpContext& ctx, T start, T limit, T delta, int64_t* size) {
  if (delta == T(0)) return ctx.error("delta must not be zero");
  if (!((start >= limit && delta < T(0)) || (start <= limit && delta > T(0)))) {
    return ctx.error("range from {} to {} with delta {} never reaches its limit", start, limit, delta);
  }
  double n;
  if constexpr (std::is_integral_v<T>) {
    // Whole steps, rounded up: ceil(|limit - start| / |delta|).
    const int64_t span = std::abs(static_cast<int64_t>(limit) - static_cast<int64_t>(start));
    const int64_t step = std::abs(static_cast<int64_t>(delta));
    n = static_cast<double>((span + step - 1) / step);
  } else {
    n = std::ceil(std::abs((limit - start) / delta));  // in T, as TFLite
  }
  if (!(n <= static_cast<double>(std::numeric_limits<int32_t>::max()))) {
    return ctx.error("range from {} to {} with delta {} has too many elements", start, limit, delta);
  }
  *size = static_cast<int64_t>(n);
  return Status::ok();
}

Status rangeOutputDims(OpContext& ctx, Dims* outDims) {
  const Tensor* s = ctx.input(0);
  const Tensor* l = ctx.input(1);
  const Tensor* d = ctx.input(2);
  int64_t size = 0;
  switch (s->type) {
    case ElementType::kInt32:
      INFERD_RETURN_IF_ERROR(rangeSize(ctx, s->as<int32_t>()[0], l->as<int32_t>()[0], d->as<int32_t>()[0], &size));
      break;
    case ElementType::kInt64:
      INFERD_RETURN_IF_ERROR(rangeSize(ctx, s->as<int64_t>()[0], l->as<int64_t>()[0], d->as<int64_t>()[0], &size));
      break;
    default:
      INFERD_RETURN_IF_ERROR(rangeSize(ctx, s->as<float>()[0], l->as<float>()[0], d->as<float>()[0], &size));
      break;
  }
  *outDims = {static_cast<int32_t>(size)};
  return Status::ok();
}

Status prepareRange(OpContext& ctx) {
  const char* names[3] = {"start", "limit", "delta"};
  const Tensor* start = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &start));
  if (start->type != ElementType::kInt32 && start->type != ElementType::kInt64 &&
      start->type != ElementType::kFloat32) {
    return ctx.unsupported("type {} is not supported (INT32, INT64 and FLOAT32 are)", elementTypeName(start->type));
  }
  for (int i = 0; i < 3; ++i) {
    const Tensor* t = nullptr;
    INFERD_RETURN_IF_ERROR(requireInput(ctx, i, &t));
    if (t->type != start->type) {
      return ctx.error("{} has type {}, start has type {}", names[i], elementTypeName(t->type),
                       elementTypeName(start->type));
    }
    if (t->numElements() != 1) return ctx.error("{} must be a scalar, has shape {}", names[i], dimsToString(t->dims));
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, start->type));
  if (!allInputsConstant(ctx, 0)) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(rangeOutputDims(ctx, &outDims));
  return ctx.resizeOutput(0, outDims);
}

template <typename T>
void fillRange(const Tensor* start, const Tensor* delta, Tensor* out) {
  // Accumulated, as TFLite does (start + i * delta differs in float).
  T v = start->as<T>()[0];
  const T d = delta->as<T>()[0];
  T* o = out->as<T>();
  const int64_t n = out->numElements();
  for (int64_t i = 0; i < n; ++i) {
    o[i] = v;
    v += d;
  }
}

Status evalRange(OpContext& ctx) {
  Tensor* out = ctx.output(0);
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(rangeOutputDims(ctx, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  switch (out->type) {
    case ElementType::kInt32: fillRange<int32_t>(ctx.input(0), ctx.input(2), out); break;
    case ElementType::kInt64: fillRange<int64_t>(ctx.input(0), ctx.input(2), out); break;
    default: fillRange<float>(ctx.input(0), ctx.input(2), out); break;
  }
  return Status::ok();
}

// ---------------------------------------------------------------- SPLIT_V

// Sizes of the outputs along the axis (one -1 is inferred) and the axis.
Status splitVSizes(OpContext& ctx, std::vector<int64_t>* sizes, int* axis) {
  const Tensor* in = ctx.input(0);
  const Tensor* splits = ctx.input(1);
  int64_t axisValue = 0;
  INFERD_RETURN_IF_ERROR(readIntScalar(ctx, ctx.input(2), "axis", &axisValue));
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, axisValue, in->rank(), axis));
  const int n = ctx.numOutputs();
  if (splits->rank() != 1 || splits->dim(0) != n) {
    return ctx.error("size_splits must be a 1-D tensor with {} elements (one per output), has shape {}", n,
                     dimsToString(splits->dims));
  }
  sizes->assign(static_cast<size_t>(n), 0);
  int inferred = -1;
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t v = readInt(splits, i);
    if (v == -1) {
      if (inferred >= 0) return ctx.error("size_splits has more than one -1 (entries {} and {})", inferred, i);
      inferred = i;
      continue;
    }
    if (v < 0) return ctx.error("size_splits[{}] = {} is negative", i, v);
    (*sizes)[static_cast<size_t>(i)] = v;
    total += v;
  }
  const int64_t dim = in->dim(*axis);
  if (inferred >= 0) {
    if (total > dim) return ctx.error("size_splits sum to {}, more than dimension {} ({})", total, *axis, dim);
    (*sizes)[static_cast<size_t>(inferred)] = dim - total;
  } else if (total != dim) {
    return ctx.error("size_splits sum to {}, but dimension {} of the input is {}", total, *axis, dim);
  }
  return Status::ok();
}

Status resizeSplitV(OpContext& ctx) {
  std::vector<int64_t> sizes;
  int axis = 0;
  INFERD_RETURN_IF_ERROR(splitVSizes(ctx, &sizes, &axis));
  Dims d = ctx.input(0)->dims;
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    d[static_cast<size_t>(axis)] = static_cast<int32_t>(sizes[static_cast<size_t>(i)]);
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(i, d));
  }
  return Status::ok();
}

Status prepareSplitV(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* splits = nullptr;
  const Tensor* axis = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &splits));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 2, &axis));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, splits, "size_splits"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, axis, "axis"));
  if (in->rank() < 1) return ctx.error("input must have rank >= 1, has shape {}", dimsToString(in->dims));
  if (const auto* o = options<fb::SplitVOptions>(ctx)) {
    if (o->num_splits() != ctx.numOutputs()) {
      return ctx.error("num_splits is {} but the op has {} outputs", o->num_splits(), ctx.numOutputs());
    }
  }
  for (int i = 0; i < ctx.numOutputs(); ++i) INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, i, in->type));
  if (!splits->isConstant || !axis->isConstant) {
    for (int i = 0; i < ctx.numOutputs(); ++i) ctx.markOutputDynamic(i);
    return Status::ok();
  }
  return resizeSplitV(ctx);
}

Status evalSplitV(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  if (ctx.output(0)->isDynamic) INFERD_RETURN_IF_ERROR(resizeSplitV(ctx));
  // The axis was validated by prepare (or resizeSplitV just now).
  const int64_t axisValue = readInt(ctx.input(2), 0);
  const int axis = static_cast<int>(axisValue < 0 ? axisValue + in->rank() : axisValue);
  const size_t esize = elementSize(in->type);
  const int64_t outer = productOf(in->dims, 0, axis);
  const size_t inner = static_cast<size_t>(productOf(in->dims, axis + 1, in->rank())) * esize;
  const uint8_t* src = in->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < ctx.numOutputs(); ++i) {
      Tensor* out = ctx.output(i);
      const size_t bytes = static_cast<size_t>(out->dim(axis)) * inner;
      if (bytes > 0) std::memcpy(out->data + static_cast<size_t>(o) * bytes, src, bytes);
      src += bytes;
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- MIRROR_PAD

struct MirrorPadState : KernelState {
  bool symmetric = false;
};

Status mirrorPadDims(OpContext& ctx, bool symmetric, Dims* outDims) {
  const Tensor* in = ctx.input(0);
  const Tensor* pads = ctx.input(1);
  if (pads->rank() != 2 || pads->dim(0) != in->rank() || pads->dim(1) != 2) {
    return ctx.error("paddings must have shape [{}, 2], has shape {}", in->rank(), dimsToString(pads->dims));
  }
  Dims d = in->dims;
  for (int i = 0; i < in->rank(); ++i) {
    const int64_t before = readInt(pads, 2 * i);
    const int64_t after = readInt(pads, 2 * i + 1);
    // REFLECT does not repeat the edge, so at most dim - 1 elements exist to mirror.
    const int64_t limit = symmetric ? in->dim(i) : in->dim(i) - 1;
    if (before < 0 || after < 0 || before > limit || after > limit) {
      return ctx.error("paddings [{}, {}] for dimension {} (size {}) must be in [0, {}] in {} mode", before, after, i,
                       in->dim(i), limit, symmetric ? "SYMMETRIC" : "REFLECT");
    }
    d[static_cast<size_t>(i)] = static_cast<int32_t>(in->dim(i) + before + after);
  }
  *outDims = std::move(d);
  return Status::ok();
}

Status prepareMirrorPad(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* pads = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &pads));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkMaxRankOf(ctx, in, kArrayMaxRank, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, pads, "paddings"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  auto state = std::make_unique<MirrorPadState>();
  if (const auto* o = options<fb::MirrorPadOptions>(ctx)) {
    switch (o->mode()) {
      case fb::MirrorPadMode::REFLECT: break;
      case fb::MirrorPadMode::SYMMETRIC: state->symmetric = true; break;
      default: return ctx.unsupported("mirror pad mode {} is not supported", static_cast<int>(o->mode()));
    }
  }
  const bool symmetric = state->symmetric;
  ctx.setState(std::move(state));
  if (!pads->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(mirrorPadDims(ctx, symmetric, &outDims));
  return ctx.resizeOutput(0, outDims);
}

// Input index along one dimension for output index i.
inline int64_t mirrorIndex(int64_t i, int64_t before, int64_t dim, bool symmetric) {
  int64_t j = i - before;
  if (j < 0) return symmetric ? -j - 1 : -j;
  if (j >= dim) return symmetric ? 2 * dim - 1 - j : 2 * dim - 2 - j;
  return j;
}

Status evalMirrorPad(OpContext& ctx) {
  const bool symmetric = ctx.state<MirrorPadState>()->symmetric;
  const Tensor* in = ctx.input(0);
  const Tensor* pads = ctx.input(1);
  Tensor* out = ctx.output(0);
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(mirrorPadDims(ctx, symmetric, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  copyByAxisIndex(in, out, [&](int k, int64_t i) {
    return mirrorIndex(i, readInt(pads, 2 * k), in->dim(k), symmetric);
  });
  return Status::ok();
}

// ---------------------------------------------------------------- REVERSE_V2

// Which axes to reverse, as a bit mask; validated against the input rank.
Status reverseAxes(const OpContext& ctx, const Tensor* in, const Tensor* axes, uint32_t* mask) {
  if (axes->rank() > 1) return ctx.error("axis must be a 1-D tensor, has shape {}", dimsToString(axes->dims));
  *mask = 0;
  for (int64_t i = 0; i < axes->numElements(); ++i) {
    int a = 0;
    INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, readInt(axes, i), in->rank(), &a));
    *mask |= 1u << a;
  }
  return Status::ok();
}

Status prepareReverse(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* axes = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &axes));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkMaxRankOf(ctx, in, kArrayMaxRank, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, axes, "axis"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (axes->isConstant) {
    uint32_t mask = 0;
    INFERD_RETURN_IF_ERROR(reverseAxes(ctx, in, axes, &mask));
  }
  // The output shape never depends on the axes' values.
  return ctx.resizeOutput(0, in->dims);
}

Status evalReverse(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  uint32_t mask = 0;
  INFERD_RETURN_IF_ERROR(reverseAxes(ctx, in, ctx.input(1), &mask));
  copyByAxisIndex(in, out, [&](int k, int64_t i) { return ((mask >> k) & 1u) ? in->dim(k) - 1 - i : i; });
  return Status::ok();
}

}  // namespace

void registerArrayKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  const auto any = allFixedSizeTypes();
  const int32_t many = kArrayManyTensors;
  // Version ranges from TFLite's register.cc. Later versions of these ops
  // only add element types, which are all moved as bytes here.
  if constexpr (opSelected(BuiltinOperator::SHAPE)) {
    r.add(builtinKernel(BuiltinOperator::SHAPE, 1, 1, 1, 1, prepareShape, evalShape,
                        {ElementType::kInt32, ElementType::kInt64}));
  }
  if constexpr (opSelected(BuiltinOperator::RANK)) {
    r.add(builtinKernel(BuiltinOperator::RANK, 1, 1, 1, 1, prepareRank, evalRank,
                        {ElementType::kInt32}));
  }
  if constexpr (opSelected(BuiltinOperator::PACK)) {
    r.add(builtinKernel(BuiltinOperator::PACK, 1, 4, 1, many, preparePack, evalPack, any));
  }
  if constexpr (opSelected(BuiltinOperator::UNPACK)) {
    r.add(builtinKernel(BuiltinOperator::UNPACK, 1, 4, 1, 1, prepareUnpack, evalUnpack, any, 1, many));
  }
  if constexpr (opSelected(BuiltinOperator::TILE)) {
    r.add(builtinKernel(BuiltinOperator::TILE, 1, 3, 2, 2, prepareTile, evalTile, any));
  }
  if constexpr (opSelected(BuiltinOperator::BROADCAST_TO)) {
    r.add(builtinKernel(BuiltinOperator::BROADCAST_TO, 2, 3, 2, 2, prepareBroadcastTo,
                        evalBroadcastTo, any));
  }
  if constexpr (opSelected(BuiltinOperator::FILL)) {
    r.add(builtinKernel(BuiltinOperator::FILL, 1, 4, 2, 2, prepareFill, evalFill, any));
  }
  if constexpr (opSelected(BuiltinOperator::ZEROS_LIKE)) {
    r.add(builtinKernel(BuiltinOperator::ZEROS_LIKE, 1, 1, 1, 1, prepareZerosLike, evalZerosLike,
                        any));
  }
  if constexpr (opSelected(BuiltinOperator::RANGE)) {
    r.add(builtinKernel(BuiltinOperator::RANGE, 1, 2, 3, 3, prepareRange, evalRange,
                        {ElementType::kInt32, ElementType::kInt64, ElementType::kFloat32}));
  }
  if constexpr (opSelected(BuiltinOperator::SPLIT_V)) {
    r.add(builtinKernel(BuiltinOperator::SPLIT_V, 1, 2, 3, 3, prepareSplitV, evalSplitV, any, 1,
                        many));
  }
  if constexpr (opSelected(BuiltinOperator::MIRROR_PAD)) {
    r.add(builtinKernel(BuiltinOperator::MIRROR_PAD, 1, 3, 2, 2, prepareMirrorPad, evalMirrorPad,
                        any));
  }
  if constexpr (opSelected(BuiltinOperator::REVERSE_V2)) {
    r.add(builtinKernel(BuiltinOperator::REVERSE_V2, 1, 3, 2, 2, prepareReverse, evalReverse, any));
  }
}

}  // namespace inferd::engine::kernels
