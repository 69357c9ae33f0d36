// Execution plans (which device runs which operators) and the prepared
// model that runs a plan's partitions in order with cpu fallback.
#include "inferd/hal/partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

namespace inferd::hal {

namespace {

using Clock = std::chrono::steady_clock;

std::string opName(const engine::OperatorInfo& op) { return op.name(); }

int subgraphFor(const engine::Model& model, const std::string& signature, Status* error) {
  if (signature.empty()) return 0;
  const engine::Signature* sig = model.findSignature(signature);
  if (sig == nullptr) {
    *error = makeError(StatusCode::kInvalidArgument, "the model has no signature '{}'", signature);
    return -1;
  }
  return sig->subgraphIndex;
}

// Maximal runs of consecutive (non-folded) operators placed on one device.
struct Run {
  std::string device;
  std::vector<int32_t> ops;
};

std::vector<Run> runsOf(const std::vector<OpPlacement>& ops) {
  std::vector<Run> runs;
  for (const OpPlacement& p : ops) {
    if (p.device.empty()) continue;
    if (runs.empty() || runs.back().device != p.device) runs.push_back({p.device, {}});
    runs.back().ops.push_back(p.opIndex);
  }
  return runs;
}

}  // namespace

std::string ExecutionPlan::summary() const {
  std::vector<std::pair<std::string, std::pair<int, size_t>>> per;  // device -> (partitions, ops)
  for (const PlannedPartition& p : partitions) {
    auto it = std::find_if(per.begin(), per.end(), [&](const auto& e) { return e.first == p.device; });
    if (it == per.end()) it = per.insert(per.end(), {p.device, {0, 0}});
    it->second.first += 1;
    it->second.second += p.slice.ops.size();
  }
  std::string out;
  for (const auto& [device, counts] : per) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{}: {} partition{}, {} op{}", device, counts.first, counts.first == 1 ? "" : "s",
                       counts.second, counts.second == 1 ? "" : "s");
  }
  return out.empty() ? "no operators" : out;
}

