// AVX2 implementation of the fast int8 GEMM and depthwise kernels
// (qgemm.h), for x86-64 CPUs without AVX-512 VNNI (AMD Zen 2/3, Intel
// before Ice Lake). Every function here runs only when cpuFeatures().best
// is Isa::kAvx2; the target pragma compiles just this file for AVX2.
//
// AVX2 has no byte dot product that is exact (VPMADDUBSW saturates its
// 16-bit sums), so the GEMM widens to 16 bits and uses VPMADDWD, whose
// 32-bit pair sums are exact: the weights are packed once as int16 (see
// packQWeights), the activations stay the unsigned bytes a + 128 of the
// AVX-512 path and are widened in registers. Per step of 4 k values a row's
// 4 bytes are broadcast and split into the 16-bit lanes (k0, k2) and
// (k1, k3), which the weight layout matches. The epilogues do the
// reference's arithmetic lane by lane, as the AVX-512 ones do.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "im2col_impl.h"
#include "qgemm.h"
#include "../target_region.h"

INFERD_TARGET_BEGIN("avx2,fma,bmi2")

namespace inferd::engine::kernels::opt {
namespace {

constexpr int64_t kHalf = 8;  // channels per ymm of int32

// The requantization of the 8 channels starting at channel c (a multiple
// of 8) in registers (QRequant's 64-bit lanes: even channels, then odd).
// AVX2 has no arithmetic 64-bit shift: v = x * M + round lies in
// (-2^62, 2^63), so v + 2^62 is a non-negative 64-bit value whose logical
// shift, less 2^62 >> s, is floor(v / 2^s) exactly.
struct RequantHalf {
  __m256i left, mult, multOdd, roundEven, roundOdd, shiftEven, shiftOdd, biasEven, biasOdd;
  bool anyLeft;
  RequantHalf(const QRequant& rq, int64_t c) : anyLeft(rq.anyLeft) {
    const int64_t block = c / kBlockN * kBlockN, h = (c % kBlockN) / kHalf;
    const auto ld = [](const auto* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
    left = anyLeft ? ld(rq.left.data() + c) : _mm256_setzero_si256();
    mult = ld(rq.mult.data() + c);
    multOdd = ld(rq.multOdd.data() + c);
    roundEven = ld(rq.round.data() + block + 4 * h);
    roundOdd = ld(rq.round.data() + block + 8 + 4 * h);
    shiftEven = ld(rq.shift.data() + block + 4 * h);
    shiftOdd = ld(rq.shift.data() + block + 8 + 4 * h);
    const __m256i bias = _mm256_set1_epi64x(int64_t{1} << 62);
    biasEven = _mm256_srlv_epi64(bias, shiftEven);
    biasOdd = _mm256_srlv_epi64(bias, shiftOdd);
  }
  __m256i scale(__m256i x) const {
    if (anyLeft) x = _mm256_sllv_epi32(x, left);
    const __m256i bias = _mm256_set1_epi64x(int64_t{1} << 62);
    __m256i even = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, mult), roundEven), bias);
    __m256i odd = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), multOdd), roundOdd), bias);
    even = _mm256_sub_epi64(_mm256_srlv_epi64(even, shiftEven), biasEven);
    odd = _mm256_sub_epi64(_mm256_srlv_epi64(odd, shiftOdd), biasOdd);
    return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  }
};

// 8 int32 lanes (in int8 range) stored as bytes, the first n of them.
inline void storeInt8(int8_t* dst, int64_t n, __m256i v) {
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(v, pick);
  const __m128i bytes = _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
  if (n >= kHalf) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
    std::memcpy(dst, tmp, static_cast<size_t>(n));
  }
}

