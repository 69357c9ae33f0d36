// Interpreter: kernel resolution, prepare (shape inference), arena planning
// by tensor lifetimes, and invoke. Also the OpContext that kernels see, the
// one-op evaluation used for constant folding at load time, and the
// ExecContext through which control-flow ops run child subgraphs.
#include "inferd/engine/interpreter.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "graph_exec.h"
#include "kernels/xnnpack_util.h"
#include "graph_fusion.h"
#include "memory_planner.h"

namespace inferd::engine {

namespace {
constexpr int64_t kMaxTensorBytes = int64_t{1} << 32;
// 8-byte words of slack after each dynamic tensor: XNNPACK reads up to
// XNN_EXTRA_BYTES (16) past an input's end.
constexpr size_t kReadSlackWords = 2;
static_assert(kReadSlackWords * 8 >= XNN_EXTRA_BYTES && kArenaAlignment >= XNN_EXTRA_BYTES);

Status checkedBytes(ElementType type, const Dims& dims, size_t* bytes) {
  auto n = checkedNumElements(dims);
  const size_t es = elementSize(type);
  if (!n || (es > 0 && *n > kMaxTensorBytes / static_cast<int64_t>(es))) {
    return makeError(StatusCode::kInvalidModel, "shape {} of {} is invalid or too large", dimsToString(dims),
                     elementTypeName(type));
  }
  *bytes = static_cast<size_t>(*n) * es;
  return Status::ok();
}

}  // namespace

struct Interpreter::Node {
  const OperatorInfo* op = nullptr;
  int index = 0;
  const KernelRegistration* kernel = nullptr;
  std::unique_ptr<KernelState> state;
  std::vector<size_t> scratchBytes;
  std::vector<void*> scratchPtrs;
  bool deferred = false;  // has dynamic inputs: prepared right before eval
  bool foldedAtPrepare = false;  // evaluated in prepare; its outputs are constants
  std::string variant;  // OpContext::setKernelVariant, or the default after prepare
  uint64_t profileNs = 0;
  uint64_t profileInvocations = 0;
  const NodeFusion* fusion = nullptr;  // what graph_fusion.h folded into it (defaults: nothing)
};

// The state behind OpContext. The interpreter and constant folding each
// provide tensors, the node's kernel state and scratch storage.
class OpContextImpl {
 public:
  enum class Phase { kPrepare, kEval };

  std::vector<Tensor>* tensors = nullptr;
  const OperatorInfo* op = nullptr;
  int opIndex = 0;
  Phase phase = Phase::kPrepare;
  std::unique_ptr<KernelState>* state = nullptr;
  std::string* variant = nullptr;  // prepare only; nullptr during constant folding
  std::vector<size_t>* scratchBytes = nullptr;
  std::vector<void*>* scratchPtrs = nullptr;
  // Allocates storage for a dynamic tensor during eval.
  Interpreter* interpreter = nullptr;
  std::vector<std::vector<uint64_t>>* foldStorage = nullptr;  // for folding
  bool optimized = false;    // constant folding uses the reference kernels
  bool reproducibleFloat = false;
  const NodeFusion* fusion = nullptr;
  void* threadPool = nullptr;
  ExecContext* exec = nullptr;  // nullptr during constant folding

