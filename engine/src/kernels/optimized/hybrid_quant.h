// Run-time quantization of hybrid (dynamic-range) inputs on AVX-512 or
// AVX2: the
// same parameters and bytes as hybrid::quantizeRow (hybrid_util.h), whose
// arithmetic it shares; only the two passes over the row (min/max, then the
// rounding) are vectorized. Rows with a NaN take the scalar code, whose
// comparisons decide how a NaN counts.
#pragma once

#include <cstdint>

#include "../hybrid_util.h"

namespace inferd::engine::kernels::opt {

// hybrid::quantizeRow, vectorized where cpuFeatures() allows (AVX-512 or
// AVX2; optimized: false keeps the scalar reference).
hybrid::RowQuant quantizeRow(const float* x, int64_t n, int8_t* q, bool asymmetric, bool optimized);

// The passes, per instruction set: the min and the max (false for a row
// with a NaN), and the rounding of q[0, n & ~7).
namespace avx512 {
bool minMax(const float* x, int64_t n, float* minV, float* maxV);
void roundBody(const hybrid::RowParams& p, const float* x, int64_t n, int8_t* q);
}  // namespace avx512
namespace avx2 {
bool minMax(const float* x, int64_t n, float* minV, float* maxV);
void roundBody(const hybrid::RowParams& p, const float* x, int64_t n, int8_t* q);
}  // namespace avx2

}  // namespace inferd::engine::kernels::opt
