// Binary element-wise kernels beyond the arithmetic four: SQUARED_DIFFERENCE,
// MAXIMUM, MINIMUM, POW, FLOOR_DIV, FLOOR_MOD, the comparisons (EQUAL,
// NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, with BOOL output),
// LOGICAL_AND, LOGICAL_OR, and the three-input SELECT / SELECT_V2. All use
// numpy broadcasting through elementwise_util.h (SELECT_V2 walks two
// BroadcastIndexers in step) and follow TensorFlow Lite's reference
// semantics: MAXIMUM/MINIMUM pick with a strict comparison (so NaN handling
// matches), integer FLOOR_DIV/FLOOR_MOD round toward negative infinity and
// reject a zero divisor, integer POW rejects negative exponents. INT8
// SQUARED_DIFFERENCE requantizes as TFLite's integer kernel does: both
// inputs rescaled to a common scale with 7 bits of headroom, differenced,
// squared, and rescaled to the output.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "array_util.h"
#include "elementwise_util.h"
#include "kernel_util.h"
#include "quant_kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

enum class BOp { kSquaredDifference, kMaximum, kMinimum, kPow, kFloorDiv, kFloorMod, kEqual, kNotEqual, kLess,
                 kLessEqual, kGreater, kGreaterEqual, kLogicalAnd, kLogicalOr };

constexpr bool isComparison(BOp op) {
  return op == BOp::kEqual || op == BOp::kNotEqual || op == BOp::kLess || op == BOp::kLessEqual ||
         op == BOp::kGreater || op == BOp::kGreaterEqual;
}

bool isRawInt(ElementType t) {
  return t == ElementType::kInt8 || t == ElementType::kUInt8 || t == ElementType::kInt16;
}

constexpr bool allowsType(BOp op, ElementType t) {
  switch (op) {
    case BOp::kSquaredDifference:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt8;
    case BOp::kPow:
      return t == ElementType::kFloat32 || t == ElementType::kInt32;
    case BOp::kMaximum:
    case BOp::kMinimum:
    case BOp::kLess:
    case BOp::kLessEqual:
    case BOp::kGreater:
    case BOp::kGreaterEqual:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt64 ||
             t == ElementType::kInt8 || t == ElementType::kUInt8 || t == ElementType::kInt16;
    case BOp::kEqual:
    case BOp::kNotEqual:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt64 ||
             t == ElementType::kInt8 || t == ElementType::kUInt8 || t == ElementType::kInt16 ||
             t == ElementType::kBool;
    case BOp::kFloorDiv:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt16 ||
             t == ElementType::kInt8;
    case BOp::kFloorMod:
      return t == ElementType::kFloat32 || t == ElementType::kInt32 || t == ElementType::kInt64 ||
             t == ElementType::kInt16 || t == ElementType::kInt8;
    case BOp::kLogicalAnd:
    case BOp::kLogicalOr:
      return t == ElementType::kBool;
  }
  return false;
}

std::vector<ElementType> typesOf(BOp op) {
  std::vector<ElementType> v;
  for (ElementType t : {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64, ElementType::kInt8,
                        ElementType::kUInt8, ElementType::kInt16, ElementType::kBool}) {
    if (allowsType(op, t)) v.push_back(t);
  }
  return v;
}

// INT8 SQUARED_DIFFERENCE's integer parameters (TFLite's ArithmeticParams).
struct SquaredDiffQuant {
  int32_t offsetA = 0, offsetB = 0, offsetOut = 0;  // -zpA, -zpB, +zpOut
  quant::Multiplier multA, multB, multOut;
  // The rescaled inputs per byte (x + 128): the first two of the three
  // multiplications, which depend on one input each.
  int32_t scaledA[256] = {}, scaledB[256] = {};
};

// The headroom TFLite gives the inputs before rescaling them.
constexpr int kSquaredDiffLeftShift = 7;

struct BinaryState : KernelState {
  BinaryPlan plan;
  SquaredDiffQuant sq;  // INT8 SQUARED_DIFFERENCE
};

