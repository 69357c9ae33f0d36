// Reference kernels for 2-D pooling over NHWC tensors: AVERAGE_POOL_2D and
// MAX_POOL_2D with SAME/VALID padding, strides, filter size and a fused
// activation, following TensorFlow Lite's reference semantics (the average
// divides by the number of window elements that lie inside the input). With
// optimized kernels on, both run through XNNPACK's pooling operators, which
// follow the same rule (padding never counts, the max ignores it).
//
// INT8/UINT8 pooling follows TFLite's integer kernels: the input and output
// must be quantized alike (TFLite's rule), the average is the int32 window
// sum divided with rounding half away from zero, and the fused activation
// clamps in the quantized domain.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "kernel_util.h"
#include "quant_kernel_util.h"
#include "register.h"
#include "xnnpack_util.h"

namespace inferd::engine::kernels {
namespace {

enum class PoolKind { kAverage, kMax };

struct PoolState : KernelState {
  int32_t strideH = 1;
  int32_t strideW = 1;
  int32_t filterH = 1;
  int32_t filterW = 1;
  int32_t padH = 0;  // padding before the first row/column (TFLite puts the odd pixel after)
  int32_t padW = 0;
  ActivationRange act;
  quant::QuantRange qact;  // 8-bit types: the activation's quantized bounds
  int accScratch = -1;         // 8-bit types: int32 accumulators, one per channel
  xnn::Operator xnnOp;  // when set, eval runs XNNPACK instead
};

// Output size and leading padding along one dimension, in 64-bit so absurd
// option values in a hostile model cannot overflow. Same formulas as
// convOutputSize/convPaddingBefore (TFLite's ComputeOutSize and
// ComputePaddingWithOffset, dilation 1).
struct AxisGeometry {
  int64_t out = 0;
  int64_t padBefore = 0;
  int64_t padAfter = 0;  // the rest of the total padding (XNNPACK takes both)
};

AxisGeometry poolAxis(fb::Padding padding, int64_t in, int64_t filter, int64_t stride) {
  AxisGeometry g;
  if (padding == fb::Padding::SAME) {
    g.out = (in + stride - 1) / stride;
  } else {
    g.out = (in - filter + stride) / stride;
  }
  int64_t total = (g.out - 1) * stride + filter - in;
  if (padding != fb::Padding::SAME || total < 0) total = 0;
  g.padBefore = total / 2;
  g.padAfter = total - g.padBefore;
  return g;
}

// XNNPACK's output size for explicit padding, to confirm it agrees with ours.
int64_t xnnPoolOut(int64_t in, const AxisGeometry& g, int64_t filter, int64_t stride) {
  const int64_t padded = in + g.padBefore + g.padAfter;
  return padded < filter ? 0 : (padded - filter) / stride + 1;
}

// Creates the XNNPACK pooling operator into st->xnnOp when it can run this
// node; XNNPACK declines 1x1 windows, which then use the reference loop.
void prepareXnnPool(const OpContext& ctx, PoolKind kind, const Tensor* input,
                    const AxisGeometry& gh, const AxisGeometry& gw, PoolState* st) {
  if (!xnn::enabled(ctx) || input->isConstant || input->numElements() == 0) return;
  if (gh.out <= 0 || gw.out <= 0) return;
  // XNNPACK keeps one pointer per window element and output pixel (its
  // indirection buffer): a window far larger than the image (a damaged
  // model's 35000x35000 filter asked for 195 GB) stays on the reference
  // loop, which only visits the window's part inside the image.
  constexpr double kMaxIndirectionPointers = double{1 << 24};
  if (static_cast<double>(gh.out) * static_cast<double>(gw.out) * st->filterH * st->filterW >
      kMaxIndirectionPointers) {
    return;
  }
  for (int64_t v : {gh.padBefore, gh.padAfter, gw.padBefore, gw.padAfter}) {
    if (!xnn::fitsU32(v)) return;
  }
  if (xnnPoolOut(input->dim(1), gh, st->filterH, st->strideH) != gh.out ||
      xnnPoolOut(input->dim(2), gw, st->filterW, st->strideW) != gw.out) {
    return;
  }
  const auto channels = static_cast<size_t>(input->dim(3));
  const auto top = static_cast<uint32_t>(gh.padBefore);
  const auto bottom = static_cast<uint32_t>(gh.padAfter);
  const auto left = static_cast<uint32_t>(gw.padBefore);
  const auto right = static_cast<uint32_t>(gw.padAfter);
  const auto fh = static_cast<uint32_t>(st->filterH);
  const auto fw = static_cast<uint32_t>(st->filterW);
  const auto sh = static_cast<uint32_t>(st->strideH);
  const auto sw = static_cast<uint32_t>(st->strideW);
  xnn_status status;
  if (kind == PoolKind::kMax) {
    status = xnn_create_max_pooling2d_nhwc_f32(top, right, bottom, left, fh, fw, sh, sw, 1, 1,
                                               channels, channels, channels, st->act.min,
                                               st->act.max, 0, st->xnnOp.out());
  } else {
    status = xnn_create_average_pooling2d_nhwc_f32(top, right, bottom, left, fh, fw, sh, sw,
                                                   channels, channels, channels, st->act.min,
                                                   st->act.max, 0, st->xnnOp.out());
  }
  xnn::created(status, st->xnnOp);
}

template <PoolKind kind>
Status preparePool(OpContext& ctx) {
  const Tensor* input = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  Tensor* output = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  const bool quantized = isQuantized8(input->type);
  if (!quantized) INFERD_RETURN_IF_ERROR(checkType(ctx, input, ElementType::kFloat32, "input"));
  if (output->type != input->type) {
    return ctx.error("output has type {}, input has type {}", elementTypeName(output->type),
                     elementTypeName(input->type));
  }

  // TFLite parses a missing options table as all zeros, which its prepare
  // then rejects (stride 0); we say so directly.
  const auto* opts = options<fb::Pool2DOptions>(ctx);
  if (opts == nullptr) return ctx.error("Pool2DOptions are missing");

  auto st = std::make_unique<PoolState>();
  st->strideH = opts->stride_h();
  st->strideW = opts->stride_w();
  st->filterH = opts->filter_height();
  st->filterW = opts->filter_width();
  if (st->strideH <= 0 || st->strideW <= 0) {
    return ctx.error("strides must be positive, got stride_h {} stride_w {}", st->strideH,
                     st->strideW);
  }
  if (st->filterH <= 0 || st->filterW <= 0) {
    return ctx.error("filter size must be positive, got filter_height {} filter_width {}",
                     st->filterH, st->filterW);
  }
  const fb::Padding padding = opts->padding();
  if (padding != fb::Padding::SAME && padding != fb::Padding::VALID) {
    return ctx.unsupported("padding {} is not supported", static_cast<int>(padding));
  }
  INFERD_RETURN_IF_ERROR(activationRange(ctx, opts->fused_activation_function(), &st->act));
  if (quantized) {
    TensorQuant qi, qo;
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, input, "input", &qi));
    INFERD_RETURN_IF_ERROR(perTensorQuant(ctx, output, "output", &qo));
    // TFLite: |scale difference| <= 1e-6 and equal zero points.
    if (std::fabs(qi.scale - qo.scale) > 1.0e-6f || qi.zeroPoint != qo.zeroPoint) {
      INFERD_RETURN_IF_ERROR(requireSameQuant(ctx, qi, qo, "input", "output"));
    }
    INFERD_RETURN_IF_ERROR(
        quantizedActivation(ctx, opts->fused_activation_function(), input->type, qo, &st->qact));
    st->accScratch = ctx.requestScratch(static_cast<size_t>(std::max(input->dim(3), 1)) * sizeof(int32_t));
  }

