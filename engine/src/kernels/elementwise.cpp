// Binary arithmetic kernels: ADD, SUB, MUL, DIV with numpy broadcasting (up
// to rank 6; equal shapes of any rank) and a fused activation, for FLOAT32,
// INT32 and INT8/UINT8, the latter with TensorFlow Lite's integer
// arithmetic (ADD/SUB: both inputs rescaled to a common scale with 20 bits
// of headroom, summed, rescaled to the output; MUL: the offset-corrected
// product rescaled by s1*s2/s_out; DIV: the offset-corrected dividend times
// a fixed-point reciprocal of the divisor, rescaled by s1/(s2*s_out)).
// A PAD along the last axis that the graph rewrite folded into a FLOAT32
// ADD (graph_fusion.h) is read in place by one loop. FLOAT32 ADD, SUB and MUL
// run through XNNPACK's N-d binary operators when optimized kernels are on
// (threaded, the same IEEE operation per element; XNNPACK's clamp turns a
// NaN result into the activation's lower bound, so DIV, where 0/0 is an
// ordinary input, keeps the reference loop).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "elementwise_util.h"
#include "kernel_util.h"
#include "optimized/cpu_features.h"
#include "optimized/qelementwise.h"
#include "optimized/qgemm.h"
#include "quant_kernel_util.h"
#include "register.h"
#include "xnnpack_util.h"

