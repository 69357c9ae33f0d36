// The AVX2 builtin-order float depthwise (see depthwise_builtin_f32.h).
#include "depthwise_builtin_f32.h"

#include <immintrin.h>

#include <algorithm>

#include "../conv_util.h"
#include "../target_region.h"

namespace inferd::engine::kernels::simd {
namespace {

// Only "avx2", not "fma": each tap stays a multiply and an add.
INFERD_TARGET_BEGIN("avx2")

inline __m256i laneMask(int64_t valid) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(valid)), lane);
}

struct Pixels {
  const float* inRows;  // the input at (first row read, x = 0, channel c) of this batch
  const float* wRows;   // the filter at (ky = 0, kx = 0, channel c)
  int64_t x0[2];        // left edge of each pixel's window
  int64_t kyBegin, kyEnd, kxBegin, kxEnd;
  float* out[2];        // each pixel's outputs at channel c
};

// PX pixels (sharing their tap ranges) x NV vectors of 8 channels; with
// MASKED, one vector of `valid` (< 8) channels.
template <int PX, int NV, bool MASKED>
inline void block(const DepthwiseBuiltinGeometry& g, const Pixels& px, const float* bias, __m256 vlo, __m256 vhi,
                  __m256i mask) {
  __m256 acc[PX][NV];
#pragma GCC unroll 4
  for (int q = 0; q < NV; ++q) {
    __m256 b = _mm256_setzero_ps();
    if (bias != nullptr) b = MASKED ? _mm256_maskload_ps(bias, mask) : _mm256_loadu_ps(bias + 8 * q);
#pragma GCC unroll 2
    for (int p = 0; p < PX; ++p) acc[p][q] = b;
  }
  const int64_t c = g.channels;
  for (int64_t ky = px.kyBegin; ky < px.kyEnd; ++ky) {
    const float* inRow = px.inRows + (ky - px.kyBegin) * g.dilationH * g.inW * c;
    const float* wRow = px.wRows + ky * g.filterW * c;
    for (int64_t kx = px.kxBegin; kx < px.kxEnd; ++kx) {
      const float* wp = wRow + kx * c;
      __m256 wv[NV];
#pragma GCC unroll 4
      for (int q = 0; q < NV; ++q) wv[q] = MASKED ? _mm256_maskload_ps(wp, mask) : _mm256_loadu_ps(wp + 8 * q);
#pragma GCC unroll 2
      for (int p = 0; p < PX; ++p) {
        const float* ip = inRow + (px.x0[p] + kx * g.dilationW) * c;
#pragma GCC unroll 4
        for (int q = 0; q < NV; ++q) {
          const __m256 iv = MASKED ? _mm256_maskload_ps(ip, mask) : _mm256_loadu_ps(ip + 8 * q);
          acc[p][q] = _mm256_add_ps(acc[p][q], _mm256_mul_ps(iv, wv[q]));
        }
      }
    }
  }
#pragma GCC unroll 2
  for (int p = 0; p < PX; ++p) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) {
      // max(lo, v), min(hi, v): the reference's (v < lo ? lo : v), (hi < v ? hi : v).
      const __m256 v = _mm256_min_ps(vhi, _mm256_max_ps(vlo, acc[p][q]));
      if (MASKED) {
        _mm256_maskstore_ps(px.out[p], mask, v);
      } else {
        _mm256_storeu_ps(px.out[p] + 8 * q, v);
      }
    }
  }
}

// All channels of PX pixels.
template <int PX>
void pixels(const DepthwiseBuiltinGeometry& g, Pixels px, const float* bias, __m256 vlo, __m256 vhi) {
  const int64_t channels = g.channels;
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t c = 0;
  auto advance = [&](int64_t by) {
    px.inRows += by;
    px.wRows += by;
    for (int p = 0; p < PX; ++p) px.out[p] += by;
    c += by;
  };
  for (; c + 32 <= channels; advance(32)) block<PX, 4, false>(g, px, bias != nullptr ? bias + c : nullptr, vlo, vhi, all);
  for (; c + 16 <= channels; advance(16)) block<PX, 2, false>(g, px, bias != nullptr ? bias + c : nullptr, vlo, vhi, all);
  for (; c + 8 <= channels; advance(8)) block<PX, 1, false>(g, px, bias != nullptr ? bias + c : nullptr, vlo, vhi, all);
  if (c < channels) {
    block<PX, 1, true>(g, px, bias != nullptr ? bias + c : nullptr, vlo, vhi, laneMask(channels - c));
  }
}

}  // namespace

void depthwiseBuiltinRowsAvx2(const DepthwiseBuiltinGeometry& g, const float* in, const float* w, const float* bias,
                              float lo, float hi, float* out, int64_t rowBegin, int64_t rowEnd) {
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const int64_t c = g.channels;
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    const int64_t b = r / g.outH, oy = r % g.outH;
    const float* inBatch = in + b * g.inH * g.inW * c;
    const int64_t y0 = oy * g.strideH - g.padH;
    Pixels px{};
    tapRange(y0, g.inH, g.filterH, g.dilationH, &px.kyBegin, &px.kyEnd);
    px.inRows = inBatch + (y0 + px.kyBegin * g.dilationH) * g.inW * c;
    px.wRows = w;
    float* outRow = out + r * g.outW * c;
    for (int64_t ox = 0; ox < g.outW;) {
      px.x0[0] = ox * g.strideW - g.padW;
      tapRange(px.x0[0], g.inW, g.filterW, g.dilationW, &px.kxBegin, &px.kxEnd);
      px.out[0] = outRow + ox * c;
      if (ox + 1 < g.outW) {
        px.x0[1] = px.x0[0] + g.strideW;
        int64_t kb, ke;
        tapRange(px.x0[1], g.inW, g.filterW, g.dilationW, &kb, &ke);
        if (kb == px.kxBegin && ke == px.kxEnd) {
          px.out[1] = px.out[0] + c;
          pixels<2>(g, px, bias, vlo, vhi);
          ox += 2;
          continue;
        }
      }
      pixels<1>(g, px, bias, vlo, vhi);
      ox += 1;
    }
  }
}

INFERD_TARGET_END

}  // namespace inferd::engine::kernels::simd
