// Quantized and hybrid FULLY_CONNECTED and BATCH_MATMUL (see quant_kernels.h
// for the arithmetic), reference loops:
//  - FULLY_CONNECTED int8 (per-tensor or per-channel weights; TFLite runs it
//    through ruy, whose x86 kernels round ties up) and uint8 (gemmlowp
//    rounding); hybrid: each input row quantized (symmetric, or asymmetric
//    with asymmetric_quantize_inputs), out = bias + acc * (wScale[u] * rowScale),
//    an all-zero input giving the bias, as TFLite.
//  - BATCH_MATMUL int8 x int8 -> int8 (TFLite's reference kernel, no fused
//    activation); hybrid with FLOAT32 lhs and constant INT8 rhs: each lhs row
//    quantized, out = (rowScale * wScale[n]) * (acc - rowSum[n] * offset)
//    with TFLite's float evaluation of the offset correction.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "hybrid_util.h"
#include "optimized/cpu_features.h"
#include "optimized/hybrid_quant.h"
#include "optimized/qgemm.h"
#include "quant_kernels.h"
#include "target_region.h"

namespace inferd::engine::kernels {
namespace {

using quant::Rounding;

// --- FULLY_CONNECTED -------------------------------------------------------------

struct QFcState : KernelState {
  int64_t batches = 0, inputSize = 0, units = 0;
  bool hybrid = false;
  qk::Requantizer rq;
  int32_t inZeroPoint = 0, wZeroPoint = 0;
  bool asymmetric = false;
  bool perChannel = false;
  std::vector<float> wScales;
  ActivationRange act;
  int quantScratch = -1;
  // The optimized path (optimized/qgemm.h), chosen at prepare.
  std::shared_ptr<const opt::QPackedWeights> packed;
  opt::QRequant qrq;
  std::vector<int32_t> colOffset;  // int8: bias - (128 + zero point) * sum(w)
  int rowsScratch = -1;            // batches x kPadded flipped activations
  int rowParamScratch = -1;        // hybrid: rowK and rowScale per batch
};

// Packs constant int8 weights for the VNNI GEMM where it reproduces the
// reference (int8 with a representable requantization, or hybrid).
void prepareFcOptimized(OpContext& ctx, QFcState* st, const Tensor* input, const Tensor* weights) {
  if (!ctx.optimizedKernels() || opt::cpuFeatures().best == opt::Isa::kReference || !weights->isConstant) return;
  if (!st->hybrid && input->type != ElementType::kInt8) return;
  if (!st->hybrid && !opt::makeQRequant(st->rq, st->units, &st->qrq)) return;
  const Tensor* bias = ctx.input(2);
  if (!st->hybrid && bias != nullptr && !bias->isConstant) return;
  const auto* w = weights->as<int8_t>();
  st->packed = ctx.sharedDerived<opt::QPackedWeights>(weights->data, opt::packedWeightsKey(), [&](size_t* bytes) {
    auto p = opt::packQWeights(w, st->units, st->inputSize);
    *bytes = p->bytes();
    return p;
  });
  const opt::QPackedWeights& pw = *st->packed;
  if (!st->hybrid) {
    st->colOffset = opt::int8ColumnOffsets(pw, bias != nullptr ? bias->as<int32_t>() : nullptr, st->inZeroPoint);
  } else {
    st->rowParamScratch = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(st->batches, 1)) * 8);
  }
  st->rowsScratch = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(st->batches, 1) * pw.kPadded));
}