  Status allocate(int tensorIndex, size_t bytes) {
    if (interpreter != nullptr) return interpreter->allocateDynamic(tensorIndex, bytes);
    auto& storage = (*foldStorage)[static_cast<size_t>(tensorIndex)];
    storage.assign((bytes + 7) / 8, 0);
    Tensor& t = (*tensors)[static_cast<size_t>(tensorIndex)];
    t.data = reinterpret_cast<uint8_t*>(storage.data());
    t.bytes = bytes;
    return Status::ok();
  }
};

const OperatorInfo& OpContext::op() const { return *impl_->op; }
int OpContext::numInputs() const { return static_cast<int>(impl_->op->inputs.size()); }
int OpContext::numOutputs() const { return static_cast<int>(impl_->op->outputs.size()); }

const Tensor* OpContext::input(int i) const {
  if (i < 0 || i >= numInputs()) return nullptr;
  const int32_t idx = impl_->op->inputs[static_cast<size_t>(i)];
  if (idx < 0) return nullptr;
  return &(*impl_->tensors)[static_cast<size_t>(idx)];
}

Tensor* OpContext::output(int i) {
  if (i < 0 || i >= numOutputs()) return nullptr;
  return &(*impl_->tensors)[static_cast<size_t>(impl_->op->outputs[static_cast<size_t>(i)])];
}

Status OpContext::resizeOutput(int i, const Dims& dims) {
  Tensor* t = output(i);
  if (t == nullptr) return error("output {} does not exist", i);
  size_t bytes = 0;
  Status s = checkedBytes(t->type, dims, &bytes);
  if (!s.isOk()) return error("output {}: {}", i, s.message());
  if (impl_->phase == OpContextImpl::Phase::kEval) {
    if (!t->isDynamic) return errorMessage(StatusCode::kInternal, "resizeOutput on a static tensor during eval");
    t->dims = dims;
    return impl_->allocate(impl_->op->outputs[static_cast<size_t>(i)], bytes);
  }
  t->dims = dims;
  t->bytes = bytes;
  return Status::ok();
}

void OpContext::markOutputDynamic(int i) {
  Tensor* t = output(i);
  if (t != nullptr) t->isDynamic = true;
}

int OpContext::requestScratch(size_t bytes) {
  impl_->scratchBytes->push_back(bytes);
  impl_->scratchPtrs->push_back(nullptr);
  return static_cast<int>(impl_->scratchBytes->size()) - 1;
}

void* OpContext::scratch(int id) {
  if (id < 0 || static_cast<size_t>(id) >= impl_->scratchPtrs->size()) return nullptr;
  return (*impl_->scratchPtrs)[static_cast<size_t>(id)];
}

bool OpContext::optimizedKernels() const { return impl_->optimized; }
bool OpContext::reproducibleFloat() const { return impl_->reproducibleFloat; }
const NodeFusion* OpContext::fusion() const { return impl_->fusion; }
void* OpContext::threadPool() const { return impl_->threadPool; }
ExecContext* OpContext::execContext() const { return impl_->exec; }

void OpContext::setState(std::unique_ptr<KernelState> state) { *impl_->state = std::move(state); }

std::shared_ptr<const void> OpContext::sharedDerivedRaw(const void* constant, const std::string& form,
                                                        const Model::DeriveFn& make) {
  if (impl_->interpreter == nullptr) {
    size_t bytes = 0;
    return make(&bytes);
  }
  return impl_->interpreter->model().sharedDerived(constant, form, make);
}
void OpContext::setKernelVariant(std::string variant) {
  if (impl_->variant != nullptr && impl_->phase == OpContextImpl::Phase::kPrepare) *impl_->variant = std::move(variant);
}
KernelState* OpContext::stateRaw() { return impl_->state->get(); }

Status OpContext::errorMessage(StatusCode code, const std::string& message) const {
  return Status(code, fmt::format("{} (op {}): {}", impl_->op->name(), impl_->opIndex, message));
}

namespace {

Status checkCounts(const OperatorInfo& op, int index, const KernelRegistration& k) {
  const auto ni = static_cast<int32_t>(op.inputs.size());
  const auto no = static_cast<int32_t>(op.outputs.size());
  if (ni < k.minInputs || ni > k.maxInputs) {
    return makeError(StatusCode::kInvalidModel, "{} (op {}): has {} inputs, expected {}", op.name(), index, ni,
                     k.minInputs == k.maxInputs ? fmt::format("{}", k.minInputs)
                                                : fmt::format("{} to {}", k.minInputs, k.maxInputs));
  }
  if (no < k.minOutputs || no > k.maxOutputs) {
    return makeError(StatusCode::kInvalidModel, "{} (op {}): has {} outputs, expected {}", op.name(), index, no,
                     k.minOutputs == k.maxOutputs ? fmt::format("{}", k.minOutputs)
                                                  : fmt::format("{} to {}", k.minOutputs, k.maxOutputs));
  }
  return Status::ok();
}

Tensor tensorFromInfo(const TensorInfo& info) {
  Tensor t;
  t.type = info.type;
  t.dims = info.shape;
  t.info = &info;
  t.isConstant = info.isConstant;
  if (info.isConstant) {
    t.data = const_cast<uint8_t*>(info.data);  // kernels never write inputs
    t.bytes = info.bytes;
  }
  return t;
}

}  // namespace

Result<std::vector<FoldedOutput>> evalConstantOp(const Subgraph& sg, const OperatorInfo& op, int opIndex,
                                                 const KernelRegistration& kernel) {
  INFERD_RETURN_IF_ERROR(checkCounts(op, opIndex, kernel));
  std::vector<Tensor> tensors(sg.tensors.size());
  for (int32_t in : op.inputs) {
    if (in >= 0) tensors[static_cast<size_t>(in)] = tensorFromInfo(sg.tensors[static_cast<size_t>(in)]);
  }
  for (int32_t out : op.outputs) tensors[static_cast<size_t>(out)] = tensorFromInfo(sg.tensors[static_cast<size_t>(out)]);

  std::unique_ptr<KernelState> state;
  std::vector<size_t> scratchBytes;
  std::vector<void*> scratchPtrs;
  std::vector<std::vector<uint64_t>> storage(sg.tensors.size());
  OpContextImpl impl;
  impl.tensors = &tensors;
  impl.op = &op;
  impl.opIndex = opIndex;
  impl.state = &state;
  impl.scratchBytes = &scratchBytes;
  impl.scratchPtrs = &scratchPtrs;
  impl.foldStorage = &storage;
  OpContext ctx(&impl);
  if (kernel.prepare) INFERD_RETURN_IF_ERROR(kernel.prepare(ctx));
  for (int32_t out : op.outputs) {
    Tensor& t = tensors[static_cast<size_t>(out)];
    if (!t.isDynamic) INFERD_RETURN_IF_ERROR(impl.allocate(out, t.bytes));
  }
  std::vector<std::vector<uint64_t>> scratch(scratchBytes.size());
  for (size_t i = 0; i < scratchBytes.size(); ++i) {
    scratch[i].assign((scratchBytes[i] + 7) / 8, 0);
    scratchPtrs[i] = scratch[i].data();
  }
  impl.phase = OpContextImpl::Phase::kEval;
  INFERD_RETURN_IF_ERROR(kernel.eval(ctx));

  std::vector<FoldedOutput> result;
  for (int32_t out : op.outputs) {
    Tensor& t = tensors[static_cast<size_t>(out)];
    FoldedOutput f;
    f.dims = t.dims;
    f.bytes = t.bytes;
    f.data = std::make_unique<uint8_t[]>(std::max<size_t>(t.bytes, 1));
    if (t.bytes > 0) std::memcpy(f.data.get(), t.data, t.bytes);
    result.push_back(std::move(f));
  }
  return result;
}

std::vector<UnsupportedOp> findUnsupportedOps(const Model& model, const OpResolver& resolver, int subgraph) {
  std::vector<UnsupportedOp> out;
  if (subgraph < 0 || static_cast<size_t>(subgraph) >= model.subgraphs().size()) return out;
  const Subgraph& sg = model.subgraphs()[static_cast<size_t>(subgraph)];
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    const OperatorInfo& op = sg.operators[i];
    if (op.folded) continue;
    if (resolver.find(op.builtinCode, op.customName, op.version) == nullptr) {
      out.push_back({static_cast<int>(i), op.name(), op.version,
                     resolver.whyUnsupported(op.builtinCode, op.customName, op.version),
                     opNotSelectedAtBuildTime(op.builtinCode, op.customName)});
    }
  }
  return out;
}

