// Quantized and hybrid CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV (see
// quant_kernels.h for the arithmetic). Reference loops: each output is
// accumulated in int32 over the filter taps inside the input (taps in the
// padding contribute (zero point - zero point) * w = 0, as in TFLite).
//  - int8: per-channel (or per-tensor) symmetric int8 weights, per-tensor
//    asymmetric int8 activations, int32 bias; uint8: per-tensor uint8
//    weights with a zero point. CONV_2D's int8 GEMM in TFLite is ruy, whose
//    x86 kernels round ties up; int8 depthwise rounds the final shift up;
//    uint8 uses gemmlowp's rounding.
//  - hybrid (FLOAT32 input, INT8 constant weights), TFLite's algorithms:
//    CONV_2D with per-channel scales that differ (or groups) quantizes each
//    batch asymmetrically and computes acc * (wScale[c] * inScale) + bias;
//    otherwise symmetrically with acc * (inScale * wScale) + bias.
//    DEPTHWISE_CONV_2D and TRANSPOSE_CONV always quantize asymmetrically;
//    depthwise computes acc * wScale[c] * inScale + bias in blocks of 4
//    channels and acc * inScale * wScale[c] + bias for the rest (LiteRT's
//    vectorized store loop and its scalar tail), transpose conv sums
//    every product (acc * wScale[c] * inScale) in float in its scatter order.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "conv_util.h"
#include "hybrid_util.h"
#include "optimized/cpu_features.h"
#include "optimized/hybrid_quant.h"
#include "optimized/qgemm.h"
#include "quant_kernels.h"

namespace inferd::engine::kernels {
namespace {

using quant::Rounding;

// The geometry of a forward convolution or a depthwise one.
struct ConvGeom {
  ConvOptions o;
  int64_t batches = 0, inH = 0, inW = 0, inC = 0;
  int64_t outH = 0, outW = 0, outC = 0;
  int64_t filterH = 0, filterW = 0;
  int64_t padH = 0, padW = 0;
  int64_t inPerGroup = 0, outPerGroup = 0;  // CONV_2D (groups = inC / inPerGroup)
  int64_t multiplier = 1;                   // DEPTHWISE_CONV_2D
};

// What eval does with a node.
struct QConvState : KernelState {
  ConvGeom g;
  bool hybrid = false;
  // int8 / uint8
  qk::Requantizer rq;
  int32_t inZeroPoint = 0, wZeroPoint = 0;
  // hybrid
  bool asymmetric = false;      // per-batch asymmetric input quantization
  bool perChannelScale = false;  // CONV_2D: acc * (wScale[c] * inScale)
  std::vector<float> wScales;
  ActivationRange act;
  int quantScratch = -1;  // int8 copy of the input
  int rowScratch = -1;    // one hybrid::RowQuant per batch
  // The optimized path, chosen at prepare (none set: the reference loops).
  std::shared_ptr<const opt::QPackedWeights> packed;       // CONV_2D
  std::shared_ptr<const opt::QDepthwiseWeights> dwPacked;  // DEPTHWISE_CONV_2D
  opt::QRequant qrq;                                       // int8
  std::vector<int32_t> colOffset;  // int8 CONV_2D: bias - (128 + zero point) * sum(w)
  bool pointwise = false;          // 1x1, stride 1, no padding: GEMM rows are input pixels
  int64_t tileRows = 0;            // GEMM rows per tile
  int64_t threads = 1;
  int tileScratch = -1;            // threads x tileRows x kPadded activation bytes
  opt::PatchGeom patch;            // g as the im2col packing reads it
};

Status checkWeightsShape(const OpContext& ctx, const Tensor* w) {
  INFERD_RETURN_IF_ERROR(checkRank(ctx, w, 4, "filter"));
  for (int i = 0; i < 4; ++i) {
    if (w->dim(i) <= 0) {
      return ctx.error("filter has an empty dimension, shape {}", dimsToString(w->dims));
    }
  }
  return Status::ok();
}

Status checkQuantizedInput(const OpContext& ctx, const Tensor* input, const Tensor* w) {
  if (input->type == ElementType::kFloat32) return Status::ok();  // hybrid
  if (input->type != ElementType::kInt8 && input->type != ElementType::kUInt8) {
    return ctx.unsupported("input has type {}; FLOAT32, INT8 and UINT8 are supported",
                           elementTypeName(input->type));
  }
  if (w->type != input->type) {
    return ctx.unsupported("{} input needs {} weights, has {}", elementTypeName(input->type),
                           elementTypeName(input->type), elementTypeName(w->type));
  }
  return Status::ok();
}

// Quantized or hybrid set-up common to the three ops: weights with
// `channels` output channels along `channelDim`, bias input `biasIndex`.
Status prepareArithmetic(OpContext& ctx, QConvState* st, const Tensor* input, const Tensor* w,
                         int64_t channels, int channelDim, int biasIndex, Rounding rounding) {
  INFERD_RETURN_IF_ERROR(checkQuantizedInput(ctx, input, w));
  st->hybrid = input->type == ElementType::kFloat32;
  if (st->hybrid) {
    if (!w->isConstant) {
      return ctx.unsupported("hybrid (FLOAT32 input, INT8 weights) needs constant weights");
    }
    INFERD_RETURN_IF_ERROR(qk::hybridWeights(ctx, w, channels, channelDim, &st->wScales));
    const float* bias = nullptr;
    INFERD_RETURN_IF_ERROR(qk::hybridBias(ctx, biasIndex, channels, &bias));
    INFERD_RETURN_IF_ERROR(activationRange(ctx, st->g.o.activation, &st->act));
    if (st->wScales.size() == 1) st->wScales.assign(static_cast<size_t>(channels), st->wScales[0]);
    st->quantScratch =
        ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(input->numElements(), 1)));
    st->rowScratch = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(input->dim(0), 1)) *
                                        sizeof(hybrid::RowQuant));
    return Status::ok();
  }
  std::vector<float> scales;
  INFERD_RETURN_IF_ERROR(qk::weightQuant(ctx, w, channels, channelDim, &scales, &st->wZeroPoint));
  const int32_t* bias = nullptr;
  INFERD_RETURN_IF_ERROR(qk::quantizedBias(ctx, biasIndex, channels, &bias));
  float inScale = 0.f;
  INFERD_RETURN_IF_ERROR(qk::perTensorQuant(ctx, input, "input", &inScale, &st->inZeroPoint));
  // TFLite: per-channel multipliers from double scales for int8, the legacy
  // float product for uint8.
  const qk::ScaleProduct product = input->type == ElementType::kInt8 ? qk::ScaleProduct::kDouble
                                                                      : qk::ScaleProduct::kFloat;
  return qk::makeRequantizer(ctx, input, scales, product, st->g.o.activation, rounding, &st->rq);
}

