// AVX2 passes of hybrid_quant.h (8 lanes; the AVX-512 passes' arithmetic),
// for CPUs without AVX-512.
#include <immintrin.h>

#include <cstring>

#include "hybrid_quant.h"
#include "../target_region.h"

INFERD_TARGET_BEGIN("avx2")

namespace inferd::engine::kernels::opt::avx2 {

// min and max of x[0, n); false when the row holds a NaN.
bool minMax(const float* x, int64_t n, float* minV, float* maxV) {
  __m256 lo = _mm256_set1_ps(x[0]), hi = lo;
  __m256 nan = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    lo = _mm256_min_ps(lo, v);
    hi = _mm256_max_ps(hi, v);
  }
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, lo);
  _mm256_store_ps(h, hi);
  if (_mm256_movemask_ps(nan) != 0) return false;
  float mn = l[0], mx = h[0];
  for (int j = 1; j < 8; ++j) {
    mn = l[j] < mn ? l[j] : mn;
    mx = h[j] > mx ? h[j] : mx;
  }
  for (; i < n; ++i) {
    if (x[i] != x[i]) return false;
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  *minV = mn;
  *maxV = mx;
  return true;
}

// q[i] for i in [0, n & ~7): trunc(x * inv +- 0.5) (hybrid::roundElement),
// plus the offset, clamped; the tail is left to the scalar loop.
void roundBody(const hybrid::RowParams& p, const float* x, int64_t n, int8_t* q) {
  const __m256 inv = _mm256_set1_ps(p.inv);
  const __m256 half = _mm256_set1_ps(0.5f), minusHalf = _mm256_set1_ps(-0.5f);
  const __m256i offset = _mm256_set1_epi32(p.r.offset);
  const __m256i lo = _mm256_set1_epi32(p.lo), hi = _mm256_set1_epi32(p.hi);
  const int64_t body = n & ~int64_t{7};
  for (int64_t i = 0; i < body; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), inv);
    const __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 r = _mm256_add_ps(v, _mm256_blendv_ps(half, minusHalf, neg));
    __m256i qi = _mm256_add_epi32(_mm256_cvttps_epi32(r), offset);
    qi = _mm256_min_epi32(_mm256_max_epi32(qi, lo), hi);
    // In int8 range: the packs do not saturate.
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(w, w));
  }
}

}  // namespace inferd::engine::kernels::opt::avx2

INFERD_TARGET_END
