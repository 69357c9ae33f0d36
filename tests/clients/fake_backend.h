// A small ipc::Backend for the client tests: a few fake models with
// predictable answers, served by the real ipc::GrpcServer, so that the
// client library and inferctl are tested over the real wire without the
// daemon's registry and scheduler. It records what requests carried
// (priority, timeout, id) so tests can check options reach the server.
//
//   add_one  input x FP32 [1,4] -> y FP32 [1,4] = x + 1, z INT8 [1,4] = (int8) x
//   slow     input x FP32 [1,1] -> y = x after `slowMs`; a request whose
//            timeout is shorter than that fails DEADLINE_EXCEEDED unrun
//   busy     input x FP32 [1,1]; always RESOURCE_EXHAUSTED (a full queue)
//   spare    like add_one, but in the repository unloaded until loadModel
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "inferd/ipc/backend.h"
#include "inferd/ipc/server.h"
#include "inferd/ipc/socket_path.h"

namespace inferd::test {

class FakeBackend : public ipc::Backend {
 public:
  using ElementType = engine::ElementType;

  explicit FakeBackend(int slowMs = 300) : slowMs_(slowMs) {}
  ~FakeBackend() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  ipc::ServerInfo serverInfo() const override { return {"inferd", "0.1.0-fake", {}}; }
  bool live() const override { return true; }
  bool ready() const override { return true; }

  Result<ipc::ModelMetadata> modelMetadata(const std::string& model, const std::string& version) const override {
    if (!known(model) || (!version.empty() && version != "1")) {
      return makeError(StatusCode::kNotFound, "unknown model '{}' version '{}'", model, version);
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!loaded_.count(model)) return makeError(StatusCode::kUnavailable, "model '{}' is not loaded", model);
    ipc::ModelMetadata m;
    m.name = model;
    m.versions = {"1"};
    m.device = "cpu";
    if (model == "add_one" || model == "spare") {
      m.inputs = {{"x", ElementType::kFloat32, {1, 4}}};
      m.outputs = {{"y", ElementType::kFloat32, {1, 4}}, {"z", ElementType::kInt8, {1, 4}}};
    } else {
      m.inputs = {{"x", ElementType::kFloat32, {1, 1}}};
      m.outputs = {{"y", ElementType::kFloat32, {1, 1}}};
    }
    return m;
  }

  bool modelReady(const std::string& model, const std::string&) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return loaded_.count(model) > 0;
  }

  void infer(ipc::InferRequest request, ipc::InferCallback done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      lastPriority_ = request.priority;
      lastTimeout_ = request.timeoutMicros;
      lastId_ = request.id;
      lastRequestedOutputs_ = request.outputs;
      ++requests_;
    }
    if (request.model == "busy") {
      count(request.model, false, 0);
      done(makeError(StatusCode::kResourceExhausted, "queue of model 'busy' is full (0 slots)"));
      return;
    }
    if (request.model == "slow") {
      if (request.timeoutMicros && *request.timeoutMicros < int64_t{slowMs_} * 1000) {
        count(request.model, false, 0);
        done(makeError(StatusCode::kDeadlineExceeded, "request to model 'slow' waited longer than its timeout of {} us",
                       *request.timeoutMicros));
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([this, request = std::move(request), done = std::move(done)]() mutable {
        std::this_thread::sleep_for(std::chrono::milliseconds(slowMs_));
        ipc::InferResponse r;
        r.model = request.model;
        r.version = "1";
        r.id = request.id;
        r.outputs.push_back({"y", ElementType::kFloat32, {1, 1}, request.inputs[0].data});
        count(request.model, true, uint64_t(slowMs_) * 1000000);
        done(std::move(r));
      });
      return;
    }
    // add_one / spare
    ipc::InferResponse r;
    r.model = request.model;
    r.version = "1";
    r.id = request.id;
    const auto* x = reinterpret_cast<const float*>(request.inputs[0].data.data());
    ipc::Tensor y{"y", ElementType::kFloat32, {1, 4}, std::vector<uint8_t>(16)};
    ipc::Tensor z{"z", ElementType::kInt8, {1, 4}, std::vector<uint8_t>(4)};
    for (int i = 0; i < 4; ++i) {
      const float v = x[i] + 1.0f;
      std::memcpy(y.data.data() + 4 * i, &v, 4);
      z.data[static_cast<size_t>(i)] = static_cast<uint8_t>(static_cast<int8_t>(x[i]));
    }
    const bool wantY = request.outputs.empty() || std::count(request.outputs.begin(), request.outputs.end(), "y");
    const bool wantZ = request.outputs.empty() || std::count(request.outputs.begin(), request.outputs.end(), "z");
    if (wantY) r.outputs.push_back(std::move(y));
    if (wantZ) r.outputs.push_back(std::move(z));
    r.computeNs = 1000;
    count(request.model, true, 1000);
    done(std::move(r));
  }

