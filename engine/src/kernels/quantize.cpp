// Kernels that turn stored weights into plain tensors: DEQUANTIZE (FLOAT16,
// INT8, UINT8, INT16 -> FLOAT32; per-tensor, and per-channel for INT8/UINT8)
// and DENSIFY (TFLite's sparse format, block sparsity included, -> dense).
// Both usually run once at model load when their input is a constant.
// Also QUANTIZE: FLOAT32 -> INT8/UINT8/INT16 (per-tensor as LiteRT's
// optimized kernel: quant::quantizeBuffer; per-channel as its reference
// kernel, dividing in float) and requantization between INT8, UINT8, INT16.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fp16.h"
#include "kernel_util.h"
#include "quant_util.h"
#include "register.h"

namespace inferd::engine::kernels {
namespace {

// --- DEQUANTIZE ---

struct DequantizeState : KernelState {
  // Per-tensor: see dequantizePerTensor.
  double scale = 0.0;
  int64_t zeroPoint = 0;
  // Per-channel: TFLite computes in float, scale[c] * (q - zeroPoint[c]).
  bool perChannel = false;
  std::vector<float> scales;
  std::vector<int64_t> zeroPoints;
  int64_t outer = 0;     // elements before the quantized dimension
  int64_t channels = 0;  // size of the quantized dimension
  int64_t inner = 0;     // elements after it
};

Status prepareDequantize(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), ElementType::kFloat32, "output"));
  const ElementType type = in->type;
  if (type != ElementType::kFloat16 && type != ElementType::kInt8 && type != ElementType::kUInt8 &&
      type != ElementType::kInt16) {
    return ctx.unsupported("input type {} is not supported (FLOAT16, INT8, UINT8, INT16 are)",
                           elementTypeName(type));
  }
  auto state = std::make_unique<DequantizeState>();
  if (type != ElementType::kFloat16) {
    const QuantParams& q = in->quant();
    if (q.scale.empty()) return ctx.error("{} input has no quantization scale", elementTypeName(type));
    if (!q.zeroPoint.empty() && q.zeroPoint.size() != q.scale.size()) {
      return ctx.error("input has {} scales but {} zero points", q.scale.size(), q.zeroPoint.size());
    }
    if (q.perChannel()) {
      if (type != ElementType::kInt8 && type != ElementType::kUInt8) {
        return ctx.unsupported("per-channel quantization of {} is not supported", elementTypeName(type));
      }
      const int axis = q.quantizedDimension;
      if (axis < 0 || axis >= in->rank()) {
        return ctx.error("quantized dimension {} is out of range for input shape {}", axis,
                         dimsToString(in->dims));
      }
      if (static_cast<int64_t>(q.scale.size()) != in->dim(axis)) {
        return ctx.error("input has {} per-channel scales but dimension {} of shape {} is {}",
                         q.scale.size(), axis, dimsToString(in->dims), in->dim(axis));
      }
      state->perChannel = true;
      state->scales = q.scale;
      state->zeroPoints = q.zeroPoint.empty() ? std::vector<int64_t>(q.scale.size(), 0) : q.zeroPoint;
      state->channels = in->dim(axis);
      state->outer = 1;
      for (int d = 0; d < axis; ++d) state->outer *= in->dim(d);
      state->inner = 1;
      for (int d = axis + 1; d < in->rank(); ++d) state->inner *= in->dim(d);
    } else {
      state->scale = static_cast<double>(q.scale[0]);
      state->zeroPoint = q.zeroPoint.empty() ? 0 : q.zeroPoint[0];
    }
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, in->dims));
  ctx.setState(std::move(state));
  return Status::ok();
}

// As LiteRT's optimized DEQUANTIZE on x86 (its NEON code through
// NEON_2_SSE): the first n & ~7 values eight at a time in float, without
// FMA, as q * float(scale) + float(-zeroPoint * scale); the rest in double
// (DequantizationParams::scale is a double), rounded once to float. The two
// differ by an ulp on some values.
template <typename T>
void dequantizePerTensor(const DequantizeState& s, const T* in, float* out, int64_t n) {
  const auto scale = static_cast<float>(s.scale);
  const auto offset = static_cast<float>(static_cast<double>(-s.zeroPoint) * s.scale);
  const int64_t vectorEnd = n & ~int64_t{7};
  for (int64_t i = 0; i < vectorEnd; ++i) {
    const float product = static_cast<float>(in[i]) * scale;  // rounded before the add
    out[i] = product + offset;
  }
  for (int64_t i = vectorEnd; i < n; ++i) {
    out[i] = static_cast<float>(s.scale * static_cast<double>(static_cast<int64_t>(in[i]) - s.zeroPoint));
  }
}

