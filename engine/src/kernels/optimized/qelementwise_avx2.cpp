// AVX2 code of qelementwise.h for CPUs without AVX-512: int8 ADD/SUB/MUL
// (8 lanes; the arithmetic of the AVX-512 loop, lane by lane the
// reference's) and the 8-bit table lookup, and the dispatch between the
// two. These run only where cpuFeatures().best is not the reference, so
// AVX2 is there.
#include <immintrin.h>

#include <cstring>

#include "cpu_features.h"
#include "qelementwise.h"
#include "../target_region.h"

INFERD_TARGET_BEGIN("avx2,fma,bmi2")

namespace inferd::engine::kernels::opt {
namespace {

// gemmlowp's MultiplyByQuantizedMultiplier on 8 lanes, as VMult of the
// AVX-512 file: floor((p + 2^30 + 2^(30+e) - [p < -2^30] 2^31) / 2^(31+e)).
// AVX2 has no arithmetic 64-bit shift: the value plus 2^62 is non-negative
// (|p| < 2^62), so its logical shift less 2^62 >> (31 + e) is the floor.
struct VMult8 {
  int left = 0;
  __m256i m, round, negFix, threshold, bias, unbias;
  __m128i shift;
  explicit VMult8(quant::Multiplier q) {
    left = q.shift > 0 ? q.shift : 0;
    const int e = q.shift > 0 ? 0 : -q.shift;
    m = _mm256_set1_epi64x(q.value);
    round = _mm256_set1_epi64x((int64_t{1} << 30) + (e > 0 ? (int64_t{1} << (30 + e)) : 0));
    negFix = _mm256_set1_epi64x(e > 0 ? -(int64_t{1} << 31) : 0);
    threshold = _mm256_set1_epi64x(-(int64_t{1} << 30));
    bias = _mm256_set1_epi64x(int64_t{1} << 62);
    unbias = _mm256_set1_epi64x((int64_t{1} << 62) >> (31 + e));
    shift = _mm_cvtsi32_si128(31 + e);
  }
  __m256i half(__m256i p) const {
    const __m256i neg = _mm256_cmpgt_epi64(threshold, p);
    p = _mm256_add_epi64(_mm256_add_epi64(p, round), _mm256_and_si256(neg, negFix));
    return _mm256_sub_epi64(_mm256_srl_epi64(_mm256_add_epi64(p, bias), shift), unbias);
  }
  __m256i apply(__m256i x) const {
    if (left != 0) x = _mm256_sll_epi32(x, _mm_cvtsi32_si128(left));
    const __m256i even = half(_mm256_mul_epi32(x, m));
    const __m256i odd = half(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m));
    return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  }
};

template <QBinaryOp OP>
struct Binary8 {
  VMult8 a, b, out;
  __m256i offA, offB, offOut, lo, hi;
  __m128i ls;
  explicit Binary8(const QBinaryParams& p) : a(p.multA), b(p.multB), out(p.multOut) {
    offA = _mm256_set1_epi32(p.offsetA);
    offB = _mm256_set1_epi32(p.offsetB);
    offOut = _mm256_set1_epi32(p.offsetOut);
    lo = _mm256_set1_epi32(p.lo);
    hi = _mm256_set1_epi32(p.hi);
    ls = _mm_cvtsi32_si128(p.leftShift);
  }
  // 8 int8 results (in the low 8 bytes) from 8 int32 inputs x, y.
  __m128i compute(__m256i x, __m256i y) const {
    x = _mm256_add_epi32(x, offA);
    y = _mm256_add_epi32(y, offB);
    __m256i raw;
    if constexpr (OP == QBinaryOp::kMul) {
      raw = _mm256_mullo_epi32(x, y);
    } else {
      const __m256i sx = a.apply(_mm256_sll_epi32(x, ls));
      const __m256i sy = b.apply(_mm256_sll_epi32(y, ls));
      raw = OP == QBinaryOp::kAdd ? _mm256_add_epi32(sx, sy) : _mm256_sub_epi32(sx, sy);
    }
    __m256i v = _mm256_add_epi32(out.apply(raw), offOut);
    v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
    // In int8 range: the packs do not saturate.
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packs_epi16(w, w);
  }
};

inline __m256i load8(const int8_t* p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

template <QBinaryOp OP>
void binaryLoop8(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb, int8_t* out,
                 int64_t n) {
  const Binary8<OP> op(p);
  const __m256i scalarA = _mm256_set1_epi32(a[0]), scalarB = _mm256_set1_epi32(b[0]);
  const bool vecA = sa != 0, vecB = sb != 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = vecA ? load8(a + i) : scalarA;
    const __m256i y = vecB ? load8(b + i) : scalarB;
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), op.compute(x, y));
  }
  if (i < n) {
    const auto rest = static_cast<size_t>(n - i);
    int8_t ta[8] = {}, tb[8] = {}, to[16];
    if (vecA) std::memcpy(ta, a + i, rest);
    if (vecB) std::memcpy(tb, b + i, rest);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to), op.compute(vecA ? load8(ta) : scalarA, vecB ? load8(tb) : scalarB));
    std::memcpy(out + i, to, rest);
  }
}

inline __m256i lookup32(const __m256i (&slice)[16], __m256i v) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_and_si256(v, nibble);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
  __m256i r = _mm256_setzero_si256();
#pragma GCC unroll 16
  for (int k = 0; k < 16; ++k) {
    const __m256i hit = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(static_cast<char>(k)));
    r = _mm256_or_si256(r, _mm256_and_si256(_mm256_shuffle_epi8(slice[k], lo), hit));
  }
  return r;
}

}  // namespace

// 32 bytes at a time: per 16-entry slice k of the table, VPSHUFB looks up
// the low nibble and a compare with the high nibble keeps the slice's
// bytes.
void lookup8Avx2(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n) {
  __m256i slice[16];
  for (int k = 0; k < 16; ++k) {
    slice[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * k)));
  }
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), lookup32(slice, v));
  }
  if (i < n) {
    alignas(32) uint8_t in[32] = {}, out[32];
    std::memcpy(in, x + i, static_cast<size_t>(n - i));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out),
                       lookup32(slice, _mm256_load_si256(reinterpret_cast<const __m256i*>(in))));
    std::memcpy(y + i, out, static_cast<size_t>(n - i));
  }
}

void lookup8(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n) {
  if (cpuFeatures().avx512vbmi) {
    lookup8Avx512(table, x, y, n);
  } else {
    lookup8Avx2(table, x, y, n);
  }
}

void qbinaryInt8Avx2(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb, int8_t* out,
                     int64_t n) {
  switch (p.op) {
    case QBinaryOp::kAdd: binaryLoop8<QBinaryOp::kAdd>(p, a, sa, b, sb, out, n); break;
    case QBinaryOp::kSub: binaryLoop8<QBinaryOp::kSub>(p, a, sa, b, sb, out, n); break;
    case QBinaryOp::kMul: binaryLoop8<QBinaryOp::kMul>(p, a, sa, b, sb, out, n); break;
  }
}

void qbinaryInt8(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb, int8_t* out,
                 int64_t n) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    qbinaryInt8Avx512(p, a, sa, b, sb, out, n);
  } else {
    qbinaryInt8Avx2(p, a, sa, b, sb, out, n);
  }
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
