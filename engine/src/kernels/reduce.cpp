// Reference kernels for reductions along axes: MEAN, SUM, REDUCE_MAX,
// REDUCE_MIN and REDUCE_PROD share one implementation. The axis input may
// hold negative and duplicate axes; keep_dims comes from ReducerOptions.
// Semantics follow TensorFlow Lite's reference kernels: every output element
// accumulates its inputs in row-major order, MEAN of float sums in float and
// of integers in int64 (truncating division), and an empty input yields the
// reduction's initial value (NaN for a float MEAN, 0 for an integer MEAN).
//
// INT8/UINT8 follow TFLite's builtin kernels: REDUCE_MAX/MIN compare raw
// values and require the input and output quantized alike; MEAN over H and W
// of a 4-D input with keep_dims rescales the raw window sum with a float
// derived multiplier and bias (optimized_ops::Mean, rounding ties up in its
// NEON groups of 16 channels), every other MEAN
// rescales the zero-point corrected sum with an integer multiplier that
// folds in 1/count (reference_ops::QuantizedMeanOrSum); SUM requantizes the
// sum in float (optimized_ops::QuantizedMeanOrSum). Sums are int32 with
// wrap-around, as TFLite's temporaries.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "kernel_util.h"
#include "optimized/cpu_features.h"
#include "optimized/qreduce.h"
#include "quant_kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

enum class ReduceKind { kMean, kSum, kMax, kMin, kProd };

// Enough for any real model; the plan lives in fixed arrays so eval (which
// rebuilds it for a non-constant axis tensor) never allocates.
constexpr int kMaxReduceRank = 16;

// The input shape with size-1 dims dropped and neighbouring dims of the same
// kind (reduced or kept) merged. Walking it row-major visits the input in
// memory order; outStride is 0 on reduced dims.
struct ReducePlan {
  int rank = 0;
  int64_t dims[kMaxReduceRank] = {};
  bool reduced[kMaxReduceRank] = {};
  int64_t inStride[kMaxReduceRank] = {};
  int64_t outStride[kMaxReduceRank] = {};
  int64_t inCount = 1;
  int64_t outCount = 1;
};

struct ReduceState : KernelState {
  bool keepDims = false;
  bool constantAxis = true;
  ReducePlan plan;   // valid when constantAxis
  int scratchId = -1;  // int64 sums of an integer MEAN or a quantized MEAN/SUM
  bool spatialMean = false;  // valid when constantAxis: TFLite's 4-D H,W MEAN path
  TensorQuant in, out;       // 8-bit types
  quant::Multiplier meanMultiplier;  // 8-bit MEAN: s_in / s_out
};

// Whether TFLite takes its optimized 4-D MEAN path: keep_dims and exactly
// axes 1 and 2 reduced.
bool isSpatialMean(const Tensor* input, const bool reduced[kMaxReduceRank], bool keepDims) {
  return keepDims && input->rank() == 4 && !reduced[0] && reduced[1] && reduced[2] && !reduced[3];
}

// Marks the reduced dims of `input` from the axis tensor; checks each axis.
Status resolveAxes(const OpContext& ctx, const Tensor* input, const Tensor* axis,
                   bool reduced[kMaxReduceRank]) {
  const int rank = input->rank();
  for (int i = 0; i < rank; ++i) reduced[i] = false;
  // TFLite ignores the axes of a scalar input: there is nothing to reduce.
  if (rank == 0) return Status::ok();
  const int64_t n = axis->numElements();
  for (int64_t i = 0; i < n; ++i) {
    int a = 0;
    INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, readInt(axis, i), rank, &a));
    reduced[a] = true;  // duplicates simply mark the same dim again
  }
  return Status::ok();
}

Dims reducedShape(const Tensor* input, const bool reduced[kMaxReduceRank], bool keepDims) {
  Dims out;
  for (int i = 0; i < input->rank(); ++i) {
    if (!reduced[i]) {
      out.push_back(input->dim(i));
    } else if (keepDims) {
      out.push_back(1);
    }
  }
  return out;
}

