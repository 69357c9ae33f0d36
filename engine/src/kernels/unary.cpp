// Element-wise unary kernels: EXP, LOG, SQRT, RSQRT, SQUARE, ABS, NEG, SIN,
// COS, FLOOR, CEIL, ROUND, SIGN, ELU, GELU and LOGICAL_NOT; the per-row
// LOG_SOFTMAX and L2_NORMALIZATION (over the last axis); and CAST between
// the numeric types and BOOL. Float math follows TensorFlow Lite's reference
// kernels (ROUND rounds halves to even, ELU uses expm1, GELU has the tanh
// and the erf forms). INT8 RSQRT follows TFLite's integer kernel (a
// fixed-point inverse square root, tabulated over the 256 inputs); other
// quantized inputs are rejected in prepare.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "array_util.h"
#include "kernel_util.h"
#include "quant_kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

enum class UOp { kExp, kLog, kSqrt, kRsqrt, kSquare, kAbs, kNeg, kSin, kCos, kFloor, kCeil, kRound, kSign, kElu,
                 kGelu, kLogicalNot };

constexpr bool allowsType(UOp op, ElementType t) {
  switch (op) {
    case UOp::kAbs:
    case UOp::kSign:
      return t == ElementType::kFloat32 || t == ElementType::kInt32;
    case UOp::kNeg:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt64;
    case UOp::kLogicalNot:
      return t == ElementType::kBool;
    case UOp::kRsqrt:
      return t == ElementType::kFloat32 || t == ElementType::kInt8;
    default:
      return t == ElementType::kFloat32;
  }
}

std::vector<ElementType> typesOf(UOp op) {
  std::vector<ElementType> v;
  for (ElementType t : {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64, ElementType::kInt8,
                        ElementType::kBool}) {
    if (allowsType(op, t)) v.push_back(t);
  }
  return v;
}

struct GeluState : KernelState {
  bool approximate = false;
};

// INT8 RSQRT (TFLite's RsqrtEvalQuantizedInt8): v = q - inZp must be >= 0;
// v = 0 gives 127, otherwise 1/sqrt(v) as a fixed-point multiplier
// (quant::invSqrtMultiplier) applied to 2^20 and rescaled by
// 1 / (sqrt(inScale) * outScale) with 20 bits shifted back out.
struct RsqrtInt8State : KernelState {
  int32_t inZeroPoint = 0;
  int8_t table[256] = {};  // indexed by the input's bit pattern
};

Status prepareRsqrtInt8(OpContext& ctx, const Tensor* in) {
  TensorQuant qi, qo;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, in, "input", &qi));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, ctx.output(0), "output", &qo));
  // Evaluated as TFLite does: the float product, then 1 / it in double.
  const float denominator = std::sqrt(qi.scale) * qo.scale;
  const quant::Multiplier out = quant::quantizeMultiplier(1. / static_cast<double>(denominator));
  constexpr int kShift = 20;  // keeps 1/sqrt(v) an integer
  auto state = std::make_unique<RsqrtInt8State>();
  state->inZeroPoint = qi.zeroPoint;
  for (int32_t q = qi.zeroPoint; q <= 127; ++q) {
    const int32_t v = q - qi.zeroPoint;
    int32_t result = 127;
    if (v != 0) {
      quant::Multiplier inv = quant::invSqrtMultiplier(v);
      inv.shift += kShift;
      const int32_t scaled = quant::multiplyByQuantizedMultiplier(1, inv);
      result = quant::multiplyByQuantizedMultiplier(scaled, {out.value, out.shift - kShift}) + qo.zeroPoint;
    }
    state->table[static_cast<uint8_t>(q)] = static_cast<int8_t>(std::clamp(result, -128, 127));
  }
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalRsqrtInt8(OpContext& ctx, const Tensor* in, Tensor* out) {
  const auto& s = *ctx.state<RsqrtInt8State>();
  const int8_t* x = in->as<int8_t>();
  const int64_t n = in->numElements();
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] < s.inZeroPoint) {
      return ctx.error("RSQRT is only defined for non-negative inputs: element {} is {} (zero point {})", i,
                       int{x[i]}, s.inZeroPoint);
    }
  }
  int8_t* y = out->as<int8_t>();
  for (int64_t i = 0; i < n; ++i) y[i] = s.table[static_cast<uint8_t>(x[i])];
  return Status::ok();
}

