// The opencl driver's operator set: each TFLite operator it runs is lowered
// to one or more launches of our OpenCL C 1.2 kernels (or buffer copies).
// Lowering is the single check behind both supportedOps and prepare: an
// operator the driver claims is one that lowers, and prepare creates exactly
// the launches the lowering describes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cl_util.h"
#include "inferd/engine/model.h"

namespace inferd::hal::clops {

// One kernel argument.
struct Arg {
  enum class Type { kTensor, kInt, kFloat, kInt4, kHostFloats };
  Type type = Type::kInt;
  int32_t tensor = -1;     // kTensor: the subgraph tensor whose device buffer is passed
  cl_int i = 0;            // kInt
  cl_float f = 0;          // kFloat
  cl_int4 i4{};            // kInt4
  std::vector<float> host; // kHostFloats: uploaded once at prepare (e.g. a zero bias)
};

// One kernel launch over an NDRange, or (kernel empty) a buffer copy.
struct Launch {
  std::string kernel;
  cl_uint dims = 1;
  size_t global[2] = {0, 1};
  size_t local[2] = {0, 0};  // {0, 0}: the driver picks
  std::vector<Arg> args;
  int32_t copyFrom = -1, copyTo = -1;
  size_t copyBytes = 0;

  Launch& tensor(int32_t t);
  Launch& i(int32_t v);
  Launch& f(float v);
  Launch& i4(int32_t a, int32_t b, int32_t c, int32_t d);
  Launch& host(std::vector<float> v);
};

// The launches of one operator, in order.
struct Lowered {
  std::vector<Launch> launches;
  std::string variant;  // what the profile names the kernel ("gemm", "conv2d", ...)
};

// The program holding every kernel.
const char* kernelSource();

// "" when operator `op` of `sg` runs on the opencl driver (and then `out`,
// when not null, holds its launches), else why it does not.
std::string lower(const engine::Subgraph& sg, const engine::OperatorInfo& op, Lowered* out);

}  // namespace inferd::hal::clops
