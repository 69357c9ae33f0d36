// AVX-512 VNNI implementation of the fast int8 kernels (qgemm.h). Every
// function here runs only when cpuFeatures().avx512vnni is true; the target
// pragma below compiles just this file's code for those instructions, so the
// rest of the engine runs on any x86-64.
//
// GEMM micro-kernel: MR rows x NB blocks of 16 channels, int32 accumulators
// in registers; per step of 4 k values, NB weight vectors are loaded and each
// row's 4 activation bytes broadcast into VPDPBUSD. The epilogue converts a
// block of 16 accumulators in registers (requantize to int8, or scale to
// float) and stores it with a mask past n.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "qgemm.h"

#pragma GCC push_options
// g++ 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn
// about it (a false positive in the headers, not in this code).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,bmi2")

namespace inferd::engine::kernels::opt {
namespace {

inline __mmask16 channelMask(int64_t remaining) {
  return remaining >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << remaining) - 1u);
}

// requant(x) for 16 channels starting at block `blk` (see QRequant).
inline __m512i requantize(__m512i x, const QRequant& rq, int64_t c0) {
  if (rq.anyLeft) x = _mm512_sllv_epi32(x, _mm512_loadu_si512(rq.left.data() + c0));
  const __m512i m = _mm512_loadu_si512(rq.mult.data() + c0);
  __m512i even = _mm512_mul_epi32(x, m);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32));
  even = _mm512_add_epi64(even, _mm512_loadu_si512(rq.round.data() + c0));
  odd = _mm512_add_epi64(odd, _mm512_loadu_si512(rq.round.data() + c0 + 8));
  even = _mm512_srav_epi64(even, _mm512_loadu_si512(rq.shift.data() + c0));
  odd = _mm512_srav_epi64(odd, _mm512_loadu_si512(rq.shift.data() + c0 + 8));
  __m512i r = _mm512_mask_blend_epi32(__mmask16{0xAAAA}, even, _mm512_slli_epi64(odd, 32));
  r = _mm512_add_epi32(r, _mm512_set1_epi32(rq.zeroPoint));
  r = _mm512_max_epi32(r, _mm512_set1_epi32(rq.lo));
  return _mm512_min_epi32(r, _mm512_set1_epi32(rq.hi));
}

struct Int8Store {
  const Int8Epilogue& e;
  int64_t n;
  void operator()(__m512i acc, int64_t row, int64_t blk) const {
    const int64_t c0 = blk * kBlockN;
    acc = _mm512_add_epi32(acc, _mm512_loadu_si512(e.colOffset + c0));
    const __m512i r = requantize(acc, *e.rq, c0);
    _mm512_mask_cvtsepi32_storeu_epi8(e.out + row * e.ldc + c0, channelMask(n - c0), r);
  }
};

struct FloatStore {
  const FloatEpilogue& e;
  const int32_t* sums;
  int64_t n;
  void operator()(__m512i acc, int64_t row, int64_t blk) const {
    const int64_t c0 = blk * kBlockN;
    const __mmask16 mask = channelMask(n - c0);
    const __m512i k = _mm512_set1_epi32(e.rowK[row * e.rowStep]);
    acc = _mm512_sub_epi32(acc, _mm512_mullo_epi32(k, _mm512_loadu_si512(sums + c0)));
    const __m512 fa = _mm512_cvtepi32_ps(acc);
    const __m512 rs = _mm512_set1_ps(e.rowScale[row * e.rowStep]);
    const __m512 s = e.wScale != nullptr ? _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, e.wScale + c0), rs) : rs;
    __m512 v = _mm512_mul_ps(fa, s);
    if (e.bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, e.bias + c0));
    // std::min(std::max(v, lo), hi), NaN passing through as there.
    v = _mm512_max_ps(_mm512_set1_ps(e.lo), v);
    v = _mm512_min_ps(_mm512_set1_ps(e.hi), v);
    _mm512_mask_storeu_ps(e.out + row * e.ldc + c0, mask, v);
  }
};