// GEMM rows split over the threads when there are many, else the weight
// blocks (a batch of one row reads every weight once).
template <typename Epilogue>
void fcGemm(OpContext& ctx, const QFcState& st, const uint8_t* rows, const Epilogue& e) {
  struct Job {
    const QFcState* st;
    const uint8_t* rows;
    const Epilogue* e;
    int64_t tasks;
    bool splitRows;
    static void run(void* self, size_t task) {
      const auto& j = *static_cast<const Job*>(self);
      const opt::QPackedWeights& w = *j.st->packed;
      const auto t = static_cast<int64_t>(task);
      int64_t r0 = 0, r1 = j.st->batches, b0 = 0, b1 = w.blocks;
      if (j.splitRows) {
        r0 = j.st->batches * t / j.tasks;
        r1 = j.st->batches * (t + 1) / j.tasks;
      } else {
        b0 = w.blocks * t / j.tasks;
        b1 = w.blocks * (t + 1) / j.tasks;
      }
      if (r1 <= r0 || b1 <= b0) return;
      if constexpr (std::is_same_v<Epilogue, opt::Int8Epilogue>) {
        opt::qgemmInt8(j.rows + r0 * w.kPadded, r1 - r0, w, b0, b1, *j.e, r0);
      } else {
        opt::qgemmFloat(j.rows + r0 * w.kPadded, r1 - r0, w, b0, b1, *j.e, r0);
      }
    }
  };
  const opt::QPackedWeights& w = *st.packed;
  // Small layers are not worth a thread hand-off.
  const bool worthThreads = st.batches * w.blocks * w.kPadded >= 16384;
  const int64_t threads = worthThreads ? opt::poolThreads(ctx.threadPool()) : 1;
  Job job{&st, rows, &e, 1, st.batches >= 2 * threads * 6};
  job.tasks = std::max<int64_t>(1, std::min(threads, job.splitRows ? st.batches : w.blocks));
  opt::parallelFor(ctx.threadPool(), job.tasks, &Job::run, &job);
}

void fcOptimizedInt8(OpContext& ctx, const QFcState& st) {
  const opt::QPackedWeights& w = *st.packed;
  auto* rows = static_cast<uint8_t*>(ctx.scratch(st.rowsScratch));
  const int8_t* in = ctx.input(0)->as<int8_t>();
  for (int64_t b = 0; b < st.batches; ++b) opt::copyFlip(rows + b * w.kPadded, in + b * st.inputSize, st.inputSize);
  opt::Int8Epilogue e;
  e.colOffset = st.colOffset.data();
  e.rq = &st.qrq;
  e.out = ctx.output(0)->as<int8_t>();
  e.ldc = st.units;
  fcGemm(ctx, st, rows, e);
}

Status prepareFc(OpContext& ctx) {
  const Tensor* input = ctx.input(0);
  const Tensor* weights = ctx.input(1);
  FullyConnectedOptions opts;
  INFERD_RETURN_IF_ERROR(readFullyConnectedOptions(ctx, &opts));
  auto st = std::make_unique<QFcState>();
  Dims outDims;
  INFERD_RETURN_IF_ERROR(
      fullyConnectedShape(ctx, input, weights, opts.keepNumDims, &st->batches, &outDims));
  st->units = weights->dim(0);
  st->inputSize = weights->dim(1);
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));

  if (input->type == ElementType::kFloat32) {
    st->hybrid = true;
    if (!weights->isConstant) {
      return ctx.unsupported("hybrid (FLOAT32 input, INT8 weights) needs constant weights");
    }
    INFERD_RETURN_IF_ERROR(qk::hybridWeights(ctx, weights, st->units, 0, &st->wScales));
    const float* bias = nullptr;
    INFERD_RETURN_IF_ERROR(qk::hybridBias(ctx, 2, st->units, &bias));
    INFERD_RETURN_IF_ERROR(activationRange(ctx, opts.activation, &st->act));
    st->asymmetric = opts.asymmetricQuantizeInputs;
    st->perChannel = st->wScales.size() > 1;
    st->quantScratch =
        ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(input->numElements(), 1)));
    prepareFcOptimized(ctx, st.get(), input, weights);
    ctx.setKernelVariant(st->packed != nullptr ? opt::gemmVariant(*st->packed) : "reference");
    ctx.setState(std::move(st));
    return Status::ok();
  }
  if (input->type != ElementType::kInt8 && input->type != ElementType::kUInt8) {
    return ctx.unsupported("input has type {}; FLOAT32, INT8 and UINT8 are supported",
                           elementTypeName(input->type));
  }
  if (weights->type != input->type) {
    return ctx.unsupported("{} input needs {} weights, has {}", elementTypeName(input->type),
                           elementTypeName(input->type), elementTypeName(weights->type));
  }
  std::vector<float> scales;
  INFERD_RETURN_IF_ERROR(qk::weightQuant(ctx, weights, st->units, 0, &scales, &st->wZeroPoint));
  const int32_t* bias = nullptr;
  INFERD_RETURN_IF_ERROR(qk::quantizedBias(ctx, 2, st->units, &bias));
  float inScale = 0.f;
  INFERD_RETURN_IF_ERROR(qk::perTensorQuant(ctx, input, "input", &inScale, &st->inZeroPoint));
  const qk::ScaleProduct product =
      scales.size() > 1 ? qk::ScaleProduct::kDouble : qk::ScaleProduct::kFloat;
  const Rounding rounding =
      input->type == ElementType::kInt8 ? Rounding::kUp : Rounding::kAwayFromZero;
  INFERD_RETURN_IF_ERROR(
      qk::makeRequantizer(ctx, input, scales, product, opts.activation, rounding, &st->rq));
  prepareFcOptimized(ctx, st.get(), input, weights);
  ctx.setKernelVariant(st->packed != nullptr ? opt::gemmVariant(*st->packed) : "reference");
  ctx.setState(std::move(st));
  return Status::ok();
}