// Quantizes each batch of the hybrid input into scratch; returns the int8
// data and fills `rows` (one per batch).
const int8_t* quantizeBatches(OpContext& ctx, const QConvState& st, const Tensor* input,
                              hybrid::RowQuant** rows) {
  auto* q = static_cast<int8_t*>(ctx.scratch(st.quantScratch));
  *rows = static_cast<hybrid::RowQuant*>(ctx.scratch(st.rowScratch));
  const int64_t batches = input->dim(0);
  const int64_t per = batches > 0 ? input->numElements() / batches : 0;
  const float* x = input->as<float>();
  for (int64_t b = 0; b < batches; ++b) {
    (*rows)[b] = opt::quantizeRow(x + b * per, per, q + b * per, st.asymmetric, ctx.optimizedKernels());
  }
  return q;
}

// Calls emit(outIndex, channel, acc) for every output of one batch of a
// forward convolution, acc = sum over taps of (x + xOffset) * (w + wOffset).
// `depthwise` picks DEPTHWISE_CONV_2D's filter layout [1, kh, kw, outC].
template <typename X, typename W, typename Emit>
void convolve(const ConvGeom& g, bool depthwise, const X* in, int32_t xOffset, const W* w,
              int32_t wOffset, Emit&& emit) {
  const ConvOptions& o = g.o;
  int64_t index = 0;
  for (int64_t oy = 0; oy < g.outH; ++oy) {
    const int64_t y0 = oy * o.strideH - g.padH;
    int64_t kyB, kyE;
    tapRange(y0, g.inH, g.filterH, o.dilationH, &kyB, &kyE);
    for (int64_t ox = 0; ox < g.outW; ++ox) {
      const int64_t x0 = ox * o.strideW - g.padW;
      int64_t kxB, kxE;
      tapRange(x0, g.inW, g.filterW, o.dilationW, &kxB, &kxE);
      for (int64_t oc = 0; oc < g.outC; ++oc, ++index) {
        int32_t acc = 0;
        for (int64_t ky = kyB; ky < kyE; ++ky) {
          const int64_t iy = y0 + ky * o.dilationH;
          for (int64_t kx = kxB; kx < kxE; ++kx) {
            const X* px = in + (iy * g.inW + x0 + kx * o.dilationW) * g.inC;
            if (depthwise) {
              const int32_t xv = static_cast<int32_t>(px[oc / g.multiplier]) + xOffset;
              const int32_t wv =
                  static_cast<int32_t>(w[(ky * g.filterW + kx) * g.outC + oc]) + wOffset;
              acc += xv * wv;
            } else {
              px += (oc / g.outPerGroup) * g.inPerGroup;
              const W* pw = w + ((oc * g.filterH + ky) * g.filterW + kx) * g.inPerGroup;
              for (int64_t ic = 0; ic < g.inPerGroup; ++ic) {
                acc += (static_cast<int32_t>(px[ic]) + xOffset) *
                       (static_cast<int32_t>(pw[ic]) + wOffset);
              }
            }
          }
        }
        emit(index, oc, acc);
      }
    }
  }
}

