// Reference kernels that resample or rearrange NHWC images:
// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (align_corners,
// half_pixel_centers, output size from an INT32 [2] input), DEPTH_TO_SPACE
// and SPACE_TO_DEPTH (block_size). The coordinate mapping, clamping and
// rounding are TensorFlow Lite's reference formulas, evaluated in float in
// the same order so results match bit for bit. With optimized kernels on,
// float RESIZE_BILINEAR runs through XNNPACK's resize operator: the same
// sampling (its half-pixel mode clamps the source coordinate into the image
// before interpolating, which TFLite's weights amount to), within float
// rounding of the reference. Quantized RESIZE_BILINEAR interpolates the raw
// values as TFLite's builtin kernel does: INT8 in 10-bit fixed point
// (ResizeBilinearInteger), UINT8 in float with +0.5 truncation
// (ResizeBilinearGenericSmallChannel; TFLite's special 8x half-pixel UINT8
// kernel with 8.8 fixed point is not reproduced).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "kernel_util.h"
#include "register.h"
#include "xnnpack_util.h"

namespace inferd::engine::kernels {
namespace {

// ---------------------------------------------------------------------------
// RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR

struct ResizeState : KernelState {
  bool alignCorners = false;
  bool halfPixelCenters = false;
  bool constantSize = true;
  xnn::Operator xnnOp;  // bilinear with a constant size: XNNPACK runs it
};

// XNNPACK's resize for a float input with a constant output size; left
// empty (reference path) otherwise.
void prepareXnnBilinear(OpContext& ctx, const Tensor* input, ResizeState* st) {
  if (input->type != ElementType::kFloat32 || !xnn::enabled(ctx) || !st->constantSize || input->isConstant) return;
  const Tensor* output = ctx.output(0);
  if (input->numElements() == 0 || output->numElements() == 0) return;
  constexpr int32_t kMaxSide = 1 << 24;  // XNNPACK's limit on each image side
  if (std::max({input->dim(1), input->dim(2), output->dim(1), output->dim(2)}) >= kMaxSide) return;
  uint32_t flags = 0;
  if (st->alignCorners) {
    flags = XNN_FLAG_ALIGN_CORNERS;
  } else if (!st->halfPixelCenters) {
    flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;  // TensorFlow 1's src = dst * scale
  }
  const auto channels = static_cast<size_t>(input->dim(3));
  xnn::created(
      xnn_create_resize_bilinear2d_nhwc_f32(channels, channels, channels, flags, st->xnnOp.out()),
      st->xnnOp);
}

// An image with no rows or columns has nothing to sample from (an empty batch
// or no channels is fine: the output is empty too).
Status checkResizeInput(const OpContext& ctx, const Tensor* input) {
  if (input->dim(1) <= 0 || input->dim(2) <= 0) {
    return ctx.error("input height and width must be positive, got {}x{}", input->dim(1), input->dim(2));
  }
  return Status::ok();
}

// Reads the [height, width] size input and checks it.
Status readResizeSize(const OpContext& ctx, const Tensor* size, int32_t* height, int32_t* width) {
  const int32_t* s = size->as<int32_t>();
  if (s[0] <= 0 || s[1] <= 0) {
    return ctx.error("output size must be positive, got [{}, {}]", s[0], s[1]);
  }
  *height = s[0];
  *width = s[1];
  return Status::ok();
}

Status resizeImageOutput(OpContext& ctx, const Tensor* input, const Tensor* size) {
  INFERD_RETURN_IF_ERROR(checkResizeInput(ctx, input));
  int32_t height = 0;
  int32_t width = 0;
  INFERD_RETURN_IF_ERROR(readResizeSize(ctx, size, &height, &width));
  return ctx.resizeOutput(0, Dims{input->dim(0), height, width, input->dim(3)});
}

// Shared prepare; `bilinear` selects the options table and the type set.
template <bool bilinear>
Status prepareResize(OpContext& ctx) {
  const Tensor* input = nullptr;
  const Tensor* size = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &size));
  Tensor* output = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, size, 1, "size"));
  INFERD_RETURN_IF_ERROR(checkType(ctx, size, ElementType::kInt32, "size"));
  if (size->dim(0) != 2) {
    return ctx.error("size must hold 2 values [height, width], has shape {}",
                     dimsToString(size->dims));
  }
  if constexpr (bilinear) {
    // TFLite: FLOAT32, UINT8, INT8 (INT16 is not supported here).
    if (input->type != ElementType::kFloat32 && input->type != ElementType::kInt8 &&
        input->type != ElementType::kUInt8) {
      return ctx.unsupported("input type {} is not supported (FLOAT32, INT8, UINT8)",
                             elementTypeName(input->type));
    }
  } else {
    // Nearest neighbour only copies elements, so the quantized types need no
    // arithmetic (TFLite: FLOAT32, UINT8, INT8, INT16).
    switch (input->type) {
      case ElementType::kFloat32:
      case ElementType::kUInt8:
      case ElementType::kInt8:
      case ElementType::kInt16:
      case ElementType::kInt32:
        break;
      default:
        return ctx.unsupported("input type {} is not supported", elementTypeName(input->type));
    }
  }
  if (output->type != input->type) {
    return ctx.error("output has type {}, input has type {}", elementTypeName(output->type),
                     elementTypeName(input->type));
  }

  auto st = std::make_unique<ResizeState>();
  // Absent options mean both flags false, as in TFLite.
  if constexpr (bilinear) {
    if (const auto* o = options<fb::ResizeBilinearOptions>(ctx)) {
      st->alignCorners = o->align_corners();
      st->halfPixelCenters = o->half_pixel_centers();
    }
    if (st->alignCorners && st->halfPixelCenters) {
      return ctx.error("align_corners and half_pixel_centers cannot both be true");
    }
  } else {
    if (const auto* o = options<fb::ResizeNearestNeighborOptions>(ctx)) {
      st->alignCorners = o->align_corners();
      st->halfPixelCenters = o->half_pixel_centers();
    }
  }

  st->constantSize = size->isConstant;
  if (st->constantSize) {
    INFERD_RETURN_IF_ERROR(resizeImageOutput(ctx, input, size));
  } else {
    ctx.markOutputDynamic(0);
  }
  if constexpr (bilinear) prepareXnnBilinear(ctx, input, st.get());
  ctx.setState(std::move(st));
  return Status::ok();
}

