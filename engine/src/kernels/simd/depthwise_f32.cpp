// AVX-512 and AVX2 float depthwise convolution (see depthwise_f32.h).
//
// Packed weights: per block of 16 channels, 16 biases, then kh*kw taps of 16
// weights (row-major taps), zero for channels past C. A row task computes
// one output row: for each channel block, strips of T = 8 (then 4, 2, 1)
// output pixels go through strip<K, S, T> (T pixels in T registers; input
// column by input column, and in each column filter row by filter row, every
// input pixel of the strip is loaded once and multiplied by the taps that
// use it, which keeps each output's sum in XNNPACK's order: bias, then the
// taps column-major); strips that touch the left or right padding use its
// edge variant, which skips the input columns outside the image. Channel
// tails use masked loads and stores.
#include "depthwise_f32.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "avx512_math.h"
#include "dispatch.h"
#include "elementwise_f32.h"
#include "../target_region.h"

namespace inferd::engine::kernels::simd {
namespace {

constexpr int kLanes = 16;
constexpr int kMaxKernelH = 16;

struct RowContext {
  const DepthwiseGeometry* g;
  const float* packed;
  int64_t blocks;
  const float* in;
  float* out;
  float min, max;
  PostOp post;
};

// Where output row `index` (batch * outH + oy) reads and writes: the
// input rows of the filter rows inside the image (from filter row ky0), the
// output row, and the output columns [xl, xr) whose K taps all lie inside
// the input. Plain code, shared by the AVX-512 and AVX2 rows.
struct RowSpan {
  const float* rows[kMaxKernelH] = {};
  int nrows = 0;
  int64_t ky0 = 0, xl = 0, xr = 0;
  float* outRow = nullptr;
};

RowSpan rowSpan(const RowContext& c, int64_t index, int K, int S) {
  const DepthwiseGeometry& g = *c.g;
  const int64_t b = index / g.outH, oy = index % g.outH, C = g.channels;
  const int64_t y0 = oy * g.strideH - g.padTop;
  RowSpan sp;
  sp.ky0 = std::max<int64_t>(0, -y0);
  const int64_t ky1 = std::min<int64_t>(g.kernelH, g.inH - y0);
  for (int64_t ky = sp.ky0; ky < ky1; ++ky) sp.rows[sp.nrows++] = c.in + ((b * g.inH + y0 + ky) * g.inW) * C;
  sp.outRow = c.out + (b * g.outH + oy) * g.outW * C;
  sp.xl = std::min<int64_t>(g.outW, (g.padLeft + S - 1) / S);
  const int64_t span = g.inW - K + g.padLeft;
  sp.xr = span < 0 ? sp.xl : std::max(sp.xl, std::min<int64_t>(g.outW, span / S + 1));
  return sp;
}

INFERD_AVX512_BEGIN

// T output pixels (pixel stride C) of one channel block; x0 is the first
// input column of pixel 0, rows[r] the input rows of the filter rows used.
// With kEdge, input columns outside [0, inW) are the padding: their taps are
// skipped (the load is replaced by zeros, whose products add nothing).
template <int K, int S, int T, bool kEdge>
inline __attribute__((always_inline)) void strip(const float* const* rows, int nrows, const float* w,
                                                 const float* bias, int64_t x0, int64_t inW, int64_t C,
                                                 float* out, __mmask16 m, __m512 lo, __m512 hi) {
  __m512 acc[T];
  const __m512 vb = _mm512_load_ps(bias);
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc[t] = vb;
  constexpr int kInputs = (T - 1) * S + K;
#pragma GCC unroll 64
  for (int j = 0; j < kInputs; ++j) {
    if (kEdge && (x0 + j < 0 || x0 + j >= inW)) continue;
    for (int r = 0; r < nrows; ++r) {
      const __m512 v = _mm512_maskz_loadu_ps(m, rows[r] + (x0 + j) * C);
      const float* wr = w + r * K * kLanes;
#pragma GCC unroll 16
      for (int kx = 0; kx < K; ++kx) {
        const int d = j - kx;
        if (d >= 0 && d % S == 0 && d / S < T) {
          acc[d / S] = _mm512_fmadd_ps(v, _mm512_load_ps(wr + kx * kLanes), acc[d / S]);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    _mm512_mask_storeu_ps(out + t * C, m, _mm512_min_ps(_mm512_max_ps(acc[t], lo), hi));
  }
}

// Output pixels [ox, ox + T) of one channel block: the fast strip when all
// their taps lie inside the input (columns [xl, xr)), else the edge one.
template <int K, int S, int T>
inline __attribute__((always_inline)) void strips(const float* const* rows, int nrows, const float* w,
                                                  const float* bias, int64_t ox, int64_t xl, int64_t xr,
                                                  int64_t padLeft, int64_t inW, int64_t C, float* out,
                                                  __mmask16 m, __m512 lo, __m512 hi) {
  const int64_t x0 = ox * S - padLeft;
  if (ox >= xl && ox + T <= xr) {
    strip<K, S, T, false>(rows, nrows, w, bias, x0, inW, C, out + ox * C, m, lo, hi);
  } else {
    strip<K, S, T, true>(rows, nrows, w, bias, x0, inW, C, out + ox * C, m, lo, hi);
  }
}

template <int K, int S>
void row(const RowContext& c, int64_t index) {
  constexpr int T = 8;
  const DepthwiseGeometry& g = *c.g;
  const int64_t C = g.channels;
  const RowSpan sp = rowSpan(c, index, K, S);
  const float* const* rows = sp.rows;
  const int nrows = sp.nrows;
  const int64_t ky0 = sp.ky0, xl = sp.xl, xr = sp.xr;
  float* outRow = sp.outRow;
  const __m512 lo = _mm512_set1_ps(c.min), hi = _mm512_set1_ps(c.max);
  const int64_t blockFloats = kLanes * (1 + static_cast<int64_t>(g.kernelH) * K);

  for (int64_t blk = 0; blk < c.blocks; ++blk) {
    const int64_t ch = blk * kLanes;
    const __mmask16 m = C - ch >= kLanes ? static_cast<__mmask16>(0xFFFF)
                                         : static_cast<__mmask16>((1u << (C - ch)) - 1);
    const float* bias = c.packed + blk * blockFloats;
    const float* w = bias + kLanes + ky0 * K * kLanes;
    const float* chRows[kMaxKernelH];
    for (int r = 0; r < nrows; ++r) chRows[r] = rows[r] + ch;
    float* o = outRow + ch;
    int64_t ox = 0;
    for (; ox + T <= g.outW; ox += T) strips<K, S, T>(chRows, nrows, w, bias, ox, xl, xr, g.padLeft, g.inW, C, o, m, lo, hi);
    if (ox + 4 <= g.outW) {
      strips<K, S, 4>(chRows, nrows, w, bias, ox, xl, xr, g.padLeft, g.inW, C, o, m, lo, hi);
      ox += 4;
    }
    if (ox + 2 <= g.outW) {
      strips<K, S, 2>(chRows, nrows, w, bias, ox, xl, xr, g.padLeft, g.inW, C, o, m, lo, hi);
      ox += 2;
    }
    if (ox < g.outW) strips<K, S, 1>(chRows, nrows, w, bias, ox, xl, xr, g.padLeft, g.inW, C, o, m, lo, hi);
  }
  if (c.post != PostOp::kNone) {
    // The row (outW * C contiguous floats) is still in L1.
    const int64_t n = g.outW * C;
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      _mm512_storeu_ps(outRow + i, avx512::apply(c.post, _mm512_loadu_ps(outRow + i)));
    }
    if (i < n) {
      const auto m = static_cast<__mmask16>((1u << (n - i)) - 1);
      _mm512_mask_storeu_ps(outRow + i, m, avx512::apply(c.post, _mm512_maskz_loadu_ps(m, outRow + i)));
    }
  }
}

INFERD_AVX512_END

// --- AVX2 (8 lanes), for CPUs without AVX-512: the same strips and order.

INFERD_TARGET_BEGIN("avx2,fma")

namespace avx2 {

constexpr int kLanes8 = 8;

template <int K, int S, int T, bool kEdge>
inline __attribute__((always_inline)) void strip(const float* const* rows, int nrows, const float* w,
                                                 const float* bias, int64_t x0, int64_t inW, int64_t C,
                                                 float* out, __m256i m, bool full, __m256 lo, __m256 hi) {
  __m256 acc[T];
  const __m256 vb = _mm256_load_ps(bias);
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc[t] = vb;
  constexpr int kInputs = (T - 1) * S + K;
#pragma GCC unroll 64
  for (int j = 0; j < kInputs; ++j) {
    if (kEdge && (x0 + j < 0 || x0 + j >= inW)) continue;
    for (int r = 0; r < nrows; ++r) {
      const float* src = rows[r] + (x0 + j) * C;
      const __m256 v = full ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, m);
      const float* wr = w + r * K * kLanes8;
#pragma GCC unroll 16
      for (int kx = 0; kx < K; ++kx) {
        const int d = j - kx;
        if (d >= 0 && d % S == 0 && d / S < T) {
          acc[d / S] = _mm256_fmadd_ps(v, _mm256_load_ps(wr + kx * kLanes8), acc[d / S]);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    const __m256 v = _mm256_min_ps(_mm256_max_ps(acc[t], lo), hi);
    if (full) {
      _mm256_storeu_ps(out + t * C, v);
    } else {
      _mm256_maskstore_ps(out + t * C, m, v);
    }
  }
}

template <int K, int S, int T>
inline __attribute__((always_inline)) void strips(const float* const* rows, int nrows, const float* w,
                                                  const float* bias, int64_t ox, int64_t xl, int64_t xr,
                                                  int64_t padLeft, int64_t inW, int64_t C, float* out,
                                                  __m256i m, bool full, __m256 lo, __m256 hi) {
  const int64_t x0 = ox * S - padLeft;
  if (ox >= xl && ox + T <= xr) {
    strip<K, S, T, false>(rows, nrows, w, bias, x0, inW, C, out + ox * C, m, full, lo, hi);
  } else {
    strip<K, S, T, true>(rows, nrows, w, bias, x0, inW, C, out + ox * C, m, full, lo, hi);
  }
}

template <int K, int S>
void row(const RowContext& c, int64_t index) {
  constexpr int T = 8;
  const DepthwiseGeometry& g = *c.g;
  const int64_t C = g.channels;
  const RowSpan sp = rowSpan(c, index, K, S);
  const float* const* rows = sp.rows;
  const int nrows = sp.nrows;
  const int64_t ky0 = sp.ky0, xl = sp.xl, xr = sp.xr;
  float* outRow = sp.outRow;
  const __m256 lo = _mm256_set1_ps(c.min), hi = _mm256_set1_ps(c.max);
  const int64_t blockFloats = kLanes8 * (1 + static_cast<int64_t>(g.kernelH) * K);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

  for (int64_t blk = 0; blk < c.blocks; ++blk) {
    const int64_t ch = blk * kLanes8;
    const bool full = C - ch >= kLanes8;
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(C - ch)), lane);
    const float* bias = c.packed + blk * blockFloats;
    const float* w = bias + kLanes8 + ky0 * K * kLanes8;
    const float* chRows[kMaxKernelH];
    for (int r = 0; r < nrows; ++r) chRows[r] = rows[r] + ch;
    float* o = outRow + ch;
    int64_t ox = 0;
    for (; ox + T <= g.outW; ox += T) {
      strips<K, S, T>(chRows, nrows, w, bias, ox, xl, xr, g.padLeft, g.inW, C, o, m, full, lo, hi);
    }
    // The last outW % 8 pixels one at a time (no 4- and 2-pixel strips:
    // each strip width is a copy of fully unrolled code).
    for (; ox < g.outW; ++ox) {
      strips<K, S, 1>(chRows, nrows, w, bias, ox, xl, xr, g.padLeft, g.inW, C, o, m, full, lo, hi);
    }
  }
  // The post-op (the row is still in L1).
  if (c.post != PostOp::kNone) applyPostOpF32(c.post, outRow, g.outW * C, nullptr);
}

}  // namespace avx2

INFERD_TARGET_END

using RowFn = void (*)(const RowContext&, int64_t);

// The lanes of a channel block: 16 with AVX-512, 8 with AVX2.
int lanes() { return hasAvx512() ? kLanes : avx2::kLanes8; }

RowFn rowFunction(int kernelW, int strideW) {
  const bool wide = hasAvx512();
  switch (kernelW * 10 + strideW) {
    case 31: return wide ? row<3, 1> : avx2::row<3, 1>;
    case 32: return wide ? row<3, 2> : avx2::row<3, 2>;
    case 51: return wide ? row<5, 1> : avx2::row<5, 1>;
    case 52: return wide ? row<5, 2> : avx2::row<5, 2>;
    // 7-wide filters only with AVX-512: the AVX2 rows serve the layers with
    // a fused swish (EfficientNet's 3x3 and 5x5), and each instance is
    // tens of kB of unrolled code.
    case 71: return wide ? row<7, 1> : nullptr;
    case 72: return wide ? row<7, 2> : nullptr;
    default: return nullptr;
  }
}

struct Task {
  RowContext c;
  RowFn fn;
};

void runTask(void* arg, size_t i) {
  const auto* t = static_cast<const Task*>(arg);
  t->fn(t->c, static_cast<int64_t>(i));
}

void freeFloats(float* p) { std::free(p); }

}  // namespace

bool DepthwiseF32::supports(const DepthwiseGeometry& g) {
  return (hasAvx512() || hasAvx2()) && rowFunction(g.kernelW, g.strideW) != nullptr && g.kernelH >= 1 &&
         g.kernelH <= kMaxKernelH && g.strideH >= 1 && g.channels > 0 && g.padLeft >= 0 &&
         g.padTop >= 0 && g.outH > 0 && g.outW > 0;
}

DepthwiseF32::DepthwiseF32(const DepthwiseGeometry& g, const float* filter, const float* bias) : g_(g) {
  countKernel();
  const int L = lanes();
  blocks_ = (g.channels + L - 1) / L;
  fn_ = reinterpret_cast<void (*)()>(rowFunction(g.kernelW, g.strideW));
  const int64_t taps = static_cast<int64_t>(g.kernelH) * g.kernelW;
  const int64_t blockFloats = L * (1 + taps);
  const auto bytes = static_cast<size_t>(blocks_ * blockFloats) * sizeof(float);
  packed_ = {static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)), freeFloats};
  std::memset(packed_.get(), 0, bytes);
  for (int64_t blk = 0; blk < blocks_; ++blk) {
    float* dst = packed_.get() + blk * blockFloats;
    const int64_t n = std::min<int64_t>(L, g.channels - blk * L);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t ch = blk * L + i;
      dst[i] = bias != nullptr ? bias[ch] : 0.f;
      for (int64_t t = 0; t < taps; ++t) dst[L * (1 + t) + i] = filter[t * g.channels + ch];
    }
  }
}

int64_t DepthwiseF32::macs() const {
  return g_.batches * g_.outH * g_.outW * g_.channels * g_.kernelH * g_.kernelW;
}

void DepthwiseF32::run(const float* in, float* out, const OutputOp& op, pthreadpool_t pool) const {
  Task task{{&g_, packed_.get(), blocks_, in, out, op.min, op.max, op.post}, reinterpret_cast<RowFn>(fn_)};
  pthreadpool_parallelize_1d(pool, runTask, &task, static_cast<size_t>(g_.batches * g_.outH), 0);
}

}  // namespace inferd::engine::kernels::simd
