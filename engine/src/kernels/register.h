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
void registerQuantizeKernels(OpResolver& r);        // quantize.cpp: DEQUANTIZE, QUANTIZE, DENSIFY
void registerArrayKernels(OpResolver& r);           // array_ops.cpp: SHAPE, RANK, PACK, UNPACK, TILE, BROADCAST_TO, FILL, ZEROS_LIKE, RANGE, SPLIT_V, MIRROR_PAD, REVERSE_V2
void registerUnaryKernels(OpResolver& r);           // unary.cpp: EXP, LOG, SQRT, RSQRT, SQUARE, ABS, NEG, SIN, COS, FLOOR, CEIL, ROUND, SIGN, ELU, GELU, LOGICAL_NOT, LOG_SOFTMAX, L2_NORMALIZATION, CAST
void registerBinaryMiscKernels(OpResolver& r);      // binary_misc.cpp: SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, POW, FLOOR_DIV, FLOOR_MOD, comparisons, LOGICAL_AND/OR, SELECT, SELECT_V2
void registerGatherKernels(OpResolver& r);          // gather.cpp: GATHER, GATHER_ND, EMBEDDING_LOOKUP, ONE_HOT
void registerAxisKernels(OpResolver& r);            // axis_ops.cpp: ARG_MAX, ARG_MIN, CUMSUM
void registerMatMulKernels(OpResolver& r);          // matmul.cpp: BATCH_MATMUL
void registerSpaceBatchKernels(OpResolver& r);      // space_batch.cpp: SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND
void registerControlFlowKernels(OpResolver& r);     // control_flow.cpp: WHILE, IF, CALL_ONCE, VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE
void registerLstmKernels(OpResolver& r);            // lstm.cpp: UNIDIRECTIONAL_SEQUENCE_LSTM (float, hybrid int8 weights)
void registerDetectionKernels(OpResolver& r);       // detection_postprocess.cpp: TFLite_Detection_PostProcess (custom)

}  // namespace inferd::engine::kernels
