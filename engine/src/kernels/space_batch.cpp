// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND over M spatial dimensions (input
// [batch, spatial..., rest...]), following TensorFlow Lite's reference
// kernels: the block offset of a batch entry is (batch index / input batch)
// taken row-major over block_shape. Elements move as bytes; padding is 0
// (the zero point for quantized INT8/UINT8 tensors).
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "array_util.h"
#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

// Geometry shared by both directions: "big" is the batch-major tensor with
// spatial size small * block, "space" the other side.
struct SpaceBatchGeometry {
  int m = 0;                      // spatial dimensions
  int64_t block[kArrayMaxRank] = {};
  int64_t before[kArrayMaxRank] = {};  // paddings (S2B) or crops (B2S) before
  int64_t after[kArrayMaxRank] = {};
};

// Reads block_shape (input 1) and paddings/crops (input 2) for `in`.
Status readGeometry(OpContext& ctx, const char* what, SpaceBatchGeometry* g) {
  const Tensor* in = ctx.input(0);
  const Tensor* block = ctx.input(1);
  const Tensor* pads = ctx.input(2);
  if (block->rank() != 1) return ctx.error("block_shape must be 1-D, has shape {}", dimsToString(block->dims));
  const int m = block->dim(0);
  if (m < 1 || m > in->rank() - 1 || m >= kArrayMaxRank) {
    return ctx.error("block_shape has {} entries; input {} allows 1 to {}", m, dimsToString(in->dims), in->rank() - 1);
  }
  if (pads->rank() != 2 || pads->dim(0) != m || pads->dim(1) != 2) {
    return ctx.error("{} must have shape [{}, 2], has shape {}", what, m, dimsToString(pads->dims));
  }
  g->m = m;
  for (int i = 0; i < m; ++i) {
    g->block[i] = readInt(block, i);
    g->before[i] = readInt(pads, 2 * i);
    g->after[i] = readInt(pads, 2 * i + 1);
    if (g->block[i] < 1) return ctx.error("block_shape[{}] = {} must be >= 1", i, g->block[i]);
    if (g->before[i] < 0 || g->after[i] < 0) {
      return ctx.error("{} [{}, {}] for spatial dimension {} must not be negative", what, g->before[i], g->after[i], i);
    }
  }
  return Status::ok();
}

template <bool ToBatch>
Status outputDims(OpContext& ctx, SpaceBatchGeometry* g, Dims* outDims) {
  INFERD_RETURN_IF_ERROR(readGeometry(ctx, ToBatch ? "paddings" : "crops", g));
  const Tensor* in = ctx.input(0);
  Dims d = in->dims;
  int64_t blocks = 1;
  for (int i = 0; i < g->m; ++i) blocks *= g->block[i];
  for (int i = 0; i < g->m; ++i) {
    const int64_t s = in->dim(1 + i);
    int64_t o;
    if constexpr (ToBatch) {
      const int64_t padded = s + g->before[i] + g->after[i];
      if (padded % g->block[i] != 0) {
        return ctx.error("padded spatial dimension {} ({}) is not a multiple of block_shape[{}] = {}", i, padded, i,
                         g->block[i]);
      }
      o = padded / g->block[i];
    } else {
      o = s * g->block[i] - g->before[i] - g->after[i];
      if (o < 0) return ctx.error("crops [{}, {}] remove more than spatial dimension {} ({})", g->before[i],
                                  g->after[i], i, s * g->block[i]);
    }
    if (o > std::numeric_limits<int32_t>::max()) return ctx.error("spatial dimension {} is too large", i);
    d[static_cast<size_t>(1 + i)] = static_cast<int32_t>(o);
  }
  if constexpr (ToBatch) {
    const int64_t b = in->dim(0) * blocks;
    if (b > std::numeric_limits<int32_t>::max()) return ctx.error("output batch {} is too large", b);
    d[0] = static_cast<int32_t>(b);
  } else {
    if (in->dim(0) % blocks != 0) {
      return ctx.error("input batch {} is not a multiple of the block size {}", in->dim(0), blocks);
    }
    d[0] = static_cast<int32_t>(in->dim(0) / blocks);
  }
  *outDims = std::move(d);
  return Status::ok();
}

struct SpaceBatchState : KernelState {
  SpaceBatchGeometry g;
};

template <bool ToBatch>
Status prepareSpaceBatch(OpContext& ctx) {
  const Tensor* in = nullptr;
  const Tensor* block = nullptr;
  const Tensor* pads = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &block));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 2, &pads));
  INFERD_RETURN_IF_ERROR(checkFixedSize(ctx, in, "input"));
  INFERD_RETURN_IF_ERROR(checkMaxRankOf(ctx, in, kArrayMaxRank, "input"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, block, "block_shape"));
  INFERD_RETURN_IF_ERROR(checkIntTensor(ctx, pads, ToBatch ? "paddings" : "crops"));
  INFERD_RETURN_IF_ERROR(checkOutputTypeIs(ctx, 0, in->type));
  if (in->rank() < 2) return ctx.error("input must have rank >= 2, has shape {}", dimsToString(in->dims));
  auto state = std::make_unique<SpaceBatchState>();
  if (!block->isConstant || !pads->isConstant) {
    ctx.markOutputDynamic(0);
    ctx.setState(std::move(state));
    return Status::ok();
  }
  Dims outDims;
  INFERD_RETURN_IF_ERROR(outputDims<ToBatch>(ctx, &state->g, &outDims));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
  ctx.setState(std::move(state));
  return Status::ok();
}