// Source/destination scale along one axis (TFLite: in/out, or
// (in-1)/(out-1) with align_corners when out > 1), in float.
float resizeScale(int32_t in, int32_t out, bool alignCorners) {
  if (alignCorners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

// One axis of bilinear sampling: the source coordinate, its two neighbours
// (lower clamped at 0, upper at in-1) and the weight of the upper one, which
// is measured from the clamped lower neighbour exactly as TFLite does.
struct BilinearTap {
  int32_t lo = 0;
  int32_t hi = 0;
  float frac = 0.f;      // source - lo
  float fracLo = 1.f;    // 1 - frac
};

BilinearTap bilinearTap(int32_t outIndex, float scale, bool halfPixelCenters, int32_t inSize) {
  const float v = static_cast<float>(outIndex);
  const float src = halfPixelCenters ? (v + 0.5f) * scale - 0.5f : v * scale;
  BilinearTap t;
  t.lo = std::max(static_cast<int32_t>(std::floor(src)), int32_t{0});
  t.hi = std::min(static_cast<int32_t>(std::ceil(src)), inSize - 1);
  t.frac = src - static_cast<float>(t.lo);
  t.fracLo = 1.f - t.frac;
  return t;
}

// One axis of TFLite's integer bilinear sampling: the source coordinate in
// 1/1024 units and its two clamped neighbours.
struct IntegerTap {
  int32_t scaled = 0;
  int32_t lo = 0;
  int32_t hi = 0;
};

int32_t integerResizeScale(int32_t in, int32_t out, bool alignCorners) {
  if (alignCorners && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  return ((1 << 10) * in + out / 2) / out;
}

IntegerTap integerTap(int32_t outIndex, int32_t scale10, bool halfPixelCenters, int32_t inSize) {
  IntegerTap t;
  t.scaled = halfPixelCenters ? outIndex * scale10 + scale10 / 2 - (1 << 9) : outIndex * scale10;
  t.lo = std::max(t.scaled / (1 << 10), int32_t{0});
  t.hi = std::min((t.scaled + (1 << 10) - 1) / (1 << 10), inSize - 1);
  return t;
}

// Walks the output pixels of a bilinear resize, calling f(outPixel, depth,
// p00, p01, p10, p11, ty, tx) with the four neighbour pixels (row 0/1,
// column 0/1) and the taps of the row and column: TFLite's integer taps
// (1/1024 units) when `integer`, its float taps otherwise.
template <typename T, bool integer, typename F>
void forEachBilinear(const ResizeState& st, const Tensor* input, Tensor* output, F f) {
  const NhwcSizes g(input, output);
  auto axisTaps = [&st](int32_t in, int32_t out) {
    const bool half = st.halfPixelCenters;
    if constexpr (integer) {
      const int32_t scale = integerResizeScale(in, out, st.alignCorners);
      return [=](int32_t i) { return integerTap(i, scale, half, in); };
    } else {
      const float scale = resizeScale(in, out, st.alignCorners);
      return [=](int32_t i) { return bilinearTap(i, scale, half, in); };
    }
  };
  const auto tapY = axisTaps(g.inH, g.outH);
  const auto tapX = axisTaps(g.inW, g.outW);
  const T* in = input->as<T>();
  T* out = output->as<T>();
  for (int32_t b = 0; b < g.batches; ++b) {
    for (int32_t y = 0; y < g.outH; ++y) {
      const auto ty = tapY(y);
      for (int32_t x = 0; x < g.outW; ++x) {
        const auto tx = tapX(x);
        f(out + g.outOffset(b, y, x), g.depth, in + g.inOffset(b, ty.lo, tx.lo),
          in + g.inOffset(b, ty.lo, tx.hi), in + g.inOffset(b, ty.hi, tx.lo),
          in + g.inOffset(b, ty.hi, tx.hi), ty, tx);
      }
    }
  }
}

// INT8: TFLite's ResizeBilinearInteger (weights in 1/1024, the 2^20-scaled
// sum rounded half away from zero).
void resizeBilinearInt8(const ResizeState& st, const Tensor* input, Tensor* output) {
  forEachBilinear<int8_t, true>(st, input, output,
                                [](int8_t* o, int32_t depth, const int8_t* p00, const int8_t* p01,
                                   const int8_t* p10, const int8_t* p11, const IntegerTap& ty,
                                   const IntegerTap& tx) {
    const int64_t dy = ty.scaled - (1 << 10) * ty.lo;
    const int64_t dx = tx.scaled - (1 << 10) * tx.lo;
    const int64_t wy0 = (1 << 10) - dy;
    const int64_t wx0 = (1 << 10) - dx;
    for (int32_t c = 0; c < depth; ++c) {
      const int64_t sum = p00[c] * wy0 * wx0 + p10[c] * dy * wx0 + p01[c] * wy0 * dx + p11[c] * dy * dx;
      const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
      o[c] = static_cast<int8_t>((sum + round) / (1 << 20));
    }
  });
}

// UINT8: TFLite's float interpolation of the raw values, +0.5 and truncated.
void resizeBilinearUInt8(const ResizeState& st, const Tensor* input, Tensor* output) {
  forEachBilinear<uint8_t, false>(st, input, output,
                                  [](uint8_t* o, int32_t depth, const uint8_t* p00,
                                     const uint8_t* p01, const uint8_t* p10, const uint8_t* p11,
                                     const BilinearTap& ty, const BilinearTap& tx) {
    const float w00 = ty.fracLo * tx.fracLo;
    const float w01 = ty.fracLo * tx.frac;
    const float w10 = ty.frac * tx.fracLo;
    const float w11 = ty.frac * tx.frac;
    for (int32_t c = 0; c < depth; ++c) {
      o[c] = static_cast<uint8_t>(static_cast<float>(p00[c]) * w00 + static_cast<float>(p01[c]) * w01 +
                                  static_cast<float>(p10[c]) * w10 + static_cast<float>(p11[c]) * w11 + 0.5f);
    }
  });
}

// FLOAT32 on the reference path. Products associate left to right as in
// TFLite's expression, so the float rounding is identical.
void resizeBilinearFloat(const ResizeState& st, const Tensor* input, Tensor* output) {
  forEachBilinear<float, false>(st, input, output,
                                [](float* o, int32_t depth, const float* p00, const float* p01,
                                   const float* p10, const float* p11, const BilinearTap& ty,
                                   const BilinearTap& tx) {
    for (int32_t c = 0; c < depth; ++c) {
      o[c] = p00[c] * ty.fracLo * tx.fracLo + p10[c] * ty.frac * tx.fracLo +
             p01[c] * ty.fracLo * tx.frac + p11[c] * ty.frac * tx.frac;
    }
  });
}

Status evalResizeBilinear(OpContext& ctx) {
  const auto* st = ctx.state<ResizeState>();
  const Tensor* input = ctx.input(0);
  if (!st->constantSize) INFERD_RETURN_IF_ERROR(resizeImageOutput(ctx, input, ctx.input(1)));
  Tensor* output = ctx.output(0);
  if (output->numElements() == 0) return Status::ok();
  INFERD_RETURN_IF_ERROR(checkResizeInput(ctx, input));
  if (input->type == ElementType::kInt8) {
    resizeBilinearInt8(*st, input, output);
    return Status::ok();
  }
  if (input->type == ElementType::kUInt8) {
    resizeBilinearUInt8(*st, input, output);
    return Status::ok();
  }
  if (st->xnnOp) {
    const pthreadpool_t pool = xnn::threadPoolFor(ctx, 8 * output->numElements());
    INFERD_RETURN_IF_ERROR(xnn::check(
        ctx,
        xnn_setup_resize_bilinear2d_nhwc_f32(
            st->xnnOp.get(), static_cast<size_t>(input->dim(0)), static_cast<size_t>(input->dim(1)),
            static_cast<size_t>(input->dim(2)), static_cast<size_t>(output->dim(1)),
            static_cast<size_t>(output->dim(2)), input->as<float>(), output->as<float>(), pool),
        "resize setup"));
    return xnn::run(ctx, st->xnnOp, pool);
  }

  resizeBilinearFloat(*st, input, output);
  return Status::ok();
}

// Source index of output index `outIndex` (TFLite's nearest-neighbour rule:
// round half away from zero with align_corners, floor otherwise; clamp to
// in-1, and to 0 with half_pixel_centers).
int32_t nearestIndex(int32_t outIndex, float scale, bool alignCorners, bool halfPixelCenters,
                     int32_t inSize) {
  const float offset = halfPixelCenters ? 0.5f : 0.f;
  const float src = (static_cast<float>(outIndex) + offset) * scale;
  int32_t i = alignCorners ? static_cast<int32_t>(std::round(src))
                           : static_cast<int32_t>(std::floor(src));
  i = std::min(i, inSize - 1);
  if (halfPixelCenters) i = std::max(i, int32_t{0});
  return i;
}

Status evalResizeNearest(OpContext& ctx) {
  const auto* st = ctx.state<ResizeState>();
  const Tensor* input = ctx.input(0);
  if (!st->constantSize) INFERD_RETURN_IF_ERROR(resizeImageOutput(ctx, input, ctx.input(1)));
  Tensor* output = ctx.output(0);
  if (output->numElements() == 0) return Status::ok();
  INFERD_RETURN_IF_ERROR(checkResizeInput(ctx, input));

  const NhwcSizes g(input, output);
  const size_t elem = elementSize(input->type);
  const size_t pixelBytes = static_cast<size_t>(g.depth) * elem;
  const float scaleY = resizeScale(g.inH, g.outH, st->alignCorners);
  const float scaleX = resizeScale(g.inW, g.outW, st->alignCorners);
  uint8_t* out = output->data;
  for (int32_t b = 0; b < g.batches; ++b) {
    for (int32_t y = 0; y < g.outH; ++y) {
      const int32_t sy = nearestIndex(y, scaleY, st->alignCorners, st->halfPixelCenters, g.inH);
      for (int32_t x = 0; x < g.outW; ++x) {
        const int32_t sx = nearestIndex(x, scaleX, st->alignCorners, st->halfPixelCenters, g.inW);
        std::memcpy(out, input->data + static_cast<size_t>(g.inOffset(b, sy, sx)) * elem, pixelBytes);
        out += pixelBytes;
      }
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------
// DEPTH_TO_SPACE / SPACE_TO_DEPTH (TensorFlow's NHWC "DCR" layout: the
// channel index is (blockRow * blockSize + blockCol) * channels + c).

struct BlockState : KernelState {
  int32_t blockSize = 1;
};

template <typename Options>
Status prepareBlock(OpContext& ctx, bool depthToSpace) {
  const Tensor* input = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &input));
  Tensor* output = ctx.output(0);
  INFERD_RETURN_IF_ERROR(checkRank(ctx, input, 4, "input"));
  if (elementSize(input->type) == 0) {
    return ctx.unsupported("input type {} has no fixed element size",
                           elementTypeName(input->type));
  }
  if (output->type != input->type) {
    return ctx.error("output has type {}, input has type {}", elementTypeName(output->type),
                     elementTypeName(input->type));
  }
  const auto* opts = options<Options>(ctx);
  const int32_t bs = opts != nullptr ? opts->block_size() : 0;
  if (bs < 1) return ctx.error("block_size must be at least 1, got {}", bs);

  const int64_t n = input->dim(0);
  const int64_t h = input->dim(1);
  const int64_t w = input->dim(2);
  const int64_t c = input->dim(3);
  const int64_t bs2 = static_cast<int64_t>(bs) * bs;
  int64_t outDims[4];
  if (depthToSpace) {
    if (c % bs2 != 0) {
      return ctx.error("input channels {} are not divisible by block_size^2 = {}", c, bs2);
    }
    outDims[0] = n;
    outDims[1] = h * bs;
    outDims[2] = w * bs;
    outDims[3] = c / bs2;
  } else {
    if (h % bs != 0 || w % bs != 0) {
      return ctx.error("input height {} and width {} must be divisible by block_size {}", h, w,
                       bs);
    }
    outDims[0] = n;
    outDims[1] = h / bs;
    outDims[2] = w / bs;
    outDims[3] = c * bs2;
  }
  Dims dims(4);
  for (int i = 0; i < 4; ++i) {
    if (outDims[i] > std::numeric_limits<int32_t>::max()) {
      return ctx.error("output dimension {} overflows with block_size {}", outDims[i], bs);
    }
    dims[static_cast<size_t>(i)] = static_cast<int32_t>(outDims[i]);
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, dims));
  auto st = std::make_unique<BlockState>();
  st->blockSize = bs;
  ctx.setState(std::move(st));
  return Status::ok();
}

Status prepareDepthToSpace(OpContext& ctx) {
  return prepareBlock<fb::DepthToSpaceOptions>(ctx, true);
}

Status prepareSpaceToDepth(OpContext& ctx) {
  return prepareBlock<fb::SpaceToDepthOptions>(ctx, false);
}

// Output walked in memory order; for one output row segment the bs pixels of
// a block come from bs*outC contiguous input channels, so each block row is a
// single memcpy.
Status evalDepthToSpace(OpContext& ctx) {
  const int64_t bs = ctx.state<BlockState>()->blockSize;
  const Tensor* input = ctx.input(0);
  Tensor* output = ctx.output(0);
  const size_t elem = elementSize(input->type);
  const int64_t n = input->dim(0);
  const int64_t h = input->dim(1);
  const int64_t w = input->dim(2);
  const int64_t inC = input->dim(3);
  // One block row: bs output pixels of inC / bs^2 channels each.
  const size_t runBytes = static_cast<size_t>(inC / bs) * elem;
  const uint8_t* in = input->data;
  uint8_t* out = output->data;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t by = 0; by < bs; ++by) {
        for (int64_t x = 0; x < w; ++x) {
          const uint8_t* src = in + static_cast<size_t>(((b * h + y) * w + x) * inC) * elem +
                               static_cast<size_t>(by) * runBytes;
          std::memcpy(out, src, runBytes);
          out += runBytes;
        }
      }
    }
  }
  return Status::ok();
}