// TFLite's prepare for INT8 SQUARED_DIFFERENCE, with its float/double
// evaluation order of the real multipliers. All three must be below 1
// (TFLite aborts otherwise); only the output's can fail that.
Status prepareSquaredDiffInt8(const OpContext& ctx, const Tensor* a, const Tensor* b, const Tensor* out,
                              SquaredDiffQuant* q) {
  TensorQuant qa, qb, qo;
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, a, "input 0", &qa));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, b, "input 1", &qb));
  INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, out, "output", &qo));
  q->offsetA = -qa.zeroPoint;
  q->offsetB = -qb.zeroPoint;
  q->offsetOut = qo.zeroPoint;
  const double twiceMax = static_cast<double>(2.f * std::max(qa.scale, qb.scale));
  const float headroom = static_cast<float>(1 << (2 * kSquaredDiffLeftShift)) * qo.scale;
  const double realOut = twiceMax * twiceMax / static_cast<double>(headroom);
  if (!(realOut < 1.0)) {
    return ctx.unsupported("output scale {} is too small for input scales {} and {} (rescale factor {} must be "
                           "below 1)",
                           qo.scale, qa.scale, qb.scale, realOut);
  }
  q->multA = quant::quantizeMultiplier(static_cast<double>(qa.scale) / twiceMax);
  q->multB = quant::quantizeMultiplier(static_cast<double>(qb.scale) / twiceMax);
  q->multOut = quant::quantizeMultiplier(realOut);
  // |offset + x| <= 255, so each rescaled value stays below 2^15 and the
  // square below 2^30.
  for (int32_t x = -128; x <= 127; ++x) {
    q->scaledA[x + 128] = quant::multiplyByQuantizedMultiplier((q->offsetA + x) * (1 << kSquaredDiffLeftShift), q->multA);
    q->scaledB[x + 128] = quant::multiplyByQuantizedMultiplier((q->offsetB + x) * (1 << kSquaredDiffLeftShift), q->multB);
  }
  return Status::ok();
}

void squaredDiffInt8(const BinaryState& s, const int8_t* a, const int8_t* b, int8_t* out) {
  const SquaredDiffQuant& q = s.sq;
  runBinary(s.plan, a, b, out, [&q](int8_t x, int8_t y) {
    const int32_t d = q.scaledA[x + 128] - q.scaledB[y + 128];
    const int32_t v = quant::multiplyByQuantizedMultiplier(d * d, q.multOut) + q.offsetOut;
    return static_cast<int8_t>(std::clamp(v, -128, 127));
  });
}

bool sameQuant(const QuantParams& a, const QuantParams& b) {
  return a.scale == b.scale && a.zeroPoint == b.zeroPoint;
}

