// The kernel interface: what an op implementation sees (OpContext) and how it
// is registered (KernelRegistration, OpResolver). Built-in kernels and custom
// ops registered by applications use the same interface.
//
// A kernel has two steps:
//  - prepare: validate inputs (types, ranks, options), infer and set output
//    shapes with resizeOutput(), precompute per-node state (setState) and
//    request scratch memory. Runs once per Interpreter (and again after an
//    input resize). Constant inputs have their data available here.
//  - eval: compute. Never allocates, never logs; returns a Status.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inferd/engine/model.h"
#include "inferd/engine/status.h"
#include "inferd/engine/types.h"

namespace inferd::engine {

// A tensor as the kernels see it during prepare and eval.
struct Tensor {
  ElementType type = ElementType::kFloat32;
  Dims dims;
  uint8_t* data = nullptr;  // constants: points into the Model (read-only!)
  size_t bytes = 0;
  const TensorInfo* info = nullptr;
  bool isConstant = false;
  bool isDynamic = false;  // allocated at eval time, outside the arena

  int rank() const { return static_cast<int>(dims.size()); }
  int32_t dim(int i) const { return dims[static_cast<size_t>(i)]; }
  int64_t numElements() const { return engine::numElements(dims); }
  const QuantParams& quant() const { return info->quant; }
  template <typename T> T* as() { return reinterpret_cast<T*>(data); }
  template <typename T> const T* as() const { return reinterpret_cast<const T*>(data); }
};

// Per-node state a kernel computes in prepare and reads in eval.
struct KernelState {
  virtual ~KernelState() = default;
};

class OpContextImpl;
class ExecContext;
struct NodeFusion;

class OpContext {
 public:
  explicit OpContext(OpContextImpl* impl) : impl_(impl) {}

  const OperatorInfo& op() const;
  int numInputs() const;
  int numOutputs() const;
  // nullptr when the optional input is omitted (index -1) or i is out of range.
  const Tensor* input(int i) const;
  Tensor* output(int i);

  // Prepare only: set the shape of output i (type comes from the model file)
  // and size its storage. Fails on overflow or a shape the model's static
  // shape contradicts.
  Status resizeOutput(int i, const Dims& dims);
  // Prepare only: the output's shape depends on input values unknown until
  // eval; the output is then sized by resizeOutput() during eval.
  void markOutputDynamic(int i);
  // Prepare only: ask for `bytes` of scratch memory for eval; returns an id.
  int requestScratch(size_t bytes);
  // Eval only: the scratch buffer (64-byte aligned).
  void* scratch(int id);

  // Prepare only: data derived from a constant input (e.g. weights packed
  // for an optimized kernel), made once per Model and shared by all its
  // interpreters (Model::sharedDerived); made afresh during constant
  // folding. The caller knows the type behind the pointer.
  template <typename T>
  std::shared_ptr<const T> sharedDerived(const void* constant, const std::string& form,
                                         const std::function<std::shared_ptr<const T>(size_t*)>& make) {
    return std::static_pointer_cast<const T>(
        sharedDerivedRaw(constant, form, [&](size_t* bytes) -> std::shared_ptr<const void> { return make(bytes); }));
  }

  void setState(std::unique_ptr<KernelState> state);
  // Prepare only: names the implementation this node's eval will run, as
  // profiles report it (Interpreter::profile(), inferctl --profile):
  // "avx512-vnni", "avx512", "vbmi-lut" (optimized/), "gemm-f32",
  // "...-builtin-order", "reference", ... Without a call the node reports
  // "xnnpack" when its prepare created an XNNPACK operator, else "reference".
  void setKernelVariant(std::string variant);
  template <typename S> S* state() { return static_cast<S*>(stateRaw()); }