// Output walked in memory order; the block row `by` of output pixel (y, x)
// is bs input pixels that sit next to each other in input row y*bs+by.
Status evalSpaceToDepth(OpContext& ctx) {
  const int64_t bs = ctx.state<BlockState>()->blockSize;
  const Tensor* input = ctx.input(0);
  Tensor* output = ctx.output(0);
  const size_t elem = elementSize(input->type);
  const int64_t n = input->dim(0);
  const int64_t h = input->dim(1);
  const int64_t w = input->dim(2);
  const int64_t c = input->dim(3);
  const int64_t outH = h / bs;
  const int64_t outW = w / bs;
  const size_t runBytes = static_cast<size_t>(bs * c) * elem;
  const uint8_t* in = input->data;
  uint8_t* out = output->data;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oy = 0; oy < outH; ++oy) {
      for (int64_t ox = 0; ox < outW; ++ox) {
        for (int64_t by = 0; by < bs; ++by) {
          const int64_t iy = oy * bs + by;
          const int64_t ix = ox * bs;
          std::memcpy(out, in + static_cast<size_t>(((b * h + iy) * w + ix) * c) * elem,
                      runBytes);
          out += runBytes;
        }
      }
    }
  }
  return Status::ok();
}

KernelRegistration registration(fb::BuiltinOperator op, int32_t maxVersion, int32_t inputs,
                                KernelFn prepare, KernelFn eval, std::vector<ElementType> types) {
  return builtinKernel(op, 1, maxVersion, inputs, inputs, prepare, eval, std::move(types));
}

}  // namespace

