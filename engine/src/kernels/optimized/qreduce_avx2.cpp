// AVX2 code of qreduce.h for CPUs without AVX-512, and the dispatch between
// the two. These run only where cpuFeatures().best is not the reference,
// so AVX2 is there.
#include <immintrin.h>

#include "cpu_features.h"
#include "qreduce.h"
#include "../target_region.h"

INFERD_TARGET_BEGIN("avx2")

namespace inferd::engine::kernels::opt {
namespace {

template <bool Signed>
inline __m256i widen(__m128i v) {
  if constexpr (Signed) {
    return _mm256_cvtepi8_epi32(v);
  } else {
    return _mm256_cvtepu8_epi32(v);
  }
}

// 32 columns at a time: four int32 accumulators of 8 lanes each, widened
// from one 32-byte load per row; the last cols % 32 columns in scalar code.
template <bool Signed, typename T>
void columnSums(const T* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  int64_t c = 0;
  for (; c + 32 <= cols; c += 32) {
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                      _mm256_setzero_si256()};
    const T* p = in + c;
    for (int64_t r = 0; r < rows; ++r, p += stride) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
      acc[0] = _mm256_add_epi32(acc[0], widen<Signed>(lo));
      acc[1] = _mm256_add_epi32(acc[1], widen<Signed>(_mm_srli_si128(lo, 8)));
      acc[2] = _mm256_add_epi32(acc[2], widen<Signed>(hi));
      acc[3] = _mm256_add_epi32(acc[3], widen<Signed>(_mm_srli_si128(hi, 8)));
    }
    for (int q = 0; q < 4; ++q) _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + c + 8 * q), acc[q]);
  }
  for (; c < cols; ++c) {
    // Wrapping int32 sums, as the vector lanes (unsigned arithmetic).
    uint32_t s = 0;
    for (int64_t r = 0; r < rows; ++r) s += static_cast<uint32_t>(static_cast<int32_t>(in[r * stride + c]));
    sums[c] = static_cast<int32_t>(s);
  }
}

}  // namespace

void columnSumsInt8Avx2(const int8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  columnSums<true>(in, rows, cols, stride, sums);
}
void columnSumsUint8Avx2(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  columnSums<false>(in, rows, cols, stride, sums);
}

void columnSumsInt8(const int8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    columnSumsInt8Avx512(in, rows, cols, stride, sums);
  } else {
    columnSumsInt8Avx2(in, rows, cols, stride, sums);
  }
}
void columnSumsUint8(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, int32_t* sums) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    columnSumsUint8Avx512(in, rows, cols, stride, sums);
  } else {
    columnSumsUint8Avx2(in, rows, cols, stride, sums);
  }
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