template <UOp Op>
Status prepareUnary(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  if (!allowsType(Op, in->type)) {
    return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if constexpr (Op == UOp::kRsqrt) {
    if (in->type == ElementType::kInt8) INFERD_RETURN_IF_ERROR(prepareRsqrtInt8(ctx, in));
  }
  if constexpr (Op == UOp::kGelu) {
    auto state = std::make_unique<GeluState>();
    if (const auto* o = options<fb::GeluOptions>(ctx)) state->approximate = o->approximate();
    ctx.setState(std::move(state));
  }
  return ctx.resizeOutput(0, in->dims);
}

// Rounds halves to even, independently of the floating-point environment.
inline float roundHalfEven(float x) {
  const float f = std::floor(x);
  const float diff = x - f;
  if (diff < 0.5f) return f;
  if (diff > 0.5f) return f + 1.f;
  return std::fmod(f, 2.f) == 0.f ? f : f + 1.f;
}

template <typename T, typename F>
void mapValues(const Tensor* in, Tensor* out, F f) {
  const T* x = in->as<T>();
  T* y = out->as<T>();
  const int64_t n = in->numElements();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <UOp Op>
void evalFloat(OpContext& ctx, const Tensor* in, Tensor* out) {
  if constexpr (Op == UOp::kExp) mapValues<float>(in, out, [](float x) { return std::exp(x); });
  if constexpr (Op == UOp::kLog) mapValues<float>(in, out, [](float x) { return std::log(x); });
  if constexpr (Op == UOp::kSqrt) mapValues<float>(in, out, [](float x) { return std::sqrt(x); });
  if constexpr (Op == UOp::kRsqrt) mapValues<float>(in, out, [](float x) { return 1.f / std::sqrt(x); });
  if constexpr (Op == UOp::kSquare) mapValues<float>(in, out, [](float x) { return x * x; });
  if constexpr (Op == UOp::kAbs) mapValues<float>(in, out, [](float x) { return std::fabs(x); });
  if constexpr (Op == UOp::kNeg) mapValues<float>(in, out, [](float x) { return -x; });
  if constexpr (Op == UOp::kSin) mapValues<float>(in, out, [](float x) { return std::sin(x); });
  if constexpr (Op == UOp::kCos) mapValues<float>(in, out, [](float x) { return std::cos(x); });
  if constexpr (Op == UOp::kFloor) mapValues<float>(in, out, [](float x) { return std::floor(x); });
  if constexpr (Op == UOp::kCeil) mapValues<float>(in, out, [](float x) { return std::ceil(x); });
  if constexpr (Op == UOp::kRound) mapValues<float>(in, out, roundHalfEven);
  if constexpr (Op == UOp::kSign) {
    mapValues<float>(in, out, [](float x) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : x); });
  }
  if constexpr (Op == UOp::kElu) mapValues<float>(in, out, [](float x) { return x < 0.f ? std::expm1(x) : x; });
  if constexpr (Op == UOp::kGelu) {
    if (ctx.state<GeluState>()->approximate) {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
      constexpr float kSqrt2OverPi = 0.7978845608028654f;
      mapValues<float>(in, out, [](float x) {
        return 0.5f * x * (1.f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
      });
    } else {
      // 0.5 x (1 + erf(x / sqrt(2))), written with erfc as TFLite does.
      constexpr float kSqrtHalf = 0.7071067811865476f;
      mapValues<float>(in, out, [](float x) { return 0.5f * x * std::erfc(-x * kSqrtHalf); });
    }
  }
}

template <UOp Op, typename T>
void evalInt(const Tensor* in, Tensor* out) {
  using U = std::make_unsigned_t<T>;
  // Negating the minimum wraps (two's complement), as on the hardware.
  if constexpr (Op == UOp::kNeg) mapValues<T>(in, out, [](T x) { return static_cast<T>(U(0) - static_cast<U>(x)); });
  if constexpr (Op == UOp::kAbs) {
    mapValues<T>(in, out, [](T x) { return x < 0 ? static_cast<T>(U(0) - static_cast<U>(x)) : x; });
  }
  if constexpr (Op == UOp::kSign) mapValues<T>(in, out, [](T x) { return static_cast<T>((x > 0) - (x < 0)); });
}

template <UOp Op>
Status evalUnary(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  switch (in->type) {
    case ElementType::kFloat32: evalFloat<Op>(ctx, in, out); break;
    case ElementType::kInt32: evalInt<Op, int32_t>(in, out); break;
    case ElementType::kInt64: evalInt<Op, int64_t>(in, out); break;
    case ElementType::kBool:
      if constexpr (Op == UOp::kLogicalNot) mapValues<bool>(in, out, [](bool x) { return !x; });
      break;
    case ElementType::kInt8:
      if constexpr (Op == UOp::kRsqrt) return evalRsqrtInt8(ctx, in, out);
      [[fallthrough]];
    default: return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- LOG_SOFTMAX, L2_NORMALIZATION

Status prepareRowwise(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkType(ctx, in, ElementType::kFloat32, "input"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (in->rank() < 1) return ctx.error("input must have rank >= 1, has shape {}", dimsToString(in->dims));
  if (ctx.op().builtinCode == static_cast<int32_t>(fb::BuiltinOperator::L2_NORMALIZATION)) {
    // TFLite's kernels implement no fused activation for L2_NORMALIZATION.
    if (const auto* o = options<fb::L2NormOptions>(ctx)) {
      if (o->fused_activation_function() != fb::ActivationFunctionType::NONE) {
        return ctx.unsupported("fused activation {} is not supported",
                               fb::EnumNameActivationFunctionType(o->fused_activation_function()));
      }
    }
  }
  return ctx.resizeOutput(0, in->dims);
}

Status evalLogSoftmax(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  const int64_t depth = in->dim(in->rank() - 1);
  if (depth == 0) return Status::ok();
  const int64_t rows = in->numElements() / depth;
  const float* x = in->as<float>();
  float* y = ctx.output(0)->as<float>();
  for (int64_t r = 0; r < rows; ++r, x += depth, y += depth) {
    float m = x[0];
    for (int64_t c = 1; c < depth; ++c) m = std::max(m, x[c]);
    float sum = 0.f;
    for (int64_t c = 0; c < depth; ++c) sum += std::exp(x[c] - m);
    const float logSum = std::log(sum);
    for (int64_t c = 0; c < depth; ++c) y[c] = x[c] - m - logSum;
  }
  return Status::ok();
}

Status evalL2Norm(OpContext& ctx) {
  // TFLite divides by max(||x||, 1e-6), so an all-zero row stays zero.
  constexpr float kEpsilon = 1e-6f;
  const Tensor* in = ctx.input(0);
  const int64_t depth = in->dim(in->rank() - 1);
  if (depth == 0) return Status::ok();
  const int64_t rows = in->numElements() / depth;
  const float* x = in->as<float>();
  float* y = ctx.output(0)->as<float>();
  for (int64_t r = 0; r < rows; ++r, x += depth, y += depth) {
    float sq = 0.f;
    for (int64_t c = 0; c < depth; ++c) sq += x[c] * x[c];
    const float norm = std::max(std::sqrt(sq), kEpsilon);
    for (int64_t c = 0; c < depth; ++c) y[c] = x[c] / norm;
  }
  return Status::ok();
}

// ---------------------------------------------------------------- CAST

bool castableType(ElementType t) {
  switch (t) {
    case ElementType::kFloat32:
    case ElementType::kFloat64:
    case ElementType::kInt8:
    case ElementType::kUInt8:
    case ElementType::kInt16:
    case ElementType::kUInt16:
    case ElementType::kInt32:
    case ElementType::kInt64:
    case ElementType::kBool:
      return true;
    default:
      return false;
  }
}

// Float to integer truncates toward zero. TFLite leaves values that do not
// fit (and NaN) undefined (a plain static_cast); we reproduce what LiteRT
// gives on x86-64 (checked against tensorflow 2.21): INT32, INT16 and UINT8
// saturate (NaN gives INT32_MAX for INT32, 0 for the others); INT8 and UINT16
// take the x86 int32 conversion (INT32_MIN when out of range) modulo their
// width; INT64 gives INT64_MIN when out of range or NaN.
template <typename To, typename From>
To castValue(From x) {
  if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    const double d = static_cast<double>(x);
    if constexpr (std::is_same_v<To, int64_t>) {
      constexpr double kLimit = 9223372036854775808.0;  // 2^63
      if (!(d >= -kLimit && d < kLimit)) return std::numeric_limits<To>::min();
      return static_cast<To>(d);
    } else if constexpr (std::is_same_v<To, int32_t> || std::is_same_v<To, int16_t> ||
                         std::is_same_v<To, uint8_t>) {
      constexpr double lo = static_cast<double>(std::numeric_limits<To>::min());
      constexpr double hi = static_cast<double>(std::numeric_limits<To>::max());
      if (std::isnan(d)) return std::is_same_v<To, int32_t> ? std::numeric_limits<To>::max() : To(0);
      if (d <= lo) return std::numeric_limits<To>::min();
      if (d >= hi) return std::numeric_limits<To>::max();
      return static_cast<To>(d);
    } else {
      int32_t v = std::numeric_limits<int32_t>::min();
      if (d > -2147483649.0 && d < 2147483648.0) v = static_cast<int32_t>(d);
      return static_cast<To>(v);
    }
  } else {
    return static_cast<To>(x);
  }
}

template <typename To, typename From>
void castAll(const Tensor* in, Tensor* out) {
  const From* x = in->as<From>();
  To* y = out->as<To>();
  const int64_t n = in->numElements();
  for (int64_t i = 0; i < n; ++i) y[i] = castValue<To>(x[i]);
}

template <typename From>
void castFrom(const Tensor* in, Tensor* out) {
  switch (out->type) {
    case ElementType::kFloat32: castAll<float, From>(in, out); break;
    case ElementType::kFloat64: castAll<double, From>(in, out); break;
    case ElementType::kInt8: castAll<int8_t, From>(in, out); break;
    case ElementType::kUInt8: castAll<uint8_t, From>(in, out); break;
    case ElementType::kInt16: castAll<int16_t, From>(in, out); break;
    case ElementType::kUInt16: castAll<uint16_t, From>(in, out); break;
    case ElementType::kInt32: castAll<int32_t, From>(in, out); break;
    case ElementType::kInt64: castAll<int64_t, From>(in, out); break;
    case ElementType::kBool: castAll<bool, From>(in, out); break;
    default: break;  // rejected in prepare
  }
}

Status prepareCast(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  Tensor* out = ctx.output(0);
  if (!castableType(in->type) || !castableType(out->type)) {
    return ctx.unsupported("cast from {} to {} is not supported", elementTypeName(in->type),
                           elementTypeName(out->type));
  }
  return ctx.resizeOutput(0, in->dims);
}

Status evalCast(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  switch (in->type) {
    case ElementType::kFloat32: castFrom<float>(in, out); break;
    case ElementType::kFloat64: castFrom<double>(in, out); break;
    case ElementType::kInt8: castFrom<int8_t>(in, out); break;
    case ElementType::kUInt8: castFrom<uint8_t>(in, out); break;
    case ElementType::kInt16: castFrom<int16_t>(in, out); break;
    case ElementType::kUInt16: castFrom<uint16_t>(in, out); break;
    case ElementType::kInt32: castFrom<int32_t>(in, out); break;
    case ElementType::kInt64: castFrom<int64_t>(in, out); break;
    case ElementType::kBool: castFrom<bool>(in, out); break;
    default: return ctx.unsupported("cast from {} is not supported", elementTypeName(in->type));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- registration

KernelRegistration reg(fb::BuiltinOperator code, int32_t maxVersion, KernelFn prepare, KernelFn eval,
                       std::vector<ElementType> types) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(code);
  r.minVersion = 1;
  r.maxVersion = maxVersion;
  r.minInputs = 1;
  r.maxInputs = 1;
  r.prepare = prepare;
  r.eval = eval;
  r.types = std::move(types);
  return r;
}

template <UOp Op>
KernelRegistration unaryReg(fb::BuiltinOperator code, int32_t maxVersion) {
  return reg(code, maxVersion, prepareUnary<Op>, evalUnary<Op>, typesOf(Op));
}

}  // namespace

void registerUnaryKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  // Version ranges from TFLite's register.cc; the later versions add int8 /
  // int16 quantized inputs, which prepare rejects with a clear message.
  r.add(unaryReg<UOp::kExp>(BuiltinOperator::EXP, 2));
  r.add(unaryReg<UOp::kLog>(BuiltinOperator::LOG, 2));
  r.add(unaryReg<UOp::kSqrt>(BuiltinOperator::SQRT, 1));
  r.add(unaryReg<UOp::kRsqrt>(BuiltinOperator::RSQRT, 2));
  r.add(unaryReg<UOp::kSquare>(BuiltinOperator::SQUARE, 1));
  r.add(unaryReg<UOp::kAbs>(BuiltinOperator::ABS, 5));
  r.add(unaryReg<UOp::kNeg>(BuiltinOperator::NEG, 1));
  r.add(unaryReg<UOp::kSin>(BuiltinOperator::SIN, 1));
  r.add(unaryReg<UOp::kCos>(BuiltinOperator::COS, 1));
  r.add(unaryReg<UOp::kFloor>(BuiltinOperator::FLOOR, 1));
  r.add(unaryReg<UOp::kCeil>(BuiltinOperator::CEIL, 1));
  r.add(unaryReg<UOp::kRound>(BuiltinOperator::ROUND, 1));
  r.add(unaryReg<UOp::kSign>(BuiltinOperator::SIGN, 2));
  r.add(unaryReg<UOp::kElu>(BuiltinOperator::ELU, 1));
  r.add(unaryReg<UOp::kGelu>(BuiltinOperator::GELU, 2));
  r.add(unaryReg<UOp::kLogicalNot>(BuiltinOperator::LOGICAL_NOT, 1));
  r.add(reg(BuiltinOperator::LOG_SOFTMAX, 2, prepareRowwise, evalLogSoftmax, {ElementType::kFloat32}));
  r.add(reg(BuiltinOperator::L2_NORMALIZATION, 2, prepareRowwise, evalL2Norm, {ElementType::kFloat32}));
  r.add(reg(BuiltinOperator::CAST, 5, prepareCast, evalCast,
            {ElementType::kFloat32, ElementType::kFloat64, ElementType::kInt8, ElementType::kUInt8,
             ElementType::kInt16, ElementType::kUInt16, ElementType::kInt32, ElementType::kInt64,
             ElementType::kBool}));
}

}  // namespace inferd::engine::kernels
