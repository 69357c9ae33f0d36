// Float kernels for the 2-D convolutions over NHWC tensors: CONV_2D (strides,
// dilation, SAME/VALID, optional bias, fused activation, grouped when the
// input has a multiple of the filter's channels), DEPTHWISE_CONV_2D (with a
// depth multiplier), TRANSPOSE_CONV (with or without its bias input) and
// MediaPipe's custom op Convolution2DTransposeBias. Semantics follow
// TensorFlow Lite's reference kernels (MediaPipe's for the custom op);
// CONV_2D and TRANSPOSE_CONV run through the packed GEMM in conv_util.h.
// With optimized kernels on and constant weights, all four run through
// XNNPACK's convolution / deconvolution operators instead, set up with the
// same explicit padding (the reference paths stay the oracle and the
// fallback for whatever XNNPACK declines).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "conv_util.h"
#include "kernel_util.h"
#include "optimized/qgemm.h"
#include "quant_kernels.h"
#include "register.h"
#include "simd/depthwise_builtin_f32.h"
#include "simd/depthwise_f32.h"
#include "simd/dispatch.h"
#include "simd/elementwise_f32.h"
#include "simd/pointwise_f32.h"
#include "xnnpack_util.h"

namespace inferd::engine::kernels {
namespace {

constexpr int32_t kCustomCode = 32;  // BuiltinOperator CUSTOM

Status checkFloatOutput(OpContext& ctx) {
  const Tensor* output = ctx.output(0);
  if (output->type != ElementType::kFloat32) {
    return ctx.unsupported("output has type {}, expected FLOAT32 like the input",
                           elementTypeName(output->type));
  }
  return Status::ok();
}

// Input 0 must be FLOAT32; quantized convolutions come with the int8 kernels.
Status checkFloatInput(const OpContext& ctx, const Tensor* input) {
  if (input->type != ElementType::kFloat32) {
    return ctx.unsupported("input has type {}; only FLOAT32 is supported so far",
                           elementTypeName(input->type));
  }
  return Status::ok();
}

Status checkFilter(const OpContext& ctx, const Tensor* filter) {
  if (filter->type != ElementType::kFloat32) {
    // int8/uint8 filters with a float input are TFLite's hybrid kernels.
    return ctx.unsupported("filter has type {}; only FLOAT32 filters are supported so far",
                           elementTypeName(filter->type));
  }
  INFERD_RETURN_IF_ERROR(checkRank(ctx, filter, 4, "filter"));
  for (int i = 0; i < 4; ++i) {
    if (filter->dim(i) <= 0) {
      return ctx.error("filter has an empty dimension, shape {}", dimsToString(filter->dims));
    }
  }
  return Status::ok();
}

// Optional bias (nullptr when absent): FLOAT32 with `channels` elements.
Status checkBias(const OpContext& ctx, int index, int64_t channels, bool requireRank1,
                 const Tensor** bias) {
  *bias = ctx.input(index);
  if (*bias == nullptr) return Status::ok();
  if ((*bias)->type != ElementType::kFloat32) {
    return ctx.unsupported("bias has type {}, expected FLOAT32", elementTypeName((*bias)->type));
  }
  if (requireRank1 && (*bias)->rank() != 1) {
    return ctx.error("bias must have rank 1, has shape {}", dimsToString((*bias)->dims));
  }
  if ((*bias)->numElements() != channels) {
    return ctx.error("bias has {} elements, expected {} (one per output channel)",
                     (*bias)->numElements(), channels);
  }
  return Status::ok();
}

// --- XNNPACK fast paths --------------------------------------------------------

// A forward convolution as XNNPACK sees it (TFLite's geometry, resolved).
struct XnnConv {
  Axis h, w;
  int64_t filterH = 1, filterW = 1;
  int32_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t groups = 1, groupIn = 1, groupOut = 1;
  uint32_t flags = 0;
};

// XNNPACK's output size for explicit padding, to confirm it agrees with ours.
int64_t xnnConvOut(int64_t in, int64_t padBefore, int64_t padAfter, int64_t filter,
                   int64_t stride, int64_t dilation) {
  const int64_t padded = in + padBefore + padAfter;
  const int64_t effFilter = (filter - 1) * dilation + 1;
  return padded < effFilter ? 0 : (padded - effFilter) / stride + 1;
}

// Creates XNNPACK's convolution for node input 0 (NHWC) when the weights
// (input 1) and the optional bias (input 2) are constants; an empty Operator
// means the reference kernel runs (optimized kernels off, weights computed at
// run time, a shape XNNPACK declines, or a model with hybrid ops, where the
// reference kernels' summation order -- TFLite's builtin one -- is wanted;
// see OpContext::reproducibleFloat).
xnn::Operator createXnnConv(const OpContext& ctx, const XnnConv& g, const ActivationRange& act) {
  xnn::Operator op;
  const Tensor* input = ctx.input(0);
  const Tensor* filter = ctx.input(1);
  const Tensor* bias = ctx.input(2);
  if (!xnn::enabled(ctx) || ctx.reproducibleFloat() || input->isConstant || !filter->isConstant ||
      (bias != nullptr && !bias->isConstant)) {
    return op;
  }
  const int64_t inH = input->dim(1), inW = input->dim(2);
  if (input->dim(0) <= 0 || inH <= 0 || inW <= 0 || g.h.out <= 0 || g.w.out <= 0) return op;
  for (int64_t v : {g.h.padBefore, g.h.padAfter, g.w.padBefore, g.w.padAfter, g.filterH,
                    g.filterW, g.groups}) {
    if (!xnn::fitsU32(v)) return op;
  }
  if (xnnConvOut(inH, g.h.padBefore, g.h.padAfter, g.filterH, g.strideH, g.dilationH) != g.h.out ||
      xnnConvOut(inW, g.w.padBefore, g.w.padAfter, g.filterW, g.strideW, g.dilationW) != g.w.out) {
    return op;
  }
  const size_t inC = static_cast<size_t>(g.groups * g.groupIn);
  const size_t outC = static_cast<size_t>(g.groups * g.groupOut);
  const xnn_status status = xnn_create_convolution2d_nhwc_f32(
      static_cast<uint32_t>(g.h.padBefore), static_cast<uint32_t>(g.w.padAfter),
      static_cast<uint32_t>(g.h.padAfter), static_cast<uint32_t>(g.w.padBefore),
      static_cast<uint32_t>(g.filterH), static_cast<uint32_t>(g.filterW),
      static_cast<uint32_t>(g.strideH), static_cast<uint32_t>(g.strideW),
      static_cast<uint32_t>(g.dilationH), static_cast<uint32_t>(g.dilationW),
      static_cast<uint32_t>(g.groups), static_cast<size_t>(g.groupIn),
      static_cast<size_t>(g.groupOut), inC, outC, filter->as<float>(),
      bias != nullptr ? bias->as<float>() : nullptr, act.min, act.max, g.flags, op.out());
  xnn::created(status, op);
  return op;
}

// Runs a convolution created by createXnnConv on the current tensors;
// `depthwise`: the filter is [1, kh, kw, out] (else [out, kh, kw, in per
// group]), for the work estimate that decides on threads.
Status runXnnConv(OpContext& ctx, const xnn::Operator& op, bool depthwise) {
  const Tensor* input = ctx.input(0);
  const Tensor* filter = ctx.input(1);
  Tensor* output = ctx.output(0);
  const int64_t macsPerOutput = int64_t{filter->dim(1)} * filter->dim(2) * (depthwise ? 1 : filter->dim(3));
  const pthreadpool_t pool = xnn::threadPoolFor(ctx, 2 * output->numElements() * macsPerOutput);
  INFERD_RETURN_IF_ERROR(xnn::check(
      ctx,
      xnn_setup_convolution2d_nhwc_f32(op.get(), static_cast<size_t>(input->dim(0)),
                                       static_cast<size_t>(input->dim(1)),
                                       static_cast<size_t>(input->dim(2)), input->as<float>(),
                                       output->as<float>(), pool),
      "convolution setup"));
  return xnn::run(ctx, op, pool);
}

// --- CONV_2D -----------------------------------------------------------------

// Stride, dilation, leading padding and fused activation of a float
// CONV_2D / DEPTHWISE_CONV_2D.
struct ForwardConv {
  int32_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int32_t padH = 0, padW = 0;
  ActivationRange act;
};

Status applyConvOptions(const OpContext& ctx, const ConvOptions& opts, ForwardConv* st) {
  st->strideH = opts.strideH;
  st->strideW = opts.strideW;
  st->dilationH = opts.dilationH;
  st->dilationW = opts.dilationW;
  return activationRange(ctx, opts.activation, &st->act);
}

// Pads the input (node input 0) for a filterH x filterW filter, sizes the
// output [batches, outH, outW, outChannels] and fills in XNNPACK's view of
// the geometry (the caller adds groups and flags).
Status prepareForwardOutput(OpContext& ctx, fb::Padding padding, int64_t filterH, int64_t filterW,
                            int64_t outChannels, ForwardConv* st, XnnConv* g) {
  const Tensor* input = ctx.input(0);
  const Axis ah = forwardAxis(padding, input->dim(1), filterH, st->strideH, st->dilationH);
  const Axis aw = forwardAxis(padding, input->dim(2), filterW, st->strideW, st->dilationW);
  INFERD_RETURN_IF_ERROR(checkOutputDims(ctx, ah.out, aw.out));
  st->padH = static_cast<int32_t>(ah.padBefore);
  st->padW = static_cast<int32_t>(aw.padBefore);
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, dims4(input->dim(0), ah.out, aw.out, outChannels)));
  g->h = ah;
  g->w = aw;
  g->filterH = filterH;
  g->filterW = filterW;
  g->strideH = st->strideH;
  g->strideW = st->strideW;
  g->dilationH = st->dilationH;
  g->dilationW = st->dilationW;
  return Status::ok();
}

