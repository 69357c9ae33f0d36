// Registration entry points of the built-in kernel families. Each kernel
// source file defines one of these; OpResolver::builtins() calls them all.
#pragma once

#include "inferd/engine/kernel.h"

namespace inferd::engine::kernels {

void registerConvKernels(OpResolver& r);            // conv.cpp: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, Convolution2DTransposeBias
void registerFullyConnectedKernels(OpResolver& r);  // fully_connected.cpp: FULLY_CONNECTED
void registerPoolingKernels(OpResolver& r);         // pooling.cpp: AVERAGE_POOL_2D, MAX_POOL_2D
void registerReduceKernels(OpResolver& r);          // reduce.cpp: MEAN (+ SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD)
void registerResizeKernels(OpResolver& r);          // resize.cpp: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, DEPTH_TO_SPACE, SPACE_TO_DEPTH
void registerElementwiseKernels(OpResolver& r);     // elementwise.cpp: ADD, SUB, MUL, DIV, ...
void registerActivationKernels(OpResolver& r);      // activations.cpp: SOFTMAX, LOGISTIC, TANH, RELU*, LEAKY_RELU, PRELU, HARD_SWISH
void registerShapeKernels(OpResolver& r);           // shape_ops.cpp: RESHAPE, SQUEEZE, EXPAND_DIMS, CONCATENATION, SPLIT, SLICE, STRIDED_SLICE, TRANSPOSE, PAD, PADV2
void registerQuantizeKernels(OpResolver& r);        // quantize.cpp: DEQUANTIZE, DENSIFY

}  // namespace inferd::engine::kernels