template <typename T>
void dequantizePerChannel(const DequantizeState& s, const T* in, float* out) {
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t c = 0; c < s.channels; ++c) {
      const float scale = s.scales[static_cast<size_t>(c)];
      const int64_t zp = s.zeroPoints[static_cast<size_t>(c)];
      const int64_t base = (o * s.channels + c) * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) {
        out[base + i] = scale * static_cast<float>(static_cast<int64_t>(in[base + i]) - zp);
      }
    }
  }
}

Status evalDequantize(OpContext& ctx) {
  const DequantizeState& s = *ctx.state<DequantizeState>();
  const Tensor* in = ctx.input(0);
  float* out = ctx.output(0)->as<float>();
  const int64_t n = in->numElements();
  switch (in->type) {
    case ElementType::kFloat16: {
      const uint16_t* h = in->as<uint16_t>();
      for (int64_t i = 0; i < n; ++i) out[i] = halfToFloat(h[i]);
      break;
    }
    case ElementType::kInt8:
      if (s.perChannel) {
        dequantizePerChannel(s, in->as<int8_t>(), out);
      } else {
        dequantizePerTensor(s, in->as<int8_t>(), out, n);
      }
      break;
    case ElementType::kUInt8:
      if (s.perChannel) {
        dequantizePerChannel(s, in->as<uint8_t>(), out);
      } else {
        dequantizePerTensor(s, in->as<uint8_t>(), out, n);
      }
      break;
    case ElementType::kInt16:
      dequantizePerTensor(s, in->as<int16_t>(), out, n);
      break;
    default:
      return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  }
  return Status::ok();
}

// --- QUANTIZE ---

struct QuantizeState : KernelState {
  // FLOAT32 input: the output's scales and zero points (per-channel along
  // `channels` when more than one).
  std::vector<float> scales;
  std::vector<int32_t> zeroPoints;
  int64_t outer = 1, channels = 1, inner = 1;
  // Integer input: out = (in - inZp) * M + outZp.
  quant::Multiplier multiplier;
  int32_t inZeroPoint = 0;
};

bool isQuantizeInt(ElementType t) {
  return t == ElementType::kInt8 || t == ElementType::kUInt8 || t == ElementType::kInt16;
}

Status prepareQuantize(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  Tensor* out = ctx.output(0);
  if (!isQuantizeInt(out->type)) {
    return ctx.unsupported("output type {} is not supported (INT8, UINT8, INT16 are)",
                           elementTypeName(out->type));
  }
  const QuantParams& oq = out->quant();
  if (oq.scale.empty()) return ctx.error("output has no quantization parameters");
  auto st = std::make_unique<QuantizeState>();
  if (in->type == ElementType::kFloat32) {
    st->scales = oq.scale;
    for (int64_t zp : oq.zeroPoint) st->zeroPoints.push_back(static_cast<int32_t>(zp));
    if (oq.perChannel()) {
      const int axis = oq.quantizedDimension;
      if (axis < 0 || axis >= in->rank() || in->dim(axis) != static_cast<int64_t>(oq.scale.size())) {
        return ctx.error("output has {} per-channel scales along dimension {}, input shape {}",
                         oq.scale.size(), axis, dimsToString(in->dims));
      }
      st->channels = in->dim(axis);
      for (int d = 0; d < axis; ++d) st->outer *= in->dim(d);
      for (int d = axis + 1; d < in->rank(); ++d) st->inner *= in->dim(d);
    }
  } else if (isQuantizeInt(in->type)) {
    if (in->type == ElementType::kInt16 && out->type == ElementType::kUInt8) {
      return ctx.unsupported("requantizing INT16 to UINT8 is not supported");
    }
    const QuantParams& iq = in->quant();
    if (iq.scale.size() != 1 || oq.scale.size() != 1) {
      return ctx.unsupported("requantization needs per-tensor input and output quantization");
    }
    st->inZeroPoint = static_cast<int32_t>(iq.zeroPoint[0]);
    st->zeroPoints.push_back(static_cast<int32_t>(oq.zeroPoint[0]));
    st->multiplier = quant::quantizeMultiplier(static_cast<double>(iq.scale[0]) /
                                               static_cast<double>(oq.scale[0]));
  } else {
    return ctx.unsupported("input type {} is not supported (FLOAT32, INT8, UINT8, INT16 are)",
                           elementTypeName(in->type));
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, in->dims));
  ctx.setState(std::move(st));
  return Status::ok();
}