void registerResizeKernels(OpResolver& r) {
  using ET = ElementType;
  // Version ranges from TFLite's register.cc.
  if constexpr (opSelected(fb::BuiltinOperator::RESIZE_BILINEAR)) {
    r.add(registration(fb::BuiltinOperator::RESIZE_BILINEAR, 4, 2, prepareResize<true>,
                       evalResizeBilinear, {ET::kFloat32, ET::kUInt8, ET::kInt8}));
  }
  if constexpr (opSelected(fb::BuiltinOperator::RESIZE_NEAREST_NEIGHBOR)) {
    r.add(registration(fb::BuiltinOperator::RESIZE_NEAREST_NEIGHBOR, 4, 2, prepareResize<false>,
                       evalResizeNearest,
                       {ET::kFloat32, ET::kUInt8, ET::kInt8, ET::kInt16, ET::kInt32}));
  }
  const std::vector<ET> anyFixed = {ET::kFloat32, ET::kFloat16, ET::kInt32, ET::kUInt8,
                                    ET::kInt64,   ET::kBool,    ET::kInt16, ET::kInt8,
                                    ET::kFloat64, ET::kUInt64,  ET::kUInt32, ET::kUInt16};
  if constexpr (opSelected(fb::BuiltinOperator::DEPTH_TO_SPACE)) {
    r.add(registration(fb::BuiltinOperator::DEPTH_TO_SPACE, 2, 1, prepareDepthToSpace,
                       evalDepthToSpace, anyFixed));
  }
  if constexpr (opSelected(fb::BuiltinOperator::SPACE_TO_DEPTH)) {
    r.add(registration(fb::BuiltinOperator::SPACE_TO_DEPTH, 2, 1, prepareSpaceToDepth,
                       evalSpaceToDepth, anyFixed));
  }
}

}  // namespace inferd::engine::kernels
