// Shape kernels: RESHAPE, SQUEEZE, EXPAND_DIMS, CONCATENATION, SPLIT, SLICE,
// STRIDED_SLICE, TRANSPOSE, PAD and PADV2, following TensorFlow Lite's
// reference semantics. They move elements without arithmetic (apart from
// CONCATENATION's optional fused activation on float32), so every element
// type with a fixed size is handled by copying bytes.
//
// Shape-carrying inputs (RESHAPE's shape, axes, begin/end/strides, perm,
// paddings) are read in prepare when they are constants; otherwise the output
// is marked dynamic and the same computation runs in eval.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <vector>

#include "kernel_util.h"
#include "quant_kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

// Rank limit of the copy helpers below. TFLite's limits are lower (SLICE,
// STRIDED_SLICE and PAD 5, TRANSPOSE 6); accepting more is harmless.
constexpr int kMaxRank = 8;

// Every type with a fixed element size (for `inspect --ops`).
std::vector<ElementType> byteCopyTypes() {
  return {ElementType::kFloat32, ElementType::kFloat16,   ElementType::kInt32,      ElementType::kUInt8,
          ElementType::kInt64,   ElementType::kBool,      ElementType::kInt16,      ElementType::kInt8,
          ElementType::kFloat64, ElementType::kComplex64, ElementType::kComplex128, ElementType::kUInt64,
          ElementType::kUInt32,  ElementType::kUInt16};
}

// --- validation helpers ---

Status checkCopyable(const OpContext& ctx, const Tensor* t, const char* what) {
  if (elementSize(t->type) == 0) {
    return ctx.unsupported("{} has type {}, which has no fixed element size", what, elementTypeName(t->type));
  }
  return Status::ok();
}

Status checkSameType(const OpContext& ctx, const Tensor* in, const Tensor* out, int outIndex = 0) {
  if (out->type != in->type) {
    return ctx.error("output {} has type {}, input has type {}", outIndex, elementTypeName(out->type),
                     elementTypeName(in->type));
  }
  return Status::ok();
}

Status checkMaxRank(const OpContext& ctx, const Tensor* t, int maxRank, const char* what) {
  if (t->rank() > maxRank) {
    return ctx.unsupported("{} has rank {} (shape {}), at most {} is supported", what, t->rank(),
                           dimsToString(t->dims), maxRank);
  }
  return Status::ok();
}

// A 1-D INT32/INT64 tensor with `count` elements (count < 0: any).
Status checkIntVector(const OpContext& ctx, const Tensor* t, int64_t count, const char* what) {
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, t, what));
  if (t->rank() != 1) return ctx.error("{} must be a 1-D tensor, has shape {}", what, dimsToString(t->dims));
  if (count >= 0 && t->dim(0) != count) {
    return ctx.error("{} has {} elements, expected {}", what, t->dim(0), count);
  }
  return Status::ok();
}

// An INT32/INT64 tensor holding exactly one value (scalar or [1]).
Status checkIntScalar(const OpContext& ctx, const Tensor* t, const char* what) {
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, t, what));
  if (t->numElements() != 1) {
    return ctx.error("{} must hold one value, has shape {}", what, dimsToString(t->dims));
  }
  return Status::ok();
}

bool sameQuant(const QuantParams& a, const QuantParams& b) {
  return a.scale == b.scale && a.zeroPoint == b.zeroPoint;
}

bool isQuantizedIntType(ElementType t) {
  return t == ElementType::kInt8 || t == ElementType::kUInt8 || t == ElementType::kInt16;
}

void copyBytes(uint8_t* dst, const uint8_t* src, size_t bytes) {
  if (bytes > 0 && dst != src) std::memcpy(dst, src, bytes);
}

int64_t product(const int32_t* dims, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= dims[i];
  return p;
}

void rowMajorStrides(const int32_t* dims, int rank, int64_t* strides) {
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    strides[i] = s;
    s *= dims[i];
  }
}

// --- strided gather: SLICE, STRIDED_SLICE and TRANSPOSE ---

// Output element (i0, ..., ir-1), in row-major order, comes from input
// element base + sum(ik * inStride[k]) (strides in elements, may be negative).
struct GatherPlan {
  int rank = 0;
  int64_t count[kMaxRank] = {};
  int64_t inStride[kMaxRank] = {};
  int64_t base = 0;
};

template <size_t N>
void gatherRow(const uint8_t* src, int64_t stride, int64_t count, uint8_t* dst) {
  for (int64_t k = 0; k < count; ++k) std::memcpy(dst + k * N, src + k * stride * static_cast<int64_t>(N), N);
}

void gatherRowAny(const uint8_t* src, int64_t stride, int64_t count, uint8_t* dst, size_t n) {
  const auto sn = static_cast<int64_t>(n);
  for (int64_t k = 0; k < count; ++k) std::memcpy(dst + k * sn, src + k * stride * sn, n);
}

void runGather(const GatherPlan& p, const uint8_t* in, uint8_t* out, size_t n) {
  int64_t total = 1;
  for (int i = 0; i < p.rank; ++i) total *= p.count[i];
  if (total == 0) return;
  const auto sn = static_cast<int64_t>(n);
  if (p.rank == 0) {
    std::memcpy(out, in + p.base * sn, n);
    return;
  }
  const int last = p.rank - 1;
  const int64_t rowCount = p.count[last];
  const int64_t rowStride = p.inStride[last];
  const int64_t rows = total / rowCount;
  int64_t idx[kMaxRank] = {};
  int64_t offset = p.base;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* src = in + offset * sn;
    if (rowStride == 1) {
      std::memcpy(out, src, static_cast<size_t>(rowCount) * n);
    } else {
      switch (n) {
        case 1: gatherRow<1>(src, rowStride, rowCount, out); break;
        case 2: gatherRow<2>(src, rowStride, rowCount, out); break;
        case 4: gatherRow<4>(src, rowStride, rowCount, out); break;
        case 8: gatherRow<8>(src, rowStride, rowCount, out); break;
        default: gatherRowAny(src, rowStride, rowCount, out, n); break;
      }
    }
    out += rowCount * sn;
    // Odometer over the outer axes.
    for (int a = last - 1; a >= 0; --a) {
      offset += p.inStride[a];
      if (++idx[a] < p.count[a]) break;
      offset -= p.inStride[a] * p.count[a];
      idx[a] = 0;
    }
  }
}

