// Reference kernels for reductions along axes: MEAN, SUM, REDUCE_MAX,
// REDUCE_MIN and REDUCE_PROD share one implementation. The axis input may
// hold negative and duplicate axes; keep_dims comes from ReducerOptions.
// Semantics follow TensorFlow Lite's reference kernels: every output element
// accumulates its inputs in row-major order, MEAN of float sums in float and
// of integers in int64 (truncating division), and an empty input yields the
// reduction's initial value (NaN for a float MEAN, 0 for an integer MEAN).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "kernel_util.h"
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
  int scratchId = -1;  // int64 sums of an integer MEAN
};

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

  // Quantized (int8/uint8/int16) reductions rescale and belong to the
  // quantized kernels; float32/int32/int64 are TFLite's plain types.
  if (input->type != ElementType::kFloat32 && input->type != ElementType::kInt32 &&
      input->type != ElementType::kInt64) {
    return ctx.unsupported("input type {} is not supported (FLOAT32, INT32, INT64)",
                           elementTypeName(input->type));
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

  if (st->constantAxis) {
    bool reduced[kMaxReduceRank];
    INFERD_RETURN_IF_ERROR(resolveAxes(ctx, input, axis, reduced));
    st->plan = makePlan(input, reduced);
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, reducedShape(input, reduced, st->keepDims)));
  } else {
    ctx.markOutputDynamic(0);
  }

  if (kind == ReduceKind::kMean && input->type != ElementType::kFloat32) {
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
  if (!st->constantAxis) {
    bool reduced[kMaxReduceRank];
    INFERD_RETURN_IF_ERROR(resolveAxes(ctx, input, axis, reduced));
    dynamicPlan = makePlan(input, reduced);
    plan = &dynamicPlan;
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
  return r;
}

template <ReduceKind kind>
void addReduce(OpResolver& r, fb::BuiltinOperator op, int32_t maxVersion) {
  r.add(reduceRegistration(op, maxVersion, prepareReduce<kind>, evalReduce<kind>));
}

}  // namespace

void registerReduceKernels(OpResolver& r) {
  // Version ranges from TFLite's register.cc; higher versions add the
  // quantized types, which prepare refuses for now.
  addReduce<ReduceKind::kMean>(r, fb::BuiltinOperator::MEAN, 3);
  addReduce<ReduceKind::kSum>(r, fb::BuiltinOperator::SUM, 2);
  addReduce<ReduceKind::kMax>(r, fb::BuiltinOperator::REDUCE_MAX, 3);
  addReduce<ReduceKind::kMin>(r, fb::BuiltinOperator::REDUCE_MIN, 3);
  addReduce<ReduceKind::kProd>(r, fb::BuiltinOperator::REDUCE_PROD, 2);
}

}  // namespace inferd::engine::kernels