// int8 / uint8 evaluation of a forward convolution.
template <typename T>
void convolveQuantized(OpContext& ctx, const QConvState& st, bool depthwise) {
  const ConvGeom& g = st.g;
  const Tensor* bias = ctx.input(2);
  const int32_t* biasData = bias != nullptr ? bias->as<int32_t>() : nullptr;
  const T* in = ctx.input(0)->as<T>();
  const T* w = ctx.input(1)->as<T>();
  T* out = ctx.output(0)->as<T>();
  for (int64_t b = 0; b < g.batches; ++b) {
    T* outB = out + b * g.outH * g.outW * g.outC;
    convolve(g, depthwise, in + b * g.inH * g.inW * g.inC, -st.inZeroPoint, w, -st.wZeroPoint,
             [&](int64_t i, int64_t c, int32_t acc) {
               if (biasData != nullptr) acc += biasData[c];
               outB[i] = static_cast<T>(st.rq.apply(acc, c));
             });
  }
}

// Hybrid evaluation of a forward convolution.
void convolveHybrid(OpContext& ctx, const QConvState& st, bool depthwise) {
  const ConvGeom& g = st.g;
  hybrid::RowQuant* rows = nullptr;
  const int8_t* q = quantizeBatches(ctx, st, ctx.input(0), &rows);
  const Tensor* bias = ctx.input(2);
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  float* out = ctx.output(0)->as<float>();
  const float* ws = st.wScales.data();
  const int8_t* w = ctx.input(1)->as<int8_t>();
  const int64_t channelsIn4 = g.outC & ~int64_t{3};
  for (int64_t b = 0; b < g.batches; ++b) {
    const float inScale = rows[b].scale;
    // Per-tensor CONV_2D folds the weight scale into the batch scale first.
    const float batchScale = inScale * ws[0];
    float* outB = out + b * g.outH * g.outW * g.outC;
    convolve(g, depthwise, q + b * g.inH * g.inW * g.inC, -rows[b].offset, w, 0,
             [&](int64_t i, int64_t c, int32_t acc) {
               const float fa = static_cast<float>(acc);
               float v;
               if (depthwise) {
                 // TFLite's store loop: 4-channel blocks scale by the
                 // channel first, the remaining channels by the input first.
                 v = c < channelsIn4 ? fa * ws[c] * inScale : fa * inScale * ws[c];
               } else if (st.perChannelScale) {
                 v = fa * (ws[c] * inScale);
               } else {
                 v = fa * batchScale;
               }
               if (biasData != nullptr) v += biasData[c];
               outB[i] = clampActivation(v, st.act);
             });
  }
}

// --- the optimized path (optimized/qgemm.h) ------------------------------------