Dims gatherOutputDims(const GatherPlan& p) {
  Dims d(static_cast<size_t>(p.rank));
  for (int i = 0; i < p.rank; ++i) d[static_cast<size_t>(i)] = static_cast<int32_t>(p.count[i]);
  return d;
}

// Output dims and the copy plan of a gather op; prepare stores it for eval.
struct GatherState : KernelState {
  GatherPlan plan;
  Dims outDims;
};

Status evalGather(OpContext& ctx, Status (*compute)(OpContext&, GatherState*)) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  const GatherState* st = ctx.state<GatherState>();
  GatherState local;
  if (out->isDynamic) {
    INFERD_RETURN_IF_ERROR(compute(ctx, &local));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, local.outDims));
    st = &local;
  }
  runGather(st->plan, in->data, out->data, elementSize(in->type));
  return Status::ok();
}

// Common prepare of the gather ops: inputs 1.. carry indices (named by
// `names`); when all are constants the output shape is known now.
Status prepareGather(OpContext& ctx, std::initializer_list<const char*> names,
                     Status (*compute)(OpContext&, GatherState*)) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkSameType(ctx, in, ctx.output(0)));
  INFERD_RETURN_IF_ERROR(checkMaxRank(ctx, in, kMaxRank, "input"));
  bool allConstant = true;
  int i = 1;
  for (const char* name : names) {
    const Tensor* t = nullptr;
    INFERD_RETURN_IF_ERROR(requireInput(ctx, i++, &t));
    INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, t, name));
    if (!t->isConstant) allConstant = false;
  }
  if (!allConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  auto st = std::make_unique<GatherState>();
  INFERD_RETURN_IF_ERROR(compute(ctx, st.get()));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, st->outDims));
  ctx.setState(std::move(st));
  return Status::ok();
}

// --- RESHAPE ---

struct ReshapeState : KernelState {
  // The shape came from the options while a non-constant shape tensor exists;
  // eval checks that the tensor agrees.
  bool checkShapeTensor = false;
};

bool usableShapeTensor(const Tensor* t) {
  return t != nullptr && t->rank() == 1 &&
         (t->type == ElementType::kInt32 || t->type == ElementType::kInt64);
}

Status readShapeTensor(const OpContext& ctx, const Tensor* t, Dims* out) {
  out->clear();
  for (int64_t i = 0; i < t->numElements(); ++i) {
    const int64_t v = readInt(t, i);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return ctx.error("shape tensor value {} at index {} is out of range", v, i);
    }
    out->push_back(static_cast<int32_t>(v));
  }
  return Status::ok();
}

// Replaces the one -1 of `shape` so that it holds as many elements as `input`.
Status resolveReshape(const OpContext& ctx, const Tensor* input, Dims* shape) {
  const Dims requested = *shape;
  int stretch = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape->size(); ++i) {
    const int32_t v = (*shape)[i];
    if (v == -1) {
      if (stretch != -1) return ctx.error("new shape {} has more than one -1", dimsToString(requested));
      stretch = static_cast<int>(i);
    } else if (v < 0) {
      return ctx.error("new shape {} has a negative dimension {}", dimsToString(requested), v);
    } else if (__builtin_mul_overflow(known, int64_t{v}, &known)) {
      return ctx.error("new shape {} is too large", dimsToString(requested));
    }
  }
  const int64_t elements = input->numElements();
  if (stretch >= 0) {
    if (known == 0 || elements % known != 0) {
      return ctx.error("cannot infer the -1 of new shape {} for input shape {} ({} elements)",
                       dimsToString(requested), dimsToString(input->dims), elements);
    }
    if (elements / known > std::numeric_limits<int32_t>::max()) {
      return ctx.error("inferred dimension of new shape {} is too large", dimsToString(requested));
    }
    (*shape)[static_cast<size_t>(stretch)] = static_cast<int32_t>(elements / known);
    known = elements;
  }
  if (known != elements) {
    return ctx.error("cannot reshape input of shape {} ({} elements) to {} ({} elements)",
                     dimsToString(input->dims), elements, dimsToString(requested), known);
  }
  return Status::ok();
}