struct ConvState : KernelState, ForwardConv {
  int32_t groups = 1;
  int64_t inPerGroup = 0;   // filter input channels
  int64_t outPerGroup = 0;  // output channels of one group
  int64_t k = 0;            // GEMM depth: kh * kw * inPerGroup
  int64_t groupPackedFloats = 0;
  // 1x1 stride-1 filters read the input in place; others gather im2col rows.
  bool direct = false;
  int64_t tileRows = 0;
  int64_t threads = 1;  // im2col tiles in the scratch (the pool's threads at prepare)
  int im2colScratch = -1;
  // Constant filters are packed here once; others into scratch on each eval.
  std::vector<float> packed;
  int packScratch = -1;
  xnn::Operator xnnOp;  // when set, eval runs XNNPACK instead
  std::unique_ptr<simd::PointwiseF32> pointwise;  // when set, eval runs it
};

void packConvFilter(const ConvState& st, const float* filter, float* dst) {
  // Filter [out, kh, kw, in/groups] is already row n = output channel, column
  // k = (ky, kx, ic) in GEMM order; each group is its own K x outPerGroup B.
  const int64_t k = st.k;
  for (int32_t g = 0; g < st.groups; ++g) {
    const float* src = filter + g * st.outPerGroup * k;
    packPanels(src, k, st.outPerGroup, [k](int64_t kk, int64_t n) { return n * k + kk; },
               dst + g * st.groupPackedFloats);
  }
}

Status prepareConv(OpContext& ctx) {
  const Tensor* input = nullptr;
  const Tensor* filter = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &filter));
  if (isQuantizedNode(input, filter)) return prepareConvQuantized(ctx);
  INFERD_RETURN_IF_ERROR(checkFloatInput(ctx, input));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  INFERD_RETURN_IF_ERROR(checkFilter(ctx, filter));
  INFERD_RETURN_IF_ERROR(checkFloatOutput(ctx));

  ConvOptions opts;
  INFERD_RETURN_IF_ERROR(readConv2DOptions(ctx, &opts));
  auto st = std::make_unique<ConvState>();
  INFERD_RETURN_IF_ERROR(applyConvOptions(ctx, opts, st.get()));

  const int64_t inChannels = input->dim(3);
  const int64_t outChannels = filter->dim(0);
  const int64_t filterH = filter->dim(1);
  const int64_t filterW = filter->dim(2);
  st->inPerGroup = filter->dim(3);
  if (inChannels <= 0 || inChannels % st->inPerGroup != 0) {
    return ctx.error("input has {} channels, not a multiple of the filter's {} input channels",
                     inChannels, st->inPerGroup);
  }
  const int64_t groups = inChannels / st->inPerGroup;
  if (outChannels % groups != 0) {
    return ctx.error("filter has {} output channels, not divisible into {} groups", outChannels,
                     groups);
  }
  st->groups = static_cast<int32_t>(groups);
  st->outPerGroup = outChannels / groups;
  st->k = filterH * filterW * st->inPerGroup;

  const Tensor* bias = nullptr;
  INFERD_RETURN_IF_ERROR(checkBias(ctx, 2, outChannels, false, &bias));

  XnnConv g;
  INFERD_RETURN_IF_ERROR(
      prepareForwardOutput(ctx, opts.padding, filterH, filterW, outChannels, st.get(), &g));
  g.groups = groups;
  g.groupIn = st->inPerGroup;
  g.groupOut = st->outPerGroup;
  // Pointwise layers on an AVX2-only CPU: the own GEMM, where XNNPACK
  // would run (the same conditions) and gives the same bytes.
  const bool pointwise = filterH == 1 && filterW == 1 && st->strideH == 1 && st->strideW == 1 && groups == 1;
  if (pointwise && simd::PointwiseF32::supported() && xnn::enabled(ctx) && !ctx.reproducibleFloat() &&
      !input->isConstant && filter->isConstant && (bias == nullptr || bias->isConstant)) {
    st->pointwise = std::make_unique<simd::PointwiseF32>(st->k, outChannels, filter->as<float>(),
                                                         bias != nullptr ? bias->as<float>() : nullptr);
    ctx.setKernelVariant("avx2-gemm-f32");
    ctx.setState(std::move(st));
    return Status::ok();
  }
  st->xnnOp = createXnnConv(ctx, g, st->act);
  if (st->xnnOp) {
    // XNNPACK packed its own copy of the weights; the reference path's
    // packing and scratch are not needed.
    ctx.setKernelVariant("xnnpack");
    ctx.setState(std::move(st));
    return Status::ok();
  }

  st->groupPackedFloats = packedPanelFloats(st->k, st->outPerGroup);
  const int64_t packedFloats = st->groupPackedFloats * groups;
  if (filter->isConstant) {
    st->packed.resize(static_cast<size_t>(packedFloats));
    packConvFilter(*st, filter->as<float>(), st->packed.data());
  } else {
    st->packScratch = ctx.requestScratch(static_cast<size_t>(packedFloats) * sizeof(float));
  }

  // SAME and VALID both give zero padding for a 1x1 filter at stride 1.
  st->direct = filterH == 1 && filterW == 1 && st->strideH == 1 && st->strideW == 1;
  // What evalConv will run, for profiles.
  std::string variant = st->direct ? "gemm-f32" : "im2col-gemm-f32";
  if (groups == 1 && ctx.reproducibleFloat()) {
    const Tensor* out = ctx.output(0);
    const bool onePixel = int64_t{input->dim(0)} * out->dim(1) * out->dim(2) == 1;
    variant = onePixel ? "gemv-f32-builtin-order" : variant + "-builtin-order";
  }
  ctx.setKernelVariant(std::move(variant));
  st->tileRows = gemmTileRows(st->k);
  // One im2col tile per thread: the tiles run in parallel.
  st->threads = std::max<int64_t>(1, opt::poolThreads(ctx.threadPool()));
  if (!st->direct) {
    st->im2colScratch =
        ctx.requestScratch(static_cast<size_t>(st->threads * st->tileRows * st->k) * sizeof(float));
  }
  ctx.setState(std::move(st));
  return Status::ok();
}