Result<ExecutionPlan> planExecution(const engine::Model& model, const std::vector<Device*>& devices, Device& cpu,
                                    const PartitionOptions& options) {
  Status error;
  const int sgIndex = subgraphFor(model, options.signature, &error);
  if (sgIndex < 0) return error;
  const engine::Subgraph& sg = model.subgraphs()[static_cast<size_t>(sgIndex)];
  ExecutionPlan plan;
  plan.subgraph = sgIndex;
  std::vector<Device*> order;
  for (Device* d : devices) {
    if (d != nullptr && d != &cpu && std::find(order.begin(), order.end(), d) == order.end()) order.push_back(d);
  }
  for (Device* d : order) plan.devices.push_back(d->name());
  plan.devices.push_back(cpu.name());
  const bool strictOnCpu = options.strict && !devices.empty() && devices.front() == &cpu;

  std::vector<std::vector<OpSupport>> support;
  for (Device* d : order) support.push_back(d->supportedOps(model, sgIndex));
  const std::vector<OpSupport> cpuSupport = cpu.supportedOps(model, sgIndex);
  std::vector<std::string> unsupported;  // "op 3 (HARD_SWISH): reason"
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    const engine::OperatorInfo& op = sg.operators[i];
    OpPlacement p;
    p.opIndex = static_cast<int>(i);
    p.op = opName(op);
    if (op.folded) {
      plan.ops.push_back(std::move(p));
      continue;
    }
    for (size_t d = 0; d < order.size() && p.device.empty(); ++d) {
      const OpSupport* s = i < support[d].size() ? &support[d][i] : nullptr;
      if (s != nullptr && s->supported) {
        p.device = order[d]->name();
      } else if (p.reason.empty()) {
        p.reason = fmt::format("{}: {}", order[d]->name(), s != nullptr ? s->reason : "not answered");
      }
    }
    if (p.device.empty()) {
      const OpSupport* s = i < cpuSupport.size() ? &cpuSupport[i] : nullptr;
      if (s != nullptr && s->supported) {
        p.device = cpu.name();
      } else {
        const std::string why = fmt::format("{}: {}", cpu.name(), s != nullptr ? s->reason : "not answered");
        p.reason = p.reason.empty() ? why : p.reason + "; " + why;
      }
    }
    if (p.device.empty() || (options.strict && !strictOnCpu && !order.empty() && p.device != order.front()->name()) ||
        (strictOnCpu && p.device != cpu.name())) {
      unsupported.push_back(fmt::format("op {} ({}): {}", i, p.op, p.reason));
    }
    plan.ops.push_back(std::move(p));
  }
  if (!unsupported.empty()) {
    const bool noDevice = std::any_of(plan.ops.begin(), plan.ops.end(), [&](const OpPlacement& p) {
      return p.device.empty() && !sg.operators[static_cast<size_t>(p.opIndex)].folded;
    });
    const std::string first = devices.empty() ? cpu.name() : devices.front()->name();
    return Status(StatusCode::kUnsupported,
                  fmt::format("{} operator(s) cannot run on {}{}: {}", unsupported.size(),
                              noDevice ? "any device" : first, noDevice || !options.strict ? "" : " (strict)",
                              fmt::join(unsupported, "; ")));
  }

  if (!options.strict) {
    // Runs too small for their boundary, and runs beyond the maximum
    // count (smallest first), go to the cpu.
    std::vector<Run> runs = runsOf(plan.ops);
    std::vector<size_t> offloaded;
    for (size_t r = 0; r < runs.size(); ++r) {
      if (runs[r].device == cpu.name()) continue;
      if (static_cast<int>(runs[r].ops.size()) < options.minOpsPerPartition) {
        for (int32_t o : runs[r].ops) {
          OpPlacement& p = plan.ops[static_cast<size_t>(o)];
          p.reason = fmt::format("a run of {} op(s) on {} is below the minimum partition size of {}",
                                 runs[r].ops.size(), p.device, options.minOpsPerPartition);
          p.device = cpu.name();
        }
      } else {
        offloaded.push_back(r);
      }
    }
    if (options.maxPartitions >= 0 && offloaded.size() > static_cast<size_t>(options.maxPartitions)) {
      std::stable_sort(offloaded.begin(), offloaded.end(),
                       [&](size_t a, size_t b) { return runs[a].ops.size() > runs[b].ops.size(); });
      for (size_t k = static_cast<size_t>(options.maxPartitions); k < offloaded.size(); ++k) {
        for (int32_t o : runs[offloaded[k]].ops) {
          OpPlacement& p = plan.ops[static_cast<size_t>(o)];
          p.reason = fmt::format("{} already runs the largest {} partition(s) (the maximum)", p.device,
                                 options.maxPartitions);
          p.device = cpu.name();
        }
      }
    }
  }
  for (const Run& run : runsOf(plan.ops)) {
    PlannedPartition part;
    part.device = run.device;
    part.slice = engine::sliceBoundary(sg, run.ops);
    for (int32_t o : run.ops) plan.ops[static_cast<size_t>(o)].partition = static_cast<int>(plan.partitions.size());
    plan.partitions.push_back(std::move(part));
  }
  return plan;
}

namespace {

Device* deviceNamed(const std::string& name, const std::vector<Device*>& devices, Device& cpu) {
  if (name == cpu.name()) return &cpu;
  for (Device* d : devices) {
    if (d != nullptr && d->name() == name) return d;
  }
  return nullptr;
}

bool isCallersError(StatusCode code) {
  return code == StatusCode::kCancelled || code == StatusCode::kDeadlineExceeded;
}

// One partition: its device's prepared model, and the cpu's when the
// device failed (made on first need).
struct Step {
  std::string device;
  bool onCpu = false;                       // the plan put it on the cpu
  std::shared_ptr<const engine::Model> model;  // the slice (or the whole model)
  std::vector<int32_t> inputs, outputs;      // value ids (tensor indices)
  std::vector<int32_t> parentOps;            // step op index -> subgraph op index (empty: identity)
  std::unique_ptr<PreparedModel> primary;    // nullptr when its prepare failed
  std::unique_ptr<PreparedModel> fallback;   // the cpu's, once needed
  std::mutex fallbackMu;
};

class PlanPreparedModel : public PreparedModel {
 public:
  PlanPreparedModel(Device& cpu, PrepareOptions options, PlanRuntimeOptions runtime)
      : cpu_(cpu), options_(std::move(options)), runtime_(std::move(runtime)) {}

  std::vector<std::unique_ptr<Step>> steps;
  std::vector<int32_t> inputIds, outputIds;
  std::vector<TensorDesc> inputDescs, outputDescs;
  std::string name;