Status prepareReshape(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  Tensor* out = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkSameType(ctx, in, out));
  const Tensor* shapeT = ctx.input(1);
  const bool tensorUsable = usableShapeTensor(shapeT);
  const auto* opts = options<fb::ReshapeOptions>(ctx);
  const bool hasOptionShape = opts != nullptr && opts->new_shape() != nullptr;

  auto st = std::make_unique<ReshapeState>();
  Dims shape;
  if (tensorUsable && shapeT->isConstant) {
    INFERD_RETURN_IF_ERROR(readShapeTensor(ctx, shapeT, &shape));
  } else if (tensorUsable && !hasOptionShape) {
    ctx.markOutputDynamic(0);
    ctx.setState(std::move(st));
    return Status::ok();
  } else if (hasOptionShape) {
    shape.assign(opts->new_shape()->begin(), opts->new_shape()->end());
    // Legacy converters wrote [0] for a scalar (as TFLite reads it).
    if (shape.size() == 1 && shape[0] == 0) shape.clear();
    st->checkShapeTensor = tensorUsable;
  } else {
    // No shape tensor and no options: the output's shape in the file.
    if (out->info == nullptr) return ctx.error("no new shape given (no shape tensor, no ReshapeOptions)");
    shape = out->info->shape;
  }
  INFERD_RETURN_IF_ERROR(resolveReshape(ctx, in, &shape));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, shape));
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalReshape(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  const auto* st = ctx.state<ReshapeState>();
  if (out->isDynamic) {
    Dims shape;
    INFERD_RETURN_IF_ERROR(readShapeTensor(ctx, ctx.input(1), &shape));
    INFERD_RETURN_IF_ERROR(resolveReshape(ctx, in, &shape));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, shape));
  } else if (st != nullptr && st->checkShapeTensor) {
    const Tensor* shapeT = ctx.input(1);
    bool agrees = shapeT->numElements() == out->rank();
    for (int i = 0; agrees && i < out->rank(); ++i) {
      const int64_t v = readInt(shapeT, i);
      agrees = v == -1 || v == out->dim(i);
    }
    if (!agrees) {
      return ctx.errorMessage(StatusCode::kInvalidArgument,
                              fmt::format("shape tensor disagrees with ReshapeOptions.new_shape (output shape {})",
                                          dimsToString(out->dims)));
    }
  }
  copyBytes(out->data, in->data, in->bytes);
  return Status::ok();
}

// --- SQUEEZE ---

Status prepareSqueeze(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkSameType(ctx, in, ctx.output(0)));
  INFERD_RETURN_IF_ERROR(checkMaxRank(ctx, in, kMaxRank, "input"));
  const auto* opts = options<fb::SqueezeOptions>(ctx);
  const int rank = in->rank();
  bool squeeze[kMaxRank] = {};
  if (opts == nullptr || opts->squeeze_dims() == nullptr || opts->squeeze_dims()->size() == 0) {
    for (int i = 0; i < rank; ++i) squeeze[i] = in->dim(i) == 1;
  } else {
    for (int32_t d : *opts->squeeze_dims()) {
      int axis = 0;
      INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, d, rank, &axis));
      if (in->dim(axis) != 1) {
        return ctx.error("cannot squeeze axis {}: it has size {} in input shape {}", d, in->dim(axis),
                         dimsToString(in->dims));
      }
      squeeze[axis] = true;
    }
  }
  Dims outDims;
  for (int i = 0; i < rank; ++i) {
    if (!squeeze[i]) outDims.push_back(in->dim(i));
  }
  return ctx.resizeOutput(0, outDims);
}

Status evalCopyAll(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  copyBytes(ctx.output(0)->data, in->data, in->bytes);
  return Status::ok();
}

// --- EXPAND_DIMS ---

Status expandDimsShape(const OpContext& ctx, Dims* outDims) {
  const Tensor* in = ctx.input(0);
  const Tensor* axisT = ctx.input(1);
  const int64_t v = readInt(axisT, 0);
  const int64_t rank = in->rank();
  const int64_t axis = v < 0 ? v + rank + 1 : v;
  if (axis < 0 || axis > rank) {
    return ctx.error("axis {} is out of range for input rank {} (valid: {} to {})", v, rank, -rank - 1, rank);
  }
  *outDims = in->dims;
  outDims->insert(outDims->begin() + axis, 1);
  return Status::ok();
}

Status prepareExpandDims(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* axisT = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &axisT));
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkSameType(ctx, in, ctx.output(0)));
  INFERD_RETURN_IF_ERROR(checkIntScalar(ctx, axisT, "axis"));
  if (!axisT->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(expandDimsShape(ctx, &outDims));
  return ctx.resizeOutput(0, outDims);
}

Status evalExpandDims(OpContext& ctx) {
  if (ctx.output(0)->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(expandDimsShape(ctx, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  }
  return evalCopyAll(ctx);
}

// --- CONCATENATION ---

// An 8-bit input quantized differently from the output is requantized as
// TFLite's ConcatenationWithScaling does: q_out = round(q_in * s + b) + zp_out
// in float, with s = s_in * (1 / s_out) and b = -zp_in * s.
struct ConcatRequant {
  bool needed = false;
  float scale = 1.f;
  float bias = 0.f;
};

struct ConcatState : KernelState {
  int axis = 0;
  bool clamp = false;
  ActivationRange act;
  std::vector<ConcatRequant> requant;  // per input
  int32_t outZeroPoint = 0;
};

template <typename T>
void requantizeCopy(const T* in, T* out, int64_t n, const ConcatRequant& r, int32_t outZeroPoint) {
  for (int64_t j = 0; j < n; ++j) {
    const int32_t v = static_cast<int32_t>(std::round(static_cast<float>(in[j]) * r.scale + r.bias)) + outZeroPoint;
    out[j] = static_cast<T>(std::clamp(v, quant::qmin<T>(), quant::qmax<T>()));
  }
}

// Reads the 8-bit inputs' and output's quantization and decides which inputs
// need requantizing. TFLite requantizes UINT8 inputs and refuses INT8 ones
// that differ from the output; both are requantized here.
// Tensors without quantization parameters (plain 8-bit data) are copied.
Status prepareConcatRequant(const OpContext& ctx, const Tensor* out, ConcatState* st) {
  auto hasQuant = [](const Tensor* t) { return t->info != nullptr && !t->quant().empty(); };
  if (!hasQuant(out)) return Status::ok();
  TensorQuant qo;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, out, "output", &qo));
  st->outZeroPoint = qo.zeroPoint;
  st->requant.resize(static_cast<size_t>(ctx.numInputs()));
  const float inverseOut = 1.f / qo.scale;
  for (int i = 0; i < ctx.numInputs(); ++i) {
    if (!hasQuant(ctx.input(i))) continue;
    TensorQuant qi;
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, ctx.input(i), "input", &qi));
    ConcatRequant& r = st->requant[static_cast<size_t>(i)];
    r.needed = !(qi == qo);
    r.scale = qi.scale * inverseOut;
    r.bias = static_cast<float>(-qi.zeroPoint) * r.scale;
  }
  return Status::ok();
}

