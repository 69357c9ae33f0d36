// Graph-level rewrites of subgraphs (see graph_fusion.h).
#include "graph_fusion.h"

#include <algorithm>
#include <cstring>

#include "kernels/register.h"
#include "tflite_generated.h"

namespace inferd::engine {
namespace {

namespace fb = ::inferd::tflite;
using Op = fb::BuiltinOperator;

constexpr int32_t code(Op op) { return static_cast<int32_t>(op); }

// The working state: every op of the file, with who produces and who reads
// each tensor (recomputed after each kind of rewrite).
struct Graph {
  const Subgraph& sg;
  const OpResolver& resolver;
  std::vector<OperatorInfo> ops;  // copies, rewritten in place
  std::vector<NodeFusion> fusion;
  std::vector<const KernelRegistration*> kernel;
  std::vector<bool> gone;  // folded at load or fused into another op
  std::vector<int> producer;                // per tensor: op index or -1
  std::vector<std::vector<int>> consumers;  // per tensor: op indices (once per use)
  std::vector<bool> isOutput;

  Graph(const Subgraph& s, const OpResolver& r)
      : sg(s), resolver(r), ops(s.operators), fusion(s.operators.size()), kernel(s.operators.size(), nullptr),
        gone(s.operators.size(), false), isOutput(s.tensors.size(), false) {
    for (size_t i = 0; i < ops.size(); ++i) gone[i] = ops[i].folded;
    for (int32_t t : sg.outputs) isOutput[static_cast<size_t>(t)] = true;
    index();
  }

  void index() {
    producer.assign(sg.tensors.size(), -1);
    consumers.assign(sg.tensors.size(), {});
    for (size_t i = 0; i < ops.size(); ++i) {
      if (gone[i]) continue;
      for (int32_t t : ops[i].outputs) producer[static_cast<size_t>(t)] = static_cast<int>(i);
      for (int32_t t : ops[i].inputs) {
        if (t >= 0) consumers[static_cast<size_t>(t)].push_back(static_cast<int>(i));
      }
    }
  }

  const TensorInfo& tensor(int32_t t) const { return sg.tensors[static_cast<size_t>(t)]; }
  bool isFloat(int32_t t) const { return t >= 0 && tensor(t).type == ElementType::kFloat32; }

  // A float activation that only the listed ops read and that can vanish.
  bool privateBetween(int32_t t, std::initializer_list<int> readers) const {
    if (!isFloat(t) || isOutput[static_cast<size_t>(t)]) return false;
    const TensorInfo& info = tensor(t);
    if (info.isConstant || info.isVariable) return false;
    std::vector<int> want(readers);
    std::vector<int> have = consumers[static_cast<size_t>(t)];
    std::sort(want.begin(), want.end());
    std::sort(have.begin(), have.end());
    return want == have;
  }

  // The op's kernel is the built-in one.
  bool builtinKernel(const OperatorInfo& op) const {
    const KernelRegistration* mine = resolver.find(op.builtinCode, op.customName, op.version);
    const KernelRegistration* builtin = OpResolver::builtins().find(op.builtinCode, op.customName, op.version);
    return mine != nullptr && builtin != nullptr && mine->prepare == builtin->prepare && mine->eval == builtin->eval;
  }

  // All tensors float32 and the kernel the built-in one.
  bool allFloat(const OperatorInfo& op) const {
    if (!builtinKernel(op)) return false;
    for (int32_t t : op.inputs) {
      if (t >= 0 && !isFloat(t)) return false;
    }
    for (int32_t t : op.outputs) {
      if (!isFloat(t)) return false;
    }
    return true;
  }

  // An activation of `type` (INT8 or UINT8) quantized per tensor.
  bool perTensor8(int32_t t, ElementType type) const {
    if (t < 0) return false;
    const TensorInfo& info = tensor(t);
    return info.type == type && !info.isConstant && !info.isVariable && info.quant.scale.size() == 1 &&
           info.quant.zeroPoint.size() <= 1;
  }