inline __m256i load8(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

struct Int8Store {
  const Int8Epilogue& e;
  int64_t n;
  __m256i init(int64_t c) const { return load8(e.colOffset + c); }
  template <int MR>
  [[gnu::always_inline]] void tile(__m256i (&acc)[MR][2], int64_t row, int64_t c0) const {
    const QRequant& rq = *e.rq;
    const __m256i zp = _mm256_set1_epi32(rq.zeroPoint);
    const __m256i lo = _mm256_set1_epi32(rq.lo), hi = _mm256_set1_epi32(rq.hi);
    // Both halves unrolled: an index that is not a constant would keep the
    // accumulators in memory.
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const int64_t c = c0 + h * kHalf;
      if (c >= n) continue;
      const RequantHalf b(rq, c);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        const __m256i v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(b.scale(acc[r][h]), zp), lo), hi);
        storeInt8(e.out + (row + r) * e.ldc + c, n - c, v);
      }
    }
  }
};

struct FloatStore {
  const FloatEpilogue& e;
  const int32_t* sums;
  int64_t n;
  __m256i init(int64_t) const { return _mm256_setzero_si256(); }
  template <int MR>
  [[gnu::always_inline]] void tile(__m256i (&acc)[MR][2], int64_t row, int64_t c0) const {
    // Both halves unrolled: an index that is not a constant would keep the
    // accumulators in memory.
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const int64_t c = c0 + h * kHalf;
      if (c >= n) continue;
      const int64_t valid = std::min<int64_t>(kHalf, n - c);
      alignas(32) float ws[kHalf] = {}, bs[kHalf] = {};
      if (e.wScale != nullptr) std::memcpy(ws, e.wScale + c, static_cast<size_t>(valid) * sizeof(float));
      if (e.bias != nullptr) std::memcpy(bs, e.bias + c, static_cast<size_t>(valid) * sizeof(float));
      const __m256i sv = load8(sums + c);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        const int64_t rr = (row + r) * e.rowStep;
        const __m256i k = _mm256_set1_epi32(e.rowK[rr]);
        const __m256 fa = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][h], _mm256_mullo_epi32(k, sv)));
        const __m256 rs = _mm256_set1_ps(e.rowScale[rr]);
        const __m256 s = e.wScale != nullptr ? _mm256_mul_ps(_mm256_load_ps(ws), rs) : rs;
        __m256 v = _mm256_mul_ps(fa, s);
        if (e.bias != nullptr) v = _mm256_add_ps(v, _mm256_load_ps(bs));
        // std::min(std::max(v, lo), hi), NaN passing through as there.
        v = _mm256_max_ps(_mm256_set1_ps(e.lo), v);
        v = _mm256_min_ps(_mm256_set1_ps(e.hi), v);
        float* dst = e.out + (row + r) * e.ldc + c;
        if (valid == kHalf) {
          _mm256_storeu_ps(dst, v);
        } else {
          alignas(32) float tmp[kHalf];
          _mm256_store_ps(tmp, v);
          std::memcpy(dst, tmp, static_cast<size_t>(valid) * sizeof(float));
        }
      }
    }
  }
};

// acc += madd(p, w[J]), the weights a memory operand. As in the AVX-512
// file, the asm keeps the accumulators in their registers: with the
// intrinsics g++ 12 rotated them through copies and spilled some. (The
// weights are read-only packed data, so the asm need not declare the read
// as a memory input, which made g++ keep the accumulators in memory.)
template <int J>
inline void maddAcc(__m256i& acc, __m256i p, const __m256i* w) {
  __m256i t;
  asm("vpmaddwd %c[off](%[w]), %[p], %[t]\n\tvpaddd %[t], %[acc], %[acc]"
      : [acc] "+x"(acc), [t] "=&x"(t)
      : [p] "x"(p), [w] "r"(w), [off] "i"(J * 32));
}