namespace inferd::engine::kernels {
namespace {

enum class ArithOp { kAdd, kSub, kMul, kDiv };

// Integer parameters of a quantized ADD/SUB/MUL/DIV (TFLite's ArithmeticParams).
struct QuantArith {
  int32_t offsetA = 0, offsetB = 0, offsetOut = 0;  // -zpA, -zpB, +zpOut
  quant::Multiplier multA, multB;                   // ADD/SUB: input rescaling
  quant::Multiplier multOut;
  quant::QuantRange act;
};

// TFLite's left shift that gives 8-bit ADD/SUB inputs headroom before they
// are rescaled to the common scale.
constexpr int kAddLeftShift = 20;

// quant::countLeadingSignBits of an 8-bit DIV dividend (|v| <= 255) is at
// least 23.
constexpr int kMinDivHeadroom = 23;

struct ArithState : KernelState {
  QuantArith q;
  BinaryPlan plan;
  ActivationRange floatRange;
  int32_t intMin = std::numeric_limits<int32_t>::min();
  int32_t intMax = std::numeric_limits<int32_t>::max();
  // XNNPACK path (FLOAT32): the operator, both shapes, and padded copies of
  // constant operands (XNNPACK reads a little past an input's end).
  xnn::Operator xnnOp;
  size_t rankA = 0, rankB = 0;
  size_t shapeA[XNN_MAX_TENSOR_DIMS] = {};
  size_t shapeB[XNN_MAX_TENSOR_DIMS] = {};
  std::vector<float> constA, constB;
  // int8 ADD/SUB/MUL on AVX-512 (optimized/qelementwise.h), chosen at prepare.
  bool fastInt8 = false;
  opt::QBinaryParams fast;
  // A folded PAD (graph_fusion.h): input padInput is [rows, inner] and reads
  // as padded with padBefore / padAfter zeros per row.
  int padInput = -1;
  int64_t rows = 0, inner = 0, padBefore = 0, padAfter = 0;
};

// FLOAT32 ADD with a folded PAD of one operand along the last axis: the
// other operand and the output have the padded shape.
Status preparePaddedAdd(OpContext& ctx, const NodeFusion& f, ArithState* state) {
  const Tensor* x = ctx.input(f.padInput);
  const Tensor* other = ctx.input(1 - f.padInput);
  if (x->type != ElementType::kFloat32 || other->type != ElementType::kFloat32 ||
      ctx.output(0)->type != ElementType::kFloat32 || x->rank() < 1) {
    return ctx.errorMessage(StatusCode::kInternal, "a folded PAD needs FLOAT32 operands");
  }
  Dims padded = x->dims;
  padded.back() += f.padBefore + f.padAfter;
  if (other->dims != padded) {
    return ctx.error("operand shape {} differs from the padded shape {}", dimsToString(other->dims),
                     dimsToString(padded));
  }
  state->padInput = f.padInput;
  state->inner = x->dims.back();
  state->rows = state->inner > 0 ? x->numElements() / state->inner : 0;
  state->padBefore = f.padBefore;
  state->padAfter = f.padAfter;
  return ctx.resizeOutput(0, padded);
}

// out = clamp(pad(x) + other), one row of the last axis at a time (x + 0
// for the padding, so that -0 becomes +0 as with a real PAD).
void evalPaddedAdd(const ArithState& s, const float* x, const float* other, float* out) {
  const float lo = s.floatRange.min, hi = s.floatRange.max;
  auto clamp = [lo, hi](float v) { return std::min(std::max(v, lo), hi); };
  const int64_t width = s.padBefore + s.inner + s.padAfter;
  for (int64_t r = 0; r < s.rows; ++r) {
    const float* xr = x + r * s.inner;
    const float* br = other + r * width;
    float* o = out + r * width;
    for (int64_t c = 0; c < s.padBefore; ++c) o[c] = clamp(br[c] + 0.f);
    for (int64_t c = 0; c < s.inner; ++c) o[s.padBefore + c] = clamp(xr[c] + br[s.padBefore + c]);
    for (int64_t c = s.padBefore + s.inner; c < width; ++c) o[c] = clamp(br[c] + 0.f);
  }
}

using XnnBinarySetup = xnn_status (*)(xnn_operator_t, size_t, const size_t*, size_t, const size_t*,
                                      const float*, const float*, float*, pthreadpool_t);

template <ArithOp Op>
xnn_status createXnnArith(float lo, float hi, xnn_operator_t* op) {
  if constexpr (Op == ArithOp::kAdd) return xnn_create_add_nd_f32(lo, hi, 0, op);
  if constexpr (Op == ArithOp::kSub) return xnn_create_subtract_nd_f32(lo, hi, 0, op);
  return xnn_create_multiply_nd_f32(lo, hi, 0, op);
}

template <ArithOp Op>
constexpr XnnBinarySetup xnnArithSetup() {
  if constexpr (Op == ArithOp::kAdd) return xnn_setup_add_nd_f32;
  if constexpr (Op == ArithOp::kSub) return xnn_setup_subtract_nd_f32;
  return xnn_setup_multiply_nd_f32;
}

// Sets up state->xnnOp for FLOAT32 ADD/SUB/MUL inputs of rank <= 6 with
// elements; otherwise it stays empty and the reference loops run.
template <ArithOp Op>
void prepareXnnArith(const OpContext& ctx, const Tensor* a, const Tensor* b, ArithState* state) {
  if constexpr (Op == ArithOp::kDiv) return;
  if (a->type != ElementType::kFloat32 || !xnn::enabled(ctx)) return;
  if (a->rank() > XNN_MAX_TENSOR_DIMS || b->rank() > XNN_MAX_TENSOR_DIMS) return;
  if (a->numElements() == 0 || b->numElements() == 0) return;
  state->rankA = static_cast<size_t>(a->rank());
  state->rankB = static_cast<size_t>(b->rank());
  for (int i = 0; i < a->rank(); ++i) state->shapeA[i] = static_cast<size_t>(a->dim(i));
  for (int i = 0; i < b->rank(); ++i) state->shapeB[i] = static_cast<size_t>(b->dim(i));
  if (a->isConstant) {
    state->constA = xnn::paddedCopy(a->as<float>(), static_cast<size_t>(a->numElements()));
  }
  if (b->isConstant) {
    state->constB = xnn::paddedCopy(b->as<float>(), static_cast<size_t>(b->numElements()));
  }
  xnn::created(createXnnArith<Op>(state->floatRange.min, state->floatRange.max, state->xnnOp.out()),
               state->xnnOp);
}

fb::ActivationFunctionType fusedActivation(const OpContext& ctx, ArithOp op) {
  // TFLite's defaults when the options table is absent: no activation.
  switch (op) {
    case ArithOp::kAdd:
      if (auto* o = options<fb::AddOptions>(ctx)) return o->fused_activation_function();
      break;
    case ArithOp::kSub:
      if (auto* o = options<fb::SubOptions>(ctx)) return o->fused_activation_function();
      break;
    case ArithOp::kMul:
      if (auto* o = options<fb::MulOptions>(ctx)) return o->fused_activation_function();
      break;
    case ArithOp::kDiv:
      if (auto* o = options<fb::DivOptions>(ctx)) return o->fused_activation_function();
      break;
  }
  return fb::ActivationFunctionType::NONE;
}

// TFLite's prepare for 8-bit ADD/SUB (add.cc, sub.cc), MUL (mul.cc) and DIV
// (div.cc), including its float/double evaluation order of the real
// multipliers.
template <ArithOp Op>
Status prepareQuantArith(const OpContext& ctx, const Tensor* a, const Tensor* b, const Tensor* out,
                         QuantArith* q) {
  TensorQuant qa, qb, qo;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, a, "input 0", &qa));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, b, "input 1", &qb));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, out, "output", &qo));
  q->offsetA = -qa.zeroPoint;
  q->offsetB = -qb.zeroPoint;
  q->offsetOut = qo.zeroPoint;
  if constexpr (Op == ArithOp::kMul) {
    q->multOut = mulOutputMultiplier(qa.scale, qb.scale, qo.scale);
  } else if constexpr (Op == ArithOp::kDiv) {
    const float real = qa.scale / (qb.scale * qo.scale);  // float, as div.cc
    q->multOut = quant::quantizeMultiplier(static_cast<double>(real));
    // The quotient keeps at least 23 bits of headroom (|dividend| <= 255),
    // which the final right shift must cover.
    if (q->multOut.shift > kMinDivHeadroom) {
      return ctx.unsupported("input 0 scale / (input 1 scale * output scale) = {} is too large for the "
                             "fixed-point DIV",
                             real);
    }
  } else {
    const double twiceMax = static_cast<double>(2.f * std::max(qa.scale, qb.scale));
    q->multA = quant::quantizeMultiplier(static_cast<double>(qa.scale) / twiceMax);
    q->multB = quant::quantizeMultiplier(static_cast<double>(qb.scale) / twiceMax);
    const float outScaled = static_cast<float>(1 << kAddLeftShift) * qo.scale;
    q->multOut = quant::quantizeMultiplier(twiceMax / static_cast<double>(outScaled));
  }
  return quantizedActivation(ctx, fusedActivation(ctx, Op), out->type, qo, &q->act);
}

