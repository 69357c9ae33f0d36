// Model registry: load once, share, reference-counted unload and reload.
#include "inferd/daemon/model_registry.h"
#include "inferd/hal/placement.h"

#include <algorithm>
#include <set>

#include "inferd/daemon/config.h"
#include "inferd/daemon/logging.h"

namespace inferd::daemon {

namespace {

std::string megabytes(size_t bytes) { return fmt::format("{:.2f} MB", static_cast<double>(bytes) / 1e6); }

ipc::TensorMetadata describe(const hal::TensorDesc& d) {
  ipc::TensorMetadata m;
  m.name = d.name;
  m.type = d.type;
  m.shape.assign(d.dims.begin(), d.dims.end());
  return m;
}

}  // namespace

std::optional<size_t> ModelInstance::inputIndex(const std::string& name) const {
  for (size_t i = 0; i < metadata_.inputs.size(); ++i) {
    if (metadata_.inputs[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<size_t> ModelInstance::outputIndex(const std::string& name) const {
  for (size_t i = 0; i < metadata_.outputs.size(); ++i) {
    if (metadata_.outputs[i].name == name) return i;
  }
  return std::nullopt;
}

ModelRegistry::ModelRegistry(ModelRepository repository, config::DaemonConfig config, RegistryOptions options)
    : repository_(std::move(repository)), options_(std::move(options)), config_(std::move(config)) {
  if (options_.device != nullptr) {
    device_ = options_.device;
  } else {
    hal::DeviceManagerOptions mo;
    mo.resolver = options_.resolver;
    mo.openclTypes = openClTypesOf(config_);
    mo.opencl = !mo.openclTypes.empty();
    mo.stateDir = stateDirOf(config_);
    manager_ = std::make_unique<hal::DeviceManager>(mo);
    device_ = &manager_->cpu();
    auto log = logger("registry");
    for (const hal::DeviceInfo& d : manager_->devices()) {
      if (d.available) {
        log->info("device {} ({}): {} {} {}", d.name, hal::deviceKindName(d.kind), d.vendor, d.hardware,
                  d.deviceVersion);
      } else {
        log->info("device {} not used: {}", d.name, d.reason);
      }
    }
  }
}

ModelRegistry::~ModelRegistry() { stop(); }

void ModelRegistry::setConfig(const config::DaemonConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = config;
}

Result<std::shared_ptr<ModelInstance>> ModelRegistry::build(const ModelLocation& location,
                                                            const config::DaemonConfig& daemonConfig,
                                                            std::shared_ptr<StatsRecorder> stats) {
  auto log = logger("registry");
  const auto start = Clock::now();
  auto fileConfig = repository_.modelConfig(location);
  if (!fileConfig) return fileConfig.status().withContext(fmt::format("model '{}'", location.name));
  const config::ModelConfig cfg =
      effectiveModelConfig(daemonConfig, location.name, fileConfig->has_value() ? &**fileConfig : nullptr);

  engine::LoadOptions loadOptions;
  loadOptions.resolver = options_.resolver;
  // Opened beneath the model directory without following links; errors
  // (which reach clients) name the file relative to the directory.
  auto file = repository_.openModel(location);
  if (!file) return file.status();
  auto model = engine::Model::loadFromFd(file->get(), location.relativeModelPath(), loadOptions);
  if (!model) return model.status();

  SchedulerOptions so;
  so.model = location.name;
  so.version = "1";
  so.workers = cfg.workers();
  so.queueSize = static_cast<size_t>(cfg.queue_size());
  so.defaultPriority = cfg.default_priority();
  so.maxExecution = std::chrono::milliseconds(cfg.max_execution_ms());
  so.prepare.priority = static_cast<int>(std::clamp<int64_t>(cfg.default_priority(), INT32_MIN, INT32_MAX));
  so.prepare.maxArenaBytes = static_cast<size_t>(cfg.max_arena_bytes());
  so.prepare.numThreads = cfg.num_threads();  // kernel threads of each worker's interpreter
  // ModelConfig::device, or the deprecated preferred_device when only it is set.
  const std::string pin = cfg.has_device() ? cfg.device() : (cfg.has_preferred_device() ? cfg.preferred_device() : "");
  if (cfg.strict() && (pin.empty() || pin == "auto")) {
    return makeError(StatusCode::kInvalidArgument,
                     "model '{}': strict needs a device to pin the model to (device: \"opencl\", ...)", location.name);
  }
  std::string placementNote;
  Result<std::unique_ptr<Scheduler>> scheduler = Status(StatusCode::kInternal, "not placed");
  if (manager_) {
    hal::PlacementRequest req;
    req.device = pin;
    req.strict = cfg.strict();
    req.prepare = so.prepare;
    req.prepare.cacheDir = manager_->stateDir();
    const std::string name = location.name;
    req.runtime.onEvent = [name](const std::string& e) { logger("hal")->warn("model '{}': {}", name, e); };
    auto placed = hal::placeModel(*manager_, model.value(), req);
    if (!placed) return placed.status().withContext(fmt::format("model '{}'", location.name));
    const hal::ExecutionPlan plan = placed.value().plan;
    placementNote = fmt::format("{} ({})", plan.summary(), placed.value().how);
    for (const hal::OpPlacement& op : plan.ops) {
      if (!op.reason.empty() && plan.partitions.size() > 1) {
        log->debug("model '{}' op {} {} on {}: {}", location.name, op.opIndex, op.op, op.device, op.reason);
      }
    }
    hal::DeviceManager& manager = *manager_;
    const hal::PrepareOptions prepareOptions = req.prepare;
    const hal::PlanRuntimeOptions runtime = req.runtime;
    auto sharedModel = model.value();
    scheduler = Scheduler::create(
        sharedModel,
        [&](int worker) -> Result<std::unique_ptr<hal::PreparedModel>> {
          auto p = hal::preparePlan(sharedModel, plan, manager.accelerators(), manager.cpu(), prepareOptions, runtime);
          if (!p) return p.status().withContext(fmt::format("model '{}': cannot prepare worker {}", name, worker));
          return p;
        },
        so, std::move(stats), std::move(placed.value().prepared));
  } else {
    if (!pin.empty() && pin != "auto" && pin != device_->name()) {
      log->warn("model '{}': device '{}' is not available; it runs on '{}'", location.name, pin, device_->name());
    }
    scheduler = Scheduler::create(model.value(), *device_, so, std::move(stats));
  }
  if (!scheduler) return scheduler.status();

  auto instance = std::make_shared<ModelInstance>();
  instance->name_ = location.name;
  instance->path_ = location.modelPath;
  instance->config_ = cfg;
  instance->scheduler_ = std::move(scheduler).value();
  ipc::ModelMetadata& md = instance->metadata_;
  md.name = location.name;
  md.versions = {instance->version_};
  md.platform = "tflite";
  md.device = instance->scheduler_->deviceName();
  // The prepared shapes: exactly what a request must send.
  for (const auto& d : instance->scheduler_->inputs()) md.inputs.push_back(describe(d));
  for (const auto& d : instance->scheduler_->outputs()) md.outputs.push_back(describe(d));
  instance->loadNs_ = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());

  const engine::Model& m = *instance->model();
  const Scheduler& s = *instance->scheduler_;
  log->info("loaded model '{}' from {} in {:.1f} ms: {} worker{} on {}, arena {} ({} bytes) in all, "
            "constants {} (folded {}), queue_size {}{}",
            location.name, location.modelPath, static_cast<double>(instance->loadNs_) / 1e6, s.workerCount(),
            s.workerCount() == 1 ? "" : "s", md.device, megabytes(s.workingBytes()), s.workingBytes(),
            megabytes(m.constantBytes()), megabytes(m.foldedBytes()), so.queueSize,
            placementNote.empty() ? "" : "; placement: " + placementNote);
  return instance;
}

Status ModelRegistry::load(const std::string& name) {
  auto log = logger("registry");
  auto location = repository_.find(name);
  if (!location) {
    log->error("cannot load model '{}': {}", name, location.status().message());
    return location.status();
  }

  std::shared_ptr<std::mutex> loadMu;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return makeError(StatusCode::kUnavailable, "cannot load model '{}': the daemon is stopping", name);
    loadMu = entries_[name].loadMu;
  }
  // A second load of the same model waits for the first, then reloads.
  std::lock_guard<std::mutex> loadLock(*loadMu);

  uint64_t ticket = 0;
  config::DaemonConfig config;
  std::shared_ptr<StatsRecorder> stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return makeError(StatusCode::kUnavailable, "cannot load model '{}': the daemon is stopping", name);
    Entry& e = entries_[name];
    ticket = ++e.ticket;
    if (!e.current) {
      e.state = "LOADING";
      e.reason.clear();
    }
    config = config_;
    stats = e.stats;
  }
  log->debug("loading model '{}' from {}", name, location->modelPath);
  auto built = build(*location, config, stats);
  if (built && options_.beforePublish) options_.beforePublish(name);

  std::shared_ptr<ModelInstance> old, discarded;
  bool cancelled = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[name];
    if (e.ticket != ticket || stopped_) {
      // Unloaded (or stopped) while loading: the result is not published.
      cancelled = true;
      if (built) discarded = std::move(built).value();
    } else if (!built) {
      e.state = e.current ? "READY" : "UNAVAILABLE";
      e.reason = e.current ? "reload failed: " + built.status().message() : built.status().message();
      log->error("cannot load model '{}': {}", name, built.status().message());
      return built.status();
    } else {
      auto instance = std::move(built).value();
      instance->generation_ = ++e.loads;
      old = std::move(e.current);
      e.current = std::move(instance);
      e.state = "READY";
      e.reason.clear();
    }
  }
  if (cancelled) {
    // Never served a request: stopping it only joins its threads.
    if (discarded) discarded->scheduler().stop();
    log->info("load of model '{}' cancelled: it was unloaded while loading", name);
    return makeError(StatusCode::kUnavailable, "model '{}' was unloaded while it was loading", name);
  }
  if (old) {
    // Requests already queued on the old instance finish there.
    old->scheduler().stop();
    log->info("model '{}' reloaded; the previous instance answered its requests and was released", name);
  }
  return Status::ok();
}

Status ModelRegistry::unload(const std::string& name) {
  auto log = logger("registry");
  std::shared_ptr<ModelInstance> old;
  std::chrono::milliseconds grace{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    grace = std::chrono::milliseconds(config_.shutdown_grace_ms());
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      auto location = repository_.find(name);
      if (!location) return location.status();
      return Status::ok();  // known, not loaded: nothing to do
    }
    Entry& e = it->second;
    ++e.ticket;  // cancels a load in progress
    old = std::move(e.current);
    e.state = old ? "UNLOADING" : "UNAVAILABLE";
    e.reason = "unloaded";
  }
  if (old) {
    // What is queued or running gets shutdown_grace_ms to finish; then the
    // queue is answered UNAVAILABLE and running executions are stopped.
    old->scheduler().close(Clock::now() + grace);
    old->scheduler().join();
    log->info("unloaded model '{}'", name);
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[name];
    if (!e.current && e.state == "UNLOADING") e.state = "UNAVAILABLE";
  }
  return Status::ok();
}

