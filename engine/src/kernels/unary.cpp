// Element-wise unary kernels: EXP, LOG, SQRT, RSQRT, SQUARE, ABS, NEG, SIN,
// COS, FLOOR, CEIL, ROUND, SIGN, ELU, GELU and LOGICAL_NOT; the per-row
// LOG_SOFTMAX and L2_NORMALIZATION (over the last axis); and CAST between
// the numeric types and BOOL. Float math follows TensorFlow Lite's reference
// kernels (ROUND rounds halves to even, ELU uses expm1, GELU has the tanh
// and the erf forms). 8-bit quantized inputs are mapped through a 256-entry
// table built in prepare, with TFLite's arithmetic: EXP, LOG (INT8) and GELU
// (INT8, UINT8) quantize the float function of the dequantized input
// (LUTPopulate); SQRT (INT8) truncates sqrt(input) / output scale; ABS
// (INT8) rescales |q - zero point| with a fixed-point
// multiplier; RSQRT (INT8) uses TFLite's fixed-point inverse square root.
// Other quantized inputs are rejected in prepare.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
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
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt8;
    case UOp::kSign:
      return t == ElementType::kFloat32 || t == ElementType::kInt32;
    case UOp::kNeg:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt64;
    case UOp::kLogicalNot:
      return t == ElementType::kBool;
    case UOp::kRsqrt:
    case UOp::kSqrt:
    case UOp::kExp:
    case UOp::kLog:
      return t == ElementType::kFloat32 || t == ElementType::kInt8;
    case UOp::kGelu:
      return t == ElementType::kFloat32 || t == ElementType::kInt8 || t == ElementType::kUInt8;
    default:
      return t == ElementType::kFloat32;
  }
}

std::vector<ElementType> typesOf(UOp op) {
  std::vector<ElementType> v;
  for (ElementType t : {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64, ElementType::kInt8,
                        ElementType::kUInt8, ElementType::kBool}) {
    if (allowsType(op, t)) v.push_back(t);
  }
  return v;
}

struct GeluState : KernelState {
  bool approximate = false;
};

// The table of a quantized SQRT or RSQRT and the input zero point eval
// checks the inputs against (both reject negative values).
struct NonNegativeTableState : QuantTableState {
  NonNegativeTableState(const QuantTableState& t, int32_t zp) : QuantTableState(t), inZeroPoint(zp) {}
  int32_t inZeroPoint = 0;
};

constexpr bool rejectsNegative(UOp op) { return op == UOp::kSqrt || op == UOp::kRsqrt; }