template <ArithOp Op>
void prepareFastInt8(const OpContext& ctx, ElementType type, ArithState* s) {
  if (type != ElementType::kInt8 || !ctx.optimizedKernels() || opt::cpuFeatures().best == opt::Isa::kReference) {
    return;
  }
  const BinaryPlan& plan = s->plan;
  if (plan.mode == BinaryMode::kBroadcast &&
      (plan.ix.strideA[kMaxBroadcastRank - 1] > 1 || plan.ix.strideB[kMaxBroadcastRank - 1] > 1)) {
    return;
  }
  opt::QBinaryParams& p = s->fast;
  p.op = Op == ArithOp::kAdd ? opt::QBinaryOp::kAdd : Op == ArithOp::kSub ? opt::QBinaryOp::kSub : opt::QBinaryOp::kMul;
  p.offsetA = s->q.offsetA;
  p.offsetB = s->q.offsetB;
  p.offsetOut = s->q.offsetOut;
  p.leftShift = kAddLeftShift;
  p.multA = s->q.multA;
  p.multB = s->q.multB;
  p.multOut = s->q.multOut;
  p.lo = s->q.act.min;
  p.hi = s->q.act.max;
  s->fastInt8 = true;
}

// The int8 fast path: runs of the broadcast walk (or the whole flat
// tensor) split over the threads.
void evalFastInt8(OpContext& ctx, const ArithState& s, const int8_t* a, const int8_t* b, int8_t* out) {
  struct Job {
    const ArithState* s;
    const int8_t *a, *b;
    int8_t* out;
    int64_t runs, tasks;
    static void run(void* self, size_t task) {
      const auto& j = *static_cast<const Job*>(self);
      const BinaryPlan& plan = j.s->plan;
      const auto t = static_cast<int64_t>(task);
      const int64_t begin = j.runs * t / j.tasks, end = j.runs * (t + 1) / j.tasks;
      if (plan.mode != BinaryMode::kBroadcast) {
        // Flat: "runs" are blocks of 4096 elements.
        const int64_t sa = plan.mode == BinaryMode::kScalarA ? 0 : 1;
        const int64_t sb = plan.mode == BinaryMode::kScalarB ? 0 : 1;
        const int64_t e0 = begin * 4096, e1 = std::min(end * 4096, plan.size);
        if (e1 > e0) opt::qbinaryInt8(j.s->fast, j.a + e0 * sa, sa, j.b + e0 * sb, sb, j.out + e0, e1 - e0);
        return;
      }
      const BroadcastIndexer& ix = plan.ix;
      constexpr int kInner = kMaxBroadcastRank - 1;
      const int64_t inner = ix.outDims[kInner];
      for (int64_t r = begin; r < end; ++r) {
        int64_t rest = r, offA = 0, offB = 0;
        for (int k = kInner - 1; k >= 0; --k) {
          const int64_t i = rest % ix.outDims[k];
          rest /= ix.outDims[k];
          offA += i * ix.strideA[k];
          offB += i * ix.strideB[k];
        }
        opt::qbinaryInt8(j.s->fast, j.a + offA, ix.strideA[kInner], j.b + offB, ix.strideB[kInner],
                         j.out + r * inner, inner);
      }
    }
  };
  Job job{&s, a, b, out, 0, 1};
  if (s.plan.mode == BinaryMode::kBroadcast) {
    job.runs = 1;
    for (int k = 0; k < kMaxBroadcastRank - 1; ++k) job.runs *= s.plan.ix.outDims[k];
  } else {
    job.runs = (s.plan.size + 4095) / 4096;
  }
  job.tasks = std::max<int64_t>(1, std::min(job.runs, opt::poolThreads(ctx.threadPool())));
  opt::parallelFor(ctx.threadPool(), job.tasks, &Job::run, &job);
}

