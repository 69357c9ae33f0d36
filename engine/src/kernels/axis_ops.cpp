// Kernels that scan one axis: ARG_MAX and ARG_MIN (INT32 or INT64 output,
// the first index wins ties, as in TensorFlow Lite's strict comparison) and
// CUMSUM (exclusive and reverse options).
#include <cstdint>
#include <memory>

#include "array_util.h"
#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

// ---------------------------------------------------------------- ARG_MAX, ARG_MIN

Status argOutputDims(OpContext& ctx, int* axis, Dims* outDims) {
  const Tensor* in = ctx.input(0);
  int64_t a = 0;
  INFERD_RETURN_IF_ERROR(readIntScalar(ctx, ctx.input(1), "axis", &a));
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, a, in->rank(), axis));
  Dims d = in->dims;
  d.erase(d.begin() + *axis);
  *outDims = std::move(d);
  return Status::ok();
}

template <bool IsMax>
Status prepareArg(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* axis = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &axis));
  switch (in->type) {
    case ElementType::kFloat32:
    case ElementType::kInt32:
    case ElementType::kInt64:
    case ElementType::kInt8:
    case ElementType::kUInt8:
    case ElementType::kBool:
      break;
    default:
      return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  }
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, axis, "axis"));
  if (in->rank() < 1) return ctx.error("input must have rank >= 1, has shape {}", dimsToString(in->dims));
  const Tensor* out = ctx.output(0);
  if (out->type != ElementType::kInt32 && out->type != ElementType::kInt64) {
    return ctx.unsupported("output type {} is not supported (INT32 and INT64 are)", elementTypeName(out->type));
  }
  // output_type in the options must agree with the output tensor when set.
  fb::TensorType optType = fb::TensorType::FLOAT32;
  if constexpr (IsMax) {
    if (const auto* o = options<fb::ArgMaxOptions>(ctx)) optType = o->output_type();
  } else {
    if (const auto* o = options<fb::ArgMinOptions>(ctx)) optType = o->output_type();
  }
  if (optType != fb::TensorType::FLOAT32 && static_cast<int>(optType) != static_cast<int>(out->type)) {
    return ctx.error("output_type is {} but the output tensor has type {}",
                     elementTypeName(static_cast<ElementType>(optType)), elementTypeName(out->type));
  }
  if (!axis->isConstant) {
    ctx.markOutputDynamic(0);
    return Status::ok();
  }
  int a = 0;
  Dims outDims;
  INFERD_RETURN_IF_ERROR(argOutputDims(ctx, &a, &outDims));
  return ctx.resizeOutput(0, outDims);
}

template <bool IsMax, typename T, typename O>
void argScan(const T* in, O* out, int64_t outer, int64_t axisSize, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = in + o * axisSize * inner + i;
      T best = p[0];
      O bestIndex = 0;
      for (int64_t k = 1; k < axisSize; ++k) {
        const T v = p[k * inner];
        if (IsMax ? (v > best) : (v < best)) {
          best = v;
          bestIndex = static_cast<O>(k);
        }
      }
      out[o * inner + i] = bestIndex;
    }
  }
}

template <bool IsMax, typename O>
void argDispatch(const Tensor* in, O* out, int64_t outer, int64_t axisSize, int64_t inner) {
  switch (in->type) {
    case ElementType::kFloat32: argScan<IsMax>(in->as<float>(), out, outer, axisSize, inner); break;
    case ElementType::kInt32: argScan<IsMax>(in->as<int32_t>(), out, outer, axisSize, inner); break;
    case ElementType::kInt64: argScan<IsMax>(in->as<int64_t>(), out, outer, axisSize, inner); break;
    case ElementType::kInt8: argScan<IsMax>(in->as<int8_t>(), out, outer, axisSize, inner); break;
    case ElementType::kUInt8: argScan<IsMax>(in->as<uint8_t>(), out, outer, axisSize, inner); break;
    case ElementType::kBool: argScan<IsMax>(in->as<bool>(), out, outer, axisSize, inner); break;
    default: break;
  }
}