  std::vector<ipc::RepositoryEntry> repositoryIndex(bool readyOnly) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ipc::RepositoryEntry> out;
    for (const char* name : {"add_one", "busy", "slow", "spare"}) {
      const bool isLoaded = loaded_.count(name) > 0;
      if (readyOnly && !isLoaded) continue;
      out.push_back({name, "1", isLoaded ? "READY" : "UNAVAILABLE", isLoaded ? "" : "unloaded"});
    }
    return out;
  }

  Status authorize(const ipc::Peer&, ipc::Action, const std::string&) const override { return Status::ok(); }
  size_t maxRequestBytes() const override { return size_t{1} << 30; }

  Status loadModel(const std::string& model) override {
    if (!known(model)) return makeError(StatusCode::kNotFound, "no model '{}' in the repository", model);
    std::lock_guard<std::mutex> lock(mu_);
    loaded_.insert(model);
    return Status::ok();
  }

  Status unloadModel(const std::string& model) override {
    if (!known(model)) return makeError(StatusCode::kNotFound, "no model '{}' in the repository", model);
    std::lock_guard<std::mutex> lock(mu_);
    loaded_.erase(model);
    return Status::ok();
  }

  Result<std::vector<ipc::ModelStatistics>> statistics(const std::string& model, const std::string&) const override {
    if (!model.empty() && !known(model)) return makeError(StatusCode::kNotFound, "unknown model '{}'", model);
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ipc::ModelStatistics> out;
    for (const char* name : {"add_one", "busy", "slow", "spare"}) {
      if (!model.empty() && model != name) continue;
      ipc::ModelStatistics s;
      auto it = stats_.find(name);
      if (it != stats_.end()) s = it->second;
      s.name = name;
      s.version = "1";
      out.push_back(s);
    }
    return out;
  }

  size_t maxTensorBytes() const override { return 1 << 20; }

  std::optional<int64_t> lastPriority() const { std::lock_guard<std::mutex> l(mu_); return lastPriority_; }
  std::optional<int64_t> lastTimeout() const { std::lock_guard<std::mutex> l(mu_); return lastTimeout_; }
  std::string lastId() const { std::lock_guard<std::mutex> l(mu_); return lastId_; }
  std::vector<std::string> lastRequestedOutputs() const { std::lock_guard<std::mutex> l(mu_); return lastRequestedOutputs_; }
  int requests() const { std::lock_guard<std::mutex> l(mu_); return requests_; }

 private:
  static bool known(const std::string& model) {
    return model == "add_one" || model == "slow" || model == "busy" || model == "spare";
  }

  void count(const std::string& model, bool ok, uint64_t ns) {
    std::lock_guard<std::mutex> lock(mu_);
    ipc::ModelStatistics& s = stats_[model];
    if (ok) {
      ++s.inferenceCount;
      ++s.executionCount;
      ++s.successCount;
      s.successNs += ns;
      ++s.computeCount;
      s.computeNs += ns;
      ++s.queueCount;
      s.queueNs += 1000;
    } else {
      ++s.failCount;
      s.failNs += ns;
    }
  }

  const int slowMs_;
  mutable std::mutex mu_;
  std::set<std::string> loaded_{"add_one", "busy", "slow"};
  std::map<std::string, ipc::ModelStatistics> stats_;
  std::vector<std::thread> threads_;
  std::optional<int64_t> lastPriority_, lastTimeout_;
  std::string lastId_;
  std::vector<std::string> lastRequestedOutputs_;
  int requests_ = 0;
};

// A FakeBackend served on a Unix socket in `dir` by the real GrpcServer.
class FakeServer {
 public:
  explicit FakeServer(const std::string& socketPath, int slowMs = 300)
      : backend_(std::make_unique<FakeBackend>(slowMs)), socketPath_(socketPath) {}
  ~FakeServer() { stop(); }

  // Starts (again) on the same socket; returns the start status.
  Status start() {
    ipc::ServerOptions options;
    options.socketPath = socketPath_;
    server_ = std::make_unique<ipc::GrpcServer>(*backend_, options);
    return server_->start();
  }
  void stop() {
    if (server_) {
      server_->shutdown(std::chrono::milliseconds(500));
      server_.reset();
    }
  }

  FakeBackend& backend() { return *backend_; }
  const std::string& socketPath() const { return socketPath_; }

 private:
  std::unique_ptr<FakeBackend> backend_;
  std::string socketPath_;
  std::unique_ptr<ipc::GrpcServer> server_;
};

}  // namespace inferd::test
