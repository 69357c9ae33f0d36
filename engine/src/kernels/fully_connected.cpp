// Float kernel for FULLY_CONNECTED: output = act(input * weights^T + bias)
// with weights [units, inputSize] in the DEFAULT format, an optional bias and
// keep_num_dims, following TensorFlow Lite's reference semantics (the input
// is flattened to [elements / inputSize, inputSize]). Runs through the packed
// GEMM in conv_util.h, or XNNPACK's fully-connected operator when optimized
// kernels are on and the weights and bias are constants.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "conv_util.h"
#include "kernel_util.h"
#include "quant_kernels.h"
#include "register.h"
#include "simd/pointwise_f32.h"
#include "xnnpack_util.h"

namespace inferd::engine::kernels {

Status readFullyConnectedOptions(const OpContext& ctx, FullyConnectedOptions* out) {
  // A missing options table means TFLite's defaults: no activation, DEFAULT
  // weights, keep_num_dims false, symmetric hybrid input quantization.
  *out = FullyConnectedOptions{};
  const auto* opts = options<fb::FullyConnectedOptions>(ctx);
  if (opts != nullptr) {
    if (opts->weights_format() != fb::FullyConnectedOptionsWeightsFormat::DEFAULT) {
      return ctx.unsupported("weights_format {} is not supported (only DEFAULT)",
                             fb::EnumNameFullyConnectedOptionsWeightsFormat(opts->weights_format()));
    }
    out->keepNumDims = opts->keep_num_dims();
    out->activation = opts->fused_activation_function();
    out->asymmetricQuantizeInputs = opts->asymmetric_quantize_inputs();
  }
  if (ctx.numOutputs() != 1) {
    return ctx.error("has {} outputs, DEFAULT weights_format has 1", ctx.numOutputs());
  }
  return Status::ok();
}

Status fullyConnectedShape(const OpContext& ctx, const Tensor* input, const Tensor* weights,
                           bool keepNumDims, int64_t* batches, Dims* outDims) {
  INFERD_RETURN_IF_ERROR(checkRank(ctx, weights, 2, "weights"));
  const int64_t units = weights->dim(0);
  const int64_t inputSize = weights->dim(1);
  if (inputSize <= 0) {
    return ctx.error("weights have shape {}; the input size must be positive",
                     dimsToString(weights->dims));
  }
  const int64_t elements = input->numElements();
  if (elements % inputSize != 0) {
    return ctx.error("input shape {} has {} elements, not a multiple of the weights' input "
                     "size {}", dimsToString(input->dims), elements, inputSize);
  }
  *batches = elements / inputSize;
  if (keepNumDims) {
    if (input->rank() == 0 || input->dims.back() != inputSize) {
      return ctx.error("keep_num_dims needs the input's last dimension to be {}, input shape {}",
                       inputSize, dimsToString(input->dims));
    }
    *outDims = input->dims;
    outDims->back() = static_cast<int32_t>(units);
  } else {
    if (*batches > INT32_MAX) return ctx.error("batch of {} rows is too large", *batches);
    *outDims = Dims{static_cast<int32_t>(*batches), static_cast<int32_t>(units)};
  }
  return Status::ok();
}

namespace {

struct FullyConnectedState : KernelState {
  int64_t batches = 0;
  int64_t inputSize = 0;
  int64_t units = 0;
  ActivationRange act;
  // Constant weights are packed once here; others into scratch on each eval.
  std::vector<float> packed;
  int packScratch = -1;
  xnn::Operator xnnOp;  // when set, eval runs XNNPACK instead
  std::unique_ptr<simd::PointwiseF32> gemm;  // when set, eval runs it (AVX2-only CPUs)
};

// XNNPACK's fully-connected operator for constant weights [units, inputSize]
// (its default layout) and bias; empty when it cannot run this node.
void prepareXnnFullyConnected(const OpContext& ctx, const Tensor* input, const Tensor* weights,
                              const Tensor* bias, FullyConnectedState* st) {
  if (!xnn::enabled(ctx) || ctx.reproducibleFloat() || input->isConstant || !weights->isConstant ||
      (bias != nullptr && !bias->isConstant)) {
    return;
  }
  if (st->batches <= 0 || st->units <= 0) return;
  const auto in = static_cast<size_t>(st->inputSize);
  const auto units = static_cast<size_t>(st->units);
  xnn::created(xnn_create_fully_connected_nc_f32(in, units, in, units, weights->as<float>(),
                                                 bias != nullptr ? bias->as<float>() : nullptr,
                                                 st->act.min, st->act.max, 0, st->xnnOp.out()),
               st->xnnOp);
}

void packWeights(const FullyConnectedState& st, const float* weights, float* dst) {
  // weights [units, inputSize] is row n = unit, column k = input element.
  const int64_t k = st.inputSize;
  packPanels(weights, k, st.units, [k](int64_t kk, int64_t n) { return n * k + kk; }, dst);
}

Status prepareFullyConnected(OpContext& ctx) {
  const Tensor* input = nullptr;
  const Tensor* weights = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &weights));

  if (isQuantizedNode(input, weights)) return prepareFullyConnectedQuantized(ctx);
  FullyConnectedOptions opts;
  INFERD_RETURN_IF_ERROR(readFullyConnectedOptions(ctx, &opts));
  auto st = std::make_unique<FullyConnectedState>();
  INFERD_RETURN_IF_ERROR(activationRange(ctx, opts.activation, &st->act));

