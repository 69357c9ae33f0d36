// Portable parts of the fast int8 kernels (qgemm.h): weight packing,
// requantization tables and the thread-pool helper. The AVX-512 code is in
// qgemm_avx512.cpp.
#include "qgemm.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace inferd::engine::kernels::opt {

void AlignedBytes::allocate(size_t bytes) {
  const size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  ptr.reset(static_cast<uint8_t*>(p));
  size = rounded;
}

std::shared_ptr<const QPackedWeights> packQWeights(const int8_t* w, int64_t n, int64_t k) {
  auto p = std::make_shared<QPackedWeights>();
  p->isa = cpuFeatures().best == Isa::kAvx512Vnni ? Isa::kAvx512Vnni : Isa::kAvx2;
  const bool wide = p->isa == Isa::kAvx2;
  p->n = n;
  p->k = k;
  p->kPadded = roundUp(k, kGroupK);
  p->blocks = (n + kBlockN - 1) / kBlockN;
  const int64_t steps = p->kPadded / kGroupK;
  p->data.allocate(static_cast<size_t>(p->blocks * steps * 64 * (wide ? 2 : 1)));
  p->sums.assign(static_cast<size_t>(p->blocks * kBlockN), 0);
  auto* dst = reinterpret_cast<int8_t*>(p->data.data());
  auto* dst16 = reinterpret_cast<int16_t*>(p->data.data());
  for (int64_t c = 0; c < n; ++c) {
    const int8_t* row = w + c * k;
    const int64_t b = c / kBlockN, j = c % kBlockN;
    int32_t sum = 0;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t step = b * steps + i / kGroupK, q = i % kGroupK;
      if (wide) {
        dst16[step * 64 + 32 * (q % 2) + 2 * j + q / 2] = row[i];
      } else {
        dst[step * 64 + j * kGroupK + q] = row[i];
      }
      sum += row[i];
    }
    p->sums[static_cast<size_t>(c)] = sum;
  }
  return p;
}

std::vector<int32_t> int8ColumnOffsets(const QPackedWeights& w, const int32_t* bias, int32_t zeroPoint) {
  std::vector<int32_t> offsets(w.sums.size(), 0);
  for (int64_t c = 0; c < w.n; ++c) {
    const size_t i = static_cast<size_t>(c);
    // In int64, wrapped to int32 like the accumulators it starts (a damaged
    // model's bias near INT32_MIN must not be undefined behaviour).
    const int64_t v = int64_t{bias != nullptr ? bias[c] : 0} - int64_t{128 + zeroPoint} * w.sums[i];
    offsets[i] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
  }
  return offsets;
}

bool makeQRequant(const qk::Requantizer& rq, int64_t channels, QRequant* out) {
  if (rq.rounding != quant::Rounding::kUp && rq.rounding != quant::Rounding::kShiftUp) return false;
  if (rq.multipliers.empty()) return false;
  const int64_t padded = roundUp(std::max<int64_t>(channels, 1), kBlockN);
  out->channels = padded;
  out->mult.assign(static_cast<size_t>(padded), 0);
  out->left.assign(static_cast<size_t>(padded), 0);
  out->round.assign(static_cast<size_t>(padded), int64_t{1} << 30);
  out->shift.assign(static_cast<size_t>(padded), 31);
  out->anyLeft = false;
  out->oddDirect = true;
  for (int64_t c = 0; c < channels; ++c) {
    const quant::Multiplier m = rq.multipliers[rq.multipliers.size() == 1 ? 0 : static_cast<size_t>(c)];
    const int left = m.shift > 0 ? m.shift : 0;
    const int right = m.shift > 0 ? 0 : -m.shift;
    if (right > 31 || left > 31) return false;
    const size_t i = static_cast<size_t>(c);
    out->mult[i] = m.value;
    out->left[i] = left;
    out->anyLeft = out->anyLeft || left != 0;
    // Even channels of a block first, then the odd ones (64-bit lanes).
    const size_t lane = static_cast<size_t>((c / kBlockN) * kBlockN + (c % 2) * 8 + (c % kBlockN) / 2);
    out->round[lane] = (int64_t{1} << 30) + (right > 0 ? (int64_t{1} << (30 + right)) : 0);
    out->shift[lane] = 31 + right;
    out->oddDirect = out->oddDirect && right >= 1;
  }
  out->multOdd.assign(static_cast<size_t>(padded), 0);
  for (int64_t c = 0; c + 1 < padded; c += 2) out->multOdd[static_cast<size_t>(c)] = out->mult[static_cast<size_t>(c + 1)];
  out->oddShift.assign(static_cast<size_t>(padded / 2), 0);
  for (int64_t b = 0; b < padded / kBlockN; ++b) {
    for (int64_t i = 0; i < 8; ++i) {
      // Padding lanes keep shift 31; their results are never stored.
      out->oddShift[static_cast<size_t>(b * 8 + i)] =
          std::max<int64_t>(out->shift[static_cast<size_t>(b * kBlockN + 8 + i)] - 32, 0);
    }
  }
  out->zeroPoint = rq.outZeroPoint;
  out->lo = rq.clamp.min;
  out->hi = rq.clamp.max;
  return true;
}