// MR rows x one block of 16 channels (two ymm of int32 per row). Weights
// of a step: 4 ymm of int16, [pair p][half h] with lanes (k_p, k_p+2) per
// channel.
template <int MR, typename Store>
void microKernel(const uint8_t* a, int64_t lda, const int16_t* w, int64_t steps, const Store& store, int64_t row,
                 int64_t c0) {
  __m256i acc[MR][2];
  const __m256i init0 = store.init(c0), init1 = store.init(c0 + kHalf);
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    acc[r][0] = init0;
    acc[r][1] = init1;
  }
  const __m256i lowBytes = _mm256_set1_epi16(0x00FF);
  for (int64_t s = 0; s < steps; ++s) {
    const auto* ws = reinterpret_cast<const __m256i*>(w + s * 64);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      int32_t four;
      std::memcpy(&four, a + r * lda + s * 4, 4);
      const __m256i b = _mm256_set1_epi32(four);
      const __m256i p0 = _mm256_and_si256(b, lowBytes);  // (k0, k2) per 32-bit lane
      const __m256i p1 = _mm256_srli_epi16(b, 8);        // (k1, k3)
      maddAcc<0>(acc[r][0], p0, ws);
      maddAcc<1>(acc[r][1], p0, ws);
      maddAcc<2>(acc[r][0], p1, ws);
      maddAcc<3>(acc[r][1], p1, ws);
    }
  }
  store.template tile<MR>(acc, row, c0);
}

constexpr int kRows = 4;

template <typename Store>
using KernelFn = void (*)(const uint8_t*, int64_t, const int16_t*, int64_t, const Store&, int64_t, int64_t);

template <typename Store, int... R>
constexpr auto rowTable(std::integer_sequence<int, R...>) {
  return std::array<KernelFn<Store>, sizeof...(R)>{&microKernel<R + 1, Store>...};
}

template <typename Store>
void gemm(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
          const Store& store, int64_t row0) {
  static constexpr auto kernels = rowTable<Store>(std::make_integer_sequence<int, kRows>{});
  const int64_t steps = w.kPadded / kGroupK;
  const auto* data = reinterpret_cast<const int16_t*>(w.data.data());
  // Blocks outside: a block's weights (k x 32 bytes) stay in L1 while the
  // tile's rows stream past.
  for (int64_t b = blockBegin; b < blockEnd; ++b) {
    const int16_t* wb = data + b * steps * 64;
    for (int64_t r = 0; r < m; r += kRows) {
      const int rows = static_cast<int>(std::min<int64_t>(kRows, m - r));
      kernels[static_cast<size_t>(rows - 1)](a + r * w.kPadded, w.kPadded, wb, steps, store, row0 + r, b * kBlockN);
    }
  }
}

// n bytes of src, sign-flipped, to dst: 32 at a time, then 8, then bytes.
[[gnu::always_inline]] inline void flipRun(uint8_t* dst, const int8_t* src, int64_t n) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (; n >= 32; n -= 32, src += 32, dst += 32) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)), flip));
  }
  for (; n >= 8; n -= 8, src += 8, dst += 8) {
    uint64_t v;
    std::memcpy(&v, src, 8);
    v ^= 0x8080808080808080ull;
    std::memcpy(dst, &v, 8);
  }
  for (; n > 0; --n) *dst++ = static_cast<uint8_t>(*src++ ^ 0x80);
}

// --- depthwise ----------------------------------------------------------------

// 8 int8 values widened to int32 (the first n of them when n < 8: no read
// past the last channel of a pixel).
inline __m256i load8x8(const int8_t* p, int64_t n) {
  if (n >= kHalf) return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  int64_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(n));
  return _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(v));
}