// Copies the receptive fields of output pixels [p0, p0+rows) of one group into
// `dst` (rows x k); taps that fall in the padding are zero, which adds exactly
// nothing to the sums.
void im2colRows(const ConvState& st, const float* inBatch, int64_t inH, int64_t inW,
                int64_t inC, int64_t filterH, int64_t filterW, int64_t outW, int32_t group,
                int64_t p0, int64_t rows, float* dst) {
  const int64_t icg = st.inPerGroup;
  const size_t chunk = static_cast<size_t>(icg) * sizeof(float);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t oy = (p0 + r) / outW;
    const int64_t ox = (p0 + r) % outW;
    const int64_t y0 = oy * st.strideH - st.padH;
    const int64_t x0 = ox * st.strideW - st.padW;
    float* row = dst + r * st.k;
    for (int64_t ky = 0; ky < filterH; ++ky) {
      const int64_t iy = y0 + ky * st.dilationH;
      if (iy < 0 || iy >= inH) {
        std::memset(row, 0, chunk * static_cast<size_t>(filterW));
        row += filterW * icg;
        continue;
      }
      if (icg == inC && st.dilationW == 1 && x0 >= 0 && x0 + filterW <= inW) {
        // The taps of this filter row are one run of the input row.
        std::memcpy(row, inBatch + (iy * inW + x0) * inC, chunk * static_cast<size_t>(filterW));
        row += filterW * icg;
        continue;
      }
      for (int64_t kx = 0; kx < filterW; ++kx) {
        const int64_t ix = x0 + kx * st.dilationW;
        if (ix < 0 || ix >= inW) {
          std::memset(row, 0, chunk);
        } else {
          std::memcpy(row, inBatch + (iy * inW + ix) * inC + group * icg, chunk);
        }
        row += icg;
      }
    }
  }
}

Status evalConv(OpContext& ctx) {
  if (isQuantizedNode(ctx.input(0), ctx.input(1))) return evalConvQuantized(ctx);
  const auto* st = ctx.state<ConvState>();
  if (st->xnnOp) return runXnnConv(ctx, st->xnnOp, false);
  if (st->pointwise) {
    const Tensor* in = ctx.input(0);
    Tensor* out = ctx.output(0);
    const int64_t m = int64_t{in->dim(0)} * in->dim(1) * in->dim(2);
    st->pointwise->run(in->as<float>(), out->as<float>(), m, st->act.min, st->act.max,
                       xnn::threadPoolFor(ctx, 2 * m * st->pointwise->k() * st->pointwise->n()));
    return Status::ok();
  }
  const Tensor* input = ctx.input(0);
  const Tensor* filter = ctx.input(1);
  const Tensor* bias = ctx.input(2);
  Tensor* output = ctx.output(0);

  const float* packed = st->packed.data();
  if (st->packScratch >= 0) {
    auto* dst = static_cast<float*>(ctx.scratch(st->packScratch));
    packConvFilter(*st, filter->as<float>(), dst);
    packed = dst;
  }
  const int64_t batches = input->dim(0);
  const int64_t inH = input->dim(1), inW = input->dim(2), inC = input->dim(3);
  const int64_t filterH = filter->dim(1), filterW = filter->dim(2);
  const int64_t outH = output->dim(1), outW = output->dim(2), outC = output->dim(3);
  const int64_t pixels = outH * outW;
  const float* in = input->as<float>();
  float* out = output->as<float>();
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  auto* im2col = st->im2colScratch >= 0 ? static_cast<float*>(ctx.scratch(st->im2colScratch))
                                        : nullptr;

  if (batches * pixels == 1 && st->groups == 1 && ctx.reproducibleFloat()) {
    // One output pixel in all: TFLite's builtin kernel runs a matrix-vector
    // product here, whose summation order gemvBuiltinOrder reproduces.
    const float* x = in;
    if (!st->direct) {
      im2colRows(*st, in, inH, inW, inC, filterH, filterW, outW, 0, 0, 1, im2col);
      x = im2col;
    }
    gemvBuiltinOrder(outC, st->k, filter->as<float>(), x, biasData, st->act, out);
    return Status::ok();
  }
  // Tiles of output pixels per batch and group, spread over the threads
  // (each output is summed by one tile, so the order does not change).
  const int64_t tilesPerGroup = (pixels + st->tileRows - 1) / st->tileRows;
  const int64_t tiles = batches * st->groups * tilesPerGroup;
  auto tileRange = [&](int64_t t0, int64_t t1, float* scratch) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / (st->groups * tilesPerGroup);
      const auto g = static_cast<int32_t>(t / tilesPerGroup % st->groups);
      const int64_t p0 = t % tilesPerGroup * st->tileRows;
      const float* inBatch = in + b * inH * inW * inC;
      float* outBatch = out + b * pixels * outC;
      const float* groupPacked = packed + g * st->groupPackedFloats;
      const float* groupBias = biasData != nullptr ? biasData + g * st->outPerGroup : nullptr;
      const int64_t rows = std::min(st->tileRows, pixels - p0);
      const float* a;
      int64_t lda;
      if (st->direct) {
        a = inBatch + p0 * inC + g * st->inPerGroup;
        lda = inC;
      } else {
        im2colRows(*st, inBatch, inH, inW, inC, filterH, filterW, outW, g, p0, rows, scratch);
        a = scratch;
        lda = st->k;
      }
      gemmF32(rows, st->outPerGroup, st->k, a, lda, groupPacked, groupBias, st->act,
              outBatch + p0 * outC + g * st->outPerGroup, outC, ctx.optimizedKernels());
    }
  };
  struct Job {
    const decltype(tileRange)* fn;
    float* scratch;
    int64_t scratchFloats, tiles, tasks;
    static void run(void* self, size_t task) {
      const auto& j = *static_cast<const Job*>(self);
      const auto t = static_cast<int64_t>(task);
      (*j.fn)(j.tiles * t / j.tasks, j.tiles * (t + 1) / j.tasks,
              j.scratch != nullptr ? j.scratch + t * j.scratchFloats : nullptr);
    }
  };
  const pthreadpool_t pool =
      ctx.optimizedKernels() ? xnn::threadPoolFor(ctx, 2 * batches * pixels * st->k * outC) : nullptr;
  Job job{&tileRange, im2col, st->tileRows * st->k, tiles,
          std::max<int64_t>(1, std::min({tiles, opt::poolThreads(pool), st->threads}))};
  opt::parallelFor(pool, job.tasks, &Job::run, &job);
  if (st->groups == 1 && ctx.reproducibleFloat()) {
    // The GEMM's rows are the output pixels of all batches.
    refixBuiltinGemmOrder(
        batches * pixels, outC, st->k, filter->as<float>(), biasData, st->act,
        [&](int64_t j) {
          const float* inBatch = in + j / pixels * inH * inW * inC;
          if (st->direct) return inBatch + j % pixels * inC;
          im2colRows(*st, inBatch, inH, inW, inC, filterH, filterW, outW, 0, j % pixels, 1, im2col);
          return static_cast<const float*>(im2col);
        },
        [&](int64_t j) { return out + j * outC; });
  }
  return Status::ok();
}