// --- ExecContext ---

ExecContext::ExecContext(std::shared_ptr<const Model> model, const InterpreterOptions& options,
                         const OpResolver* resolver)
    : model_(std::move(model)), options_(options), resolver_(resolver) {}

ExecContext::~ExecContext() {
  children_.clear();  // their kernels may use the pool
  if (threadPool_ != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(threadPool_));
}

Status ExecContext::createThreadPool() {
  if (options_.numThreads < 1 || options_.numThreads > 256) {
    return makeError(StatusCode::kInvalidArgument, "numThreads is {}, must be 1 to 256", options_.numThreads);
  }
  if (options_.numThreads > 1) {
    threadPool_ = pthreadpool_create(static_cast<size_t>(options_.numThreads));
    if (threadPool_ == nullptr) {
      return makeError(StatusCode::kResourceExhausted, "cannot create a pool of {} threads", options_.numThreads);
    }
  }
  return Status::ok();
}

Result<Interpreter*> ExecContext::subgraph(int index) {
  auto it = children_.find(index);
  if (it != children_.end()) return it->second.get();
  auto child = Interpreter::createForSubgraph(this, index);
  if (!child) return child.status().withContext(fmt::format("subgraph {}", index));
  Interpreter* raw = child.value().get();
  raw->options_.signature.clear();  // children run plain subgraphs
  children_.emplace(index, std::move(child).value());
  return raw;
}

int32_t ExecContext::resourceId(const std::string& container, const std::string& sharedName) {
  auto [it, added] = resourceIds_.try_emplace({container, sharedName}, static_cast<int32_t>(variables_.size()));
  if (added) variables_.emplace_back();
  return it->second;
}

ResourceVariable* ExecContext::variable(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= variables_.size()) return nullptr;
  return &variables_[static_cast<size_t>(id)];
}

