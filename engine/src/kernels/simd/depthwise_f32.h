// An AVX-512 (or, on CPUs without it, AVX2) float DEPTHWISE_CONV_2D (NHWC, depth multiplier 1, no
// dilation, filter widths 3, 5 and 7, horizontal stride 1 or 2) that keeps a
// strip of output pixels in registers and loads each input pixel once for
// all the taps of the strip that use it, instead of once per tap as
// XNNPACK's per-pixel kernels do (they load an input and a weight vector
// for every multiply-add).
//
// Each output sums bias first, then the taps column-major (filter column
// by filter column, top to bottom in each) with one FMA each, the order of
// XNNPACK's unipass kernels, so the results equal XNNPACK's bit for bit;
// taps that fall into the padding are skipped (XNNPACK adds 0 * w for them,
// the same value).
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <memory>

#include "graph_fusion.h"

namespace inferd::engine::kernels::simd {

struct DepthwiseGeometry {
  int64_t batches = 0, inH = 0, inW = 0, channels = 0, outH = 0, outW = 0;
  int32_t kernelH = 0, kernelW = 0, strideH = 1, strideW = 1;
  int64_t padTop = 0, padLeft = 0;  // leading padding; the trailing one follows from the output size
};

// What the kernel applies to each sum before it stores it.
struct OutputOp {
  float min = -__builtin_inff(), max = __builtin_inff();  // clamp (fused RELU family)
  PostOp post = PostOp::kNone;                            // then this
};

class DepthwiseF32 {
 public:
  // Whether this CPU and geometry have a kernel here (multiplier 1 and no
  // dilation are the caller's to check).
  static bool supports(const DepthwiseGeometry& g);

  // Packs filter [1, kh, kw, C] and the optional bias [C] for `g`.
  DepthwiseF32(const DepthwiseGeometry& g, const float* filter, const float* bias);

  // in: [batches, inH, inW, C], out: [batches, outH, outW, C]; rows of the
  // output are spread over `pool` (nullptr: the calling thread).
  void run(const float* in, float* out, const OutputOp& op, pthreadpool_t pool) const;

  // Multiply-adds of one run (to decide whether threads pay off).
  int64_t macs() const;

 private:
  DepthwiseGeometry g_;
  int64_t blocks_ = 0;  // channel blocks of 16 (AVX-512) or 8 (AVX2)
  void (*fn_)() = nullptr;  // the row function chosen for this CPU (a RowFn)
  std::unique_ptr<float[], void (*)(float*)> packed_{nullptr, nullptr};
};

}  // namespace inferd::engine::kernels::simd
