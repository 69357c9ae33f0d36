// Activation kernels: SOFTMAX (beta, last axis), LOGISTIC, TANH, RELU, RELU6,
// RELU_N1_TO_1, LEAKY_RELU, PRELU (alpha broadcast against the input) and
// HARD_SWISH, for FLOAT32. Formulas follow TFLite's float reference kernels
// so results agree bit for bit where the math library does. With optimized
// kernels on, LOGISTIC, HARD_SWISH and the RELU family run through XNNPACK
// (its sigmoid is a polynomial within a few ulp of the std::exp formula and
// flushes results below ~1e-38 to zero; its clamps may turn a NaN into the
// lower bound instead of passing it through).
//
// INT8/UINT8 (per-tensor quantized) versions follow TensorFlow Lite's
// builtin kernels byte for byte: the element-wise ones (RELU family,
// LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH) map each of the 256 input values
// through a table built in prepare (LOGISTIC and TANH with TFLite's float
// LUTPopulate, the others by running TFLite's integer formula on every input
// value); SOFTMAX uses TFLite's float exp table over quantized differences;
// PRELU requantizes with TFLite's two multipliers.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "elementwise_util.h"
#include "kernel_util.h"
#include "quant_kernel_util.h"
#include "optimized/float_builtin.h"
#include "register.h"
#include "simd/dispatch.h"
#include "simd/elementwise_f32.h"
#include "xnnpack_util.h"

namespace inferd::engine::kernels {
namespace {

// Checks the single FLOAT32 input and output and gives the output the
// input's shape.
Status prepareUnaryFloat(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkType(ctx, in, ElementType::kFloat32, "input"));
  INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), ElementType::kFloat32, "output"));
  return ctx.resizeOutput(0, in->dims);
}

// The variant name of the builtin-order float paths.
const char* builtinOrderVariant(const OpContext& ctx) {
  if (!ctx.optimizedKernels()) return "builtin-order";
  switch (opt::cpuFeatures().best) {
    case opt::Isa::kAvx512Vnni: return "avx512-builtin-order";
    case opt::Isa::kAvx2: return "avx2-builtin-order";
    default: return "builtin-order";
  }
}

// --- XNNPACK unary operators (the whole tensor as one flat row) ---

enum class XnnUnary { kSigmoid, kHardSwish, kClamp };

struct XnnUnaryState : KernelState {
  xnn::Operator op;
  XnnUnary kind = XnnUnary::kClamp;
};

// Prepares the FLOAT32 input/output and, when XNNPACK can run it, an
// operator in the node's state; eval without that state runs the reference.
Status prepareXnnUnary(OpContext& ctx, XnnUnary kind, float lo = 0.f, float hi = 0.f) {
  INFERD_RETURN_IF_ERROR(prepareUnaryFloat(ctx));
  const Tensor* in = ctx.input(0);
  if (!xnn::enabled(ctx) || in->isConstant || in->numElements() == 0) return Status::ok();
  auto st = std::make_unique<XnnUnaryState>();
  st->kind = kind;
  xnn_status status = xnn_status_uninitialized;
  switch (kind) {
    case XnnUnary::kSigmoid:
      status = xnn_create_sigmoid_nc_f32(1, 1, 1, 0, st->op.out());
      break;
    case XnnUnary::kHardSwish:
      status = xnn_create_hardswish_nc_f32(1, 1, 1, 0, st->op.out());
      break;
    case XnnUnary::kClamp:
      status = xnn_create_clamp_nc_f32(1, 1, 1, lo, hi, 0, st->op.out());
      break;
  }
  if (xnn::created(status, st->op)) ctx.setState(std::move(st));
  return Status::ok();
}

// Runs the node's XNNPACK operator; false when the node has none.
bool runXnnUnary(OpContext& ctx, Status* result) {
  const auto* st = ctx.state<XnnUnaryState>();
  if (st == nullptr) return false;
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  const auto n = static_cast<size_t>(in->numElements());
  // Sigmoid evaluates a polynomial per element; clamps are pure memory traffic.
  const pthreadpool_t pool =
      xnn::threadPoolFor(ctx, in->numElements() * (st->kind == XnnUnary::kClamp ? 2 : 8));
  xnn_status status = xnn_status_uninitialized;
  switch (st->kind) {
    case XnnUnary::kSigmoid:
      status = xnn_setup_sigmoid_nc_f32(st->op.get(), n, in->as<float>(), out->as<float>(),
                                        pool);
      break;
    case XnnUnary::kHardSwish:
      status = xnn_setup_hardswish_nc_f32(st->op.get(), n, in->as<float>(), out->as<float>(),
                                          pool);
      break;
    case XnnUnary::kClamp:
      status = xnn_setup_clamp_nc_f32(st->op.get(), n, in->as<float>(), out->as<float>(),
                                      pool);
      break;
  }
  *result = xnn::check(ctx, status, "unary setup");
  if (result->isOk()) *result = xnn::run(ctx, st->op, pool);
  return true;
}