template <BOp Op>
Status prepareBinary(OpContext& ctx) {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &a));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &b));
  if (a->type != b->type) {
    return ctx.error("inputs have different types: {} and {}", elementTypeName(a->type), elementTypeName(b->type));
  }
  if (!allowsType(Op, a->type)) return ctx.unsupported("type {} is not supported", elementTypeName(a->type));
  const Tensor* out = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, isComparison(Op) ? ElementType::kBool : a->type));
  auto state = std::make_unique<BinaryState>();
  const bool squaredDiffInt8 = Op == BOp::kSquaredDifference && a->type == ElementType::kInt8;
  if (squaredDiffInt8) INFERD_RETURN_IF_ERROR(prepareSquaredDiffInt8(ctx, a, b, out, &state->sq));
  // Other 8/16-bit integers are compared as stored values; that is only the
  // quantized result when every tensor has the same quantization.
  if (isRawInt(a->type) && !squaredDiffInt8) {
    bool same = sameQuant(a->quant(), b->quant());
    if (!isComparison(Op)) same = same && sameQuant(a->quant(), out->quant());
    if (!same) return ctx.unsupported("{} inputs with different quantization are not supported yet",
                                      elementTypeName(a->type));
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(planBinary(ctx, a->dims, b->dims, &outDims, &state->plan));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

template <typename T>
T floorDivInt(T x, T y) {
  // Truncating division, stepped down when the signs differ and it is inexact.
  const T q = static_cast<T>(x / y);
  return (x % y != 0 && ((x < 0) != (y < 0))) ? static_cast<T>(q - 1) : q;
}

template <typename T>
T floorModInt(T x, T y) {
  const T r = static_cast<T>(x % y);
  return (r != 0 && ((r < 0) != (y < 0))) ? static_cast<T>(r + y) : r;
}

template <typename T>
T intPow(T base, T exponent) {
  // Square-and-multiply with wrapping, as TFLite's IntegerPow.
  using U = std::make_unsigned_t<T>;
  U result = 1;
  U b = static_cast<U>(base);
  for (T e = exponent; e > 0; e >>= 1) {
    if (e & 1) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
  }
  return static_cast<T>(result);
}

template <BOp Op, typename T>
void runOp(const BinaryPlan& plan, const T* a, const T* b, void* outData) {
  if constexpr (isComparison(Op)) {
    bool* out = static_cast<bool*>(outData);
    if constexpr (Op == BOp::kEqual) runBinary(plan, a, b, out, [](T x, T y) { return x == y; });
    if constexpr (Op == BOp::kNotEqual) runBinary(plan, a, b, out, [](T x, T y) { return x != y; });
    if constexpr (std::is_same_v<T, bool>) return;
    else {
      if constexpr (Op == BOp::kLess) runBinary(plan, a, b, out, [](T x, T y) { return x < y; });
      if constexpr (Op == BOp::kLessEqual) runBinary(plan, a, b, out, [](T x, T y) { return x <= y; });
      if constexpr (Op == BOp::kGreater) runBinary(plan, a, b, out, [](T x, T y) { return x > y; });
      if constexpr (Op == BOp::kGreaterEqual) runBinary(plan, a, b, out, [](T x, T y) { return x >= y; });
    }
  } else {
    T* out = static_cast<T*>(outData);
    if constexpr (Op == BOp::kLogicalAnd) runBinary(plan, a, b, out, [](T x, T y) { return static_cast<T>(x && y); });
    if constexpr (Op == BOp::kLogicalOr) runBinary(plan, a, b, out, [](T x, T y) { return static_cast<T>(x || y); });
    if constexpr (!std::is_same_v<T, bool>) {
      // Strict comparisons as in TFLite: MAXIMUM(NaN, 1) is 1, MAXIMUM(1, NaN) is NaN.
      if constexpr (Op == BOp::kMaximum) runBinary(plan, a, b, out, [](T x, T y) { return x > y ? x : y; });
      if constexpr (Op == BOp::kMinimum) runBinary(plan, a, b, out, [](T x, T y) { return x < y ? x : y; });
      if constexpr (std::is_floating_point_v<T>) {
        if constexpr (Op == BOp::kSquaredDifference) {
          runBinary(plan, a, b, out, [](T x, T y) { return (x - y) * (x - y); });
        }
        if constexpr (Op == BOp::kPow) runBinary(plan, a, b, out, [](T x, T y) { return std::pow(x, y); });
        if constexpr (Op == BOp::kFloorDiv) runBinary(plan, a, b, out, [](T x, T y) { return std::floor(x / y); });
        if constexpr (Op == BOp::kFloorMod) {
          runBinary(plan, a, b, out, [](T x, T y) {
            const T r = std::fmod(x, y);
            return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
          });
        }
      } else {
        using U = std::make_unsigned_t<T>;
        if constexpr (Op == BOp::kSquaredDifference) {
          runBinary(plan, a, b, out, [](T x, T y) {
            const U d = static_cast<U>(static_cast<U>(x) - static_cast<U>(y));
            return static_cast<T>(static_cast<U>(d * d));
          });
        }
        if constexpr (Op == BOp::kPow) runBinary(plan, a, b, out, [](T x, T y) { return intPow(x, y); });
        if constexpr (Op == BOp::kFloorDiv) runBinary(plan, a, b, out, [](T x, T y) { return floorDivInt(x, y); });
        if constexpr (Op == BOp::kFloorMod) runBinary(plan, a, b, out, [](T x, T y) { return floorModInt(x, y); });
      }
    }
  }
}

// Integer FLOOR_DIV / FLOOR_MOD reject a zero divisor and POW a negative
// exponent (TFLite fails the invoke), checked before writing anything.
template <BOp Op, typename T>
Status checkOperand(const OpContext& ctx, const Tensor* b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const T* v = b->as<T>();
    const int64_t n = b->numElements();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (Op == BOp::kFloorDiv || Op == BOp::kFloorMod) {
        if (v[i] == 0) return ctx.error("division by zero (divisor element {})", i);
        // MIN / -1 overflows (and traps on x86); treat it as unsupported input.
        if (v[i] == -1) {
          const Tensor* a = const_cast<OpContext&>(ctx).input(0);
          const T* x = a->as<T>();
          for (int64_t j = 0; j < a->numElements(); ++j) {
            if (x[j] == std::numeric_limits<T>::min()) {
              return ctx.error("integer overflow: {} divided by -1", static_cast<int64_t>(x[j]));
            }
          }
        }
      }
      if constexpr (Op == BOp::kPow) {
        if (v[i] < 0) return ctx.error("integer POW does not support negative exponents (element {} is {})", i,
                                       static_cast<int64_t>(v[i]));
      }
    }
  }
  return Status::ok();
}