template <typename T>
void fcQuantized(OpContext& ctx, const QFcState& st) {
  const T* in = ctx.input(0)->as<T>();
  const T* w = ctx.input(1)->as<T>();
  const Tensor* bias = ctx.input(2);
  const int32_t* biasData = bias != nullptr ? bias->as<int32_t>() : nullptr;
  T* out = ctx.output(0)->as<T>();
  for (int64_t b = 0; b < st.batches; ++b) {
    const T* x = in + b * st.inputSize;
    for (int64_t u = 0; u < st.units; ++u) {
      const T* wr = w + u * st.inputSize;
      int32_t acc = biasData != nullptr ? biasData[u] : 0;
      for (int64_t i = 0; i < st.inputSize; ++i) {
        acc += (static_cast<int32_t>(x[i]) - st.inZeroPoint) *
               (static_cast<int32_t>(wr[i]) - st.wZeroPoint);
      }
      out[b * st.units + u] = static_cast<T>(st.rq.apply(acc, u));
    }
  }
}

void fcHybrid(OpContext& ctx, const QFcState& st) {
  const Tensor* input = ctx.input(0);
  const float* x = input->as<float>();
  const int8_t* w = ctx.input(1)->as<int8_t>();
  const Tensor* bias = ctx.input(2);
  const float* biasData = bias != nullptr ? bias->as<float>() : nullptr;
  float* out = ctx.output(0)->as<float>();
  const int64_t total = st.batches * st.inputSize;
  // TFLite skips the products when the whole input is zero.
  const bool allZero = std::all_of(x, x + total, [](float v) { return v == 0.f; });
  auto* q = static_cast<int8_t*>(ctx.scratch(st.quantScratch));
  for (int64_t b = 0; b < st.batches; ++b) {
    hybrid::RowQuant rq;
    if (!allZero) {
      rq = opt::quantizeRow(x + b * st.inputSize, st.inputSize, q + b * st.inputSize, st.asymmetric,
                            ctx.optimizedKernels());
    }
    // Per-tensor weights fold their scale into the row's scale first.
    const float rowScale = st.perChannel ? rq.scale : rq.scale * st.wScales[0];
    if (st.packed != nullptr && !allZero) {
      auto* rowK = static_cast<int32_t*>(ctx.scratch(st.rowParamScratch));
      auto* rowScales = reinterpret_cast<float*>(rowK + st.batches);
      rowK[b] = 128 + rq.offset;
      rowScales[b] = rowScale;
      opt::copyFlip(static_cast<uint8_t*>(ctx.scratch(st.rowsScratch)) + b * st.packed->kPadded,
                    q + b * st.inputSize, st.inputSize);
      continue;
    }
    const int8_t* qb = q + b * st.inputSize;
    for (int64_t u = 0; u < st.units; ++u) {
      float v = biasData != nullptr ? biasData[u] : 0.f;
      if (!allZero) {
        const int8_t* wr = w + u * st.inputSize;
        int32_t acc = 0;
        for (int64_t i = 0; i < st.inputSize; ++i) {
          acc += (static_cast<int32_t>(qb[i]) - rq.offset) * static_cast<int32_t>(wr[i]);
        }
        const float scale = st.perChannel ? st.wScales[static_cast<size_t>(u)] * rowScale : rowScale;
        v += static_cast<float>(acc) * scale;
      }
      out[b * st.units + u] = clampActivation(v, st.act);
    }
  }
  if (st.packed != nullptr && !allZero) {
    auto* rowK = static_cast<int32_t*>(ctx.scratch(st.rowParamScratch));
    opt::FloatEpilogue e;
    e.rowK = rowK;
    e.rowScale = reinterpret_cast<const float*>(rowK + st.batches);
    e.wScale = st.perChannel ? st.wScales.data() : nullptr;
    e.bias = biasData;
    e.lo = st.act.min;
    e.hi = st.act.max;
    e.out = out;
    e.ldc = st.units;
    fcGemm(ctx, st, static_cast<const uint8_t*>(ctx.scratch(st.rowsScratch)), e);
  }
}