  const int32_t batches = input->dim(0);
  const int32_t height = input->dim(1);
  const int32_t width = input->dim(2);
  const int32_t channels = input->dim(3);
  const AxisGeometry gh = poolAxis(padding, height, st->filterH, st->strideH);
  const AxisGeometry gw = poolAxis(padding, width, st->filterW, st->strideW);
  if (gh.out < 0 || gw.out < 0) {
    return ctx.error("filter {}x{} does not fit the {}x{} input with VALID padding", st->filterH,
                     st->filterW, height, width);
  }
  st->padH = static_cast<int32_t>(gh.padBefore);
  st->padW = static_cast<int32_t>(gw.padBefore);

  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(
      0, Dims{batches, static_cast<int32_t>(gh.out), static_cast<int32_t>(gw.out), channels}));
  if (!quantized) prepareXnnPool(ctx, kind, input, gh, gw, st.get());
  ctx.setState(std::move(st));
  return Status::ok();
}

// Walks every output pixel `out` with its window clipped to the input:
// init(out, depth), visit(out, pixel, depth) for each input pixel of the
// window, then finish(out, depth, count).
template <typename T, typename Init, typename Visit, typename Finish>
Status forEachWindow(const OpContext& ctx, const PoolState* st, const Tensor* input, Tensor* output,
                     Init init, Visit visit, Finish finish) {
  const NhwcSizes g(input, output);
  const int32_t inH = g.inH;
  const int32_t inW = g.inW;
  const int32_t depth = g.depth;
  const T* in = input->as<T>();
  T* out = output->as<T>();
  for (int32_t b = 0; b < g.batches; ++b) {
    const T* inBatch = in + g.inOffset(b, 0, 0);
    for (int32_t oy = 0; oy < g.outH; ++oy) {
      const int32_t originY = oy * st->strideH - st->padH;
      const int32_t fyBegin = std::max(0, -originY);
      const int32_t fyEnd = std::min(st->filterH, inH - originY);
      for (int32_t ox = 0; ox < g.outW; ++ox) {
        const int32_t originX = ox * st->strideW - st->padW;
        const int32_t fxBegin = std::max(0, -originX);
        const int32_t fxEnd = std::min(st->filterW, inW - originX);
        T* o = out + g.outOffset(b, oy, ox);
        init(o, depth);
        int32_t count = 0;
        for (int32_t fy = fyBegin; fy < fyEnd; ++fy) {
          const T* row = inBatch + static_cast<int64_t>(originY + fy) * inW * depth;
          for (int32_t fx = fxBegin; fx < fxEnd; ++fx) {
            visit(o, row + static_cast<int64_t>(originX + fx) * depth, depth);
            ++count;
          }
        }
        // TFLite refuses a window with no input element (it cannot happen
        // with SAME/VALID geometry, but guard the division anyway).
        if (count == 0) return ctx.error("pooling window at ({}, {}) covers no input", oy, ox);
        finish(o, depth, count);
      }
    }
  }
  return Status::ok();
}

