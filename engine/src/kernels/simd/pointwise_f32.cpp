// The AVX2/FMA pointwise GEMM (see pointwise_f32.h).
#include "pointwise_f32.h"

#include <immintrin.h>

#include <algorithm>

#include "dispatch.h"
#include "../target_region.h"

namespace inferd::engine::kernels::simd {
namespace {

constexpr int64_t kBlock = 16;  // output channels per block
constexpr int kRows = 6;        // rows per micro-tile: 12 accumulators

struct Job {
  const PointwiseF32* self;
  const float* packed;
  const float* in;
  float* out;
  int64_t m, k, n, blocks, tiles, tasks;
  float lo, hi;
};

INFERD_TARGET_BEGIN("avx2,fma")

// Stores the first `valid` (<= 8 NV) lanes of NV vectors.
template <int NV>
inline void store(float* dst, const __m256 (&v)[NV], int64_t valid) {
  if (valid >= 8 * NV) {
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) _mm256_storeu_ps(dst + 8 * q, v[q]);
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i count = _mm256_set1_epi32(static_cast<int32_t>(valid));
#pragma GCC unroll 2
  for (int q = 0; q < NV; ++q) {
    _mm256_maskstore_ps(dst + 8 * q, _mm256_cmpgt_epi32(count, _mm256_add_epi32(lane, _mm256_set1_epi32(8 * q))),
                        v[q]);
  }
}

// MR rows x 8 NV channels of one block (NV = 1: a last block of at most 8
// channels, which then costs half).
template <int MR, int NV>
void microKernel(const float* a, int64_t lda, const float* block, int64_t k, float* c, int64_t ldc, int64_t valid,
                 float lo, float hi) {
  __m256 acc[MR][NV];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_loadu_ps(block + 8 * q);
  }
  const float* w = block + kBlock;
  for (int64_t kk = 0; kk < k; ++kk, w += kBlock) {
    __m256 wv[NV];
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) wv[q] = _mm256_loadu_ps(w + 8 * q);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
#pragma GCC unroll 2
      for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_fmadd_ps(av, wv[q], acc[r][q]);
    }
  }
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_min_ps(_mm256_max_ps(acc[r][q], vlo), vhi);
    store<NV>(c + r * ldc, acc[r], valid);
  }
}

using KernelFn = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, float, float);
constexpr KernelFn kKernels[2][kRows] = {
    {&microKernel<1, 1>, &microKernel<2, 1>, &microKernel<3, 1>, &microKernel<4, 1>, &microKernel<5, 1>,
     &microKernel<6, 1>},
    {&microKernel<1, 2>, &microKernel<2, 2>, &microKernel<3, 2>, &microKernel<4, 2>, &microKernel<5, 2>,
     &microKernel<6, 2>}};

// Row tiles [t0, t1) of micro-tiles; per tile every channel block, so the
// tile's rows of the input stay in L1 while the weights stream from L2.
void runTiles(const Job& j, int64_t t0, int64_t t1) {
  const int64_t blockFloats = kBlock + j.k * kBlock;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t r0 = t * kRows;
    const int rows = static_cast<int>(std::min<int64_t>(kRows, j.m - r0));
    for (int64_t b = 0; b < j.blocks; ++b) {
      const int wide = j.n - b * kBlock > 8 ? 1 : 0;
      kKernels[wide][rows - 1](j.in + r0 * j.k, j.k, j.packed + b * blockFloats, j.k, j.out + r0 * j.n + b * kBlock, j.n,
                         j.n - b * kBlock, j.lo, j.hi);
    }
  }
}

INFERD_TARGET_END

void runTask(void* arg, size_t task) {
  const Job& j = *static_cast<const Job*>(arg);
  const auto t = static_cast<int64_t>(task);
  runTiles(j, j.tiles * t / j.tasks, j.tiles * (t + 1) / j.tasks);
}

}  // namespace

bool PointwiseF32::supported() { return hasAvx2() && !hasAvx512(); }

PointwiseF32::PointwiseF32(int64_t k, int64_t n, const float* filter, const float* bias)
    : k_(k), n_(n), blocks_((n + kBlock - 1) / kBlock) {
  const int64_t blockFloats = kBlock + k * kBlock;
  packed_.assign(static_cast<size_t>(blocks_ * blockFloats), 0.f);
  for (int64_t c = 0; c < n; ++c) {
    float* block = packed_.data() + (c / kBlock) * blockFloats;
    const int64_t j = c % kBlock;
    block[j] = bias != nullptr ? bias[c] : 0.f;
    for (int64_t kk = 0; kk < k; ++kk) block[kBlock + kk * kBlock + j] = filter[c * k + kk];
  }
  countKernel();
}

void PointwiseF32::run(const float* in, float* out, int64_t m, float lo, float hi, pthreadpool_t pool) const {
  if (m <= 0) return;
  const int64_t tiles = (m + kRows - 1) / kRows;
  const int64_t threads = pool != nullptr ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
  Job j{this, packed_.data(), in, out, m, k_, n_, blocks_, tiles, std::min(tiles, threads), lo, hi};
  if (j.tasks <= 1) {
    runTiles(j, 0, tiles);
    return;
  }
  pthreadpool_parallelize_1d(pool, runTask, &j, static_cast<size_t>(j.tasks), 0);
}

}  // namespace inferd::engine::kernels::simd
