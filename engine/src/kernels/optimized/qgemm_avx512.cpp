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
#include <vector>

#include "im2col_impl.h"
#include "qgemm.h"
#include "../target_region.h"

// g++ 12's AVX-512 intrinsics start from _mm512_undefined_*() and warn
// about it (a false positive in the headers, not in this code).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
INFERD_TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,bmi2")

namespace inferd::engine::kernels::opt {
namespace {

inline __mmask16 channelMask(int64_t remaining) {
  return remaining >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << remaining) - 1u);
}

// The requantization of the 16 channels starting at channel c0, loaded
// into registers once (a loop over pixels then keeps them there).
struct RequantBlock {
  __m512i left, mult, multOdd, roundEven, roundOdd, shiftEven, shiftOdd, zeroPoint, lo, hi;
  bool anyLeft, oddDirect;
  RequantBlock(const QRequant& rq, int64_t c0)
      : left(rq.anyLeft ? _mm512_loadu_si512(rq.left.data() + c0) : _mm512_setzero_si512()),
        mult(_mm512_loadu_si512(rq.mult.data() + c0)),
        multOdd(_mm512_loadu_si512(rq.multOdd.data() + c0)),
        roundEven(_mm512_loadu_si512(rq.round.data() + c0)),
        roundOdd(_mm512_loadu_si512(rq.round.data() + c0 + 8)),
        shiftEven(_mm512_loadu_si512(rq.shift.data() + c0)),
        shiftOdd(rq.oddDirect ? _mm512_loadu_si512(rq.oddShift.data() + c0 / 2)
                              : _mm512_loadu_si512(rq.shift.data() + c0 + 8)),
        zeroPoint(_mm512_set1_epi32(rq.zeroPoint)),
        lo(_mm512_set1_epi32(rq.lo)),
        hi(_mm512_set1_epi32(rq.hi)),
        anyLeft(rq.anyLeft),
        oddDirect(rq.oddDirect) {}

  // x * M rounded (see QRequant), before the zero point and the clamp.
  __m512i scale(__m512i x) const {
    if (anyLeft) x = _mm512_sllv_epi32(x, left);
    __m512i even = _mm512_mul_epi32(x, mult);
    __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), multOdd);
    even = _mm512_add_epi64(even, roundEven);
    odd = _mm512_add_epi64(odd, roundOdd);
    even = _mm512_srav_epi64(even, shiftEven);
    if (oddDirect) {
      odd = _mm512_srav_epi64(odd, shiftOdd);
    } else {
      odd = _mm512_slli_epi64(_mm512_srav_epi64(odd, shiftOdd), 32);
    }
    return _mm512_mask_blend_epi32(__mmask16{0xAAAA}, even, odd);
  }

  // requant(x): scaled, plus the zero point, clamped.
  __m512i apply(__m512i x) const {
    const __m512i r = _mm512_add_epi32(scale(x), zeroPoint);
    return _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
  }
};

// requant(x) for 16 channels starting at channel c0 (see QRequant).
inline __m512i requantize(__m512i x, const QRequant& rq, int64_t c0) { return RequantBlock(rq, c0).apply(x); }

// 16 int32 lanes (already in int8 range) stored as bytes under `mask`. The
// narrowing happens in a register: VPMOVSDB with a memory destination is
// microcoded and slow on AMD Zen 4.
inline void storeInt8(int8_t* dst, __mmask16 mask, __m512i v) {
  const __m128i bytes = _mm512_cvtsepi32_epi8(v);
  if (mask == 0xFFFF) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
  } else {
    _mm_mask_storeu_epi8(dst, mask, bytes);
  }
}