// --- 8-bit quantized element-wise activations: one table lookup ---

// RELU, RELU6, RELU_N1_TO_1 (TFLite's QuantizedReluX): rescale to the
// output, then clamp to the activation's quantized bounds.
Status prepareQuantRelu(OpContext& ctx, float lo, float hi) {
  TensorQuant in, out;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &in, &out));
  const ElementType type = ctx.input(0)->type;
  const quant::Multiplier m = quant::quantizeMultiplier(static_cast<double>(in.scale / out.scale));
  const quant::QuantRange r = quant::activationRangeQuantized(
      lo, hi, out.scale, out.zeroPoint, type == ElementType::kInt8 ? -128 : 0,
      type == ElementType::kInt8 ? 127 : 255);
  auto st = std::make_unique<QuantTableState>();
  fillTable(type, st.get(), [&](int32_t q) {
    const int32_t v = out.zeroPoint + quant::multiplyByQuantizedMultiplier(q - in.zeroPoint, m);
    return std::min(std::max(v, r.min), r.max);
  });
  setTableState(ctx, std::move(st));
  return Status::ok();
}

// LOGISTIC and TANH: TFLite's float lookup table. LOGISTIC requires the
// output scale 1/256 as TFLite does.
template <typename F>
Status prepareQuantLut(OpContext& ctx, F f, bool logistic) {
  TensorQuant in, out;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &in, &out));
  if (logistic && static_cast<double>(out.scale) != 1. / 256) {
    return ctx.error("quantized output must have scale 1/256, has {}", out.scale);
  }
  auto st = std::make_unique<QuantTableState>();
  populateTable(ctx.input(0)->type, in, out, f, st.get());
  setTableState(ctx, std::move(st));
  return Status::ok();
}

// HARD_SWISH: TFLite's 16-bit fixed-point algorithm (reference_ops::HardSwish).
Status prepareQuantHardSwish(OpContext& ctx) {
  TensorQuant in, out;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &in, &out));
  const float hiresInputScale = (1.0f / 128.0f) * in.scale;
  const float reluishScale = 3.0f / 32768.0f;
  const quant::Multiplier outM =
      quant::quantizeMultiplier(static_cast<double>(hiresInputScale / out.scale));
  if (outM.shift > 0) {
    return ctx.unsupported("input scale {} / output scale {} is too large for the fixed-point "
                           "HARD_SWISH (TFLite requires the ratio below 128)",
                           in.scale, out.scale);
  }
  const quant::Multiplier reluM =
      quant::quantizeMultiplier(static_cast<double>(hiresInputScale / reluishScale));
  const int16_t outM16 = quant::downScaleMultiplierTo16(outM.value);
  const int16_t reluM16 = quant::downScaleMultiplierTo16(reluM.value);
  auto st = std::make_unique<QuantTableState>();
  fillTable(ctx.input(0)->type, st.get(), [&](int32_t q) {
    const auto x = static_cast<int16_t>(q - in.zeroPoint);
    const auto hires = static_cast<int16_t>(x * (1 << 7));  // |x| <= 255 fits
    const int16_t preshiftOut = quant::saturatingRoundingDoublingHighMul16(hires, outM16);
    // The "relu-ish" factor: x rescaled so that 3.0 maps to 32768, saturated,
    // then moved from [-1, 1] to [0, 1].
    int16_t reluish = hires;
    if (reluM.shift > 0) reluish = quant::saturatingLeftShift16(reluish, reluM.shift - 1);
    reluish = quant::saturatingRoundingDoublingHighMul16(reluish, reluM16);
    if (reluM.shift > 0) reluish = quant::saturatingLeftShift16(reluish, 1);
    if (reluM.shift < 0) reluish = quant::roundingDivideByPOT16(reluish, -reluM.shift);
    reluish = static_cast<int16_t>((reluish + (1 << 15)) >> 1);
    const int16_t preshift = quant::saturatingDoublingHighMul16(reluish, preshiftOut);
    return quant::roundingDivideByPOT16(preshift, -outM.shift) + out.zeroPoint;
  });
  setTableState(ctx, std::move(st));
  return Status::ok();
}