template <bool ToBatch>
Status evalSpaceBatch(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  SpaceBatchGeometry local;
  const SpaceBatchGeometry* g = &ctx.state<SpaceBatchState>()->g;
  if (out->isDynamic) {
    Dims outDims;
    INFERD_RETURN_IF_ERROR(outputDims<ToBatch>(ctx, &local, &outDims));
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));
    g = &local;
  }
  const size_t esize = elementSize(in->type);
  // "big" walks the batch-major side (the output of S2B, the input of B2S).
  const Tensor* big = ToBatch ? out : in;
  const Tensor* space = ToBatch ? in : out;
  const int m = g->m;
  const int rank = in->rank();
  const size_t restBytes = static_cast<size_t>(productOf(in->dims, 1 + m, rank)) * esize;
  const int64_t spaceBatch = space->dim(0);
  int64_t spaceStride[kArrayMaxRank];  // element strides of the space side's spatial dims, in rest units
  int64_t st = 1;
  for (int i = m - 1; i >= 0; --i) {
    spaceStride[i] = st;
    st *= space->dim(1 + i);
  }
  const int64_t spacePerBatch = st;
  if (ToBatch) {
    // Fill with the padding value first; the copies below overwrite the rest.
    const QuantParams& q = out->quant();
    const bool quantized = (out->type == ElementType::kInt8 || out->type == ElementType::kUInt8) && !q.empty();
    const int64_t zp = quantized && !q.zeroPoint.empty() ? q.zeroPoint[0] : 0;
    if (out->bytes > 0) std::memset(out->data, static_cast<int>(static_cast<uint8_t>(zp)), out->bytes);
  }
  int64_t bigSpatial = 1;
  for (int i = 0; i < m; ++i) bigSpatial *= big->dim(1 + i);
  for (int64_t bb = 0; bb < big->dim(0); ++bb) {
    const int64_t sb = bb % spaceBatch;
    int64_t offset = bb / spaceBatch;
    int64_t off[kArrayMaxRank];
    for (int i = m - 1; i >= 0; --i) {
      off[i] = offset % g->block[i];
      offset /= g->block[i];
    }
    int64_t pos[kArrayMaxRank] = {};
    for (int64_t p = 0; p < bigSpatial; ++p) {
      // Space position of this big-side spatial position.
      bool inside = true;
      int64_t spaceIndex = sb * spacePerBatch;
      for (int i = 0; i < m; ++i) {
        const int64_t q = pos[i] * g->block[i] + off[i] - g->before[i];
        if (q < 0 || q >= space->dim(1 + i)) {
          inside = false;
          break;
        }
        spaceIndex += q * spaceStride[i];
      }
      if (inside && restBytes > 0) {
        const size_t bigIndex = static_cast<size_t>(bb * bigSpatial + p);
        if constexpr (ToBatch) {
          std::memcpy(out->data + bigIndex * restBytes, in->data + static_cast<size_t>(spaceIndex) * restBytes,
                      restBytes);
        } else {
          std::memcpy(out->data + static_cast<size_t>(spaceIndex) * restBytes, in->data + bigIndex * restBytes,
                      restBytes);
        }
      }
      for (int i = m - 1; i >= 0; --i) {
        if (++pos[i] < big->dim(1 + i)) break;
        pos[i] = 0;
      }
    }
  }
  return Status::ok();
}

KernelRegistration reg(fb::BuiltinOperator code, KernelFn prepare, KernelFn eval) {
  // Versions from TFLite's register.cc; later versions add element types.
  return builtinKernel(code, 1, 4, 3, 3, prepare, eval, allFixedSizeTypes());
}

}  // namespace

void registerSpaceBatchKernels(OpResolver& r) {
  if constexpr (opSelected(fb::BuiltinOperator::SPACE_TO_BATCH_ND)) {
    r.add(reg(fb::BuiltinOperator::SPACE_TO_BATCH_ND, prepareSpaceBatch<true>, evalSpaceBatch<true>));
  }
  if constexpr (opSelected(fb::BuiltinOperator::BATCH_TO_SPACE_ND)) {
    r.add(reg(fb::BuiltinOperator::BATCH_TO_SPACE_ND, prepareSpaceBatch<false>, evalSpaceBatch<false>));
  }
}

}  // namespace inferd::engine::kernels
