// Fast int8 kernels (AVX-512 VNNI, or AVX2 without it) behind the quantized and hybrid
// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED of conv_quant.cpp and
// matmul_quant.cpp. Integer accumulation is exact in any order, and the
// epilogues repeat the reference kernels' arithmetic lane by lane, so these
// produce the same bytes as the reference loops (the oracle; tested over the
// conformance suite and the architectures).
//
// The GEMM computes, for activation rows a (int8) and weight rows w (int8,
// [n][k], packed once per Model), acc[r][c] = sum_k (a[r][k] - za) * w[c][k].
// VNNI multiplies unsigned by signed bytes, so the activations travel as
// a + 128 (a ^ 0x80) and the kernel subtracts (128 + za) * sum_k w[c][k].
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "../quant_kernels.h"
#include "cpu_features.h"

namespace inferd::engine::kernels::opt {

// 64-byte aligned bytes.
struct AlignedBytes {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> ptr;
  size_t size = 0;
  void allocate(size_t bytes);
  uint8_t* data() const { return ptr.get(); }
};

constexpr int64_t kBlockN = 16;  // output channels per weight block (one zmm of int32)
constexpr int64_t kGroupK = 4;   // k values per VNNI step

inline int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Weights [n][k] int8 in blocks of 16 channels, laid out for the ISA of
// cpuFeatures().best at packing time:
//  AVX-512 VNNI: block b, step s holds w[16b + j][4s + i] at byte
//    64 s + 4 j + i;
//  AVX2 (int16, for VPMADDWD): block b, step s holds w[16b + j][4s + i] at
//    int16 element 64 s + 32 (i % 2) + 2 j + i / 2
// (zero past n and k).
struct QPackedWeights {
  Isa isa = Isa::kAvx512Vnni;
  int64_t n = 0, k = 0;
  int64_t kPadded = 0;  // k rounded up to kGroupK: the row stride of packed activations
  int64_t blocks = 0;
  std::vector<int32_t> sums;  // sum_k w[c][k], padded with zeros to blocks * 16
  AlignedBytes data;
  size_t bytes() const { return data.size + sums.size() * sizeof(int32_t); }
};

std::shared_ptr<const QPackedWeights> packQWeights(const int8_t* w, int64_t n, int64_t k);
// The kernel variant a profile shows for a GEMM on w.
inline const char* gemmVariant(const QPackedWeights& w) {
  return w.isa == Isa::kAvx512Vnni ? "avx512-vnni" : "avx2-madd";
}
// The name under which a Model shares packed weights (one per layout).
inline const char* packedWeightsKey() {
  return cpuFeatures().best == Isa::kAvx512Vnni ? "qgemm-vnni" : "qgemm-avx2";
}

// TFLite's int8 requantization (ruy's and the depthwise kernels' rounding,
// quant::Rounding::kUp / kShiftUp; they agree on every int32) per output
// channel, for 16 channels at a time. x * M as
//   ((x << left) * M + round) >> shift   (64-bit, arithmetic)
// with round = 2^30 + 2^(30 + rs) (rs > 0) and shift = 31 + rs: the two
// roundings of the reference are one because floor(floor(a / 2^31) + b) /
// 2^rs) = floor((a + b 2^31) / 2^(31 + rs)).
struct QRequant {
  int64_t channels = 0;        // padded to a multiple of 16
  std::vector<int32_t> mult;   // per channel
  std::vector<int32_t> left;   // per channel
  std::vector<int64_t> round;  // per block of 16: the 8 even channels, then the 8 odd ones
  std::vector<int64_t> shift;  // same layout
  // mult[c + 1] at even c: the odd channels' multipliers in the low halves
  // of 64-bit lanes, as VPMULDQ reads them.
  std::vector<int32_t> multOdd;
  // When every shift is at least 32 (right shift >= 1): per block the odd
  // channels' shift - 32, so one arithmetic shift leaves their results in
  // the high halves of the lanes, where the blend takes them.
  std::vector<int64_t> oddShift;
  bool oddDirect = false;
  bool anyLeft = false;
  int32_t zeroPoint = 0, lo = -128, hi = 127;
};

// False when the requantizer's rounding is not one of the two above.
bool makeQRequant(const qk::Requantizer& rq, int64_t channels, QRequant* out);

// int8 output: out[r][c] = requant(acc[r][c] + colOffset[c]), with
// colOffset = bias - (128 + za) * sums (int32, padded to blocks * 16).
struct Int8Epilogue {
  const int32_t* colOffset = nullptr;
  const QRequant* rq = nullptr;
  int8_t* out = nullptr;
  int64_t ldc = 0;
};

// float output (hybrid): fa = float(acc' - rowK[r] * sums[c]) (acc' the
// unsigned-activation sum, rowK = 128 + the row's zero point), then
//   v = fa * (wScale ? wScale[c] * rowScale[r] : rowScale[r]); v += bias[c];
//   out = min(max(v, lo), hi)
// in that order, each a float operation: the reference's arithmetic.
struct FloatEpilogue {
  const int32_t* rowK = nullptr;      // per row: element row * rowStep
  const float* rowScale = nullptr;    // per row: element row * rowStep
  int64_t rowStep = 1;                // 0: one value for every row
  const float* wScale = nullptr;      // per channel, or nullptr
  const float* bias = nullptr;        // per channel, or nullptr
  float lo = 0.f, hi = 0.f;
  float* out = nullptr;
  int64_t ldc = 0;
};

// Activation rows for the GEMM: m rows of kPadded bytes (a ^ 0x80; the
// padding past k may hold anything, its weights are zero).
// Copies n int8 values flipping their sign bit (x + 128 as uint8).
void copyFlip(uint8_t* dst, const int8_t* src, int64_t n);

// The geometry of a convolution's im2col rows.
struct PatchGeom {
  int64_t inH = 0, inW = 0, inC = 0, outW = 0;
  int64_t filterH = 0, filterW = 0, strideH = 1, strideW = 1;
  int64_t dilationH = 1, dilationW = 1, padH = 0, padW = 0;
};

// Fills GEMM rows [row0, row0 + rows) of one image: the im2col patch of
// each output pixel, [ky][kx][ic] as the weights, sign-flipped, taps
// outside the input at the zero point (they then add nothing).
void packPatches(const PatchGeom& g, const int8_t* in, int32_t zeroPoint, int64_t row0, int64_t rows,
                 int64_t kPadded, uint8_t* a);

// Int8Epilogue::colOffset for an optional int32 bias and the activations'
// zero point.
std::vector<int32_t> int8ColumnOffsets(const QPackedWeights& w, const int32_t* bias, int32_t zeroPoint);

// out rows [row0, row0 + m): the epilogue indexes rows from row0 (its
// out pointer is for row 0 of the whole output). These, copyFlip and
// packPatches run the implementation of w.isa (cpuFeatures().best).
void qgemmInt8(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin,
               int64_t blockEnd, const Int8Epilogue& e, int64_t row0);
void qgemmFloat(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin,
                int64_t blockEnd, const FloatEpilogue& e, int64_t row0);

// --- depthwise ------------------------------------------------------------

// Depthwise weights [kh * kw][c] widened to int32, channels padded to 16;
// for AVX2 also as int16 pairs of taps (2q, 2q + 1) per channel, for
// VPMADDWD: element (q * channelsPadded + c) * 2 + t % 2 (zero for the
// missing partner of an odd last tap).
struct QDepthwiseWeights {
  int64_t taps = 0, channels = 0, channelsPadded = 0;
  std::vector<int32_t> w;     // [taps][channelsPadded]
  std::vector<int32_t> sums;  // [channelsPadded]: sum over the taps
  std::vector<int16_t> pairs;  // [(taps + 1) / 2][channelsPadded][2] (AVX2 only)
  size_t bytes() const { return (w.size() + sums.size()) * sizeof(int32_t) + pairs.size() * sizeof(int16_t); }
};

std::shared_ptr<const QDepthwiseWeights> packQDepthwise(const int8_t* w, int64_t taps, int64_t channels);

struct DepthwiseGeom {
  int64_t inH = 0, inW = 0, channels = 0;
  int64_t outH = 0, outW = 0;
  int64_t filterH = 0, filterW = 0;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t padH = 0, padW = 0;
};

// One image, output rows [rowBegin, rowEnd): acc = sum over the taps inside
// the input of (x - zeroPoint) * w.
//  int8: out = requant(acc + bias[c]) (bias int32 or nullptr)
void depthwiseInt8(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint,
                   const QDepthwiseWeights& w, const int32_t* bias, const QRequant& rq, int8_t* out,
                   int64_t rowBegin, int64_t rowEnd);
//  hybrid: fa = float(acc); v = c < (channels & ~3) ? fa * wScale[c] * inScale
//  : fa * inScale * wScale[c]; v += bias[c]; clamp (TFLite's store loop).
void depthwiseFloat(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint,
                    const QDepthwiseWeights& w, const float* wScale, float inScale,
                    const float* bias, float lo, float hi, float* out, int64_t rowBegin,
                    int64_t rowEnd);

// The implementations behind the calls above, per instruction set.
void copyFlipAvx512(uint8_t* dst, const int8_t* src, int64_t n);
void copyFlipAvx2(uint8_t* dst, const int8_t* src, int64_t n);
void packPatchesAvx512(const PatchGeom& g, const int8_t* in, int32_t zeroPoint, int64_t row0, int64_t rows,
                       int64_t kPadded, uint8_t* a);
void packPatchesAvx2(const PatchGeom& g, const int8_t* in, int32_t zeroPoint, int64_t row0, int64_t rows,
                     int64_t kPadded, uint8_t* a);
void qgemmInt8Avx512(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin,
                     int64_t blockEnd, const Int8Epilogue& e, int64_t row0);
void qgemmInt8Avx2(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin,
                   int64_t blockEnd, const Int8Epilogue& e, int64_t row0);
void qgemmFloatAvx512(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin,
                      int64_t blockEnd, const FloatEpilogue& e, int64_t row0);
void qgemmFloatAvx2(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin,
                    int64_t blockEnd, const FloatEpilogue& e, int64_t row0);
void depthwiseInt8Avx512(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint,
                         const QDepthwiseWeights& w, const int32_t* bias, const QRequant& rq, int8_t* out,
                         int64_t rowBegin, int64_t rowEnd);
void depthwiseInt8Avx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint,
                       const QDepthwiseWeights& w, const int32_t* bias, const QRequant& rq, int8_t* out,
                       int64_t rowBegin, int64_t rowEnd);
void depthwiseFloatAvx2(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint,
                        const QDepthwiseWeights& w, const float* wScale, float inScale,
                        const float* bias, float lo, float hi, float* out, int64_t rowBegin,
                        int64_t rowEnd);
void depthwiseFloatAvx512(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint,
                          const QDepthwiseWeights& w, const float* wScale, float inScale,
                          const float* bias, float lo, float hi, float* out, int64_t rowBegin,
                          int64_t rowEnd);

// Runs fn(task) for task in [0, tasks) on the pthreadpool (nullptr: here).
void parallelFor(void* threadPool, int64_t tasks, void (*fn)(void*, size_t), void* context);
// Threads of the pool (1 without one).
int64_t poolThreads(void* threadPool);

}  // namespace inferd::engine::kernels::opt