template <typename T>
void quantizeFloat(const QuantizeState& s, const float* in, T* out, int64_t n) {
  if (s.scales.size() == 1) {
    quant::quantizeBuffer(in, n, s.scales[0], s.zeroPoints[0], out);
    return;
  }
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t c = 0; c < s.channels; ++c) {
      const float scale = s.scales[static_cast<size_t>(c)];
      const int32_t zp = s.zeroPoints[static_cast<size_t>(c)];
      const int64_t base = (o * s.channels + c) * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) out[base + i] = quant::quantizeValue<T>(in[base + i], scale, zp);
    }
  }
}

template <typename In, typename T>
void requantize(const QuantizeState& s, const In* in, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = quant::multiplyByQuantizedMultiplier(static_cast<int32_t>(in[i]) - s.inZeroPoint,
                                                           s.multiplier) +
                      s.zeroPoints[0];
    out[i] = static_cast<T>(std::clamp(v, quant::qmin<T>(), quant::qmax<T>()));
  }
}

template <typename T>
void quantizeTo(const QuantizeState& s, const Tensor* in, T* out) {
  const int64_t n = in->numElements();
  switch (in->type) {
    case ElementType::kFloat32: quantizeFloat(s, in->as<float>(), out, n); break;
    case ElementType::kInt8: requantize(s, in->as<int8_t>(), out, n); break;
    case ElementType::kUInt8: requantize(s, in->as<uint8_t>(), out, n); break;
    case ElementType::kInt16: requantize(s, in->as<int16_t>(), out, n); break;
    default: break;  // refused in prepare
  }
}

Status evalQuantize(OpContext& ctx) {
  const QuantizeState& s = *ctx.state<QuantizeState>();
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  switch (out->type) {
    case ElementType::kInt8: quantizeTo(s, in, out->as<int8_t>()); break;
    case ElementType::kUInt8: quantizeTo(s, in, out->as<uint8_t>()); break;
    case ElementType::kInt16: quantizeTo(s, in, out->as<int16_t>()); break;
    default: return ctx.unsupported("output type {} is not supported", elementTypeName(out->type));
  }
  return Status::ok();
}

// --- DENSIFY ---
//
// TFLite's sparse format: the dense shape has n dims; k of them may be split
// into blocks (block_map[j] is the dim block dim j splits). The stored order
// visits n + k "levels": traversal_order[l] names the dim level l walks (0..n-1
// for the blocked original dims, n + j for block dim j). Each level is DENSE
// (dense_size positions per parent) or SPARSE_CSR (array_segments[p] ..
// array_segments[p+1] index into array_indices, which hold the coordinates of
// the present entries under parent position p). The values are stored in
// visit order, one per leaf.

constexpr int kMaxSparseLevels = 16;

struct SparseLevel {
  bool dense = true;
  int32_t denseSize = 0;
  int32_t extent = 0;             // number of coordinates along this level
  std::vector<int32_t> segments;  // SPARSE_CSR only
  std::vector<int32_t> indices;   // SPARSE_CSR only
};

struct DensifyState : KernelState {
  int rank = 0;                       // n
  std::vector<int32_t> traversal;     // n + k entries
  std::vector<int32_t> blockMap;      // k entries
  std::vector<int32_t> blockSize;     // k entries
  std::vector<int64_t> strides;       // row-major strides of the dense output
  std::vector<SparseLevel> levels;    // n + k entries
  size_t elementBytes = 0;
  int64_t leaves = 0;                 // values the walk consumes
};

