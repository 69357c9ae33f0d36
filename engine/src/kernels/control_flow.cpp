// Control flow and resource variables: WHILE, IF, CALL_ONCE run child
// subgraphs through the interpreter's ExecContext (each child has its own
// interpreter and arena); VAR_HANDLE, READ_VARIABLE and ASSIGN_VARIABLE keep
// variables in the ExecContext, keyed by (container, shared_name).
//
// Loop-carried values: WHILE's outputs hold the loop state. When the body
// keeps every shape, the outputs are static arena tensors; otherwise they
// are dynamic and resized every iteration.
#include <cstring>

#include "graph_exec.h"
#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {

namespace {

Status requireExec(OpContext& ctx, ExecContext** exec) {
  *exec = ctx.execContext();
  if (*exec == nullptr) return ctx.unsupported("needs an interpreter (cannot be evaluated at load time)");
  return Status::ok();
}

// The child subgraph `index`, prepared for `values` as its inputs.
Status childFor(OpContext& ctx, ExecContext& exec, int32_t index, const std::vector<const Tensor*>& values,
                Interpreter** child) {
  auto c = exec.subgraph(index);
  if (!c) return ctx.errorMessage(c.status().code(), c.status().message());
  *child = c.value();
  Status s = ExecContext::setInputs(**child, values, /*copyData=*/false);
  if (!s.isOk()) return ctx.errorMessage(s.code(), fmt::format("subgraph {}: {}", index, s.message()));
  return Status::ok();
}

Status collectInputs(const OpContext& ctx, int first, std::vector<const Tensor*>* values) {
  values->clear();
  for (int i = first; i < ctx.numInputs(); ++i) {
    const Tensor* t = nullptr;
    INFERD_RETURN_IF_ERROR(requireInput(ctx, i, &t));
    values->push_back(t);
  }
  return Status::ok();
}

// The child's outputs must match the op's outputs in count and type.
Status checkChildOutputs(OpContext& ctx, const Interpreter& child, const char* what) {
  if (static_cast<int>(child.numOutputs()) != ctx.numOutputs()) {
    return ctx.error("{} subgraph {} has {} outputs, the op has {}", what, child.subgraphIndex(), child.numOutputs(),
                     ctx.numOutputs());
  }
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    const ElementType got = child.output(static_cast<size_t>(i)).type, want = ctx.output(i)->type;
    if (got != want) {
      return ctx.error("{} subgraph {} output {} is {}, the op's output is {}", what, child.subgraphIndex(), i,
                       elementTypeName(got), elementTypeName(want));
    }
  }
  return Status::ok();
}

// Copies `src` into output i; dynamic outputs take src's shape first.
Status copyToOutput(OpContext& ctx, int i, const Tensor& src) {
  Tensor* out = ctx.output(i);
  if (out->isDynamic) {
    INFERD_RETURN_IF_ERROR(ctx.resizeOutput(i, src.dims));
  } else if (out->dims != src.dims) {
    return ctx.errorMessage(StatusCode::kInternal,
                            fmt::format("output {} has shape {} but the subgraph produced {}", i,
                                        dimsToString(out->dims), dimsToString(src.dims)));
  }
  if (out->bytes > 0 && out->data != src.data) std::memmove(out->data, src.data, out->bytes);
  return Status::ok();
}

Status readCondition(OpContext& ctx, const Tensor& t, const char* what, bool* value) {
  if (t.type != ElementType::kBool || t.numElements() != 1) {
    return ctx.error("{} must be one BOOL value, is {} {}", what, elementTypeName(t.type), dimsToString(t.dims));
  }
  *value = t.data[0] != 0;
  return Status::ok();
}

Status runChild(OpContext& ctx, Interpreter& child) {
  Status s = ExecContext::invoke(child);
  if (!s.isOk()) return ctx.errorMessage(s.code(), s.message());
  return s;
}

// --- WHILE ---

struct WhileState : KernelState {
  Interpreter* cond = nullptr;
  Interpreter* body = nullptr;
  bool staticShapes = false;  // the body keeps every shape: outputs live in the arena
};

