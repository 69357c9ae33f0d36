// Binary element-wise loops shared by the arithmetic kernels (ADD, SUB, MUL,
// DIV) and PRELU: picks a plan once in prepare (same shapes, one scalar side,
// or a general numpy broadcast with its dims coalesced) and runs a functor
// over every output element in eval with the innermost loop contiguous.
#pragma once

#include <cstdint>
#include <vector>

#include "kernel_util.h"

namespace inferd::engine::kernels {

enum class BinaryMode {
  kSameShape,  // a and b have the output's shape: one flat loop
  kScalarA,    // a has one element, b has the output's shape
  kScalarB,    // b has one element, a has the output's shape
  kBroadcast,  // general numpy broadcast through `ix`
};

struct BinaryPlan {
  BinaryMode mode = BinaryMode::kSameShape;
  int64_t size = 0;  // output elements
  BroadcastIndexer ix{Dims{}, Dims{}, Dims{}};
};

// Computes the output shape of a binary op over shapes a and b (numpy rules)
// and the plan to walk it. Equal shapes of any rank take the flat path; other
// combinations go through broadcastShape (rank <= kMaxBroadcastRank).
inline Status planBinary(const OpContext& ctx, const Dims& a, const Dims& b, Dims* out,
                         BinaryPlan* plan) {
  if (a == b) {
    *out = a;
    plan->mode = BinaryMode::kSameShape;
    plan->size = numElements(a);
    return Status::ok();
  }
  INFERD_RETURN_IF_ERROR(broadcastShape(ctx, a, b, out));
  plan->size = numElements(*out);
  // A one-element side has only 1s as dims, so the output is the other side
  // with leading 1s: the same flat layout.
  if (numElements(a) == 1) {
    plan->mode = BinaryMode::kScalarA;
    return Status::ok();
  }
  if (numElements(b) == 1) {
    plan->mode = BinaryMode::kScalarB;
    return Status::ok();
  }
  plan->mode = BinaryMode::kBroadcast;
  BroadcastIndexer ix(a, b, *out);

  // Coalesce the walk: drop size-1 output dims and merge neighbours that are
  // contiguous in both inputs (e.g. [1,H,W,C] + [C] becomes [H*W, C]), so the
  // inner loop runs over as many contiguous elements as possible.
  struct Dim {
    int64_t size, sa, sb;
  };
  std::vector<Dim> merged;  // innermost first
  for (int k = kMaxBroadcastRank - 1; k >= 0; --k) {
    const int64_t d = ix.outDims[k];
    if (d == 1) continue;
    if (!merged.empty()) {
      Dim& inner = merged.back();
      if (ix.strideA[k] == inner.sa * inner.size && ix.strideB[k] == inner.sb * inner.size &&
          inner.size * d <= std::numeric_limits<int32_t>::max()) {
        inner.size *= d;
        continue;
      }
    }
    merged.push_back({d, ix.strideA[k], ix.strideB[k]});
  }
  for (int k = 0; k < kMaxBroadcastRank; ++k) {
    ix.outDims[k] = 1;
    ix.strideA[k] = 0;
    ix.strideB[k] = 0;
  }
  for (size_t i = 0; i < merged.size(); ++i) {
    const int k = kMaxBroadcastRank - 1 - static_cast<int>(i);
    ix.outDims[k] = static_cast<int32_t>(merged[i].size);
    ix.strideA[k] = merged[i].sa;
    ix.strideB[k] = merged[i].sb;
  }
  plan->ix = ix;
  return Status::ok();
}

// out[i] = f(a[i * sa], b[i * sb]) for i < n, with the common stride patterns
// written as plain loops the compiler can vectorize.
template <typename T, typename U, typename O, typename F>
inline void binaryRun(const T* a, int64_t sa, const U* b, int64_t sb, O* out, int64_t n, F& f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa == 0 && sb == 1) {
    const T x = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = f(x, b[i]);
  } else if (sa == 1 && sb == 0) {
    const U y = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], y);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * sa], b[i * sb]);
  }
}

// Runs f over every output element according to the plan.
template <typename T, typename U, typename O, typename F>
inline void runBinary(const BinaryPlan& plan, const T* a, const U* b, O* out, F f) {
  switch (plan.mode) {
    case BinaryMode::kSameShape:
      binaryRun(a, 1, b, 1, out, plan.size, f);
      return;
    case BinaryMode::kScalarA:
      binaryRun(a, 0, b, 1, out, plan.size, f);
      return;
    case BinaryMode::kScalarB:
      binaryRun(a, 1, b, 0, out, plan.size, f);
      return;
    case BinaryMode::kBroadcast:
      break;
  }
  const BroadcastIndexer& ix = plan.ix;
  const int32_t* d = ix.outDims;
  const int64_t* sa = ix.strideA;
  const int64_t* sb = ix.strideB;
  O* o = out;
  for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
      for (int32_t i2 = 0; i2 < d[2]; ++i2)
        for (int32_t i3 = 0; i3 < d[3]; ++i3)
          for (int32_t i4 = 0; i4 < d[4]; ++i4) {
            const int64_t offA = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3] + i4 * sa[4];
            const int64_t offB = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3] + i4 * sb[4];
            binaryRun(a + offA, sa[5], b + offB, sb[5], o, d[5], f);
            o += d[5];
          }
}

}  // namespace inferd::engine::kernels