Status prepareConcat(OpContext& ctx) {
  const auto* opts = options<fb::ConcatenationOptions>(ctx);
  const int64_t rawAxis = opts ? opts->axis() : 0;
  const auto activation = opts ? opts->fused_activation_function() : fb::ActivationFunctionType::NONE;
  const Tensor* t0 = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &t0));
  Tensor* out = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, t0, "input 0"));
  INFERD_RETURN_IF_ERROR(checkSameType(ctx, t0, out));
  const int rank = t0->rank();
  auto st = std::make_unique<ConcatState>();
  if (rank == 0) {
    // TFLite concatenates scalars along axis 0 into a vector.
    if (rawAxis != 0) return ctx.error("axis {} is out of range for scalar inputs", rawAxis);
    st->axis = 0;
  } else {
    INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, rawAxis, rank, &st->axis));
  }
  if (activation != fb::ActivationFunctionType::NONE) {
    if (t0->type != ElementType::kFloat32) {
      return ctx.unsupported("fused activation {} on {} inputs is not supported",
                             fb::EnumNameActivationFunctionType(activation), elementTypeName(t0->type));
    }
    INFERD_RETURN_IF_ERROR(activationRange(ctx, activation, &st->act));
    st->clamp = true;
  }
  const bool quantized = isQuantizedIntType(t0->type);
  int64_t axisSum = 0;
  for (int i = 0; i < ctx.numInputs(); ++i) {
    const Tensor* t = nullptr;
    INFERD_RETURN_IF_ERROR(requireInput(ctx, i, &t));
    if (t->type != t0->type) {
      return ctx.error("input {} has type {}, input 0 has type {}", i, elementTypeName(t->type),
                       elementTypeName(t0->type));
    }
    if (t->rank() != rank) {
      return ctx.error("input {} has shape {}, input 0 has shape {} (ranks differ)", i, dimsToString(t->dims),
                       dimsToString(t0->dims));
    }
    for (int d = 0; d < rank; ++d) {
      if (d != st->axis && t->dim(d) != t0->dim(d)) {
        return ctx.error("input {} has shape {}, input 0 has shape {}: dimension {} differs (axis is {})", i,
                         dimsToString(t->dims), dimsToString(t0->dims), d, st->axis);
      }
    }
    axisSum += rank == 0 ? 1 : t->dim(st->axis);
    // 8-bit inputs with other quantization are requantized below; INT16 ones
    // are not supported.
    if (quantized && !isQuantized8(t0->type) && t->info != nullptr && out->info != nullptr &&
        !sameQuant(t->quant(), out->quant())) {
      return ctx.unsupported("input {} is quantized differently from the output (requantizing {} is not supported)",
                             i, elementTypeName(t->type));
    }
  }
  if (isQuantized8(t0->type)) INFERD_RETURN_IF_ERROR(prepareConcatRequant(ctx, out, st.get()));
  if (axisSum > std::numeric_limits<int32_t>::max()) {
    return ctx.error("concatenated axis size {} is too large", axisSum);
  }
  Dims outDims = t0->dims;
  if (rank == 0) {
    outDims = {static_cast<int32_t>(axisSum)};
  } else {
    outDims[static_cast<size_t>(st->axis)] = static_cast<int32_t>(axisSum);
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalConcat(OpContext& ctx) {
  const auto* st = ctx.state<ConcatState>();
  Tensor* out = ctx.output(0);
  const size_t n = elementSize(out->type);
  const int axis = st->axis;
  const int64_t outer = product(out->dims.data(), 0, axis);
  const int64_t inner = product(out->dims.data(), axis + 1, out->rank());
  uint8_t* dst = out->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < ctx.numInputs(); ++i) {
      const Tensor* t = ctx.input(i);
      const int64_t axisLen = t->rank() == 0 ? 1 : t->dim(axis);
      const auto chunk = static_cast<size_t>(axisLen * inner) * n;
      const uint8_t* src = t->data + static_cast<size_t>(o) * chunk;
      if (!st->requant.empty() && st->requant[static_cast<size_t>(i)].needed) {
        const ConcatRequant& r = st->requant[static_cast<size_t>(i)];
        dispatchQuantized8(out->type, [&](auto tag) {
          using T = decltype(tag);
          requantizeCopy(reinterpret_cast<const T*>(src), reinterpret_cast<T*>(dst), axisLen * inner, r,
                         st->outZeroPoint);
        });
      } else {
        copyBytes(dst, src, chunk);
      }
      dst += chunk;
    }
  }
  if (st->clamp) {
    float* v = out->as<float>();
    const int64_t count = out->numElements();
    for (int64_t i = 0; i < count; ++i) v[i] = clampActivation(v[i], st->act);
  }
  return Status::ok();
}

// --- SPLIT ---

Status splitAxis(const OpContext& ctx, int numSplits, int* axis) {
  const Tensor* axisT = ctx.input(0);
  const Tensor* in = ctx.input(1);
  if (in->rank() == 0) return ctx.error("cannot split a scalar input");
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, readInt(axisT, 0), in->rank(), axis));
  if (in->dim(*axis) % numSplits != 0) {
    return ctx.error("axis {} of input shape {} (size {}) does not split evenly into {} parts", *axis,
                     dimsToString(in->dims), in->dim(*axis), numSplits);
  }
  return Status::ok();
}

struct SplitState : KernelState {
  int axis = 0;
};

