// AVX-512 and AVX2 versions of float functions whose exact bytes follow TensorFlow
// Lite's builtin kernels (used where OpContext::reproducibleFloat() asks for
// them, in models with dynamic-range ops). Each performs the same IEEE
// float operations, in the same order, as the scalar code it replaces, so
// the results are identical.
#pragma once

#include <cstdint>

namespace inferd::engine::kernels::opt {

// logisticBuiltinOrder (activations.cpp) on n values (needs AVX2; the
// AVX-512 loop where cpuFeatures().best has it).
void logisticBuiltinOrder(const float* x, float* y, int64_t n);
// y[i] = x[i] * logisticBuiltinOrder(x[i]): the fused LOGISTIC + MUL of a
// SWISH node, the product being MUL's one float multiplication.
void swishBuiltinOrder(const float* x, float* y, int64_t n);
// The implementations, per instruction set.
void logisticBuiltinOrderAvx512(const float* x, float* y, int64_t n);
void swishBuiltinOrderAvx512(const float* x, float* y, int64_t n);
void logisticBuiltinOrderAvx2(const float* x, float* y, int64_t n);
void swishBuiltinOrderAvx2(const float* x, float* y, int64_t n);

}  // namespace inferd::engine::kernels::opt
