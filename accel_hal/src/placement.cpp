// Pinned and measured placement (placement.h).
#include "inferd/hal/placement.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "state_file.h"

namespace inferd::hal {

namespace {

using Clock = std::chrono::steady_clock;

std::string fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

// Deterministic inputs of the model's shapes: floats in [-1, 1), integers
// small (indices and sizes stay valid), so that every candidate computes
// the same thing.
std::vector<std::vector<uint8_t>> sampleInputs(const std::vector<TensorDesc>& descs) {
  std::vector<std::vector<uint8_t>> out;
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (const TensorDesc& d : descs) {
    const size_t n = static_cast<size_t>(engine::numElements(d.dims));
    std::vector<uint8_t> bytes(n * engine::elementSize(d.type), 0);
    if (d.type == engine::ElementType::kFloat32) {
      for (size_t i = 0; i < n; ++i) {
        const float v = static_cast<float>(next() % 2000) / 1000.f - 1.f;
        std::memcpy(bytes.data() + i * 4, &v, 4);
      }
    } else if (d.type == engine::ElementType::kInt8 || d.type == engine::ElementType::kUInt8) {
      for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(next());
    }
    out.push_back(std::move(bytes));
  }
  return out;
}

std::string deviceKey(const Device& d) {
  const DeviceInfo i = d.info();
  return fmt::format("{}:{}:{}:{}:{}", i.name, i.driver, i.hardware, i.deviceVersion, i.driverVersion);
}

struct Candidate {
  std::string device;  // the accelerator the plan is for ("cpu": the all-cpu plan)
  ExecutionPlan plan;
  std::unique_ptr<PreparedModel> prepared;
  std::vector<double> ms;
  std::string failed;
};

ExecutionPlan cpuPlan(const engine::Model& model, Device& cpu, const PartitionOptions& options, Status* error) {
  auto plan = planExecution(model, {&cpu}, cpu, options);
  if (!plan) {
    *error = plan.status();
    return {};
  }
  return plan.value();
}

}  // namespace

Result<Placement> placeModel(DeviceManager& manager, std::shared_ptr<const engine::Model> model,
                             const PlacementRequest& request) {
  if (!model) return Status(StatusCode::kInvalidArgument, "no model given");
  Device& cpu = manager.cpu();
  PartitionOptions po = request.partition;
  po.signature = request.prepare.signature;
  po.strict = request.strict;
  Placement out;
  auto prepareWith = [&](const ExecutionPlan& plan, const std::vector<Device*>& devices) {
    return preparePlan(model, plan, devices, cpu, request.prepare, request.runtime);
  };

  const bool measured = request.device.empty() || request.device == "auto";
  if (!measured) {
    Device* d = manager.find(request.device);
    if (d == nullptr) return Status(StatusCode::kNotFound, manager.whyUnavailable(request.device));
    auto plan = planExecution(*model, {d}, cpu, po);
    if (!plan) return plan.status();
    auto prepared = prepareWith(plan.value(), {d});
    if (!prepared) return prepared.status();
    out.plan = std::move(plan).value();
    out.prepared = std::move(prepared).value();
    out.how = fmt::format("pinned to {}", d->name());
    return out;
  }
  if (request.strict) return Status(StatusCode::kInvalidArgument, "strict placement needs a device to pin to");

  // The candidates: the all-cpu plan, and each accelerator's plan that
  // puts at least one partition on it.
  std::vector<Candidate> candidates;
  Status error;
  PartitionOptions cpuOptions = po;
  cpuOptions.strict = false;
  {
    Candidate c;
    c.device = cpu.name();
    c.plan = cpuPlan(*model, cpu, cpuOptions, &error);
    if (!error.isOk()) return error;
    candidates.push_back(std::move(c));
  }
  for (Device* d : manager.accelerators()) {
    auto plan = planExecution(*model, {d}, cpu, po);
    if (!plan) continue;
    const bool uses = std::any_of(plan.value().partitions.begin(), plan.value().partitions.end(),
                                  [&](const PlannedPartition& p) { return p.device == d->name(); });
    if (!uses) continue;
    Candidate c;
    c.device = d->name();
    c.plan = std::move(plan).value();
    candidates.push_back(std::move(c));
  }
  auto devicesFor = [&](const Candidate& c) {
    std::vector<Device*> v;
    if (Device* d = manager.find(c.device); d != nullptr && d != &cpu) v.push_back(d);
    return v;
  };
  if (candidates.size() == 1) {
    auto prepared = prepareWith(candidates[0].plan, {});
    if (!prepared) return prepared.status();
    out.plan = std::move(candidates[0].plan);
    out.prepared = std::move(prepared).value();
    out.how = "only the cpu runs any of it";
    return out;
  }

  // The decision's key and cache file.
  std::string key = fmt::format("v1|model {}|bytes {}|signature {}|threads {}|min {}|max {}",
                                fnv1a(model->fileData(), model->fileBytes()), model->fileBytes(),
                                request.prepare.signature, request.prepare.numThreads, po.minOpsPerPartition,
                                po.maxPartitions);
  key += "|" + deviceKey(cpu);
  for (const Candidate& c : candidates) {
    if (Device* d = manager.find(c.device); d != nullptr && d != &cpu) key += "|" + deviceKey(*d);
  }
  const std::string path =
      request.useCache && !manager.stateDir().empty()
          ? (std::filesystem::path(manager.stateDir()) / "placement" / (fnv1a(key.data(), key.size()) + ".txt")).string()
          : std::string();
  if (!path.empty()) {
    const auto kv = readKeyValues(path);
    auto k = kv.find("key");
    auto w = kv.find("winner");
    if (k != kv.end() && k->second == key && w != kv.end()) {
      for (Candidate& c : candidates) {
        if (c.device != w->second) continue;
        auto prepared = prepareWith(c.plan, devicesFor(c));
        if (!prepared) break;  // measure again below
        out.plan = std::move(c.plan);
        out.prepared = std::move(prepared).value();
        auto m = kv.find("measured");
        out.how = fmt::format("cached ({})", m != kv.end() ? m->second : "measured earlier");
        out.fromCache = true;
        return out;
      }
    }
  }

  for (Candidate& c : candidates) {
    auto prepared = prepareWith(c.plan, devicesFor(c));
    if (prepared) {
      c.prepared = std::move(prepared).value();
    } else {
      c.failed = prepared.status().message();
    }
  }
  if (!candidates[0].prepared) return Status(StatusCode::kUnsupported, candidates[0].failed);
  const std::vector<std::vector<uint8_t>> data = sampleInputs(candidates[0].prepared->inputs());
  std::vector<TensorView> views;
  for (size_t i = 0; i < data.size(); ++i) {
    const TensorDesc& d = candidates[0].prepared->inputs()[i];
    views.push_back({d.type, d.dims, data[i].data(), data[i].size()});
  }
  const int runs = std::max(1, request.runs);
  std::vector<OwnedTensor> outputs;
  for (int r = 0; r <= runs; ++r) {  // run 0 warms up
    for (Candidate& c : candidates) {
      if (!c.prepared || !c.failed.empty()) continue;
      const auto t0 = Clock::now();
      Status s = c.prepared->execute(views, &outputs);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!s.isOk()) {
        c.failed = s.message();
        continue;
      }
      if (r > 0) c.ms.push_back(ms);
    }
  }
  size_t best = 0;
  std::vector<std::string> figures;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    const std::string label = c.prepared ? c.prepared->deviceName() : c.device;
    if (!c.failed.empty() || c.ms.empty()) {
      figures.push_back(fmt::format("{} failed ({})", label, c.failed));
      continue;
    }
    std::sort(c.ms.begin(), c.ms.end());
    const double median = c.ms[c.ms.size() / 2];
    out.measuredMs.emplace_back(label, median);
    figures.push_back(fmt::format("{} {:.3f} ms", label, median));
    if (candidates[best].ms.empty() || median < candidates[best].ms[candidates[best].ms.size() / 2]) best = i;
  }
  const std::string measuredText = fmt::format("{}", fmt::join(figures, ", "));
  if (!path.empty()) {
    writeAtomically(path, fmt::format("# inferd placement decision (delete to measure again)\nkey={}\nwinner={}\n"
                                      "measured={}\n",
                                      key, candidates[best].device, measuredText));
  }
  out.plan = std::move(candidates[best].plan);
  out.prepared = std::move(candidates[best].prepared);
  out.how = fmt::format("measured: {} -> {}", measuredText, candidates[best].device);
  return out;
}

}  // namespace inferd::hal