Status resizeSplitOutputs(OpContext& ctx, int axis) {
  const Tensor* in = ctx.input(1);
  Dims outDims = in->dims;
  outDims[static_cast<size_t>(axis)] = in->dim(axis) / ctx.numOutputs();
  for (int i = 0; i < ctx.numOutputs(); ++i) INFERD_RETURN_IF_ERROR(ctx.resizeOutput(i, outDims));
  return Status::ok();
}

Status prepareSplit(OpContext& ctx) {
  const Tensor* axisT = nullptr;
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &axisT));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &in));
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, in, "input"));
  for (int i = 0; i < ctx.numOutputs(); ++i) INFERD_RETURN_IF_ERROR(checkSameType(ctx, in, ctx.output(i), i));
  INFERD_RETURN_IF_ERROR(checkIntScalar(ctx, axisT, "axis"));
  const auto* opts = options<fb::SplitOptions>(ctx);
  const int numSplits = opts ? opts->num_splits() : 0;
  if (numSplits != ctx.numOutputs()) {
    return ctx.error("num_splits is {} but the op has {} outputs", numSplits, ctx.numOutputs());
  }
  if (!axisT->isConstant) {
    for (int i = 0; i < ctx.numOutputs(); ++i) ctx.markOutputDynamic(i);
    return Status::ok();
  }
  auto st = std::make_unique<SplitState>();
  INFERD_RETURN_IF_ERROR(splitAxis(ctx, numSplits, &st->axis));
  INFERD_RETURN_IF_ERROR(resizeSplitOutputs(ctx, st->axis));
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalSplit(OpContext& ctx) {
  const Tensor* in = ctx.input(1);
  const int numSplits = ctx.numOutputs();
  int axis = 0;
  if (ctx.output(0)->isDynamic) {
    INFERD_RETURN_IF_ERROR(splitAxis(ctx, numSplits, &axis));
    INFERD_RETURN_IF_ERROR(resizeSplitOutputs(ctx, axis));
  } else {
    axis = ctx.state<SplitState>()->axis;
  }
  const size_t n = elementSize(in->type);
  const int64_t outer = product(in->dims.data(), 0, axis);
  const int64_t inner = product(in->dims.data(), axis + 1, in->rank());
  const int64_t part = in->dim(axis) / numSplits;
  const auto chunk = static_cast<size_t>(part * inner) * n;
  for (int s = 0; s < numSplits; ++s) {
    uint8_t* dst = ctx.output(s)->data;
    for (int64_t o = 0; o < outer; ++o) {
      const uint8_t* src = in->data + (static_cast<size_t>(o) * static_cast<size_t>(numSplits) +
                                       static_cast<size_t>(s)) * chunk;
      copyBytes(dst + static_cast<size_t>(o) * chunk, src, chunk);
    }
  }
  return Status::ok();
}

// --- SLICE ---

Status computeSlice(OpContext& ctx, GatherState* st) {
  const Tensor* in = ctx.input(0);
  const Tensor* begin = ctx.input(1);
  const Tensor* size = ctx.input(2);
  const int rank = in->rank();
  INFERD_RETURN_IF_ERROR(checkIntVector(ctx, begin, rank, "begin"));
  INFERD_RETURN_IF_ERROR(checkIntVector(ctx, size, rank, "size"));
  int64_t strides[kMaxRank];
  rowMajorStrides(in->dims.data(), rank, strides);
  GatherPlan& p = st->plan;
  p = GatherPlan{};
  p.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const int64_t dim = in->dim(i);
    const int64_t b = readInt(begin, i);
    int64_t s = readInt(size, i);
    if (b < 0 || b > dim) {
      return ctx.error("begin {} is out of range for axis {} of size {}", b, i, dim);
    }
    if (s == -1) {
      s = dim - b;  // -1: to the end of the axis
    } else if (s < 0) {
      return ctx.error("size {} on axis {} is invalid (must be >= 0 or -1)", s, i);
    } else if (s > dim - b) {
      return ctx.error("begin {} + size {} exceeds axis {} of size {}", b, s, i, dim);
    }
    p.count[i] = s;
    p.inStride[i] = strides[i];
    p.base += b * strides[i];
  }
  st->outDims = gatherOutputDims(p);
  return Status::ok();
}

Status prepareSlice(OpContext& ctx) { return prepareGather(ctx, {"begin", "size"}, computeSlice); }
Status evalSlice(OpContext& ctx) { return evalGather(ctx, computeSlice); }

// --- STRIDED_SLICE ---
//
// Follows TFLite's strided_slice.cc: the ellipsis and new-axis masks are
// first expanded into an "effective" input shape (new axes become size-1
// dims, the ellipsis becomes full-range dims), then each effective axis gets
// its start/end from TFLite's strided_slice_logic (StridedSliceStartForAxis /
// StridedSliceEndForAxis) and its length ceil((end - start) / stride).

// TFLite's strided slice indices are int32; INT64 values are saturated to
// that range (axis sizes fit in it, so clamping gives the same slice) to keep
// the arithmetic below free of overflow.
int64_t readInt32(const Tensor* t, int64_t i) {
  return std::clamp<int64_t>(readInt(t, i), std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int32_t>::max());
}