// Picks the AVX-512 VNNI kernels where they reproduce the reference: int8
// (not uint8) or hybrid, constant weights, CONV_2D without groups,
// DEPTHWISE_CONV_2D with depth multiplier 1.
void prepareOptimized(OpContext& ctx, QConvState* st, const Tensor* input, const Tensor* filter,
                      bool depthwise) {
  const ConvGeom& g = st->g;
  const opt::Isa isa = opt::cpuFeatures().best;
  if (!ctx.optimizedKernels() || isa == opt::Isa::kReference || !filter->isConstant) return;
  if (!st->hybrid && input->type != ElementType::kInt8) return;
  if (!st->hybrid && !opt::makeQRequant(st->rq, g.outC, &st->qrq)) return;
  const Tensor* bias = ctx.input(2);
  if (!st->hybrid && bias != nullptr && !bias->isConstant) return;
  st->threads = opt::poolThreads(ctx.threadPool());
  const auto* w = filter->as<int8_t>();
  if (depthwise) {
    if (g.multiplier != 1) return;
    const int64_t taps = g.filterH * g.filterW;
    st->dwPacked = ctx.sharedDerived<opt::QDepthwiseWeights>(
        filter->data, "depthwise-int32", [&](size_t* bytes) {
          auto p = opt::packQDepthwise(w, taps, g.outC);
          *bytes = p->bytes();
          return p;
        });
    return;
  }
  if (g.inPerGroup != g.inC) return;
  const int64_t k = g.filterH * g.filterW * g.inC;
  st->packed = ctx.sharedDerived<opt::QPackedWeights>(filter->data, opt::packedWeightsKey(), [&](size_t* bytes) {
    auto p = opt::packQWeights(w, g.outC, k);
    *bytes = p->bytes();
    return p;
  });
  const opt::QPackedWeights& pw = *st->packed;
  if (!st->hybrid) {
    st->colOffset = opt::int8ColumnOffsets(pw, bias != nullptr ? bias->as<int32_t>() : nullptr, st->inZeroPoint);
  }
  st->pointwise = g.filterH == 1 && g.filterW == 1 && g.o.strideH == 1 && g.o.strideW == 1 &&
                  g.padH == 0 && g.padW == 0 && g.outH == g.inH && g.outW == g.inW;
  // A tile of activation rows stays in the first cache levels while every
  // weight block passes over it.
  const int64_t rows = std::clamp<int64_t>((96 * 1024) / pw.kPadded, 12, 480);
  st->tileRows = rows / 12 * 12;
  st->patch = opt::PatchGeom{g.inH, g.inW, g.inC, g.outW, g.filterH, g.filterW, g.o.strideH, g.o.strideW,
                             g.o.dilationH, g.o.dilationW, g.padH, g.padW};
  st->tileScratch = ctx.requestScratch(static_cast<size_t>(st->threads * st->tileRows * pw.kPadded));
}

// One image through the GEMM. The work units are (tile of rows, range of
// weight blocks): with many tiles each unit is a whole tile; a layer of few
// output pixels (the late, wide layers of a CNN) also splits its output
// channels, so that every thread gets an equal share. Each task takes a
// contiguous run of units and packs a tile once for its consecutive units.
template <typename Epilogue>
struct ConvGemmJob {
  const QConvState* st;
  const int8_t* in;
  int32_t zeroPoint;
  uint8_t* scratch;
  const Epilogue* epilogue;
  int64_t rows, tiles, parts, tasks;

  static void run(void* self, size_t task) {
    const auto& j = *static_cast<const ConvGemmJob*>(self);
    const QConvState& st = *j.st;
    const opt::QPackedWeights& w = *st.packed;
    uint8_t* a = j.scratch + static_cast<int64_t>(task) * st.tileRows * w.kPadded;
    const auto t = static_cast<int64_t>(task);
    const int64_t units = j.tiles * j.parts;
    int64_t packed = -1;
    for (int64_t u = units * t / j.tasks; u < units * (t + 1) / j.tasks; ++u) {
      const int64_t tile = u / j.parts, part = u % j.parts;
      const int64_t row0 = tile * st.tileRows;
      const int64_t rows = std::min(st.tileRows, j.rows - row0);
      if (tile != packed) {
        if (st.pointwise && st.g.inC == w.kPadded) {
          opt::copyFlip(a, j.in + row0 * st.g.inC, rows * st.g.inC);
        } else if (st.pointwise) {
          for (int64_t r = 0; r < rows; ++r) {
            opt::copyFlip(a + r * w.kPadded, j.in + (row0 + r) * st.g.inC, st.g.inC);
          }
        } else {
          opt::packPatches(st.patch, j.in, j.zeroPoint, row0, rows, w.kPadded, a);
        }
        packed = tile;
      }
      const int64_t b0 = w.blocks * part / j.parts, b1 = w.blocks * (part + 1) / j.parts;
      if constexpr (std::is_same_v<Epilogue, opt::Int8Epilogue>) {
        opt::qgemmInt8(a, rows, w, b0, b1, *j.epilogue, row0);
      } else {
        opt::qgemmFloat(a, rows, w, b0, b1, *j.epilogue, row0);
      }
    }
  }
};

