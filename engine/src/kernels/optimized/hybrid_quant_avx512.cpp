// AVX-512 passes of hybrid_quant.h.
#include <immintrin.h>

#include "cpu_features.h"
#include "hybrid_quant.h"
#include "../target_region.h"

// g++ 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn
// about it (a false positive in the headers, not in this code).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
INFERD_TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx512dq,bmi2")

namespace inferd::engine::kernels::opt {
namespace avx512 {

// min and max of x[0, n); false when the row holds a NaN.
bool minMax(const float* x, int64_t n, float* minV, float* maxV) {
  __m512 lo = _mm512_set1_ps(x[0]), hi = lo;
  __mmask16 nan = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
  }
  if (i < n) {
    const auto mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512 v = _mm512_mask_loadu_ps(lo, mask, x + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, _mm512_mask_loadu_ps(hi, mask, x + i));
  }
  if (nan != 0) return false;
  *minV = _mm512_reduce_min_ps(lo);
  *maxV = _mm512_reduce_max_ps(hi);
  return true;
}

// q[i] for i in [0, n & ~7): trunc(x * inv +- 0.5) (hybrid::roundElement),
// plus the offset, clamped; the tail is left to the scalar loop.
void roundBody(const hybrid::RowParams& p, const float* x, int64_t n, int8_t* q) {
  const __m512 inv = _mm512_set1_ps(p.inv);
  const __m512 half = _mm512_set1_ps(0.5f), minusHalf = _mm512_set1_ps(-0.5f);
  const __m512i offset = _mm512_set1_epi32(p.r.offset);
  const __m512i lo = _mm512_set1_epi32(p.lo), hi = _mm512_set1_epi32(p.hi);
  const int64_t body = n & ~int64_t{7};
  for (int64_t i = 0; i < body; i += 16) {
    const auto mask = body - i >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (body - i)) - 1u);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inv);
    const __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 r = _mm512_add_ps(v, _mm512_mask_blend_ps(neg, half, minusHalf));
    __m512i qi = _mm512_add_epi32(_mm512_cvttps_epi32(r), offset);
    qi = _mm512_min_epi32(_mm512_max_epi32(qi, lo), hi);
    _mm_mask_storeu_epi8(q + i, mask, _mm512_cvtepi32_epi8(qi));
  }
}

}  // namespace avx512
}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END

// The dispatch is compiled for any x86-64: it runs before the CPU is known.
namespace inferd::engine::kernels::opt {

hybrid::RowQuant quantizeRow(const float* x, int64_t n, int8_t* q, bool asymmetric, bool optimized) {
  const Isa isa = cpuFeatures().best;
  if (!optimized || n <= 0 || isa == Isa::kReference) return hybrid::quantizeRow(x, n, q, asymmetric);
  const bool wide = isa == Isa::kAvx512Vnni;
  float minV, maxV;
  if (!(wide ? avx512::minMax(x, n, &minV, &maxV) : avx2::minMax(x, n, &minV, &maxV))) {
    return hybrid::quantizeRow(x, n, q, asymmetric);
  }
  const hybrid::RowParams p = asymmetric ? hybrid::asymmetricParams(minV, maxV) : hybrid::symmetricParams(minV, maxV);
  if (p.zero) {
    std::memset(q, 0, static_cast<size_t>(n));
    return p.r;
  }
  if (wide) {
    avx512::roundBody(p, x, n, q);
  } else {
    avx2::roundBody(p, x, n, q);
  }
  hybrid::roundRow(p, x, n & ~int64_t{7}, n, q);
  return p.r;
}

}  // namespace inferd::engine::kernels::opt
