// Column sums of 8-bit rows for the quantized MEAN and SUM (reduce.cpp):
// the spatial reduction of an NHWC tensor is, per image, a sum over HW rows
// of C values. int32 sums wrap exactly like the reference's (sums of int8
// are exact in any order, and both wrap modulo 2^32).
#pragma once

#include <cstdint>

namespace inferd::engine::kernels::opt {

// sums[c] = sum over r < rows of in[r * stride + c], for c < cols
// (AVX-512BW where cpuFeatures().best is AVX-512 VNNI, else AVX2; not
// where it is the reference).
void columnSumsInt8(const int8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums);
void columnSumsUint8(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums);
void columnSumsInt8Avx512(const int8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums);
void columnSumsUint8Avx512(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums);
void columnSumsInt8Avx2(const int8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums);
void columnSumsUint8Avx2(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums);

}  // namespace inferd::engine::kernels::opt