Result<std::shared_ptr<ModelInstance>> ModelRegistry::get(const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it != entries_.end()) {
      const Entry& e = it->second;
      if (e.current) return e.current;
      return makeError(StatusCode::kUnavailable, "model '{}' is not loaded ({}{}{})", name, e.state,
                       e.reason.empty() ? "" : ": ", e.reason);
    }
  }
  auto location = repository_.find(name);
  if (!location) return location.status();
  return makeError(StatusCode::kUnavailable, "model '{}' is not loaded; load it first (RepositoryModelLoad)", name);
}

std::vector<ipc::RepositoryEntry> ModelRegistry::index(bool readyOnly) const {
  std::map<std::string, ipc::RepositoryEntry> out;
  for (const ModelLocation& loc : repository_.list()) {
    out[loc.name] = ipc::RepositoryEntry{loc.name, "", "UNAVAILABLE", "not loaded"};
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : entries_) {
    // A model whose file is gone and that is not loaded is no longer listed.
    if (!e.current && e.state == "UNAVAILABLE" && !out.count(name)) continue;
    out[name] = ipc::RepositoryEntry{name, e.current ? e.current->version() : "", e.state, e.reason};
  }
  std::vector<ipc::RepositoryEntry> result;
  for (auto& [name, entry] : out) {
    if (readyOnly && entry.state != "READY") continue;
    result.push_back(std::move(entry));
  }
  return result;
}

