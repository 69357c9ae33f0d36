// Engine-internal plumbing between the Model loader, the interpreter and
// the kernels: running one op on constant inputs (constant folding at load
// time), and the per-interpreter state that control-flow and resource
// variable kernels use (ExecContext).
#pragma once

#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inferd/engine/interpreter.h"
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

// A resource variable (VAR_HANDLE / ASSIGN_VARIABLE / READ_VARIABLE).
struct ResourceVariable {
  bool assigned = false;
  ElementType type = ElementType::kFloat32;
  Dims dims;
  size_t bytes = 0;
  std::vector<uint64_t> storage;  // 8-byte aligned
};

// State shared by an interpreter and the child subgraphs its control-flow
// ops run (WHILE, IF, CALL_ONCE): one Interpreter per child subgraph,
// created on first use; resource variables by (container, shared_name);
// which CALL_ONCE subgraphs have run; the kernels' thread pool.
class ExecContext {
 public:
  ExecContext(std::shared_ptr<const Model> model, const InterpreterOptions& options, const OpResolver* resolver);
  ~ExecContext();
  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;

  Status createThreadPool();
  void* threadPool() const { return threadPool_; }
  const std::shared_ptr<const Model>& model() const { return model_; }
  const InterpreterOptions& options() const { return options_; }
  const OpResolver* resolver() const { return resolver_; }

  // The interpreter of child subgraph `index`, created (and prepared with
  // the file's shapes) on first use.
  Result<Interpreter*> subgraph(int index);

  // The id of the resource named (container, sharedName); equal names give
  // equal ids within this interpreter.
  int32_t resourceId(const std::string& container, const std::string& sharedName);
  // The variable with this id, or nullptr for an id no VAR_HANDLE made.
  ResourceVariable* variable(int32_t id);

  // Whether CALL_ONCE has run `subgraph` (successfully) in this interpreter.
  bool calledOnce(int subgraph) const { return calledOnce_.count(subgraph) > 0; }
  void markCalledOnce(int subgraph) { calledOnce_.insert(subgraph); }

  // Gives the child's inputs the shapes of `values` (preparing it again
  // when a shape changed); with copyData, copies the values in as well.
  static Status setInputs(Interpreter& child, const std::vector<const Tensor*>& values, bool copyData);
  // Runs the child subgraph.
  static Status invoke(Interpreter& child);

  // The stop flag of the invoke(stop) running now (nullptr: none); child
  // subgraphs and WHILE iterations read it through stopped().
  const std::atomic<bool>* stop = nullptr;
  bool stopped() const { return stop != nullptr && stop->load(std::memory_order_relaxed); }
  static Status stoppedStatus() {
    return Status(StatusCode::kCancelled, "the execution was stopped before it finished");
  }

 private:
  std::shared_ptr<const Model> model_;
  InterpreterOptions options_;
  const OpResolver* resolver_;
  void* threadPool_ = nullptr;  // pthreadpool_t, destroyed last
  std::map<int, std::unique_ptr<Interpreter>> children_;
  std::map<std::pair<std::string, std::string>, int32_t> resourceIds_;
  std::vector<ResourceVariable> variables_;
  std::set<int> calledOnce_;
};

}  // namespace inferd::engine