template <ArithOp Op>
Status prepareArith(OpContext& ctx) {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &a));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &b));
  Tensor* out = ctx.output(0);
  if (a->type != b->type) {
    return ctx.error("inputs have different types: {} and {}", elementTypeName(a->type),
                     elementTypeName(b->type));
  }
  if (out->type != a->type) {
    return ctx.error("output has type {}, inputs have type {}", elementTypeName(out->type),
                     elementTypeName(a->type));
  }
  const bool quantized = isQuantized8(a->type);
  if (a->type != ElementType::kFloat32 && a->type != ElementType::kInt32 && !quantized) {
    return ctx.unsupported("type {} is not supported (FLOAT32, INT32, INT8 and UINT8 are)",
                           elementTypeName(a->type));
  }

  auto state = std::make_unique<ArithState>();
  if (quantized) INFERD_RETURN_IF_ERROR(prepareQuantArith<Op>(ctx, a, b, out, &state->q));
  INFERD_RETURN_IF_ERROR(activationRange(ctx, fusedActivation(ctx, Op), &state->floatRange));
  // TFLite's integer activation range: the float range clipped to int32.
  if (state->floatRange.min > -std::numeric_limits<float>::infinity()) {
    state->intMin = static_cast<int32_t>(state->floatRange.min);
  }
  if (state->floatRange.max < std::numeric_limits<float>::infinity()) {
    state->intMax = static_cast<int32_t>(state->floatRange.max);
  }

  if (const NodeFusion* f = ctx.fusion(); Op == ArithOp::kAdd && f != nullptr && f->padInput >= 0) {
    INFERD_RETURN_IF_ERROR(preparePaddedAdd(ctx, *f, state.get()));
    ctx.setState(std::move(state));
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(planBinary(ctx, a->dims, b->dims, &outDims, &state->plan));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  prepareXnnArith<Op>(ctx, a, b, state.get());
  if constexpr (Op != ArithOp::kDiv) prepareFastInt8<Op>(ctx, a->type, state.get());
  if (state->fastInt8) ctx.setKernelVariant(opt::cpuFeatures().best == opt::Isa::kAvx512Vnni ? "avx512" : "avx2");
  ctx.setState(std::move(state));
  return Status::ok();
}

