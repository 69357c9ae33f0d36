// daemon::Backend: requests from the wire checked and handed to the
// registry's schedulers.
#include "inferd/daemon/backend.h"

#include <algorithm>

#include <set>

#include "inferd/daemon/logging.h"

namespace inferd::daemon {

namespace {

std::string tensorList(const std::vector<ipc::TensorMetadata>& tensors) {
  std::string s;
  for (const auto& t : tensors) {
    if (!s.empty()) s += ", ";
    std::vector<int32_t> dims(t.shape.begin(), t.shape.end());
    s += fmt::format("'{}' {} {}", t.name, engine::elementTypeName(t.type), engine::dimsToString(dims));
  }
  return s;
}

bool sameTensors(const std::vector<ipc::TensorMetadata>& a, const std::vector<ipc::TensorMetadata>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].type != b[i].type || a[i].shape != b[i].shape) return false;
  }
  return true;
}

}  // namespace

Backend::Backend(ModelRegistry& registry, BackendOptions options)
    : registry_(registry), options_(std::move(options)), maxTensorBytes_(options_.maxTensorBytes) {}

void Backend::setShuttingDown() { shuttingDown_ = true; }

ipc::ServerInfo Backend::serverInfo() const {
  ipc::ServerInfo info;
  info.name = "inferd";
  info.version = options_.serverVersion;
  info.extensions = {"model_repository", "statistics"};
  return info;
}

Result<std::shared_ptr<ModelInstance>> Backend::instance(const std::string& model, const std::string& version) const {
  auto inst = registry_.get(model);
  if (!inst) return inst.status();
  if (!version.empty() && version != (*inst)->version()) {
    return makeError(StatusCode::kNotFound, "model '{}' has no version '{}' (available: {})", model, version,
                     (*inst)->version());
  }
  return inst;
}

Result<ipc::ModelMetadata> Backend::modelMetadata(const std::string& model, const std::string& version) const {
  auto inst = instance(model, version);
  if (!inst) return inst.status();
  return (*inst)->metadata();
}

bool Backend::modelReady(const std::string& model, const std::string& version) const {
  if (shuttingDown_) return false;
  auto inst = instance(model, version);
  return inst.isOk() && (*inst)->scheduler().accepting();
}

Result<Job> Backend::makeJob(const ModelInstance& inst, ipc::InferRequest& request) const {
  const ipc::ModelMetadata& md = inst.metadata();
  const std::string& model = md.name;
  const size_t limit = maxTensorBytes_;
  Job job;
  job.inputs.resize(md.inputs.size());
  std::vector<bool> seen(md.inputs.size(), false);
  for (ipc::Tensor& t : request.inputs) {
    auto index = inst.inputIndex(t.name);
    if (!index) {
      return makeError(StatusCode::kNotFound, "model '{}' has no input '{}'; its inputs are: {}", model, t.name,
                       tensorList(md.inputs));
    }
    if (seen[*index]) {
      return makeError(StatusCode::kInvalidArgument, "model '{}': input '{}' is given twice", model, t.name);
    }
    if (t.data.size() > limit) {
      return makeError(StatusCode::kInvalidArgument,
                       "model '{}': input '{}' has {} bytes, over the limit of {} bytes (max_tensor_bytes)", model,
                       t.name, t.data.size(), limit);
    }
    seen[*index] = true;
    job.inputs[*index] = std::move(t);
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) {
      const auto& want = md.inputs[i];
      std::vector<int32_t> dims(want.shape.begin(), want.shape.end());
      return makeError(StatusCode::kInvalidArgument, "model '{}': missing input '{}' ({} {})", model, want.name,
                       engine::elementTypeName(want.type), engine::dimsToString(dims));
    }
  }
  std::vector<hal::TensorView> views;
  for (const ipc::Tensor& t : job.inputs) views.push_back({t.type, t.dims, t.data.data(), t.data.size()});
  if (Status s = hal::validateInputs(inst.scheduler().inputs(), views); !s) {
    return s.withContext(fmt::format("model '{}'", model));
  }
  if (request.outputs.empty()) {
    for (size_t i = 0; i < md.outputs.size(); ++i) job.outputs.push_back(i);
  } else {
    std::set<size_t> requested;
    for (const std::string& name : request.outputs) {
      auto index = inst.outputIndex(name);
      if (!index) {
        return makeError(StatusCode::kNotFound, "model '{}' has no output '{}'; its outputs are: {}", model, name,
                         tensorList(md.outputs));
      }
      if (!requested.insert(*index).second) {
        return makeError(StatusCode::kInvalidArgument, "model '{}': output '{}' is requested twice", model, name);
      }
      job.outputs.push_back(*index);
    }
  }
  if (request.timeoutMicros && *request.timeoutMicros < 0) {
    return makeError(StatusCode::kInvalidArgument,
                     "model '{}': timeout is {} us; it must be 0 (no timeout) or a positive number of microseconds",
                     model, *request.timeoutMicros);
  }
  job.id = request.id;
  job.priority = request.priority;
  job.timeoutMicros = request.timeoutMicros;
  job.arrival = request.arrival;
  job.cancel = request.cancel;
  return job;
}