// For output rows [rowBegin, rowEnd), channels [cBegin, C), per 8 channels:
// acc = sum over the
// taps inside the input of (x - zeroPoint) * w, then store(acc, pixel).
// Channel groups outside the pixels, so that a group's epilogue
// parameters (made by finish.half(c, n)) stay in registers along a row;
// pixels whose taps all lie inside (the interior) take fixed offsets, the
// others check each tap. KH = KW = 0: any filter size.
template <int KH, int KW, typename Finish>
void depthwiseRowsAvx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                       int64_t rowBegin, int64_t rowEnd, int64_t cBegin, const Finish& finish) {
  const int64_t fh = KH > 0 ? KH : g.filterH, fw = KW > 0 ? KW : g.filterW;
  const int64_t cp = w.channelsPadded, C = g.channels;
  const __m256i zp = _mm256_set1_epi32(zeroPoint);
  const int64_t spanW = (fw - 1) * g.dilationW, spanH = (fh - 1) * g.dilationH;
  for (int64_t oy = rowBegin; oy < rowEnd; ++oy) {
    const int64_t y0 = oy * g.strideH - g.padH;
    const bool fullRow = y0 >= 0 && y0 + spanH < g.inH;
    for (int64_t c = cBegin; c < C; c += kHalf) {
      const int64_t valid = std::min<int64_t>(kHalf, C - c);
      const auto store = finish.half(c, valid);
      const int32_t* wc = w.w.data() + c;
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        const int64_t x0 = ox * g.strideW - g.padW;
        __m256i acc = _mm256_setzero_si256();
        if (fullRow && x0 >= 0 && x0 + spanW < g.inW) {
          const int8_t* p = in + (y0 * g.inW + x0) * C + c;
          for (int64_t ky = 0; ky < fh; ++ky) {
            for (int64_t kx = 0; kx < fw; ++kx) {
              const __m256i xv = _mm256_sub_epi32(
                  load8x8(p + (ky * g.dilationH * g.inW + kx * g.dilationW) * C, valid), zp);
              acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, load8(wc + (ky * fw + kx) * cp)));
            }
          }
        } else {
          for (int64_t ky = 0; ky < fh; ++ky) {
            const int64_t iy = y0 + ky * g.dilationH;
            if (iy < 0 || iy >= g.inH) continue;
            for (int64_t kx = 0; kx < fw; ++kx) {
              const int64_t ix = x0 + kx * g.dilationW;
              if (ix < 0 || ix >= g.inW) continue;
              const __m256i xv = _mm256_sub_epi32(load8x8(in + (iy * g.inW + ix) * C + c, valid), zp);
              acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, load8(wc + (ky * fw + kx) * cp)));
            }
          }
        }
        store(acc, (oy * g.outW + ox) * C);
      }
    }
  }
}

// Rows [rowBegin, rowEnd), channels [0, blocks * 16), by pairs of taps:
// per 16 channels the bytes of taps 2q and 2q + 1 are interleaved
// (VPUNPCKLBW/HBW), widened to int16 and multiplied with the weight pairs by
// VPMADDWD, half the instructions of one 32-bit multiply per tap. Taps
// outside the input read `zpRow` (the zero point in every channel), which
// with acc starting at -zeroPoint * sum(w) adds nothing, as the reference
// skips them. KH = KW = 0: any filter size (at most kMaxTaps taps).
constexpr int kMaxTaps = 64;

template <int KH, int KW, typename Finish>
void depthwisePairsAvx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                        const int8_t* zpRow, int64_t rowBegin, int64_t rowEnd, int64_t blocks, const Finish& finish) {
  const int64_t fh = KH > 0 ? KH : g.filterH, fw = KW > 0 ? KW : g.filterW;
  const int64_t taps = fh * fw, pairs = (taps + 1) / 2;
  const int64_t cp = w.channelsPadded, C = g.channels;
  const int8_t* tap[kMaxTaps + 1];
  int64_t offset[kMaxTaps + 1];
  for (int64_t ky = 0; ky < fh; ++ky) {
    for (int64_t kx = 0; kx < fw; ++kx) offset[ky * fw + kx] = (ky * g.dilationH * g.inW + kx * g.dilationW) * C;
  }
  offset[taps] = offset[taps - 1];
  const int64_t spanW = (fw - 1) * g.dilationW, spanH = (fh - 1) * g.dilationH;
  for (int64_t oy = rowBegin; oy < rowEnd; ++oy) {
    const int64_t y0 = oy * g.strideH - g.padH;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t c0 = blk * kBlockN;
      const auto store0 = finish.half(c0, kHalf), store1 = finish.half(c0 + kHalf, kHalf);
      const __m256i zp = _mm256_set1_epi32(zeroPoint);
      const __m256i init0 = _mm256_mullo_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), zp), load8(w.sums.data() + c0));
      const __m256i init1 =
          _mm256_mullo_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), zp), load8(w.sums.data() + c0 + kHalf));
      const auto* wp = reinterpret_cast<const __m256i*>(w.pairs.data() + c0 * 2);
      const int64_t pairStride = cp * 2 / 16;  // in ymm
      const bool fullRow = y0 >= 0 && y0 + spanH < g.inH;
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        const int64_t x0 = ox * g.strideW - g.padW;
        // Interior pixels: each tap at a fixed offset from the first.
        const bool interior = fullRow && x0 >= 0 && x0 + spanW < g.inW;
        const int8_t* base = in + (y0 * g.inW + x0) * C + c0;
        if (!interior) {
          for (int64_t ky = 0; ky < fh; ++ky) {
            const int64_t iy = y0 + ky * g.dilationH;
            for (int64_t kx = 0; kx < fw; ++kx) {
              const int64_t ix = x0 + kx * g.dilationW;
              const bool inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
              tap[ky * fw + kx] = (inside ? in + (iy * g.inW + ix) * C : zpRow) + c0;
            }
          }
          tap[taps] = tap[taps - 1];  // the partner of an odd last tap (weight 0)
        }
        __m256i acc0 = init0, acc1 = init1;
        for (int64_t q = 0; q < pairs; ++q) {
          const int8_t* pa = interior ? base + offset[2 * q] : tap[2 * q];
          const int8_t* pb = interior ? base + offset[2 * q + 1] : tap[2 * q + 1];
          const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pa));
          const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pb));
          const __m256i lo = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, b));
          const __m256i hi = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(a, b));
          acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(lo, _mm256_loadu_si256(wp + q * pairStride)));
          acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(hi, _mm256_loadu_si256(wp + q * pairStride + 1)));
        }
        const int64_t o = (oy * g.outW + ox) * C;
        store0(acc0, o);
        store1(acc1, o);
      }
    }
  }
}