// LEAKY_RELU: TFLite's QuantizeLeakyRelu, one multiplier per sign.
Status prepareQuantLeakyRelu(OpContext& ctx, float alpha) {
  TensorQuant in, out;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &in, &out));
  const quant::Multiplier identity = quant::quantizeMultiplier(static_cast<double>(in.scale / out.scale));
  const quant::Multiplier negative =
      quant::quantizeMultiplier(static_cast<double>(in.scale * alpha / out.scale));
  auto st = std::make_unique<QuantTableState>();
  fillTable(ctx.input(0)->type, st.get(), [&](int32_t q) {
    const int32_t x = q - in.zeroPoint;
    return out.zeroPoint + quant::multiplyByQuantizedMultiplier(x, x >= 0 ? identity : negative);
  });
  setTableState(ctx, std::move(st));
  return Status::ok();
}

// Eval of the ops above: the table for 8-bit inputs, `floatEval` otherwise.
template <KernelFn floatEval>
Status evalOrTable(OpContext& ctx) {
  if (quantizedInput(ctx)) return evalQuantTable(ctx);
  return floatEval(ctx);
}

constexpr float kInf = std::numeric_limits<float>::infinity();

// The clamp ops: quantized table or XNNPACK/reference float.
Status prepareClamp(OpContext& ctx, float lo, float hi) {
  if (quantizedInput(ctx)) return prepareQuantRelu(ctx, lo, hi);
  return prepareXnnUnary(ctx, XnnUnary::kClamp, lo, hi);
}

Status prepareRelu(OpContext& ctx) { return prepareClamp(ctx, 0.f, kInf); }
Status prepareRelu6(OpContext& ctx) { return prepareClamp(ctx, 0.f, 6.f); }
Status prepareReluN1To1(OpContext& ctx) { return prepareClamp(ctx, -1.f, 1.f); }
Status prepareLogistic(OpContext& ctx) {
  if (quantizedInput(ctx)) {
    return prepareQuantLut(ctx, [](float x) { return 1.0f / (1.0f + std::exp(-x)); }, true);
  }
  if (ctx.reproducibleFloat()) {  // builtin order, not XNNPACK (evalLogistic)
    ctx.setKernelVariant(builtinOrderVariant(ctx));
    return prepareUnaryFloat(ctx);
  }
  return prepareXnnUnary(ctx, XnnUnary::kSigmoid);
}
Status prepareTanh(OpContext& ctx) {
  if (quantizedInput(ctx)) return prepareQuantLut(ctx, [](float x) { return std::tanh(x); }, false);
  return prepareUnaryFloat(ctx);
}
Status prepareHardSwish(OpContext& ctx) {
  if (quantizedInput(ctx)) return prepareQuantHardSwish(ctx);
  if (ctx.reproducibleFloat()) {  // builtin order, not XNNPACK
    ctx.setKernelVariant("builtin-order");
    return prepareUnaryFloat(ctx);
  }
  return prepareXnnUnary(ctx, XnnUnary::kHardSwish);
}

// Applies f to every element.
template <typename F>
Status evalUnary(OpContext& ctx, F f) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  const float* x = in->as<float>();
  float* y = out->as<float>();
  const int64_t n = in->numElements();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  return Status::ok();
}

// For ops prepared by prepareXnnUnary: XNNPACK when prepared, else f.
template <typename F>
Status evalUnaryOrXnn(OpContext& ctx, F f) {
  Status viaXnn;
  if (runXnnUnary(ctx, &viaXnn)) return viaXnn;
  return evalUnary(ctx, f);
}

Status evalRelu(OpContext& ctx) {
  return evalUnaryOrXnn(ctx, [](float x) { return x < 0.f ? 0.f : x; });
}

Status evalRelu6(OpContext& ctx) {
  return evalUnaryOrXnn(ctx, [](float x) { return std::min(std::max(0.f, x), 6.f); });
}

Status evalReluN1To1(OpContext& ctx) {
  return evalUnaryOrXnn(ctx, [](float x) { return std::min(std::max(-1.f, x), 1.f); });
}