template <typename Epilogue>
void convGemm(OpContext& ctx, const QConvState& st, const int8_t* in, int32_t zeroPoint,
              const Epilogue& epilogue) {
  ConvGemmJob<Epilogue> job{&st, in, zeroPoint, static_cast<uint8_t*>(ctx.scratch(st.tileScratch)),
                            &epilogue, st.g.outH * st.g.outW, 0, 1, 1};
  job.tiles = (job.rows + st.tileRows - 1) / st.tileRows;
  const int64_t blocks = st.packed->blocks;
  // Whole tiles balance well from 4 per thread on; below that the blocks
  // are split too, as long as a part keeps at least 2 blocks.
  // Layers under ~half a million multiply-adds (the 1x1 convolutions of
  // squeeze-and-excitation blocks) are not worth a thread hand-off.
  const bool worthThreads = job.rows * blocks * opt::kBlockN * st.packed->kPadded >= (int64_t{1} << 19);
  if (worthThreads && st.threads > 1 && job.tiles < 4 * st.threads) {
    job.parts = std::clamp<int64_t>((4 * st.threads + job.tiles - 1) / job.tiles, 1,
                                    std::max<int64_t>(1, blocks / 2));
  }
  job.tasks = worthThreads ? std::min(job.tiles * job.parts, st.threads) : 1;
  opt::parallelFor(ctx.threadPool(), job.tasks, &ConvGemmJob<Epilogue>::run, &job);
}

// Depthwise rows of one image split over the threads.
template <typename Fn>
void depthwiseRows(OpContext& ctx, const QConvState& st, const Fn& fn) {
  struct Job {
    const Fn* fn;
    int64_t rows, tasks;
    static void run(void* self, size_t task) {
      const auto& j = *static_cast<const Job*>(self);
      const auto t = static_cast<int64_t>(task);
      (*j.fn)(j.rows * t / j.tasks, j.rows * (t + 1) / j.tasks);
    }
  };
  Job job{&fn, st.g.outH, std::min<int64_t>(st.threads, st.g.outH)};
  opt::parallelFor(ctx.threadPool(), job.tasks, &Job::run, &job);
}

opt::DepthwiseGeom depthwiseGeom(const ConvGeom& g) {
  opt::DepthwiseGeom d;
  d.inH = g.inH;
  d.inW = g.inW;
  d.channels = g.outC;
  d.outH = g.outH;
  d.outW = g.outW;
  d.filterH = g.filterH;
  d.filterW = g.filterW;
  d.strideH = g.o.strideH;
  d.strideW = g.o.strideW;
  d.dilationH = g.o.dilationH;
  d.dilationW = g.o.dilationW;
  d.padH = g.padH;
  d.padW = g.padW;
  return d;
}

void evalOptimizedInt8(OpContext& ctx, const QConvState& st) {
  const ConvGeom& g = st.g;
  const auto* in = ctx.input(0)->as<int8_t>();
  auto* out = ctx.output(0)->as<int8_t>();
  const Tensor* bias = ctx.input(2);
  for (int64_t b = 0; b < g.batches; ++b) {
    const int8_t* inB = in + b * g.inH * g.inW * g.inC;
    int8_t* outB = out + b * g.outH * g.outW * g.outC;
    if (st.dwPacked != nullptr) {
      const opt::DepthwiseGeom d = depthwiseGeom(g);
      const int32_t* biasData = bias != nullptr ? bias->as<int32_t>() : nullptr;
      depthwiseRows(ctx, st, [&](int64_t r0, int64_t r1) {
        opt::depthwiseInt8(d, inB, st.inZeroPoint, *st.dwPacked, biasData, st.qrq, outB, r0, r1);
      });
    } else {
      opt::Int8Epilogue e;
      e.colOffset = st.colOffset.data();
      e.rq = &st.qrq;
      e.out = outB;
      e.ldc = g.outC;
      convGemm(ctx, st, inB, st.inZeroPoint, e);
    }
  }
}

void evalOptimizedHybrid(OpContext& ctx, const QConvState& st) {
  const ConvGeom& g = st.g;
  hybrid::RowQuant* rows = nullptr;
  const int8_t* q = quantizeBatches(ctx, st, ctx.input(0), &rows);
  const Tensor* bias = ctx.input(2);
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  float* out = ctx.output(0)->as<float>();
  for (int64_t b = 0; b < g.batches; ++b) {
    const int8_t* qB = q + b * g.inH * g.inW * g.inC;
    float* outB = out + b * g.outH * g.outW * g.outC;
    if (st.dwPacked != nullptr) {
      const opt::DepthwiseGeom d = depthwiseGeom(g);
      depthwiseRows(ctx, st, [&](int64_t r0, int64_t r1) {
        opt::depthwiseFloat(d, qB, rows[b].offset, *st.dwPacked, st.wScales.data(), rows[b].scale, biasData,
                            st.act.min, st.act.max, outB, r0, r1);
      });
    } else {
      const int32_t rowK = 128 + rows[b].offset;
      // Per-tensor CONV_2D folds the weight scale into the batch scale first.
      const float rowScale = st.perChannelScale ? rows[b].scale : rows[b].scale * st.wScales[0];
      opt::FloatEpilogue e;
      e.rowK = &rowK;
      e.rowScale = &rowScale;
      e.rowStep = 0;
      e.wScale = st.perChannelScale ? st.wScales.data() : nullptr;
      e.bias = biasData;
      e.lo = st.act.min;
      e.hi = st.act.max;
      e.out = outB;
      e.ldc = g.outC;
      convGemm(ctx, st, qB, rows[b].offset, e);
    }
  }
}

