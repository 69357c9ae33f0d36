// Daemon lifecycle without the network: start-up loads, SIGHUP reconfig,
// draining stop.
#include "inferd/daemon/daemon.h"

#include <unistd.h>

#include "inferd/daemon/config.h"
#include "inferd/daemon/logging.h"

#ifndef INFERD_VERSION
#define INFERD_VERSION "unknown"
#endif

namespace inferd::daemon {

Daemon::Daemon(config::DaemonConfig config, RegistryOptions options) : config_(std::move(config)) {
  registry_ = std::make_unique<ModelRegistry>(ModelRepository(config_.model_dir()), config_, std::move(options));
  BackendOptions bo;
  bo.maxTensorBytes = static_cast<size_t>(config_.max_tensor_bytes());
  bo.serverVersion = INFERD_VERSION;
  backend_ = std::make_unique<Backend>(*registry_, bo);
  applyAccessPolicy(config_);
}

void Daemon::applyAccessPolicy(const config::DaemonConfig& config) {
  auto log = logger("inferd");
  Result<AccessPolicy> policy = AccessPolicy::fromConfig(config.access(), ::geteuid(), ::getegid());
  if (!policy) {
    // validateDaemonConfig refuses this before it gets here; keep the
    // policy in force rather than open anything up.
    log->error("access policy not changed: {}", policy.status().message());
    return;
  }
  log->info("access policy: {}", policy->describe());
  backend_->setAccessPolicy(std::move(policy).value());
}

Daemon::~Daemon() { shutdown(); }

std::set<std::string> Daemon::configuredModels(const config::DaemonConfig& config) const {
  std::set<std::string> names;
  for (const std::string& n : listedModels(config)) names.insert(n);
  if (config.load_all_models()) {
    for (const ModelLocation& loc : registry_->repository().list()) names.insert(loc.name);
  }
  return names;
}

std::vector<std::string> Daemon::loadConfiguredModels() {
  auto log = logger("inferd");
  std::vector<std::string> failed;
  configured_ = configuredModels(config_);
  if (configured_.empty()) {
    log->info("no models configured to load at start{}", config_.model_dir().empty() ? " (and no model_dir)" : "");
  }
  for (const std::string& name : configured_) {
    if (Status s = registry_->load(name); !s) failed.push_back(name);  // the registry logged why
  }
  return failed;
}

Daemon::ReloadResult Daemon::applyConfig(const config::DaemonConfig& nextIn) {
  auto log = logger("inferd");
  ReloadResult result;
  config::DaemonConfig next = nextIn;
  auto restartOnly = [&](const char* field, const std::string& was, const std::string& now) {
    if (was != now) {
      result.needsRestart.push_back(field);
      log->warn("config: {} changed from '{}' to '{}'; this takes effect after a restart", field, was, now);
    }
  };
  restartOnly("socket_path", config_.socket_path(), next.socket_path());
  restartOnly("socket_mode", fmt::format("0{:o}", config_.socket_mode()), fmt::format("0{:o}", next.socket_mode()));
  restartOnly("listen", config_.listen(), next.listen());
  restartOnly("metrics_listen", config_.metrics_listen(), next.metrics_listen());
  restartOnly("model_dir", config_.model_dir(), next.model_dir());
  restartOnly("max_connections", std::to_string(config_.max_connections()), std::to_string(next.max_connections()));
  // The running values stay in force, so the kept config says what is true.
  next.set_socket_path(config_.socket_path());
  next.set_socket_mode(config_.socket_mode());
  next.set_listen(config_.listen());
  next.set_metrics_listen(config_.metrics_listen());
  next.set_listen_allow_remote(config_.listen_allow_remote());
  next.set_max_connections(config_.max_connections());
  if (config_.has_model_dir()) {
    next.set_model_dir(config_.model_dir());
  } else {
    next.clear_model_dir();
  }

  if (auto level = parseLogLevel(next.log_level())) setLogLevel(*level);
  applyAccessPolicy(next);
  backend_->setMaxTensorBytes(static_cast<size_t>(next.max_tensor_bytes()));
  registry_->setConfig(next);

  const std::set<std::string> wanted = configuredModels(next);
  const std::vector<std::string> loaded = registry_->loadedModels();
  const std::set<std::string> loadedSet(loaded.begin(), loaded.end());
  for (const std::string& name : configured_) {
    if (wanted.count(name) == 0 && loadedSet.count(name) != 0) {
      if (registry_->unload(name)) result.unloaded.push_back(name);
    }
  }
  for (const std::string& name : wanted) {
    if (loadedSet.count(name) != 0) {
      result.kept.push_back(name);
    } else if (registry_->load(name)) {
      result.loaded.push_back(name);
    } else {
      result.failed.push_back(name);
    }
  }
  configured_ = wanted;
  config_ = std::move(next);
  log->info("config reloaded: {} loaded, {} unloaded, {} kept, {} failed", result.loaded.size(),
            result.unloaded.size(), result.kept.size(), result.failed.size());
  return result;
}

void Daemon::shutdown(Clock::time_point cancelQueuedAt) {
  backend_->setShuttingDown();
  registry_->stop(cancelQueuedAt);
}

}  // namespace inferd::daemon