  // Builds an error naming the op and its index: "CONV_2D (op 3): ..."
  template <typename... Args>
  Status error(fmt::format_string<Args...> format, Args&&... args) const {
    return errorMessage(StatusCode::kInvalidModel, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  Status unsupported(fmt::format_string<Args...> format, Args&&... args) const {
    return errorMessage(StatusCode::kUnsupported, fmt::format(format, std::forward<Args>(args)...));
  }
  Status errorMessage(StatusCode code, const std::string& message) const;

  // Whether optimized paths (XNNPACK, ...) may be used; false asks for the
  // reference kernels.
  bool optimizedKernels() const;
  // Whether float kernels should reproduce the summation order of
  // TensorFlow Lite's builtin kernels rather than take a faster path
  // (XNNPACK) that rounds differently. True in models with dynamic-range
  // (hybrid) ops: their run-time input quantization turns a 1-ulp
  // difference in a float layer into a whole quantization step downstream,
  // and over tens of layers into visible output differences.
  bool reproducibleFloat() const;
  // The interpreter's pthreadpool_t for kernels that parallelize; nullptr
  // means run on the calling thread.
  void* threadPool() const;
  // Engine-internal (graph_fusion.h): what the interpreter's graph rewrite
  // folded into this node (a clamp, a padded operand, an element-wise
  // function after the result; all defaults when nothing), nullptr during
  // constant folding.
  const NodeFusion* fusion() const;
  // Engine-internal (graph_exec.h): the running interpreter's subgraphs and
  // resource variables, for control-flow and variable kernels; nullptr
  // during constant folding.
  ExecContext* execContext() const;

 private:
  KernelState* stateRaw();
  std::shared_ptr<const void> sharedDerivedRaw(const void* constant, const std::string& form,
                                               const Model::DeriveFn& make);
  OpContextImpl* impl_;
};

using KernelFn = Status (*)(OpContext&);

struct KernelRegistration {
  int32_t builtinCode = 32;  // BuiltinOperator; 32 (CUSTOM) for custom ops
  std::string customName;    // for custom ops
  int32_t minVersion = 1;
  int32_t maxVersion = 1;
  int32_t minInputs = 0;
  int32_t maxInputs = 0;
  int32_t minOutputs = 1;
  int32_t maxOutputs = 1;
  KernelFn prepare = nullptr;
  KernelFn eval = nullptr;
  // Element types the eval step handles (documentation for `inspect --ops`).
  std::vector<ElementType> types;
};

class OpResolver {
 public:
  // The resolver with every built-in kernel (and built-in custom ops).
  static const OpResolver& builtins();

  OpResolver() = default;
  // A copy of another resolver (for adding custom ops to the built-ins).
  static OpResolver withBuiltins();

  // Registers a kernel; a later registration for the same op and versions wins.
  void add(KernelRegistration registration);
  // Registers a custom op by name.
  void addCustom(const std::string& name, KernelRegistration registration);

  // The kernel for (op, version), or nullptr.
  const KernelRegistration* find(int32_t builtinCode, const std::string& customName,
                                 int32_t version) const;
  // Explains why find() returns nullptr: "no kernel for op FOO" or
  // "CONV_2D version 9 is not supported (supported: 1-6)".
  std::string whyUnsupported(int32_t builtinCode, const std::string& customName,
                             int32_t version) const;
  const std::vector<KernelRegistration>& all() const { return registrations_; }

 private:
  std::vector<KernelRegistration> registrations_;
};

// "CONV_2D" for a BuiltinOperator value, "UNKNOWN(n)" otherwise.
std::string builtinOperatorName(int32_t code);

// Selective builds (meson -Dops / -Dops_from) register only some built-in
// kernels. The ops selected ("ADD, CONV_2D, ..."), or "" when the build has
// every op.
std::string opsSelectedAtBuildTime();
// Whether the build left out this op's built-in kernel (false in a build
// with every op, and for ops that have no built-in kernel in any build).
bool opNotSelectedAtBuildTime(int32_t builtinCode, const std::string& customName);

}  // namespace inferd::engine