Status computeStridedSlice(OpContext& ctx, GatherState* st) {
  const Tensor* in = ctx.input(0);
  const Tensor* beginT = ctx.input(1);
  const Tensor* endT = ctx.input(2);
  const Tensor* strideT = ctx.input(3);
  INFERD_RETURN_IF_ERROR(checkIntVector(ctx, beginT, -1, "begin"));
  const int64_t n = beginT->dim(0);
  INFERD_RETURN_IF_ERROR(checkIntVector(ctx, endT, n, "end"));
  INFERD_RETURN_IF_ERROR(checkIntVector(ctx, strideT, n, "strides"));
  if (n > 31) return ctx.error("slice spec has {} entries, at most 31 are supported", n);

  const auto* opts = options<fb::StridedSliceOptions>(ctx);
  // Mask bits past the spec have no entry to refer to; TF ignores them.
  const uint32_t specBits = (uint32_t{1} << n) - 1;
  const uint32_t beginMask = static_cast<uint32_t>(opts ? opts->begin_mask() : 0) & specBits;
  const uint32_t endMask = static_cast<uint32_t>(opts ? opts->end_mask() : 0) & specBits;
  const uint32_t ellipsisMask = static_cast<uint32_t>(opts ? opts->ellipsis_mask() : 0) & specBits;
  const uint32_t newAxisMask = static_cast<uint32_t>(opts ? opts->new_axis_mask() : 0) & specBits;
  const uint32_t shrinkMask = static_cast<uint32_t>(opts ? opts->shrink_axis_mask() : 0) & specBits;
  const bool offset = opts ? opts->offset() : false;
  auto bit = [](uint32_t mask, int64_t i) { return i >= 0 && i < 32 && (mask >> i) & 1u; };

  if ((ellipsisMask & (ellipsisMask - 1)) != 0) {
    return ctx.error("ellipsis_mask {:#x} sets more than one ellipsis", ellipsisMask);
  }
  const int inRank = in->rank();
  int numAdd = 0;  // new axes outside the ellipsis
  for (int64_t i = 0; i < n; ++i) {
    if (bit(newAxisMask, i) && !bit(ellipsisMask, i)) ++numAdd;
  }
  const int effRank = inRank + numAdd;
  if (effRank > kMaxRank) {
    return ctx.unsupported("input rank {} plus {} new axes exceeds {} dimensions", inRank, numAdd, kMaxRank);
  }
  // Spec entries that consume an input dimension must fit the input; where
  // TFLite would silently drop entries we refuse the model instead.
  const int64_t consuming = n - numAdd - (ellipsisMask != 0 ? 1 : 0);
  if (consuming > inRank) {
    return ctx.error("slice spec has {} entries for input shape {}", n, dimsToString(in->dims));
  }
  // TFLite expands an ellipsis it reaches to at least one dimension, which
  // drops a spec entry when the ellipsis should cover none.
  if (ellipsisMask != 0 && consuming == inRank && __builtin_ctz(ellipsisMask) < effRank) {
    return ctx.unsupported("an ellipsis that covers no dimension is not supported");
  }

  // Effective axes: which are ellipsis (full range) and which are new.
  uint32_t effEllipsis = 0, effNewAxis = 0;
  int ellipsisStart = effRank;
  int64_t expanded = 0;  // extra dims the ellipsis stands for
  for (int i = 0; i < effRank;) {
    if (bit(ellipsisMask, i)) {
      ellipsisStart = i;
      const int64_t endIdx = std::max<int64_t>(i + 1, std::min<int64_t>(i + 1 + numAdd + inRank - n, effRank));
      expanded = endIdx - ellipsisStart - 1;
      for (; i < endIdx; ++i) effEllipsis |= uint32_t{1} << i;
      continue;
    }
    if (bit(newAxisMask, i - expanded)) effNewAxis |= uint32_t{1} << i;
    ++i;
  }

  int64_t inStrides[kMaxRank];
  rowMajorStrides(in->dims.data(), inRank, inStrides);
  GatherPlan& p = st->plan;
  p = GatherPlan{};
  p.rank = effRank;
  st->outDims.clear();
  int addedAxes = 0;
  int64_t addedEllipsis = 0;
  for (int i = 0; i < effRank; ++i) {
    bool fullRange = false;
    bool isNew = false;
    int64_t beginV = 0, endV = 0, stride = 1;
    bool bMask = false, eMask = false, shrink = false;
    if (bit(effEllipsis, i)) {
      addedEllipsis = std::max<int64_t>(0, i - ellipsisStart);
      fullRange = true;
    } else if (bit(effNewAxis, i)) {
      isNew = true;
    } else if (i >= n + expanded) {
      fullRange = true;  // dims past the spec are taken whole
    } else {
      const int64_t orig = i - addedEllipsis;
      beginV = readInt32(beginT, orig);
      endV = readInt32(endT, orig);
      stride = readInt32(strideT, orig);
      bMask = bit(beginMask, orig);
      eMask = bit(endMask, orig);
      shrink = bit(shrinkMask, orig);
    }
    if (fullRange) bMask = eMask = true;

    int64_t axisSize = 1;
    int64_t inStride = 0;  // new axes do not move through the input
    if (isNew) {
      ++addedAxes;
      beginV = 0;
      endV = 1;
    } else {
      const int inAxis = i - addedAxes;
      if (inAxis < 0 || inAxis >= inRank) return ctx.error("slice spec does not match input rank {}", inRank);
      axisSize = in->dim(inAxis);
      inStride = inStrides[inAxis];
    }
    if (stride == 0) return ctx.error("stride on axis {} is 0", i);

    // StridedSliceStartForAxis.
    int64_t start = beginV;
    if (start < 0) start += axisSize;
    start = stride > 0 ? std::clamp<int64_t>(start, 0, axisSize) : std::clamp<int64_t>(start, -1, axisSize - 1);
    if (bMask) start = stride > 0 ? 0 : axisSize - 1;

    int64_t count = 0;
    if (shrink) {
      // TFLite yields start..start+1; a start outside the axis or a negative
      // stride would leave the output unwritten, so refuse those.
      if (stride < 0 || start < 0 || start >= axisSize) {
        return ctx.error("shrink axis {}: index {} with stride {} is out of range for size {}", i, beginV,
                         stride, axisSize);
      }
      count = 1;
    } else {
      // StridedSliceEndForAxis.
      int64_t end = endV;
      if (offset) end += start;
      if (end < 0) end += axisSize;
      end = stride > 0 ? std::clamp<int64_t>(end, 0, axisSize) : std::clamp<int64_t>(end, -1, axisSize - 1);
      if (eMask) end = stride > 0 ? axisSize : -1;
      if (stride > 0 && end > start) count = (end - start + stride - 1) / stride;
      if (stride < 0 && start > end) count = (start - end - stride - 1) / -stride;
      st->outDims.push_back(static_cast<int32_t>(count));
    }
    p.count[i] = count;
    p.inStride[i] = stride * inStride;
    if (count > 0) p.base += start * inStride;
  }
  return Status::ok();
}