// GELU as TFLite's reference kernel (and its lookup tables) computes it.
float geluTanh(float x) {
  // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

float geluErf(float x) {
  // 0.5 x (1 + erf(x / sqrt(2))), written with erfc as TFLite does.
  constexpr float kSqrtHalf = 0.7071067811865476f;
  return 0.5f * x * std::erfc(-x * kSqrtHalf);
}

// The quantized table of ABS (TFLite's AbsEvalQuantized): |q - inZp|, rescaled
// by inScale / outScale only when the scales differ, plus outZp.
void fillAbsTable(ElementType type, const TensorQuant& qi, const TensorQuant& qo, QuantTableState* st) {
  const bool rescale = qi.scale != qo.scale;
  const quant::Multiplier m = quant::quantizeMultiplier(static_cast<double>(qi.scale / qo.scale));
  fillTable(type, st, [&](int32_t q) {
    const int32_t v = std::abs(q - qi.zeroPoint);
    return (rescale ? quant::multiplyByQuantizedMultiplier(v, m) : v) + qo.zeroPoint;
  });
}

// INT8 RSQRT (TFLite's RsqrtEvalQuantizedInt8): v = q - inZp must be >= 0
// (checked in eval); v = 0 gives 127, otherwise 1/sqrt(v) as a fixed-point
// multiplier (quant::invSqrtMultiplier) applied to 2^20 and rescaled by
// 1 / (sqrt(inScale) * outScale) with 20 bits shifted back out.
void fillRsqrtTable(const TensorQuant& qi, const TensorQuant& qo, QuantTableState* st) {
  // Evaluated as TFLite does: the float product, then 1 / it in double.
  const float denominator = std::sqrt(qi.scale) * qo.scale;
  const quant::Multiplier out = quant::quantizeMultiplier(1. / static_cast<double>(denominator));
  constexpr int kShift = 20;  // keeps 1/sqrt(v) an integer
  fillTable(ElementType::kInt8, st, [&](int32_t q) {
    const int32_t v = q - qi.zeroPoint;
    if (v < 0) return 0;  // rejected in eval
    if (v == 0) return 127;
    quant::Multiplier inv = quant::invSqrtMultiplier(v);
    inv.shift += kShift;
    const int32_t scaled = quant::multiplyByQuantizedMultiplier(1, inv);
    return quant::multiplyByQuantizedMultiplier(scaled, {out.value, out.shift - kShift}) + qo.zeroPoint;
  });
}

// INT8 SQRT (TFLite's SqrtEvalQuantized): sqrt of the dequantized input in
// float, divided by the output scale and truncated toward zero.
void fillSqrtTable(const TensorQuant& qi, const TensorQuant& qo, QuantTableState* st) {
  fillTable(ElementType::kInt8, st, [&](int32_t q) {
    if (q < qi.zeroPoint) return 0;  // rejected in eval
    const float x = qi.scale * static_cast<float>(q - qi.zeroPoint);
    return static_cast<int32_t>(std::sqrt(x) / qo.scale) + qo.zeroPoint;
  });
}

template <UOp Op>
Status prepareQuantTable(OpContext& ctx) {
  const ElementType type = ctx.input(0)->type;
  TensorQuant qi, qo;
  INFERD_RETURN_IF_ERROR(prepareQuantUnary(ctx, &qi, &qo));
  auto st = std::make_unique<QuantTableState>();
  if constexpr (Op == UOp::kExp) populateTable(type, qi, qo, [](float x) { return std::exp(x); }, st.get());
  if constexpr (Op == UOp::kLog) {
    // Non-positive inputs give the lowest output value (TFLite's LogLUTPrepare).
    const float outputMin = static_cast<float>(-128 - qo.zeroPoint) * qo.scale;
    populateTable(type, qi, qo, [&](float x) { return x <= 0.f ? outputMin : std::log(x); }, st.get());
  }
  if constexpr (Op == UOp::kGelu) {
    const auto* o = options<fb::GeluOptions>(ctx);
    if (o != nullptr && o->approximate()) {
      populateTable(type, qi, qo, geluTanh, st.get());
    } else {
      populateTable(type, qi, qo, geluErf, st.get());
    }
  }
  if constexpr (Op == UOp::kAbs) fillAbsTable(type, qi, qo, st.get());
  if constexpr (Op == UOp::kRsqrt) fillRsqrtTable(qi, qo, st.get());
  if constexpr (Op == UOp::kSqrt) fillSqrtTable(qi, qo, st.get());
  if constexpr (rejectsNegative(Op)) {
    setTableState(ctx, std::make_unique<NonNegativeTableState>(*st, qi.zeroPoint));
    return Status::ok();
  }
  setTableState(ctx, std::move(st));
  return Status::ok();
}

Status checkNonNegativeInput(OpContext& ctx, const Tensor* in) {
  const int32_t zeroPoint = ctx.state<NonNegativeTableState>()->inZeroPoint;
  const int8_t* x = in->as<int8_t>();
  const int64_t n = in->numElements();
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] < zeroPoint) {
      return ctx.error("{} is only defined for non-negative inputs: element {} is {} (zero point {})",
                       fb::EnumNameBuiltinOperator(static_cast<fb::BuiltinOperator>(ctx.op().builtinCode)), i,
                       int{x[i]}, zeroPoint);
    }
  }
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
  if (isQuantized8(in->type)) return prepareQuantTable<Op>(ctx);
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
    mapValues<float>(in, out, ctx.state<GeluState>()->approximate ? geluTanh : geluErf);
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
    case ElementType::kUInt8:
      if constexpr (rejectsNegative(Op)) INFERD_RETURN_IF_ERROR(checkNonNegativeInput(ctx, in));
      return evalQuantTable(ctx);
    default: return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- LOG_SOFTMAX, L2_NORMALIZATION

// Quantized L2_NORMALIZATION: TFLite fixes the output quantization to
// scale 1/128 with zero point 0 (INT8) or 128 (UINT8).
struct L2NormQuantState : KernelState {
  int32_t inZeroPoint = 0;
};

Status prepareL2NormQuant(OpContext& ctx, const Tensor* in) {
  TensorQuant qi, qo;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, in, "input", &qi));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, ctx.output(0), "output", &qo));
  const int32_t zeroPoint = in->type == ElementType::kInt8 ? 0 : 128;
  if (static_cast<double>(qo.scale) != 1. / 128 || qo.zeroPoint != zeroPoint) {
    return ctx.error("quantized output must have scale 1/128 and zero point {}, has scale {} and zero point {}",
                     zeroPoint, qo.scale, qo.zeroPoint);
  }
  auto st = std::make_unique<L2NormQuantState>();
  st->inZeroPoint = qi.zeroPoint;
  ctx.setState(std::move(st));
  return Status::ok();
}

