// Float GEMM shared by the convolution family (CONV_2D, TRANSPOSE_CONV,
// FULLY_CONNECTED): weights are packed once into panels of kGemmNr output
// columns so the micro-kernel streams both operands contiguously and keeps a
// kGemmMr x kGemmNr block of accumulators in registers. Each output is summed
// over k in increasing order starting from zero, the same order as TFLite's
// reference kernels, so results match them to the last bit (no FMA
// contraction at our default flags).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernel_util.h"
#include "simd/dispatch.h"
#include "simd/gemm_panels_f32.h"

namespace inferd::engine::kernels {

constexpr int kGemmNr = 8;  // output columns per packed panel
constexpr int kGemmMr = 4;  // rows per micro-kernel call

// Floats needed to pack a K x N matrix into panels (N rounded up to kGemmNr).
inline int64_t packedPanelFloats(int64_t k, int64_t n) {
  return (n + kGemmNr - 1) / kGemmNr * k * kGemmNr;
}

// Packs B (K x N), read as src[index(k, n)], into panels: panel p holds
// columns [p*kGemmNr, (p+1)*kGemmNr) as K rows of kGemmNr floats; columns
// past N are zero.
template <typename Index>
void packPanels(const float* src, int64_t k, int64_t n, Index index, float* dst) {
  for (int64_t n0 = 0; n0 < n; n0 += kGemmNr) {
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int j = 0; j < kGemmNr; ++j) {
        const int64_t col = n0 + j;
        *dst++ = col < n ? src[index(kk, col)] : 0.f;
      }
    }
  }
}