ReducePlan makePlan(const Tensor* input, const bool reduced[kMaxReduceRank]) {
  ReducePlan p;
  for (int i = 0; i < input->rank(); ++i) {
    const int64_t d = input->dim(i);
    p.inCount *= d;
    if (!reduced[i]) p.outCount *= d;
    if (d == 1) continue;
    if (p.rank > 0 && p.reduced[p.rank - 1] == reduced[i]) {
      p.dims[p.rank - 1] *= d;
    } else {
      p.dims[p.rank] = d;
      p.reduced[p.rank] = reduced[i];
      ++p.rank;
    }
  }
  int64_t inStride = 1;
  int64_t outStride = 1;
  for (int i = p.rank - 1; i >= 0; --i) {
    p.inStride[i] = inStride;
    inStride *= p.dims[i];
    if (p.reduced[i]) {
      p.outStride[i] = 0;
    } else {
      p.outStride[i] = outStride;
      outStride *= p.dims[i];
    }
  }
  return p;
}

// Folds every input element into its output accumulator with `op`, visiting
// the input in memory order (the order TFLite's reference uses, so float
// results round the same way). The innermost loop is contiguous: either an
// elementwise update of a row of accumulators or a running fold into one.
template <typename In, typename Acc, typename Op>
void foldLevel(const ReducePlan& p, int level, const In* in, Acc* acc, Op op) {
  const int64_t n = p.dims[level];
  if (level == p.rank - 1) {
    if (p.reduced[level]) {
      Acc a = *acc;
      for (int64_t i = 0; i < n; ++i) a = op(a, static_cast<Acc>(in[i]));
      *acc = a;
    } else {
      for (int64_t i = 0; i < n; ++i) acc[i] = op(acc[i], static_cast<Acc>(in[i]));
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    foldLevel(p, level + 1, in + i * p.inStride[level], acc + i * p.outStride[level], op);
  }
}

template <typename In, typename Acc, typename Op>
void fold(const ReducePlan& p, const In* in, Acc* acc, Op op) {
  if (p.inCount == 0) return;
  if (p.rank == 0) {  // a single element
    acc[0] = op(acc[0], static_cast<Acc>(in[0]));
    return;
  }
  foldLevel(p, 0, in, acc, op);
}

// Integer sums and products wrap like TFLite's (two's complement) instead of
// being undefined behaviour.
template <typename T>
T wrapAdd(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

template <typename T>
T wrapMul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

template <typename T>
void fill(T* data, int64_t n, T value) {
  for (int64_t i = 0; i < n; ++i) data[i] = value;
}

// [rows][columns] per image, reduced over the rows.
bool rowsOfColumns(const ReducePlan& p) {
  return (p.rank == 2 && p.reduced[0] && !p.reduced[1]) ||
         (p.rank == 3 && !p.reduced[0] && p.reduced[1] && !p.reduced[2]);
}

// The int32 sums (wrapping like TFLite's int32 temporaries) of every output
// element, into `sums` (int64 scratch, each holding an int32 value).
template <typename T>
void quantizedSums(const ReducePlan& p, const T* in, int64_t* sums, bool fast) {
  // Rows of columns ([HW][C] per image, the spatial MEAN of a CNN): AVX-512
  // column sums, 1024 columns at a time through an int32 buffer.
  if (fast && rowsOfColumns(p) && sizeof(T) == 1) {
    const int64_t images = p.rank == 3 ? p.dims[0] : 1;
    const int64_t rows = p.dims[p.rank - 2], cols = p.dims[p.rank - 1];
    int32_t chunk[1024];
    for (int64_t b = 0; b < images; ++b) {
      for (int64_t c0 = 0; c0 < cols; c0 += 1024) {
        const int64_t n = std::min<int64_t>(1024, cols - c0);
        const T* src = in + b * rows * cols + c0;
        if constexpr (std::is_same_v<T, int8_t>) {
          opt::columnSumsInt8(src, rows, n, cols, chunk);
        } else if constexpr (std::is_same_v<T, uint8_t>) {
          opt::columnSumsUint8(src, rows, n, cols, chunk);
        }
        for (int64_t c = 0; c < n; ++c) sums[b * cols + c0 + c] = chunk[c];
      }
    }
    return;
  }
  fill(sums, p.outCount, int64_t{0});
  fold(p, in, sums, [](int64_t a, int64_t b) { return a + b; });
  for (int64_t i = 0; i < p.outCount; ++i) sums[i] = static_cast<int32_t>(static_cast<uint32_t>(sums[i]));
}

// MEAN and SUM of 8-bit quantized values (see the top of the file).
template <ReduceKind kind, typename T>
void reduceQuantized(OpContext& ctx, const ReduceState& st, const ReducePlan& p, bool spatialMean,
                     const T* in, T* out) {
  auto clampT = [](int32_t v) { return static_cast<T>(std::clamp(v, quant::qmin<T>(), quant::qmax<T>())); };
  if (p.inCount == 0) {
    fill(out, p.outCount, T(0));
    return;
  }
  auto* sums = static_cast<int64_t*>(ctx.scratch(st.scratchId));
  quantizedSums(p, in, sums, ctx.optimizedKernels() && opt::cpuFeatures().best != opt::Isa::kReference);
  const int64_t count = p.inCount / p.outCount;
  if constexpr (kind == ReduceKind::kSum) {
    const float scale = st.in.scale / st.out.scale;
    const float bias = static_cast<float>(-st.in.zeroPoint) * scale * static_cast<float>(count);
    for (int64_t i = 0; i < p.outCount; ++i) {
      // Clamped in float first: a tiny output scale can put v beyond int32
      // (past 2^30 the result is a type bound anyway).
      const float v = std::clamp(std::round(static_cast<float>(sums[i]) * scale + bias), -0x1p30f, 0x1p30f);
      out[i] = clampT(static_cast<int32_t>(v) + st.out.zeroPoint);
    }
  } else if (spatialMean) {
    float temp = static_cast<float>(st.in.zeroPoint) * st.in.scale / st.out.scale;
    temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
    const int32_t bias = st.out.zeroPoint - static_cast<int32_t>(temp);
    const float realScale = st.in.scale / (static_cast<float>(count) * st.out.scale);
    const quant::Multiplier m = quant::quantizeMultiplier(static_cast<double>(realScale));
    // LiteRT's x86 build runs the NEON code (through NEON_2_SSE) for groups
    // of 16 channels, whose vqrdmulh/vrshl round ties up; the remaining
    // channels take the scalar gemmlowp rounding.
    const int64_t depth = ctx.output(0)->dims.back();
    const int64_t vectorDepth = depth - depth % 16;
    for (int64_t i = 0; i < p.outCount; ++i) {
      const auto rounding = i % depth < vectorDepth ? quant::Rounding::kUp : quant::Rounding::kAwayFromZero;
      out[i] = clampT(quant::multiplyByQuantizedMultiplier(static_cast<int32_t>(sums[i]), m, rounding) + bias);
    }
  } else {
    // Fold 1/count into the multiplier: shift it left by floor(log2(count))
    // (at most 32, and keeping the final shift >= -31), then divide.
    int shift = 0;
    while ((count >> (shift + 1)) != 0) ++shift;
    shift = std::min(shift, 32);
    shift = std::min(shift, 31 + st.meanMultiplier.shift);
    quant::Multiplier m;
    m.value = static_cast<int32_t>((static_cast<int64_t>(st.meanMultiplier.value) << shift) / count);
    m.shift = st.meanMultiplier.shift - shift;
    for (int64_t i = 0; i < p.outCount; ++i) {
      const auto centered = static_cast<int32_t>(static_cast<uint32_t>(
          sums[i] - static_cast<int64_t>(st.in.zeroPoint) * count));
      out[i] = clampT(quant::multiplyByQuantizedMultiplier(centered, m) + st.out.zeroPoint);
    }
  }
}

template <ReduceKind kind, typename T>
void reduceTyped(OpContext& ctx, const ReducePlan& p, const T* in, T* out, int scratchId) {
  switch (kind) {
    case ReduceKind::kSum:
      fill(out, p.outCount, T(0));
      fold(p, in, out, [](T a, T b) { return wrapAdd(a, b); });
      break;
    case ReduceKind::kProd:
      fill(out, p.outCount, T(1));
      fold(p, in, out, [](T a, T b) { return wrapMul(a, b); });
      break;
    case ReduceKind::kMax:
      fill(out, p.outCount, std::numeric_limits<T>::lowest());
      fold(p, in, out, [](T a, T b) { return b > a ? b : a; });
      break;
    case ReduceKind::kMin:
      fill(out, p.outCount, std::numeric_limits<T>::max());
      fold(p, in, out, [](T a, T b) { return b < a ? b : a; });
      break;
    case ReduceKind::kMean: {
      if (p.inCount == 0) {
        // TFLite fills the output with quiet_NaN (0 for integer types).
        fill(out, p.outCount, std::numeric_limits<T>::quiet_NaN());
        break;
      }
      const int64_t count = p.inCount / p.outCount;
      if constexpr (std::is_floating_point_v<T>) {
        fill(out, p.outCount, T(0));
        fold(p, in, out, [](T a, T b) { return a + b; });
        const T n = static_cast<T>(count);
        for (int64_t i = 0; i < p.outCount; ++i) out[i] = out[i] / n;
      } else {
        auto* sums = static_cast<int64_t*>(ctx.scratch(scratchId));
        fill(sums, p.outCount, int64_t{0});
        fold(p, in, sums, [](int64_t a, int64_t b) { return wrapAdd(a, b); });
        for (int64_t i = 0; i < p.outCount; ++i) out[i] = static_cast<T>(sums[i] / count);
      }
      break;
    }
  }
}

Status checkReduceRank(const OpContext& ctx, const Tensor* input) {
  if (input->rank() > kMaxReduceRank) {
    return ctx.unsupported("input rank {} exceeds the supported maximum {}", input->rank(),
                           kMaxReduceRank);
  }
  return Status::ok();
}

template <ReduceKind kind>
Status prepareReduce(OpContext& ctx) {
  const Tensor* input = nullptr;
  const Tensor* axis = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &axis));
  Tensor* output = ctx.output(0);

  const bool quantized = isQuantized8(input->type) && kind != ReduceKind::kProd;
  if (input->type != ElementType::kFloat32 && input->type != ElementType::kInt32 &&
      input->type != ElementType::kInt64 && !quantized) {
    return ctx.unsupported("input type {} is not supported (FLOAT32, INT32, INT64{})",
                           elementTypeName(input->type),
                           kind == ReduceKind::kProd ? "" : ", INT8, UINT8");
  }
  if (output->type != input->type) {
    return ctx.error("output has type {}, input has type {}", elementTypeName(output->type),
                     elementTypeName(input->type));
  }
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, axis, "axis"));
  INFERD_RETURN_IF_ERROR(checkReduceRank(ctx, input));

  auto st = std::make_unique<ReduceState>();
  // A missing ReducerOptions table means keep_dims = false, as in TFLite.
  if (const auto* opts = options<fb::ReducerOptions>(ctx)) st->keepDims = opts->keep_dims();
  st->constantAxis = axis->isConstant;
  if (quantized) {
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, input, "input", &st->in));
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, output, "output", &st->out));
    if (kind == ReduceKind::kMax || kind == ReduceKind::kMin) {
      INFERD_RETURN_IF_ERROR(requireSameQuant(ctx, st->in, st->out, "input", "output"));
    }
    st->meanMultiplier = quant::quantizeMultiplier(static_cast<double>(st->in.scale) /
                                                   static_cast<double>(st->out.scale));
  }

  if (st->constantAxis) {
    bool reduced[kMaxReduceRank];
    INFERD_RETURN_IF_ERROR(resolveAxes(ctx, input, axis, reduced));
    st->plan = makePlan(input, reduced);
    st->spatialMean = isSpatialMean(input, reduced, st->keepDims);
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, reducedShape(input, reduced, st->keepDims)));
    const ReducePlan& p = st->plan;
    if (quantized && (kind == ReduceKind::kMean || kind == ReduceKind::kSum) && ctx.optimizedKernels() &&
        opt::cpuFeatures().best != opt::Isa::kReference && rowsOfColumns(p)) {
      ctx.setKernelVariant(opt::cpuFeatures().best == opt::Isa::kAvx512Vnni ? "avx512-column-sums"
                                                                             : "avx2-column-sums");
    }
  } else {
    ctx.markOutputDynamic(0);
  }

  const bool quantizedSum = quantized && (kind == ReduceKind::kMean || kind == ReduceKind::kSum);
  if ((kind == ReduceKind::kMean && input->type != ElementType::kFloat32) || quantizedSum) {
    // With an unknown axis the output can be as large as the input.
    const int64_t sums = st->constantAxis ? st->plan.outCount : input->numElements();
    st->scratchId = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(sums, 1)) *
                                       sizeof(int64_t));
  }
  ctx.setState(std::move(st));
  return Status::ok();
}