Status evalTanh(OpContext& ctx) {
  // Vectorized (simd::tanhF32) except in dynamic-range models, whose float
  // ops keep the reference's arithmetic.
  const Tensor* in = ctx.input(0);
  if (ctx.optimizedKernels() && !ctx.reproducibleFloat() &&
      simd::tanhF32(in->as<float>(), ctx.output(0)->as<float>(), in->numElements())) {
    return Status::ok();
  }
  return evalUnary(ctx, [](float x) { return std::tanh(x); });
}

// The logistic function as TFLite's builtin (optimized) LOGISTIC computes
// it: Eigen's float logistic on x86 without FMA. exp(x) is computed as
// exp(x/2)^2, exp(x/2) = 2^m * exp(r) with r from a two-part ln 2 (Cephes)
// and exp(r) from a degree-5 polynomial in even/odd halves; then
// e / (1 + e). Every step is one float operation in this order, so the
// result matches LiteRT bit for bit (used where OpContext::reproducibleFloat
// asks for that).
float logisticBuiltinOrder(float v) {
  if (std::isnan(v)) return v;
  if (v < -104.f) return 0.f;
  const float x = std::min(v, 16.6355324f) * 0.5f;
  const float t = x * 1.44269504088896341f;
  const float m = std::floor(t + 0.5f);
  const float mc1 = m * -0.693359375f;
  float r = mc1 + x;
  const float mc2 = m * 2.12194440e-4f;
  r = mc2 + r;
  const float r2 = r * r;
  const float evenTerm = r2 * 4.1898667812347412109375e-2f;
  const float pEven = evenTerm + 0.49999141693115234375f;
  const float oddTerm = r2 * 8.33471305668354034423828125e-3f;
  const float pOdd = oddTerm + 0.16666877269744873046875f;
  const float pLow = r + 1.f;
  const float rOdd = r * pOdd;
  float p = rOdd + pEven;
  const float r2p = r2 * p;
  p = r2p + pLow;
  float e = std::ldexp(p, static_cast<int>(m));
  e = e * e;
  return e / (1.f + e);
}

// Eigen's scalar version, which LiteRT's LOGISTIC applies to the last
// n mod 4 elements (past the last whole 4-float packet).
float logisticBuiltinTail(float v) {
  const float e = std::exp(std::min(v, 16.6355324f));
  return e / (1.f + e);
}

// LOGISTIC in the builtin order (times x for a SWISH node): whole 4-float
// packets through Eigen's vector formula, the last n mod 4 elements through
// its scalar one; chunks of 16-float blocks over the threads.
void logisticBuiltin(const OpContext& ctx, const float* x, float* y, int64_t n, bool swish) {
  struct Job {
    const float* x;
    float* y;
    int64_t packed, tasks;
    bool vector, swish;  // vector: opt::logisticBuiltinOrder (AVX-512 or AVX2)
    static void run(void* self, size_t task) {
      const auto& j = *static_cast<const Job*>(self);
      const auto t = static_cast<int64_t>(task);
      const int64_t blocks = (j.packed + 15) / 16;
      const int64_t i0 = blocks * t / j.tasks * 16, i1 = std::min(blocks * (t + 1) / j.tasks * 16, j.packed);
      if (i1 <= i0) return;
      if (j.vector) {
        (j.swish ? opt::swishBuiltinOrder : opt::logisticBuiltinOrder)(j.x + i0, j.y + i0, i1 - i0);
        return;
      }
      for (int64_t i = i0; i < i1; ++i) {
        const float v = j.x[i];
        j.y[i] = j.swish ? v * logisticBuiltinOrder(v) : logisticBuiltinOrder(v);
      }
    }
  };
  const int64_t packed = n & ~int64_t{3};
  const pthreadpool_t pool = xnn::threadPoolFor(ctx, 20 * n);  // ~20 float operations an element
  Job job{x, y, packed, 1, ctx.optimizedKernels() && opt::cpuFeatures().best != opt::Isa::kReference, swish};
  job.tasks = std::max<int64_t>(1, std::min(opt::poolThreads(pool), (packed + 15) / 16));
  opt::parallelFor(pool, job.tasks, &Job::run, &job);
  for (int64_t i = packed; i < n; ++i) {
    const float v = x[i];
    y[i] = swish ? v * logisticBuiltinTail(v) : logisticBuiltinTail(v);
  }
}

