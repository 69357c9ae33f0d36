// An AVX2/FMA float GEMM for pointwise (1x1, stride 1) CONV_2D on CPUs with
// AVX2 but without AVX-512: 6 rows x 16 output channels per micro-tile,
// the weights packed once per node in blocks of 16 channels. Debian's
// XNNPACK (a 2022 snapshot) reaches about 35 GFLOP/s on such layers on an
// AVX2 Zen 3 core, a third of the FMA peak.
//
// Each output starts from its bias and adds the input channels in order
// with one FMA each, then clamps with max then min: the arithmetic of
// XNNPACK's broadcast GEMM kernels, so the bytes equal XNNPACK's.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

namespace inferd::engine::kernels::simd {

class PointwiseF32 {
 public:
  // Whether this CPU takes this kernel (AVX2 and FMA, no AVX-512: there the
  // XNNPACK and AVX-512 paths stay as measured).
  static bool supported();

  // Packs filter [n][k] (row = output channel) and the optional bias [n].
  PointwiseF32(int64_t k, int64_t n, const float* filter, const float* bias);

  // out[m][n] = clamp(bias + in[m][k] . filter[n][k], lo, hi); row tiles
  // over `pool` (nullptr: the calling thread).
  void run(const float* in, float* out, int64_t m, float lo, float hi, pthreadpool_t pool) const;

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }

 private:
  int64_t k_ = 0, n_ = 0, blocks_ = 0;
  std::vector<float> packed_;  // per block of 16 channels: 16 biases, then [k][16] weights
};

}  // namespace inferd::engine::kernels::simd