// 8-bit pooling (TFLite's integer AveragePool/MaxPool): int32 window sums
// divided rounding half away from zero; the max of the raw values.
template <PoolKind kind, typename T>
Status evalQuantPool(OpContext& ctx, const PoolState* st) {
  const Tensor* input = ctx.input(0);
  Tensor* output = ctx.output(0);
  auto* acc = static_cast<int32_t*>(ctx.scratch(st->accScratch));
  const int32_t lo = st->qact.min;
  const int32_t hi = st->qact.max;
  auto init = [acc](T*, int32_t depth) {
    const int32_t start = kind == PoolKind::kAverage ? 0 : quant::qmin<T>();
    std::fill(acc, acc + depth, start);
  };
  auto visit = [acc](T*, const T* px, int32_t depth) {
    for (int32_t c = 0; c < depth; ++c) {
      if constexpr (kind == PoolKind::kAverage) {
        acc[c] += px[c];
      } else {
        acc[c] = std::max(acc[c], static_cast<int32_t>(px[c]));
      }
    }
  };
  auto finish = [acc, lo, hi](T* o, int32_t depth, int32_t count) {
    for (int32_t c = 0; c < depth; ++c) {
      int32_t v = acc[c];
      if constexpr (kind == PoolKind::kAverage) {
        v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
      }
      o[c] = static_cast<T>(std::min(std::max(v, lo), hi));
    }
  };
  return forEachWindow<T>(ctx, st, input, output, init, visit, finish);
}

