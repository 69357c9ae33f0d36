// daemon::Backend: the daemon's side of the contract with the wire
// (ipc::Backend): metadata, validation and inference over the model registry
// and the per-model schedulers, repository control and statistics.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

#include "inferd/daemon/access_policy.h"
#include "inferd/daemon/model_registry.h"
#include "inferd/ipc/backend.h"

namespace inferd::daemon {

struct BackendOptions {
  size_t maxTensorBytes = size_t{64} << 20;
  std::string serverVersion;
};

class Backend : public ipc::Backend {
 public:
  Backend(ModelRegistry& registry, BackendOptions options);

  // Shutting down: ready() turns false and new requests get UNAVAILABLE.
  void setShuttingDown();
  void setMaxTensorBytes(size_t bytes) { maxTensorBytes_ = bytes; }

  ipc::ServerInfo serverInfo() const override;
  bool live() const override { return true; }
  bool ready() const override { return !shuttingDown_; }

  Result<ipc::ModelMetadata> modelMetadata(const std::string& model, const std::string& version) const override;
  bool modelReady(const std::string& model, const std::string& version) const override;

  // Checks the request against the model (names, types, shapes, bytes,
  // size limit, requested outputs), then queues it on the model's scheduler.
  void infer(ipc::InferRequest request, ipc::InferCallback done) override;

  std::vector<ipc::RepositoryEntry> repositoryIndex(bool readyOnly) const override;
  Status loadModel(const std::string& model) override;
  Status unloadModel(const std::string& model) override;
  Result<std::vector<ipc::ModelStatistics>> statistics(const std::string& model,
                                                       const std::string& version) const override;
  size_t maxTensorBytes() const override { return maxTensorBytes_; }
  // Over the loaded models: the bytes of all inputs (a dynamic input counts
  // as max_tensor_bytes), at most max_tensor_bytes each, plus 1/16 and
  // 64 KiB for names, shapes and parameters.
  size_t maxRequestBytes() const override;

  // The access policy (default: allow everything, until the daemon sets
  // the config's); replaced on SIGHUP.
  void setAccessPolicy(AccessPolicy policy);
  Status authorize(const ipc::Peer& peer, ipc::Action action, const std::string& model) const override;

  // The Job for `request` on `instance` (inputs in model order, outputs
  // resolved), or the error that rejects the request. Exposed for tests.
  Result<Job> makeJob(const ModelInstance& instance, ipc::InferRequest& request) const;

 private:
  Result<std::shared_ptr<ModelInstance>> instance(const std::string& model, const std::string& version) const;

  ModelRegistry& registry_;
  BackendOptions options_;
  std::atomic<size_t> maxTensorBytes_;
  std::atomic<bool> shuttingDown_{false};
  mutable std::mutex policyMu_;
  AccessPolicy policy_ = AccessPolicy::allowAll();
};

}  // namespace inferd::daemon