template <typename Finish>
void depthwiseAvx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                   int64_t rowBegin, int64_t rowEnd, const Finish& finish) {
  const int64_t blocks = g.channels / kBlockN;
  const bool pairs = !w.pairs.empty() && zeroPoint >= -128 && zeroPoint <= 127 && blocks > 0 &&
                     g.filterH * g.filterW <= kMaxTaps;
  if (pairs) {
    // Whole blocks of 16 channels by pairs of taps; the rest below.
    const std::vector<int8_t> zpRow(static_cast<size_t>(g.channels), static_cast<int8_t>(zeroPoint));
    if (g.filterH == 3 && g.filterW == 3) {
      depthwisePairsAvx2<3, 3>(g, in, zeroPoint, w, zpRow.data(), rowBegin, rowEnd, blocks, finish);
    } else if (g.filterH == 5 && g.filterW == 5) {
      depthwisePairsAvx2<5, 5>(g, in, zeroPoint, w, zpRow.data(), rowBegin, rowEnd, blocks, finish);
    } else {
      depthwisePairsAvx2<0, 0>(g, in, zeroPoint, w, zpRow.data(), rowBegin, rowEnd, blocks, finish);
    }
    if (blocks * kBlockN == g.channels) return;
  }
  const int64_t cBegin = pairs ? blocks * kBlockN : 0;
  if (g.filterH == 3 && g.filterW == 3) {
    depthwiseRowsAvx2<3, 3>(g, in, zeroPoint, w, rowBegin, rowEnd, cBegin, finish);
  } else if (g.filterH == 5 && g.filterW == 5) {
    depthwiseRowsAvx2<5, 5>(g, in, zeroPoint, w, rowBegin, rowEnd, cBegin, finish);
  } else {
    depthwiseRowsAvx2<0, 0>(g, in, zeroPoint, w, rowBegin, rowEnd, cBegin, finish);
  }
}

}  // namespace