Status evalLogistic(OpContext& ctx) {
  if (ctx.reproducibleFloat()) {
    logisticBuiltin(ctx, ctx.input(0)->as<float>(), ctx.output(0)->as<float>(), ctx.input(0)->numElements(),
                    false);
    return Status::ok();
  }
  // TFLite's reference cut-offs: above the upper one 1/(1+e^-x) rounds to 1
  // in float; below the lower one it equals e^x to float precision. They also
  // keep exp() from overflowing.
  constexpr float kCutoffUpper = 16.619047164916992188f;
  constexpr float kCutoffLower = -9.f;
  // Small tensors (an LSTM's gates): the vector loop, cheaper than
  // XNNPACK's per-call setup.
  const Tensor* in = ctx.input(0);
  if (ctx.optimizedKernels() && in->numElements() <= 1024 &&
      simd::sigmoidF32(in->as<float>(), ctx.output(0)->as<float>(), in->numElements())) {
    return Status::ok();
  }
  return evalUnaryOrXnn(ctx, [](float x) {
    if (x > kCutoffUpper) return 1.f;
    if (x < kCutoffLower) return std::exp(x);
    return 1.f / (1.f + std::exp(-x));
  });
}

float hardSwishReference(float x) { return x * std::min(6.f, std::max(0.f, x + 3.f)) / 6.f; }

Status evalHardSwish(OpContext& ctx) {
  if (ctx.reproducibleFloat()) {
    // TFLite's builtin kernel: whole 4-float vectors as (x * (1/6)) *
    // relu6(x + 3), the last n mod 4 elements as (x * relu6(x + 3)) * (1/6).
    const float* x = ctx.input(0)->as<float>();
    float* y = ctx.output(0)->as<float>();
    const int64_t n = ctx.input(0)->numElements();
    const int64_t packed = n & ~int64_t{3};
    constexpr float kOneSixth = 1.f / 6.f;
    for (int64_t i = 0; i < packed; ++i) {
      const float scaled = x[i] * kOneSixth;
      y[i] = scaled * std::min(6.f, std::max(0.f, x[i] + 3.f));
    }
    for (int64_t i = packed; i < n; ++i) {
      const float product = x[i] * std::min(6.f, std::max(0.f, x[i] + 3.f));
      y[i] = product * kOneSixth;
    }
    return Status::ok();
  }
  return evalUnaryOrXnn(ctx, hardSwishReference);
}

// --- LEAKY_RELU ---

struct LeakyReluState : KernelState {
  float alpha = 0.f;
};

Status prepareLeakyRelu(OpContext& ctx) {
  // Without options TFLite's alpha is 0 (its zero-initialized params).
  float alpha = 0.f;
  if (auto* o = options<fb::LeakyReluOptions>(ctx)) alpha = o->alpha();
  if (quantizedInput(ctx)) return prepareQuantLeakyRelu(ctx, alpha);
  INFERD_RETURN_IF_ERROR(prepareUnaryFloat(ctx));
  auto state = std::make_unique<LeakyReluState>();
  state->alpha = alpha;
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalLeakyRelu(OpContext& ctx) {
  const float alpha = ctx.state<LeakyReluState>()->alpha;
  return evalUnary(ctx, [alpha](float x) { return x > 0.f ? x : x * alpha; });
}

// --- SOFTMAX ---

struct SoftmaxState : KernelState {
  float beta = 0.f;
  int64_t outer = 0;  // rows
  int64_t depth = 0;  // elements along the last axis
  // 8-bit: expTable[255 - d] = exp(-input_scale * beta * d) for the distance
  // d = max - q of a value to its row maximum (TFLite's
  // PopulateSoftmaxLookupTable), and the output quantization.
  float expTable[256] = {};
  TensorQuant out;
};

// TFLite's 8-bit softmax parameters. An INT8 output must be quantized with
// scale 1/256 and zero point -128 (TFLite's rule); UINT8 takes any.
Status prepareQuantSoftmax(OpContext& ctx, SoftmaxState* st) {
  TensorQuant in;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &in, &st->out));
  if (ctx.output(0)->type == ElementType::kInt8 &&
      (st->out.zeroPoint != -128 || std::fabs(st->out.scale - 1.f / 256) > 0.001f * 1.f / 256)) {
    return ctx.error("INT8 output must have scale 1/256 and zero point -128, has scale {} and zero "
                     "point {}",
                     st->out.scale, st->out.zeroPoint);
  }
  quant::populateSoftmaxExpTable(in.scale, st->beta, st->expTable);
  return Status::ok();
}