// --- DEPTHWISE_CONV_2D -------------------------------------------------------

struct DepthwiseState : KernelState, ForwardConv {
  int32_t multiplier = 1;
  PostOp post = PostOp::kNone;  // a folded SWISH / HARD_SWISH (graph_fusion.h)
  // At most one is set: our AVX-512 kernel, else XNNPACK, else the reference.
  std::unique_ptr<simd::DepthwiseF32> simd;
  xnn::Operator xnnOp;
};

// Our AVX-512 depthwise kernel for the cases it covers (multiplier 1, no
// dilation, constant weights), under the same conditions as XNNPACK.
std::unique_ptr<simd::DepthwiseF32> createSimdDepthwise(OpContext& ctx, const DepthwiseState& st,
                                                        const XnnConv& g) {
  const Tensor* input = ctx.input(0);
  const Tensor* filter = ctx.input(1);
  const Tensor* bias = ctx.input(2);
  if (!ctx.optimizedKernels() || ctx.reproducibleFloat() || input->isConstant || !filter->isConstant ||
      (bias != nullptr && !bias->isConstant) || st.multiplier != 1 || st.dilationH != 1 ||
      st.dilationW != 1) {
    return nullptr;
  }
  // The AVX2 version (no AVX-512) only where a swish or hard-swish is
  // fused: it applies it while the row is in L1 (EfficientNetB0 fp32's
  // depthwise layers, 1 thread: 6.1 -> 4.3 ms), whereas on plain layers
  // XNNPACK's AVX2 kernels were as fast or faster (MobileNetV2: ~22 vs ~17
  // GFLOP/s).
  if (!simd::hasAvx512() && st.post == PostOp::kNone && !simd::preferOwnKernels()) return nullptr;
  const Tensor* output = ctx.output(0);
  simd::DepthwiseGeometry dg;
  dg.batches = input->dim(0);
  dg.inH = input->dim(1);
  dg.inW = input->dim(2);
  dg.channels = input->dim(3);
  dg.outH = output->dim(1);
  dg.outW = output->dim(2);
  dg.kernelH = static_cast<int32_t>(g.filterH);
  dg.kernelW = static_cast<int32_t>(g.filterW);
  dg.strideH = st.strideH;
  dg.strideW = st.strideW;
  dg.padTop = g.h.padBefore;
  dg.padLeft = g.w.padBefore;
  if (dg.batches <= 0 || dg.inH <= 0 || dg.inW <= 0 || !simd::DepthwiseF32::supports(dg)) return nullptr;
  return std::make_unique<simd::DepthwiseF32>(dg, filter->as<float>(),
                                              bias != nullptr ? bias->as<float>() : nullptr);
}

