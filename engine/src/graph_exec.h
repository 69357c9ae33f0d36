// Engine-internal plumbing between the Model loader and the interpreter:
// running one op on constant inputs (constant folding at load time) and the
// state behind OpContext.
#pragma once

#include <memory>
#include <vector>

#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"

namespace inferd::engine {

struct FoldedOutput {
  Dims dims;
  std::unique_ptr<uint8_t[]> data;
  size_t bytes = 0;
};

// Prepares and evaluates `op` whose inputs are all constants; returns its outputs.
Result<std::vector<FoldedOutput>> evalConstantOp(const Subgraph& sg, const OperatorInfo& op, int opIndex,
                                                 const KernelRegistration& kernel);

}  // namespace inferd::engine