  const fb::Operator* fbOp(int i) const { return static_cast<const fb::Operator*>(ops[static_cast<size_t>(i)].fbOperator); }
};

bool staticShape(const TensorInfo& t) {
  return std::none_of(t.shapeSignature.begin(), t.shapeSignature.end(), [](int32_t d) { return d < 0; });
}

int64_t readInt(const TensorInfo& t, int64_t i) {
  if (t.type == ElementType::kInt64) {
    int64_t v;
    std::memcpy(&v, t.data + i * 8, 8);
    return v;
  }
  int32_t v;
  std::memcpy(&v, t.data + i * 4, 4);
  return v;
}

// PAD / PADV2 (zeros) of a float tensor along its last axis only, feeding
// one ADD whose other operand has the padded shape.
void fusePadIntoAdd(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OperatorInfo& pad = g.ops[i];
    if (g.gone[i] || (pad.builtinCode != code(Op::PAD) && pad.builtinCode != code(Op::PADV2))) continue;
    if (pad.inputs.size() < 2 || pad.outputs.size() != 1 || !g.isFloat(pad.inputs[0])) continue;
    const int32_t x = pad.inputs[0], y = pad.outputs[0];
    const TensorInfo& paddings = g.tensor(pad.inputs[1]);
    const TensorInfo& in = g.tensor(x);
    const int rank = static_cast<int>(in.shape.size());
    if (!paddings.isConstant || (paddings.type != ElementType::kInt32 && paddings.type != ElementType::kInt64) ||
        paddings.shape != Dims{rank, 2} || rank < 1 || !staticShape(in)) {
      continue;
    }
    if (pad.inputs.size() > 2 && pad.inputs[2] >= 0) {  // PADV2's constant value must be 0
      const TensorInfo& value = g.tensor(pad.inputs[2]);
      float v = 1.f;
      if (!value.isConstant || value.type != ElementType::kFloat32 || value.bytes != 4) continue;
      std::memcpy(&v, value.data, 4);
      if (v != 0.f || std::signbit(v)) continue;
    }
    bool lastOnly = true;
    for (int d = 0; d + 1 < rank; ++d) lastOnly &= readInt(paddings, 2 * d) == 0 && readInt(paddings, 2 * d + 1) == 0;
    const int64_t before = readInt(paddings, 2 * (rank - 1)), after = readInt(paddings, 2 * (rank - 1) + 1);
    if (!lastOnly || before < 0 || after < 0 || before + after > (1 << 20)) continue;
    const std::vector<int>& readers = g.consumers[static_cast<size_t>(y)];
    if (readers.size() != 1 || !g.privateBetween(y, {readers[0]})) continue;
    const int j = readers[0];
    OperatorInfo& add = g.ops[static_cast<size_t>(j)];
    if (add.builtinCode != code(Op::ADD) || add.inputs.size() != 2 || !g.allFloat(add) ||
        g.fusion[static_cast<size_t>(j)].padInput >= 0 || add.inputs[0] == add.inputs[1]) {
      continue;
    }
    const int k = add.inputs[0] == y ? 0 : 1;
    const TensorInfo& other = g.tensor(add.inputs[static_cast<size_t>(1 - k)]);
    Dims padded = in.shape;
    padded.back() += static_cast<int32_t>(before + after);
    if (other.shape != padded || !staticShape(other) || g.tensor(y).shape != padded) continue;
    add.inputs[static_cast<size_t>(k)] = x;
    NodeFusion& f = g.fusion[static_cast<size_t>(j)];
    f.padInput = k;
    f.padBefore = static_cast<int32_t>(before);
    f.padAfter = static_cast<int32_t>(after);
    g.gone[i] = true;
    g.index();
  }
}

bool mulWithoutActivation(const Graph& g, int i) {
  const fb::Operator* op = g.fbOp(i);
  const auto* o = op != nullptr ? op->builtin_options_as_MulOptions() : nullptr;
  return o == nullptr || o->fused_activation_function() == fb::ActivationFunctionType::NONE;
}

// LOGISTIC(x) read only by MUL(x, sigmoid) or MUL(sigmoid, x).
void fuseSwish(Graph& g, bool reproducibleFloat) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OperatorInfo& sig = g.ops[i];
    if (g.gone[i] || sig.builtinCode != code(Op::LOGISTIC) || sig.inputs.size() != 1 || sig.outputs.size() != 1 ||
        !g.allFloat(sig)) {
      continue;
    }
    const int32_t x = sig.inputs[0], s = sig.outputs[0];
    const std::vector<int>& readers = g.consumers[static_cast<size_t>(s)];
    if (readers.size() != 1 || !g.privateBetween(s, {readers[0]})) continue;
    const int j = readers[0];
    OperatorInfo& mul = g.ops[static_cast<size_t>(j)];
    if (mul.builtinCode != code(Op::MUL) || mul.inputs.size() != 2 || mul.outputs.size() != 1 || !g.allFloat(mul) ||
        !mulWithoutActivation(g, j)) {
      continue;
    }
    if (!((mul.inputs[0] == x && mul.inputs[1] == s) || (mul.inputs[0] == s && mul.inputs[1] == x))) continue;
    const int32_t y = mul.outputs[0];
    const int p = g.producer[static_cast<size_t>(x)];
    if (!reproducibleFloat && p >= 0 && g.ops[static_cast<size_t>(p)].builtinCode == code(Op::DEPTHWISE_CONV_2D) &&
        g.ops[static_cast<size_t>(p)].outputs.size() == 1 && g.allFloat(g.ops[static_cast<size_t>(p)]) &&
        g.fusion[static_cast<size_t>(p)].post == PostOp::kNone &&
        g.privateBetween(x, {static_cast<int>(i), j})) {
      g.ops[static_cast<size_t>(p)].outputs[0] = y;
      g.fusion[static_cast<size_t>(p)].post = PostOp::kSwish;
      g.gone[static_cast<size_t>(j)] = true;
    } else {
      mul.inputs = {x};
      g.kernel[static_cast<size_t>(j)] = &kernels::swishKernel();
    }
    g.gone[i] = true;
    g.index();
  }
}