// The accumulators start from colOffset (bias and zero-point terms).
struct Int8Store {
  const Int8Epilogue& e;
  int64_t n;
  __m512i init(int64_t blk) const { return _mm512_loadu_si512(e.colOffset + blk * kBlockN); }
  void operator()(__m512i acc, int64_t row, int64_t blk) const {
    const int64_t c0 = blk * kBlockN;
    storeInt8(e.out + row * e.ldc + c0, channelMask(n - c0), requantize(acc, *e.rq, c0));
  }
  // A micro-kernel's MR x NB accumulators, block by block: each block's
  // requantization parameters are loaded once for all MR rows (per row
  // they would be reloaded MR times, and the loads, not the arithmetic,
  // bound the small-k layers). Four full blocks of a row are then packed
  // and stored together, the zero point and the clamp on packed 16- and
  // 8-bit lanes. Exact: a value that saturates to 16 bits lies far outside
  // [lo, hi] with or without the zero point, and lo, hi are int8.
  template <int MR, int NB>
  void tile(__m512i (&acc)[MR][NB], int64_t row, int64_t blk) const {
    const QRequant& rq = *e.rq;
    const int64_t c0 = blk * kBlockN;
    if constexpr (NB == 4) {
      if (c0 + 64 <= n) {
#pragma GCC unroll 4
        for (int j = 0; j < NB; ++j) {
          const RequantBlock b(rq, c0 + j * kBlockN);
#pragma GCC unroll 16
          for (int r = 0; r < MR; ++r) acc[r][j] = b.scale(acc[r][j]);
        }
        const __m512i zp = _mm512_set1_epi16(static_cast<int16_t>(rq.zeroPoint));
        const __m512i lo = _mm512_set1_epi8(static_cast<char>(rq.lo));
        const __m512i hi = _mm512_set1_epi8(static_cast<char>(rq.hi));
        // Dword 4L + j holds block j's channels 4L..4L+3 (per-lane packs).
        const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
          const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(acc[r][0], acc[r][1]), zp);
          const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(acc[r][2], acc[r][3]), zp);
          const __m512i b = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p01, p23), lo), hi);
          _mm512_storeu_si512(e.out + (row + r) * e.ldc + c0, _mm512_permutexvar_epi32(order, b));
        }
        return;
      }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const int64_t cj = c0 + j * kBlockN;
      const RequantBlock b(rq, cj);
      const __mmask16 mask = channelMask(n - cj);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) storeInt8(e.out + (row + r) * e.ldc + cj, mask, b.apply(acc[r][j]));
    }
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
  __m512i init(int64_t) const { return _mm512_setzero_si512(); }
  template <int MR, int NB>
  void tile(__m512i (&acc)[MR][NB], int64_t row, int64_t blk) const {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) (*this)(acc[r][j], row + r, blk + j);
    }
  }
};

// acc += dot(a, w) in place. g++ 12 models the intrinsic as a
// three-operand operation and copies (and spills) the accumulators around
// every VPDPBUSD; the asm keeps them in their registers.
inline void dpbusd(__m512i& acc, __m512i a, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
}

template <int MR, int NB, typename Store>
void microKernel(const uint8_t* a, int64_t lda, const uint8_t* w, int64_t blockStride, int64_t steps,
                 const Store& store, int64_t row, int64_t blk) {
  __m512i acc[MR][NB];
#pragma GCC unroll 4
  for (int j = 0; j < NB; ++j) {
    const __m512i init = store.init(blk + j);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) acc[r][j] = init;
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
      for (int j = 0; j < NB; ++j) dpbusd(acc[r][j], av, wv[j]);
    }
  }
  store.template tile<MR, NB>(acc, row, blk);
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

namespace {

// n bytes of src, sign-flipped, to dst; inlined into the im2col loop, where
// most runs are a few bytes (a first layer's 3 x 3 taps of 3 channels).
[[gnu::always_inline]] inline void flipRun(uint8_t* dst, const int8_t* src, int64_t n) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (; n >= 64; n -= 64, src += 64, dst += 64) {
    _mm512_storeu_si512(dst, _mm512_xor_si512(_mm512_loadu_si512(src), flip));
  }
  if (n > 0) {
    const __mmask64 mask = _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(n));
    _mm512_mask_storeu_epi8(dst, mask, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, src), flip));
  }
}

// n bytes of dst set to every byte of v.
[[gnu::always_inline]] inline void fillRun(uint8_t* dst, __m512i v, int64_t n) {
  for (; n >= 64; n -= 64, dst += 64) _mm512_storeu_si512(dst, v);
  if (n > 0) _mm512_mask_storeu_epi8(dst, _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(n)), v);
}

}  // namespace

void copyFlipAvx512(uint8_t* dst, const int8_t* src, int64_t n) { flipRun(dst, src, n); }