Status ExecContext::setInputs(Interpreter& child, const std::vector<const Tensor*>& values, bool copyData) {
  if (values.size() != child.subgraph_->inputs.size()) {
    return makeError(StatusCode::kInvalidModel, "subgraph {} has {} inputs, the op passes {}", child.subgraphIndex_,
                     child.subgraph_->inputs.size(), values.size());
  }
  bool reshaped = false;
  for (size_t i = 0; i < values.size(); ++i) {
    Tensor& t = child.tensors_[static_cast<size_t>(child.subgraph_->inputs[i])];
    if (t.type != values[i]->type) {
      return makeError(StatusCode::kInvalidModel, "subgraph {} input {} '{}' is {}, the op passes {}",
                       child.subgraphIndex_, i, t.info->name, elementTypeName(t.type),
                       elementTypeName(values[i]->type));
    }
    if (t.dims != values[i]->dims) {
      t.dims = values[i]->dims;
      INFERD_RETURN_IF_ERROR(checkedBytes(t.type, t.dims, &t.bytes));
      reshaped = true;
    }
  }
  // Children are prepared on first use, with the shapes their caller passes.
  if (reshaped || !child.prepared_) INFERD_RETURN_IF_ERROR(child.prepareAll());
  if (!copyData) return Status::ok();
  for (size_t i = 0; i < values.size(); ++i) {
    Tensor& t = child.tensors_[static_cast<size_t>(child.subgraph_->inputs[i])];
    if (t.bytes > 0 && t.data != values[i]->data) std::memmove(t.data, values[i]->data, t.bytes);
  }
  return Status::ok();
}

Status ExecContext::invoke(Interpreter& child) {
  Status s = child.runNodes();
  if (!s.isOk()) return s.withContext(fmt::format("subgraph {}", child.subgraphIndex_));
  return s;
}

// --- Interpreter ---

Interpreter::~Interpreter() = default;

Result<std::unique_ptr<Interpreter>> Interpreter::create(std::shared_ptr<const Model> model,
                                                         const InterpreterOptions& options) {
  if (!model) return Status(StatusCode::kInvalidArgument, "no model given");
  int subgraph = options.subgraph;
  const Signature* signature = nullptr;
  if (!options.signature.empty()) {
    signature = model->findSignature(options.signature);
    if (signature == nullptr) {
      std::string keys;
      for (const Signature& s : model->signatures()) keys += (keys.empty() ? "'" : ", '") + s.key + "'";
      return makeError(StatusCode::kInvalidArgument, "the model has no signature '{}' (it has {})", options.signature,
                       keys.empty() ? "none" : keys);
    }
    subgraph = signature->subgraphIndex;
  }
  if (subgraph < 0 || static_cast<size_t>(subgraph) >= model->subgraphs().size()) {
    return makeError(StatusCode::kInvalidArgument, "subgraph {} does not exist (model has {})", subgraph,
                     model->subgraphs().size());
  }
  const OpResolver* resolver = options.resolver ? options.resolver : &OpResolver::builtins();
  auto exec = std::make_unique<ExecContext>(std::move(model), options, resolver);
  INFERD_RETURN_IF_ERROR(exec->createThreadPool());
  if (signature != nullptr) {
    // The signature's tensors must be the subgraph's inputs and outputs.
    const Subgraph& sg = exec->model()->subgraphs()[static_cast<size_t>(subgraph)];
    auto check = [&](const std::vector<SignatureTensor>& list, const std::vector<int32_t>& allowed,
                     const char* what) -> Status {
      for (const SignatureTensor& t : list) {
        if (std::find(allowed.begin(), allowed.end(), t.tensorIndex) == allowed.end()) {
          return makeError(StatusCode::kInvalidModel, "signature '{}' {} '{}' is tensor {}, not a {} of subgraph {}",
                           signature->key, what, t.name, t.tensorIndex, what, subgraph);
        }
      }
      return Status::ok();
    };
    INFERD_RETURN_IF_ERROR(check(signature->inputs, sg.inputs, "input"));
    INFERD_RETURN_IF_ERROR(check(signature->outputs, sg.outputs, "output"));
  }
  auto in = createForSubgraph(exec.get(), subgraph);
  if (!in) return in.status();
  Interpreter& interp = *in.value();
  interp.ownedExec_ = std::move(exec);
  if (signature != nullptr) {
    interp.signature_ = signature;
    interp.inputs_.clear();
    interp.outputs_.clear();
    for (const SignatureTensor& t : signature->inputs) interp.inputs_.push_back(t.tensorIndex);
    for (const SignatureTensor& t : signature->outputs) interp.outputs_.push_back(t.tensorIndex);
  }
  INFERD_RETURN_IF_ERROR(interp.prepareAll());
  interp.profiling_ = options.profile;
  return in;
}