Status prepareSoftmax(OpContext& ctx) {
  auto state = std::make_unique<SoftmaxState>();
  // Without options TFLite's beta is 0 (its zero-initialized params).
  if (auto* o = options<fb::SoftmaxOptions>(ctx)) state->beta = o->beta();
  if (quantizedInput(ctx)) {
    INFERD_RETURN_IF_ERROR(prepareQuantSoftmax(ctx, state.get()));
  } else {
    INFERD_RETURN_IF_ERROR(prepareUnaryFloat(ctx));
  }
  const Tensor* in = ctx.input(0);
  if (in->rank() < 1) {
    return ctx.error("input must have rank 1 or more, has shape {}", dimsToString(in->dims));
  }
  state->depth = in->dim(in->rank() - 1);
  state->outer = state->depth == 0 ? 0 : in->numElements() / state->depth;
  ctx.setState(std::move(state));
  return Status::ok();
}

// TFLite's optimized_ops::Softmax for 8-bit types: exp of the quantized
// distance to the row maximum from the table, summed in float, each
// probability scaled by 1 / (sum * output_scale) and rounded (UINT8: +0.5
// and truncation, as TFLite's x86 build does).
template <typename T>
void evalQuantSoftmax(const SoftmaxState& s, const T* x, T* y) {
  for (int64_t r = 0; r < s.outer; ++r) {
    const T* xr = x + r * s.depth;
    T* yr = y + r * s.depth;
    int32_t maxValue = quant::qmin<T>();
    for (int64_t c = 0; c < s.depth; ++c) maxValue = std::max(maxValue, static_cast<int32_t>(xr[c]));
    const float* table = s.expTable + (255 - maxValue);  // table[q] = exp(-(max - q) * scale * beta)
    float sum = 0.f;
    for (int64_t c = 0; c < s.depth; ++c) sum += table[xr[c]];
    const float inverse = 1.0f / (sum * s.out.scale);
    for (int64_t c = 0; c < s.depth; ++c) {
      const float p = table[xr[c]] * inverse;
      int32_t q;
      if constexpr (std::is_same_v<T, uint8_t>) {
        q = static_cast<int32_t>(p + 0.5f) + s.out.zeroPoint;
      } else {
        q = static_cast<int32_t>(std::round(p)) + s.out.zeroPoint;
      }
      yr[c] = static_cast<T>(std::clamp(q, quant::qmin<T>(), quant::qmax<T>()));
    }
  }
}

Status evalSoftmax(OpContext& ctx) {
  const SoftmaxState& s = *ctx.state<SoftmaxState>();
  if (quantizedInput(ctx)) {
    dispatchQuantized8(ctx.input(0)->type, [&](auto tag) {
      using T = decltype(tag);
      evalQuantSoftmax<T>(s, ctx.input(0)->as<T>(), ctx.output(0)->as<T>());
    });
    return Status::ok();
  }
  const float* x = ctx.input(0)->as<float>();
  float* y = ctx.output(0)->as<float>();
  // Vectorized (simd::softmaxF32), except in dynamic-range models, whose
  // float ops keep the reference's arithmetic.
  if (ctx.optimizedKernels() && !ctx.reproducibleFloat() && simd::softmaxF32(x, y, s.outer, s.depth, s.beta)) {
    return Status::ok();
  }
  for (int64_t r = 0; r < s.outer; ++r) {
    const float* xr = x + r * s.depth;
    float* yr = y + r * s.depth;
    // Subtracting the row maximum keeps exp() from overflowing; the ratio is
    // unchanged.
    float maxValue = std::numeric_limits<float>::lowest();
    for (int64_t c = 0; c < s.depth; ++c) maxValue = std::max(maxValue, xr[c]);
    float sum = 0.f;
    for (int64_t c = 0; c < s.depth; ++c) {
      const float e = std::exp((xr[c] - maxValue) * s.beta);
      yr[c] = e;
      sum += e;
    }
    for (int64_t c = 0; c < s.depth; ++c) yr[c] = yr[c] / sum;
  }
  return Status::ok();
}

// --- PRELU ---

struct PreluState : KernelState {
  BinaryPlan plan;
  // 8-bit: TFLite's PreluParams.
  int32_t inputOffset = 0, alphaOffset = 0, outputOffset = 0;
  quant::Multiplier positive, negative;  // s_in / s_out and s_in * s_alpha / s_out
};