Status prepareWhile(OpContext& ctx) {
  ExecContext* exec = nullptr;
  INFERD_RETURN_IF_ERROR(requireExec(ctx, &exec));
  if (ctx.numOutputs() != ctx.numInputs()) {
    return ctx.error("has {} inputs but {} outputs; loop values need one of each", ctx.numInputs(), ctx.numOutputs());
  }
  std::vector<const Tensor*> values;
  INFERD_RETURN_IF_ERROR(collectInputs(ctx, 0, &values));
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    if (ctx.output(i)->type != values[static_cast<size_t>(i)]->type) {
      return ctx.error("output {} is {} but input {} is {}", i, elementTypeName(ctx.output(i)->type), i,
                       elementTypeName(values[static_cast<size_t>(i)]->type));
    }
  }
  auto state = std::make_unique<WhileState>();
  const auto& called = ctx.op().calledSubgraphs;
  INFERD_RETURN_IF_ERROR(childFor(ctx, *exec, called[0], values, &state->cond));
  INFERD_RETURN_IF_ERROR(childFor(ctx, *exec, called[1], values, &state->body));
  if (state->cond->numOutputs() != 1) {
    return ctx.error("cond subgraph {} has {} outputs, expected 1", called[0], state->cond->numOutputs());
  }
  INFERD_RETURN_IF_ERROR(checkChildOutputs(ctx, *state->body, "body"));
  state->staticShapes = true;
  for (size_t i = 0; i < values.size(); ++i) {
    const Tensor& out = state->body->output(i);
    if (out.isDynamic || out.dims != values[i]->dims) state->staticShapes = false;
  }
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    if (state->staticShapes) {
      INFERD_RETURN_IF_ERROR(ctx.resizeOutput(i, values[static_cast<size_t>(i)]->dims));
    } else {
      ctx.markOutputDynamic(i);
    }
  }
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalWhile(OpContext& ctx) {
  auto* st = ctx.state<WhileState>();
  const int n = ctx.numOutputs();
  // The op's outputs carry the loop state; they start as the inputs.
  std::vector<const Tensor*> current(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    INFERD_RETURN_IF_ERROR(copyToOutput(ctx, i, *ctx.input(i)));
    current[static_cast<size_t>(i)] = ctx.output(i);
  }
  for (;;) {
    // A loop that never ends must still stop when asked (empty bodies too).
    if (ctx.execContext()->stopped()) return ExecContext::stoppedStatus();
    INFERD_RETURN_IF_ERROR(ExecContext::setInputs(*st->cond, current, true));
    INFERD_RETURN_IF_ERROR(runChild(ctx, *st->cond));
    bool again = false;
    INFERD_RETURN_IF_ERROR(readCondition(ctx, st->cond->output(0), "the cond subgraph's output", &again));
    if (!again) break;
    INFERD_RETURN_IF_ERROR(ExecContext::setInputs(*st->body, current, true));
    INFERD_RETURN_IF_ERROR(runChild(ctx, *st->body));
    for (int i = 0; i < n; ++i) INFERD_RETURN_IF_ERROR(copyToOutput(ctx, i, st->body->output(static_cast<size_t>(i))));
  }
  return Status::ok();
}

// --- IF ---

struct IfState : KernelState {
  Interpreter* branches[2] = {nullptr, nullptr};  // else, then
};