// Quantized LOG_SOFTMAX (TFLite's optimized 8-bit LogSoftmax, float math):
// the output is fixed to scale 16/256 with zero point 127 (INT8) or 255
// (UINT8); exp(inScale (q - max)) comes from TFLite's softmax table.
struct LogSoftmaxQuantState : KernelState {
  float expTable[256] = {};
  float inScale = 1.f;
  TensorQuant out;
};

Status prepareLogSoftmaxQuant(OpContext& ctx, const Tensor* in) {
  auto st = std::make_unique<LogSoftmaxQuantState>();
  TensorQuant qi;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, in, "input", &qi));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, ctx.output(0), "output", &st->out));
  const int32_t zeroPoint = in->type == ElementType::kInt8 ? 127 : 255;
  if (static_cast<double>(st->out.scale) != 16. / 256 || st->out.zeroPoint != zeroPoint) {
    return ctx.error("quantized output must have scale 16/256 and zero point {}, has scale {} and zero point {}",
                     zeroPoint, st->out.scale, st->out.zeroPoint);
  }
  st->inScale = qi.scale;
  quant::populateSoftmaxExpTable(qi.scale, 1.f, st->expTable);
  ctx.setState(std::move(st));
  return Status::ok();
}

// Rows of an 8-bit LOG_SOFTMAX. Values are shifted to [0, 255] (INT8 by
// +128) to index the table; the input zero point cancels out.
template <typename T>
void logSoftmaxQuantRows(const LogSoftmaxQuantState& st, const T* x, T* y, int64_t rows, int64_t depth) {
  constexpr int32_t kOffset = std::is_signed_v<T> ? 128 : 0;
  const float scale = st.inScale / st.out.scale;
  for (int64_t r = 0; r < rows; ++r, x += depth, y += depth) {
    const int32_t maxValue = *std::max_element(x, x + depth) + kOffset;
    const float* table = st.expTable + (255 - maxValue);
    float sum = 0.f;
    for (int64_t c = 0; c < depth; ++c) sum += table[x[c] + kOffset];
    const float shift = (st.inScale * static_cast<float>(maxValue) + std::log(sum)) / st.out.scale;
    for (int64_t c = 0; c < depth; ++c) {
      const float v = scale * static_cast<float>(x[c] + kOffset) - shift;
      const auto q = static_cast<int32_t>(std::rint(v) + static_cast<float>(st.out.zeroPoint));
      y[c] = static_cast<T>(std::clamp(q, quant::qmin<T>(), quant::qmax<T>()));
    }
  }
}

