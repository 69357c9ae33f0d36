// AVX-512 code of float_builtin.h; runs only where cpuFeatures() says so.
#include <immintrin.h>

#include "float_builtin.h"
#include "../target_region.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
INFERD_TARGET_BEGIN("avx512f,avx512dq,avx512vl,bmi2")

namespace inferd::engine::kernels::opt {

namespace {

// logisticBuiltinOrder on 16 lanes.
inline __m512 logistic16(__m512 v) {
  const __m512 kMax = _mm512_set1_ps(16.6355324f), kHalf = _mm512_set1_ps(0.5f);
  const __m512 kLog2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 kC1 = _mm512_set1_ps(-0.693359375f), kC2 = _mm512_set1_ps(2.12194440e-4f);
  const __m512 kE = _mm512_set1_ps(4.1898667812347412109375e-2f), kE0 = _mm512_set1_ps(0.49999141693115234375f);
  const __m512 kO = _mm512_set1_ps(8.33471305668354034423828125e-3f);
  const __m512 kO0 = _mm512_set1_ps(0.16666877269744873046875f);
  const __m512 kOne = _mm512_set1_ps(1.f), kLow = _mm512_set1_ps(-104.f);
  // std::min(v, c) is (c < v) ? c : v.
  const __m512 xs = _mm512_mul_ps(_mm512_mask_blend_ps(_mm512_cmp_ps_mask(kMax, v, _CMP_LT_OQ), v, kMax), kHalf);
  const __m512 t = _mm512_mul_ps(xs, kLog2e);
  const __m512 m = _mm512_roundscale_ps(_mm512_add_ps(t, kHalf), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_add_ps(_mm512_mul_ps(m, kC1), xs);
  r = _mm512_add_ps(_mm512_mul_ps(m, kC2), r);
  const __m512 r2 = _mm512_mul_ps(r, r);
  const __m512 pEven = _mm512_add_ps(_mm512_mul_ps(r2, kE), kE0);
  const __m512 pOdd = _mm512_add_ps(_mm512_mul_ps(r2, kO), kO0);
  const __m512 pLow = _mm512_add_ps(r, kOne);
  __m512 p = _mm512_add_ps(_mm512_mul_ps(r, pOdd), pEven);
  p = _mm512_add_ps(_mm512_mul_ps(r2, p), pLow);
  __m512 e = _mm512_scalef_ps(p, m);  // ldexp(p, m): one correctly rounded step
  e = _mm512_mul_ps(e, e);
  __m512 out = _mm512_div_ps(e, _mm512_add_ps(kOne, e));
  out = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, kLow, _CMP_LT_OQ), out, _mm512_setzero_ps());
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), out, v);
}

template <bool Swish>
void logisticLoop(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 mask = left >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << left) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
    __m512 out = logistic16(v);
    if constexpr (Swish) out = _mm512_mul_ps(v, out);
    _mm512_mask_storeu_ps(y + i, mask, out);
  }
}

}  // namespace

void logisticBuiltinOrderAvx512(const float* x, float* y, int64_t n) { logisticLoop<false>(x, y, n); }

void swishBuiltinOrderAvx512(const float* x, float* y, int64_t n) { logisticLoop<true>(x, y, n); }

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