Status preparePrelu(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* alpha = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &alpha));
  auto state = std::make_unique<PreluState>();
  if (isQuantized8(in->type)) {
    INFERD_RETURN_IF_ERROR(checkType(ctx, alpha, in->type, "alpha"));
    INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), in->type, "output"));
    TensorQuant qi, qa, qo;
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, in, "input", &qi));
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, alpha, "alpha", &qa));
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, ctx.output(0), "output", &qo));
    state->inputOffset = -qi.zeroPoint;
    state->alphaOffset = -qa.zeroPoint;
    state->outputOffset = qo.zeroPoint;
    state->positive = quant::quantizeMultiplier(static_cast<double>(qi.scale / qo.scale));
    state->negative = quant::quantizeMultiplier(static_cast<double>(qi.scale * qa.scale / qo.scale));
  } else {
    INFERD_RETURN_IF_ERROR(checkType(ctx, in, ElementType::kFloat32, "input"));
    INFERD_RETURN_IF_ERROR(checkType(ctx, alpha, ElementType::kFloat32, "alpha"));
    INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), ElementType::kFloat32, "output"));
  }
  Dims outDims;
  Status planned = planBinary(ctx, in->dims, alpha->dims, &outDims, &state->plan);
  if (planned.code() == StatusCode::kInvalidModel) {
    return ctx.error("alpha of shape {} does not broadcast against the input of shape {}",
                     dimsToString(alpha->dims), dimsToString(in->dims));
  }
  INFERD_RETURN_IF_ERROR(planned);
  // Alpha is shared along some axes of the input; it never grows the output.
  if (outDims != in->dims) {
    return ctx.error("alpha of shape {} broadcasts the input of shape {} to {}",
                     dimsToString(alpha->dims), dimsToString(in->dims), dimsToString(outDims));
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

// TFLite's quantized PRELU (reference_ops::BroadcastPrelu4DSlow).
template <typename T>
void evalQuantPrelu(const PreluState& s, const T* x, const T* alpha, T* y) {
  runBinary(s.plan, x, alpha, y, [&s](T xq, T aq) {
    const int32_t v = s.inputOffset + xq;
    const int32_t r = v >= 0 ? quant::multiplyByQuantizedMultiplier(v, s.positive)
                             : quant::multiplyByQuantizedMultiplier(v * (s.alphaOffset + aq), s.negative);
    return static_cast<T>(std::clamp(r + s.outputOffset, quant::qmin<T>(), quant::qmax<T>()));
  });
}

Status evalPrelu(OpContext& ctx) {
  const PreluState& s = *ctx.state<PreluState>();
  if (quantizedInput(ctx)) {
    dispatchQuantized8(ctx.input(0)->type, [&](auto tag) {
      using T = decltype(tag);
      evalQuantPrelu<T>(s, ctx.input(0)->as<T>(), ctx.input(1)->as<T>(), ctx.output(0)->as<T>());
    });
    return Status::ok();
  }
  runBinary(s.plan, ctx.input(0)->as<float>(), ctx.input(1)->as<float>(),
            ctx.output(0)->as<float>(),
            [](float x, float a) { return x >= 0.f ? x : x * a; });
  return Status::ok();
}

KernelRegistration unary(fb::BuiltinOperator code, int32_t maxVersion, KernelFn prepare,
                         KernelFn eval) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(code);
  r.minVersion = 1;
  r.maxVersion = maxVersion;
  r.minInputs = 1;
  r.maxInputs = 1;
  r.minOutputs = 1;
  r.maxOutputs = 1;
  r.prepare = prepare;
  r.eval = eval;
  r.types = {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8};
  return r;
}

// SWISH, the LOGISTIC + MUL pair the graph rewrite fuses (graph_fusion.h).
Status prepareSwish(OpContext& ctx) {
  if (ctx.reproducibleFloat()) {
    ctx.setKernelVariant(builtinOrderVariant(ctx));
  } else {
    // What simd::swishF32 will run.
    ctx.setKernelVariant(simd::hasAvx512() ? "avx512" : simd::hasAvx2() ? "avx2" : "reference");
  }
  return prepareUnaryFloat(ctx);
}

Status evalSwish(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  if (ctx.reproducibleFloat()) {
    logisticBuiltin(ctx, in->as<float>(), ctx.output(0)->as<float>(), in->numElements(), true);
    return Status::ok();
  }
  simd::swishF32(in->as<float>(), ctx.output(0)->as<float>(), in->numElements(),
                 xnn::threadPoolFor(ctx, 8 * in->numElements()));
  return Status::ok();
}