void packPatchesAvx512(const PatchGeom& g, const int8_t* in, int32_t zeroPoint, int64_t row0, int64_t rows,
                       int64_t kPadded, uint8_t* a) {
  const __m512i pad = _mm512_set1_epi8(static_cast<char>(static_cast<uint8_t>(zeroPoint + 128)));
  packPatchRows(
      g, in, row0, rows, kPadded, a, [](uint8_t* dst, const int8_t* src, int64_t n) { flipRun(dst, src, n); },
      [pad](uint8_t* dst, int64_t n) { fillRun(dst, pad, n); });
}

void qgemmInt8Avx512(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
               const Int8Epilogue& e, int64_t row0) {
  gemm(a, m, w, blockBegin, blockEnd, Int8Store{e, w.n}, row0);
}

void qgemmFloatAvx512(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
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

// sum over the taps inside the input of (x - zeroPoint) * w for one output
// pixel's block of 16 channels (the general case: any position, any filter).
inline __m512i depthwiseBorder(const DepthwiseGeom& g, const int8_t* in, __m512i zp, const QDepthwiseWeights& w,
                               int64_t y0, int64_t kyB, int64_t kyE, int64_t x0, int64_t kxB, int64_t kxE,
                               int64_t c0, __mmask16 mask) {
  const int64_t cp = w.channelsPadded;
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
  return acc;
}

// Output pixels [oxB, oxE) of row oy whose taps all lie inside the input,
// for a KH x KW filter: the block's weights stay in registers across the
// pixels, and the zero point is folded into `init` (-zeroPoint * the sum of
// the block's weights), so each tap costs a widening load, a multiply and
// an add.
template <int KH, int KW, typename Finish>
void depthwiseInterior(const DepthwiseGeom& g, const int8_t* in, const QDepthwiseWeights& w,
                       const int32_t* init, int64_t oy, int64_t oxB, int64_t oxE, const Finish& finish) {
  constexpr int kTaps = KH * KW;
  const int64_t cp = w.channelsPadded;
  const int64_t colStep = g.dilationW * g.channels;
  const int64_t rowStep = g.dilationH * g.inW * g.channels;
  const int64_t pixelStep = g.strideW * g.channels;
  const int64_t y0 = oy * g.strideH - g.padH;
  for (int64_t c0 = 0; c0 < g.channels; c0 += 16) {
    const __mmask16 mask = channelMask(g.channels - c0);
    __m512i wv[kTaps];
#pragma GCC unroll 25
    for (int t = 0; t < kTaps; ++t) wv[t] = _mm512_loadu_si512(w.w.data() + t * cp + c0);
    const __m512i initV = _mm512_loadu_si512(init + c0);
    const auto store = finish.block(c0, mask);
    const int8_t* p = in + (y0 * g.inW + oxB * g.strideW - g.padW) * g.channels + c0;
    int64_t o = (oy * g.outW + oxB) * g.channels;
    for (int64_t ox = oxB; ox < oxE; ++ox, p += pixelStep, o += g.channels) {
      __m512i prod[kTaps];
#pragma GCC unroll 5
      for (int ky = 0; ky < KH; ++ky) {
#pragma GCC unroll 5
        for (int kx = 0; kx < KW; ++kx) {
          const __m512i xv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, p + ky * rowStep + kx * colStep));
          prod[ky * KW + kx] = _mm512_mullo_epi32(xv, wv[ky * KW + kx]);
        }
      }
      // Pairwise sums: a short dependency chain (integer sums are exact in
      // any order).
#pragma GCC unroll 5
      for (int step = 1; step < kTaps; step *= 2) {
#pragma GCC unroll 25
        for (int t = 0; t + step < kTaps; t += 2 * step) prod[t] = _mm512_add_epi32(prod[t], prod[t + step]);
      }
      store(_mm512_add_epi32(prod[0], initV), o);
    }
  }
}