Status prepareDepthwise(OpContext& ctx) {
  const Tensor* input = nullptr;
  const Tensor* filter = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &filter));
  if (isQuantizedNode(input, filter)) return prepareDepthwiseQuantized(ctx);
  INFERD_RETURN_IF_ERROR(checkFloatInput(ctx, input));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  INFERD_RETURN_IF_ERROR(checkFilter(ctx, filter));
  INFERD_RETURN_IF_ERROR(checkFloatOutput(ctx));
  if (filter->dim(0) != 1) {
    return ctx.error("depthwise filter must have shape [1, h, w, channels], has {}",
                     dimsToString(filter->dims));
  }

  ConvOptions opts;
  INFERD_RETURN_IF_ERROR(readDepthwiseOptions(ctx, &opts));
  auto st = std::make_unique<DepthwiseState>();
  INFERD_RETURN_IF_ERROR(applyConvOptions(ctx, opts, st.get()));

  const int64_t inChannels = input->dim(3);
  const int64_t outChannels = filter->dim(3);
  // Like current TFLite, the multiplier comes from the shapes; the option is
  // redundant (older converters wrote 0 there).
  if (inChannels <= 0 || outChannels % inChannels != 0) {
    return ctx.error("filter has {} channels, not a multiple of the input's {} channels",
                     outChannels, inChannels);
  }
  st->multiplier = static_cast<int32_t>(outChannels / inChannels);

  const Tensor* bias = nullptr;
  INFERD_RETURN_IF_ERROR(checkBias(ctx, 2, outChannels, true, &bias));

  // TFLite's [1, kh, kw, C * multiplier] filter is XNNPACK's depthwise (HWGo)
  // layout with one group per input channel.
  XnnConv g;
  INFERD_RETURN_IF_ERROR(prepareForwardOutput(ctx, opts.padding, filter->dim(1), filter->dim(2),
                                              outChannels, st.get(), &g));
  g.groups = inChannels;
  g.groupIn = 1;
  g.groupOut = st->multiplier;
  g.flags = XNN_FLAG_DEPTHWISE_CONVOLUTION;
  if (ctx.fusion() != nullptr) st->post = ctx.fusion()->post;
  st->simd = createSimdDepthwise(ctx, *st, g);
  if (!st->simd) st->xnnOp = createXnnConv(ctx, g, st->act);
  const bool builtinAvx2 = ctx.optimizedKernels() && st->multiplier == 1 && simd::hasAvx2();
  ctx.setKernelVariant(st->simd     ? (simd::hasAvx512() ? "avx512" : "avx2")
                       : st->xnnOp  ? "xnnpack"
                       : builtinAvx2 ? "avx2-builtin-order"
                                     : "reference");
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalDepthwise(OpContext& ctx) {
  if (isQuantizedNode(ctx.input(0), ctx.input(1))) return evalDepthwiseQuantized(ctx);
  using gemm_detail::clamp4;
  using gemm_detail::F32x4;
  using gemm_detail::load4;
  using gemm_detail::splat4;
  using gemm_detail::store4;
  const auto* st = ctx.state<DepthwiseState>();
  if (st->simd) {
    st->simd->run(ctx.input(0)->as<float>(), ctx.output(0)->as<float>(),
                  {st->act.min, st->act.max, st->post}, xnn::threadPoolFor(ctx, 2 * st->simd->macs()));
    return Status::ok();
  }
  if (st->xnnOp) {
    INFERD_RETURN_IF_ERROR(runXnnConv(ctx, st->xnnOp, true));
    Tensor* out = ctx.output(0);
    simd::applyPostOpF32(st->post, out->as<float>(), out->numElements(),
                         xnn::threadPoolFor(ctx, 8 * out->numElements()));
    return Status::ok();
  }
  const Tensor* input = ctx.input(0);
  const Tensor* filter = ctx.input(1);
  const Tensor* bias = ctx.input(2);
  Tensor* output = ctx.output(0);

  const int64_t batches = input->dim(0);
  const int64_t inH = input->dim(1), inW = input->dim(2), inC = input->dim(3);
  const int64_t filterH = filter->dim(1), filterW = filter->dim(2);
  const int64_t outH = output->dim(1), outW = output->dim(2), outC = output->dim(3);
  const int64_t mult = st->multiplier;
  const float* in = input->as<float>();
  const float* w = filter->as<float>();
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  float* out = output->as<float>();
  const ActivationRange act = st->act;
  const F32x4 lo = splat4(act.min), hi = splat4(act.max);

  // Output rows are independent: spread over the threads (each output's
  // sum keeps its order).
  simd::DepthwiseBuiltinGeometry dg;
  const bool avx2 = mult == 1 && ctx.optimizedKernels() && simd::hasAvx2();
  if (avx2) {
    dg = {inH, inW, inC, filterH, filterW, outH, outW, st->strideH, st->strideW, st->padH, st->padW,
          st->dilationH, st->dilationW};
  }
  auto rowRange = [&](int64_t rowBegin, int64_t rowEnd) {
    if (avx2) {
      // The same sums 8 lanes wide (simd/depthwise_builtin_f32.h).
      simd::depthwiseBuiltinRowsAvx2(dg, in, w, biasData, act.min, act.max, out, rowBegin, rowEnd);
      return;
    }
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
      const int64_t b = r / outH, oy = r % outH;
      const float* inBatch = in + b * inH * inW * inC;
      const int64_t y0 = oy * st->strideH - st->padH;
      int64_t kyBegin, kyEnd;
      tapRange(y0, inH, filterH, st->dilationH, &kyBegin, &kyEnd);
      for (int64_t ox = 0; ox < outW; ++ox) {
        const int64_t x0 = ox * st->strideW - st->padW;
        int64_t kxBegin, kxEnd;
        tapRange(x0, inW, filterW, st->dilationW, &kxBegin, &kxEnd);
        float* o = out + ((b * outH + oy) * outW + ox) * outC;

        if (mult == 1) {
          // Channel blocks of 8 outer, taps inner: the 8 sums stay in
          // registers and each is accumulated as TFLite's builtin
          // (optimized) kernel does: bias first, then the taps in row-major
          // order, a multiply and an add each (no FMA).
          int64_t c = 0;
          for (; c + 8 <= outC; c += 8) {
            F32x4 acc0 = biasData != nullptr ? load4(biasData + c) : splat4(0.f);
            F32x4 acc1 = biasData != nullptr ? load4(biasData + c + 4) : splat4(0.f);
            for (int64_t ky = kyBegin; ky < kyEnd; ++ky) {
              const int64_t iy = y0 + ky * st->dilationH;
              const float* inRow = inBatch + iy * inW * inC + c;
              const float* wRow = w + ky * filterW * outC + c;
              for (int64_t kx = kxBegin; kx < kxEnd; ++kx) {
                const float* ip = inRow + (x0 + kx * st->dilationW) * inC;
                const float* wp = wRow + kx * outC;
                acc0 += load4(ip) * load4(wp);
                acc1 += load4(ip + 4) * load4(wp + 4);
              }
            }
            store4(o + c, clamp4(acc0, lo, hi));
            store4(o + c + 4, clamp4(acc1, lo, hi));
          }
          for (; c < outC; ++c) {
            float total = biasData != nullptr ? biasData[c] : 0.f;
            for (int64_t ky = kyBegin; ky < kyEnd; ++ky) {
              const int64_t iy = y0 + ky * st->dilationH;
              for (int64_t kx = kxBegin; kx < kxEnd; ++kx) {
                const int64_t ix = x0 + kx * st->dilationW;
                total += inBatch[(iy * inW + ix) * inC + c] * w[(ky * filterW + kx) * outC + c];
              }
            }
            o[c] = clampActivation(total, act);
          }
        } else {
          // Output channel oc = ic * multiplier + m reads input channel ic.
          for (int64_t oc = 0; oc < outC; ++oc) {
            const int64_t ic = oc / mult;
            float total = biasData != nullptr ? biasData[oc] : 0.f;
            for (int64_t ky = kyBegin; ky < kyEnd; ++ky) {
              const int64_t iy = y0 + ky * st->dilationH;
              for (int64_t kx = kxBegin; kx < kxEnd; ++kx) {
                const int64_t ix = x0 + kx * st->dilationW;
                total += inBatch[(iy * inW + ix) * inC + ic] * w[(ky * filterW + kx) * outC + oc];
              }
            }
            o[oc] = clampActivation(total, act);
          }
        }
      }
    }
  };
  struct Job {
    const decltype(rowRange)* fn;
    int64_t rows, tasks;
    static void run(void* self, size_t task) {
      const auto& j = *static_cast<const Job*>(self);
      const auto t = static_cast<int64_t>(task);
      (*j.fn)(j.rows * t / j.tasks, j.rows * (t + 1) / j.tasks);
    }
  };
  const pthreadpool_t pool = xnn::threadPoolFor(ctx, 2 * output->numElements() * filterH * filterW);
  Job job{&rowRange, batches * outH, std::max<int64_t>(1, std::min(batches * outH, opt::poolThreads(pool)))};
  opt::parallelFor(pool, job.tasks, &Job::run, &job);
  simd::applyPostOpF32(st->post, out, output->numElements(), nullptr);
  return Status::ok();
}

