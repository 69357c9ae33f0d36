// AVX-512 code of qreduce.h; runs only where cpuFeatures() says so.
#include <immintrin.h>

#include "qreduce.h"
#include "../target_region.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
INFERD_TARGET_BEGIN("avx512f,avx512bw,avx512vl,bmi2")

namespace inferd::engine::kernels::opt {
namespace {

inline __mmask64 byteMask(int64_t n) {
  return n >= 64 ? ~__mmask64{0} : _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(n));
}

// 64 columns at a time: four int32 accumulators of 16 lanes each, widened
// from one 64-byte load per row.
template <bool Signed, typename T>
void columnSums(const T* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  for (int64_t c = 0; c < cols; c += 64) {
    const __mmask64 mask = byteMask(cols - c);
    __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                      _mm512_setzero_si512()};
    const T* p = in + c;
    for (int64_t r = 0; r < rows; ++r, p += stride) {
      const __m512i v = _mm512_maskz_loadu_epi8(mask, p);
      const __m128i v0 = _mm512_castsi512_si128(v);
      const __m128i v1 = _mm512_extracti32x4_epi32(v, 1);
      const __m128i v2 = _mm512_extracti32x4_epi32(v, 2);
      const __m128i v3 = _mm512_extracti32x4_epi32(v, 3);
      if constexpr (Signed) {
        acc[0] = _mm512_add_epi32(acc[0], _mm512_cvtepi8_epi32(v0));
        acc[1] = _mm512_add_epi32(acc[1], _mm512_cvtepi8_epi32(v1));
        acc[2] = _mm512_add_epi32(acc[2], _mm512_cvtepi8_epi32(v2));
        acc[3] = _mm512_add_epi32(acc[3], _mm512_cvtepi8_epi32(v3));
      } else {
        acc[0] = _mm512_add_epi32(acc[0], _mm512_cvtepu8_epi32(v0));
        acc[1] = _mm512_add_epi32(acc[1], _mm512_cvtepu8_epi32(v1));
        acc[2] = _mm512_add_epi32(acc[2], _mm512_cvtepu8_epi32(v2));
        acc[3] = _mm512_add_epi32(acc[3], _mm512_cvtepu8_epi32(v3));
      }
    }
    const int64_t left = cols - c;
    for (int q = 0; q < 4 && 16 * q < left; ++q) {
      const int64_t n = left - 16 * q;
      const __mmask16 m = n >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << n) - 1u);
      _mm512_mask_storeu_epi32(sums + c + 16 * q, m, acc[q]);
    }
  }
}

}  // namespace

void columnSumsInt8Avx512(const int8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  columnSums<true>(in, rows, cols, stride, sums);
}

void columnSumsUint8Avx512(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  columnSums<false>(in, rows, cols, stride, sums);
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
