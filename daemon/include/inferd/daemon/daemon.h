// Daemon: the parts of inferd that do not touch the network, put together
// (config, repository, registry, backend) with the lifecycle the signals
// drive: load the configured models at start, apply a re-read config on
// SIGHUP without disturbing models that stay configured, drain on stop.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "inferd/daemon/backend.h"
#include "inferd/daemon/model_registry.h"
#include "inferd_config.pb.h"

namespace inferd::daemon {

class Daemon {
 public:
  explicit Daemon(config::DaemonConfig config, RegistryOptions options = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Loads every model the config asks for. A model that fails is logged and
  // shows in the repository index with its reason; the others are served.
  // Returns the names that failed.
  std::vector<std::string> loadConfiguredModels();

  struct ReloadResult {
    std::vector<std::string> loaded, unloaded, kept, failed;
    // Settings that only take effect after a restart (socket, listen...).
    std::vector<std::string> needsRestart;
  };
  // SIGHUP: newly configured models load, models no longer configured
  // unload, models that stay configured keep running (not reloaded). Models
  // loaded through the API are left alone. Log level and size limit apply
  // at once; model settings apply to models loaded from now on.
  ReloadResult applyConfig(const config::DaemonConfig& next);

  // Stops accepting requests and drains every model; requests still queued
  // at `cancelQueuedAt` get UNAVAILABLE.
  void shutdown(Clock::time_point cancelQueuedAt = Clock::time_point::max());

  // The models a config asks for: its `models` list, plus the whole
  // repository when load_all_models is set.
  std::set<std::string> configuredModels(const config::DaemonConfig& config) const;

  const config::DaemonConfig& config() const { return config_; }
  ModelRegistry& registry() { return *registry_; }
  Backend& backend() { return *backend_; }

 private:
  void applyAccessPolicy(const config::DaemonConfig& config);

  config::DaemonConfig config_;
  std::set<std::string> configured_;  // what the current config asked for
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace inferd::daemon
