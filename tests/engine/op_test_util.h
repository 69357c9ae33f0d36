// Test helper: builds small .tflite models in memory (one op or a few) with
// the FlatBuffers builder, and runs them through the engine.
#pragma once

#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "inferd/engine/interpreter.h"
#include "inferd/engine/model.h"
#include "inferd/engine/types.h"
#include "tflite_generated.h"

namespace inferd::test {

namespace fb = ::inferd::tflite;
using engine::Dims;
using engine::ElementType;
using engine::QuantParams;

// Builds the op's builtin options; returns (union type, offset).
using OptionsFn =
    std::function<std::pair<fb::BuiltinOptions, flatbuffers::Offset<void>>(flatbuffers::FlatBufferBuilder&)>;

// Extra table fields for a tensor (e.g. sparsity); called while building it.
using SparsityFn = std::function<flatbuffers::Offset<fb::SparsityParameters>(flatbuffers::FlatBufferBuilder&)>;

class OpModelBuilder {
 public:
  // A runtime input of the model (graph input).
  int addInput(ElementType type, Dims dims, QuantParams quant = {});
  // A constant tensor with raw bytes.
  int addConstantBytes(ElementType type, Dims dims, const void* data, size_t bytes, QuantParams quant = {},
                       SparsityFn sparsity = {});
  template <typename T>
  int addConstant(ElementType type, Dims dims, const std::vector<T>& values, QuantParams quant = {}) {
    return addConstantBytes(type, std::move(dims), values.data(), values.size() * sizeof(T), std::move(quant));
  }
  // A graph output. `dims` is the shape the file records (kernels infer the
  // real one); pass {} when unknown.
  int addOutput(ElementType type, Dims dims, QuantParams quant = {});
  // An intermediate tensor (neither input nor output).
  int addTensor(ElementType type, Dims dims, QuantParams quant = {});
  // A variable tensor (is_variable; keeps its value across invokes, e.g. LSTM state).
  int addVariable(ElementType type, Dims dims);

  void addOp(fb::BuiltinOperator op, std::vector<int> inputs, std::vector<int> outputs, OptionsFn options = {},
             int version = 1);
  void addCustomOp(const std::string& name, std::vector<int> inputs, std::vector<int> outputs,
                   std::vector<uint8_t> customOptions, int version = 1);

  // Multiple subgraphs: subgraph 0 exists from the start; addSubgraph()
  // appends one and makes it current. The add*() calls above build the
  // current subgraph (tensor indices are per subgraph).
  int addSubgraph();
  // Renames tensor `index` of the current subgraph (default "t<index>").
  void setTensorName(int index, std::string name) { cur().tensors[static_cast<size_t>(index)].name = std::move(name); }
  void setSubgraph(int index) { current_ = index; }
  // A SignatureDef: (name, tensor index) pairs of subgraph `subgraph`.
  void addSignature(const std::string& key, int subgraph, std::vector<std::pair<std::string, int>> inputs,
                    std::vector<std::pair<std::string, int>> outputs);

  // Store constant data after the FlatBuffer (Buffer.offset/size), as the
  // converter does for models over 2 GiB.
  void setExternalBuffers(bool external) { externalBuffers_ = external; }

  // The serialized .tflite model.
  std::vector<uint8_t> finish();

