// The built-in `cpu` HAL device: runs models with the engine's interpreter
// and kernels on the host CPU.
#include <chrono>
#include <cstring>
#include <mutex>

#include "inferd/engine/interpreter.h"
#include "inferd/hal/device.h"

namespace inferd::hal {

namespace {

using Clock = std::chrono::steady_clock;

uint64_t nsSince(Clock::time_point t) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
}

TensorDesc describe(const std::string& name, const engine::Tensor& t) {
  return TensorDesc{name, t.type, t.dims, t.info->quant};
}

class CpuPreparedModel : public PreparedModel {
 public:
  CpuPreparedModel(std::unique_ptr<engine::Interpreter> interpreter, bool keepState)
      : interp_(std::move(interpreter)), keepState_(keepState) {
    for (size_t i = 0; i < interp_->numInputs(); ++i) {
      inputs_.push_back(describe(interp_->inputName(i), interp_->input(i)));
    }
    for (size_t i = 0; i < interp_->numOutputs(); ++i) {
      outputs_.push_back(describe(interp_->outputName(i), interp_->output(i)));
    }
  }

  const std::vector<TensorDesc>& inputs() const override { return inputs_; }
  const std::vector<TensorDesc>& outputs() const override { return outputs_; }
  size_t workingBytes() const override { return interp_->arenaBytes(); }
  std::string deviceName() const override { return "cpu"; }

  std::vector<OpProfile> profile() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<OpProfile> out;
    if (!interp_->profiling()) return out;
    for (const engine::OpProfile& p : interp_->profile()) {
      out.push_back({p.opIndex, p.name, "cpu", p.variant, p.totalNs, p.invocations});
    }
    return out;
  }

  void resetProfile() override {
    std::lock_guard<std::mutex> lock(mu_);
    interp_->resetProfile();
  }

  Status execute(const std::vector<TensorView>& inputs, std::vector<OwnedTensor>* outputs, Deadline deadline,
                 ExecutionTiming* timing) override {
    const auto start = Clock::now();
    INFERD_RETURN_IF_ERROR(validateInputs(inputs_, inputs));
    std::lock_guard<std::mutex> lock(mu_);
    if (deadline.expired()) return Status(StatusCode::kDeadlineExceeded, "deadline expired before execution started");
    for (size_t i = 0; i < inputs.size(); ++i) {
      engine::Tensor& t = interp_->input(i);
      if (t.bytes > 0) std::memcpy(t.data, inputs[i].data, t.bytes);
    }
    if (!keepState_) interp_->resetVariableTensors();
    const auto computeStart = Clock::now();
    INFERD_RETURN_IF_ERROR(deadline.stop != nullptr ? interp_->invoke(*deadline.stop) : interp_->invoke());
    const uint64_t computeNs = nsSince(computeStart);
    outputs->resize(interp_->numOutputs());
    for (size_t i = 0; i < interp_->numOutputs(); ++i) {
      const engine::Tensor& t = interp_->output(i);
      OwnedTensor& o = (*outputs)[i];
      o.type = t.type;
      o.dims = t.dims;
      o.data.assign(t.data, t.data + t.bytes);
    }
    if (timing != nullptr) {
      timing->computeNs = computeNs;
      timing->totalNs = nsSince(start);
    }
    return Status::ok();
  }

 private:
  mutable std::mutex mu_;
  std::unique_ptr<engine::Interpreter> interp_;
  const bool keepState_;
  std::vector<TensorDesc> inputs_, outputs_;
};

class CpuDevice : public Device {
 public:
  explicit CpuDevice(const engine::OpResolver* resolver)
      : resolver_(resolver ? resolver : &engine::OpResolver::builtins()) {}

  std::string name() const override { return "cpu"; }
  DeviceKind kind() const override { return DeviceKind::kCpu; }
  std::string version() const override { return "1"; }