// --- BATCH_MATMUL ----------------------------------------------------------------

struct QMatMulState : KernelState {
  MatMulGeom g;
  bool hybrid = false;
  qk::Requantizer rq;
  int32_t lhsZeroPoint = 0, rhsZeroPoint = 0;
  bool asymmetric = false;
  std::vector<float> wScales;   // one, or one per column n
  std::vector<int32_t> rowSums;  // hybrid: sum over k of rhs, per rhs matrix and column
  int quantScratch = -1;         // the quantized lhs rows, [lhs batches * M, K]
  int rowScratch = -1;           // one hybrid::RowQuant per lhs row
  int gatherScratch = -1;        // one lhs row (adj_x gathers it)
  int64_t lhsMatrices = 1, rhsMatrices = 1;
  // int8 with AVX2: rhs - zero point as int16 [K][N] and one row of
  // int32 sums (the same integer sums, in a vectorizable order).
  bool rowsAvx2 = false;
  int rhsScratch = -1, accScratch = -1;
};

// Element (p, j) of one rhs matrix and (i, p) of one lhs matrix.
inline int64_t rhsIndex(const MatMulGeom& g, int64_t p, int64_t j) {
  return g.adjY ? j * g.k + p : p * g.n + j;
}
inline int64_t lhsIndex(const MatMulGeom& g, int64_t i, int64_t p) {
  return g.adjX ? p * g.m + i : i * g.k + p;
}