// --- CONV_2D and DEPTHWISE_CONV_2D --------------------------------------------

Status prepareForward(OpContext& ctx, bool depthwise) {
  const Tensor* input = nullptr;
  const Tensor* filter = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &filter));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  INFERD_RETURN_IF_ERROR(checkWeightsShape(ctx, filter));
  auto st = std::make_unique<QConvState>();
  ConvGeom& g = st->g;
  INFERD_RETURN_IF_ERROR(depthwise ? readDepthwiseOptions(ctx, &g.o) : readConv2DOptions(ctx, &g.o));
  g.batches = input->dim(0);
  g.inH = input->dim(1);
  g.inW = input->dim(2);
  g.inC = input->dim(3);
  g.filterH = filter->dim(1);
  g.filterW = filter->dim(2);
  if (depthwise) {
    if (filter->dim(0) != 1) {
      return ctx.error("depthwise filter must have shape [1, h, w, channels], has {}",
                       dimsToString(filter->dims));
    }
    g.outC = filter->dim(3);
    if (g.inC <= 0 || g.outC % g.inC != 0) {
      return ctx.error("filter has {} channels, not a multiple of the input's {} channels", g.outC,
                       g.inC);
    }
    g.multiplier = g.outC / g.inC;
  } else {
    g.outC = filter->dim(0);
    g.inPerGroup = filter->dim(3);
    if (g.inC <= 0 || g.inC % g.inPerGroup != 0) {
      return ctx.error("input has {} channels, not a multiple of the filter's {} input channels",
                       g.inC, g.inPerGroup);
    }
    const int64_t groups = g.inC / g.inPerGroup;
    if (g.outC % groups != 0) {
      return ctx.error("filter has {} output channels, not divisible into {} groups", g.outC,
                       groups);
    }
    g.outPerGroup = g.outC / groups;
  }
  const Axis ah = forwardAxis(g.o.padding, g.inH, g.filterH, g.o.strideH, g.o.dilationH);
  const Axis aw = forwardAxis(g.o.padding, g.inW, g.filterW, g.o.strideW, g.o.dilationW);
  INFERD_RETURN_IF_ERROR(checkOutputDims(ctx, ah.out, aw.out));
  g.outH = ah.out;
  g.outW = aw.out;
  g.padH = ah.padBefore;
  g.padW = aw.padBefore;
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, dims4(g.batches, g.outH, g.outW, g.outC)));

  // TFLite's int8 CONV_2D runs through ruy; its int8 DEPTHWISE_CONV_2D has
  // its own loops (DepthwiseConvWithRounding<kUpward>); uint8 rounds away
  // from zero in both.
  Rounding rounding = Rounding::kAwayFromZero;
  if (input->type == ElementType::kInt8) rounding = depthwise ? Rounding::kShiftUp : Rounding::kUp;
  INFERD_RETURN_IF_ERROR(
      prepareArithmetic(ctx, st.get(), input, filter, g.outC, depthwise ? 3 : 0, 2, rounding));
  if (st->hybrid) {
    const std::vector<float>& s = st->wScales;
    const bool scalesDiffer = std::any_of(s.begin(), s.end(), [&](float v) { return v != s[0]; });
    const bool grouped = !depthwise && g.inPerGroup != g.inC;
    st->perChannelScale = !depthwise && (scalesDiffer || grouped);
    st->asymmetric = depthwise || st->perChannelScale;
    if (depthwise && filter->quant().scale.size() != static_cast<size_t>(g.outC)) {
      // TFLite's hybrid depthwise kernel needs one scale per channel.
      return ctx.unsupported("hybrid depthwise convolution needs per-channel weight scales "
                             "({} channels, {} scales)", g.outC, filter->quant().scale.size());
    }
  }
  prepareOptimized(ctx, st.get(), input, filter, depthwise);
  // What evalForward will run (profiles name it).
  const char* dwVariant = opt::cpuFeatures().best == opt::Isa::kAvx512Vnni ? "avx512" : "avx2";
  ctx.setKernelVariant(st->packed != nullptr     ? opt::gemmVariant(*st->packed)
                       : st->dwPacked != nullptr ? dwVariant
                                                 : "reference");
  ctx.setState(std::move(st));
  return Status::ok();
}