 private:
  std::vector<uint8_t> build(const std::vector<uint64_t>* offsets);
  bool externalBuffers_ = false;
  struct TensorDef {
    ElementType type;
    Dims dims;
    QuantParams quant;
    std::vector<uint8_t> data;
    bool constant = false;
    SparsityFn sparsity;
    bool variable = false;
    std::string name = std::string();  // empty: "t<index>"
  };
  struct OpDef {
    int32_t code;
    std::string custom;
    int version;
    std::vector<int> inputs, outputs;
    OptionsFn options;
    std::vector<uint8_t> customOptions;
  };
  struct SubgraphDef {
    std::vector<TensorDef> tensors;
    std::vector<OpDef> ops;
    std::vector<int> inputs, outputs;
  };
  struct SignatureDef {
    std::string key;
    int subgraph;
    std::vector<std::pair<std::string, int>> inputs, outputs;
  };
  int addTensorDef(TensorDef t);
  SubgraphDef& cur() { return subgraphs_[static_cast<size_t>(current_)]; }
  std::vector<SubgraphDef> subgraphs_{1};
  std::vector<SignatureDef> signatures_;
  int current_ = 0;
};

struct InputData {
  std::vector<uint8_t> bytes;
  Dims dims;  // empty: keep the model's input shape
  template <typename T>
  static InputData of(const std::vector<T>& values, Dims dims = {}) {
    InputData d;
    d.bytes.resize(values.size() * sizeof(T));
    if (!d.bytes.empty()) std::memcpy(d.bytes.data(), values.data(), d.bytes.size());
    d.dims = std::move(dims);
    return d;
  }
};

struct OutputTensor {
  ElementType type;
  Dims dims;
  std::vector<uint8_t> bytes;
  template <typename T>
  std::vector<T> values() const {
    std::vector<T> v(bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
    return v;
  }
};

// Loads the model bytes, sets the inputs (graph input order), invokes, and
// returns copies of all outputs. Any failure comes back as a Status.
// `options` picks the kernels (optimizedKernels = false: the reference
// kernels) and threads; the default runs the optimized paths on one thread.
Result<std::vector<OutputTensor>> runModel(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs,
                                           const engine::InterpreterOptions& options = {});

// Convenience for float models: the float values of output `index`, or
// throws a Catch-visible failure (returns empty) with the status message in
// `error`.
std::vector<float> runFloat(const std::vector<uint8_t>& model, const std::vector<std::vector<float>>& inputs,
                            std::string* error = nullptr, int outputIndex = 0, Dims* outDims = nullptr,
                            const engine::InterpreterOptions& options = {});

// The kernel paths the kernel tests check: the reference kernels (the
// oracle), and the optimized kernels (XNNPACK and our SIMD kernels) on one
// thread and on two. The two-thread path hands even small ops to the pool
// (xnn::setMinParallelFlops(0)) so that their threaded code runs too.
enum class KernelPath { kReference, kOptimized, kOptimized2Threads };
engine::InterpreterOptions kernelPathOptions(KernelPath path);
const char* kernelPathName(KernelPath path);

// A float model's output `outputIndex` on the reference kernels and on the
// optimized kernels with two threads, for comparing the paths directly.
// `error` is empty when both runs succeeded.
struct BothPaths {
  std::vector<float> reference, optimized;
  Dims referenceDims, optimizedDims;
  std::string error;
  // XNNPACK operators and SIMD kernels created by the optimized run.
  uint64_t optimizedKernels = 0;
};
BothPaths runBothPaths(const std::vector<uint8_t>& model, const std::vector<std::vector<float>>& inputs,
                       int outputIndex = 0);

// max |got[i] - want[i]| / (1 + |want[i]|); infinity when the sizes differ
// or a value is NaN.
double maxScaledDiff(const std::vector<float>& got, const std::vector<float>& want);

}  // namespace inferd::test

// Inside a Catch2 TEST_CASE: runs the rest of the test case once per kernel
// path (a Catch generator), with `options` (an engine::InterpreterOptions
// lvalue the file's run helpers pass on) set for it. The path is available
// as `kernelPath` for the few checks that only hold on one path.
#define INFERD_EACH_KERNEL_PATH(options)                                                        \
  const ::inferd::test::KernelPath kernelPath =                                                 \
      GENERATE(::inferd::test::KernelPath::kReference, ::inferd::test::KernelPath::kOptimized, \
               ::inferd::test::KernelPath::kOptimized2Threads);                                 \
  (options) = ::inferd::test::kernelPathOptions(kernelPath);                                    \
  INFO("kernel path: " << ::inferd::test::kernelPathName(kernelPath))
