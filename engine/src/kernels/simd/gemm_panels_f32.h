// An AVX2 twin of conv_util.h's gemmF32, the float GEMM of the builtin-order
// paths (the float layers of dynamic-range models, which LiteRT runs with
// its builtin kernels, and the float kernels XNNPACK does not take). Same
// packed panels of 8 columns, same arithmetic per output: the products
// added in k order from zero with a multiply and an add each (no FMA), then
// the bias, then the clamp with the same comparisons; only the width (8
// lanes, 6 rows x 16 columns per micro-tile) differs, so the bytes equal
// gemmF32's.
#pragma once

#include <cstdint>

namespace inferd::engine::kernels::simd {

// C[m][n] = clamp(sum_k A[m][k] * B[k][n] + bias[n], lo, hi); A row m at
// a + m*lda, C row m at c + m*ldc, B packed as packPanels does (panels of 8
// columns, K rows each, zero past N); bias may be null. Needs hasAvx2().
void gemmPanelsF32Avx2(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* packed,
                       const float* bias, float lo, float hi, float* c, int64_t ldc);

}  // namespace inferd::engine::kernels::simd