// One output pixel (oy, ox) anywhere, for a KH x KW filter: taps outside
// the input read `zpRow` (the zero point in every channel), which with
// `init` adds nothing, as the reference skips them.
template <int KH, int KW, typename Finish>
void depthwiseEdge(const DepthwiseGeom& g, const int8_t* in, const QDepthwiseWeights& w, const int32_t* init,
                   const int8_t* zpRow, int64_t oy, int64_t ox, const Finish& finish) {
  constexpr int kTaps = KH * KW;
  const int64_t cp = w.channelsPadded;
  const int64_t y0 = oy * g.strideH - g.padH, x0 = ox * g.strideW - g.padW;
  const int8_t* tap[kTaps];
  for (int ky = 0; ky < KH; ++ky) {
    const int64_t iy = y0 + ky * g.dilationH;
    for (int kx = 0; kx < KW; ++kx) {
      const int64_t ix = x0 + kx * g.dilationW;
      const bool inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
      tap[ky * KW + kx] = inside ? in + (iy * g.inW + ix) * g.channels : zpRow;
    }
  }
  const int64_t o = (oy * g.outW + ox) * g.channels;
  for (int64_t c0 = 0; c0 < g.channels; c0 += 16) {
    const __mmask16 mask = channelMask(g.channels - c0);
    __m512i prod[kTaps];
#pragma GCC unroll 25
    for (int t = 0; t < kTaps; ++t) {
      const __m512i xv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, tap[t] + c0));
      prod[t] = _mm512_mullo_epi32(xv, _mm512_loadu_si512(w.w.data() + t * cp + c0));
    }
#pragma GCC unroll 5
    for (int step = 1; step < kTaps; step *= 2) {
#pragma GCC unroll 25
      for (int t = 0; t + step < kTaps; t += 2 * step) prod[t] = _mm512_add_epi32(prod[t], prod[t + step]);
    }
    finish.block(c0, mask)(_mm512_add_epi32(prod[0], _mm512_loadu_si512(init + c0)), o);
  }
}

// Calls finish.block(c0, mask)(acc, outIndex) for each block of 16 channels
// of each output pixel in rows [rowBegin, rowEnd); block() loads the
// block's epilogue parameters, which the interior loop keeps in registers
// across a row's pixels.
template <typename Finish>
void depthwise(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
               int64_t rowBegin, int64_t rowEnd, const Finish& finish) {
  const __m512i zp = _mm512_set1_epi32(zeroPoint);
  void (*interior)(const DepthwiseGeom&, const int8_t*, const QDepthwiseWeights&, const int32_t*, int64_t,
                   int64_t, int64_t, const Finish&) = nullptr;
  void (*edge)(const DepthwiseGeom&, const int8_t*, const QDepthwiseWeights&, const int32_t*, const int8_t*,
               int64_t, int64_t, const Finish&) = nullptr;
  const bool zpFits = zeroPoint >= -128 && zeroPoint <= 127;
  if (g.filterH == 3 && g.filterW == 3 && zpFits) {
    interior = &depthwiseInterior<3, 3, Finish>;
    edge = &depthwiseEdge<3, 3, Finish>;
  }
  if (g.filterH == 5 && g.filterW == 5 && zpFits) {
    interior = &depthwiseInterior<5, 5, Finish>;
    edge = &depthwiseEdge<5, 5, Finish>;
  }
  std::vector<int32_t> init;
  std::vector<int8_t> zpRow;
  if (interior != nullptr) {
    init.resize(static_cast<size_t>(w.channelsPadded));
    for (int64_t c = 0; c < w.channelsPadded; ++c) init[static_cast<size_t>(c)] = -zeroPoint * w.sums[static_cast<size_t>(c)];
    zpRow.assign(static_cast<size_t>(w.channelsPadded), static_cast<int8_t>(zeroPoint));
  }
  // Output columns whose taps all lie inside the input's width.
  const int64_t spanW = (g.filterW - 1) * g.dilationW;
  int64_t oxB = g.padW > 0 ? (g.padW + g.strideW - 1) / g.strideW : 0;
  int64_t oxE = g.inW - spanW + g.padW > 0 ? (g.inW - spanW + g.padW - 1) / g.strideW + 1 : 0;
  oxE = std::min(oxE, g.outW);
  oxB = std::min(oxB, oxE);
  for (int64_t oy = rowBegin; oy < rowEnd; ++oy) {
    const int64_t y0 = oy * g.strideH - g.padH;
    int64_t kyB, kyE;
    tapSpan(y0, g.inH, g.filterH, g.dilationH, &kyB, &kyE);
    const bool fullRow = kyB == 0 && kyE == g.filterH;
    const bool fast = interior != nullptr && fullRow && oxB < oxE;
    for (int64_t ox = 0; ox < g.outW; ++ox) {
      if (fast && ox == oxB) {
        interior(g, in, w, init.data(), oy, oxB, oxE, finish);
        ox = oxE - 1;
        continue;
      }
      if (edge != nullptr) {
        edge(g, in, w, init.data(), zpRow.data(), oy, ox, finish);
        continue;
      }
      const int64_t x0 = ox * g.strideW - g.padW;
      int64_t kxB, kxE;
      tapSpan(x0, g.inW, g.filterW, g.dilationW, &kxB, &kxE);
      const int64_t outIndex = (oy * g.outW + ox) * g.channels;
      for (int64_t c0 = 0; c0 < g.channels; c0 += 16) {
        const __mmask16 mask = channelMask(g.channels - c0);
        finish.block(c0, mask)(depthwiseBorder(g, in, zp, w, y0, kyB, kyE, x0, kxB, kxE, c0, mask), outIndex);
      }
    }
  }
}

}  // namespace

