// What `inferctl run` does the same way in local and daemon mode: match
// --input arguments to the model's inputs, read and check the .npy files,
// and write output_<i>.npy files with a one-line summary per output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inferd/engine/npy.h"
#include "inferd/engine/status.h"
#include "inferd/engine/types.h"

namespace inferd::inferctl {

// A model input or output as inferctl checks it; -1 in `shape` is a
// dynamic dimension that accepts any size.
struct TensorSpec {
  std::string name;
  engine::ElementType type = engine::ElementType::kFloat32;
  std::vector<int64_t> shape;
};

// "the model expects: input FLOAT32 [1, 128, 128, 3], ..."
std::string describeInputs(const std::vector<TensorSpec>& inputs);

// Reads one .npy per expected input from NAME=FILE.npy arguments (FILE.npy
// alone for a single-input model) and checks type and shape. Arrays come
// back in the order of `expected`; errors are one line naming the input.
Result<std::vector<engine::NpyArray>> readInputs(const std::vector<std::string>& args,
                                                 const std::vector<TensorSpec>& expected);

// An output to write; points at bytes owned by the caller.
struct OutputRef {
  std::string name;
  engine::ElementType type = engine::ElementType::kFloat32;
  engine::Dims dims;
  const uint8_t* data = nullptr;
  size_t bytes = 0;
};

// Creates the output directory (and its parents).
Status makeOutputDir(const std::string& dir);

// Writes output i to dir/output_<i>.npy and prints
// "output i 'NAME' TYPE [dims]: min .. max .. mean .. -> PATH".
Status writeOutputs(const std::string& dir, const std::vector<OutputRef>& outputs);

// "time: 1.234 ms" or "time: median 1.2 ms, min 1.1 ms, p99 1.5 ms over N runs".
void printTimes(std::vector<double> millis);

}  // namespace inferd::inferctl
