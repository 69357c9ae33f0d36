// The AVX2 builtin-order float GEMM (see gemm_panels_f32.h).
#include "gemm_panels_f32.h"

#include <immintrin.h>

#include <algorithm>
#include "../target_region.h"

namespace inferd::engine::kernels::simd {
namespace {

constexpr int kPanel = 8;  // columns per packed panel (conv_util.h's kGemmNr)
constexpr int kRows = 6;   // rows per micro-tile

// Only "avx2", not "fma": a multiply followed by an add must stay two
// roundings, as in gemmF32 (the engine also builds with -ffp-contract=off).
INFERD_TARGET_BEGIN("avx2")

inline __m256i laneMask(int valid) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), lane);
}

// MR rows x NP panels; `cols` (1..8 NP) columns of the panels are real.
template <int MR, int NP>
void microKernel(const float* a, int64_t lda, const float* panel, int64_t k, const float* bias, int cols, float lo,
                 float hi, float* c, int64_t ldc) {
  __m256 acc[MR][NP];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int q = 0; q < NP; ++q) acc[r][q] = _mm256_setzero_ps();
  }
  const float* rows[MR];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) rows[r] = a + r * lda;
  for (int64_t kk = 0; kk < k; ++kk) {
    __m256 b[NP];
#pragma GCC unroll 2
    for (int q = 0; q < NP; ++q) b[q] = _mm256_loadu_ps(panel + q * k * kPanel + kk * kPanel);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(rows[r] + kk);
#pragma GCC unroll 2
      for (int q = 0; q < NP; ++q) acc[r][q] = _mm256_add_ps(acc[r][q], _mm256_mul_ps(av, b[q]));
    }
  }
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
#pragma GCC unroll 2
  for (int q = 0; q < NP; ++q) {
    const int valid = std::clamp(cols - q * kPanel, 0, kPanel);
    if (valid == 0) break;
    float* out = c + q * kPanel;
    if (valid == kPanel) {
      // gemmF32 adds the bias, or zero, to a full panel.
      const __m256 bv = bias != nullptr ? _mm256_loadu_ps(bias + q * kPanel) : _mm256_setzero_ps();
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r) {
        // max(lo, v), min(hi, v): clamp4's (v < lo ? lo : v), (hi < v ? hi : v).
        const __m256 v = _mm256_min_ps(vhi, _mm256_max_ps(vlo, _mm256_add_ps(acc[r][q], bv)));
        _mm256_storeu_ps(out + r * ldc, v);
      }
    } else {
      // Its last partial panel adds the bias only where there is one.
      const __m256i mask = laneMask(valid);
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r) {
        __m256 v = acc[r][q];
        if (bias != nullptr) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + q * kPanel, mask));
        v = _mm256_min_ps(vhi, _mm256_max_ps(vlo, v));
        _mm256_maskstore_ps(out + r * ldc, mask, v);
      }
    }
  }
}

using KernelFn = void (*)(const float*, int64_t, const float*, int64_t, const float*, int, float, float, float*,
                          int64_t);
constexpr KernelFn kKernels[2][kRows] = {
    {&microKernel<1, 1>, &microKernel<2, 1>, &microKernel<3, 1>, &microKernel<4, 1>, &microKernel<5, 1>,
     &microKernel<6, 1>},
    {&microKernel<1, 2>, &microKernel<2, 2>, &microKernel<3, 2>, &microKernel<4, 2>, &microKernel<5, 2>,
     &microKernel<6, 2>}};

INFERD_TARGET_END

}  // namespace

void gemmPanelsF32Avx2(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* packed,
                       const float* bias, float lo, float hi, float* c, int64_t ldc) {
  // Two panels at a time outer, rows inner: the panels (2 x K x 8 floats)
  // stay in L1 while the rows of A stream past them, as in gemmF32.
  for (int64_t n0 = 0; n0 < n; n0 += 2 * kPanel) {
    const int cols = static_cast<int>(std::min<int64_t>(2 * kPanel, n - n0));
    const int wide = cols > kPanel ? 1 : 0;
    const float* panel = packed + n0 / kPanel * k * kPanel;
    const float* b = bias != nullptr ? bias + n0 : nullptr;
    for (int64_t m0 = 0; m0 < m; m0 += kRows) {
      const int rows = static_cast<int>(std::min<int64_t>(kRows, m - m0));
      kKernels[wide][rows - 1](a + m0 * lda, lda, panel, k, b, cols, lo, hi, c + m0 * ldc + n0, ldc);
    }
  }
}

}  // namespace inferd::engine::kernels::simd
