// Quantized (int8 / uint8) and hybrid (float activations, int8 weights)
// forms of the compute-heavy ops. The float kernels (conv.cpp,
// fully_connected.cpp, matmul.cpp) hand a node over to these when its input
// or weights are not FLOAT32; the formulas follow TensorFlow Lite's builtin
// kernels so that results match LiteRT byte for byte:
//   int8 / uint8: acc = sum (x - xZp) * (w - wZp) + bias (int32), then
//     out = clamp(acc * M[c] + outZp) with M[c] = inScale * wScale[c] / outScale
//     as a fixed-point multiplier (quant_util.h) and the fused activation
//     clamped in the quantized domain;
//   hybrid: the float input is quantized per batch (CONV_2D, DEPTHWISE_CONV_2D,
//     TRANSPOSE_CONV) or per row (FULLY_CONNECTED, BATCH_MATMUL) to int8
//     (hybrid_util.h), accumulated in int32 against the int8 weights and
//     scaled back: out = act(acc * inScale * wScale[c] + bias).
#pragma once

#include <cstdint>
#include <vector>

#include "kernel_util.h"
#include "quant_util.h"

namespace inferd::engine::kernels {

// Whether a node with this input and weights takes the quantized/hybrid path.
inline bool isQuantizedNode(const Tensor* input, const Tensor* weights) {
  return input->type != ElementType::kFloat32 || weights->type != ElementType::kFloat32;
}

// FULLY_CONNECTED's options and output shape (fully_connected.cpp), shared
// by its float and quantized kernels.
struct FullyConnectedOptions {
  bool keepNumDims = false;
  fb::ActivationFunctionType activation = fb::ActivationFunctionType::NONE;
  bool asymmetricQuantizeInputs = false;
};
Status readFullyConnectedOptions(const OpContext& ctx, FullyConnectedOptions* out);
// Rows (`batches`) and output shape for input and weights [units, inputSize].
Status fullyConnectedShape(const OpContext& ctx, const Tensor* input, const Tensor* weights,
                           bool keepNumDims, int64_t* batches, Dims* outDims);

// BATCH_MATMUL's geometry (matmul.cpp): lhs [..., M, K] (adj_x: [..., K, M])
// times rhs [..., K, N] (adj_y: [..., N, K]), batch dims broadcast.
struct MatMulGeom {
  bool adjX = false, adjY = false;
  int64_t m = 0, k = 0, n = 0;
  BroadcastIndexer batch{Dims{}, Dims{}, Dims{}};  // batch index of lhs (A) and rhs (B)
  Dims outDims;
};
Status matMulGeometry(const OpContext& ctx, const Tensor* lhs, const Tensor* rhs, MatMulGeom* g);

Status prepareConvQuantized(OpContext& ctx);
Status evalConvQuantized(OpContext& ctx);
Status prepareDepthwiseQuantized(OpContext& ctx);
Status evalDepthwiseQuantized(OpContext& ctx);
Status prepareTransposeConvQuantized(OpContext& ctx);
Status evalTransposeConvQuantized(OpContext& ctx);
Status prepareFullyConnectedQuantized(OpContext& ctx);
Status evalFullyConnectedQuantized(OpContext& ctx);
Status prepareBatchMatMulQuantized(OpContext& ctx);
Status evalBatchMatMulQuantized(OpContext& ctx);

namespace qk {

// Requantizes int32 accumulators of one output channel to the output type.
struct Requantizer {
  std::vector<quant::Multiplier> multipliers;  // one, or one per channel
  int32_t outZeroPoint = 0;
  quant::QuantRange clamp;
  quant::Rounding rounding = quant::Rounding::kAwayFromZero;

  int32_t apply(int32_t acc, int64_t channel) const {
    const quant::Multiplier m =
        multipliers[multipliers.size() == 1 ? 0 : static_cast<size_t>(channel)];
    const int32_t v = quant::multiplyByQuantizedMultiplier(acc, m, rounding) + outZeroPoint;
    return std::min(std::max(v, clamp.min), clamp.max);
  }
};

// How the real multiplier inScale * wScale / outScale is formed: TFLite
// computes per-channel multipliers (int8 convolutions, per-channel
// FULLY_CONNECTED) from double scales, and the legacy per-tensor ones (uint8,
// per-tensor FULLY_CONNECTED, BATCH_MATMUL) from the float product
// inScale * wScale.
enum class ScaleProduct : uint8_t { kDouble, kFloat };

// The single scale and zero point of a per-tensor quantized tensor.
Status perTensorQuant(const OpContext& ctx, const Tensor* t, const char* what, float* scale,
                      int32_t* zeroPoint);

// The weight scales (one, or `channels` along `channelDim`) and zero points.
// int8 weights must have zero points 0; uint8 weights one zero point.
Status weightQuant(const OpContext& ctx, const Tensor* w, int64_t channels, int channelDim,
                   std::vector<float>* scales, int32_t* zeroPoint);

// An optional INT32 bias with `channels` elements (nullptr when absent).
Status quantizedBias(const OpContext& ctx, int index, int64_t channels, const int32_t** bias);

// An optional FLOAT32 bias with `channels` elements for the hybrid kernels.
Status hybridBias(const OpContext& ctx, int index, int64_t channels, const float** bias);

// The requantizer for input -> output with the given weight scales and
// fused activation. The output must have the input's type.
Status makeRequantizer(OpContext& ctx, const Tensor* input, const std::vector<float>& wScales,
                       ScaleProduct product, fb::ActivationFunctionType activation,
                       quant::Rounding rounding, Requantizer* out);

// int8 hybrid weights: INT8 with zero points 0 and one scale or one per
// `channels` along `channelDim`; the output must be FLOAT32.
Status hybridWeights(OpContext& ctx, const Tensor* w, int64_t channels, int channelDim,
                     std::vector<float>* scales);

}  // namespace qk
}  // namespace inferd::engine::kernels