void depthwiseInt8Avx512(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                   const int32_t* bias, const QRequant& rq, int8_t* out, int64_t rowBegin, int64_t rowEnd) {
  struct Store {
    RequantBlock rq;
    __m512i bias;
    int8_t* out;
    __mmask16 mask;
    void operator()(__m512i acc, int64_t o) const {
      storeInt8(out + o, mask, rq.apply(_mm512_add_epi32(acc, bias)));
    }
  };
  struct Finish {
    const QRequant& rq;
    const int32_t* bias;
    int8_t* out;
    Store block(int64_t c0, __mmask16 mask) const {
      return Store{RequantBlock(rq, c0),
                   bias != nullptr ? _mm512_maskz_loadu_epi32(mask, bias + c0) : _mm512_setzero_si512(), out + c0,
                   mask};
    }
  };
  depthwise(g, in, zeroPoint, w, rowBegin, rowEnd, Finish{rq, bias, out});
}

void depthwiseFloatAvx512(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                    const float* wScale, float inScale, const float* bias, float lo, float hi, float* out,
                    int64_t rowBegin, int64_t rowEnd) {
  // v = fa * wScale * inScale in whole groups of 4 channels, fa * inScale *
  // wScale in the rest; + bias; clamp.
  struct Store {
    __m512 ws, is, bias, lo, hi;
    __mmask16 inBlocks, mask;
    bool hasBias;
    float* out;
    void operator()(__m512i acc, int64_t o) const {
      const __m512 fa = _mm512_cvtepi32_ps(acc);
      const __m512 channelFirst = _mm512_mul_ps(_mm512_mul_ps(fa, ws), is);
      const __m512 inputFirst = _mm512_mul_ps(_mm512_mul_ps(fa, is), ws);
      __m512 v = _mm512_mask_blend_ps(inBlocks, inputFirst, channelFirst);
      if (hasBias) v = _mm512_add_ps(v, bias);
      v = _mm512_max_ps(lo, v);
      v = _mm512_min_ps(hi, v);
      _mm512_mask_storeu_ps(out + o, mask, v);
    }
  };
  struct Finish {
    const float* wScale;
    float inScale;
    const float* bias;
    float lo, hi;
    float* out;
    int64_t in4;
    Store block(int64_t c0, __mmask16 mask) const {
      const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const __mmask16 inBlocks = _mm512_cmplt_epi32_mask(_mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(c0))),
                                                         _mm512_set1_epi32(static_cast<int32_t>(in4)));
      return Store{_mm512_maskz_loadu_ps(mask, wScale + c0),
                   _mm512_set1_ps(inScale),
                   bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias + c0) : _mm512_setzero_ps(),
                   _mm512_set1_ps(lo),
                   _mm512_set1_ps(hi),
                   inBlocks,
                   mask,
                   bias != nullptr,
                   out + c0};
    }
  };
  depthwise(g, in, zeroPoint, w, rowBegin, rowEnd,
            Finish{wScale, inScale, bias, lo, hi, out, g.channels & ~int64_t{3}});
}

}  // namespace inferd::engine::kernels::opt

INFERD_TARGET_END