  const std::vector<TensorDesc>& inputs() const override { return inputDescs; }
  const std::vector<TensorDesc>& outputs() const override { return outputDescs; }

  size_t workingBytes() const override {
    size_t total = 0;
    for (const auto& s : steps) {
      if (s->primary) total += s->primary->workingBytes();
    }
    return total;
  }

  std::string deviceName() const override { return name; }

  std::vector<OpProfile> profile() const override {
    std::vector<OpProfile> out;
    for (const auto& s : steps) {
      for (PreparedModel* pm : {s->primary.get(), s->fallback.get()}) {
        if (pm == nullptr) continue;
        for (OpProfile p : pm->profile()) {
          if (!s->parentOps.empty() && p.opIndex >= 0 && static_cast<size_t>(p.opIndex) < s->parentOps.size()) {
            p.opIndex = s->parentOps[static_cast<size_t>(p.opIndex)];
          }
          out.push_back(std::move(p));
        }
      }
    }
    return out;
  }

  void resetProfile() override {
    for (const auto& s : steps) {
      if (s->primary) s->primary->resetProfile();
      if (s->fallback) s->fallback->resetProfile();
    }
  }

  std::vector<DeviceCounters> deviceCounters() const override {
    std::lock_guard<std::mutex> lock(countersMu_);
    return counters_;
  }

  void countPrepareFailure(const std::string& device, const Status& why) {
    std::lock_guard<std::mutex> lock(countersMu_);
    DeviceCounters& c = countersFor(device);
    c.failures += 1;
    c.fallbacks += 1;
    if (c.retiredReason.empty()) c.retiredReason = "prepare failed: " + why.message();
  }

  // A device that prepared none of its partitions is out of the plan.
  void retireUnprepared() {
    std::lock_guard<std::mutex> lock(countersMu_);
    for (DeviceCounters& c : counters_) {
      const bool any = std::any_of(steps.begin(), steps.end(),
                                   [&](const auto& s) { return s->device == c.device && s->primary; });
      if (!any) c.retired = true;
      if (any && !c.retired) c.retiredReason.clear();
    }
  }

  void ensureCounters(const std::string& device) {
    std::lock_guard<std::mutex> lock(countersMu_);
    countersFor(device);
  }

  Status execute(const std::vector<TensorView>& inputs, std::vector<OwnedTensor>* outputs, Deadline deadline,
                 ExecutionTiming* timing) override {
    const auto start = Clock::now();
    INFERD_RETURN_IF_ERROR(validateInputs(inputDescs, inputs));
    // Values by tensor index: the request's inputs (borrowed) and what
    // each step produced (owned, moved out at the end).
    std::map<int32_t, TensorView> views;
    std::map<int32_t, OwnedTensor> owned;
    for (size_t i = 0; i < inputIds.size(); ++i) views[inputIds[i]] = inputs[i];
    uint64_t computeNs = 0;
    std::vector<TensorView> stepIn;
    std::vector<OwnedTensor> stepOut;
    for (const auto& sp : steps) {
      Step& s = *sp;
      if (deadline.stop != nullptr && deadline.stop->load(std::memory_order_relaxed)) {
        return Status(StatusCode::kCancelled, "execution stopped between partitions");
      }
      if (deadline.expired()) return Status(StatusCode::kDeadlineExceeded, "deadline expired between partitions");
      stepIn.clear();
      for (int32_t id : s.inputs) {
        auto it = views.find(id);
        if (it == views.end()) {
          return makeError(StatusCode::kInternal, "partition on {} needs tensor {}, which nothing produced", s.device,
                           id);
        }
        stepIn.push_back(it->second);
      }
      stepOut.clear();
      ExecutionTiming t;
      INFERD_RETURN_IF_ERROR(runStep(s, stepIn, &stepOut, deadline, &t));
      computeNs += t.computeNs;
      if (stepOut.size() != s.outputs.size()) {
        return makeError(StatusCode::kInternal, "partition on {} gave {} outputs, expected {}", s.device,
                         stepOut.size(), s.outputs.size());
      }
      for (size_t i = 0; i < stepOut.size(); ++i) {
        OwnedTensor& o = owned[s.outputs[i]];
        o = std::move(stepOut[i]);
        views[s.outputs[i]] = TensorView{o.type, o.dims, o.data.data(), o.data.size()};
      }
    }
    outputs->resize(outputIds.size());
    for (size_t i = 0; i < outputIds.size(); ++i) {
      const int32_t id = outputIds[i];
      auto it = owned.find(id);
      OwnedTensor& out = (*outputs)[i];
      if (it != owned.end() && std::count(outputIds.begin(), outputIds.end(), id) == 1) {
        out = std::move(it->second);
        continue;
      }
      auto v = views.find(id);
      if (v == views.end()) return makeError(StatusCode::kInternal, "output tensor {} was not produced", id);
      out.type = v->second.type;
      out.dims = v->second.dims;
      const auto* p = static_cast<const uint8_t*>(v->second.data);
      out.data.assign(p, p + v->second.bytes);
    }
    if (timing != nullptr) {
      timing->computeNs = computeNs;
      timing->totalNs = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    }
    return Status::ok();
  }

