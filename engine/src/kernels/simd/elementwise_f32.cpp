// Element-wise float functions for fused ops (see elementwise_f32.h).
#include "elementwise_f32.h"

#include <algorithm>
#include <cmath>

#include "avx512_math.h"
#include "dispatch.h"
#include "../target_region.h"

namespace inferd::engine::kernels::simd {
namespace {

constexpr int64_t kChunk = 16 * 1024;  // floats per pool task

enum class Level { kPortable, kAvx2, kAvx512 };

Level bestLevel() { return hasAvx512() ? Level::kAvx512 : hasAvx2() ? Level::kAvx2 : Level::kPortable; }

struct Job {
  const float* x;
  float* y;
  int64_t n;
  PostOp op;
  Level level;
};

INFERD_AVX512_BEGIN
void runAvx512(const Job& j, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) _mm512_storeu_ps(j.y + i, avx512::apply(j.op, _mm512_loadu_ps(j.x + i)));
  if (i < end) {
    const auto m = static_cast<__mmask16>((1u << (end - i)) - 1);
    _mm512_mask_storeu_ps(j.y + i, m, avx512::apply(j.op, _mm512_maskz_loadu_ps(m, j.x + i)));
  }
}
INFERD_AVX512_END

INFERD_TARGET_BEGIN("avx2,fma")

// The 8-lane twins of avx512_math.h's functions (the same reduction and
// polynomial, its leading 1 added last; ldexp from the exponent bits, 2^n
// being normal for n >= -126; an exact division instead of the AVX-512
// reciprocal estimate).
// t = n ln2 + r with |r| <= ln2/2 (a two-part ln 2), t >= -87.3 first.
inline __m256 reduce8(__m256 t, __m256* r) {
  t = _mm256_max_ps(t, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  *r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), t));
  return n;
}

// e^r - 1 = r + r^2/2 + ... (degree 7, without the leading 1, so it keeps
// its relative accuracy near 0).
inline __m256 expm1Poly8(__m256 r) {
  __m256 p = _mm256_set1_ps(1.f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  return _mm256_mul_ps(p, r);
}

// 2^n for integer-valued n in [-126, 127], from the exponent bits.
inline __m256 pow2i8(__m256 n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}

inline __m256 expNonPositive8(__m256 t) {
  __m256 r;
  const __m256 n = reduce8(t, &r);
  return _mm256_mul_ps(_mm256_add_ps(expm1Poly8(r), _mm256_set1_ps(1.f)), pow2i8(n));
}

// 1 / (1 + e^-x) from z = e^-|x|: 1 / (1 + z) for x >= 0, z / (1 + z) below.
inline __m256 sigmoid8(__m256 x) {
  const __m256 abs = _mm256_andnot_ps(_mm256_set1_ps(-0.f), x);
  const __m256 z = expNonPositive8(_mm256_sub_ps(_mm256_setzero_ps(), abs));
  const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), z));
  return _mm256_blendv_ps(r, _mm256_mul_ps(z, r), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

inline __m256 apply8(PostOp op, __m256 x) {
  switch (op) {
    case PostOp::kSwish: return _mm256_mul_ps(x, sigmoid8(x));
    case PostOp::kHardSwish: {
      const __m256 t = _mm256_min_ps(_mm256_set1_ps(6.f),
                                     _mm256_max_ps(_mm256_setzero_ps(), _mm256_add_ps(x, _mm256_set1_ps(3.f))));
      return _mm256_div_ps(_mm256_mul_ps(x, t), _mm256_set1_ps(6.f));
    }
    case PostOp::kNone: break;
  }
  return x;
}

void runAvx2(const Job& j, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) _mm256_storeu_ps(j.y + i, apply8(j.op, _mm256_loadu_ps(j.x + i)));
  if (i < end) {
    alignas(32) float in[8] = {}, out[8];
    std::copy(j.x + i, j.x + end, in);
    _mm256_store_ps(out, apply8(j.op, _mm256_load_ps(in)));
    std::copy(out, out + (end - i), j.y + i);
  }
}

// tanh on 8 lanes (see tanhF32).
inline __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  const __m256 y = _mm256_andnot_ps(sign, x);
  // t = -2|x| (clamped at -87.3: tanh is 1 in float long before);
  // expm1(t) = q 2^n + (2^n - 1) with q = e^r - 1.
  __m256 r;
  const __m256 n = reduce8(_mm256_mul_ps(y, _mm256_set1_ps(-2.f)), &r);
  const __m256 two = pow2i8(n);
  const __m256 em1 = _mm256_fmadd_ps(expm1Poly8(r), two, _mm256_sub_ps(two, _mm256_set1_ps(1.f)));
  const __m256 th = _mm256_div_ps(_mm256_sub_ps(_mm256_setzero_ps(), em1), _mm256_add_ps(_mm256_set1_ps(2.f), em1));
  const __m256 out = _mm256_or_ps(th, _mm256_and_ps(sign, x));
  return _mm256_blendv_ps(out, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

template <__m256 (*F)(__m256)>
void mapAvx2(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float in[8] = {}, out[8];
    std::copy(x + i, x + n, in);
    _mm256_store_ps(out, F(_mm256_load_ps(in)));
    std::copy(out, out + (n - i), y + i);
  }
}

