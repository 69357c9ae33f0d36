// Float GEMM shared by the convolution family (CONV_2D, TRANSPOSE_CONV,
// FULLY_CONNECTED): weights are packed once into panels of kGemmNr output
// columns so the micro-kernel streams both operands contiguously and keeps a
// kGemmMr x kGemmNr block of accumulators in registers. Each output is summed
// over k in increasing order starting from zero, the same order as TFLite's
// reference kernels, so results match them to the last bit (no FMA
// contraction at our default flags).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernel_util.h"

namespace inferd::engine::kernels {

constexpr int kGemmNr = 8;  // output columns per packed panel
constexpr int kGemmMr = 4;  // rows per micro-kernel call

// Floats needed to pack a K x N matrix into panels (N rounded up to kGemmNr).
inline int64_t packedPanelFloats(int64_t k, int64_t n) {
  return (n + kGemmNr - 1) / kGemmNr * k * kGemmNr;
}

// Packs B (K x N), read as src[index(k, n)], into panels: panel p holds
// columns [p*kGemmNr, (p+1)*kGemmNr) as K rows of kGemmNr floats; columns
// past N are zero.
template <typename Index>
void packPanels(const float* src, int64_t k, int64_t n, Index index, float* dst) {
  for (int64_t n0 = 0; n0 < n; n0 += kGemmNr) {
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int j = 0; j < kGemmNr; ++j) {
        const int64_t col = n0 + j;
        *dst++ = col < n ? src[index(kk, col)] : 0.f;
      }
    }
  }
}

namespace gemm_detail {

// GCC/Clang generic vectors: SSE on x86-64, NEON on arm64, scalar elsewhere.
// Written explicitly because -O2's cheap vectorizer cost model leaves loops
// with runtime trip counts scalar.
typedef float F32x4 __attribute__((vector_size(16)));

inline F32x4 load4(const float* p) {
  F32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(float* p, F32x4 v) { std::memcpy(p, &v, sizeof v); }

inline F32x4 splat4(float x) { return F32x4{x, x, x, x}; }

// clampActivation on four lanes, with the same comparisons (and so the same
// NaN behaviour) as std::min(std::max(x, lo), hi).
inline F32x4 clamp4(F32x4 v, F32x4 lo, F32x4 hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

// C rows [0, R) x columns [0, cols) = act(A * Bpanel + bias).
template <int R>
inline void tile(int64_t k, const float* a, int64_t lda, const float* panel, const float* bias,
                 int cols, const ActivationRange& act, float* c, int64_t ldc) {
  F32x4 acc0[R];
  F32x4 acc1[R];
  const float* rows[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    acc0[r] = F32x4{0.f, 0.f, 0.f, 0.f};
    acc1[r] = F32x4{0.f, 0.f, 0.f, 0.f};
    rows[r] = a + r * lda;
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const F32x4 b0 = load4(panel + kk * kGemmNr);
    const F32x4 b1 = load4(panel + kk * kGemmNr + 4);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float av = rows[r][kk];
      acc0[r] += av * b0;
      acc1[r] += av * b1;
    }
  }
  if (cols == kGemmNr) {
    const F32x4 lo = splat4(act.min), hi = splat4(act.max);
    const F32x4 b0 = bias != nullptr ? load4(bias) : splat4(0.f);
    const F32x4 b1 = bias != nullptr ? load4(bias + 4) : splat4(0.f);
    for (int r = 0; r < R; ++r) {
      store4(c + r * ldc, clamp4(acc0[r] + b0, lo, hi));
      store4(c + r * ldc + 4, clamp4(acc1[r] + b1, lo, hi));
    }
    return;
  }
  for (int r = 0; r < R; ++r) {
    float v[kGemmNr];
    std::memcpy(v, &acc0[r], sizeof(F32x4));
    std::memcpy(v + 4, &acc1[r], sizeof(F32x4));
    float* out = c + r * ldc;
    if (bias != nullptr) {
      for (int j = 0; j < cols; ++j) out[j] = clampActivation(v[j] + bias[j], act);
    } else {
      for (int j = 0; j < cols; ++j) out[j] = clampActivation(v[j], act);
    }
  }
}

}  // namespace gemm_detail

// C[m][n] = act(sum_k A[m][k] * B[k][n] + bias[n]) for m < M, n < N.
// A row m starts at a + m*lda (K floats), C row m at c + m*ldc; B is packed
// with packPanels; bias may be null. Panels are the outer loop so one panel
// (K x kGemmNr floats) stays in L1 while the rows of A stream past it; callers
// keep M*K small enough (a tile) for A to stay in L2.
inline void gemmF32(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* packed, const float* bias, const ActivationRange& act, float* c,
                    int64_t ldc) {
  for (int64_t n0 = 0; n0 < n; n0 += kGemmNr) {
    const float* panel = packed + n0 / kGemmNr * k * kGemmNr;
    const int cols = static_cast<int>(std::min<int64_t>(kGemmNr, n - n0));
    const float* b = bias != nullptr ? bias + n0 : nullptr;
    int64_t m0 = 0;
    for (; m0 + kGemmMr <= m; m0 += kGemmMr) {
      gemm_detail::tile<kGemmMr>(k, a + m0 * lda, lda, panel, b, cols, act, c + m0 * ldc + n0, ldc);
    }
    const float* aTail = a + m0 * lda;
    float* cTail = c + m0 * ldc + n0;
    switch (m - m0) {
      case 3: gemm_detail::tile<3>(k, aTail, lda, panel, b, cols, act, cTail, ldc); break;
      case 2: gemm_detail::tile<2>(k, aTail, lda, panel, b, cols, act, cTail, ldc); break;
      case 1: gemm_detail::tile<1>(k, aTail, lda, panel, b, cols, act, cTail, ldc); break;
      default: break;
    }
  }
}

// Rows of A per tile so that a tile of `rowFloats`-float rows fits in about
// `budgetBytes` (at least kGemmMr rows, a multiple of kGemmMr, at most 512).
inline int64_t gemmTileRows(int64_t rowFloats, int64_t budgetBytes = 256 * 1024) {
  const int64_t bytes = std::max<int64_t>(rowFloats, 1) * static_cast<int64_t>(sizeof(float));
  int64_t rows = budgetBytes / bytes;
  rows = std::clamp<int64_t>(rows, kGemmMr, 512);
  return rows / kGemmMr * kGemmMr;
}

}  // namespace inferd::engine::kernels