Status prepareIf(OpContext& ctx) {
  ExecContext* exec = nullptr;
  INFERD_RETURN_IF_ERROR(requireExec(ctx, &exec));
  const Tensor* cond = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &cond));
  if (cond->type != ElementType::kBool || cond->numElements() != 1) {
    return ctx.error("condition (input 0) must be one BOOL value, is {} {}", elementTypeName(cond->type),
                     dimsToString(cond->dims));
  }
  std::vector<const Tensor*> values;
  INFERD_RETURN_IF_ERROR(collectInputs(ctx, 1, &values));
  auto state = std::make_unique<IfState>();
  const auto& called = ctx.op().calledSubgraphs;
  INFERD_RETURN_IF_ERROR(childFor(ctx, *exec, called[0], values, &state->branches[1]));
  INFERD_RETURN_IF_ERROR(childFor(ctx, *exec, called[1], values, &state->branches[0]));
  INFERD_RETURN_IF_ERROR(checkChildOutputs(ctx, *state->branches[1], "then"));
  INFERD_RETURN_IF_ERROR(checkChildOutputs(ctx, *state->branches[0], "else"));
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    const Tensor& a = state->branches[0]->output(static_cast<size_t>(i));
    const Tensor& b = state->branches[1]->output(static_cast<size_t>(i));
    if (!a.isDynamic && !b.isDynamic && a.dims == b.dims) {
      INFERD_RETURN_IF_ERROR(ctx.resizeOutput(i, a.dims));
    } else {
      ctx.markOutputDynamic(i);
    }
  }
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalIf(OpContext& ctx) {
  auto* st = ctx.state<IfState>();
  bool cond = false;
  INFERD_RETURN_IF_ERROR(readCondition(ctx, *ctx.input(0), "the condition", &cond));
  Interpreter& branch = *st->branches[cond ? 1 : 0];
  std::vector<const Tensor*> values;
  INFERD_RETURN_IF_ERROR(collectInputs(ctx, 1, &values));
  INFERD_RETURN_IF_ERROR(ExecContext::setInputs(branch, values, true));
  INFERD_RETURN_IF_ERROR(runChild(ctx, branch));
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    INFERD_RETURN_IF_ERROR(copyToOutput(ctx, i, branch.output(static_cast<size_t>(i))));
  }
  return Status::ok();
}

// --- CALL_ONCE ---

struct CallOnceState : KernelState {
  Interpreter* init = nullptr;
};

Status prepareCallOnce(OpContext& ctx) {
  ExecContext* exec = nullptr;
  INFERD_RETURN_IF_ERROR(requireExec(ctx, &exec));
  auto state = std::make_unique<CallOnceState>();
  INFERD_RETURN_IF_ERROR(childFor(ctx, *exec, ctx.op().calledSubgraphs[0], {}, &state->init));
  if (state->init->numOutputs() != 0) {
    return ctx.error("init subgraph {} has {} outputs, expected none", state->init->subgraphIndex(),
                     state->init->numOutputs());
  }
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalCallOnce(OpContext& ctx) {
  ExecContext* exec = ctx.execContext();
  Interpreter& init = *ctx.state<CallOnceState>()->init;
  if (exec->calledOnce(init.subgraphIndex())) return Status::ok();
  INFERD_RETURN_IF_ERROR(runChild(ctx, init));
  exec->markCalledOnce(init.subgraphIndex());
  return Status::ok();
}

// --- resource variables ---

struct VarHandleState : KernelState {
  int32_t id = 0;
};

Status checkResource(const OpContext& ctx, const Tensor* t, const char* what) {
  if (t->type != ElementType::kResource || t->numElements() != 1) {
    return ctx.error("{} must be one RESOURCE handle, is {} {}", what, elementTypeName(t->type),
                     dimsToString(t->dims));
  }
  return Status::ok();
}

Status prepareVarHandle(OpContext& ctx) {
  ExecContext* exec = nullptr;
  INFERD_RETURN_IF_ERROR(requireExec(ctx, &exec));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, {}));
  INFERD_RETURN_IF_ERROR(checkResource(ctx, ctx.output(0), "the output"));
  const auto* o = options<fb::VarHandleOptions>(ctx);
  const std::string container = o && o->container() ? o->container()->str() : "";
  const std::string name = o && o->shared_name() ? o->shared_name()->str() : "";
  auto state = std::make_unique<VarHandleState>();
  state->id = exec->resourceId(container, name);
  ctx.setState(std::move(state));
  return Status::ok();
}

Status evalVarHandle(OpContext& ctx) {
  const int32_t id = ctx.state<VarHandleState>()->id;
  std::memcpy(ctx.output(0)->data, &id, sizeof(id));
  return Status::ok();
}

// The variable input 0 refers to.
Status variableOf(OpContext& ctx, ResourceVariable** var) {
  int32_t id = 0;
  std::memcpy(&id, ctx.input(0)->data, sizeof(id));
  *var = ctx.execContext()->variable(id);
  if (*var == nullptr) return ctx.error("resource id {} was not made by a VAR_HANDLE of this interpreter", id);
  return Status::ok();
}

