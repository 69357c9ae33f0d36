// Interpreter: runs one subgraph (or one signature) of a shared Model. It
// owns the per-request state (activation arena, kernel state, dynamic
// tensors, resource variables, the subgraphs that control-flow ops run) and
// belongs to one worker thread at a time; create one per worker over the
// same Model.
#pragma once

#include <atomic>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"
#include "inferd/engine/status.h"

namespace inferd::engine {

struct InterpreterOptions {
  const OpResolver* resolver = nullptr;  // nullptr: OpResolver::builtins()
  int subgraph = 0;
  // When set, runs this signature's subgraph (`subgraph` is ignored); the
  // interpreter's inputs and outputs are the signature's, in its order.
  std::string signature;
  // Threads kernels may use (a pthreadpool owned by the interpreter);
  // 1 runs everything on the calling thread.
  int numThreads = 1;
  // false: reference kernels only (the portable oracle the optimized
  // paths are tested against).
  bool optimizedKernels = true;
  // Keep every tensor alive until the end of invoke() instead of sharing
  // arena space between tensors whose lifetimes do not overlap, so that all
  // intermediate values can be read afterwards (for debugging and
  // layer-by-layer comparison; costs memory).
  bool preserveAllTensors = false;
  // Time every node of invoke() (see Interpreter::profile()); the same as
  // calling enableProfiling(true) after create().
  bool profile = false;
  // Largest arena (the activation and scratch memory of one subgraph; a
  // model's control-flow subgraphs each have their own) that prepare may
  // allocate, also when shapes change at invoke; 0: no limit. Over it
  // RESOURCE_EXHAUSTED, so that a small model file that declares huge
  // tensors cannot make the process allocate gigabytes.
  size_t maxArenaBytes = 0;
};

// One node's share of the invocations timed since profiling was turned on
// (or reset): wall time on the calling thread around the kernel's eval
// (and its prepare, for nodes whose shapes are only known during invoke).
struct OpProfile {
  int opIndex = 0;        // index in subgraph().operators
  std::string name;       // "CONV_2D" or the custom name
  std::string variant;    // the kernel variant prepare chose (OpContext::setKernelVariant);
                          // "fused": folded into a neighbour by the graph rewrite, not run

  uint64_t totalNs = 0;   // summed over the invocations
  uint64_t invocations = 0;
};

struct UnsupportedOp {
  int opIndex = 0;
  std::string name;  // "CONV_2D" or the custom name
  int32_t version = 1;
  std::string reason;
  bool notSelectedAtBuildTime = false;  // a selective build left its kernel out
};

// Every op in the subgraph without a kernel, with the reason (for inspect
// and for one error that lists them all).
std::vector<UnsupportedOp> findUnsupportedOps(const Model& model, const OpResolver& resolver, int subgraph = 0);

class OpContextImpl;
class ExecContext;
struct FusionPlan;

class Interpreter {
 public:
  // Resolves a kernel for every op, prepares them (shape inference and
  // validation) and plans the activation arena.
  static Result<std::unique_ptr<Interpreter>> create(std::shared_ptr<const Model> model,
                                                     const InterpreterOptions& options = {});
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& sharedModel() const { return model_; }
  const Subgraph& subgraph() const { return *subgraph_; }
  int subgraphIndex() const { return subgraphIndex_; }
  // The signature being run, or nullptr (InterpreterOptions::signature).
  const Signature* signature() const { return signature_; }

  size_t numInputs() const { return inputs_.size(); }
  size_t numOutputs() const { return outputs_.size(); }
  // Input i (of the subgraph, or of the signature): write its data before invoke().
  Tensor& input(size_t i);
  const Tensor& output(size_t i) const;
  // The signature's name for input/output i, else the tensor's name.
  const std::string& inputName(size_t i) const;
  const std::string& outputName(size_t i) const;
  // Tensor indices (in subgraph()) of the inputs and outputs.
  const std::vector<int32_t>& inputIndices() const { return inputs_; }
  const std::vector<int32_t>& outputIndices() const { return outputs_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }

  // Changes the shape of input i; the graph is prepared and planned again.
  Status resizeInput(size_t i, const Dims& dims);

  Status invoke();
  // Same, stopped at the next operator boundary (and at every iteration of
  // a WHILE, in child subgraphs too) once `stop` is true: CANCELLED. The
  // outputs are then undefined and variable tensors may hold a partial
  // update; the interpreter stays usable. The flag is read with one relaxed
  // load per operator, so another thread (a timer) sets it.
  Status invoke(const std::atomic<bool>& stop);

  // Sets every variable tensor of the subgraph (is_variable: e.g. the state
  // of UNIDIRECTIONAL_SEQUENCE_LSTM, which invoke() carries over to the next
  // call) back to its initial value, as TFLite's ResetVariableTensors: zero,
  // or the zero point for INT8. Resource variables (VAR_HANDLE) are kept.
  void resetVariableTensors();

  // Per-node timing. Off (the default) it costs one branch per node.
  // Turning it on clears the records.
  void enableProfiling(bool on);
  bool profiling() const { return profiling_; }
  void resetProfile();
  // One record per node in run order. Ops folded at load are not nodes;
  // ops folded at prepare have the variant "folded" and no invocations.
  std::vector<OpProfile> profile() const;

  // Planned arena size (bytes) and the size without lifetime sharing.
  size_t arenaBytes() const { return arenaBytes_; }
  size_t arenaNaiveBytes() const { return arenaNaiveBytes_; }
  // Ops of the file that the graph rewrite folded into their neighbours; 0
  // when the graph runs as in the file (reference kernels, models with
  // hybrid ops, preserveAllTensors).
  int fusedOps() const;
  const InterpreterOptions& options() const { return options_; }

 private:
  struct Node;
  Interpreter() = default;
  static Result<std::unique_ptr<Interpreter>> createForSubgraph(ExecContext* exec, int subgraph);
  Status prepareAll();
  Status prepareNode(Node& node, bool duringEval);
  bool foldableAtPrepare(const Node& node) const;
  Status foldAtPrepare(Node& node);
  Status planMemory();
  Status allocateDynamic(int tensorIndex, size_t bytes);
  void bindContext(Node& node, OpContextImpl& impl, bool eval);
  // invoke()'s node loop, also run by ExecContext::invoke for children.
  Status runNodes();
  friend class OpContextImpl;
  friend class ExecContext;

  std::shared_ptr<const Model> model_;
  const Subgraph* subgraph_ = nullptr;
  int subgraphIndex_ = 0;
  const Signature* signature_ = nullptr;
  std::vector<int32_t> inputs_, outputs_;
  const OpResolver* resolver_ = nullptr;
  InterpreterOptions options_;
  // Shared with the child subgraphs' interpreters; owned by the top one.
  ExecContext* exec_ = nullptr;
  std::unique_ptr<ExecContext> ownedExec_;
  bool prepared_ = false;  // prepareAll() succeeded since the last change
  bool profiling_ = false;
  std::vector<Tensor> tensors_;
  std::vector<Node> nodes_;
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> arena_;
  size_t arenaBytes_ = 0;
  size_t arenaNaiveBytes_ = 0;
  std::vector<std::vector<uint64_t>> dynamicStorage_;  // per tensor, 8-byte aligned
  // The rewritten graph the nodes run (graph_fusion.h), or nullptr when they
  // run the file's ops as they are.
  std::unique_ptr<FusionPlan> fusionPlan_;
};

}  // namespace inferd::engine