Status prepareStridedSlice(OpContext& ctx) {
  return prepareGather(ctx, {"begin", "end", "strides"}, computeStridedSlice);
}
Status evalStridedSlice(OpContext& ctx) { return evalGather(ctx, computeStridedSlice); }

// --- TRANSPOSE ---

Status computeTranspose(OpContext& ctx, GatherState* st) {
  const Tensor* in = ctx.input(0);
  const Tensor* perm = ctx.input(1);
  const int rank = in->rank();
  INFERD_RETURN_IF_ERROR(checkIntVector(ctx, perm, rank, "perm"));
  int64_t strides[kMaxRank];
  rowMajorStrides(in->dims.data(), rank, strides);
  bool used[kMaxRank] = {};
  GatherPlan& p = st->plan;
  p = GatherPlan{};
  p.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const int64_t v = readInt(perm, i);
    if (v < 0 || v >= rank) return ctx.error("perm value {} at index {} is out of range for rank {}", v, i, rank);
    if (used[v]) return ctx.error("perm repeats axis {}", v);
    used[v] = true;
    p.count[i] = in->dim(static_cast<int>(v));
    p.inStride[i] = strides[v];
  }
  st->outDims = gatherOutputDims(p);
  return Status::ok();
}

Status prepareTranspose(OpContext& ctx) { return prepareGather(ctx, {"perm"}, computeTranspose); }
Status evalTranspose(OpContext& ctx) { return evalGather(ctx, computeTranspose); }

// --- PAD, PADV2 ---

struct PadState : KernelState {
  int rank = 0;
  int32_t inDims[kMaxRank] = {};
  int32_t outDims[kMaxRank] = {};
  int64_t before[kMaxRank] = {};
};

Status computePad(const OpContext& ctx, PadState* st) {
  const Tensor* in = ctx.input(0);
  const Tensor* pads = ctx.input(1);
  const int rank = in->rank();
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, pads, "paddings"));
  if (pads->rank() != 2 || pads->dim(0) != rank || pads->dim(1) != 2) {
    return ctx.error("paddings must have shape [{}, 2], has shape {}", rank, dimsToString(pads->dims));
  }
  st->rank = rank;
  for (int i = 0; i < rank; ++i) {
    const int64_t b = readInt(pads, 2 * i);
    const int64_t a = readInt(pads, 2 * i + 1);
    if (b < 0 || a < 0) return ctx.error("paddings [{}, {}] on axis {} must not be negative", b, a, i);
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    if (b > kMax || a > kMax || b + a + in->dim(i) > kMax) {
      return ctx.error("paddings [{}, {}] on axis {} make it too large", b, a, i);
    }
    const int64_t o = b + a + in->dim(i);
    st->inDims[i] = in->dim(i);
    st->outDims[i] = static_cast<int32_t>(o);
    st->before[i] = b;
  }
  return Status::ok();
}

Dims padOutputDims(const PadState& st) { return Dims(st.outDims, st.outDims + st.rank); }

Status preparePad(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* pads = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &pads));
  Tensor* out = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkCopyable(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkSameType(ctx, in, out));
  INFERD_RETURN_IF_ERROR(checkMaxRank(ctx, in, kMaxRank, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, pads, "paddings"));
  if (const Tensor* value = ctx.input(2)) {
    if (value->type != in->type) {
      return ctx.error("constant value has type {}, input has type {}", elementTypeName(value->type),
                       elementTypeName(in->type));
    }
    if (value->numElements() != 1) {
      return ctx.error("constant value must hold one value, has shape {}", dimsToString(value->dims));
    }
    // The stored value is copied as is, so it must share the output's scale.
    if (isQuantizedIntType(in->type) && value->info != nullptr && out->info != nullptr &&
        !value->quant().empty() && !sameQuant(value->quant(), out->quant())) {
      return ctx.unsupported("constant value is quantized differently from the output");
    }
  }
  if (!pads->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  auto st = std::make_unique<PadState>();
  INFERD_RETURN_IF_ERROR(computePad(ctx, st.get()));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, padOutputDims(*st)));
  ctx.setState(std::move(st));
  return Status::ok();
}

template <size_t N>
void fillPattern(uint8_t* dst, int64_t count, const uint8_t* value) {
  for (int64_t k = 0; k < count; ++k) std::memcpy(dst + k * static_cast<int64_t>(N), value, N);
}

void fillElements(uint8_t* dst, int64_t count, const uint8_t* value, size_t n) {
  if (count == 0) return;
  if (std::all_of(value, value + n, [](uint8_t b) { return b == 0; })) {
    std::memset(dst, 0, static_cast<size_t>(count) * n);
    return;
  }
  switch (n) {
    case 1: std::memset(dst, value[0], static_cast<size_t>(count)); break;
    case 2: fillPattern<2>(dst, count, value); break;
    case 4: fillPattern<4>(dst, count, value); break;
    case 8: fillPattern<8>(dst, count, value); break;
    default:
      for (int64_t k = 0; k < count; ++k) std::memcpy(dst + k * static_cast<int64_t>(n), value, n);
      break;
  }
}

