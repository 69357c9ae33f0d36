// The model registry: every model is loaded (mmap, verify, constant folding)
// exactly once and shared by all its workers and all clients. A loaded
// model is a ModelInstance held by shared_ptr: reload publishes a new
// instance and drains the old one, unload drains and drops it, so requests
// in flight finish on the instance they started with. An unload while the
// model is still loading cancels that load.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "inferd/daemon/model_repository.h"
#include "inferd/daemon/scheduler.h"
#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"
#include "inferd/engine/status.h"
#include "inferd/hal/device.h"
#include "inferd/hal/device_manager.h"
#include "inferd/ipc/backend.h"
#include "inferd_config.pb.h"

namespace inferd::daemon {

// One loaded version of a model. Immutable once published.
class ModelInstance {
 public:
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  // Counts loads of this model name (1 for the first load, 2 after a reload...).
  uint64_t generation() const { return generation_; }
  const std::shared_ptr<const engine::Model>& model() const { return scheduler_->model(); }
  const config::ModelConfig& config() const { return config_; }
  const ipc::ModelMetadata& metadata() const { return metadata_; }
  Scheduler& scheduler() const { return *scheduler_; }
  const std::string& path() const { return path_; }
  uint64_t loadNs() const { return loadNs_; }

  // Index of the model input/output with this name.
  std::optional<size_t> inputIndex(const std::string& name) const;
  std::optional<size_t> outputIndex(const std::string& name) const;

 private:
  friend class ModelRegistry;
  std::string name_, version_ = "1", path_;
  uint64_t generation_ = 0;
  config::ModelConfig config_;
  ipc::ModelMetadata metadata_;
  std::unique_ptr<Scheduler> scheduler_;
  uint64_t loadNs_ = 0;
};

struct RegistryOptions {
  // Kernels for constant folding and for the built-in cpu device (custom ops).
  const engine::OpResolver* resolver = nullptr;
  // The one device workers run on (tests); nullptr: a device manager with
  // the cpu device over `resolver` and the OpenCL devices of the config's
  // opencl_types, models placed per ModelConfig::device.
  hal::Device* device = nullptr;
  // Called after a model is loaded and its workers are prepared, just before
  // it is published. Tests use it to act in the middle of a load.
  std::function<void(const std::string& name)> beforePublish;
};

class ModelRegistry {
 public:
  ModelRegistry(ModelRepository repository, config::DaemonConfig config, RegistryOptions options = {});
  ~ModelRegistry();  // stop()
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  // The daemon config supplies model_defaults and per-model overrides for
  // the next loads (SIGHUP replaces it).
  void setConfig(const config::DaemonConfig& config);

  // Loads the model, or reloads it when loaded (the new instance serves new
  // requests once ready; the old one answers what it has, then goes away).
  // NOT_FOUND for a model not in the repository; the load error otherwise
  // (also kept as the reason in index()); UNAVAILABLE when an unload came
  // while loading, or the registry is stopped.
  Status load(const std::string& name);
  // Unloads the model after answering its queued and running requests.
  // Unloading a model that is not loaded is OK; NOT_FOUND when unknown.
  Status unload(const std::string& name);

  // The instance serving `name`: NOT_FOUND when unknown, UNAVAILABLE when
  // known but not loaded (with the reason).
  Result<std::shared_ptr<ModelInstance>> get(const std::string& name) const;

  // Every model of the repository and every loaded one, sorted by name,
  // with state READY, LOADING, UNLOADING or UNAVAILABLE and the reason.
  std::vector<ipc::RepositoryEntry> index(bool readyOnly) const;
  // Statistics of one loaded model, or of all loaded models (empty name).
  Result<std::vector<ipc::ModelStatistics>> statistics(const std::string& name) const;
  std::vector<std::string> loadedModels() const;
  // How many times the model was loaded and published (tests: exactly once).
  uint64_t loadCount(const std::string& name) const;
  // The loaded model whose running execution is most overdue (see
  // Scheduler::overdue) and by how much; empty name when none is.
  std::pair<std::string, Clock::duration> mostOverdue() const;

  // Stops every model: new requests and loads get UNAVAILABLE, queued and
  // running requests are answered (queued ones still waiting at
  // `cancelQueuedAt` get UNAVAILABLE), worker threads are joined.
  void stop(Clock::time_point cancelQueuedAt = Clock::time_point::max());

  const ModelRepository& repository() const { return repository_; }
  // The cpu device (or RegistryOptions::device).
  hal::Device& device() const { return *device_; }
  // The device manager, or nullptr with RegistryOptions::device.
  hal::DeviceManager* deviceManager() const { return manager_.get(); }

 private:
  struct Entry {
    std::string state = "UNAVAILABLE";
    std::string reason;
    std::shared_ptr<ModelInstance> current;
    uint64_t ticket = 0;  // bumped by every load start and every unload
    uint64_t loads = 0;
    std::shared_ptr<StatsRecorder> stats = std::make_shared<StatsRecorder>();
    std::shared_ptr<std::mutex> loadMu = std::make_shared<std::mutex>();  // one load of a model at a time
  };

  Result<std::shared_ptr<ModelInstance>> build(const ModelLocation& location, const config::DaemonConfig& config,
                                               std::shared_ptr<StatsRecorder> stats);

  ModelRepository repository_;
  RegistryOptions options_;
  // Without RegistryOptions::device: every device of this machine, models
  // placed by hal::placeModel (pinned by ModelConfig::device, or measured).
  std::unique_ptr<hal::DeviceManager> manager_;
  hal::Device* device_ = nullptr;

  mutable std::mutex mu_;
  config::DaemonConfig config_;
  std::map<std::string, Entry> entries_;
  bool stopped_ = false;
};

}  // namespace inferd::daemon
