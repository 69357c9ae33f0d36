// Loading, preparing and feeding a model in inferctl's local mode.
#include "local_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "commands.h"
#include "inferd/hal/placement.h"
#include "tensor_io.h"

namespace inferd::inferctl {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

template <typename T, typename Dist>
void fillWith(void* data, size_t n, Dist dist, std::mt19937& rng) {
  T* p = static_cast<T*>(data);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<T>(dist(rng));
}

void randomFill(engine::ElementType type, size_t n, void* data, std::mt19937& rng) {
  using engine::ElementType;
  switch (type) {
    case ElementType::kFloat32: fillWith<float>(data, n, std::uniform_real_distribution<float>(-1.f, 1.f), rng); break;
    case ElementType::kInt8: fillWith<int8_t>(data, n, std::uniform_int_distribution<int>(-128, 127), rng); break;
    case ElementType::kUInt8: fillWith<uint8_t>(data, n, std::uniform_int_distribution<int>(0, 255), rng); break;
    case ElementType::kInt16:
      fillWith<int16_t>(data, n, std::uniform_int_distribution<int>(-32768, 32767), rng);
      break;
    case ElementType::kBool: fillWith<bool>(data, n, std::uniform_int_distribution<int>(0, 1), rng); break;
    default: break;  // zeros
  }
}

TensorSpec specOf(const hal::TensorDesc& d) {
  return {d.name, d.type, std::vector<int64_t>(d.dims.begin(), d.dims.end())};
}

}  // namespace

Result<LocalModel> openLocalModel(const LocalOptions& options) {
  LocalModel m;
  const auto loadStart = Clock::now();
  auto loaded = engine::Model::load(options.model);
  if (!loaded) return loaded.status();
  m.loadMs = msSince(loadStart);
  m.model = std::move(loaded).value();
  if (!options.signature.empty()) {
    // prepare() names a missing signature; this only picks the subgraph.
    if (const engine::Signature* s = m.model->findSignature(options.signature)) m.subgraph = s->subgraphIndex;
  }
  hal::DeviceManagerOptions managerOptions;
  // Looking for OpenCL devices costs a platform query; the cpu needs none.
  managerOptions.opencl = !options.device.empty() && options.device != "cpu";
  managerOptions.stateDir = defaultStateDir();
  m.manager = std::make_unique<hal::DeviceManager>(managerOptions);
  hal::PrepareOptions prepareOptions;
  prepareOptions.numThreads = options.threads;
  prepareOptions.signature = options.signature;
  prepareOptions.optimizedKernels = options.optimizedKernels;
  prepareOptions.profile = options.profile;
  prepareOptions.cacheDir = managerOptions.stateDir;
  hal::PlanRuntimeOptions runtime;
  runtime.onEvent = [](const std::string& e) { fmt::print(stderr, "inferctl: note: {}\n", e); };
  const auto prepareStart = Clock::now();
  auto fail = [&](const Status& s) {
    return Status(s.code(), fmt::format("cannot run '{}': {}", options.model, s.message()));
  };
  if (options.device.empty() || options.device == "cpu") {
    auto plan = planOnDevice(*m.model, *m.manager, "cpu", options.strict, options.signature);
    if (!plan) return fail(plan.status());
    m.plan = std::move(plan).value();
    auto prepared = hal::preparePlan(m.model, m.plan, {}, m.manager->cpu(), prepareOptions, runtime);
    if (!prepared) return fail(prepared.status());
    m.prepared = std::move(prepared).value();
    m.placement = options.device.empty() ? "" : "pinned to cpu";
  } else {
    hal::PlacementRequest request;
    request.device = options.device;
    request.strict = options.strict;
    request.prepare = prepareOptions;
    request.runtime = runtime;
    auto placed = hal::placeModel(*m.manager, m.model, request);
    if (!placed) return fail(placed.status());
    m.plan = std::move(placed.value().plan);
    m.prepared = std::move(placed.value().prepared);
    m.placement = placed.value().how;
  }
  m.prepareMs = msSince(prepareStart);
  return m;
}