template <ArithOp Op>
void evalFloat(const ArithState& s, const float* a, const float* b, float* out) {
  const float lo = s.floatRange.min;
  const float hi = s.floatRange.max;
  // Same clamp as TFLite's ActivationFunctionWithMinMax (NaN passes through).
  auto clamp = [lo, hi](float x) { return std::min(std::max(x, lo), hi); };
  if constexpr (Op == ArithOp::kAdd) {
    runBinary(s.plan, a, b, out, [&](float x, float y) { return clamp(x + y); });
  } else if constexpr (Op == ArithOp::kSub) {
    runBinary(s.plan, a, b, out, [&](float x, float y) { return clamp(x - y); });
  } else if constexpr (Op == ArithOp::kMul) {
    runBinary(s.plan, a, b, out, [&](float x, float y) { return clamp(x * y); });
  } else {
    // Division by zero gives IEEE inf/nan, as in TFLite's float DIV.
    runBinary(s.plan, a, b, out, [&](float x, float y) { return clamp(x / y); });
  }
}

template <ArithOp Op>
void evalInt32(const ArithState& s, const int32_t* a, const int32_t* b, int32_t* out) {
  const int32_t lo = s.intMin;
  const int32_t hi = s.intMax;
  auto clamp = [lo, hi](int32_t x) { return std::min(std::max(x, lo), hi); };
  // Overflow wraps (two's complement) instead of being undefined behaviour.
  auto wrap = [](uint32_t x) { return static_cast<int32_t>(x); };
  if constexpr (Op == ArithOp::kAdd) {
    runBinary(s.plan, a, b, out, [&](int32_t x, int32_t y) {
      return clamp(wrap(static_cast<uint32_t>(x) + static_cast<uint32_t>(y)));
    });
  } else if constexpr (Op == ArithOp::kSub) {
    runBinary(s.plan, a, b, out, [&](int32_t x, int32_t y) {
      return clamp(wrap(static_cast<uint32_t>(x) - static_cast<uint32_t>(y)));
    });
  } else if constexpr (Op == ArithOp::kMul) {
    runBinary(s.plan, a, b, out, [&](int32_t x, int32_t y) {
      return clamp(wrap(static_cast<uint32_t>(x) * static_cast<uint32_t>(y)));
    });
  } else {
    // C++ division truncates toward zero, as TFLite's int32 DIV. INT32_MIN / -1
    // traps on x86; give the wrapped result (what ARM's sdiv returns) instead.
    runBinary(s.plan, a, b, out, [&](int32_t x, int32_t y) {
      if (y == -1) return clamp(wrap(0u - static_cast<uint32_t>(x)));
      return clamp(x / y);
    });
  }
}

