// AVX-512 element-wise math shared by the SIMD kernels: exp of non-positive
// arguments, sigmoid, swish and hard-swish on 16 floats. Include only from
// simd/*.cpp; every function here is compiled for AVX-512 and must only run
// where simd::hasAvx512() said yes.
#pragma once

#include <immintrin.h>

#include "graph_fusion.h"
#include "../target_region.h"

// Brackets a region of AVX-512 code: the target, and silence for g++ 12's
// false "may be used uninitialized" on the undefined pass-through operand
// of _mm512_max_ps and friends.
#define INFERD_AVX512_BEGIN                                    \
  INFERD_TARGET_BEGIN("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma") \
  _Pragma("GCC diagnostic push")                               \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define INFERD_AVX512_END       \
  _Pragma("GCC diagnostic pop") \
  INFERD_TARGET_END

INFERD_AVX512_BEGIN

namespace inferd::engine::kernels::simd::avx512 {

// e^t for t <= 0 (t below -87.3 gives about 1e-38 instead of a denormal):
// t = n ln2 + r with |r| <= ln2/2, e^r by its degree-7 Taylor polynomial
// (relative error below 1e-8), times 2^n.
inline __m512 expNonPositive(__m512 t) {
  t = _mm512_max_ps(t, _mm512_set1_ps(-87.3f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), t);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// 1 / d for d in [1, 2]: the 14-bit estimate and one Newton step (within
// 2 ulp; a division would be exact but takes several times longer).
inline __m512 reciprocal1To2(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.f)), r);
}

// 1 / (1 + e^-x) from z = e^-|x|: 1 / (1 + z) for x >= 0, z / (1 + z) below.
inline __m512 sigmoid(__m512 x) {
  const __m512 z = expNonPositive(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
  const __m512 r = reciprocal1To2(_mm512_add_ps(_mm512_set1_ps(1.f), z));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(r, negative, z, r);
}

inline __m512 swish(__m512 x) { return _mm512_mul_ps(x, sigmoid(x)); }

// x * min(6, max(0, x + 3)) / 6, in TFLite's reference order.
inline __m512 hardSwish(__m512 x) {
  const __m512 t = _mm512_min_ps(_mm512_set1_ps(6.f),
                                 _mm512_max_ps(_mm512_setzero_ps(), _mm512_add_ps(x, _mm512_set1_ps(3.f))));
  return _mm512_div_ps(_mm512_mul_ps(x, t), _mm512_set1_ps(6.f));
}

inline __m512 apply(PostOp op, __m512 x) {
  switch (op) {
    case PostOp::kSwish: return swish(x);
    case PostOp::kHardSwish: return hardSwish(x);
    case PostOp::kNone: break;
  }
  return x;
}

}  // namespace inferd::engine::kernels::simd::avx512

INFERD_AVX512_END
