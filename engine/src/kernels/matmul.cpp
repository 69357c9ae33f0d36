// BATCH_MATMUL for FLOAT32: lhs [..., M, K] (or [..., K, M] with adj_x) times
// rhs [..., K, N] (or [..., N, K] with adj_y), batch dimensions broadcast
// numpy-style through BroadcastIndexer, as TensorFlow Lite's reference
// kernel. Each output element accumulates over k in order; the inner loop
// runs over contiguous memory (n, or k with adj_y). INT8 and hybrid forms
// are in matmul_quant.cpp.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "array_util.h"
#include "kernel_util.h"
#include "optimized/cpu_features.h"
#include "quant_kernels.h"
#include "register.h"
#include "target_region.h"

namespace inferd::engine::kernels {
namespace {

// TFLite supports operands of rank 2 to 5.
constexpr int kMaxMatMulRank = 5;

struct MatMulState : KernelState {
  MatMulGeom g;
  bool avx2 = false;       // matmulAvx2 (the same bytes as matmulOne)
  int transposeScratch = -1;  // adj_y: rhs as [K, N] for matmulAvx2
};

}  // namespace

Status matMulGeometry(const OpContext& ctx, const Tensor* lhs, const Tensor* rhs, MatMulGeom* g) {
  for (const Tensor* t : {lhs, rhs}) {
    if (t->rank() < 2 || t->rank() > kMaxMatMulRank) {
      return ctx.error("{} must have rank 2 to {}, has shape {}", t == lhs ? "lhs" : "rhs", kMaxMatMulRank,
                       dimsToString(t->dims));
    }
  }
  if (const auto* o = options<fb::BatchMatMulOptions>(ctx)) {
    g->adjX = o->adj_x();
    g->adjY = o->adj_y();
  }
  const int lr = lhs->rank();
  const int rr = rhs->rank();
  g->m = g->adjX ? lhs->dim(lr - 1) : lhs->dim(lr - 2);
  g->k = g->adjX ? lhs->dim(lr - 2) : lhs->dim(lr - 1);
  const int64_t rk = g->adjY ? rhs->dim(rr - 1) : rhs->dim(rr - 2);
  g->n = g->adjY ? rhs->dim(rr - 2) : rhs->dim(rr - 1);
  if (rk != g->k) {
    return ctx.error("lhs {} (adj_x {}) and rhs {} (adj_y {}) have different contraction sizes {} and {}",
                     dimsToString(lhs->dims), g->adjX, dimsToString(rhs->dims), g->adjY, g->k, rk);
  }
  const Dims lb(lhs->dims.begin(), lhs->dims.end() - 2);
  const Dims rb(rhs->dims.begin(), rhs->dims.end() - 2);
  INFERD_RETURN_IF_ERROR(broadcastShape(ctx, lb, rb, &g->outDims));
  g->batch = BroadcastIndexer(lb, rb, g->outDims);
  g->outDims.push_back(static_cast<int32_t>(g->m));
  g->outDims.push_back(static_cast<int32_t>(g->n));
  return Status::ok();
}

namespace {

Status prepareBatchMatMul(OpContext& ctx) {
  const Tensor* lhs = nullptr;
  const Tensor* rhs = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &lhs));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &rhs));
  if (isQuantizedNode(lhs, rhs)) return prepareBatchMatMulQuantized(ctx);
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, ElementType::kFloat32));
  auto state = std::make_unique<MatMulState>();
  INFERD_RETURN_IF_ERROR(matMulGeometry(ctx, lhs, rhs, &state->g));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, state->g.outDims));
  // The vector loop gives the reference's bytes, so it also runs in
  // dynamic-range models.
  state->avx2 = ctx.optimizedKernels() && opt::cpuFeatures().avx2;
  if (state->avx2 && state->g.adjY) {
    state->transposeScratch = ctx.requestScratch(static_cast<size_t>(state->g.k * state->g.n) * sizeof(float));
  }
  ctx.setKernelVariant(state->avx2 ? "avx2" : "reference");
  ctx.setState(std::move(state));
  return Status::ok();
}

void matmulOne(const MatMulGeom& s, const float* a, const float* b, float* out) {
  const int64_t m = s.m, k = s.k, n = s.n;
  if (!s.adjY) {
    // out[i, :] = sum_p A(i, p) * rhs[p, :], rows of rhs contiguous.
    for (int64_t i = 0; i < m; ++i) {
      float* o = out + i * n;
      for (int64_t j = 0; j < n; ++j) o[j] = 0.f;
      for (int64_t p = 0; p < k; ++p) {
        const float av = s.adjX ? a[p * m + i] : a[i * k + p];
        const float* br = b + p * n;
        for (int64_t j = 0; j < n; ++j) o[j] += av * br[j];
      }
    }
    return;
  }
  // adj_y: rhs is [N, K], so each output is a dot product over contiguous k.
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const float* br = b + j * k;
      float acc = 0.f;
      if (s.adjX) {
        for (int64_t p = 0; p < k; ++p) acc += a[p * m + i] * br[p];
      } else {
        const float* ar = a + i * k;
        for (int64_t p = 0; p < k; ++p) acc += ar[p] * br[p];
      }
      out[i * n + j] = acc;
    }
  }
}

