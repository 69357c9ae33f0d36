// Element-wise float functions for fused ops (see elementwise_f32.h).
#include "elementwise_f32.h"

#include <algorithm>
#include <cmath>

#include "avx512_math.h"
#include "dispatch.h"

namespace inferd::engine::kernels::simd {
namespace {

constexpr int64_t kChunk = 16 * 1024;  // floats per pool task

struct Job {
  const float* x;
  float* y;
  int64_t n;
  PostOp op;
  bool avx512;
};

INFERD_AVX512_BEGIN
void runAvx512(const Job& j, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) _mm512_storeu_ps(j.y + i, avx512::apply(j.op, _mm512_loadu_ps(j.x + i)));
  if (i < end) {
    const auto m = static_cast<__mmask16>((1u << (end - i)) - 1);
    _mm512_mask_storeu_ps(j.y + i, m, avx512::apply(j.op, _mm512_maskz_loadu_ps(m, j.x + i)));
  }
}
INFERD_AVX512_END

void runPortable(const Job& j, int64_t begin, int64_t end) {
  switch (j.op) {
    case PostOp::kSwish:
      for (int64_t i = begin; i < end; ++i) j.y[i] = swishReference(j.x[i]);
      break;
    case PostOp::kHardSwish:
      for (int64_t i = begin; i < end; ++i) j.y[i] = hardSwishReference(j.x[i]);
      break;
    case PostOp::kNone:
      if (j.x != j.y) std::copy(j.x + begin, j.x + end, j.y + begin);
      break;
  }
}

void runChunk(void* arg, size_t chunk) {
  const Job& j = *static_cast<const Job*>(arg);
  const int64_t begin = static_cast<int64_t>(chunk) * kChunk;
  const int64_t end = std::min(j.n, begin + kChunk);
  if (j.avx512) {
    runAvx512(j, begin, end);
  } else {
    runPortable(j, begin, end);
  }
}

void run(const Job& j, pthreadpool_t pool) {
  if (j.n <= 0) return;
  const auto chunks = static_cast<size_t>((j.n + kChunk - 1) / kChunk);
  pthreadpool_parallelize_1d(chunks > 1 ? pool : nullptr, runChunk, const_cast<Job*>(&j), chunks, 0);
}

}  // namespace

float swishReference(float x) {
  // TFLite's reference LOGISTIC cut-offs (see activations.cpp), then x * s.
  float s;
  if (x > 16.619047164916992188f) {
    s = 1.f;
  } else if (x < -9.f) {
    s = std::exp(x);
  } else {
    s = 1.f / (1.f + std::exp(-x));
  }
  return x * s;
}

float hardSwishReference(float x) { return x * std::min(6.f, std::max(0.f, x + 3.f)) / 6.f; }

void swishF32(const float* x, float* y, int64_t n, pthreadpool_t pool) {
  run(Job{x, y, n, PostOp::kSwish, hasAvx512()}, pool);
}

void applyPostOpF32(PostOp op, float* data, int64_t n, pthreadpool_t pool) {
  if (op == PostOp::kNone) return;
  run(Job{data, data, n, op, hasAvx512()}, pool);
}

}  // namespace inferd::engine::kernels::simd