template <int MR, int NB, typename Store>
void microKernel(const uint8_t* a, int64_t lda, const uint8_t* w, int64_t blockStride, int64_t steps,
                 const Store& store, int64_t row, int64_t blk) {
  __m512i acc[MR][NB];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
  }
  for (int64_t s = 0; s < steps; ++s) {
    __m512i wv[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_load_si512(w + j * blockStride + s * 64);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      int32_t four;
      std::memcpy(&four, a + r * lda + s * 4, 4);
      const __m512i av = _mm512_set1_epi32(four);
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], av, wv[j]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) store(acc[r][j], row + r, blk + j);
  }
}

// Rows per micro-kernel call for NB blocks: about 24 accumulators.
constexpr int kRows[5] = {0, 12, 12, 8, 6};
constexpr int kMaxBlocks = 4;

template <typename Store>
using KernelFn = void (*)(const uint8_t*, int64_t, const uint8_t*, int64_t, int64_t, const Store&, int64_t,
                          int64_t);

template <typename Store, int NB, int... R>
constexpr auto rowTable(std::integer_sequence<int, R...>) {
  return std::array<KernelFn<Store>, sizeof...(R)>{&microKernel<R + 1, NB, Store>...};
}

template <typename Store>
struct Kernels {
  static constexpr auto nb1 = rowTable<Store, 1>(std::make_integer_sequence<int, kRows[1]>{});
  static constexpr auto nb2 = rowTable<Store, 2>(std::make_integer_sequence<int, kRows[2]>{});
  static constexpr auto nb3 = rowTable<Store, 3>(std::make_integer_sequence<int, kRows[3]>{});
  static constexpr auto nb4 = rowTable<Store, 4>(std::make_integer_sequence<int, kRows[4]>{});
  static KernelFn<Store> get(int nb, int rows) {
    switch (nb) {
      case 1: return nb1[static_cast<size_t>(rows - 1)];
      case 2: return nb2[static_cast<size_t>(rows - 1)];
      case 3: return nb3[static_cast<size_t>(rows - 1)];
      default: return nb4[static_cast<size_t>(rows - 1)];
    }
  }
};

template <typename Store>
void gemm(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
          const Store& store, int64_t row0) {
  const int64_t steps = w.kPadded / kGroupK;
  const int64_t blockStride = steps * 64;
  for (int64_t b = blockBegin; b < blockEnd; b += kMaxBlocks) {
    const int nb = static_cast<int>(std::min<int64_t>(kMaxBlocks, blockEnd - b));
    const int mr = kRows[nb];
    const uint8_t* wb = w.data.data() + b * blockStride;
    for (int64_t r = 0; r < m; r += mr) {
      const int rows = static_cast<int>(std::min<int64_t>(mr, m - r));
      Kernels<Store>::get(nb, rows)(a + r * w.kPadded, w.kPadded, wb, blockStride, steps, store, row0 + r, b);
    }
  }
}

}  // namespace

void copyFlip(uint8_t* dst, const int8_t* src, int64_t n) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flip));
  }
  if (i < n) {
    const __mmask64 mask = _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(n - i));
    _mm512_mask_storeu_epi8(dst + i, mask, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, src + i), flip));
  }
}

void qgemmInt8(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
               const Int8Epilogue& e, int64_t row0) {
  gemm(a, m, w, blockBegin, blockEnd, Int8Store{e, w.n}, row0);
}

void qgemmFloat(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
                const FloatEpilogue& e, int64_t row0) {
  gemm(a, m, w, blockBegin, blockEnd, FloatStore{e, w.sums.data(), w.n}, row0);
}

// --- depthwise ----------------------------------------------------------------