Status evalPad(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  const PadState* st = ctx.state<PadState>();
  PadState local;
  if (out->isDynamic) {
    INFERD_RETURN_IF_ERROR(computePad(ctx, &local));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, padOutputDims(local)));
    out = ctx.output(0);
    st = &local;
  }
  const size_t n = elementSize(in->type);
  // The pad value: the constant input if given (its stored bytes, also for
  // quantized types); else 0, which for quantized int types is the output's
  // zero point.
  uint8_t value[16] = {};
  if (const Tensor* v = ctx.input(2)) {
    std::memcpy(value, v->data, n);
  } else if (isQuantizedIntType(out->type) && out->info != nullptr && !out->quant().zeroPoint.empty()) {
    const int64_t zp = out->quant().zeroPoint[0];
    if (out->type == ElementType::kInt8) {
      const auto z = static_cast<int8_t>(zp);
      std::memcpy(value, &z, 1);
    } else if (out->type == ElementType::kUInt8) {
      const auto z = static_cast<uint8_t>(zp);
      std::memcpy(value, &z, 1);
    } else {
      const auto z = static_cast<int16_t>(zp);
      std::memcpy(value, &z, 2);
    }
  }
  const int rank = st->rank;
  const int64_t outCount = product(st->outDims, 0, rank);
  fillElements(out->data, outCount, value, n);
  const int64_t inCount = product(st->inDims, 0, rank);
  if (inCount == 0) return Status::ok();
  if (rank == 0) {
    std::memcpy(out->data, in->data, n);
    return Status::ok();
  }
  int64_t outStrides[kMaxRank];
  rowMajorStrides(st->outDims, rank, outStrides);
  const int last = rank - 1;
  const auto rowBytes = static_cast<size_t>(st->inDims[last]) * n;
  const int64_t rows = inCount / st->inDims[last];
  int64_t idx[kMaxRank] = {};
  int64_t outOffset = 0;
  for (int i = 0; i < rank; ++i) outOffset += st->before[i] * outStrides[i];
  const uint8_t* src = in->data;
  const auto sn = static_cast<int64_t>(n);
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(out->data + outOffset * sn, src, rowBytes);
    src += rowBytes;
    for (int a = last - 1; a >= 0; --a) {
      outOffset += outStrides[a];
      if (++idx[a] < st->inDims[a]) break;
      outOffset -= outStrides[a] * st->inDims[a];
      idx[a] = 0;
    }
  }
  return Status::ok();
}

// --- registration ---

KernelRegistration shapeRegistration(fb::BuiltinOperator op, int32_t maxVersion, int32_t minInputs,
                                     int32_t maxInputs, KernelFn prepare, KernelFn eval) {
  return builtinKernel(op, 1, maxVersion, minInputs, maxInputs, prepare, eval, byteCopyTypes());
}

}  // namespace

void registerShapeKernels(OpResolver& r) {
  constexpr int32_t kManyTensors = 1 << 16;
  // Version ranges from TFLite's register.cc. The later versions add element
  // types (int8, int16, bool, ...); byte copying covers them all.
  if constexpr (opSelected(fb::BuiltinOperator::RESHAPE)) {
    r.add(shapeRegistration(fb::BuiltinOperator::RESHAPE, 1, 1, 2, prepareReshape, evalReshape));
  }
  if constexpr (opSelected(fb::BuiltinOperator::SQUEEZE)) {
    r.add(shapeRegistration(fb::BuiltinOperator::SQUEEZE, 2, 1, 1, prepareSqueeze, evalCopyAll));
  }
  if constexpr (opSelected(fb::BuiltinOperator::EXPAND_DIMS)) {
    r.add(shapeRegistration(fb::BuiltinOperator::EXPAND_DIMS, 1, 2, 2, prepareExpandDims, evalExpandDims));
  }
  if constexpr (opSelected(fb::BuiltinOperator::CONCATENATION)) {
    r.add(shapeRegistration(fb::BuiltinOperator::CONCATENATION, 4, 1, kManyTensors, prepareConcat, evalConcat));
  }
  if constexpr (opSelected(fb::BuiltinOperator::SPLIT)) {
    KernelRegistration split = shapeRegistration(fb::BuiltinOperator::SPLIT, 4, 2, 2, prepareSplit, evalSplit);
    split.maxOutputs = kManyTensors;
    r.add(std::move(split));
  }
  if constexpr (opSelected(fb::BuiltinOperator::SLICE)) {
    r.add(shapeRegistration(fb::BuiltinOperator::SLICE, 6, 3, 3, prepareSlice, evalSlice));
  }
  if constexpr (opSelected(fb::BuiltinOperator::STRIDED_SLICE)) {
    r.add(shapeRegistration(fb::BuiltinOperator::STRIDED_SLICE, 8, 4, 4, prepareStridedSlice, evalStridedSlice));
  }
  if constexpr (opSelected(fb::BuiltinOperator::TRANSPOSE)) {
    r.add(shapeRegistration(fb::BuiltinOperator::TRANSPOSE, 7, 2, 2, prepareTranspose, evalTranspose));
  }
  // TFLite's PAD and PADV2 share one kernel: an optional third input is the
  // pad value.
  if constexpr (opSelected(fb::BuiltinOperator::PAD)) {
    r.add(shapeRegistration(fb::BuiltinOperator::PAD, 5, 2, 3, preparePad, evalPad));
  }
  if constexpr (opSelected(fb::BuiltinOperator::PADV2)) {
    r.add(shapeRegistration(fb::BuiltinOperator::PADV2, 5, 2, 3, preparePad, evalPad));
  }
}

}  // namespace inferd::engine::kernels