void Backend::infer(ipc::InferRequest request, ipc::InferCallback done) {
  if (shuttingDown_) {
    done(Status(StatusCode::kUnavailable, "inferd is shutting down and accepts no new requests"));
    return;
  }
  auto inst = instance(request.model, request.version);
  if (!inst) {
    done(inst.status());
    return;
  }
  auto job = makeJob(**inst, request);
  if (!job) {
    logger("backend")->debug("request '{}' refused: {}", request.id, job.status().message());
    (*inst)->scheduler().stats()->recordFailure(0, false, job.status().code());
    done(job.status());
    return;
  }
  job->done = std::move(done);
  Status s = (*inst)->scheduler().submit(std::move(*job));
  if (s.code() == StatusCode::kUnavailable && !shuttingDown_) {
    // A reload may have replaced the instance between get() and submit():
    // the request belongs on the new one.
    auto fresh = instance(request.model, request.version);
    // The job was matched to the old interface; it only fits an identical one.
    if (fresh && fresh->get() != inst->get() &&
        sameTensors((*fresh)->metadata().inputs, (*inst)->metadata().inputs) &&
        sameTensors((*fresh)->metadata().outputs, (*inst)->metadata().outputs)) {
      s = (*fresh)->scheduler().submit(std::move(*job));
    }
  }
  if (!s) {
    logger("backend")->debug("request '{}' refused: {}", job->id, s.message());
    job->done(std::move(s));
  }
}

std::vector<ipc::RepositoryEntry> Backend::repositoryIndex(bool readyOnly) const {
  return registry_.index(readyOnly);
}

Status Backend::loadModel(const std::string& model) {
  if (shuttingDown_) return Status(StatusCode::kUnavailable, "inferd is shutting down");
  return registry_.load(model);
}

Status Backend::unloadModel(const std::string& model) { return registry_.unload(model); }

Result<std::vector<ipc::ModelStatistics>> Backend::statistics(const std::string& model,
                                                              const std::string& version) const {
  if (!model.empty()) {
    auto inst = instance(model, version);
    if (!inst) return inst.status();
  }
  return registry_.statistics(model);
}

size_t Backend::maxRequestBytes() const {
  const size_t limit = maxTensorBytes_;
  size_t largest = 0;
  for (const std::string& name : registry_.loadedModels()) {
    auto inst = registry_.get(name);
    if (!inst) continue;
    size_t total = 0;
    for (const ipc::TensorMetadata& t : (*inst)->metadata().inputs) {
      size_t bytes = engine::elementSize(t.type);
      for (int64_t d : t.shape) {
        if (d < 0 || bytes > limit) {
          bytes = limit;
          break;
        }
        bytes *= static_cast<size_t>(d);
      }
      total += std::min(bytes, limit);
    }
    largest = std::max(largest, total);
  }
  return largest + largest / 16 + 64 * 1024;
}

void Backend::setAccessPolicy(AccessPolicy policy) {
  std::lock_guard lock(policyMu_);
  policy_ = std::move(policy);
}

Status Backend::authorize(const ipc::Peer& peer, ipc::Action action, const std::string& model) const {
  std::lock_guard lock(policyMu_);
  return policy_.check(peer, action, model);
}

}  // namespace inferd::daemon