// 8-bit LOGISTIC(x) read only by MUL(x, sigmoid) or MUL(sigmoid, x), MUL
// without activation, every tensor per-tensor quantized of one type, and
// the sigmoid's scale the 1/256 that LOGISTIC requires (else its prepare
// fails, as it should, on the graph as it is).
void fuseSwish8(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OperatorInfo& sig = g.ops[i];
    if (g.gone[i] || sig.builtinCode != code(Op::LOGISTIC) || sig.inputs.size() != 1 || sig.outputs.size() != 1 ||
        !g.builtinKernel(sig)) {
      continue;
    }
    const int32_t x = sig.inputs[0], s = sig.outputs[0];
    if (x < 0) continue;
    const ElementType type = g.tensor(x).type;
    if ((type != ElementType::kInt8 && type != ElementType::kUInt8) || !g.perTensor8(x, type) ||
        !g.perTensor8(s, type) || static_cast<double>(g.tensor(s).quant.scale[0]) != 1. / 256 ||
        g.isOutput[static_cast<size_t>(s)] || g.consumers[static_cast<size_t>(s)].size() != 1) {
      continue;
    }
    const int j = g.consumers[static_cast<size_t>(s)][0];
    OperatorInfo& mul = g.ops[static_cast<size_t>(j)];
    if (mul.builtinCode != code(Op::MUL) || mul.inputs.size() != 2 || mul.outputs.size() != 1 ||
        !g.builtinKernel(mul) || !mulWithoutActivation(g, j) || !g.perTensor8(mul.outputs[0], type) ||
        g.tensor(mul.outputs[0]).shape != g.tensor(x).shape) {
      continue;
    }
    if (!((mul.inputs[0] == x && mul.inputs[1] == s) || (mul.inputs[0] == s && mul.inputs[1] == x))) continue;
    const TensorInfo& mid = g.tensor(s);
    NodeFusion& f = g.fusion[static_cast<size_t>(j)];
    f.swishMidScale = mid.quant.scale[0];
    f.swishMidZeroPoint = mid.quant.zeroPoint.empty() ? 0 : static_cast<int32_t>(mid.quant.zeroPoint[0]);
    mul.inputs = {x};
    g.kernel[static_cast<size_t>(j)] = &kernels::swish8Kernel();
    g.gone[i] = true;
    g.index();
  }
}

// DEPTHWISE_CONV_2D read only by HARD_SWISH.
void fuseHardSwish(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OperatorInfo& hs = g.ops[i];
    if (g.gone[i] || hs.builtinCode != code(Op::HARD_SWISH) || hs.inputs.size() != 1 || hs.outputs.size() != 1 ||
        !g.allFloat(hs)) {
      continue;
    }
    const int32_t x = hs.inputs[0];
    const int p = g.producer[static_cast<size_t>(x)];
    if (p < 0 || g.ops[static_cast<size_t>(p)].builtinCode != code(Op::DEPTHWISE_CONV_2D) ||
        g.ops[static_cast<size_t>(p)].outputs.size() != 1 || !g.allFloat(g.ops[static_cast<size_t>(p)]) ||
        g.fusion[static_cast<size_t>(p)].post != PostOp::kNone || !g.privateBetween(x, {static_cast<int>(i)})) {
      continue;
    }
    g.ops[static_cast<size_t>(p)].outputs[0] = hs.outputs[0];
    g.fusion[static_cast<size_t>(p)].post = PostOp::kHardSwish;
    g.gone[i] = true;
    g.index();
  }
}