// --- TRANSPOSE_CONV and Convolution2DTransposeBias ----------------------------

// Both ops scatter every input pixel through the filter:
//   out[b, iy*s - pad + ky, ix*s - pad + kx, oc] += in[b, iy, ix, ic] * w[oc, ky, kx, ic]
// computed as a GEMM per tile of input pixels (K = input channels,
// N = kh*kw*out channels) followed by a scatter-add of each row.
struct TransposeState : KernelState {
  bool mediapipe = false;  // bias first, no activation, own padding rule
  fb::Padding padding = fb::Padding::SAME;
  int32_t strideH = 1, strideW = 1;
  ActivationRange act;
  int inputIndex = 2, weightsIndex = 1, biasIndex = 3;
  int64_t n = 0;  // kh * kw * out channels
  int64_t tileRows = 0;
  int colScratch = -1;
  std::vector<float> packed;
  int packScratch = -1;
  xnn::Operator xnnOp;  // when set, eval runs XNNPACK's deconvolution instead
  uint32_t adjustH = 0, adjustW = 0;  // XNNPACK's extra output rows/columns
};

void packTransposeWeights(const float* w, int64_t outC, int64_t taps, int64_t inC, float* dst) {
  // B(k = ic, n = tap * outC + oc) = w[oc, tap, ic]
  packPanels(w, inC, taps * outC,
             [outC, taps, inC](int64_t ic, int64_t n) {
               return ((n % outC) * taps + n / outC) * inC + ic;
             },
             dst);
}

// Checks weights/input/bias shared by both ops.
Status prepareTransposeCommon(OpContext& ctx, TransposeState* st, const Tensor** input,
                              const Tensor** weights) {
  INFERD_RETURN_IF_ERROR(requireInput(ctx, st->inputIndex, input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, st->weightsIndex, weights));
  INFERD_RETURN_IF_ERROR(checkFloatInput(ctx, *input));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, *input, 4, "input"));
  INFERD_RETURN_IF_ERROR(checkFilter(ctx, *weights));
  INFERD_RETURN_IF_ERROR(checkFloatOutput(ctx));
  const int64_t inC = (*input)->dim(3);
  const int64_t outC = (*weights)->dim(0);
  if (inC != (*weights)->dim(3)) {
    return ctx.error("weights have {} input channels, input has {}", (*weights)->dim(3), inC);
  }
  const Tensor* bias = nullptr;
  INFERD_RETURN_IF_ERROR(checkBias(ctx, st->biasIndex, outC, st->mediapipe, &bias));
  if (st->mediapipe && bias == nullptr) return ctx.error("bias (input 2) is required");
  return Status::ok();
}

// The reference path's weight packing and GEMM scratch.
Status prepareTransposeReference(OpContext& ctx, TransposeState* st, const Tensor* input,
                                 const Tensor* weights) {
  const int64_t inC = input->dim(3);
  const int64_t outC = weights->dim(0);
  const int64_t taps = static_cast<int64_t>(weights->dim(1)) * weights->dim(2);
  st->n = taps * outC;
  const int64_t packedFloats = packedPanelFloats(inC, st->n);
  if (weights->isConstant) {
    st->packed.resize(static_cast<size_t>(packedFloats));
    packTransposeWeights(weights->as<float>(), outC, taps, inC, st->packed.data());
  } else {
    st->packScratch = ctx.requestScratch(static_cast<size_t>(packedFloats) * sizeof(float));
  }
  st->tileRows = gemmTileRows(st->n);
  st->colScratch = ctx.requestScratch(static_cast<size_t>(st->tileRows * st->n) * sizeof(float));
  return Status::ok();
}

// One axis of XNNPACK's deconvolution, which writes output row
// iy*stride + ky - padBefore for rows [0, stride*(in-1) + adjust + k -
// padBefore - padAfter): the reference scatter once the leading padding
// agrees and the trailing crop (or `adjust` < stride extra rows, when the
// requested output is taller than the scatter) gives the same size. False
// when XNNPACK cannot express it.
bool xnnDeconvAxis(int64_t in, int64_t filter, int64_t stride, int64_t out, int64_t padBefore,
                   Axis* axis, uint32_t* adjust) {
  const int64_t full = stride * (in - 1) + filter;
  const int64_t rest = full - padBefore - out;
  axis->out = out;
  axis->padBefore = padBefore;
  axis->padAfter = rest >= 0 ? rest : 0;
  const int64_t adj = rest >= 0 ? 0 : -rest;
  if (adj >= stride || !xnn::fitsU32(padBefore) || !xnn::fitsU32(axis->padAfter)) return false;
  *adjust = static_cast<uint32_t>(adj);
  return full + adj - padBefore - axis->padAfter == out;
}

// Creates XNNPACK's deconvolution (into st->xnnOp) when the weights and the
// bias are constants and the geometry fits; otherwise st->xnnOp stays empty
// and the reference path runs. `padH/padW` are the leading paddings.
void createXnnDeconv(const OpContext& ctx, TransposeState* st, int64_t outH, int64_t outW,
                     int64_t padH, int64_t padW) {
  const Tensor* input = ctx.input(st->inputIndex);
  const Tensor* weights = ctx.input(st->weightsIndex);
  const Tensor* bias = ctx.input(st->biasIndex);
  if (!xnn::enabled(ctx) || input->isConstant || !weights->isConstant ||
      (bias != nullptr && !bias->isConstant)) {
    return;
  }
  const int64_t inH = input->dim(1), inW = input->dim(2);
  const int64_t outC = weights->dim(0), filterH = weights->dim(1), filterW = weights->dim(2);
  const int64_t inC = weights->dim(3);
  if (input->dim(0) <= 0 || inH <= 0 || inW <= 0 || outH <= 0 || outW <= 0) return;
  if (!xnn::fitsU32(filterH) || !xnn::fitsU32(filterW)) return;
  Axis ah, aw;
  if (!xnnDeconvAxis(inH, filterH, st->strideH, outH, padH, &ah, &st->adjustH) ||
      !xnnDeconvAxis(inW, filterW, st->strideW, outW, padW, &aw, &st->adjustW)) {
    return;
  }
  // Weights [out, kh, kw, in] are XNNPACK's deconvolution layout for one group.
  const xnn_status status = xnn_create_deconvolution2d_nhwc_f32(
      static_cast<uint32_t>(ah.padBefore), static_cast<uint32_t>(aw.padAfter),
      static_cast<uint32_t>(ah.padAfter), static_cast<uint32_t>(aw.padBefore),
      static_cast<uint32_t>(filterH), static_cast<uint32_t>(filterW),
      static_cast<uint32_t>(st->strideH), static_cast<uint32_t>(st->strideW), 1, 1, 1,
      static_cast<size_t>(inC), static_cast<size_t>(outC), static_cast<size_t>(inC),
      static_cast<size_t>(outC), weights->as<float>(),
      bias != nullptr ? bias->as<float>() : nullptr, st->act.min, st->act.max, 0,
      st->xnnOp.out());
  xnn::created(status, st->xnnOp);
}