void depthwiseInt8Avx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                       const int32_t* bias, const QRequant& rq, int8_t* out, int64_t rowBegin, int64_t rowEnd) {
  struct Store {
    RequantHalf rq;
    __m256i bias, zp, lo, hi;
    int8_t* out;
    int64_t valid;
    void operator()(__m256i acc, int64_t o) const {
      const __m256i v = _mm256_add_epi32(rq.scale(_mm256_add_epi32(acc, bias)), zp);
      storeInt8(out + o, valid, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
    }
  };
  struct Finish {
    const QRequant& rq;
    const int32_t* bias;
    int8_t* out;
    Store half(int64_t c, int64_t valid) const {
      alignas(32) int32_t b[kHalf] = {};
      if (bias != nullptr) std::memcpy(b, bias + c, static_cast<size_t>(valid) * sizeof(int32_t));
      return Store{RequantHalf(rq, c), load8(b), _mm256_set1_epi32(rq.zeroPoint), _mm256_set1_epi32(rq.lo),
                   _mm256_set1_epi32(rq.hi), out + c, valid};
    }
  };
  depthwiseAvx2(g, in, zeroPoint, w, rowBegin, rowEnd, Finish{rq, bias, out});
}

void depthwiseFloatAvx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                        const float* wScale, float inScale, const float* bias, float lo, float hi, float* out,
                        int64_t rowBegin, int64_t rowEnd) {
  // v = fa * wScale * inScale in whole groups of 4 channels, fa * inScale *
  // wScale in the rest; + bias; clamp (as the AVX-512 store).
  struct Store {
    __m256 ws, is, bias, lo, hi, channelFirstLanes;
    bool hasBias;
    float* out;
    int64_t valid;
    void operator()(__m256i acc, int64_t o) const {
      const __m256 fa = _mm256_cvtepi32_ps(acc);
      const __m256 channelFirst = _mm256_mul_ps(_mm256_mul_ps(fa, ws), is);
      const __m256 inputFirst = _mm256_mul_ps(_mm256_mul_ps(fa, is), ws);
      __m256 v = _mm256_blendv_ps(inputFirst, channelFirst, channelFirstLanes);
      if (hasBias) v = _mm256_add_ps(v, bias);
      v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
      if (valid == kHalf) {
        _mm256_storeu_ps(out + o, v);
      } else {
        alignas(32) float tmp[kHalf];
        _mm256_store_ps(tmp, v);
        std::memcpy(out + o, tmp, static_cast<size_t>(valid) * sizeof(float));
      }
    }
  };
  struct Finish {
    const float* wScale;
    float inScale;
    const float* bias;
    float lo, hi;
    float* out;
    int64_t in4;
    Store half(int64_t c, int64_t valid) const {
      alignas(32) float ws[kHalf] = {}, bs[kHalf] = {};
      std::memcpy(ws, wScale + c, static_cast<size_t>(valid) * sizeof(float));
      if (bias != nullptr) std::memcpy(bs, bias + c, static_cast<size_t>(valid) * sizeof(float));
      const __m256i lane = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                            _mm256_set1_epi32(static_cast<int32_t>(c)));
      const __m256i first = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(in4)), lane);
      return Store{_mm256_load_ps(ws), _mm256_set1_ps(inScale), _mm256_load_ps(bs), _mm256_set1_ps(lo),
                   _mm256_set1_ps(hi), _mm256_castsi256_ps(first), bias != nullptr, out + c, valid};
    }
  };
  depthwiseAvx2(g, in, zeroPoint, w, rowBegin, rowEnd,
                Finish{wScale, inScale, bias, lo, hi, out, g.channels & ~int64_t{3}});
}

void copyFlipAvx2(uint8_t* dst, const int8_t* src, int64_t n) { flipRun(dst, src, n); }

void packPatchesAvx2(const PatchGeom& g, const int8_t* in, int32_t zeroPoint, int64_t row0, int64_t rows,
                     int64_t kPadded, uint8_t* a) {
  const auto pad = static_cast<uint8_t>(zeroPoint + 128);
  packPatchRows(
      g, in, row0, rows, kPadded, a, [](uint8_t* dst, const int8_t* src, int64_t n) { flipRun(dst, src, n); },
      [pad](uint8_t* dst, int64_t n) {
        if (n > 0) std::memset(dst, pad, static_cast<size_t>(n));
      });
}

void qgemmInt8Avx2(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
                   const Int8Epilogue& e, int64_t row0) {
  gemm(a, m, w, blockBegin, blockEnd, Int8Store{e, w.n}, row0);
}

void qgemmFloatAvx2(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
                    const FloatEpilogue& e, int64_t row0) {
  gemm(a, m, w, blockBegin, blockEnd, FloatStore{e, w.sums.data(), w.n}, row0);
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
