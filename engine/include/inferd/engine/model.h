// Model: a .tflite file memory-mapped read-only, verified, and parsed into an
// immutable graph. Constant tensors point into the mapping; constants that
// need a one-time transformation (fp16 -> fp32 DEQUANTIZE, DENSIFY of sparse
// weights) are folded once at load and owned by the Model. A Model is safe to
// share across threads; every Interpreter over it reads the same constants.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "inferd/engine/status.h"
#include "inferd/engine/types.h"

namespace inferd::engine {

class OpResolver;

struct TensorInfo {
  std::string name;
  ElementType type = ElementType::kFloat32;
  Dims shape;           // static shape from the file
  Dims shapeSignature;  // -1 marks a dynamic dim; empty when the file has none
  QuantParams quant;
  const uint8_t* data = nullptr;  // constant data, nullptr for activations
  size_t bytes = 0;               // byte size of constant data
  bool isConstant = false;
  bool isVariable = false;
  bool isSparse = false;  // constant stored in TFLite's sparse format
  int32_t bufferIndex = 0;
  const void* fbTensor = nullptr;  // the FlatBuffers Tensor table (engine-internal)
};

struct OperatorInfo {
  int32_t builtinCode = 0;  // BuiltinOperator value, max(builtin, deprecated)
  std::string customName;   // set for CUSTOM ops
  int32_t version = 1;
  std::vector<int32_t> inputs;   // tensor indices, -1 for an omitted optional input
  std::vector<int32_t> outputs;
  std::vector<int32_t> intermediates;
  const uint8_t* customOptions = nullptr;
  size_t customOptionsSize = 0;
  const void* fbOperator = nullptr;  // the FlatBuffers Operator table (engine-internal)
  // Subgraphs this op runs: WHILE {cond, body}, IF {then, else},
  // CALL_ONCE {init}; verified in range and free of recursion at load.
  std::vector<int32_t> calledSubgraphs;
  bool folded = false;  // evaluated once at load; its outputs are constants now

  // "CONV_2D" or the custom op name.
  std::string name() const;
};

struct Subgraph {
  std::string name;
  std::vector<TensorInfo> tensors;
  std::vector<OperatorInfo> operators;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
};

struct SignatureTensor {
  std::string name;
  int32_t tensorIndex = 0;
};

struct Signature {
  std::string key;
  int32_t subgraphIndex = 0;
  std::vector<SignatureTensor> inputs;
  std::vector<SignatureTensor> outputs;
};

// A contiguous-or-not set of one subgraph's operators, run on its own:
// the tensors it reads from outside (its inputs) and the ones it produces
// that the rest of the graph or the subgraph's outputs need (its outputs),
// both in first-use order. Constants and variable tensors (state an op
// keeps) are never boundary tensors.
struct GraphSlice {
  std::vector<int32_t> ops;      // operator indices, in run order
  std::vector<int32_t> inputs;   // tensor indices
  std::vector<int32_t> outputs;  // tensor indices
};

// The boundary of `ops` (operator indices of `sg`, sorted by the caller
// into a valid run order; folded ops are skipped).
GraphSlice sliceBoundary(const Subgraph& sg, std::vector<int32_t> ops);

struct LoadOptions {
  // Fold DEQUANTIZE/DENSIFY of constants into float constants at load.
  bool foldConstants = true;
  // Kernels used for folding; nullptr means OpResolver::builtins().
  const OpResolver* resolver = nullptr;
};

class Model {
 public:
  // Maps, verifies and parses a .tflite file. Errors name the file and the
  // problem. The resolver provides kernels for constant folding.
  // The file is opened without blocking (a FIFO or device in its place is
  // refused, not waited on) and must be a regular file of at most
  // kMaxModelBytes.
  static Result<std::shared_ptr<const Model>> load(const std::string& path,
                                                   const LoadOptions& options = {});
  // Same, from a file the caller opened (the daemon opens model files
  // beneath its model directory without following links); `fd` stays the
  // caller's and is not needed after the call. `label` names the model in
  // error messages.
  static Result<std::shared_ptr<const Model>> loadFromFd(int fd, const std::string& label,
                                                         const LoadOptions& options = {});
  // The FlatBuffers format's own limit (32-bit offsets).
  static constexpr uint64_t kMaxModelBytes = uint64_t{1} << 31;
  // Same, from bytes in memory (copied into the Model). `label` names the
  // model in error messages.
  static Result<std::shared_ptr<const Model>> loadFromBuffer(const void* data, size_t size,
                                                             const std::string& label,
                                                             const LoadOptions& options = {});