  // Exact: an op is supported when the resolver has a kernel for it and
  // its kernel's prepare accepts it (types, shapes, options). The whole
  // subgraph is prepared once; only when that fails is each operator
  // prepared on its own (a one-op slice of the graph) to find which.
  std::vector<OpSupport> supportedOps(const engine::Model& model, int subgraph) const override {
    std::vector<OpSupport> out;
    if (subgraph < 0 || static_cast<size_t>(subgraph) >= model.subgraphs().size()) return out;
    const engine::Subgraph& sg = model.subgraphs()[static_cast<size_t>(subgraph)];
    bool allResolved = true;
    for (size_t i = 0; i < sg.operators.size(); ++i) {
      const engine::OperatorInfo& op = sg.operators[i];
      OpSupport s;
      s.opIndex = static_cast<int>(i);
      s.supported = op.folded || resolver_->find(op.builtinCode, op.customName, op.version) != nullptr;
      if (!s.supported) s.reason = resolver_->whyUnsupported(op.builtinCode, op.customName, op.version);
      allResolved = allResolved && s.supported;
      out.push_back(std::move(s));
    }
    // The engine prepares from a shared_ptr; this one does not own `model`.
    std::shared_ptr<const engine::Model> borrowed(&model, [](const engine::Model*) {});
    engine::InterpreterOptions options;
    options.resolver = resolver_;
    options.subgraph = subgraph;
    if (allResolved && engine::Interpreter::create(borrowed, options)) return out;
    for (OpSupport& s : out) {
      const engine::OperatorInfo& op = sg.operators[static_cast<size_t>(s.opIndex)];
      if (!s.supported || op.folded) continue;
      auto one = engine::Model::slice(borrowed, subgraph, engine::sliceBoundary(sg, {s.opIndex}));
      if (!one) {
        s.supported = false;
        s.reason = one.status().message();
        continue;
      }
      engine::InterpreterOptions sliceOptions;
      sliceOptions.resolver = resolver_;
      auto interp = engine::Interpreter::create(one.value(), sliceOptions);
      if (!interp) {
        s.supported = false;
        s.reason = interp.status().message();
      }
    }
    return out;
  }

  Result<std::unique_ptr<PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                 const PrepareOptions& prepareOptions) override {
    engine::InterpreterOptions options;
    options.resolver = resolver_;
    options.numThreads = prepareOptions.numThreads;
    options.signature = prepareOptions.signature;
    options.optimizedKernels = prepareOptions.optimizedKernels;
    options.profile = prepareOptions.profile;
    options.maxArenaBytes = prepareOptions.maxArenaBytes;
    auto interp = engine::Interpreter::create(std::move(model), options);
    if (!interp) return interp.status();
    return std::unique_ptr<PreparedModel>(new CpuPreparedModel(std::move(interp).value(), prepareOptions.keepState));
  }

 private:
  const engine::OpResolver* resolver_;
};

}  // namespace

const char* deviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kCpu: return "cpu";
    case DeviceKind::kGpu: return "gpu";
    case DeviceKind::kDsp: return "dsp";
    case DeviceKind::kNpu: return "npu";
  }
  return "unknown";
}

std::unique_ptr<Device> createCpuDevice(const engine::OpResolver* resolver) {
  return std::make_unique<CpuDevice>(resolver);
}

SubgraphInterface describeInterface(const engine::Subgraph& sg, const engine::Signature* signature) {
  SubgraphInterface out;
  auto add = [&](int32_t t, const std::string& name, std::vector<int32_t>* ids, std::vector<TensorDesc>* descs) {
    const engine::TensorInfo& info = sg.tensors[static_cast<size_t>(t)];
    ids->push_back(t);
    descs->push_back(TensorDesc{name.empty() ? info.name : name, info.type, info.shape, info.quant});
  };
  if (signature != nullptr) {
    for (const auto& t : signature->inputs) add(t.tensorIndex, t.name, &out.inputIds, &out.inputs);
    for (const auto& t : signature->outputs) add(t.tensorIndex, t.name, &out.outputIds, &out.outputs);
  } else {
    for (int32_t t : sg.inputs) add(t, "", &out.inputIds, &out.inputs);
    for (int32_t t : sg.outputs) add(t, "", &out.outputIds, &out.outputs);
  }
  return out;
}

Status validateInputs(const std::vector<TensorDesc>& expected, const std::vector<TensorView>& inputs) {
  if (inputs.size() != expected.size()) {
    return makeError(StatusCode::kInvalidArgument, "the model has {} inputs, the request has {}", expected.size(),
                     inputs.size());
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc& e = expected[i];
    const TensorView& v = inputs[i];
    if (v.type != e.type) {
      return makeError(StatusCode::kInvalidArgument, "input {} '{}': expected type {}, got {}", i, e.name,
                       engine::elementTypeName(e.type), engine::elementTypeName(v.type));
    }
    if (v.dims != e.dims) {
      return makeError(StatusCode::kInvalidArgument, "input {} '{}': expected shape {}, got {}", i, e.name,
                       engine::dimsToString(e.dims), engine::dimsToString(v.dims));
    }
    const size_t need = static_cast<size_t>(engine::numElements(e.dims)) * engine::elementSize(e.type);
    if (v.bytes != need || (need > 0 && v.data == nullptr)) {
      return makeError(StatusCode::kInvalidArgument, "input {} '{}': expected {} bytes, got {}", i, e.name, need,
                       v.bytes);
    }
  }
  return Status::ok();
}

}  // namespace inferd::hal