template <BOp Op, typename T>
Status evalTyped(OpContext& ctx) {
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  INFERD_RETURN_IF_ERROR((checkOperand<Op, T>(ctx, b)));
  runOp<Op, T>(ctx.state<BinaryState>()->plan, a->as<T>(), b->as<T>(), ctx.output(0)->data);
  return Status::ok();
}

template <BOp Op>
Status evalBinary(OpContext& ctx) {
  if constexpr (Op == BOp::kSquaredDifference) {
    if (ctx.input(0)->type == ElementType::kInt8) {
      squaredDiffInt8(*ctx.state<BinaryState>(), ctx.input(0)->as<int8_t>(), ctx.input(1)->as<int8_t>(),
                      ctx.output(0)->as<int8_t>());
      return Status::ok();
    }
  }
  switch (ctx.input(0)->type) {
    case ElementType::kFloat32: if constexpr (allowsType(Op, ElementType::kFloat32)) return evalTyped<Op, float>(ctx); break;
    case ElementType::kInt32: if constexpr (allowsType(Op, ElementType::kInt32)) return evalTyped<Op, int32_t>(ctx); break;
    case ElementType::kInt64: if constexpr (allowsType(Op, ElementType::kInt64)) return evalTyped<Op, int64_t>(ctx); break;
    case ElementType::kInt8: if constexpr (allowsType(Op, ElementType::kInt8)) return evalTyped<Op, int8_t>(ctx); break;
    case ElementType::kUInt8: if constexpr (allowsType(Op, ElementType::kUInt8)) return evalTyped<Op, uint8_t>(ctx); break;
    case ElementType::kInt16: if constexpr (allowsType(Op, ElementType::kInt16)) return evalTyped<Op, int16_t>(ctx); break;
    case ElementType::kBool: if constexpr (allowsType(Op, ElementType::kBool)) return evalTyped<Op, bool>(ctx); break;
    default: break;
  }
  return ctx.unsupported("type {} is not supported", elementTypeName(ctx.input(0)->type));
}

// ---------------------------------------------------------------- SELECT, SELECT_V2

enum class SelectMode {
  kSameShape,   // cond, x, y and the output share one shape
  kCondScalar,  // SELECT: a one-element condition picks all of x or y
  kCondRows,    // SELECT: a 1-D condition picks whole slices along dim 0
  kBroadcast,   // SELECT_V2: numpy broadcast of all three
};

struct SelectState : KernelState {
  SelectMode mode = SelectMode::kSameShape;
  int64_t rowSize = 0;  // kCondRows: elements per slice
  BroadcastIndexer condX{Dims{}, Dims{}, Dims{}};  // strides of cond (A) and x (B)
  BroadcastIndexer yIx{Dims{}, Dims{}, Dims{}};    // strides of y (A)
};