Result<std::unique_ptr<Interpreter>> Interpreter::createForSubgraph(ExecContext* exec, int subgraph) {
  std::unique_ptr<Interpreter> in(new Interpreter());
  in->exec_ = exec;
  in->model_ = exec->model();
  in->subgraphIndex_ = subgraph;
  in->subgraph_ = &in->model_->subgraphs()[static_cast<size_t>(subgraph)];
  in->inputs_ = in->subgraph_->inputs;
  in->outputs_ = in->subgraph_->outputs;
  in->resolver_ = exec->resolver();
  in->options_ = exec->options();
  in->options_.subgraph = subgraph;

  auto unsupported = findUnsupportedOps(*in->model_, *in->resolver_, subgraph);
  if (!unsupported.empty()) {
    // One entry per reason, with the ops it applies to: "ops 3, 51: HARD_SWISH version 1: ...".
    std::vector<std::pair<std::string, std::vector<int>>> byReason;
    bool notSelected = false;
    for (const UnsupportedOp& u : unsupported) {
      auto it = std::find_if(byReason.begin(), byReason.end(), [&](const auto& g) { return g.first == u.reason; });
      if (it == byReason.end()) it = byReason.insert(byReason.end(), {u.reason, {}});
      it->second.push_back(u.opIndex);
      notSelected = notSelected || u.notSelectedAtBuildTime;
    }
    std::string msg = fmt::format("{} operator(s) cannot run: ", unsupported.size());
    for (size_t i = 0; i < byReason.size(); ++i) {
      if (i > 0) msg += "; ";
      const std::vector<int>& ops = byReason[i].second;
      msg += fmt::format("{} {} {}", ops.size() == 1 ? "op" : "ops", fmt::join(ops, ", "), byReason[i].first);
    }
    if (notSelected) msg += fmt::format("; this build has kernels only for {}", opsSelectedAtBuildTime());
    return Status(StatusCode::kUnsupported, msg);
  }
  const Subgraph& sg = *in->subgraph_;
  // Optimized graphs run rewritten (graph_fusion.h; models with hybrid ops
  // only by the rewrites that keep the builtin float arithmetic); the others
  // as in the file.
  in->fusionPlan_ = std::make_unique<FusionPlan>(
      in->options_.optimizedKernels && !in->options_.preserveAllTensors
          ? planFusions(sg, *in->resolver_, in->model_->hasHybridOps())
          : unfusedPlan(sg));
  for (const PlannedOp& p : in->fusionPlan_->ops) {
    Node node;
    node.op = p.op;
    node.index = p.index;
    node.fusion = &p.fusion;
    node.kernel = p.kernel ? p.kernel : in->resolver_->find(p.op->builtinCode, p.op->customName, p.op->version);
    INFERD_RETURN_IF_ERROR(checkCounts(*p.op, node.index, *node.kernel));
    in->nodes_.push_back(std::move(node));
  }
  in->tensors_.reserve(sg.tensors.size());
  for (const TensorInfo& info : sg.tensors) in->tensors_.push_back(tensorFromInfo(info));
  in->dynamicStorage_.resize(sg.tensors.size());
  return in;
}

Tensor& Interpreter::input(size_t i) { return tensors_[static_cast<size_t>(inputs_.at(i))]; }
const Tensor& Interpreter::output(size_t i) const { return tensors_[static_cast<size_t>(outputs_.at(i))]; }

const std::string& Interpreter::inputName(size_t i) const {
  if (signature_ != nullptr) return signature_->inputs.at(i).name;
  return tensors_[static_cast<size_t>(inputs_.at(i))].info->name;
}

const std::string& Interpreter::outputName(size_t i) const {
  if (signature_ != nullptr) return signature_->outputs.at(i).name;
  return tensors_[static_cast<size_t>(outputs_.at(i))].info->name;
}

Status Interpreter::allocateDynamic(int tensorIndex, size_t bytes) {
  auto& storage = dynamicStorage_[static_cast<size_t>(tensorIndex)];
  // Plus slack for XNNPACK's reads past the end (see planMemory).
  storage.resize((bytes + 7) / 8 + kReadSlackWords);
  Tensor& t = tensors_[static_cast<size_t>(tensorIndex)];
  t.data = reinterpret_cast<uint8_t*>(storage.data());
  t.bytes = bytes;
  return Status::ok();
}