void softmaxRowsAvx2(const float* x, float* y, int64_t rows, int64_t depth, float beta) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 vbeta = _mm256_set1_ps(beta);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * depth;
    float* yr = y + r * depth;
    __m256 mx = _mm256_set1_ps(xr[0]);
    int64_t c = 0;
    for (; c + 8 <= depth; c += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(xr + c));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, mx);
    float maxValue = lanes[0];
    for (int j = 1; j < 8; ++j) maxValue = std::max(maxValue, lanes[j]);
    for (; c < depth; ++c) maxValue = std::max(maxValue, xr[c]);
    const __m256 vmax = _mm256_set1_ps(maxValue);
    __m256 vsum = _mm256_setzero_ps();
    for (c = 0; c < depth; c += 8) {
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(depth - c)), lane);
      const __m256 v = _mm256_maskload_ps(xr + c, mask);
      __m256 e = expNonPositive8(_mm256_mul_ps(_mm256_sub_ps(v, vmax), vbeta));
      e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
      vsum = _mm256_add_ps(vsum, e);
      _mm256_maskstore_ps(yr + c, mask, e);
    }
    _mm256_store_ps(lanes, vsum);
    float sum = 0.f;
    for (float v : lanes) sum += v;
    const __m256 vs = _mm256_set1_ps(sum);
    for (c = 0; c < depth; c += 8) {
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(depth - c)), lane);
      _mm256_maskstore_ps(yr + c, mask, _mm256_div_ps(_mm256_maskload_ps(yr + c, mask), vs));
    }
  }
}

INFERD_TARGET_END

void runPortable(const Job& j, int64_t begin, int64_t end) {
  switch (j.op) {
    case PostOp::kSwish:
      for (int64_t i = begin; i < end; ++i) j.y[i] = swishReference(j.x[i]);
      break;
    case PostOp::kHardSwish:
      for (int64_t i = begin; i < end; ++i) j.y[i] = hardSwishReference(j.x[i]);
      break;
    case PostOp::kNone:
      if (j.x != j.y) std::copy(j.x + begin, j.x + end, j.y + begin);
      break;
  }
}

void runChunk(void* arg, size_t chunk) {
  const Job& j = *static_cast<const Job*>(arg);
  const int64_t begin = static_cast<int64_t>(chunk) * kChunk;
  const int64_t end = std::min(j.n, begin + kChunk);
  switch (j.level) {
    case Level::kAvx512: runAvx512(j, begin, end); break;
    case Level::kAvx2: runAvx2(j, begin, end); break;
    case Level::kPortable: runPortable(j, begin, end); break;
  }
}

void run(const Job& j, pthreadpool_t pool) {
  if (j.n <= 0) return;
  const auto chunks = static_cast<size_t>((j.n + kChunk - 1) / kChunk);
  pthreadpool_parallelize_1d(chunks > 1 ? pool : nullptr, runChunk, const_cast<Job*>(&j), chunks, 0);
}

}  // namespace

float swishReference(float x) {
  // TFLite's reference LOGISTIC cut-offs (see activations.cpp), then x * s.
  float s;
  if (x > 16.619047164916992188f) {
    s = 1.f;
  } else if (x < -9.f) {
    s = std::exp(x);
  } else {
    s = 1.f / (1.f + std::exp(-x));
  }
  return x * s;
}

bool tanhF32(const float* x, float* y, int64_t n) {
  if (!hasAvx2()) return false;
  mapAvx2<tanh8>(x, y, n);
  return true;
}

bool sigmoidF32(const float* x, float* y, int64_t n) {
  if (!hasAvx2()) return false;
  mapAvx2<sigmoid8>(x, y, n);
  return true;
}

bool softmaxF32(const float* x, float* y, int64_t rows, int64_t depth, float beta) {
  if (!hasAvx2() || !(beta >= 0.f) || depth <= 0) return false;
  softmaxRowsAvx2(x, y, rows, depth, beta);
  return true;
}

float hardSwishReference(float x) { return x * std::min(6.f, std::max(0.f, x + 3.f)) / 6.f; }

void swishF32(const float* x, float* y, int64_t n, pthreadpool_t pool) {
  run(Job{x, y, n, PostOp::kSwish, bestLevel()}, pool);
}

void applyPostOpF32(PostOp op, float* data, int64_t n, pthreadpool_t pool) {
  if (op == PostOp::kNone) return;
  run(Job{data, data, n, op, bestLevel()}, pool);
}

}  // namespace inferd::engine::kernels::simd