  // A Model whose subgraph 0 runs only `slice` of `parent`'s subgraph
  // `subgraph`: same tensors (same indices), the slice's operators, the
  // slice's inputs and outputs as the subgraph's. The other subgraphs (the
  // ones control-flow ops call) are kept as they are; signatures are not.
  // `shapes` gives boundary inputs the shapes they have at run time when
  // the file's shapes are not those (tensor index -> dims). Shares the
  // parent's file, folded constants and packed weights (sharedDerived) and
  // keeps the parent alive. This is what lets a device run part of a graph.
  static Result<std::shared_ptr<const Model>> slice(std::shared_ptr<const Model> parent, int subgraph,
                                                    const GraphSlice& slice,
                                                    const std::map<int32_t, Dims>& shapes = {});
  // The model this one is a slice of, or nullptr.
  const std::shared_ptr<const Model>& parent() const { return parent_; }

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& label() const { return label_; }
  const std::string& description() const { return description_; }
  uint32_t schemaVersion() const { return version_; }
  const std::vector<Subgraph>& subgraphs() const { return subgraphs_; }
  const Subgraph& mainSubgraph() const { return subgraphs_.front(); }
  const std::vector<Signature>& signatures() const { return signatures_; }
  // The signature with this key, or nullptr.
  const Signature* findSignature(const std::string& key) const;

  size_t fileBytes() const { return size_; }
  // The mapped file; constants that need no folding point inside it.
  const uint8_t* fileData() const { return base_; }
  // True when the Model's file is memory-mapped (not copied).
  bool isMapped() const { return mapping_ != nullptr; }
  // Bytes of constant tensor data referenced by the main graph, after folding.
  size_t constantBytes() const;
  // Bytes the Model allocated for folded constants (fp16->fp32 etc.).
  size_t foldedBytes() const { return foldedBytes_; }
  // True when some op (in any subgraph) is a dynamic-range ("hybrid") op:
  // float activations meet constant int8 weights that the op itself
  // dequantizes (not through a DEQUANTIZE op).
  bool hasHybridOps() const { return hasHybridOps_; }

  // Data derived once from constants (weights packed for a kernel) and
  // shared by every Interpreter of this Model: the first call with a key
  // runs `make`, later calls (from any thread) get the same object. Kept
  // until the Model goes away. `key` names the constant and the form, e.g.
  // (weights data pointer, "qgemm-vnni"). `make` sets *bytes to the size
  // of what it made.
  using DeriveFn = std::function<std::shared_ptr<const void>(size_t* bytes)>;
  std::shared_ptr<const void> sharedDerived(const void* constant, const std::string& form,
                                            const DeriveFn& make) const;
  // Bytes held by sharedDerived() objects.
  size_t derivedBytes() const;

 private:
  Model() = default;
  friend class ModelLoader;

  std::string label_;
  std::string description_;
  uint32_t version_ = 0;
  const uint8_t* base_ = nullptr;  // the mapped (or copied) file
  size_t size_ = 0;
  void* mapping_ = nullptr;        // munmap on destruction when set
  std::vector<uint8_t> copy_;      // used by loadFromBuffer
  std::vector<std::unique_ptr<uint8_t[]>> owned_;  // folded constants
  size_t foldedBytes_ = 0;
  bool hasHybridOps_ = false;
  std::shared_ptr<const Model> parent_;  // set for slices
  std::vector<Subgraph> subgraphs_;
  std::vector<Signature> signatures_;
  mutable std::mutex derivedMutex_;
  mutable std::map<std::pair<const void*, std::string>, std::shared_ptr<const void>> derived_;
  mutable size_t derivedBytes_ = 0;
};

}  // namespace inferd::engine