bool clampsItsResult(int32_t builtin) {
  switch (static_cast<Op>(builtin)) {
    case Op::CONV_2D:
    case Op::DEPTHWISE_CONV_2D:
    case Op::FULLY_CONNECTED:
    case Op::ADD:
    case Op::SUB:
    case Op::MUL:
    case Op::AVERAGE_POOL_2D:
    case Op::MAX_POOL_2D:
      return true;
    default:
      return false;
  }
}

// RELU, RELU6, RELU_N1_TO_1 after an op that clamps its result anyway.
void fuseClamps(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OperatorInfo& act = g.ops[i];
    float lo, hi;
    switch (static_cast<Op>(act.builtinCode)) {
      case Op::RELU: lo = 0.f; hi = std::numeric_limits<float>::infinity(); break;
      case Op::RELU6: lo = 0.f; hi = 6.f; break;
      case Op::RELU_N1_TO_1: lo = -1.f; hi = 1.f; break;
      default: continue;
    }
    if (g.gone[i] || act.inputs.size() != 1 || act.outputs.size() != 1 || !g.allFloat(act)) continue;
    const int32_t x = act.inputs[0];
    const int p = g.producer[static_cast<size_t>(x)];
    if (p < 0 || g.kernel[static_cast<size_t>(p)] != nullptr) continue;
    OperatorInfo& prod = g.ops[static_cast<size_t>(p)];
    NodeFusion& f = g.fusion[static_cast<size_t>(p)];
    if (!clampsItsResult(prod.builtinCode) || prod.outputs.size() != 1 || !g.allFloat(prod) ||
        f.post != PostOp::kNone || !g.privateBetween(x, {static_cast<int>(i)})) {
      continue;
    }
    // Both clamps include [0, 1], so clamping to the intersection is the same.
    f.clampMin = std::max(f.clampMin, lo);
    f.clampMax = std::min(f.clampMax, hi);
    prod.outputs[0] = act.outputs[0];
    g.gone[i] = true;
    g.index();
  }
}

}  // namespace

FusionPlan planFusions(const Subgraph& sg, const OpResolver& resolver, bool reproducibleFloat) {
  Graph g(sg, resolver);
  // A selective build without LOGISTIC or MUL has nothing to fuse, and then
  // does not link the SWISH kernels either.
  constexpr bool swish = kernels::opSelected(fb::BuiltinOperator::LOGISTIC) &&
                         kernels::opSelected(fb::BuiltinOperator::MUL);
  if (reproducibleFloat) {
    if constexpr (swish) {
      fuseSwish(g, true);
      fuseSwish8(g);
    }
  } else {
    fusePadIntoAdd(g);
    if constexpr (swish) {
      fuseSwish(g, false);
      fuseSwish8(g);
    }
    fuseHardSwish(g);
    fuseClamps(g);
  }

  FusionPlan plan;
  plan.rewritten.reserve(g.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (g.gone[i]) {
      if (!sg.operators[i].folded) ++plan.fusedAway;
      continue;
    }
    PlannedOp p;
    p.index = static_cast<int>(i);
    p.fusion = g.fusion[i];
    p.kernel = g.kernel[i];
    const OperatorInfo& original = sg.operators[i];
    if (g.ops[i].inputs != original.inputs || g.ops[i].outputs != original.outputs) {
      plan.rewritten.push_back(std::move(g.ops[i]));
      p.op = &plan.rewritten.back();
    } else {
      p.op = &original;
    }
    plan.ops.push_back(p);
  }
  return plan;
}

FusionPlan unfusedPlan(const Subgraph& sg) {
  FusionPlan plan;
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    if (sg.operators[i].folded) continue;
    PlannedOp p;
    p.op = &sg.operators[i];
    p.index = static_cast<int>(i);
    plan.ops.push_back(p);
  }
  return plan;
}

}  // namespace inferd::engine
