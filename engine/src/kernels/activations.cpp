// Activation kernels: SOFTMAX (beta, last axis), LOGISTIC, TANH, RELU, RELU6,
// RELU_N1_TO_1, LEAKY_RELU, PRELU (alpha broadcast against the input) and
// HARD_SWISH, for FLOAT32. Formulas follow TFLite's float reference kernels
// so results agree bit for bit where the math library does. With optimized
// kernels on, LOGISTIC, HARD_SWISH and the RELU family run through XNNPACK
// (its sigmoid is a polynomial within a few ulp of the std::exp formula and
// flushes results below ~1e-38 to zero; its clamps may turn a NaN into the
// lower bound instead of passing it through).
#include <cmath>
#include <cstdint>
#include <limits>

#include "elementwise_util.h"
#include "kernel_util.h"
#include "register.h"
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
  xnn_status status = xnn_status_uninitialized;
  switch (st->kind) {
    case XnnUnary::kSigmoid:
      status = xnn_setup_sigmoid_nc_f32(st->op.get(), n, in->as<float>(), out->as<float>(),
                                        xnn::threadPool(ctx));
      break;
    case XnnUnary::kHardSwish:
      status = xnn_setup_hardswish_nc_f32(st->op.get(), n, in->as<float>(), out->as<float>(),
                                          xnn::threadPool(ctx));
      break;
    case XnnUnary::kClamp:
      status = xnn_setup_clamp_nc_f32(st->op.get(), n, in->as<float>(), out->as<float>(),
                                      xnn::threadPool(ctx));
      break;
  }
  *result = xnn::check(ctx, status, "unary setup");
  if (result->isOk()) *result = xnn::run(ctx, st->op);
  return true;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

Status prepareRelu(OpContext& ctx) { return prepareXnnUnary(ctx, XnnUnary::kClamp, 0.f, kInf); }
Status prepareRelu6(OpContext& ctx) { return prepareXnnUnary(ctx, XnnUnary::kClamp, 0.f, 6.f); }
Status prepareReluN1To1(OpContext& ctx) {
  return prepareXnnUnary(ctx, XnnUnary::kClamp, -1.f, 1.f);
}
Status prepareLogistic(OpContext& ctx) { return prepareXnnUnary(ctx, XnnUnary::kSigmoid); }
Status prepareHardSwish(OpContext& ctx) { return prepareXnnUnary(ctx, XnnUnary::kHardSwish); }

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
  return evalUnary(ctx, [](float x) { return std::tanh(x); });
}

Status evalLogistic(OpContext& ctx) {
  // TFLite's reference cut-offs: above the upper one 1/(1+e^-x) rounds to 1
  // in float; below the lower one it equals e^x to float precision. They also
  // keep exp() from overflowing.
  constexpr float kCutoffUpper = 16.619047164916992188f;
  constexpr float kCutoffLower = -9.f;
  return evalUnaryOrXnn(ctx, [](float x) {
    if (x > kCutoffUpper) return 1.f;
    if (x < kCutoffLower) return std::exp(x);
    return 1.f / (1.f + std::exp(-x));
  });
}

Status evalHardSwish(OpContext& ctx) {
  return evalUnaryOrXnn(ctx,
                        [](float x) { return x * std::min(6.f, std::max(0.f, x + 3.f)) / 6.f; });
}

// --- LEAKY_RELU ---

struct LeakyReluState : KernelState {
  float alpha = 0.f;
};

Status prepareLeakyRelu(OpContext& ctx) {
  INFERD_RETURN_IF_ERROR(prepareUnaryFloat(ctx));
  auto state = std::make_unique<LeakyReluState>();
  // Without options TFLite's alpha is 0 (its zero-initialized params).
  if (auto* o = options<fb::LeakyReluOptions>(ctx)) state->alpha = o->alpha();
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
};

Status prepareSoftmax(OpContext& ctx) {
  INFERD_RETURN_IF_ERROR(prepareUnaryFloat(ctx));
  const Tensor* in = ctx.input(0);
  if (in->rank() < 1) {
    return ctx.error("input must have rank 1 or more, has shape {}", dimsToString(in->dims));
  }
  auto state = std::make_unique<SoftmaxState>();
  // Without options TFLite's beta is 0 (its zero-initialized params).
  if (auto* o = options<fb::SoftmaxOptions>(ctx)) state->beta = o->beta();
  state->depth = in->dim(in->rank() - 1);
  state->outer = state->depth == 0 ? 0 : in->numElements() / state->depth;
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalSoftmax(OpContext& ctx) {
  const SoftmaxState& s = *ctx.state<SoftmaxState>();
  const float* x = ctx.input(0)->as<float>();
  float* y = ctx.output(0)->as<float>();
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
};

Status preparePrelu(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* alpha = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &alpha));
  INFERD_RETURN_IF_ERROR(checkType(ctx, in, ElementType::kFloat32, "input"));
  INFERD_RETURN_IF_ERROR(checkType(ctx, alpha, ElementType::kFloat32, "alpha"));
  INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), ElementType::kFloat32, "output"));
  auto state = std::make_unique<PreluState>();
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

Status evalPrelu(OpContext& ctx) {
  const PreluState& s = *ctx.state<PreluState>();
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
  r.types = {ElementType::kFloat32};
  return r;
}

}  // namespace

void registerActivationKernels(OpResolver& r) {
  // Version ranges from TFLite's register.cc; versions above 1 add quantized
  // types, which prepare rejects with a clear message.
  r.add(unary(fb::BuiltinOperator::RELU, 3, prepareRelu, evalRelu));
  r.add(unary(fb::BuiltinOperator::RELU6, 3, prepareRelu6, evalRelu6));
  r.add(unary(fb::BuiltinOperator::RELU_N1_TO_1, 1, prepareReluN1To1, evalReluN1To1));
  r.add(unary(fb::BuiltinOperator::TANH, 3, prepareUnaryFloat, evalTanh));
  r.add(unary(fb::BuiltinOperator::LOGISTIC, 3, prepareLogistic, evalLogistic));
  r.add(unary(fb::BuiltinOperator::HARD_SWISH, 1, prepareHardSwish, evalHardSwish));
  r.add(unary(fb::BuiltinOperator::LEAKY_RELU, 2, prepareLeakyRelu, evalLeakyRelu));
  r.add(unary(fb::BuiltinOperator::SOFTMAX, 3, prepareSoftmax, evalSoftmax));
  KernelRegistration prelu = unary(fb::BuiltinOperator::PRELU, 1, preparePrelu, evalPrelu);
  prelu.minInputs = 2;
  prelu.maxInputs = 2;
  r.add(prelu);
}

}  // namespace inferd::engine::kernels
