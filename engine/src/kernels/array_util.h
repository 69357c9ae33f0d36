// Small helpers shared by the array, gather, axis, unary and binary kernel
// families (array_ops.cpp, gather.cpp, axis_ops.cpp, unary.cpp,
// binary_misc.cpp, space_batch.cpp, matmul.cpp): element-type checks,
// reading shape vectors and scalars from integer tensors, and copying
// elements of any fixed size.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_util.h"

namespace inferd::engine::kernels {

// Rank limit of the multi-dimensional walks in these families (TFLite's own
// limits are lower for most ops).
constexpr int kArrayMaxRank = 8;

// Upper bound for variadic input/output counts (PACK, UNPACK, SPLIT_V).
constexpr int32_t kArrayManyTensors = 1 << 16;

// Every type with a fixed element size (for `inspect --ops`).
inline std::vector<ElementType> allFixedSizeTypes() {
  return {ElementType::kFloat32, ElementType::kFloat16,   ElementType::kInt32,      ElementType::kUInt8,
          ElementType::kInt64,   ElementType::kBool,      ElementType::kInt16,      ElementType::kInt8,
          ElementType::kFloat64, ElementType::kComplex64, ElementType::kComplex128, ElementType::kUInt64,
          ElementType::kUInt32,  ElementType::kUInt16};
}

inline Status checkFixedSize(const OpContext& ctx, const Tensor* t, const char* what) {
  if (elementSize(t->type) == 0) {
    return ctx.unsupported("{} has type {}, which has no fixed element size", what, elementTypeName(t->type));
  }
  return Status::ok();
}

// Output `index` must have the given type.
inline Status checkOutputTypeIs(OpContext& ctx, int index, ElementType type) {
  const Tensor* out = ctx.output(index);
  if (out->type != type) {
    return ctx.error("output {} has type {}, expected {}", index, elementTypeName(out->type),
                     elementTypeName(type));
  }
  return Status::ok();
}

inline Status checkMaxRankOf(const OpContext& ctx, const Tensor* t, int maxRank, const char* what) {
  if (t->rank() > maxRank) {
    return ctx.unsupported("{} has rank {} (shape {}), at most {} is supported", what, t->rank(),
                           dimsToString(t->dims), maxRank);
  }
  return Status::ok();
}

// An INT32/INT64 tensor holding exactly one value (scalar or [1]); its value.
inline Status readIntScalar(const OpContext& ctx, const Tensor* t, const char* what, int64_t* value) {
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, t, what));
  if (t->numElements() != 1) {
    return ctx.error("{} must hold one value, has shape {}", what, dimsToString(t->dims));
  }
  *value = readInt(t, 0);
  return Status::ok();
}

// A 1-D INT32/INT64 tensor read as an output shape: every entry >= 0 and the
// element count representable.
inline Status readShapeVector(const OpContext& ctx, const Tensor* t, const char* what, Dims* dims) {
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, t, what));
  if (t->rank() != 1) return ctx.error("{} must be a 1-D tensor, has shape {}", what, dimsToString(t->dims));
  Dims d(static_cast<size_t>(t->dim(0)));
  for (int64_t i = 0; i < t->dim(0); ++i) {
    const int64_t v = readInt(t, i);
    if (v < 0 || v > std::numeric_limits<int32_t>::max()) {
      return ctx.error("{} has entry {} = {}, which is not a valid dimension", what, i, v);
    }
    d[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  if (!checkedNumElements(d)) return ctx.error("{} {} has too many elements", what, dimsToString(d));
  *dims = std::move(d);
  return Status::ok();
}

inline int64_t productOf(const Dims& dims, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= dims[static_cast<size_t>(i)];
  return p;
}

// Copies `count` elements of `size` bytes, dst[k] = src[k * stride] (stride
// in elements); a fixed-size memcpy per element lets the compiler emit plain
// loads and stores.
template <size_t N>
inline void copyStridedN(uint8_t* dst, const uint8_t* src, int64_t stride, int64_t count) {
  for (int64_t k = 0; k < count; ++k) std::memcpy(dst + k * N, src + k * stride * static_cast<int64_t>(N), N);
}

inline void copyStrided(uint8_t* dst, const uint8_t* src, int64_t stride, int64_t count, size_t size) {
  if (stride == 1) {
    if (count > 0) std::memcpy(dst, src, static_cast<size_t>(count) * size);
    return;
  }
  switch (size) {
    case 1: copyStridedN<1>(dst, src, stride, count); return;
    case 2: copyStridedN<2>(dst, src, stride, count); return;
    case 4: copyStridedN<4>(dst, src, stride, count); return;
    case 8: copyStridedN<8>(dst, src, stride, count); return;
    default: break;
  }
  const auto n = static_cast<int64_t>(size);
  for (int64_t k = 0; k < count; ++k) std::memcpy(dst + k * n, src + k * stride * n, size);
}

// Fills `out` from `in` where, along every axis k, output index i reads
// input index srcIndex(k, i): the ops whose output re-indexes each axis of
// the input independently (MIRROR_PAD, REVERSE_V2). Shapes are the caller's
// to check; ranks up to kArrayMaxRank.
template <typename SrcIndex> void copyByAxisIndex(const Tensor* in, Tensor* out, SrcIndex srcIndex) {
  const int64_t total = out->numElements();
  const size_t esize = elementSize(in->type);
  const int rank = in->rank();
  if (total == 0) return;
  if (rank == 0) {
    std::memcpy(out->data, in->data, esize);
    return;
  }
  int64_t inStride[kArrayMaxRank];
  int64_t s = 1;
  for (int k = rank - 1; k >= 0; --k) {
    inStride[k] = s;
    s *= in->dim(k);
  }
  const int last = rank - 1;
  const int64_t rowLen = out->dim(last);
  int64_t idx[kArrayMaxRank] = {};
  uint8_t* dst = out->data;
  for (int64_t row = 0; row < total / rowLen; ++row) {
    int64_t base = 0;
    for (int k = 0; k < last; ++k) base += srcIndex(k, idx[k]) * inStride[k];
    for (int64_t i = 0; i < rowLen; ++i) {
      std::memcpy(dst, in->data + static_cast<size_t>(base + srcIndex(last, i)) * esize, esize);
      dst += esize;
    }
    for (int k = last - 1; k >= 0; --k) {
      if (++idx[k] < out->dim(k)) break;
      idx[k] = 0;
    }
  }
}

}  // namespace inferd::engine::kernels