namespace gemm_detail {

// GCC/Clang generic vectors: SSE on x86-64, NEON on arm64, scalar elsewhere.
// Written explicitly because -O2's cheap vectorizer cost model leaves loops
// with runtime trip counts scalar.
typedef float F32x4 __attribute__((vector_size(16)));

inline F32x4 load4(const float* p) {
  F32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(float* p, F32x4 v) { std::memcpy(p, &v, sizeof v); }

inline F32x4 splat4(float x) { return F32x4{x, x, x, x}; }

// clampActivation on four lanes, with the same comparisons (and so the same
// NaN behaviour) as std::min(std::max(x, lo), hi).
inline F32x4 clamp4(F32x4 v, F32x4 lo, F32x4 hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

// C rows [0, R) x columns [0, cols) = act(A * Bpanel + bias).
template <int R>
inline void tile(int64_t k, const float* a, int64_t lda, const float* panel, const float* bias,
                 int cols, const ActivationRange& act, float* c, int64_t ldc) {
  F32x4 acc0[R];
  F32x4 acc1[R];
  const float* rows[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    acc0[r] = F32x4{0.f, 0.f, 0.f, 0.f};
    acc1[r] = F32x4{0.f, 0.f, 0.f, 0.f};
    rows[r] = a + r * lda;
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const F32x4 b0 = load4(panel + kk * kGemmNr);
    const F32x4 b1 = load4(panel + kk * kGemmNr + 4);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float av = rows[r][kk];
      acc0[r] += av * b0;
      acc1[r] += av * b1;
    }
  }
  if (cols == kGemmNr) {
    const F32x4 lo = splat4(act.min), hi = splat4(act.max);
    const F32x4 b0 = bias != nullptr ? load4(bias) : splat4(0.f);
    const F32x4 b1 = bias != nullptr ? load4(bias + 4) : splat4(0.f);
    for (int r = 0; r < R; ++r) {
      store4(c + r * ldc, clamp4(acc0[r] + b0, lo, hi));
      store4(c + r * ldc + 4, clamp4(acc1[r] + b1, lo, hi));
    }
    return;
  }
  for (int r = 0; r < R; ++r) {
    float v[kGemmNr];
    std::memcpy(v, &acc0[r], sizeof(F32x4));
    std::memcpy(v + 4, &acc1[r], sizeof(F32x4));
    float* out = c + r * ldc;
    if (bias != nullptr) {
      for (int j = 0; j < cols; ++j) out[j] = clampActivation(v[j] + bias[j], act);
    } else {
      for (int j = 0; j < cols; ++j) out[j] = clampActivation(v[j], act);
    }
  }
}

}  // namespace gemm_detail

// C[m][n] = act(sum_k A[m][k] * B[k][n] + bias[n]) for m < M, n < N.
// A row m starts at a + m*lda (K floats), C row m at c + m*ldc; B is packed
// with packPanels; bias may be null. allowSimd (the node's
// optimizedKernels()) lets the AVX2 twin run where the CPU has it. Panels are the outer loop so one panel
// (K x kGemmNr floats) stays in L1 while the rows of A stream past it; callers
// keep M*K small enough (a tile) for A to stay in L2.
inline void gemmF32(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* packed, const float* bias, const ActivationRange& act, float* c,
                    int64_t ldc, bool allowSimd) {
  if (allowSimd && simd::hasAvx2()) {
    // The same sums 8 lanes wide (simd/gemm_panels_f32.h): the same bytes.
    simd::gemmPanelsF32Avx2(m, n, k, a, lda, packed, bias, act.min, act.max, c, ldc);
    return;
  }
  for (int64_t n0 = 0; n0 < n; n0 += kGemmNr) {
    const float* panel = packed + n0 / kGemmNr * k * kGemmNr;
    const int cols = static_cast<int>(std::min<int64_t>(kGemmNr, n - n0));
    const float* b = bias != nullptr ? bias + n0 : nullptr;
    int64_t m0 = 0;
    for (; m0 + kGemmMr <= m; m0 += kGemmMr) {
      gemm_detail::tile<kGemmMr>(k, a + m0 * lda, lda, panel, b, cols, act, c + m0 * ldc + n0, ldc);
    }
    const float* aTail = a + m0 * lda;
    float* cTail = c + m0 * ldc + n0;
    switch (m - m0) {
      case 3: gemm_detail::tile<3>(k, aTail, lda, panel, b, cols, act, cTail, ldc); break;
      case 2: gemm_detail::tile<2>(k, aTail, lda, panel, b, cols, act, cTail, ldc); break;
      case 1: gemm_detail::tile<1>(k, aTail, lda, panel, b, cols, act, cTail, ldc); break;
      default: break;
    }
  }
}

// Sums of w[j] * x[j] (a multiply and an add each, no FMA) in the orders
// of TFLite's builtin float kernels on x86 (Eigen with 4-float SSE
// packets). Four lanes: lane l sums k = l mod 4 over the whole 4-wide
// blocks; the lanes combine as (l0 + l2) + (l1 + l3) when `interleaved`
// (a packet's horizontal sum) or (l0 + l1) + (l2 + l3); the leftover k
// follow one by one.
inline float dotFourLanes(const float* w, const float* x, int64_t k, bool interleaved) {
  const int64_t quads = k & ~int64_t{3};
  float lane[4] = {0.f, 0.f, 0.f, 0.f};
  for (int64_t j = 0; j < quads; j += 4) {
    for (int l = 0; l < 4; ++l) {
      const float product = w[j + l] * x[j + l];
      lane[l] += product;
    }
  }
  float sum = interleaved ? (lane[0] + lane[2]) + (lane[1] + lane[3]) : (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (int64_t j = quads; j < k; ++j) {
    const float product = w[j] * x[j];
    sum += product;
  }
  return sum;
}

// y[n] = act(sum_k w[n][k] * x[k] + bias[n]) for n < N, w row-major [N][K],
// summed as TFLite's builtin float GEMM does for a single input vector
// (Eigen's row-major matrix-vector product): dotFourLanes interleaved, then
// the bias. Used where OpContext::reproducibleFloat asks for TFLite's order.
inline void gemvBuiltinOrder(int64_t n, int64_t k, const float* w, const float* x, const float* bias,
                             const ActivationRange& act, float* y) {
  for (int64_t row = 0; row < n; ++row) {
    float sum = dotFourLanes(w + row * k, x, k, true);
    if (bias != nullptr) sum += bias[row];
    y[row] = clampActivation(sum, act);
  }
}

// TFLite's builtin float GEMM for more than one input row (output pixels or
// batch rows) on x86 is Eigen's GEBP kernel with 4-float SSE packets. It
// computes output channel n of row j as gemmF32 does -- products summed
// k = 0, 1, ... from zero, then the bias -- except for the channels past
// the last block of 8 (its two-packet micro-kernel; N mod 8 != 0), and only
// in the row blocks of 4 (j < rows & ~3):
//  - the next 4 channels (one packet) sum even and odd k separately over
//    k < K & ~7 and add the two, then the remaining k in order;
//  - the last N mod 4 channels sum four partial sums over k mod 4 for
//    k < K & ~3, combine them as (s0 + s1) + (s2 + s3), then the rest.
// (Eigen also splits K into cache-sized blocks, above about 500 for
// float; the float layers this serves are far smaller.)
struct BuiltinGemmOrder {
  int64_t packetBegin = 0;  // channels [packetBegin, packetEnd): even/odd sums
  int64_t packetEnd = 0;    // channels [packetEnd, N): four lanes
};

inline BuiltinGemmOrder builtinGemmOrder(int64_t n) {
  BuiltinGemmOrder o;
  const int64_t rows = n / 8 * 8;
  o.packetBegin = rows;
  o.packetEnd = rows + (n - rows) / 4 * 4;
  return o;
}

// One output of the packet channels of builtinGemmOrder (without bias).
inline float dotEvenOdd(const float* w, const float* x, int64_t k) {
  const int64_t peeled = k & ~int64_t{7};
  float even = 0.f, odd = 0.f;
  for (int64_t j = 0; j < peeled; j += 2) {
    const float pe = w[j] * x[j];
    even += pe;
    const float po = w[j + 1] * x[j + 1];
    odd += po;
  }
  float sum = even + odd;
  for (int64_t j = peeled; j < k; ++j) {
    const float product = w[j] * x[j];
    sum += product;
  }
  return sum;
}

// Recomputes, after gemmF32, the outputs that builtinGemmOrder says TFLite
// sums in another order: row j (< rows & ~3) of the GEMM is x(j) (K
// floats), its outputs out(j) (N floats); w is row-major [N][K].
template <typename RowInput, typename RowOutput>
void refixBuiltinGemmOrder(int64_t rows, int64_t n, int64_t k, const float* w, const float* bias,
                           const ActivationRange& act, RowInput x, RowOutput out) {
  const BuiltinGemmOrder o = builtinGemmOrder(n);
  if (o.packetBegin == n) return;
  const int64_t fullRows = rows & ~int64_t{3};
  for (int64_t j = 0; j < fullRows; ++j) {
    const float* xr = x(j);
    float* yr = out(j);
    for (int64_t c = o.packetBegin; c < n; ++c) {
      float v = c < o.packetEnd ? dotEvenOdd(w + c * k, xr, k) : dotFourLanes(w + c * k, xr, k, false);
      if (bias != nullptr) v += bias[c];
      yr[c] = clampActivation(v, act);
    }
  }
}

// Rows of A per tile so that a tile of `rowFloats`-float rows fits in about
// `budgetBytes` (at least kGemmMr rows, a multiple of kGemmMr, at most 512).
inline int64_t gemmTileRows(int64_t rowFloats, int64_t budgetBytes = 256 * 1024) {
  const int64_t bytes = std::max<int64_t>(rowFloats, 1) * static_cast<int64_t>(sizeof(float));
  int64_t rows = budgetBytes / bytes;
  rows = std::clamp<int64_t>(rows, kGemmMr, 512);
  return rows / kGemmMr * kGemmMr;
}

// --- convolution geometry and options (shared by the float and quantized kernels) ---

// Output size and leading padding of a forward convolution along one axis,
// in 64-bit so hostile option values cannot overflow (TFLite's
// ComputeOutSize and ComputePaddingWithOffset; the odd pixel goes after).
struct Axis {
  int64_t out = 0;
  int64_t padBefore = 0;
  int64_t padAfter = 0;  // the rest of the total padding (XNNPACK takes both)
};

inline Axis forwardAxis(fb::Padding padding, int64_t in, int64_t filter, int64_t stride,
                        int64_t dilation) {
  const int64_t effFilter = (filter - 1) * dilation + 1;
  Axis a;
  a.out = padding == fb::Padding::SAME ? (in + stride - 1) / stride
                                       : (in - effFilter + stride) / stride;
  int64_t total = (a.out - 1) * stride + effFilter - in;
  if (total < 0) total = 0;
  a.padBefore = total / 2;
  a.padAfter = total - a.padBefore;
  return a;
}

inline Status checkPadding(const OpContext& ctx, fb::Padding padding) {
  if (padding != fb::Padding::SAME && padding != fb::Padding::VALID) {
    return ctx.unsupported("padding {} is not supported", static_cast<int>(padding));
  }
  return Status::ok();
}

inline Status checkStrides(const OpContext& ctx, int32_t strideH, int32_t strideW) {
  if (strideH <= 0 || strideW <= 0) {
    return ctx.error("strides must be positive, got stride_h {} stride_w {}", strideH, strideW);
  }
  return Status::ok();
}

inline Status checkDilation(const OpContext& ctx, int32_t dilationH, int32_t dilationW) {
  if (dilationH <= 0 || dilationW <= 0) {
    return ctx.error("dilation factors must be positive, got dilation_h_factor {} "
                     "dilation_w_factor {}", dilationH, dilationW);
  }
  return Status::ok();
}

// Int32 dims from int64 values already checked to be in range.
inline Dims dims4(int64_t a, int64_t b, int64_t c, int64_t d) {
  return Dims{static_cast<int32_t>(a), static_cast<int32_t>(b), static_cast<int32_t>(c),
              static_cast<int32_t>(d)};
}

inline Status checkOutputDims(const OpContext& ctx, int64_t h, int64_t w) {
  constexpr int64_t kMax = INT32_MAX;
  if (h < 0 || w < 0) {
    return ctx.error("filter does not fit the input: output would be {}x{}", h, w);
  }
  if (h > kMax || w > kMax) return ctx.error("output size {}x{} is too large", h, w);
  return Status::ok();
}

// The filter taps t in [0, filter) with 0 <= origin + t*dilation < in form
// one range [*begin, *end); computing it up front spares eval a bounds check
// per tap.
inline void tapRange(int64_t origin, int64_t in, int64_t filter, int64_t dilation, int64_t* begin,
                     int64_t* end) {
  const int64_t b = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
  const int64_t e = in - origin > 0 ? (in - origin + dilation - 1) / dilation : 0;
  *end = std::min(e, filter);
  *begin = std::min(b, *end);
}

// The options of CONV_2D and DEPTHWISE_CONV_2D, validated.
struct ConvOptions {
  int32_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  fb::Padding padding = fb::Padding::SAME;
  fb::ActivationFunctionType activation = fb::ActivationFunctionType::NONE;
};

template <typename Options>
Status readConvOptions(const OpContext& ctx, const Options* opts, const char* table,
                       ConvOptions* out) {
  // TFLite parses a missing options table as zeros (stride 0), which cannot run.
  if (opts == nullptr) return ctx.error("{} are missing", table);
  out->strideH = opts->stride_h();
  out->strideW = opts->stride_w();
  out->dilationH = opts->dilation_h_factor();
  out->dilationW = opts->dilation_w_factor();
  out->padding = opts->padding();
  out->activation = opts->fused_activation_function();
  INFERD_RETURN_IF_ERROR(checkStrides(ctx, out->strideH, out->strideW));
  INFERD_RETURN_IF_ERROR(checkDilation(ctx, out->dilationH, out->dilationW));
  return checkPadding(ctx, out->padding);
}

inline Status readConv2DOptions(const OpContext& ctx, ConvOptions* out) {
  return readConvOptions(ctx, options<fb::Conv2DOptions>(ctx), "Conv2DOptions", out);
}

inline Status readDepthwiseOptions(const OpContext& ctx, ConvOptions* out) {
  return readConvOptions(ctx, options<fb::DepthwiseConv2DOptions>(ctx), "DepthwiseConv2DOptions",
                         out);
}

}  // namespace inferd::engine::kernels