namespace {

inline void tapSpan(int64_t origin, int64_t in, int64_t filter, int64_t dilation, int64_t* begin,
                    int64_t* end) {
  const int64_t b = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
  const int64_t e = in - origin > 0 ? (in - origin + dilation - 1) / dilation : 0;
  *end = std::min(e, filter);
  *begin = std::min(b, *end);
}

// Calls finish(acc, c0, mask, outIndex) for each block of 16 channels of
// each output pixel in rows [rowBegin, rowEnd).
template <typename Finish>
void depthwise(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
               int64_t rowBegin, int64_t rowEnd, const Finish& finish) {
  const __m512i zp = _mm512_set1_epi32(zeroPoint);
  const int64_t cp = w.channelsPadded;
  for (int64_t oy = rowBegin; oy < rowEnd; ++oy) {
    const int64_t y0 = oy * g.strideH - g.padH;
    int64_t kyB, kyE;
    tapSpan(y0, g.inH, g.filterH, g.dilationH, &kyB, &kyE);
    for (int64_t ox = 0; ox < g.outW; ++ox) {
      const int64_t x0 = ox * g.strideW - g.padW;
      int64_t kxB, kxE;
      tapSpan(x0, g.inW, g.filterW, g.dilationW, &kxB, &kxE);
      const int64_t outIndex = (oy * g.outW + ox) * g.channels;
      for (int64_t c0 = 0; c0 < g.channels; c0 += 16) {
        const __mmask16 mask = channelMask(g.channels - c0);
        __m512i acc = _mm512_setzero_si512();
        for (int64_t ky = kyB; ky < kyE; ++ky) {
          const int64_t iy = y0 + ky * g.dilationH;
          const int8_t* row = in + (iy * g.inW + x0) * g.channels + c0;
          const int32_t* wr = w.w.data() + ky * g.filterW * cp + c0;
          for (int64_t kx = kxB; kx < kxE; ++kx) {
            const __m512i xv = _mm512_sub_epi32(
                _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, row + kx * g.dilationW * g.channels)), zp);
            acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(xv, _mm512_loadu_si512(wr + kx * cp)));
          }
        }
        finish(acc, c0, mask, outIndex);
      }
    }
  }
}

}  // namespace

void depthwiseInt8(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                   const int32_t* bias, const QRequant& rq, int8_t* out, int64_t rowBegin, int64_t rowEnd) {
  depthwise(g, in, zeroPoint, w, rowBegin, rowEnd, [&](__m512i acc, int64_t c0, __mmask16 mask, int64_t o) {
    if (bias != nullptr) acc = _mm512_add_epi32(acc, _mm512_maskz_loadu_epi32(mask, bias + c0));
    _mm512_mask_cvtsepi32_storeu_epi8(out + o + c0, mask, requantize(acc, rq, c0));
  });
}

void depthwiseFloat(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                    const float* wScale, float inScale, const float* bias, float lo, float hi, float* out,
                    int64_t rowBegin, int64_t rowEnd) {
  const int64_t in4 = g.channels & ~int64_t{3};
  const __m512 is = _mm512_set1_ps(inScale);
  const __m512 loV = _mm512_set1_ps(lo), hiV = _mm512_set1_ps(hi);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  depthwise(g, in, zeroPoint, w, rowBegin, rowEnd, [&](__m512i acc, int64_t c0, __mmask16 mask, int64_t o) {
    const __m512 fa = _mm512_cvtepi32_ps(acc);
    const __m512 ws = _mm512_maskz_loadu_ps(mask, wScale + c0);
    const __m512 channelFirst = _mm512_mul_ps(_mm512_mul_ps(fa, ws), is);
    const __m512 inputFirst = _mm512_mul_ps(_mm512_mul_ps(fa, is), ws);
    const __mmask16 inBlocks =
        _mm512_cmplt_epi32_mask(_mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(c0))),
                                _mm512_set1_epi32(static_cast<int32_t>(in4)));
    __m512 v = _mm512_mask_blend_ps(inBlocks, inputFirst, channelFirst);
    if (bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + c0));
    v = _mm512_max_ps(loV, v);
    v = _mm512_min_ps(hiV, v);
    _mm512_mask_storeu_ps(out + o + c0, mask, v);
  });
}

}  // namespace inferd::engine::kernels::opt

#pragma GCC pop_options
