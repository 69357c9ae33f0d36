// Run-time quantization of hybrid (dynamic-range) inputs on AVX-512: the
// same parameters and bytes as hybrid::quantizeRow (hybrid_util.h), whose
// arithmetic it shares; only the two passes over the row (min/max, then the
// rounding) are vectorized. Rows with a NaN take the scalar code, whose
// comparisons decide how a NaN counts.
#pragma once

#include <cstdint>

#include "../hybrid_util.h"

namespace inferd::engine::kernels::opt {

// hybrid::quantizeRow, vectorized where cpuFeatures() allows (optimized:
// false keeps the scalar reference).
hybrid::RowQuant quantizeRow(const float* x, int64_t n, int8_t* q, bool asymmetric, bool optimized);

}  // namespace inferd::engine::kernels::opt