INFERD_TARGET_BEGIN("avx2")

// matmulOne with 8 output columns a vector: each output still starts at 0
// and adds A(i, p) * B(p, j) for p in order, one multiply and one add (the
// engine is built with -ffp-contract=off), so the bytes are matmulOne's;
// b is [K, N] (an adj_y rhs transposed first: its dot products then become
// the same ordered sums). Four column vectors at a time for the
// independent chains.
void matmulAvx2(const MatMulGeom& s, const float* a, const float* b, float* out) {
  const int64_t m = s.m, k = s.k, n = s.n;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t i = 0; i < m; ++i) {
    float* o = out + i * n;
    for (int64_t j0 = 0; j0 < n; j0 += 32) {
      const int64_t cols = std::min<int64_t>(32, n - j0);
      const int vecs = static_cast<int>((cols + 7) / 8);
      __m256i mask[4];
      for (int q = 0; q < 4; ++q) {
        mask[q] = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(cols - 8 * q)), lane);
      }
      __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
      const int64_t aStep = s.adjX ? m : 1;
      const float* ap = s.adjX ? a + i : a + i * k;
      if (cols == 32 || cols == 16) {  // whole vectors (the common head sizes)
        const int full = static_cast<int>(cols / 8);
        for (int64_t p = 0; p < k; ++p) {
          const __m256 av = _mm256_broadcast_ss(ap + p * aStep);
          const float* br = b + p * n + j0;
          acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(av, _mm256_loadu_ps(br)));
          acc[1] = _mm256_add_ps(acc[1], _mm256_mul_ps(av, _mm256_loadu_ps(br + 8)));
          if (full == 4) {
            acc[2] = _mm256_add_ps(acc[2], _mm256_mul_ps(av, _mm256_loadu_ps(br + 16)));
            acc[3] = _mm256_add_ps(acc[3], _mm256_mul_ps(av, _mm256_loadu_ps(br + 24)));
          }
        }
        for (int q = 0; q < full; ++q) _mm256_storeu_ps(o + j0 + 8 * q, acc[q]);
        continue;
      }
      for (int64_t p = 0; p < k; ++p) {
        const __m256 av = _mm256_broadcast_ss(ap + p * aStep);
        const float* br = b + p * n + j0;
        for (int q = 0; q < vecs; ++q) {
          acc[q] = _mm256_add_ps(acc[q], _mm256_mul_ps(av, _mm256_maskload_ps(br + 8 * q, mask[q])));
        }
      }
      for (int q = 0; q < vecs; ++q) _mm256_maskstore_ps(o + j0 + 8 * q, mask[q], acc[q]);
    }
  }
}

INFERD_TARGET_END

Status evalBatchMatMul(OpContext& ctx) {
  if (isQuantizedNode(ctx.input(0), ctx.input(1))) return evalBatchMatMulQuantized(ctx);
  const MatMulState& st = *ctx.state<MatMulState>();
  const MatMulGeom& s = st.g;
  const float* lhs = ctx.input(0)->as<float>();
  const float* rhs = ctx.input(1)->as<float>();
  float* out = ctx.output(0)->as<float>();
  const int64_t lhsSize = s.m * s.k, rhsSize = s.k * s.n, outSize = s.m * s.n;
  auto* bt = st.transposeScratch >= 0 ? static_cast<float*>(ctx.scratch(st.transposeScratch)) : nullptr;
  forEachBroadcast(s.batch, [&](int64_t o, int64_t a, int64_t b) {
    const float* rb = rhs + b * rhsSize;
    if (!st.avx2) {
      matmulOne(s, lhs + a * lhsSize, rb, out + o * outSize);
      return;
    }
    if (s.adjY) {
      for (int64_t j = 0; j < s.n; ++j) {
        for (int64_t p = 0; p < s.k; ++p) bt[p * s.n + j] = rb[j * s.k + p];
      }
      rb = bt;
    }
    matmulAvx2(s, lhs + a * lhsSize, rb, out + o * outSize);
  });
  return Status::ok();
}

}  // namespace

void registerMatMulKernels(OpResolver& r) {
  if constexpr (opSelected(fb::BuiltinOperator::BATCH_MATMUL)) {
    KernelRegistration k;
    k.builtinCode = static_cast<int32_t>(fb::BuiltinOperator::BATCH_MATMUL);
    // Version range from TFLite's register.cc; versions 2-4 add int8/int16 and
    // hybrid forms, which prepare rejects with a clear message.
    k.minVersion = 1;
    k.maxVersion = 4;
    k.minInputs = 2;
    k.maxInputs = 2;
    k.prepare = prepareBatchMatMul;
    k.eval = evalBatchMatMul;
    k.types = {ElementType::kFloat32, ElementType::kInt8};
    r.add(std::move(k));
  }
}

}  // namespace inferd::engine::kernels
