// Out-of-line parts of the shared kernel helpers (kernel_util.h): numpy
// broadcasting of two shapes and the strides used to walk a broadcast.
#include "kernel_util.h"

namespace inferd::engine::kernels {

Status broadcastShape(const OpContext& ctx, const Dims& a, const Dims& b, Dims* out) {
  const size_t rank = std::max(a.size(), b.size());
  // BroadcastIndexer walks at most kMaxBroadcastRank dims; callers with equal
  // shapes of a higher rank should take their own fast path before this.
  if (rank > static_cast<size_t>(kMaxBroadcastRank)) {
    return ctx.unsupported("broadcasting {} and {} needs rank {}, at most {} is supported",
                           dimsToString(a), dimsToString(b), rank, kMaxBroadcastRank);
  }
  Dims result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; missing leading dims count as 1.
    const int32_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int32_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    int32_t d;
    if (da == db || db == 1) {
      d = da;
    } else if (da == 1) {
      d = db;
    } else {
      return ctx.error("shapes {} and {} cannot be broadcast (dimension {} is {} vs {})",
                       dimsToString(a), dimsToString(b), rank - 1 - i, da, db);
    }
    if (d < 0) {
      return ctx.error("shapes {} and {} have a negative dimension", dimsToString(a),
                       dimsToString(b));
    }
    result[rank - 1 - i] = d;
  }
  *out = std::move(result);
  return Status::ok();
}

namespace {

// Pads `dims` to kMaxBroadcastRank with leading 1s. Shapes are expected to
// have passed broadcastShape (rank <= kMaxBroadcastRank); a longer shape has
// its extra leading dims folded into the first one so nothing is indexed out
// of the fixed-size arrays.
void padDims(const Dims& dims, int32_t* padded) {
  for (int i = 0; i < kMaxBroadcastRank; ++i) padded[i] = 1;
  const int n = static_cast<int>(dims.size());
  if (n <= kMaxBroadcastRank) {
    for (int i = 0; i < n; ++i) padded[kMaxBroadcastRank - n + i] = dims[static_cast<size_t>(i)];
    return;
  }
  for (int i = 0; i <= n - kMaxBroadcastRank; ++i) padded[0] *= dims[static_cast<size_t>(i)];
  for (int k = 1; k < kMaxBroadcastRank; ++k) {
    padded[k] = dims[static_cast<size_t>(n - kMaxBroadcastRank + k)];
  }
}

// Row-major strides of `in` over the padded output, 0 where `in` is broadcast.
void broadcastStrides(const Dims& in, const int32_t* outPadded, int64_t* strides) {
  int32_t padded[kMaxBroadcastRank];
  padDims(in, padded);
  int64_t stride = 1;
  for (int k = kMaxBroadcastRank - 1; k >= 0; --k) {
    strides[k] = (padded[k] == 1 && outPadded[k] != 1) ? 0 : stride;
    stride *= padded[k];
  }
}

}  // namespace

BroadcastIndexer::BroadcastIndexer(const Dims& a, const Dims& b, const Dims& out) {
  padDims(out, outDims);
  broadcastStrides(a, outDims, strideA);
  broadcastStrides(b, outDims, strideB);
}

}  // namespace inferd::engine::kernels