template <ArithOp Op, typename T>
void evalQuant(const ArithState& s, const T* a, const T* b, T* out) {
  const QuantArith q = s.q;
  auto finish = [&q](int32_t raw) {
    const int32_t v = quant::multiplyByQuantizedMultiplier(raw, q.multOut) + q.offsetOut;
    return static_cast<T>(std::min(std::max(v, q.act.min), q.act.max));
  };
  if constexpr (Op == ArithOp::kMul) {
    runBinary(s.plan, a, b, out, [&](T x, T y) {
      return finish((q.offsetA + x) * (q.offsetB + y));
    });
  } else if constexpr (Op == ArithOp::kDiv) {
    // TFLite's DivElementwise: the divisor made positive, the dividend
    // shifted up by its headroom and multiplied by the divisor's reciprocal,
    // then everything shifted back out with the output multiplier.
    runBinary(s.plan, a, b, out, [&](T x, T y) {
      int32_t dividend = q.offsetA + x;
      int32_t divisor = q.offsetB + y;  // != 0, checked in eval
      if (divisor < 0) {
        dividend = -dividend;
        divisor = -divisor;
      }
      const quant::Reciprocal inv = quant::reciprocal(divisor);
      const int headroom = quant::countLeadingSignBits(dividend);
      const auto shifted = static_cast<int32_t>(static_cast<uint32_t>(dividend) << headroom);
      const int32_t quotient = quant::saturatingRoundingDoublingHighMul(shifted, inv.value);
      // >= 0 (see prepare); 32 or more for small dividends.
      const int rightShift = headroom + inv.bitsOverUnit - q.multOut.shift;
      const int32_t scaled = quant::saturatingRoundingDoublingHighMul(quotient, q.multOut.value);
      const int32_t v = quant::roundingDivideByPOTWide(scaled, rightShift) + q.offsetOut;
      return static_cast<T>(std::min(std::max(v, q.act.min), q.act.max));
    });
  } else {
    // |offset + x| <= 255, so the shifted values stay below 2^28.
    auto scaleA = [&q](T x) {
      return quant::multiplyByQuantizedMultiplier((q.offsetA + x) * (1 << kAddLeftShift), q.multA);
    };
    auto scaleB = [&q](T y) {
      return quant::multiplyByQuantizedMultiplier((q.offsetB + y) * (1 << kAddLeftShift), q.multB);
    };
    if constexpr (Op == ArithOp::kAdd) {
      runBinary(s.plan, a, b, out, [&](T x, T y) { return finish(scaleA(x) + scaleB(y)); });
    } else {
      runBinary(s.plan, a, b, out, [&](T x, T y) { return finish(scaleA(x) - scaleB(y)); });
    }
  }
}

// TFLite rejects a quantized divisor equal to its zero point (a real zero).
template <typename T>
Status checkQuantDivisor(const OpContext& ctx, const T* divisor, int64_t n, const ArithState& s) {
  for (int64_t i = 0; i < n; ++i) {
    if (divisor[i] + s.q.offsetB == 0) {
      return ctx.error("division by zero: divisor element {} equals its zero point {}", i, -s.q.offsetB);
    }
  }
  return Status::ok();
}

// Up to this many elements a flat float ADD/SUB/MUL runs the engine's own
// loop rather than XNNPACK (whose per-call setup dominates small ops).
constexpr int64_t kSmallFloatElementwise = 1024;