Result<std::vector<ipc::ModelStatistics>> ModelRegistry::statistics(const std::string& name) const {
  std::vector<ipc::ModelStatistics> out;
  if (name.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [n, e] : entries_) {
      if (e.current) out.push_back(e.stats->snapshot(n, e.current->version()));
    }
    return out;
  }
  auto instance = get(name);
  if (!instance) return instance.status();
  out.push_back((*instance)->scheduler().stats()->snapshot(name, (*instance)->version()));
  return out;
}

std::vector<std::string> ModelRegistry::loadedModels() const {
  std::vector<std::string> names;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : entries_) {
    if (e.current) names.push_back(name);
  }
  return names;
}

std::pair<std::string, Clock::duration> ModelRegistry::mostOverdue() const {
  std::vector<std::shared_ptr<ModelInstance>> instances;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, e] : entries_) {
      if (e.current) instances.push_back(e.current);
    }
  }
  std::pair<std::string, Clock::duration> worst{"", Clock::duration::zero()};
  const auto now = Clock::now();
  for (const auto& inst : instances) {
    const Clock::duration d = inst->scheduler().overdue(now);
    if (d > worst.second) worst = {inst->name(), d};
  }
  return worst;
}

uint64_t ModelRegistry::loadCount(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  return it == entries_.end() ? 0 : it->second.loads;
}

void ModelRegistry::stop(Clock::time_point cancelQueuedAt) {
  std::vector<std::shared_ptr<ModelInstance>> instances;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    for (auto& [name, e] : entries_) {
      ++e.ticket;
      if (e.current) {
        instances.push_back(std::move(e.current));
        e.state = "UNLOADING";
        e.reason = "the daemon is stopping";
      }
    }
  }
  // Close all first so that every model drains at the same time.
  for (auto& i : instances) i->scheduler().close(cancelQueuedAt);
  for (auto& i : instances) i->scheduler().join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, e] : entries_) {
    if (e.state == "UNLOADING") e.state = "UNAVAILABLE";
  }
}

}  // namespace inferd::daemon