// SWISH of 8-bit tensors (graph_fusion.h): the table of LOGISTIC into the
// intermediate's quantization, then MUL's arithmetic (evalQuant in
// elementwise.cpp) of x and that value, per input byte.
Status prepareSwish8(OpContext& ctx) {
  const NodeFusion* f = ctx.fusion();
  if (f == nullptr || !(f->swishMidScale > 0.f)) {
    return ctx.errorMessage(StatusCode::kInternal, "an 8-bit SWISH node needs the fused LOGISTIC's quantization");
  }
  TensorQuant in, out;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &in, &out));
  const TensorQuant mid{f->swishMidScale, f->swishMidZeroPoint};
  const ElementType type = ctx.input(0)->type;
  QuantTableState sigmoid;
  populateTable(type, in, mid, [](float x) { return 1.0f / (1.0f + std::exp(-x)); }, &sigmoid);
  const quant::Multiplier m = mulOutputMultiplier(in.scale, mid.scale, out.scale);
  auto st = std::make_unique<QuantTableState>();
  dispatchQuantized8(type, [&](auto tag) {
    using T = decltype(tag);
    fillTable(type, st.get(), [&](int32_t q) {
      const auto s = static_cast<int32_t>(static_cast<T>(sigmoid.table[static_cast<uint8_t>(static_cast<T>(q))]));
      return quant::multiplyByQuantizedMultiplier((q - in.zeroPoint) * (s - mid.zeroPoint), m) + out.zeroPoint;
    });
  });
  setTableState(ctx, std::move(st));
  return Status::ok();
}

// A fused SWISH node: it stands in for the MUL, one input, one output.
KernelRegistration swishRegistration(KernelFn prepare, KernelFn eval, std::vector<ElementType> types) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(fb::BuiltinOperator::MUL);
  r.minInputs = r.maxInputs = 1;
  r.minOutputs = r.maxOutputs = 1;
  r.maxVersion = 1 << 20;
  r.prepare = prepare;
  r.eval = eval;
  r.types = std::move(types);
  return r;
}

}  // namespace

const KernelRegistration& swish8Kernel() {
  static const KernelRegistration k =
      swishRegistration(prepareSwish8, evalQuantTable, {ElementType::kInt8, ElementType::kUInt8});
  return k;
}

const KernelRegistration& swishKernel() {
  static const KernelRegistration k = swishRegistration(prepareSwish, evalSwish, {ElementType::kFloat32});
  return k;
}

void registerActivationKernels(OpResolver& r) {
  // Version ranges from TFLite's register.cc; types a version may carry that
  // we do not handle (INT16) are rejected in prepare with a clear message.
  if constexpr (opSelected(fb::BuiltinOperator::RELU)) {
    r.add(unary(fb::BuiltinOperator::RELU, 3, prepareRelu, evalOrTable<evalRelu>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::RELU6)) {
    r.add(unary(fb::BuiltinOperator::RELU6, 3, prepareRelu6, evalOrTable<evalRelu6>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::RELU_N1_TO_1)) {
    r.add(unary(fb::BuiltinOperator::RELU_N1_TO_1, 1, prepareReluN1To1, evalOrTable<evalReluN1To1>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::TANH)) {
    r.add(unary(fb::BuiltinOperator::TANH, 3, prepareTanh, evalOrTable<evalTanh>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::LOGISTIC)) {
    r.add(unary(fb::BuiltinOperator::LOGISTIC, 3, prepareLogistic, evalOrTable<evalLogistic>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::HARD_SWISH)) {
    r.add(unary(fb::BuiltinOperator::HARD_SWISH, 1, prepareHardSwish, evalOrTable<evalHardSwish>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::LEAKY_RELU)) {
    r.add(unary(fb::BuiltinOperator::LEAKY_RELU, 2, prepareLeakyRelu, evalOrTable<evalLeakyRelu>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::SOFTMAX)) {
    r.add(unary(fb::BuiltinOperator::SOFTMAX, 3, prepareSoftmax, evalSoftmax));
  }
  if constexpr (opSelected(fb::BuiltinOperator::PRELU)) {
    KernelRegistration prelu = unary(fb::BuiltinOperator::PRELU, 1, preparePrelu, evalPrelu);
    prelu.minInputs = 2;
    prelu.maxInputs = 2;
    r.add(prelu);
  }
}

}  // namespace inferd::engine::kernels