template <bool V2>
Status prepareSelect(OpContext& ctx) {
  const Tensor* c = nullptr;
  const Tensor* x = nullptr;
  const Tensor* y = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &c));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &x));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 2, &y));
  INFERD_RETURN_IF_ERROR(checkType(ctx, c, ElementType::kBool, "condition"));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, x, "x"));
  if (x->type != y->type) {
    return ctx.error("x has type {}, y has type {}", elementTypeName(x->type), elementTypeName(y->type));
  }
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, x->type));
  auto state = std::make_unique<SelectState>();
  Dims outDims;
  if (c->dims == x->dims && x->dims == y->dims) {
    state->mode = SelectMode::kSameShape;
    outDims = x->dims;
  } else if constexpr (!V2) {
    if (x->dims != y->dims) {
      return ctx.error("x {} and y {} must have the same shape", dimsToString(x->dims), dimsToString(y->dims));
    }
    outDims = x->dims;
    if (c->rank() == 0) {
      state->mode = SelectMode::kCondScalar;
    } else if (c->rank() == 1 && x->rank() >= 1 && c->dim(0) == x->dim(0)) {
      state->mode = SelectMode::kCondRows;
      state->rowSize = x->dim(0) == 0 ? 0 : x->numElements() / x->dim(0);
    } else {
      return ctx.error("condition {} must have the shape of x {}, be a scalar, or be 1-D with x's first dimension",
                       dimsToString(c->dims), dimsToString(x->dims));
    }
  } else {
    Dims cx;
    INFERD_RETURN_IF_ERROR(broadcastShape(ctx, c->dims, x->dims, &cx));
    INFERD_RETURN_IF_ERROR(broadcastShape(ctx, cx, y->dims, &outDims));
    state->mode = SelectMode::kBroadcast;
    state->condX = BroadcastIndexer(c->dims, x->dims, outDims);
    state->yIx = BroadcastIndexer(y->dims, y->dims, outDims);
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

template <typename T>
void selectTyped(const SelectState& s, const bool* c, const T* x, const T* y, T* out, int64_t n) {
  switch (s.mode) {
    case SelectMode::kSameShape:
      for (int64_t i = 0; i < n; ++i) out[i] = c[i] ? x[i] : y[i];
      return;
    case SelectMode::kCondScalar: {
      const T* src = c[0] ? x : y;
      std::memcpy(out, src, static_cast<size_t>(n) * sizeof(T));
      return;
    }
    case SelectMode::kCondRows: {
      const int64_t rows = s.rowSize == 0 ? 0 : n / s.rowSize;
      for (int64_t r = 0; r < rows; ++r) {
        const T* src = (c[r] ? x : y) + r * s.rowSize;
        std::memcpy(out + r * s.rowSize, src, static_cast<size_t>(s.rowSize) * sizeof(T));
      }
      return;
    }
    case SelectMode::kBroadcast:
      break;
  }
  // Two indexers over the same output walk: (cond, x) and (y, y).
  const int32_t* d = s.condX.outDims;
  const int64_t* sc = s.condX.strideA;
  const int64_t* sx = s.condX.strideB;
  const int64_t* sy = s.yIx.strideA;
  int64_t o = 0;
  for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
      for (int32_t i2 = 0; i2 < d[2]; ++i2)
        for (int32_t i3 = 0; i3 < d[3]; ++i3)
          for (int32_t i4 = 0; i4 < d[4]; ++i4) {
            const int64_t oc = i0 * sc[0] + i1 * sc[1] + i2 * sc[2] + i3 * sc[3] + i4 * sc[4];
            const int64_t ox = i0 * sx[0] + i1 * sx[1] + i2 * sx[2] + i3 * sx[3] + i4 * sx[4];
            const int64_t oy = i0 * sy[0] + i1 * sy[1] + i2 * sy[2] + i3 * sy[3] + i4 * sy[4];
            for (int32_t i5 = 0; i5 < d[5]; ++i5) {
              out[o++] = c[oc + i5 * sc[5]] ? x[ox + i5 * sx[5]] : y[oy + i5 * sy[5]];
            }
          }
}

Status evalSelect(OpContext& ctx) {
  const SelectState& s = *ctx.state<SelectState>();
  const bool* c = ctx.input(0)->as<bool>();
  const Tensor* x = ctx.input(1);
  const Tensor* y = ctx.input(2);
  Tensor* out = ctx.output(0);
  const int64_t n = out->numElements();
  switch (elementSize(x->type)) {
    case 1: selectTyped(s, c, x->as<uint8_t>(), y->as<uint8_t>(), out->as<uint8_t>(), n); break;
    case 2: selectTyped(s, c, x->as<uint16_t>(), y->as<uint16_t>(), out->as<uint16_t>(), n); break;
    case 4: selectTyped(s, c, x->as<uint32_t>(), y->as<uint32_t>(), out->as<uint32_t>(), n); break;
    case 8: selectTyped(s, c, x->as<uint64_t>(), y->as<uint64_t>(), out->as<uint64_t>(), n); break;
    default: return ctx.unsupported("type {} is not supported", elementTypeName(x->type));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- registration

KernelRegistration reg(fb::BuiltinOperator code, int32_t maxVersion, int32_t inputs, KernelFn prepare,
                       KernelFn eval, std::vector<ElementType> types) {
  KernelRegistration r;
  r.builtinCode = static_cast<int32_t>(code);
  r.minVersion = 1;
  r.maxVersion = maxVersion;
  r.minInputs = inputs;
  r.maxInputs = inputs;
  r.prepare = prepare;
  r.eval = eval;
  r.types = std::move(types);
  return r;
}

template <BOp Op>
KernelRegistration binaryReg(fb::BuiltinOperator code, int32_t maxVersion) {
  return reg(code, maxVersion, 2, prepareBinary<Op>, evalBinary<Op>, typesOf(Op));
}

}  // namespace

void registerBinaryMiscKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  // Version ranges from TFLite's register.cc.
  if constexpr (opSelected(BuiltinOperator::SQUARED_DIFFERENCE)) {
    r.add(binaryReg<BOp::kSquaredDifference>(BuiltinOperator::SQUARED_DIFFERENCE, 2));
  }
  if constexpr (opSelected(BuiltinOperator::MAXIMUM)) r.add(binaryReg<BOp::kMaximum>(BuiltinOperator::MAXIMUM, 4));
  if constexpr (opSelected(BuiltinOperator::MINIMUM)) r.add(binaryReg<BOp::kMinimum>(BuiltinOperator::MINIMUM, 4));
  if constexpr (opSelected(BuiltinOperator::POW)) r.add(binaryReg<BOp::kPow>(BuiltinOperator::POW, 1));
  if constexpr (opSelected(BuiltinOperator::FLOOR_DIV)) r.add(binaryReg<BOp::kFloorDiv>(BuiltinOperator::FLOOR_DIV, 3));
  if constexpr (opSelected(BuiltinOperator::FLOOR_MOD)) r.add(binaryReg<BOp::kFloorMod>(BuiltinOperator::FLOOR_MOD, 2));
  if constexpr (opSelected(BuiltinOperator::EQUAL)) r.add(binaryReg<BOp::kEqual>(BuiltinOperator::EQUAL, 4));
  if constexpr (opSelected(BuiltinOperator::NOT_EQUAL)) r.add(binaryReg<BOp::kNotEqual>(BuiltinOperator::NOT_EQUAL, 3));
  if constexpr (opSelected(BuiltinOperator::LESS)) r.add(binaryReg<BOp::kLess>(BuiltinOperator::LESS, 3));
  if constexpr (opSelected(BuiltinOperator::LESS_EQUAL)) {
    r.add(binaryReg<BOp::kLessEqual>(BuiltinOperator::LESS_EQUAL, 2));
  }
  if constexpr (opSelected(BuiltinOperator::GREATER)) r.add(binaryReg<BOp::kGreater>(BuiltinOperator::GREATER, 2));
  if constexpr (opSelected(BuiltinOperator::GREATER_EQUAL)) {
    r.add(binaryReg<BOp::kGreaterEqual>(BuiltinOperator::GREATER_EQUAL, 3));
  }
  if constexpr (opSelected(BuiltinOperator::LOGICAL_AND)) {
    r.add(binaryReg<BOp::kLogicalAnd>(BuiltinOperator::LOGICAL_AND, 1));
  }
  if constexpr (opSelected(BuiltinOperator::LOGICAL_OR)) {
    r.add(binaryReg<BOp::kLogicalOr>(BuiltinOperator::LOGICAL_OR, 1));
  }
  // Elements of up to 8 bytes are selected as bytes (not COMPLEX128).
  auto any = allFixedSizeTypes();
  std::erase(any, ElementType::kComplex128);
  if constexpr (opSelected(BuiltinOperator::SELECT)) {
    r.add(reg(BuiltinOperator::SELECT, 4, 3, prepareSelect<false>, evalSelect, any));
  }
  if constexpr (opSelected(BuiltinOperator::SELECT_V2)) {
    r.add(reg(BuiltinOperator::SELECT_V2, 2, 3, prepareSelect<true>, evalSelect, any));
  }
}

}  // namespace inferd::engine::kernels