template <ArithOp Op>
Status evalArith(OpContext& ctx) {
  const ArithState& s = *ctx.state<ArithState>();
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  Tensor* out = ctx.output(0);
  if (s.padInput >= 0) {
    evalPaddedAdd(s, ctx.input(s.padInput)->as<float>(), ctx.input(1 - s.padInput)->as<float>(),
                  out->as<float>());
    return Status::ok();
  }
  if constexpr (Op != ArithOp::kDiv) {
    // Small flat tensors (an LSTM's gate vectors): XNNPACK's setup costs
    // more than the loop below, which computes the same IEEE results.
    const bool small = out->numElements() <= kSmallFloatElementwise && s.plan.mode != BinaryMode::kBroadcast;
    if (s.xnnOp && !small) {
      const float* pa = s.constA.empty() ? a->as<float>() : s.constA.data();
      const float* pb = s.constB.empty() ? b->as<float>() : s.constB.data();
      // Memory traffic more than arithmetic: weigh each element twice.
      const pthreadpool_t pool = xnn::threadPoolFor(ctx, 2 * out->numElements());
      INFERD_RETURN_IF_ERROR(
          xnn::check(ctx,
                     xnnArithSetup<Op>()(s.xnnOp.get(), s.rankA, s.shapeA, s.rankB, s.shapeB, pa,
                                         pb, out->as<float>(), pool),
                     "binary setup"));
      return xnn::run(ctx, s.xnnOp, pool);
    }
  }
  switch (out->type) {
    case ElementType::kFloat32:
      evalFloat<Op>(s, a->as<float>(), b->as<float>(), out->as<float>());
      return Status::ok();
    case ElementType::kInt32: {
      if constexpr (Op == ArithOp::kDiv) {
        // TFLite rejects a zero divisor for integer DIV; so do we, before
        // touching the output.
        const int32_t* divisor = b->as<int32_t>();
        const int64_t n = b->numElements();
        for (int64_t i = 0; i < n; ++i) {
          if (divisor[i] == 0) return ctx.error("integer division by zero (divisor element {})", i);
        }
      }
      evalInt32<Op>(s, a->as<int32_t>(), b->as<int32_t>(), out->as<int32_t>());
      return Status::ok();
    }
    case ElementType::kInt8:
    case ElementType::kUInt8:
      return dispatchQuantized8(out->type, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (Op == ArithOp::kDiv) INFERD_RETURN_IF_ERROR(checkQuantDivisor(ctx, b->as<T>(), b->numElements(), s));
        if constexpr (std::is_same_v<T, int8_t>) {
          if (s.fastInt8) {
            evalFastInt8(ctx, s, a->as<int8_t>(), b->as<int8_t>(), out->as<int8_t>());
            return Status::ok();
          }
        }
        evalQuant<Op>(s, a->as<T>(), b->as<T>(), out->as<T>());
        return Status::ok();
      });
    default:
      break;
  }
  return ctx.unsupported("type {} is not supported", elementTypeName(out->type));
}

template <ArithOp Op>
KernelRegistration arithRegistration(fb::BuiltinOperator code, int32_t maxVersion) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(code);
  r.minVersion = 1;
  r.maxVersion = maxVersion;
  r.minInputs = 2;
  r.maxInputs = 2;
  r.minOutputs = 1;
  r.maxOutputs = 1;
  r.prepare = prepareArith<Op>;
  r.eval = evalArith<Op>;
  r.types = {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt8, ElementType::kUInt8};
  return r;
}

}  // namespace

void registerElementwiseKernels(OpResolver& r) {
  // Version ranges from TFLite's register.cc; types a version may carry that
  // we do not handle (INT16, INT64) are rejected in prepare.
  if constexpr (opSelected(fb::BuiltinOperator::ADD)) {
    r.add(arithRegistration<ArithOp::kAdd>(fb::BuiltinOperator::ADD, 5));
  }
  if constexpr (opSelected(fb::BuiltinOperator::SUB)) {
    r.add(arithRegistration<ArithOp::kSub>(fb::BuiltinOperator::SUB, 5));
  }
  if constexpr (opSelected(fb::BuiltinOperator::MUL)) {
    r.add(arithRegistration<ArithOp::kMul>(fb::BuiltinOperator::MUL, 7));
  }
  if constexpr (opSelected(fb::BuiltinOperator::DIV)) {
    r.add(arithRegistration<ArithOp::kDiv>(fb::BuiltinOperator::DIV, 2));
  }
}

}  // namespace inferd::engine::kernels