  Tensor* output = ctx.output(0);
  if (output->type != ElementType::kFloat32) {
    return ctx.unsupported("output has type {}, expected FLOAT32", elementTypeName(output->type));
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(fullyConnectedShape(ctx, input, weights, opts.keepNumDims, &st->batches,
                                             &outDims));
  st->units = weights->dim(0);
  st->inputSize = weights->dim(1);

  const Tensor* bias = ctx.input(2);
  if (bias != nullptr) {
    if (bias->type != ElementType::kFloat32) {
      return ctx.unsupported("bias has type {}, expected FLOAT32", elementTypeName(bias->type));
    }
    if (bias->numElements() != st->units) {
      return ctx.error("bias has {} elements, expected {} (one per unit)", bias->numElements(),
                       st->units);
    }
  }

  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));

  // On an AVX2-only CPU the own GEMM (simd/pointwise_f32.h: XNNPACK's
  // arithmetic, bit for bit) where XNNPACK would run.
  if (simd::PointwiseF32::supported() && xnn::enabled(ctx) && !ctx.reproducibleFloat() && !input->isConstant &&
      weights->isConstant && (bias == nullptr || bias->isConstant) && st->batches > 0 && st->units > 0) {
    st->gemm = std::make_unique<simd::PointwiseF32>(st->inputSize, st->units, weights->as<float>(),
                                                    bias != nullptr ? bias->as<float>() : nullptr);
    ctx.setKernelVariant("avx2-gemm-f32");
    ctx.setState(std::move(st));
    return Status::ok();
  }
  prepareXnnFullyConnected(ctx, input, weights, bias, st.get());
  if (st->xnnOp) {
    // XNNPACK packed its own copy of the weights.
    ctx.setKernelVariant("xnnpack");
    ctx.setState(std::move(st));
    return Status::ok();
  }
  // What evalFullyConnected will run, for profiles.
  if (!ctx.reproducibleFloat()) {
    ctx.setKernelVariant("gemm-f32");
  } else {
    ctx.setKernelVariant(st->batches == 1 ? "gemv-f32-builtin-order" : "gemm-f32-builtin-order");
  }
  const int64_t packedFloats = packedPanelFloats(st->inputSize, st->units);
  if (weights->isConstant) {
    st->packed.resize(static_cast<size_t>(packedFloats));
    packWeights(*st, weights->as<float>(), st->packed.data());
  } else {
    st->packScratch = ctx.requestScratch(static_cast<size_t>(packedFloats) * sizeof(float));
  }
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalFullyConnected(OpContext& ctx) {
  if (isQuantizedNode(ctx.input(0), ctx.input(1))) return evalFullyConnectedQuantized(ctx);
  const auto* st = ctx.state<FullyConnectedState>();
  const Tensor* input = ctx.input(0);
  const Tensor* weights = ctx.input(1);
  const Tensor* bias = ctx.input(2);
  Tensor* output = ctx.output(0);
  if (st->gemm) {
    st->gemm->run(input->as<float>(), output->as<float>(), st->batches, st->act.min, st->act.max,
                  xnn::threadPoolFor(ctx, 2 * st->batches * weights->numElements()));
    return Status::ok();
  }
  if (st->xnnOp) {
    const pthreadpool_t pool = xnn::threadPoolFor(ctx, 2 * st->batches * weights->numElements());
    INFERD_RETURN_IF_ERROR(xnn::check(
        ctx,
        xnn_setup_fully_connected_nc_f32(st->xnnOp.get(), static_cast<size_t>(st->batches),
                                         input->as<float>(), output->as<float>(), pool),
        "fully connected setup"));
    return xnn::run(ctx, st->xnnOp, pool);
  }

  const float* in = input->as<float>();
  float* out = output->as<float>();
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  if (st->batches == 1 && ctx.reproducibleFloat()) {
    // TFLite's builtin kernel runs a matrix-vector product for one row.
    gemvBuiltinOrder(st->units, st->inputSize, weights->as<float>(), in, biasData, st->act, out);
    return Status::ok();
  }
  const float* packed = st->packed.data();
  if (st->packScratch >= 0) {
    auto* dst = static_cast<float*>(ctx.scratch(st->packScratch));
    packWeights(*st, weights->as<float>(), dst);
    packed = dst;
  }
  // Tiles of rows keep the part of the input being reused in cache.
  const int64_t tile = gemmTileRows(st->inputSize);
  for (int64_t m0 = 0; m0 < st->batches; m0 += tile) {
    const int64_t rows = std::min(tile, st->batches - m0);
    gemmF32(rows, st->units, st->inputSize, in + m0 * st->inputSize, st->inputSize, packed,
            biasData, st->act, out + m0 * st->units, st->units, ctx.optimizedKernels());
  }
  if (ctx.reproducibleFloat()) {
    refixBuiltinGemmOrder(
        st->batches, st->units, st->inputSize, weights->as<float>(), biasData, st->act,
        [&](int64_t j) { return in + j * st->inputSize; }, [&](int64_t j) { return out + j * st->units; });
  }
  return Status::ok();
}

}  // namespace

void registerFullyConnectedKernels(OpResolver& r) {
  if constexpr (opSelected(fb::BuiltinOperator::FULLY_CONNECTED)) {
    KernelRegistration reg;
    reg.builtinCode = static_cast<int32_t>(fb::BuiltinOperator::FULLY_CONNECTED);
    // TFLite's register.cc range; later versions add quantized types, int4
    // weights and options that do not change the float DEFAULT path.
    reg.minVersion = 1;
    reg.maxVersion = 13;
    reg.minInputs = 2;
    reg.maxInputs = 3;
    reg.minOutputs = 1;
    reg.maxOutputs = 2;  // the shuffled weights format has a workspace output (refused in prepare)
    reg.prepare = prepareFullyConnected;
    reg.eval = evalFullyConnected;
    reg.types = {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8};
    r.add(std::move(reg));
  }
}

}  // namespace inferd::engine::kernels
