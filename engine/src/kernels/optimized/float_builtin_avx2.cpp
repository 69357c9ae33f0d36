// AVX2 code of float_builtin.h for CPUs without AVX-512, and the dispatch
// between the two. The same float operations in the same order as the
// scalar logisticBuiltinOrder (activations.cpp) and the AVX-512 loop, so
// the bytes are identical. These run only where cpuFeatures().best is not
// the reference, so AVX2 is there.
#include <immintrin.h>

#include <cstring>

#include "cpu_features.h"
#include "float_builtin.h"
#include "../target_region.h"

INFERD_TARGET_BEGIN("avx2,fma")

namespace inferd::engine::kernels::opt {

namespace {

// logisticBuiltinOrder on 8 lanes.
inline __m256 logistic8(__m256 v) {
  const __m256 kMax = _mm256_set1_ps(16.6355324f), kHalf = _mm256_set1_ps(0.5f);
  const __m256 kLog2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 kC1 = _mm256_set1_ps(-0.693359375f), kC2 = _mm256_set1_ps(2.12194440e-4f);
  const __m256 kE = _mm256_set1_ps(4.1898667812347412109375e-2f), kE0 = _mm256_set1_ps(0.49999141693115234375f);
  const __m256 kO = _mm256_set1_ps(8.33471305668354034423828125e-3f);
  const __m256 kO0 = _mm256_set1_ps(0.16666877269744873046875f);
  const __m256 kOne = _mm256_set1_ps(1.f), kLow = _mm256_set1_ps(-104.f);
  // std::min(v, c) is (c < v) ? c : v.
  const __m256 xs = _mm256_mul_ps(_mm256_blendv_ps(v, kMax, _mm256_cmp_ps(kMax, v, _CMP_LT_OQ)), kHalf);
  const __m256 t = _mm256_mul_ps(xs, kLog2e);
  const __m256 m = _mm256_floor_ps(_mm256_add_ps(t, kHalf));
  __m256 r = _mm256_add_ps(_mm256_mul_ps(m, kC1), xs);
  r = _mm256_add_ps(_mm256_mul_ps(m, kC2), r);
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 pEven = _mm256_add_ps(_mm256_mul_ps(r2, kE), kE0);
  const __m256 pOdd = _mm256_add_ps(_mm256_mul_ps(r2, kO), kO0);
  const __m256 pLow = _mm256_add_ps(r, kOne);
  __m256 p = _mm256_add_ps(_mm256_mul_ps(r, pOdd), pEven);
  p = _mm256_add_ps(_mm256_mul_ps(r2, p), pLow);
  // ldexp(p, m) as p * 2^m, exact: for v >= -104 (the lanes kept) m lies in
  // [-76, 13] and p near 1, so 2^m and the product are normal floats.
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(m), _mm256_set1_epi32(127)), 23);
  __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  e = _mm256_mul_ps(e, e);
  __m256 out = _mm256_div_ps(e, _mm256_add_ps(kOne, e));
  out = _mm256_blendv_ps(out, _mm256_setzero_ps(), _mm256_cmp_ps(v, kLow, _CMP_LT_OQ));
  return _mm256_blendv_ps(out, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

template <bool Swish>
inline __m256 one(__m256 v) {
  __m256 out = logistic8(v);
  if constexpr (Swish) out = _mm256_mul_ps(v, out);
  return out;
}

template <bool Swish>
void logisticLoop8(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, one<Swish>(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float in[8] = {}, out[8];
    std::memcpy(in, x + i, static_cast<size_t>(n - i) * sizeof(float));
    _mm256_store_ps(out, one<Swish>(_mm256_load_ps(in)));
    std::memcpy(y + i, out, static_cast<size_t>(n - i) * sizeof(float));
  }
}

}  // namespace

void logisticBuiltinOrderAvx2(const float* x, float* y, int64_t n) { logisticLoop8<false>(x, y, n); }
void swishBuiltinOrderAvx2(const float* x, float* y, int64_t n) { logisticLoop8<true>(x, y, n); }

void logisticBuiltinOrder(const float* x, float* y, int64_t n) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    logisticBuiltinOrderAvx512(x, y, n);
  } else {
    logisticBuiltinOrderAvx2(x, y, n);
  }
}

void swishBuiltinOrder(const float* x, float* y, int64_t n) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    swishBuiltinOrderAvx512(x, y, n);
  } else {
    swishBuiltinOrderAvx2(x, y, n);
  }
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
