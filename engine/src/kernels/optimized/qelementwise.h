// Fast 8-bit element-wise kernels (AVX-512): table lookups for the 8-bit
// unary ops that TFLite evaluates through a 256-entry table, and int8
// ADD/SUB/MUL with TFLite's integer arithmetic (gemmlowp rounding), lane by
// lane the reference's (see elementwise.cpp), so the bytes are the same.
#pragma once

#include <cstdint>

#include "../quant_util.h"

namespace inferd::engine::kernels::opt {

// y[i] = table[x[i]] (needs AVX2; VBMI byte permutes where
// cpuFeatures().avx512vbmi, else VPSHUFB per 16-entry slice).
void lookup8(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n);
void lookup8Avx512(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n);
void lookup8Avx2(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n);

enum class QBinaryOp { kAdd, kSub, kMul };

struct QBinaryParams {
  QBinaryOp op = QBinaryOp::kAdd;
  int32_t offsetA = 0, offsetB = 0, offsetOut = 0;  // -zpA, -zpB, +zpOut
  int leftShift = 20;                               // ADD/SUB input headroom
  quant::Multiplier multA, multB, multOut;
  int32_t lo = -128, hi = 127;
};

// out[i] = op(a[i * sa], b[i * sb]) for sa, sb in {0, 1} (needs AVX2; runs
// the AVX-512 loop where cpuFeatures().best has it).
void qbinaryInt8(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb,
                 int8_t* out, int64_t n);
void qbinaryInt8Avx512(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb,
                       int8_t* out, int64_t n);
void qbinaryInt8Avx2(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb,
                     int8_t* out, int64_t n);

}  // namespace inferd::engine::kernels::opt