Status runXnnDeconv(OpContext& ctx, const TransposeState& st) {
  const Tensor* input = ctx.input(st.inputIndex);
  const Tensor* weights = ctx.input(st.weightsIndex);
  Tensor* output = ctx.output(0);
  const pthreadpool_t pool = xnn::threadPoolFor(ctx, 2 * input->numElements() * weights->numElements() /
                                                         std::max<int64_t>(1, weights->dim(3)));
  INFERD_RETURN_IF_ERROR(xnn::check(
      ctx,
      xnn_setup_deconvolution2d_nhwc_f32(
          st.xnnOp.get(), static_cast<size_t>(input->dim(0)), static_cast<size_t>(input->dim(1)),
          static_cast<size_t>(input->dim(2)), st.adjustH, st.adjustW, input->as<float>(),
          output->as<float>(), pool),
      "deconvolution setup"));
  return xnn::run(ctx, st.xnnOp, pool);
}

// TRANSPOSE_CONV's output size comes from its output_shape input.
Status readOutputShape(OpContext& ctx, const Tensor* shape, const Tensor* input,
                       const Tensor* weights, Dims* dims) {
  const int32_t* v = shape->as<int32_t>();
  *dims = Dims(v, v + 4);
  const Dims& d = *dims;
  if (d[0] != input->dim(0) || d[3] != weights->dim(0) || d[1] <= 0 || d[2] <= 0) {
    return ctx.error("output_shape {} does not fit input batch {} and {} output channels",
                     dimsToString(d), input->dim(0), weights->dim(0));
  }
  return Status::ok();
}

Status prepareTransposeConv(OpContext& ctx) {
  const Tensor* dataIn = ctx.input(2);
  const Tensor* weightsIn = ctx.input(1);
  if (dataIn != nullptr && weightsIn != nullptr && isQuantizedNode(dataIn, weightsIn)) {
    return prepareTransposeConvQuantized(ctx);
  }
  auto st = std::make_unique<TransposeState>();
  const auto* opts = options<fb::TransposeConvOptions>(ctx);
  if (opts == nullptr) return ctx.error("TransposeConvOptions are missing");
  st->padding = opts->padding();
  st->strideH = opts->stride_h();
  st->strideW = opts->stride_w();
  INFERD_RETURN_IF_ERROR(checkStrides(ctx, st->strideH, st->strideW));
  INFERD_RETURN_IF_ERROR(checkPadding(ctx, st->padding));
  INFERD_RETURN_IF_ERROR(activationRange(ctx, opts->fused_activation_function(), &st->act));

  const Tensor* shape = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &shape));
  if (shape->type != ElementType::kInt32) {
    return ctx.unsupported("output_shape has type {}, expected INT32",
                           elementTypeName(shape->type));
  }
  if (shape->rank() != 1 || shape->numElements() != 4) {
    return ctx.error("output_shape must be a 1-D tensor of 4 values, has shape {}",
                     dimsToString(shape->dims));
  }
  const Tensor* input = nullptr;
  const Tensor* weights = nullptr;
  INFERD_RETURN_IF_ERROR(prepareTransposeCommon(ctx, st.get(), &input, &weights));
  if (shape->isConstant) {
    Dims dims;
    INFERD_RETURN_IF_ERROR(readOutputShape(ctx, shape, input, weights, &dims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, dims));
    // TFLite pads as if this were the forward convolution from the output.
    const int64_t padH =
        forwardAxis(st->padding, dims[1], weights->dim(1), st->strideH, 1).padBefore;
    const int64_t padW =
        forwardAxis(st->padding, dims[2], weights->dim(2), st->strideW, 1).padBefore;
    createXnnDeconv(ctx, st.get(), dims[1], dims[2], padH, padW);
  } else {
    ctx.markOutputDynamic(0);
  }
  if (!st->xnnOp) INFERD_RETURN_IF_ERROR(prepareTransposeReference(ctx, st.get(), input, weights));
  ctx.setKernelVariant(st->xnnOp ? "xnnpack" : "gemm-f32-col2im");
  ctx.setState(std::move(st));
  return Status::ok();
}

// MediaPipe's custom options: TfLiteTransposeConvParams as raw bytes, i.e.
// int32 padding (TfLitePadding: 1 SAME, 2 VALID), stride_width, stride_height.
int32_t readLe32(const uint8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 |
                              static_cast<uint32_t>(p[3]) << 24);
}

// MediaPipe's padding rule: SAME pads max(0, k - (in-1) % s - 1) in total
// (half before), VALID none; the output is s*(in-1) + k - totalPadding.
Axis mediapipeAxis(bool same, int64_t in, int64_t filter, int64_t stride) {
  int64_t total = 0;
  if (same) total = std::max<int64_t>(0, filter - (in - 1) % stride - 1);
  Axis a;
  a.out = stride * (in - 1) + filter - total;
  a.padBefore = total / 2;
  a.padAfter = total - a.padBefore;
  return a;
}