// Reads one SparseIndexVector into `out`; false when absent.
bool readIndexVector(fb::SparseIndexVector type, const void* table, std::vector<int32_t>* out) {
  out->clear();
  if (table == nullptr) return false;
  switch (type) {
    case fb::SparseIndexVector::Int32Vector: {
      auto* v = static_cast<const fb::Int32Vector*>(table)->values();
      if (v == nullptr) return false;
      out->assign(v->begin(), v->end());
      return true;
    }
    case fb::SparseIndexVector::Uint16Vector: {
      auto* v = static_cast<const fb::Uint16Vector*>(table)->values();
      if (v == nullptr) return false;
      out->assign(v->begin(), v->end());
      return true;
    }
    case fb::SparseIndexVector::Uint8Vector: {
      auto* v = static_cast<const fb::Uint8Vector*>(table)->values();
      if (v == nullptr) return false;
      out->assign(v->begin(), v->end());
      return true;
    }
    default:
      return false;
  }
}

Status prepareDensify(OpContext& ctx) {
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &in));
  INFERD_RETURN_IF_ERROR(requireConstant(ctx, 0, "sparse input"));
  Tensor* out = ctx.output(0);
  if (out->type != in->type) {
    return ctx.error("output has type {}, input has type {}", elementTypeName(out->type),
                     elementTypeName(in->type));
  }
  const size_t esize = elementSize(in->type);
  if (esize == 0) return ctx.unsupported("input type {} is not supported", elementTypeName(in->type));
  const fb::Tensor* ft = in->info != nullptr ? static_cast<const fb::Tensor*>(in->info->fbTensor) : nullptr;
  const fb::SparsityParameters* sp = ft != nullptr ? ft->sparsity() : nullptr;
  if (in->info == nullptr || !in->info->isSparse || sp == nullptr) {
    return ctx.error("input tensor has no sparsity parameters");
  }

  auto state = std::make_unique<DensifyState>();
  DensifyState& s = *state;
  const int n = in->rank();
  s.rank = n;
  s.elementBytes = esize;
  if (sp->traversal_order() != nullptr) {
    s.traversal.assign(sp->traversal_order()->begin(), sp->traversal_order()->end());
  }
  if (sp->block_map() != nullptr) s.blockMap.assign(sp->block_map()->begin(), sp->block_map()->end());
  const int k = static_cast<int>(s.blockMap.size());
  const int levels = n + k;
  if (levels > kMaxSparseLevels) {
    return ctx.unsupported("sparse tensor has {} levels, at most {} are supported", levels, kMaxSparseLevels);
  }
  if (static_cast<int>(s.traversal.size()) != levels) {
    return ctx.error("traversal_order has {} entries, expected {} (rank {} + {} block dims)",
                     s.traversal.size(), levels, n, k);
  }
  // The first n levels walk the original dims, the last k the block dims
  // (TFLite's converter relies on this split).
  std::vector<bool> seen(static_cast<size_t>(levels), false);
  for (int l = 0; l < levels; ++l) {
    const int32_t t = s.traversal[static_cast<size_t>(l)];
    const bool ok = l < n ? (t >= 0 && t < n) : (t >= n && t < levels);
    if (!ok || seen[static_cast<size_t>(t)]) {
      return ctx.error("traversal_order {} is not a valid order for rank {} with {} block dims",
                       dimsToString(s.traversal), n, k);
    }
    seen[static_cast<size_t>(t)] = true;
  }
  for (int j = 0; j < k; ++j) {
    const int32_t d = s.blockMap[static_cast<size_t>(j)];
    if (d < 0 || d >= n || (j > 0 && d <= s.blockMap[static_cast<size_t>(j - 1)])) {
      return ctx.error("block_map {} must list increasing dims of rank {}", dimsToString(s.blockMap), n);
    }
  }
  const auto* meta = sp->dim_metadata();
  const int metaCount = meta != nullptr ? static_cast<int>(meta->size()) : 0;
  if (metaCount != levels) {
    return ctx.error("sparse tensor has {} dim_metadata entries, expected {}", metaCount, levels);
  }

  s.levels.resize(static_cast<size_t>(levels));
  for (int l = 0; l < levels; ++l) {
    const fb::DimensionMetadata* m = meta->Get(static_cast<flatbuffers::uoffset_t>(l));
    if (m == nullptr) return ctx.error("dim_metadata {} is missing", l);
    SparseLevel& level = s.levels[static_cast<size_t>(l)];
    if (m->format() == fb::DimensionType::DENSE) {
      level.dense = true;
      level.denseSize = m->dense_size();
    } else if (m->format() == fb::DimensionType::SPARSE_CSR) {
      level.dense = false;
      if (!readIndexVector(m->array_segments_type(), m->array_segments(), &level.segments) ||
          !readIndexVector(m->array_indices_type(), m->array_indices(), &level.indices)) {
        return ctx.error("sparse level {} lacks array_segments or array_indices", l);
      }
    } else {
      return ctx.unsupported("dim_metadata {} has unknown format {}", l, static_cast<int>(m->format()));
    }
  }

  // Block sizes come from the dense size of the level that walks each block
  // dim; TFLite's converter only writes dense blocks.
  s.blockSize.assign(static_cast<size_t>(k), 0);
  for (int l = n; l < levels; ++l) {
    const SparseLevel& level = s.levels[static_cast<size_t>(l)];
    const int j = s.traversal[static_cast<size_t>(l)] - n;
    if (!level.dense) return ctx.unsupported("block dim {} is SPARSE_CSR; only dense blocks are supported", j);
    if (level.denseSize <= 0) return ctx.error("block dim {} has size {}", j, level.denseSize);
    s.blockSize[static_cast<size_t>(j)] = level.denseSize;
  }
  Dims blocked = in->dims;  // extent of each original dim counted in blocks
  for (int j = 0; j < k; ++j) {
    const int32_t d = s.blockMap[static_cast<size_t>(j)];
    const int32_t b = s.blockSize[static_cast<size_t>(j)];
    if (in->dim(d) % b != 0) {
      return ctx.error("dimension {} of size {} is not a multiple of its block size {}", d, in->dim(d), b);
    }
    blocked[static_cast<size_t>(d)] = in->dim(d) / b;
  }

  // Check every level against its extent and count positions level by level,
  // so that eval can neither write outside the output nor read past the
  // stored values.
  int64_t parents = 1;  // positions of the previous level
  for (int l = 0; l < levels; ++l) {
    SparseLevel& level = s.levels[static_cast<size_t>(l)];
    const int32_t t = s.traversal[static_cast<size_t>(l)];
    level.extent = t < n ? blocked[static_cast<size_t>(t)] : s.blockSize[static_cast<size_t>(t - n)];
    if (level.dense) {
      if (level.denseSize != level.extent) {
        return ctx.error("dense level {} has size {}, expected {}", l, level.denseSize, level.extent);
      }
      parents *= level.extent;
      continue;
    }
    const auto& seg = level.segments;
    if (static_cast<int64_t>(seg.size()) != parents + 1) {
      return ctx.error("sparse level {} has {} array_segments entries, expected {}", l, seg.size(),
                       parents + 1);
    }
    if (seg[0] != 0) return ctx.error("sparse level {} array_segments starts at {}, not 0", l, seg[0]);
    for (size_t p = 1; p < seg.size(); ++p) {
      if (seg[p] < seg[p - 1]) return ctx.error("sparse level {} array_segments decrease at {}", l, p);
    }
    if (static_cast<size_t>(seg.back()) > level.indices.size()) {
      return ctx.error("sparse level {} array_segments end at {} but there are {} indices", l, seg.back(),
                       level.indices.size());
    }
    for (size_t i = 0; i < static_cast<size_t>(seg.back()); ++i) {
      if (level.indices[i] < 0 || level.indices[i] >= level.extent) {
        return ctx.error("sparse level {} index {} is outside [0, {})", l, level.indices[i], level.extent);
      }
    }
    parents = seg.back();
  }
  s.leaves = parents;
  const int64_t stored = static_cast<int64_t>(in->bytes / esize);
  if (s.leaves > stored) {
    return ctx.error("sparse tensor describes {} values but its buffer holds {}", s.leaves, stored);
  }

  s.strides.assign(static_cast<size_t>(n), 1);
  for (int d = n - 2; d >= 0; --d) {
    s.strides[static_cast<size_t>(d)] = s.strides[static_cast<size_t>(d + 1)] * in->dim(d + 1);
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, in->dims));
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalDensify(OpContext& ctx) {
  const DensifyState& s = *ctx.state<DensifyState>();
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  // All-zero bytes are 0 for every fixed-size type (float, half, integers).
  if (out->bytes > 0) std::memset(out->data, 0, out->bytes);
  const int levels = static_cast<int>(s.levels.size());
  const int n = s.rank;
  const uint8_t* src = in->data;
  uint8_t* dst = out->data;
  const size_t esize = s.elementBytes;

  if (levels == 0) {  // a scalar: one value
    if (s.leaves > 0 && out->bytes >= esize) std::memcpy(dst, src, esize);
    return Status::ok();
  }

  // Depth-first walk of the levels without recursion. pos[l] is the current
  // position in level l (the parent index of level l + 1); end[l] its limit.
  int64_t pos[kMaxSparseLevels];
  int64_t end[kMaxSparseLevels];
  int64_t start[kMaxSparseLevels];
  auto enter = [&](int l, int64_t parent) {
    const SparseLevel& level = s.levels[static_cast<size_t>(l)];
    if (level.dense) {
      start[l] = parent * level.extent;
      end[l] = start[l] + level.extent;
    } else {
      start[l] = level.segments[static_cast<size_t>(parent)];
      end[l] = level.segments[static_cast<size_t>(parent) + 1];
    }
    pos[l] = start[l];
  };
  auto coordinate = [&](int l) -> int64_t {
    const SparseLevel& level = s.levels[static_cast<size_t>(l)];
    return level.dense ? pos[l] - start[l] : level.indices[static_cast<size_t>(pos[l])];
  };

  int64_t consumed = 0;
  int l = 0;
  enter(0, 0);
  while (true) {
    if (pos[l] >= end[l]) {
      if (l == 0) break;
      --l;
      ++pos[l];
      continue;
    }
    if (l + 1 < levels) {
      enter(l + 1, pos[l]);
      ++l;
      continue;
    }
    // A leaf: map the level coordinates back to the dense index. Block
    // levels refine the blocked coordinate of the dim they split, in level
    // order, as TFLite's converter does.
    int64_t orig[kMaxSparseLevels];
    for (int i = 0; i < n; ++i) orig[s.traversal[static_cast<size_t>(i)]] = coordinate(i);
    for (int i = n; i < levels; ++i) {
      const int j = s.traversal[static_cast<size_t>(i)] - n;
      const int d = s.blockMap[static_cast<size_t>(j)];
      orig[d] = orig[d] * s.blockSize[static_cast<size_t>(j)] + coordinate(i);
    }
    int64_t flat = 0;
    for (int d = 0; d < n; ++d) flat += orig[d] * s.strides[static_cast<size_t>(d)];
    std::memcpy(dst + static_cast<size_t>(flat) * esize, src + static_cast<size_t>(consumed) * esize, esize);
    ++consumed;
    ++pos[l];
  }
  return Status::ok();
}

}  // namespace

void registerQuantizeKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  // TFLite's range; DEQUANTIZE version 6 adds INT4, rejected in prepare.
  if constexpr (opSelected(BuiltinOperator::DEQUANTIZE)) {
    r.add(builtinKernel(BuiltinOperator::DEQUANTIZE, 1, 6, 1, 1, prepareDequantize, evalDequantize,
                        {ElementType::kFloat16, ElementType::kInt8, ElementType::kUInt8, ElementType::kInt16}));
  }
  if constexpr (opSelected(BuiltinOperator::QUANTIZE)) {
    r.add(builtinKernel(BuiltinOperator::QUANTIZE, 1, 3, 1, 1, prepareQuantize, evalQuantize,
                        {ElementType::kFloat32, ElementType::kInt8, ElementType::kUInt8, ElementType::kInt16}));
  }
  // Values are copied as bytes, so every fixed-size type works.
  if constexpr (opSelected(BuiltinOperator::DENSIFY)) {
    r.add(builtinKernel(BuiltinOperator::DENSIFY, 1, 1, 1, 1, prepareDensify, evalDensify,
                        {ElementType::kFloat32, ElementType::kFloat16, ElementType::kInt8, ElementType::kUInt8,
                         ElementType::kInt16, ElementType::kInt32}));
  }
}

}  // namespace inferd::engine::kernels