Status Interpreter::prepareNode(Node& node, bool duringEval) {
  node.state.reset();
  node.scratchBytes.clear();
  node.scratchPtrs.clear();
  node.variant.clear();
  OpContextImpl impl;
  bindContext(node, impl, false);
  impl.variant = &node.variant;
  OpContext ctx(&impl);
  if (duringEval) {
    // Outputs the kernel does not mark dynamic again are sized by its prepare.
    for (int32_t out : node.op->outputs) tensors_[static_cast<size_t>(out)].isDynamic = false;
  }
  const uint64_t xnnBefore = kernels::xnn::createdOperatorsOnThisThread();
  if (node.kernel->prepare) INFERD_RETURN_IF_ERROR(node.kernel->prepare(ctx));
  if (node.variant.empty()) {
    node.variant = kernels::xnn::createdOperatorsOnThisThread() != xnnBefore ? "xnnpack" : "reference";
  }
  if (duringEval) {
    // Deferred nodes allocate outputs and scratch from the heap.
    for (int32_t out : node.op->outputs) {
      Tensor& t = tensors_[static_cast<size_t>(out)];
      if (!t.isDynamic) {
        t.isDynamic = true;
        INFERD_RETURN_IF_ERROR(allocateDynamic(out, t.bytes));
      }
    }
  }
  return Status::ok();
}

namespace {

// Ops that must never run at prepare time: they have state or side effects.
bool isStateful(int32_t code) {
  switch (code) {
    case 31:   // CALL
    case 118:  // IF
    case 119:  // WHILE
    case 129:  // CALL_ONCE
    case 136: case 137: case 138: case 139:  // HASHTABLE*
    case 142: case 143: case 144:  // VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE
    case 146: case 148: case 149:  // RANDOM_STANDARD_NORMAL, RANDOM_UNIFORM, MULTINOMIAL
      return true;
    default:
      return false;
  }
}

constexpr int32_t kShapeOp = 77;
constexpr int32_t kRankOp = 110;
constexpr size_t kMaxPrepareFoldBytes = 16 * 1024;

}  // namespace

// Shape arithmetic (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, as the
// converter emits for dynamic batch sizes) is evaluated once at prepare
// time: small integer outputs whose inputs are all known become constants of
// this interpreter, so the ops that consume them see static shapes.
bool Interpreter::foldableAtPrepare(const Node& node) const {
  if (isStateful(node.op->builtinCode) || node.op->builtinCode == 32) return false;
  const bool shapeOnly = node.op->builtinCode == kShapeOp || node.op->builtinCode == kRankOp;
  for (int32_t in : node.op->inputs) {
    if (in < 0) continue;
    const Tensor& t = tensors_[static_cast<size_t>(in)];
    if (t.isDynamic) return false;
    if (!t.isConstant && !shapeOnly) return false;
  }
  for (int32_t out : node.op->outputs) {
    const Tensor& t = tensors_[static_cast<size_t>(out)];
    if (t.isDynamic || t.bytes > kMaxPrepareFoldBytes) return false;
    if (t.type != ElementType::kInt32 && t.type != ElementType::kInt64) return false;
  }
  return !node.op->outputs.empty();
}

Status Interpreter::foldAtPrepare(Node& node) {
  for (int32_t out : node.op->outputs) INFERD_RETURN_IF_ERROR(allocateDynamic(out, tensors_[static_cast<size_t>(out)].bytes));
  std::vector<std::vector<uint64_t>> scratch(node.scratchBytes.size());
  for (size_t k = 0; k < scratch.size(); ++k) {
    scratch[k].assign((node.scratchBytes[k] + 7) / 8, 0);
    node.scratchPtrs[k] = scratch[k].data();
  }
  OpContextImpl impl;
  bindContext(node, impl, true);
  impl.optimized = false;
  OpContext ctx(&impl);
  INFERD_RETURN_IF_ERROR(node.kernel->eval(ctx));
  for (int32_t out : node.op->outputs) tensors_[static_cast<size_t>(out)].isConstant = true;
  node.foldedAtPrepare = true;
  node.variant = "folded";
  node.scratchBytes.clear();
  node.scratchPtrs.clear();
  return Status::ok();
}