Status evalForward(OpContext& ctx, bool depthwise) {
  const auto& st = *ctx.state<QConvState>();
  if (st.packed != nullptr || st.dwPacked != nullptr) {
    if (st.hybrid) {
      evalOptimizedHybrid(ctx, st);
    } else {
      evalOptimizedInt8(ctx, st);
    }
  } else if (st.hybrid) {
    convolveHybrid(ctx, st, depthwise);
  } else if (ctx.input(0)->type == ElementType::kInt8) {
    convolveQuantized<int8_t>(ctx, st, depthwise);
  } else {
    convolveQuantized<uint8_t>(ctx, st, depthwise);
  }
  return Status::ok();
}

// --- TRANSPOSE_CONV ---------------------------------------------------------------

// Inputs: 0 output_shape, 1 weights [outC, kh, kw, inC], 2 input, 3 bias.
struct QTransposeState : QConvState {
  int accScratch = -1;  // int32 (quantized) accumulators of one batch
};

Status prepareTranspose(OpContext& ctx) {
  const auto* opts = options<fb::TransposeConvOptions>(ctx);
  if (opts == nullptr) return ctx.error("TransposeConvOptions are missing");
  auto st = std::make_unique<QTransposeState>();
  ConvGeom& g = st->g;
  g.o.padding = opts->padding();
  g.o.strideH = opts->stride_h();
  g.o.strideW = opts->stride_w();
  g.o.activation = opts->fused_activation_function();
  INFERD_RETURN_IF_ERROR(checkStrides(ctx, g.o.strideH, g.o.strideW));
  INFERD_RETURN_IF_ERROR(checkPadding(ctx, g.o.padding));
  const Tensor* shape = nullptr;
  const Tensor* w = nullptr;
  const Tensor* input = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &shape));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &w));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 2, &input));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  INFERD_RETURN_IF_ERROR(checkWeightsShape(ctx, w));
  if (shape->type != ElementType::kInt32 || shape->numElements() != 4 || !shape->isConstant) {
    return ctx.unsupported("output_shape must be a constant INT32 tensor of 4 values for "
                           "quantized or hybrid inputs");
  }
  const int32_t* d = shape->as<int32_t>();
  g.batches = input->dim(0);
  g.inH = input->dim(1);
  g.inW = input->dim(2);
  g.inC = input->dim(3);
  g.outC = w->dim(0);
  g.filterH = w->dim(1);
  g.filterW = w->dim(2);
  g.outH = d[1];
  g.outW = d[2];
  if (w->dim(3) != g.inC) {
    return ctx.error("weights have {} input channels, input has {}", w->dim(3), g.inC);
  }
  if (d[0] != g.batches || d[3] != g.outC || d[1] <= 0 || d[2] <= 0) {
    return ctx.error("output_shape {} does not fit input batch {} and {} output channels",
                     dimsToString(Dims(d, d + 4)), g.batches, g.outC);
  }
  // TFLite pads as if this were the forward convolution from the output.
  g.padH = forwardAxis(g.o.padding, g.outH, g.filterH, g.o.strideH, 1).padBefore;
  g.padW = forwardAxis(g.o.padding, g.outW, g.filterW, g.o.strideW, 1).padBefore;
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, Dims(d, d + 4)));
  INFERD_RETURN_IF_ERROR(
      prepareArithmetic(ctx, st.get(), input, w, g.outC, 0, 3, Rounding::kAwayFromZero));
  st->asymmetric = true;
  if (!st->hybrid) {
    st->accScratch =
        ctx.requestScratch(static_cast<size_t>(g.outH * g.outW * g.outC) * sizeof(int32_t));
  }
  ctx.setState(std::move(st));
  return Status::ok();
}

