// AVX-512 code of qelementwise.h; runs only where cpuFeatures() says so.
#include <immintrin.h>

#include "qelementwise.h"
#include "../target_region.h"

// g++ 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn
// about it (a false positive in the headers, not in this code).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
INFERD_TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,bmi2")

namespace inferd::engine::kernels::opt {
namespace {

inline __mmask64 byteMask(int64_t n) {
  return n >= 64 ? ~__mmask64{0} : _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(n));
}

// gemmlowp's MultiplyByQuantizedMultiplier on 16 lanes: the Q31 product
// rounds as floor((p + 2^30) / 2^31), the rounding right shift by e ties
// away from zero; in one 64-bit step
//   floor((p + 2^30 + 2^(30+e) - [p < -2^30] 2^31) / 2^(31+e))   (e > 0).
struct VMult {
  int left = 0;
  __m512i m, round, negFix, threshold;
  __m128i shift;
  explicit VMult(quant::Multiplier q) {
    left = q.shift > 0 ? q.shift : 0;
    const int e = q.shift > 0 ? 0 : -q.shift;
    m = _mm512_set1_epi64(q.value);
    round = _mm512_set1_epi64((int64_t{1} << 30) + (e > 0 ? (int64_t{1} << (30 + e)) : 0));
    negFix = _mm512_set1_epi64(e > 0 ? -(int64_t{1} << 31) : 0);
    threshold = _mm512_set1_epi64(-(int64_t{1} << 30));
    shift = _mm_cvtsi32_si128(31 + e);
  }
  __m512i half(__m512i p) const {
    const __mmask8 neg = _mm512_cmplt_epi64_mask(p, threshold);
    p = _mm512_add_epi64(p, round);
    p = _mm512_mask_add_epi64(p, neg, p, negFix);
    return _mm512_sra_epi64(p, shift);
  }
  __m512i apply(__m512i x) const {
    if (left != 0) x = _mm512_sll_epi32(x, _mm_cvtsi32_si128(left));
    const __m512i even = half(_mm512_mul_epi32(x, m));
    const __m512i odd = half(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), m));
    return _mm512_mask_blend_epi32(__mmask16{0xAAAA}, even, _mm512_slli_epi64(odd, 32));
  }
};

// The parameters live in registers; OP is a template argument so the loop
// does not re-read it after every (int8, so possibly aliasing) store.
template <QBinaryOp OP>
struct Binary {
  VMult a, b, out;
  __m512i offA, offB, offOut, lo, hi;
  __m128i ls;
  explicit Binary(const QBinaryParams& p) : a(p.multA), b(p.multB), out(p.multOut) {
    offA = _mm512_set1_epi32(p.offsetA);
    offB = _mm512_set1_epi32(p.offsetB);
    offOut = _mm512_set1_epi32(p.offsetOut);
    lo = _mm512_set1_epi32(p.lo);
    hi = _mm512_set1_epi32(p.hi);
    ls = _mm_cvtsi32_si128(p.leftShift);
  }
  // 16 int8 results from 16 int32 inputs x, y.
  __m128i compute(__m512i x, __m512i y) const {
    x = _mm512_add_epi32(x, offA);
    y = _mm512_add_epi32(y, offB);
    __m512i raw;
    if constexpr (OP == QBinaryOp::kMul) {
      raw = _mm512_mullo_epi32(x, y);
    } else {
      const __m512i sx = a.apply(_mm512_sll_epi32(x, ls));
      const __m512i sy = b.apply(_mm512_sll_epi32(y, ls));
      raw = OP == QBinaryOp::kAdd ? _mm512_add_epi32(sx, sy) : _mm512_sub_epi32(sx, sy);
    }
    __m512i v = _mm512_add_epi32(out.apply(raw), offOut);
    v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
    return _mm512_cvtepi32_epi8(v);
  }
};

template <QBinaryOp OP>
void binaryLoop(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb, int8_t* out,
                int64_t n) {
  const Binary<OP> op(p);
  const __m512i scalarA = _mm512_set1_epi32(a[0]), scalarB = _mm512_set1_epi32(b[0]);
  const bool vecA = sa != 0, vecB = sb != 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i x = vecA ? _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))) : scalarA;
    const __m512i y = vecB ? _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))) : scalarB;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), op.compute(x, y));
  }
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512i x = vecA ? _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, a + i)) : scalarA;
    const __m512i y = vecB ? _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, b + i)) : scalarB;
    _mm_mask_storeu_epi8(out + i, mask, op.compute(x, y));
  }
}

}  // namespace

void lookup8Avx512(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  for (int64_t i = 0; i < n; i += 64) {
    const __mmask64 mask = byteMask(n - i);
    const __m512i idx = _mm512_maskz_loadu_epi8(mask, x + i);
    const __m512i low = _mm512_permutex2var_epi8(t0, idx, t1);   // entries 0..127 (bit 6 picks)
    const __m512i high = _mm512_permutex2var_epi8(t2, idx, t3);  // entries 128..255
    const __m512i r = _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), low, high);
    _mm512_mask_storeu_epi8(y + i, mask, r);
  }
}

void qbinaryInt8Avx512(const QBinaryParams& p, const int8_t* a, int64_t sa, const int8_t* b, int64_t sb,
                 int8_t* out, int64_t n) {
  switch (p.op) {
    case QBinaryOp::kAdd: binaryLoop<QBinaryOp::kAdd>(p, a, sa, b, sb, out, n); break;
    case QBinaryOp::kSub: binaryLoop<QBinaryOp::kSub>(p, a, sa, b, sb, out, n); break;
    case QBinaryOp::kMul: binaryLoop<QBinaryOp::kMul>(p, a, sa, b, sb, out, n); break;
  }
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