Status Interpreter::prepareAll() {
  prepared_ = false;
  for (Tensor& t : tensors_) {
    t.isConstant = t.info->isConstant;
    if (!t.isConstant) {
      t.isDynamic = false;
      t.data = nullptr;
      size_t bytes = 0;
      if (checkedBytes(t.type, t.dims, &bytes).isOk()) t.bytes = bytes;
    }
  }
  for (Node& node : nodes_) {
    node.deferred = false;
    node.foldedAtPrepare = false;
    for (int32_t in : node.op->inputs) {
      if (in >= 0 && tensors_[static_cast<size_t>(in)].isDynamic) node.deferred = true;
    }
    if (node.deferred) {
      for (int32_t out : node.op->outputs) tensors_[static_cast<size_t>(out)].isDynamic = true;
      continue;
    }
    INFERD_RETURN_IF_ERROR(prepareNode(node, false));
    if (foldableAtPrepare(node)) INFERD_RETURN_IF_ERROR(foldAtPrepare(node));
  }
  INFERD_RETURN_IF_ERROR(planMemory());
  prepared_ = true;
  return Status::ok();
}

Status Interpreter::planMemory() {
  const int32_t end = static_cast<int32_t>(nodes_.size());
  const size_t nt = tensors_.size();
  std::vector<int32_t> first(nt, -1), last(nt, -1);
  for (int32_t in : subgraph_->inputs) first[static_cast<size_t>(in)] = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const auto step = static_cast<int32_t>(n);
    for (int32_t in : nodes_[n].op->inputs) {
      if (in >= 0) last[static_cast<size_t>(in)] = std::max(last[static_cast<size_t>(in)], step);
    }
    for (int32_t out : nodes_[n].op->outputs) {
      if (first[static_cast<size_t>(out)] < 0) first[static_cast<size_t>(out)] = step;
    }
  }
  for (int32_t out : subgraph_->outputs) last[static_cast<size_t>(out)] = end;
  for (int32_t in : subgraph_->inputs) last[static_cast<size_t>(in)] = std::max(last[static_cast<size_t>(in)], 0);

  std::vector<BufferRequest> requests;
  std::vector<int32_t> tensorOf;  // request -> tensor index, or -1 - scratch slot
  for (size_t i = 0; i < nt; ++i) {
    Tensor& t = tensors_[i];
    if (t.isConstant || t.isDynamic) continue;
    if (t.info->isVariable) {  // variables keep their value across invokes
      first[i] = 0;
      last[i] = end;
    }
    if (options_.preserveAllTensors && first[i] >= 0) last[i] = end;
    if (first[i] < 0) continue;  // never written nor an input: not allocated
    requests.push_back({t.bytes, first[i], std::max(last[i], first[i])});
    tensorOf.push_back(static_cast<int32_t>(i));
  }
  std::vector<std::pair<size_t, size_t>> scratchOf;  // request -> (node, slot)
  const size_t tensorRequests = requests.size();
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (size_t s = 0; s < nodes_[n].scratchBytes.size(); ++s) {
      requests.push_back({nodes_[n].scratchBytes[s], static_cast<int32_t>(n), static_cast<int32_t>(n)});
      scratchOf.emplace_back(n, s);
    }
  }
  ArenaPlan plan = planArena(requests);
  if (options_.maxArenaBytes > 0 && plan.arenaBytes > options_.maxArenaBytes) {
    return makeError(StatusCode::kResourceExhausted,
                     "subgraph {} needs an arena of {} bytes for its tensors, more than the limit of {} bytes "
                     "(max_arena_bytes)",
                     options_.subgraph, plan.arenaBytes, options_.maxArenaBytes);
  }
  arenaBytes_ = plan.arenaBytes;
  arenaNaiveBytes_ = plan.naiveBytes;
  arena_.reset();
  if (arenaBytes_ > 0) {
    // XNNPACK kernels may read (never write) up to XNN_EXTRA_BYTES past a
    // tensor's end; slack after the last buffer keeps those reads inside
    // the allocation.
    const size_t allocBytes = arenaBytes_ + kArenaAlignment;
    void* p = std::aligned_alloc(kArenaAlignment, allocBytes);
    if (p == nullptr) {
      return makeError(StatusCode::kResourceExhausted, "cannot allocate an arena of {} bytes", arenaBytes_);
    }
    std::memset(p, 0, allocBytes);
    arena_.reset(static_cast<uint8_t*>(p));
  }
  for (size_t r = 0; r < tensorRequests; ++r) {
    tensors_[static_cast<size_t>(tensorOf[r])].data = arena_.get() + plan.offsets[r];
  }
  for (size_t r = tensorRequests; r < requests.size(); ++r) {
    const auto [n, s] = scratchOf[r - tensorRequests];
    nodes_[n].scratchPtrs[s] = arena_.get() + plan.offsets[r];
  }
  resetVariableTensors();
  return Status::ok();
}