Status prepareMatMul(OpContext& ctx) {
  const Tensor* lhs = ctx.input(0);
  const Tensor* rhs = ctx.input(1);
  auto st = std::make_unique<QMatMulState>();
  MatMulGeom& g = st->g;
  INFERD_RETURN_IF_ERROR(matMulGeometry(ctx, lhs, rhs, &g));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, g.outDims));
  st->lhsMatrices = lhs->numElements() / std::max<int64_t>(g.m * g.k, 1);
  st->rhsMatrices = rhs->numElements() / std::max<int64_t>(g.k * g.n, 1);
  if (lhs->type == ElementType::kFloat32) {
    st->hybrid = true;
    if (!rhs->isConstant) {
      return ctx.unsupported("hybrid (FLOAT32 lhs, INT8 rhs) needs a constant rhs");
    }
    const int columnDim = g.adjY ? rhs->rank() - 2 : rhs->rank() - 1;
    INFERD_RETURN_IF_ERROR(qk::hybridWeights(ctx, rhs, g.n, columnDim, &st->wScales));
    if (const auto* o = options<fb::BatchMatMulOptions>(ctx)) {
      st->asymmetric = o->asymmetric_quantize_inputs();
    }
    const int8_t* r = rhs->as<int8_t>();
    st->rowSums.assign(static_cast<size_t>(st->rhsMatrices * g.n), 0);
    for (int64_t mtx = 0; mtx < st->rhsMatrices; ++mtx) {
      for (int64_t j = 0; j < g.n; ++j) {
        int32_t sum = 0;
        for (int64_t p = 0; p < g.k; ++p) sum += r[mtx * g.k * g.n + rhsIndex(g, p, j)];
        st->rowSums[static_cast<size_t>(mtx * g.n + j)] = sum;
      }
    }
    const int64_t rows = st->lhsMatrices * g.m;
    st->quantScratch = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(rows * g.k, 1)));
    st->rowScratch =
        ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(rows, 1)) * sizeof(hybrid::RowQuant));
    st->gatherScratch =
        ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(g.k, 1)) * sizeof(float));
    ctx.setState(std::move(st));
    return Status::ok();
  }
  if (lhs->type != ElementType::kInt8 || rhs->type != ElementType::kInt8) {
    return ctx.unsupported("inputs of type {} and {} are not supported (FLOAT32, INT8 x INT8 and "
                           "FLOAT32 x INT8 are)", elementTypeName(lhs->type),
                           elementTypeName(rhs->type));
  }
  float lhsScale = 0.f, rhsScale = 0.f;
  INFERD_RETURN_IF_ERROR(qk::perTensorQuant(ctx, lhs, "lhs", &lhsScale, &st->lhsZeroPoint));
  INFERD_RETURN_IF_ERROR(qk::perTensorQuant(ctx, rhs, "rhs", &rhsScale, &st->rhsZeroPoint));
  INFERD_RETURN_IF_ERROR(qk::makeRequantizer(ctx, lhs, {rhsScale}, qk::ScaleProduct::kFloat,
                                             fb::ActivationFunctionType::NONE,
                                             Rounding::kAwayFromZero, &st->rq));
  st->rowsAvx2 = ctx.optimizedKernels() && opt::cpuFeatures().avx2;
  if (st->rowsAvx2) {
    st->rhsScratch = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(g.k * g.n, 1)) * sizeof(int16_t));
    st->accScratch = ctx.requestScratch(static_cast<size_t>(std::max<int64_t>(g.n, 1)) * sizeof(int32_t));
  }
  ctx.setKernelVariant(st->rowsAvx2 ? "avx2" : "reference");
  ctx.setState(std::move(st));
  return Status::ok();
}

INFERD_TARGET_BEGIN("avx2")

// One int8 matrix product, row by row: acc[j] += (a(i, p) - za) * b16[p][j]
// over p, b16 = rhs - zb laid out [K][N]; loops the compiler vectorizes
// for AVX2. Integer sums are exact in any order: the reference's bytes.
void matMulRowsAvx2(const QMatMulState& st, const int8_t* a, const int8_t* b, int16_t* b16, int32_t* acc,
                    int8_t* c) {
  const MatMulGeom& g = st.g;
  const int64_t m = g.m, k = g.k, n = g.n;
  const int32_t zb = st.rhsZeroPoint;
  for (int64_t p = 0; p < k; ++p) {
    for (int64_t j = 0; j < n; ++j) b16[p * n + j] = static_cast<int16_t>(b[rhsIndex(g, p, j)] - zb);
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) acc[j] = 0;
    for (int64_t p = 0; p < k; ++p) {
      const int32_t av = static_cast<int32_t>(a[lhsIndex(g, i, p)]) - st.lhsZeroPoint;
      const int16_t* br = b16 + p * n;
      for (int64_t j = 0; j < n; ++j) acc[j] += av * static_cast<int32_t>(br[j]);
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<int8_t>(st.rq.apply(acc[j], 0));
  }
}

INFERD_TARGET_END

void matMulQuantized(OpContext& ctx, const QMatMulState& st) {
  const MatMulGeom& g = st.g;
  const int8_t* lhs = ctx.input(0)->as<int8_t>();
  const int8_t* rhs = ctx.input(1)->as<int8_t>();
  int8_t* out = ctx.output(0)->as<int8_t>();
  if (st.rowsAvx2) {
    auto* b16 = static_cast<int16_t*>(ctx.scratch(st.rhsScratch));
    auto* acc = static_cast<int32_t*>(ctx.scratch(st.accScratch));
    forEachBroadcast(g.batch, [&](int64_t o, int64_t ai, int64_t bi) {
      matMulRowsAvx2(st, lhs + ai * g.m * g.k, rhs + bi * g.k * g.n, b16, acc, out + o * g.m * g.n);
    });
    return;
  }
  forEachBroadcast(g.batch, [&](int64_t o, int64_t ai, int64_t bi) {
    const int8_t* a = lhs + ai * g.m * g.k;
    const int8_t* b = rhs + bi * g.k * g.n;
    int8_t* c = out + o * g.m * g.n;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        int32_t acc = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          acc += (static_cast<int32_t>(a[lhsIndex(g, i, p)]) - st.lhsZeroPoint) *
                 (static_cast<int32_t>(b[rhsIndex(g, p, j)]) - st.rhsZeroPoint);
        }
        c[i * g.n + j] = static_cast<int8_t>(st.rq.apply(acc, 0));
      }
    }
  });
}

