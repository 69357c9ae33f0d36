// Graph-level rewrites of a float subgraph, planned once when an interpreter
// with optimized kernels is created: small ops fold into the op that
// produces (or consumes) their operand, so that the pair costs one pass
// over memory instead of two or three, and one dispatch instead of several.
//
//   X -> RELU | RELU6 | RELU_N1_TO_1     X clamps its result (X: CONV_2D,
//                                        DEPTHWISE_CONV_2D, FULLY_CONNECTED,
//                                        ADD, SUB, MUL, AVERAGE/MAX_POOL_2D)
//   PAD (last axis only, zeros) -> ADD   ADD reads its operand as padded
//   x -> LOGISTIC -> MUL(x, .)           one SWISH node x * sigmoid(x), or the
//                                        depthwise convolution producing x
//                                        applies it before storing
//   DEPTHWISE_CONV_2D -> HARD_SWISH      the convolution applies it
//   x -> LOGISTIC -> MUL(x, .), 8-bit    one table lookup (INT8 or UINT8,
//                                        per-tensor quantization, MUL
//                                        without activation)
//
// A float rewrite needs float32 tensors and an intermediate that nothing else
// reads (not a subgraph output, not a variable, one consumer). The ops that
// disappear are not run and their outputs are never allocated. Models with
// hybrid ops (whose float kernels reproduce TFLite's builtin ones, see
// OpContext::reproducibleFloat) get only the SWISH node, in the builtin
// order; interpreters with reference kernels and runs that keep every
// tensor (InterpreterOptions::preserveAllTensors) get the graph as it is in
// the file.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"

namespace inferd::engine {

// An element-wise function applied after the op's result is clamped.
enum class PostOp : uint8_t { kNone, kSwish, kHardSwish };

// What a node does beyond its own op; kernels read it with OpContext::fusion().
struct NodeFusion {
  // Folded RELU-family ops: clamp the result to [clampMin, clampMax] (on
  // top of the op's own fused activation; activationRange() intersects them).
  float clampMin = -std::numeric_limits<float>::infinity();
  float clampMax = std::numeric_limits<float>::infinity();
  // A folded PAD: input `padInput` (-1: none) is read as if padded with
  // padBefore / padAfter zeros along its last axis.
  int padInput = -1;
  int32_t padBefore = 0, padAfter = 0;
  PostOp post = PostOp::kNone;
  // An 8-bit SWISH (swish8Kernel): the quantization of the LOGISTIC output
  // that the fused node no longer stores (its MUL reads it in the table).
  float swishMidScale = 0.f;
  int32_t swishMidZeroPoint = 0;

  bool clamps() const {
    return clampMin > -std::numeric_limits<float>::infinity() ||
           clampMax < std::numeric_limits<float>::infinity();
  }
};

// One op of the rewritten subgraph.
struct PlannedOp {
  const OperatorInfo* op = nullptr;   // the file's op, or its rewritten copy in FusionPlan
  int index = 0;                      // the op's index in the file (for messages)
  NodeFusion fusion;
  const KernelRegistration* kernel = nullptr;  // set when the op runs a built-in fused kernel
};

struct FusionPlan {
  std::vector<PlannedOp> ops;  // in execution order; folded and fused-away ops left out
  std::vector<OperatorInfo> rewritten;  // storage for the rewritten copies (not resized after planning)
  int fusedAway = 0;  // ops that disappeared into others
};

// The rewritten op list of `sg` (ops folded at load are left out). Only
// ops whose kernel in `resolver` is the built-in one take part (an
// application's own kernel would not know about NodeFusion). With
// `reproducibleFloat` (models with hybrid ops) only the rewrite that keeps
// TFLite's builtin float arithmetic runs: LOGISTIC + MUL as one SWISH node
// that computes the same two results in one pass.
FusionPlan planFusions(const Subgraph& sg, const OpResolver& resolver, bool reproducibleFloat = false);

// The ops of `sg` as they are (folded ones left out), nothing fused.
FusionPlan unfusedPlan(const Subgraph& sg);

namespace kernels {
// SWISH (x * sigmoid(x)): the fused LOGISTIC + MUL, input 0 -> output 0.
const KernelRegistration& swishKernel();
// The same pair on 8-bit tensors: one 256-entry table, built at prepare by
// the LOGISTIC table and the MUL arithmetic of the reference kernels, so
// that it gives their bytes.
const KernelRegistration& swish8Kernel();
}  // namespace kernels

}  // namespace inferd::engine