void Interpreter::resetVariableTensors() {
  for (Tensor& t : tensors_) {
    if (t.info == nullptr || !t.info->isVariable || t.isConstant || t.data == nullptr) continue;
    int value = 0;
    if (t.type == ElementType::kInt8 && !t.info->quant.zeroPoint.empty()) {
      value = static_cast<int>(t.info->quant.zeroPoint[0]);
    }
    std::memset(t.data, value, t.bytes);
  }
}

Status Interpreter::resizeInput(size_t i, const Dims& dims) {
  if (i >= numInputs()) {
    return makeError(StatusCode::kInvalidArgument, "input {} does not exist (model has {} inputs)", i, numInputs());
  }
  size_t bytes = 0;
  Status s = checkedBytes(input(i).type, dims, &bytes);
  if (!s.isOk()) return Status(StatusCode::kInvalidArgument, s.message());
  input(i).dims = dims;
  input(i).bytes = bytes;
  return prepareAll();
}

int Interpreter::fusedOps() const { return fusionPlan_ ? fusionPlan_->fusedAway : 0; }

void Interpreter::bindContext(Node& node, OpContextImpl& impl, bool eval) {
  impl.tensors = &tensors_;
  impl.op = node.op;
  impl.opIndex = node.index;
  impl.phase = eval ? OpContextImpl::Phase::kEval : OpContextImpl::Phase::kPrepare;
  impl.state = &node.state;
  impl.scratchBytes = &node.scratchBytes;
  impl.scratchPtrs = &node.scratchPtrs;
  impl.interpreter = this;
  impl.optimized = options_.optimizedKernels;
  impl.reproducibleFloat = model_->hasHybridOps();
  impl.fusion = node.fusion;
  impl.threadPool = exec_->threadPool();
  impl.exec = exec_;
}

void Interpreter::enableProfiling(bool on) {
  profiling_ = on;
  if (on) resetProfile();
}

void Interpreter::resetProfile() {
  for (Node& node : nodes_) {
    node.profileNs = 0;
    node.profileInvocations = 0;
  }
}

std::vector<OpProfile> Interpreter::profile() const {
  std::vector<OpProfile> out;
  out.reserve(nodes_.size());
  std::vector<bool> runs(subgraph_->operators.size(), false);
  for (const Node& node : nodes_) {
    out.push_back({node.index, node.op->name(), node.variant, node.profileNs, node.profileInvocations});
    if (node.index >= 0 && static_cast<size_t>(node.index) < runs.size()) runs[static_cast<size_t>(node.index)] = true;
  }
  // Ops the graph rewrite folded into a neighbour: listed, never timed.
  for (size_t i = 0; i < runs.size(); ++i) {
    const OperatorInfo& op = subgraph_->operators[i];
    if (!runs[i] && !op.folded) out.push_back({static_cast<int>(i), op.name(), "fused", 0, 0});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const OpProfile& a, const OpProfile& b) { return a.opIndex < b.opIndex; });
  return out;
}

Status Interpreter::invoke() {
  exec_->stop = nullptr;
  return runNodes();
}

Status Interpreter::invoke(const std::atomic<bool>& stop) {
  exec_->stop = &stop;
  Status s = runNodes();
  exec_->stop = nullptr;
  return s;
}

Status Interpreter::runNodes() {
  using Clock = std::chrono::steady_clock;
  if (!prepared_) return Status(StatusCode::kInvalidArgument, "the interpreter is not prepared: the last resizeInput() failed");
  const bool profiling = profiling_;  // read once per run; off, each node costs one test
  const ExecContext& exec = *exec_;
  for (Node& node : nodes_) {
    if (node.foldedAtPrepare) continue;
    if (exec.stopped()) return ExecContext::stoppedStatus();
    const Clock::time_point start = profiling ? Clock::now() : Clock::time_point{};
    std::vector<std::vector<uint64_t>> heapScratch;
    if (node.deferred) {
      // Shapes depend on values computed earlier in this invoke.
      INFERD_RETURN_IF_ERROR(prepareNode(node, true));
      heapScratch.resize(node.scratchBytes.size());
      for (size_t k = 0; k < heapScratch.size(); ++k) {
        heapScratch[k].assign((node.scratchBytes[k] + 7) / 8, 0);
        node.scratchPtrs[k] = heapScratch[k].data();
      }
    }
    OpContextImpl impl;
    bindContext(node, impl, true);
    OpContext ctx(&impl);
    INFERD_RETURN_IF_ERROR(node.kernel->eval(ctx));
    if (profiling) {
      node.profileNs += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
      ++node.profileInvocations;
    }
  }
  return Status::ok();
}

}  // namespace inferd::engine