Status prepareTransposeConvBias(OpContext& ctx) {
  auto st = std::make_unique<TransposeState>();
  st->mediapipe = true;
  st->inputIndex = 0;
  st->weightsIndex = 1;
  st->biasIndex = 2;
  const OperatorInfo& op = ctx.op();
  if (op.customOptions == nullptr || op.customOptionsSize < 12) {
    return ctx.error("custom options must hold padding, stride_width and stride_height "
                     "(12 bytes), got {} bytes", op.customOptionsSize);
  }
  const int32_t padding = readLe32(op.customOptions);
  st->strideW = readLe32(op.customOptions + 4);
  st->strideH = readLe32(op.customOptions + 8);
  // MediaPipe treats anything but SAME as VALID; 0 is TfLitePaddingUnknown.
  if (padding < 0 || padding > 2) return ctx.unsupported("padding {} is not supported", padding);
  st->padding = padding == 1 ? fb::Padding::SAME : fb::Padding::VALID;
  INFERD_RETURN_IF_ERROR(checkStrides(ctx, st->strideH, st->strideW));

  const Tensor* input = nullptr;
  const Tensor* weights = nullptr;
  INFERD_RETURN_IF_ERROR(prepareTransposeCommon(ctx, st.get(), &input, &weights));
  const bool same = st->padding == fb::Padding::SAME;
  const Axis ah = mediapipeAxis(same, input->dim(1), weights->dim(1), st->strideH);
  const Axis aw = mediapipeAxis(same, input->dim(2), weights->dim(2), st->strideW);
  INFERD_RETURN_IF_ERROR(checkOutputDims(ctx, ah.out, aw.out));
  INFERD_RETURN_IF_ERROR(
      ctx.resizeOutput(0, dims4(input->dim(0), ah.out, aw.out, weights->dim(0))));
  createXnnDeconv(ctx, st.get(), ah.out, aw.out, ah.padBefore, aw.padBefore);
  if (!st->xnnOp) INFERD_RETURN_IF_ERROR(prepareTransposeReference(ctx, st.get(), input, weights));
  ctx.setKernelVariant(st->xnnOp ? "xnnpack" : "gemm-f32-col2im");
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalTranspose(OpContext& ctx) {
  const auto* st = ctx.state<TransposeState>();
  if (st->xnnOp) return runXnnDeconv(ctx, *st);
  const Tensor* input = ctx.input(st->inputIndex);
  const Tensor* weights = ctx.input(st->weightsIndex);
  const Tensor* bias = ctx.input(st->biasIndex);
  Tensor* output = ctx.output(0);

  if (output->isDynamic) {
    Dims dims;
    INFERD_RETURN_IF_ERROR(readOutputShape(ctx, ctx.input(0), input, weights, &dims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, dims));
  }
  const int64_t batches = input->dim(0);
  const int64_t inH = input->dim(1), inW = input->dim(2), inC = input->dim(3);
  const int64_t outC = weights->dim(0), filterH = weights->dim(1), filterW = weights->dim(2);
  const int64_t outH = output->dim(1), outW = output->dim(2);

  int64_t padH, padW;
  if (st->mediapipe) {
    const bool same = st->padding == fb::Padding::SAME;
    padH = mediapipeAxis(same, inH, filterH, st->strideH).padBefore;
    padW = mediapipeAxis(same, inW, filterW, st->strideW).padBefore;
  } else {
    // TFLite pads as if this were the forward convolution from the output.
    padH = forwardAxis(st->padding, outH, filterH, st->strideH, 1).padBefore;
    padW = forwardAxis(st->padding, outW, filterW, st->strideW, 1).padBefore;
  }

  const float* packed = st->packed.data();
  if (st->packScratch >= 0) {
    auto* dst = static_cast<float*>(ctx.scratch(st->packScratch));
    packTransposeWeights(weights->as<float>(), outC, filterH * filterW, inC, dst);
    packed = dst;
  }
  auto* col = static_cast<float*>(ctx.scratch(st->colScratch));
  const float* in = input->as<float>();
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  float* out = output->as<float>();
  const int64_t outPixels = outH * outW;
  const int64_t inPixels = inH * inW;
  const ActivationRange none;

  for (int64_t b = 0; b < batches; ++b) {
    float* outBatch = out + b * outPixels * outC;
    // MediaPipe starts from the bias; TFLite adds it after the scatter.
    if (st->mediapipe) {
      for (int64_t p = 0; p < outPixels; ++p) {
        std::memcpy(outBatch + p * outC, biasData, static_cast<size_t>(outC) * sizeof(float));
      }
    } else {
      std::fill(outBatch, outBatch + outPixels * outC, 0.f);
    }
    const float* inBatch = in + b * inPixels * inC;
    for (int64_t p0 = 0; p0 < inPixels; p0 += st->tileRows) {
      const int64_t rows = std::min(st->tileRows, inPixels - p0);
      gemmF32(rows, st->n, inC, inBatch + p0 * inC, inC, packed, nullptr, none, col, st->n, ctx.optimizedKernels());
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t iy = (p0 + r) / inW;
        const int64_t ix = (p0 + r) % inW;
        const float* colRow = col + r * st->n;
        for (int64_t ky = 0; ky < filterH; ++ky) {
          const int64_t oy = iy * st->strideH - padH + ky;
          if (oy < 0 || oy >= outH) continue;
          for (int64_t kx = 0; kx < filterW; ++kx) {
            const int64_t ox = ix * st->strideW - padW + kx;
            if (ox < 0 || ox >= outW) continue;
            float* dst = outBatch + (oy * outW + ox) * outC;
            const float* src = colRow + (ky * filterW + kx) * outC;
            for (int64_t oc = 0; oc < outC; ++oc) dst[oc] += src[oc];
          }
        }
      }
    }
    if (!st->mediapipe) {
      for (int64_t p = 0; p < outPixels; ++p) {
        float* o = outBatch + p * outC;
        for (int64_t oc = 0; oc < outC; ++oc) {
          const float bc = biasData != nullptr ? biasData[oc] : 0.f;
          o[oc] = clampActivation(o[oc] + bc, st->act);
        }
      }
    }
  }
  return Status::ok();
}

// TRANSPOSE_CONV (input 2, weights 1); the custom op shares evalTranspose.
Status evalTransposeConv(OpContext& ctx) {
  if (isQuantizedNode(ctx.input(2), ctx.input(1))) return evalTransposeConvQuantized(ctx);
  return evalTranspose(ctx);
}

KernelRegistration registration(fb::BuiltinOperator op, int32_t maxVersion, int32_t minInputs,
                                int32_t maxInputs, KernelFn prepare, KernelFn eval) {
  return builtinKernel(op, 1, maxVersion, minInputs, maxInputs, prepare, eval,
                       {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8});
}

}  // namespace

void registerConvKernels(OpResolver& r) {
  // Version ranges from TFLite's register.cc. Later versions add dilation,
  // grouped convolution, a fused activation (TRANSPOSE_CONV v4) and the
  // quantized / hybrid types; prepare refuses the types it cannot run.
  if constexpr (opSelected(fb::BuiltinOperator::CONV_2D)) {
    r.add(registration(fb::BuiltinOperator::CONV_2D, 8, 2, 3, prepareConv, evalConv));
  }
  if constexpr (opSelected(fb::BuiltinOperator::DEPTHWISE_CONV_2D)) {
    r.add(registration(fb::BuiltinOperator::DEPTHWISE_CONV_2D, 7, 2, 3, prepareDepthwise,
                       evalDepthwise));
  }
  if constexpr (opSelected(fb::BuiltinOperator::TRANSPOSE_CONV)) {
    r.add(registration(fb::BuiltinOperator::TRANSPOSE_CONV, 5, 3, 4, prepareTransposeConv,
                       evalTransposeConv));
  }

  if constexpr (customOpSelected("Convolution2DTransposeBias")) {
    KernelRegistration custom;
    custom.builtinCode = kCustomCode;
    custom.customName = "Convolution2DTransposeBias";
    custom.minVersion = 1;
    custom.maxVersion = 1;
    custom.minInputs = 3;
    custom.maxInputs = 3;
    custom.minOutputs = 1;
    custom.maxOutputs = 1;
    custom.prepare = prepareTransposeConvBias;
    custom.eval = evalTranspose;
    custom.types = {ElementType::kFloat32};
    r.addCustom(custom.customName, custom);
  }
}

}  // namespace inferd::engine::kernels