Result<hal::ExecutionPlan> planOnDevice(const engine::Model& model, hal::DeviceManager& manager,
                                        const std::string& device, bool strict, const std::string& signature) {
  const std::string name = device.empty() ? "cpu" : device;
  hal::Device* d = manager.find(name);
  if (d == nullptr) return Status(StatusCode::kNotFound, manager.whyUnavailable(name));
  hal::PartitionOptions options;
  options.strict = strict;
  options.signature = signature;
  if (d == &manager.cpu() && !strict) {
    // Nothing to place: the cpu runs the model as it is (and prepare
    // reports what it cannot run).
    hal::ExecutionPlan plan;
    plan.devices = {"cpu"};
    const engine::Signature* sig = signature.empty() ? nullptr : model.findSignature(signature);
    plan.subgraph = sig != nullptr ? sig->subgraphIndex : 0;
    std::vector<int32_t> ops;
    const engine::Subgraph& sg = model.subgraphs()[static_cast<size_t>(plan.subgraph)];
    for (size_t i = 0; i < sg.operators.size(); ++i) {
      hal::OpPlacement p;
      p.opIndex = static_cast<int>(i);
      p.op = sg.operators[i].name();
      if (!sg.operators[i].folded) {
        p.device = "cpu";
        p.partition = 0;
        ops.push_back(static_cast<int32_t>(i));
      }
      plan.ops.push_back(std::move(p));
    }
    plan.partitions.push_back({"cpu", engine::sliceBoundary(sg, ops)});
    return plan;
  }
  return hal::planExecution(model, {d}, manager.cpu(), options);
}

void printPlan(const hal::ExecutionPlan& plan, bool perOp, const std::string& how) {
  fmt::print("placement: {} (devices in order of preference: {}{})\n", plan.summary(), fmt::join(plan.devices, ", "),
             how.empty() ? "" : "; " + how);
  if (!perOp) return;
  fmt::print("  {:>5}  {:<28} {:<10} {:>9}  {}\n", "op", "name", "device", "partition", "why not on the first device");
  for (const hal::OpPlacement& p : plan.ops) {
    fmt::print("  {:>5}  {:<28} {:<10} {:>9}  {}\n", p.opIndex, p.op, p.device.empty() ? "-" : p.device,
               p.partition < 0 ? std::string("folded") : std::to_string(p.partition), p.reason);
  }
}

std::vector<hal::TensorView> LocalInputs::views() const {
  std::vector<hal::TensorView> out;
  for (const engine::NpyArray& a : arrays) out.push_back({a.type, a.dims, a.data.data(), a.data.size()});
  return out;
}

Result<LocalInputs> localInputs(const hal::PreparedModel& prepared, const std::vector<std::string>& args,
                                InputFill fill) {
  LocalInputs in;
  if (args.empty() && fill != InputFill::kRequired) {
    std::mt19937 rng(20240901);  // fixed: every run sees the same inputs
    for (const hal::TensorDesc& d : prepared.inputs()) {
      engine::NpyArray a;
      a.type = d.type;
      a.dims = d.dims;
      const auto n = static_cast<size_t>(std::max<int64_t>(engine::numElements(d.dims), 0));
      a.data.assign(n * engine::elementSize(d.type), 0);
      if (fill == InputFill::kRandom) randomFill(d.type, n, a.data.data(), rng);
      in.arrays.push_back(std::move(a));
    }
    return in;
  }
  std::vector<TensorSpec> expected;
  for (const hal::TensorDesc& d : prepared.inputs()) expected.push_back(specOf(d));
  auto arrays = readInputs(args, expected);
  if (!arrays) return arrays.status();
  in.arrays = std::move(arrays).value();
  return in;
}

}  // namespace inferd::inferctl