template <bool IsMax>
Status evalArg(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  int axis = 0;
  Dims outDims;
  INFERD_RETURN_IF_ERROR(argOutputDims(ctx, &axis, &outDims));
  if (out->isDynamic) INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  const int64_t axisSize = in->dim(axis);
  const int64_t outer = productOf(in->dims, 0, axis);
  const int64_t inner = productOf(in->dims, axis + 1, in->rank());
  if (axisSize == 0) {
    if (outer * inner != 0) return ctx.error("cannot take the arg {} over an empty axis {}", IsMax ? "max" : "min", axis);
    return Status::ok();
  }
  if (out->type == ElementType::kInt64) {
    argDispatch<IsMax>(in, out->as<int64_t>(), outer, axisSize, inner);
  } else {
    argDispatch<IsMax>(in, out->as<int32_t>(), outer, axisSize, inner);
  }
  return Status::ok();
}

// ---------------------------------------------------------------- CUMSUM

struct CumsumState : KernelState {
  bool exclusive = false;
  bool reverse = false;
};

Status prepareCumsum(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* axis = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &axis));
  if (in->type != ElementType::kFloat32 && in->type != ElementType::kInt32 && in->type != ElementType::kInt64) {
    return ctx.unsupported("input type {} is not supported (FLOAT32, INT32 and INT64 are)",
                           elementTypeName(in->type));
  }
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, axis, "axis"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (in->rank() < 1) return ctx.error("input must have rank >= 1, has shape {}", dimsToString(in->dims));
  if (axis->isConstant) {
    int64_t a = 0;
    int unused = 0;
    INFERD_RETURN_IF_ERROR(readIntScalar(ctx, axis, "axis", &a));
    INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, a, in->rank(), &unused));
  }
  auto state = std::make_unique<CumsumState>();
  if (const auto* o = options<fb::CumsumOptions>(ctx)) {
    state->exclusive = o->exclusive();
    state->reverse = o->reverse();
  }
  ctx.setState(std::move(state));
  return ctx.resizeOutput(0, in->dims);
}

template <typename T>
void cumsum(const T* in, T* out, int64_t outer, int64_t axisSize, int64_t inner, bool exclusive, bool reverse) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * axisSize * inner + i;
      T acc = T(0);
      for (int64_t step = 0; step < axisSize; ++step) {
        const int64_t k = reverse ? axisSize - 1 - step : step;
        const int64_t at = base + k * inner;
        if (exclusive) {
          out[at] = acc;
          acc += in[at];
        } else {
          acc += in[at];
          out[at] = acc;
        }
      }
    }
  }
}

Status evalCumsum(OpContext& ctx) {
  const CumsumState& s = *ctx.state<CumsumState>();
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  int64_t a = 0;
  int axis = 0;
  INFERD_RETURN_IF_ERROR(readIntScalar(ctx, ctx.input(1), "axis", &a));
  INFERD_RETURN_IF_ERROR(normalizeAxis(ctx, a, in->rank(), &axis));
  const int64_t axisSize = in->dim(axis);
  const int64_t outer = productOf(in->dims, 0, axis);
  const int64_t inner = productOf(in->dims, axis + 1, in->rank());
  switch (in->type) {
    case ElementType::kFloat32:
      cumsum(in->as<float>(), out->as<float>(), outer, axisSize, inner, s.exclusive, s.reverse);
      break;
    case ElementType::kInt32:
      cumsum(in->as<int32_t>(), out->as<int32_t>(), outer, axisSize, inner, s.exclusive, s.reverse);
      break;
    default:
      cumsum(in->as<int64_t>(), out->as<int64_t>(), outer, axisSize, inner, s.exclusive, s.reverse);
      break;
  }
  return Status::ok();
}

KernelRegistration reg(fb::BuiltinOperator code, int32_t maxVersion, KernelFn prepare, KernelFn eval,
                       std::vector<ElementType> types) {
  return builtinKernel(code, 1, maxVersion, 2, 2, prepare, eval, std::move(types));
}

}  // namespace

void registerAxisKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  const std::vector<ElementType> argTypes = {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64,
                                             ElementType::kInt8,    ElementType::kUInt8, ElementType::kBool};
  // Version ranges from TFLite's register.cc.
  if constexpr (opSelected(BuiltinOperator::ARG_MAX)) {
    r.add(reg(BuiltinOperator::ARG_MAX, 3, prepareArg<true>, evalArg<true>, argTypes));
  }
  if constexpr (opSelected(BuiltinOperator::ARG_MIN)) {
    r.add(reg(BuiltinOperator::ARG_MIN, 3, prepareArg<false>, evalArg<false>, argTypes));
  }
  if constexpr (opSelected(BuiltinOperator::CUMSUM)) {
    r.add(reg(BuiltinOperator::CUMSUM, 1, prepareCumsum, evalCumsum,
              {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64}));
  }
}

}  // namespace inferd::engine::kernels