  // The cpu's prepared model for a step, made on first need.
  Result<PreparedModel*> fallbackFor(Step& s) {
    std::lock_guard<std::mutex> lock(s.fallbackMu);
    if (!s.fallback) {
      PrepareOptions o = options_;
      if (!s.parentOps.empty()) o.signature.clear();  // slices have no signatures
      auto pm = cpu_.prepare(s.model, o);
      if (!pm) return pm.status().withContext(fmt::format("preparing the cpu fallback of a {} partition", s.device));
      s.fallback = std::move(pm).value();
    }
    return s.fallback.get();
  }

 private:
  bool retired(const std::string& device) const {
    std::lock_guard<std::mutex> lock(countersMu_);
    for (const DeviceCounters& c : counters_) {
      if (c.device == device) return c.retired;
    }
    return false;
  }

  DeviceCounters& countersFor(const std::string& device) {
    for (DeviceCounters& c : counters_) {
      if (c.device == device) return c;
    }
    DeviceCounters c;
    c.device = device;
    counters_.push_back(std::move(c));
    return counters_.back();
  }

  void event(const std::string& what) {
    if (runtime_.onEvent) runtime_.onEvent(what);
  }

  Status runStep(Step& s, const std::vector<TensorView>& in, std::vector<OwnedTensor>* out, Deadline deadline,
                 ExecutionTiming* t) {
    if (s.primary && !retired(s.device)) {
      Status st = s.primary->execute(in, out, deadline, t);
      if (st.isOk()) {
        std::lock_guard<std::mutex> lock(countersMu_);
        countersFor(s.device).executions += 1;
        consecutiveFailures_[s.device] = 0;
        return st;
      }
      if (isCallersError(st.code())) return st;
      bool retire = false;
      int n = 0;
      {
        // Failures count per device, over all its partitions: a device
        // that keeps failing this model leaves the plan.
        std::lock_guard<std::mutex> lock(countersMu_);
        n = ++consecutiveFailures_[s.device];
        DeviceCounters& c = countersFor(s.device);
        c.failures += 1;
        if (!s.onCpu) c.fallbacks += 1;
        retire = !s.onCpu && !c.retired && n >= runtime_.retireAfterFailures;
        if (retire) {
          c.retired = true;
          c.retiredReason = fmt::format("{} consecutive execution failures, the last: {}", n, st.message());
        }
      }
      if (s.onCpu) return st;  // the cpu itself failed: nothing to fall back to
      event(fmt::format("{} failed an execution ({}); running it on {}", s.device, st.message(), cpu_.name()));
      if (retire) event(fmt::format("{} taken out of the plan after {} consecutive failures", s.device, n));
    }
    auto fb = fallbackFor(s);
    if (!fb) return fb.status();
    out->clear();
    Status st = fb.value()->execute(in, out, deadline, t);
    if (st.isOk()) {
      std::lock_guard<std::mutex> lock(countersMu_);
      countersFor(cpu_.name()).executions += 1;
    }
    return st;
  }

  Device& cpu_;
  const PrepareOptions options_;
  const PlanRuntimeOptions runtime_;
  mutable std::mutex countersMu_;
  std::vector<DeviceCounters> counters_;
  std::map<std::string, int> consecutiveFailures_;
};

}  // namespace