void matMulHybrid(OpContext& ctx, const QMatMulState& st) {
  const MatMulGeom& g = st.g;
  const float* lhs = ctx.input(0)->as<float>();
  const int8_t* rhs = ctx.input(1)->as<int8_t>();
  float* out = ctx.output(0)->as<float>();
  auto* q = static_cast<int8_t*>(ctx.scratch(st.quantScratch));
  auto* rows = static_cast<hybrid::RowQuant*>(ctx.scratch(st.rowScratch));
  auto* row = static_cast<float*>(ctx.scratch(st.gatherScratch));
  // Quantize every logical lhs row (K values).
  for (int64_t mtx = 0; mtx < st.lhsMatrices; ++mtx) {
    const float* a = lhs + mtx * g.m * g.k;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t p = 0; p < g.k; ++p) row[p] = a[lhsIndex(g, i, p)];
      const int64_t r = mtx * g.m + i;
      rows[r] = opt::quantizeRow(row, g.k, q + r * g.k, st.asymmetric, ctx.optimizedKernels());
    }
  }
  const bool perChannel = st.wScales.size() > 1;
  forEachBroadcast(g.batch, [&](int64_t o, int64_t ai, int64_t bi) {
    const int8_t* b = rhs + bi * g.k * g.n;
    const int32_t* sums = st.rowSums.data() + bi * g.n;
    float* c = out + o * g.m * g.n;
    for (int64_t i = 0; i < g.m; ++i) {
      const int64_t r = ai * g.m + i;
      const int8_t* qa = q + r * g.k;
      // Per-tensor weights fold their scale into the row's scale first.
      const float rowScale = perChannel ? rows[r].scale : rows[r].scale * st.wScales[0];
      const auto offset = static_cast<float>(rows[r].offset);
      for (int64_t j = 0; j < g.n; ++j) {
        int32_t acc = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          acc += static_cast<int32_t>(qa[p]) * static_cast<int32_t>(b[rhsIndex(g, p, j)]);
        }
        // TFLite: total -= row_sum * offset, evaluated in float.
        const auto corrected = static_cast<int32_t>(
            static_cast<float>(acc) - static_cast<float>(sums[j]) * offset);
        const float scale = perChannel ? rowScale * st.wScales[static_cast<size_t>(j)] : rowScale;
        c[i * g.n + j] = scale * static_cast<float>(corrected);
      }
    }
  });
}

}  // namespace

Status prepareFullyConnectedQuantized(OpContext& ctx) { return prepareFc(ctx); }

Status evalFullyConnectedQuantized(OpContext& ctx) {
  const auto& st = *ctx.state<QFcState>();
  if (st.hybrid) {
    fcHybrid(ctx, st);
  } else if (st.packed != nullptr) {
    fcOptimizedInt8(ctx, st);
  } else if (ctx.input(0)->type == ElementType::kInt8) {
    fcQuantized<int8_t>(ctx, st);
  } else {
    fcQuantized<uint8_t>(ctx, st);
  }
  return Status::ok();
}

Status prepareBatchMatMulQuantized(OpContext& ctx) { return prepareMatMul(ctx); }

Status evalBatchMatMulQuantized(OpContext& ctx) {
  const auto& st = *ctx.state<QMatMulState>();
  if (st.hybrid) {
    matMulHybrid(ctx, st);
  } else {
    matMulQuantized(ctx, st);
  }
  return Status::ok();
}

}  // namespace inferd::engine::kernels