// Calls add(outIndex, oc, product) for every product of TFLite's scatter, in
// its order (input pixels, input channels, taps, output channels), with
// product = (x + xOffset) * (w + wOffset) for one batch.
template <typename X, typename W, typename Add>
void scatter(const ConvGeom& g, const X* in, int32_t xOffset, const W* w, int32_t wOffset,
             Add&& add) {
  for (int64_t iy = 0; iy < g.inH; ++iy) {
    for (int64_t ix = 0; ix < g.inW; ++ix) {
      const X* px = in + (iy * g.inW + ix) * g.inC;
      for (int64_t ic = 0; ic < g.inC; ++ic) {
        const int32_t xv = static_cast<int32_t>(px[ic]) + xOffset;
        for (int64_t ky = 0; ky < g.filterH; ++ky) {
          const int64_t oy = iy * g.o.strideH - g.padH + ky;
          if (oy < 0 || oy >= g.outH) continue;
          for (int64_t kx = 0; kx < g.filterW; ++kx) {
            const int64_t ox = ix * g.o.strideW - g.padW + kx;
            if (ox < 0 || ox >= g.outW) continue;
            const int64_t base = (oy * g.outW + ox) * g.outC;
            for (int64_t oc = 0; oc < g.outC; ++oc) {
              const int32_t wv =
                  static_cast<int32_t>(w[((oc * g.filterH + ky) * g.filterW + kx) * g.inC + ic]) +
                  wOffset;
              add(base + oc, oc, xv * wv);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void transposeQuantized(OpContext& ctx, const QTransposeState& st) {
  const ConvGeom& g = st.g;
  const Tensor* bias = ctx.input(3);
  const int32_t* biasData = bias != nullptr ? bias->as<int32_t>() : nullptr;
  auto* acc = static_cast<int32_t*>(ctx.scratch(st.accScratch));
  const int64_t outPer = g.outH * g.outW * g.outC;
  for (int64_t b = 0; b < g.batches; ++b) {
    std::fill(acc, acc + outPer, 0);
    scatter(g, ctx.input(2)->as<T>() + b * g.inH * g.inW * g.inC, -st.inZeroPoint,
            ctx.input(1)->as<T>(), -st.wZeroPoint,
            [acc](int64_t i, int64_t, int32_t p) { acc[i] += p; });
    T* out = ctx.output(0)->as<T>() + b * outPer;
    for (int64_t i = 0; i < outPer; ++i) {
      const int64_t c = i % g.outC;
      const int32_t a = biasData != nullptr ? acc[i] + biasData[c] : acc[i];
      out[i] = static_cast<T>(st.rq.apply(a, c));
    }
  }
}

void transposeHybrid(OpContext& ctx, const QTransposeState& st) {
  const ConvGeom& g = st.g;
  const Tensor* input = ctx.input(2);
  hybrid::RowQuant* rows = nullptr;
  const int8_t* q = quantizeBatches(ctx, st, input, &rows);
  const Tensor* bias = ctx.input(3);
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  const float* ws = st.wScales.data();
  const int64_t outPer = g.outH * g.outW * g.outC;
  for (int64_t b = 0; b < g.batches; ++b) {
    float* out = ctx.output(0)->as<float>() + b * outPer;
    std::fill(out, out + outPer, 0.f);
    const float inScale = rows[b].scale;
    scatter(g, q + b * g.inH * g.inW * g.inC, -rows[b].offset, ctx.input(1)->as<int8_t>(), 0,
            [&](int64_t i, int64_t c, int32_t p) {
              out[i] += static_cast<float>(p) * ws[c] * inScale;
            });
    for (int64_t i = 0; i < outPer; ++i) {
      float v = out[i];
      if (biasData != nullptr) v += biasData[i % g.outC];
      out[i] = clampActivation(v, st.act);
    }
  }
}

}  // namespace

Status prepareConvQuantized(OpContext& ctx) { return prepareForward(ctx, false); }
Status evalConvQuantized(OpContext& ctx) { return evalForward(ctx, false); }
Status prepareDepthwiseQuantized(OpContext& ctx) { return prepareForward(ctx, true); }
Status evalDepthwiseQuantized(OpContext& ctx) { return evalForward(ctx, true); }
Status prepareTransposeConvQuantized(OpContext& ctx) { return prepareTranspose(ctx); }

Status evalTransposeConvQuantized(OpContext& ctx) {
  const auto& st = *ctx.state<QTransposeState>();
  if (st.hybrid) {
    transposeHybrid(ctx, st);
  } else if (ctx.input(2)->type == ElementType::kInt8) {
    transposeQuantized<int8_t>(ctx, st);
  } else {
    transposeQuantized<uint8_t>(ctx, st);
  }
  return Status::ok();
}

}  // namespace inferd::engine::kernels