std::shared_ptr<const QDepthwiseWeights> packQDepthwise(const int8_t* w, int64_t taps, int64_t channels) {
  auto p = std::make_shared<QDepthwiseWeights>();
  p->taps = taps;
  p->channels = channels;
  p->channelsPadded = roundUp(channels, kBlockN);
  p->w.assign(static_cast<size_t>(taps * p->channelsPadded), 0);
  p->sums.assign(static_cast<size_t>(p->channelsPadded), 0);
  for (int64_t t = 0; t < taps; ++t) {
    for (int64_t c = 0; c < channels; ++c) {
      p->w[static_cast<size_t>(t * p->channelsPadded + c)] = w[t * channels + c];
      p->sums[static_cast<size_t>(c)] += w[t * channels + c];
    }
  }
  if (cpuFeatures().best == Isa::kAvx2) {
    p->pairs.assign(static_cast<size_t>((taps + 1) / 2 * p->channelsPadded * 2), 0);
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t c = 0; c < channels; ++c) {
        p->pairs[static_cast<size_t>(((t / 2) * p->channelsPadded + c) * 2 + t % 2)] = w[t * channels + c];
      }
    }
  }
  return p;
}

void copyFlip(uint8_t* dst, const int8_t* src, int64_t n) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    copyFlipAvx512(dst, src, n);
  } else {
    copyFlipAvx2(dst, src, n);
  }
}

void packPatches(const PatchGeom& g, const int8_t* in, int32_t zeroPoint, int64_t row0, int64_t rows,
                 int64_t kPadded, uint8_t* a) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    packPatchesAvx512(g, in, zeroPoint, row0, rows, kPadded, a);
  } else {
    packPatchesAvx2(g, in, zeroPoint, row0, rows, kPadded, a);
  }
}

void qgemmInt8(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
               const Int8Epilogue& e, int64_t row0) {
  if (w.isa == Isa::kAvx512Vnni) {
    qgemmInt8Avx512(a, m, w, blockBegin, blockEnd, e, row0);
  } else {
    qgemmInt8Avx2(a, m, w, blockBegin, blockEnd, e, row0);
  }
}

void qgemmFloat(const uint8_t* a, int64_t m, const QPackedWeights& w, int64_t blockBegin, int64_t blockEnd,
                const FloatEpilogue& e, int64_t row0) {
  if (w.isa == Isa::kAvx512Vnni) {
    qgemmFloatAvx512(a, m, w, blockBegin, blockEnd, e, row0);
  } else {
    qgemmFloatAvx2(a, m, w, blockBegin, blockEnd, e, row0);
  }
}

void depthwiseInt8(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                   const int32_t* bias, const QRequant& rq, int8_t* out, int64_t rowBegin, int64_t rowEnd) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    depthwiseInt8Avx512(g, in, zeroPoint, w, bias, rq, out, rowBegin, rowEnd);
  } else {
    depthwiseInt8Avx2(g, in, zeroPoint, w, bias, rq, out, rowBegin, rowEnd);
  }
}

void depthwiseFloat(const DepthwiseGeom& g, const int8_t* in, int32_t zeroPoint, const QDepthwiseWeights& w,
                    const float* wScale, float inScale, const float* bias, float lo, float hi, float* out,
                    int64_t rowBegin, int64_t rowEnd) {
  if (cpuFeatures().best == Isa::kAvx512Vnni) {
    depthwiseFloatAvx512(g, in, zeroPoint, w, wScale, inScale, bias, lo, hi, out, rowBegin, rowEnd);
  } else {
    depthwiseFloatAvx2(g, in, zeroPoint, w, wScale, inScale, bias, lo, hi, out, rowBegin, rowEnd);
  }
}

void parallelFor(void* threadPool, int64_t tasks, void (*fn)(void*, size_t), void* context) {
  if (tasks <= 0) return;
  if (threadPool == nullptr || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(context, static_cast<size_t>(t));
    return;
  }
  pthreadpool_parallelize_1d(static_cast<pthreadpool_t>(threadPool), fn, context,
                             static_cast<size_t>(tasks), 0);
}

int64_t poolThreads(void* threadPool) {
  if (threadPool == nullptr) return 1;
  return static_cast<int64_t>(pthreadpool_get_threads_count(static_cast<pthreadpool_t>(threadPool)));
}

}  // namespace inferd::engine::kernels::opt