template <ReduceKind kind>
Status evalReduce(OpContext& ctx) {
  auto* st = ctx.state<ReduceState>();
  const Tensor* input = ctx.input(0);
  const Tensor* axis = ctx.input(1);

  ReducePlan dynamicPlan;
  const ReducePlan* plan = &st->plan;
  bool spatialMean = st->spatialMean;
  if (!st->constantAxis) {
    bool reduced[kMaxReduceRank];
    INFERD_RETURN_IF_ERROR(resolveAxes(ctx, input, axis, reduced));
    dynamicPlan = makePlan(input, reduced);
    plan = &dynamicPlan;
    spatialMean = isSpatialMean(input, reduced, st->keepDims);
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, reducedShape(input, reduced, st->keepDims)));
  }
  Tensor* output = ctx.output(0);

  switch (input->type) {
    case ElementType::kFloat32:
      reduceTyped<kind>(ctx, *plan, input->as<float>(), output->as<float>(), st->scratchId);
      break;
    case ElementType::kInt32:
      reduceTyped<kind>(ctx, *plan, input->as<int32_t>(), output->as<int32_t>(), st->scratchId);
      break;
    case ElementType::kInt64:
      reduceTyped<kind>(ctx, *plan, input->as<int64_t>(), output->as<int64_t>(), st->scratchId);
      break;
    case ElementType::kInt8:
    case ElementType::kUInt8:
      dispatchQuantized8(input->type, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (kind == ReduceKind::kMean || kind == ReduceKind::kSum) {
          reduceQuantized<kind>(ctx, *st, *plan, spatialMean, input->as<T>(), output->as<T>());
        } else if constexpr (kind == ReduceKind::kMax || kind == ReduceKind::kMin) {
          reduceTyped<kind>(ctx, *plan, input->as<T>(), output->as<T>(), st->scratchId);
        }
      });
      break;
    default:
      return ctx.unsupported("input type {} is not supported", elementTypeName(input->type));
  }
  return Status::ok();
}