Status prepareRowwise(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  const bool l2 = ctx.op().builtinCode == static_cast<int32_t>(fb::BuiltinOperator::L2_NORMALIZATION);
  if (in->type != ElementType::kFloat32 && !isQuantized8(in->type)) {
    return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (in->rank() < 1) return ctx.error("input must have rank >= 1, has shape {}", dimsToString(in->dims));
  if (isQuantized8(in->type)) {
    INFERD_RETURN_IF_ERROR(l2 ? prepareL2NormQuant(ctx, in) : prepareLogSoftmaxQuant(ctx, in));
  }
  if (l2) {
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
  if (isQuantized8(in->type)) {
    dispatchQuantized8(in->type, [&](auto tag) {
      using T = decltype(tag);
      logSoftmaxQuantRows(*ctx.state<LogSoftmaxQuantState>(), in->as<T>(), ctx.output(0)->as<T>(), rows, depth);
    });
    return Status::ok();
  }
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

// Quantized rows (TFLite's integer L2Normalization): d = q - inZp, the
// row's sum of d^2 gives 1 / ||d|| as a fixed-point multiplier
// (quant::invSqrtMultiplier), and each d times it in units of 1/128. INT8
// folds the factor 128 into the multiplier's shift; UINT8 multiplies d by
// 128 first and adds the zero point 128, which rounds differently.
template <typename T>
void l2NormQuantRows(const T* x, T* y, int64_t rows, int64_t depth, int32_t zeroPoint) {
  constexpr bool kSigned = std::is_signed_v<T>;
  for (int64_t r = 0; r < rows; ++r, x += depth, y += depth) {
    int32_t sq = 0;  // at most 255^2 per element
    for (int64_t c = 0; c < depth; ++c) sq += (x[c] - zeroPoint) * (x[c] - zeroPoint);
    const quant::Multiplier inv = quant::invSqrtMultiplier(sq);
    for (int64_t c = 0; c < depth; ++c) {
      const int32_t d = x[c] - zeroPoint;
      int32_t v = 0;
      if constexpr (kSigned) {
        v = quant::multiplyByQuantizedMultiplier(d, {inv.value, inv.shift + 7});
      } else {
        v = 128 + quant::multiplyByQuantizedMultiplier(128 * d, inv);
      }
      y[c] = static_cast<T>(std::clamp(v, quant::qmin<T>(), quant::qmax<T>()));
    }
  }
}

Status evalL2Norm(OpContext& ctx) {
  // TFLite divides by max(||x||, 1e-6), so an all-zero row stays zero.
  constexpr float kEpsilon = 1e-6f;
  const Tensor* in = ctx.input(0);
  const int64_t depth = in->dim(in->rank() - 1);
  if (depth == 0) return Status::ok();
  if (isQuantized8(in->type)) {
    const int32_t zeroPoint = ctx.state<L2NormQuantState>()->inZeroPoint;
    dispatchQuantized8(in->type, [&](auto tag) {
      using T = decltype(tag);
      l2NormQuantRows(in->as<T>(), ctx.output(0)->as<T>(), in->numElements() / depth, depth, zeroPoint);
    });
    return Status::ok();
  }
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
  if constexpr (opSelected(BuiltinOperator::EXP)) r.add(unaryReg<UOp::kExp>(BuiltinOperator::EXP, 2));
  if constexpr (opSelected(BuiltinOperator::LOG)) r.add(unaryReg<UOp::kLog>(BuiltinOperator::LOG, 2));
  if constexpr (opSelected(BuiltinOperator::SQRT)) r.add(unaryReg<UOp::kSqrt>(BuiltinOperator::SQRT, 2));
  if constexpr (opSelected(BuiltinOperator::RSQRT)) r.add(unaryReg<UOp::kRsqrt>(BuiltinOperator::RSQRT, 2));
  if constexpr (opSelected(BuiltinOperator::SQUARE)) r.add(unaryReg<UOp::kSquare>(BuiltinOperator::SQUARE, 1));
  if constexpr (opSelected(BuiltinOperator::ABS)) r.add(unaryReg<UOp::kAbs>(BuiltinOperator::ABS, 5));
  if constexpr (opSelected(BuiltinOperator::NEG)) r.add(unaryReg<UOp::kNeg>(BuiltinOperator::NEG, 1));
  if constexpr (opSelected(BuiltinOperator::SIN)) r.add(unaryReg<UOp::kSin>(BuiltinOperator::SIN, 1));
  if constexpr (opSelected(BuiltinOperator::COS)) r.add(unaryReg<UOp::kCos>(BuiltinOperator::COS, 1));
  if constexpr (opSelected(BuiltinOperator::FLOOR)) r.add(unaryReg<UOp::kFloor>(BuiltinOperator::FLOOR, 1));
  if constexpr (opSelected(BuiltinOperator::CEIL)) r.add(unaryReg<UOp::kCeil>(BuiltinOperator::CEIL, 1));
  if constexpr (opSelected(BuiltinOperator::ROUND)) r.add(unaryReg<UOp::kRound>(BuiltinOperator::ROUND, 1));
  if constexpr (opSelected(BuiltinOperator::SIGN)) r.add(unaryReg<UOp::kSign>(BuiltinOperator::SIGN, 2));
  if constexpr (opSelected(BuiltinOperator::ELU)) r.add(unaryReg<UOp::kElu>(BuiltinOperator::ELU, 1));
  if constexpr (opSelected(BuiltinOperator::GELU)) r.add(unaryReg<UOp::kGelu>(BuiltinOperator::GELU, 2));
  if constexpr (opSelected(BuiltinOperator::LOGICAL_NOT)) {
    r.add(unaryReg<UOp::kLogicalNot>(BuiltinOperator::LOGICAL_NOT, 1));
  }
  if constexpr (opSelected(BuiltinOperator::LOG_SOFTMAX)) {
    r.add(reg(BuiltinOperator::LOG_SOFTMAX, 2, prepareRowwise, evalLogSoftmax,
              {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8}));
  }
  if constexpr (opSelected(BuiltinOperator::L2_NORMALIZATION)) {
    r.add(reg(BuiltinOperator::L2_NORMALIZATION, 2, prepareRowwise, evalL2Norm,
              {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8}));
  }
  if constexpr (opSelected(BuiltinOperator::CAST)) {
    r.add(reg(BuiltinOperator::CAST, 5, prepareCast, evalCast,
              {ElementType::kFloat32, ElementType::kFloat64, ElementType::kInt8, ElementType::kUInt8,
               ElementType::kInt16, ElementType::kUInt16, ElementType::kInt32, ElementType::kInt64,
               ElementType::kBool}));
  }
}

}  // namespace inferd::engine::kernels