Result<std::unique_ptr<PreparedModel>> preparePlan(std::shared_ptr<const engine::Model> model,
                                                   const ExecutionPlan& plan, const std::vector<Device*>& devices,
                                                   Device& cpu, const PrepareOptions& options,
                                                   const PlanRuntimeOptions& runtime) {
  if (!model) return Status(StatusCode::kInvalidArgument, "no model given");
  const bool whole = plan.partitions.size() <= 1;
  const std::string firstDevice = plan.partitions.empty() ? cpu.name() : plan.partitions.front().device;
  if (whole && firstDevice == cpu.name()) return cpu.prepare(std::move(model), options);
  auto pm = std::make_unique<PlanPreparedModel>(cpu, options, runtime);
  const engine::Subgraph& sg = model->subgraphs()[static_cast<size_t>(plan.subgraph)];
  const engine::Signature* sig = options.signature.empty() ? nullptr : model->findSignature(options.signature);
  {
    SubgraphInterface io = describeInterface(sg, sig);
    pm->inputIds = std::move(io.inputIds);
    pm->outputIds = std::move(io.outputIds);
    pm->inputDescs = std::move(io.inputs);
    pm->outputDescs = std::move(io.outputs);
  }
  // Shapes of the values as the devices computed them: the next slice's
  // inputs get these.
  std::map<int32_t, Dims> shapes;
  for (size_t i = 0; i < pm->inputIds.size(); ++i) shapes[pm->inputIds[i]] = pm->inputDescs[i].dims;
  std::vector<std::string> names;
  for (const PlannedPartition& part : plan.partitions) {
    auto step = std::make_unique<Step>();
    step->device = part.device;
    Device* device = deviceNamed(part.device, devices, cpu);
    if (device == nullptr) return makeError(StatusCode::kInvalidArgument, "the plan names device '{}', which is not given", part.device);
    step->onCpu = device == &cpu;
    PrepareOptions o = options;
    if (whole) {
      step->model = model;
      step->inputs = pm->inputIds;
      step->outputs = pm->outputIds;
    } else {
      std::map<int32_t, Dims> inShapes;
      for (int32_t t : part.slice.inputs) {
        auto it = shapes.find(t);
        if (it != shapes.end()) inShapes[t] = it->second;
      }
      auto sliced = engine::Model::slice(model, plan.subgraph, part.slice, inShapes);
      if (!sliced) return sliced.status();
      step->model = std::move(sliced).value();
      step->inputs = part.slice.inputs;
      step->outputs = part.slice.outputs;
      step->parentOps = part.slice.ops;
      o.signature.clear();
    }
    pm->ensureCounters(part.device);
    auto prepared = device->prepare(step->model, o);
    if (prepared) {
      step->primary = std::move(prepared).value();
    } else if (step->onCpu) {
      return prepared.status();
    } else {
      pm->countPrepareFailure(part.device, prepared.status());
      if (runtime.onEvent) {
        runtime.onEvent(fmt::format("{} failed to prepare a partition of {} op(s) ({}); it runs on {}", part.device,
                                    part.slice.ops.size(), prepared.status().message(), cpu.name()));
      }
      auto fb = pm->fallbackFor(*step);
      if (!fb) return fb.status();
    }
    const PreparedModel* ran = step->primary ? step->primary.get() : step->fallback.get();
    if (ran->outputs().size() != step->outputs.size() || ran->inputs().size() != step->inputs.size()) {
      return makeError(StatusCode::kInternal, "the {} partition has {} inputs and {} outputs, the plan {} and {}",
                       part.device, ran->inputs().size(), ran->outputs().size(), step->inputs.size(),
                       step->outputs.size());
    }
    for (size_t i = 0; i < step->outputs.size(); ++i) shapes[step->outputs[i]] = ran->outputs()[i].dims;
    if (whole) {
      pm->inputDescs = ran->inputs();
      pm->outputDescs = ran->outputs();
    }
    if (std::find(names.begin(), names.end(), part.device) == names.end()) names.push_back(part.device);
    pm->steps.push_back(std::move(step));
  }
  pm->retireUnprepared();
  if (!whole) {
    for (size_t i = 0; i < pm->outputIds.size(); ++i) {
      auto it = shapes.find(pm->outputIds[i]);
      if (it != shapes.end()) pm->outputDescs[i].dims = it->second;
    }
  }
  pm->name = fmt::format("{}", fmt::join(names, "+"));
  return std::unique_ptr<PreparedModel>(std::move(pm));
}

}  // namespace inferd::hal