KernelRegistration reduceRegistration(fb::BuiltinOperator op, int32_t maxVersion, KernelFn prepare,
                                      KernelFn eval) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(op);
  r.minVersion = 1;
  r.maxVersion = maxVersion;
  r.minInputs = 2;
  r.maxInputs = 2;
  r.minOutputs = 1;
  r.maxOutputs = 1;
  r.prepare = prepare;
  r.eval = eval;
  r.types = {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64};
  if (op != fb::BuiltinOperator::REDUCE_PROD) {
    r.types.push_back(ElementType::kInt8);
    r.types.push_back(ElementType::kUInt8);
  }
  return r;
}

}  // namespace

void registerReduceKernels(OpResolver& r) {
  // Version ranges from TFLite's register.cc; types a version may carry that
  // we do not handle (INT16, quantized REDUCE_PROD) are refused in prepare.
  using fb::BuiltinOperator;
  using K = ReduceKind;
  if constexpr (opSelected(BuiltinOperator::MEAN)) {
    r.add(reduceRegistration(BuiltinOperator::MEAN, 3, prepareReduce<K::kMean>, evalReduce<K::kMean>));
  }
  if constexpr (opSelected(BuiltinOperator::SUM)) {
    r.add(reduceRegistration(BuiltinOperator::SUM, 2, prepareReduce<K::kSum>, evalReduce<K::kSum>));
  }
  if constexpr (opSelected(BuiltinOperator::REDUCE_MAX)) {
    r.add(reduceRegistration(BuiltinOperator::REDUCE_MAX, 3, prepareReduce<K::kMax>, evalReduce<K::kMax>));
  }
  if constexpr (opSelected(BuiltinOperator::REDUCE_MIN)) {
    r.add(reduceRegistration(BuiltinOperator::REDUCE_MIN, 3, prepareReduce<K::kMin>, evalReduce<K::kMin>));
  }
  if constexpr (opSelected(BuiltinOperator::REDUCE_PROD)) {
    r.add(reduceRegistration(BuiltinOperator::REDUCE_PROD, 2, prepareReduce<K::kProd>, evalReduce<K::kProd>));
  }
}

}  // namespace inferd::engine::kernels