// Float pooling on the reference path: sums (or maxima) accumulated in the
// output, then divided by the window's count and clamped to the activation.
template <PoolKind kind>
Status evalFloatPool(const OpContext& ctx, const PoolState* st, const Tensor* input,
                     Tensor* output) {
  const float actMin = st->act.min;
  const float actMax = st->act.max;
  auto init = [](float* o, int32_t depth) {
    const float start = kind == PoolKind::kAverage ? 0.f : std::numeric_limits<float>::lowest();
    std::fill(o, o + depth, start);
  };
  auto visit = [](float* o, const float* px, int32_t depth) {
    if constexpr (kind == PoolKind::kAverage) {
      for (int32_t c = 0; c < depth; ++c) o[c] += px[c];
    } else {
      // Written like std::max(o, px): a NaN input never replaces o.
      for (int32_t c = 0; c < depth; ++c) o[c] = o[c] < px[c] ? px[c] : o[c];
    }
  };
  auto finish = [actMin, actMax](float* o, int32_t depth, int32_t count) {
    if constexpr (kind == PoolKind::kAverage) {
      const float n = static_cast<float>(count);
      for (int32_t c = 0; c < depth; ++c) o[c] = std::min(std::max(o[c] / n, actMin), actMax);
    } else {
      for (int32_t c = 0; c < depth; ++c) o[c] = std::min(std::max(o[c], actMin), actMax);
    }
  };
  return forEachWindow<float>(ctx, st, input, output, init, visit, finish);
}

template <PoolKind kind>
Status evalPool(OpContext& ctx) {
  const auto* st = ctx.state<PoolState>();
  const Tensor* input = ctx.input(0);
  Tensor* output = ctx.output(0);
  if (isQuantized8(input->type)) {
    return dispatchQuantized8(input->type, [&](auto tag) {
      return evalQuantPool<kind, decltype(tag)>(ctx, st);
    });
  }
  if (st->xnnOp) {
    const auto setup = kind == PoolKind::kMax ? xnn_setup_max_pooling2d_nhwc_f32
                                              : xnn_setup_average_pooling2d_nhwc_f32;
    const pthreadpool_t pool = xnn::threadPoolFor(ctx, 2 * input->numElements());
    INFERD_RETURN_IF_ERROR(xnn::check(
        ctx,
        setup(st->xnnOp.get(), static_cast<size_t>(input->dim(0)),
              static_cast<size_t>(input->dim(1)), static_cast<size_t>(input->dim(2)),
              input->as<float>(), output->as<float>(), pool),
        "pooling setup"));
    return xnn::run(ctx, st->xnnOp, pool);
  }
  return evalFloatPool<kind>(ctx, st, input, output);
}

KernelRegistration poolRegistration(fb::BuiltinOperator op, KernelFn prepare, KernelFn eval) {
  // Versions from TFLite register.cc; v2 int8, v3 int16 (INT16 is refused in prepare).
  return builtinKernel(op, 1, 3, 1, 1, prepare, eval,
                       {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8});
}

}  // namespace

void registerPoolingKernels(OpResolver& r) {
  if constexpr (opSelected(fb::BuiltinOperator::AVERAGE_POOL_2D)) {
    r.add(poolRegistration(fb::BuiltinOperator::AVERAGE_POOL_2D, preparePool<PoolKind::kAverage>,
                           evalPool<PoolKind::kAverage>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::MAX_POOL_2D)) {
    r.add(poolRegistration(fb::BuiltinOperator::MAX_POOL_2D, preparePool<PoolKind::kMax>,
                           evalPool<PoolKind::kMax>));
  }
}

}  // namespace inferd::engine::kernels