Status prepareReadVariable(OpContext& ctx) {
  ExecContext* exec = nullptr;
  INFERD_RETURN_IF_ERROR(requireExec(ctx, &exec));
  const Tensor* handle = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &handle));
  INFERD_RETURN_IF_ERROR(checkResource(ctx, handle, "input 0"));
  // The value's shape is the last assigned one, known only at eval.
  ctx.markOutputDynamic(0);
  return Status::ok();
}

Status evalReadVariable(OpContext& ctx) {
  ResourceVariable* var = nullptr;
  INFERD_RETURN_IF_ERROR(variableOf(ctx, &var));
  if (!var->assigned) return ctx.error("reads a variable that was never assigned");
  if (var->type != ctx.output(0)->type) {
    return ctx.error("the variable holds {} but the output is {}", elementTypeName(var->type),
                     elementTypeName(ctx.output(0)->type));
  }
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, var->dims));
  if (var->bytes > 0) std::memcpy(ctx.output(0)->data, var->storage.data(), var->bytes);
  return Status::ok();
}

Status prepareAssignVariable(OpContext& ctx) {
  ExecContext* exec = nullptr;
  INFERD_RETURN_IF_ERROR(requireExec(ctx, &exec));
  const Tensor *handle = nullptr, *value = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &handle));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &value));
  INFERD_RETURN_IF_ERROR(checkResource(ctx, handle, "input 0"));
  if (elementSize(value->type) == 0) {
    return ctx.unsupported("variables of type {} are not supported", elementTypeName(value->type));
  }
  return Status::ok();
}

Status evalAssignVariable(OpContext& ctx) {
  ResourceVariable* var = nullptr;
  INFERD_RETURN_IF_ERROR(variableOf(ctx, &var));
  const Tensor* value = ctx.input(1);
  if (var->assigned && var->type != value->type) {
    return ctx.error("assigns {} to a variable that holds {}", elementTypeName(value->type),
                     elementTypeName(var->type));
  }
  var->assigned = true;
  var->type = value->type;
  var->dims = value->dims;
  var->bytes = value->bytes;
  var->storage.resize((value->bytes + 7) / 8);
  if (value->bytes > 0) std::memcpy(var->storage.data(), value->data, value->bytes);
  return Status::ok();
}


}  // namespace

void registerControlFlowKernels(OpResolver& r) {
  using fb::BuiltinOperator;
  constexpr int32_t kMany = 1 << 16;
  const std::vector<ElementType> carried = {ElementType::kFloat32, ElementType::kInt32, ElementType::kInt64,
                                            ElementType::kBool,    ElementType::kInt8,  ElementType::kUInt8,
                                            ElementType::kInt16,   ElementType::kResource};
  if constexpr (opSelected(BuiltinOperator::WHILE)) {
    r.add(builtinKernel(BuiltinOperator::WHILE, 1, 1, 1, kMany, prepareWhile, evalWhile, carried, 1, kMany));
  }
  if constexpr (opSelected(BuiltinOperator::IF)) {
    r.add(builtinKernel(BuiltinOperator::IF, 1, 1, 1, kMany, prepareIf, evalIf, carried, 0, kMany));
  }
  if constexpr (opSelected(BuiltinOperator::CALL_ONCE)) {
    r.add(builtinKernel(BuiltinOperator::CALL_ONCE, 1, 1, 0, 0, prepareCallOnce, evalCallOnce, {}, 0, 0));
  }
  if constexpr (opSelected(BuiltinOperator::VAR_HANDLE)) {
    r.add(builtinKernel(BuiltinOperator::VAR_HANDLE, 1, 1, 0, 0, prepareVarHandle, evalVarHandle,
                        {ElementType::kResource}));
  }
  if constexpr (opSelected(BuiltinOperator::READ_VARIABLE)) {
    r.add(builtinKernel(BuiltinOperator::READ_VARIABLE, 1, 1, 1, 1, prepareReadVariable, evalReadVariable, {}));
  }
  if constexpr (opSelected(BuiltinOperator::ASSIGN_VARIABLE)) {
    r.add(builtinKernel(BuiltinOperator::ASSIGN_VARIABLE, 1, 1, 2, 2, prepareAssignVariable, evalAssignVariable, {},
                        0, 0));
  }
}

}  // namespace inferd::engine::kernels
