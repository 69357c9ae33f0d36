// BATCH_MATMUL for FLOAT32: lhs [..., M, K] (or [..., K, M] with adj_x) times
// rhs [..., K, N] (or [..., N, K] with adj_y), batch dimensions broadcast
// numpy-style through BroadcastIndexer, as TensorFlow Lite's reference
// kernel. Each output element accumulates over k in order; the inner loop
// runs over contiguous memory (n, or k with adj_y). INT8 and hybrid forms
// are in matmul_quant.cpp.
#include <cstdint>
#include <cstring>
#include <memory>

#include "array_util.h"
#include "kernel_util.h"
#include "quant_kernels.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

// TFLite supports operands of rank 2 to 5.
constexpr int kMaxMatMulRank = 5;

struct MatMulState : KernelState {
  MatMulGeom g;
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

Status evalBatchMatMul(OpContext& ctx) {
  if (isQuantizedNode(ctx.input(0), ctx.input(1))) return evalBatchMatMulQuantized(ctx);
  const MatMulGeom& s = ctx.state<MatMulState>()->g;
  const float* lhs = ctx.input(0)->as<float>();
  const float* rhs = ctx.input(1)->as<float>();
  float* out = ctx.output(0)->as<float>();
  const int64_t lhsSize = s.m * s.k, rhsSize = s.k * s.n, outSize = s.m * s.n;
  forEachBroadcast(s.batch, [&](int64_t o, int64_t a, int64_t b) {
    matmulOne(s, lhs + a * lhsSize, rhs + b * rhsSize, out + o * outSize);
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
