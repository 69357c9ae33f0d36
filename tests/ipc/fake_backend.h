// Test helpers for the ipc tests: a scripted ipc::Backend, a server on a
// Unix socket in a fresh temporary folder, and a client stub for it.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "inference.grpc.pb.h"
#include "inferd/ipc/backend.h"
#include "inferd/ipc/server.h"

namespace inferd::ipc::test {

using engine::ElementType;

// Models:
//  add      inputs a, b FP32 [1,4] -> sum, diff FP32 [1,4] (computed)
//  echo_<T> input x of datatype T, shape [-1] -> y = x, for every OIP type
//           the engine has (echo_FP32, echo_INT8, ...)
//  loading  known but not ready
//  fail     infer() answers with failStatus
//  lossy    declares outputs p, q; the backend only returns p
//  slow     infer() parks the callback until release() is called
class FakeBackend : public Backend {
 public:
  FakeBackend() {
    ModelMetadata add;
    add.name = "add";
    add.versions = {"1"};
    add.inputs = {{"a", ElementType::kFloat32, {1, 4}}, {"b", ElementType::kFloat32, {1, 4}}};
    add.outputs = {{"sum", ElementType::kFloat32, {1, 4}},
                   {"diff", ElementType::kFloat32, {1, 4}}};
    add.device = "cpu";
    models_["add"] = add;
    for (ElementType t : {ElementType::kFloat32, ElementType::kFloat16, ElementType::kFloat64,
                          ElementType::kInt8, ElementType::kUInt8, ElementType::kInt16,
                          ElementType::kUInt16, ElementType::kInt32, ElementType::kUInt32,
                          ElementType::kInt64, ElementType::kUInt64, ElementType::kBool}) {
      ModelMetadata echo;
      echo.name = "echo_" + datatypeName(t);
      echo.versions = {"1"};
      echo.inputs = {{"x", t, {-1}}};
      echo.outputs = {{"y", t, {-1}}};
      models_[echo.name] = echo;
    }
    for (const char* name : {"loading", "fail", "slow"}) {
      ModelMetadata m = add;
      m.name = name;
      models_[name] = m;
    }
    ModelMetadata lossy = add;
    lossy.name = "lossy";
    lossy.outputs = {{"p", ElementType::kFloat32, {1, 4}}, {"q", ElementType::kFloat32, {1, 4}}};
    models_["lossy"] = lossy;
    notReady_.insert("loading");
  }

  ServerInfo serverInfo() const override {
    ServerInfo info;
    info.version = "0.1.0-test";
    info.extensions = {"model_repository", "statistics", "inferd_test"};
    return info;
  }
  bool live() const override { return true; }
  bool ready() const override { return ready_; }

  Result<ModelMetadata> modelMetadata(const std::string& model,
                                      const std::string& version) const override {
    auto it = models_.find(model);
    if (it == models_.end()) {
      return Status(StatusCode::kNotFound, "unknown model '" + model + "'");
    }
    if (!version.empty() && version != "1") {
      return Status(StatusCode::kNotFound,
                    "model '" + model + "' has no version '" + version + "'");
    }
    return it->second;
  }
  bool modelReady(const std::string& model, const std::string& version) const override {
    return models_.count(model) != 0 && notReady_.count(model) == 0 &&
           (version.empty() || version == "1");
  }

  void infer(InferRequest request, InferCallback done) override {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    cv_.notify_all();
    if (request.model == "fail") {
      done(failStatus);
      return;
    }
    if (request.model == "slow") {
      std::lock_guard lock(mutex_);
      parked_.push_back({std::move(request), std::move(done)});
      cv_.notify_all();
      return;
    }
    done(compute(request));
  }

  // Everything is allowed except what deny() named; each check is recorded.
  Status authorize(const Peer& peer, Action action, const std::string& model) const override {
    std::lock_guard lock(mutex_);
    peers_.push_back(peer);
    if (denied_.count({action, model}) != 0 || denied_.count({action, "*"}) != 0) {
      return Status(StatusCode::kPermissionDenied, "the test denies it");
    }
    return Status::ok();
  }
  void deny(Action action, const std::string& model) {
    std::lock_guard lock(mutex_);
    denied_.insert({action, model});
  }
  std::vector<Peer> peers() const {
    std::lock_guard lock(mutex_);
    return peers_;
  }

  std::vector<RepositoryEntry> repositoryIndex(bool readyOnly) const override {
    std::vector<RepositoryEntry> out;
    for (const auto& [name, md] : models_) {
      bool isReady = notReady_.count(name) == 0;
      if (readyOnly && !isReady) continue;
      out.push_back({name, "1", isReady ? "READY" : "UNAVAILABLE",
                     isReady ? "" : "still loading"});
    }
    return out;
  }
  Status loadModel(const std::string& model) override {
    std::lock_guard lock(mutex_);
    loads_.push_back(model);
    if (model == "missing") return Status(StatusCode::kNotFound, "no model 'missing' in /models");
    if (model == "broken") {
      return Status(StatusCode::kInvalidModel, "failed to load model 'broken': bad magic");
    }
    return Status::ok();
  }
  Status unloadModel(const std::string& model) override {
    std::lock_guard lock(mutex_);
    unloads_.push_back(model);
    if (models_.count(model) == 0) {
      return Status(StatusCode::kNotFound, "model '" + model + "' is not loaded");
    }
    return Status::ok();
  }
  Result<std::vector<ModelStatistics>> statistics(const std::string& model,
                                                  const std::string& version) const override {
    (void)version;
    if (!model.empty() && models_.count(model) == 0) {
      return Status(StatusCode::kNotFound, "unknown model '" + model + "'");
    }
    ModelStatistics s;
    s.name = model.empty() ? "add" : model;
    s.version = "1";
    s.lastInferenceMs = 1700000000123;
    s.inferenceCount = 7;
    s.executionCount = 7;
    s.successCount = 7;
    s.successNs = 7000;
    s.failCount = 2;
    s.failNs = 300;
    s.queueCount = 9;
    s.queueNs = 900;
    s.computeCount = 7;
    s.computeNs = 5600;
    std::vector<ModelStatistics> out{s};
    if (model.empty()) {
      ModelStatistics other;
      other.name = "echo_FP32";
      other.version = "1";
      out.push_back(other);
    }
    return out;
  }
  size_t maxTensorBytes() const override { return maxTensorBytes_; }
  size_t maxRequestBytes() const override { return maxRequestBytes_; }
  size_t maxRequestBytes_ = size_t{1} << 30;

  // ---- test controls --------------------------------------------------------
  size_t requestCount() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  InferRequest lastRequest() const {
    std::lock_guard lock(mutex_);
    return requests_.back();
  }
  std::vector<std::string> loads() const {
    std::lock_guard lock(mutex_);
    return loads_;
  }
  std::vector<std::string> unloads() const {
    std::lock_guard lock(mutex_);
    return unloads_;
  }
  // Waits until `n` requests are parked by the "slow" model.
  bool waitParked(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return parked_.size() >= n; });
  }
  // Answers every parked request (computed like "add").
  void release() {
    std::vector<std::pair<InferRequest, InferCallback>> parked;
    {
      std::lock_guard lock(mutex_);
      parked.swap(parked_);
    }
    for (auto& [request, done] : parked) done(compute(request));
  }

  bool ready_ = true;
  size_t maxTensorBytes_ = 1 << 20;
  Status failStatus{StatusCode::kResourceExhausted, "queue of model 'fail' is full (4 of 4)"};

 private:
  static Result<InferResponse> compute(const InferRequest& request) {
    InferResponse response;
    response.model = request.model;
    response.version = "1";
    response.id = request.id;
    response.queueNs = 10;
    response.computeNs = 20;
    if (request.model.rfind("echo_", 0) == 0) {
      Tensor y = request.inputs.at(0);
      y.name = "y";
      response.outputs.push_back(std::move(y));
      return response;
    }
    // add / slow / lossy: elementwise a+b and a-b.
    const auto& a = request.inputs.at(0);
    const auto& b = request.inputs.at(1);
    Tensor sum{"sum", ElementType::kFloat32, a.dims, a.data};
    Tensor diff{"diff", ElementType::kFloat32, a.dims, a.data};
    for (size_t i = 0; i < a.data.size() / 4; ++i) {
      float x, z;
      std::memcpy(&x, a.data.data() + 4 * i, 4);
      std::memcpy(&z, b.data.data() + 4 * i, 4);
      float s = x + z, d = x - z;
      std::memcpy(sum.data.data() + 4 * i, &s, 4);
      std::memcpy(diff.data.data() + 4 * i, &d, 4);
    }
    if (request.model == "lossy") {
      sum.name = "p";
      response.outputs.push_back(std::move(sum));
      return response;
    }
    // Returned in model order; the service must reorder for the request.
    response.outputs.push_back(std::move(sum));
    response.outputs.push_back(std::move(diff));
    return response;
  }

  std::map<std::string, ModelMetadata> models_;
  std::set<std::string> notReady_;
  mutable std::mutex mutex_;
  std::set<std::pair<Action, std::string>> denied_;
  mutable std::vector<Peer> peers_;
  std::condition_variable cv_;
  std::vector<InferRequest> requests_;
  std::vector<std::pair<InferRequest, InferCallback>> parked_;
  std::vector<std::string> loads_, unloads_;
};

// A fresh temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "inferd-ipc-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A started GrpcServer over a FakeBackend on <tempdir>/inferd.sock.
struct TestServer {
  explicit TestServer(ServerOptions options = {}) {
    options.socketPath = dir.path() + "/inferd.sock";
    server = std::make_unique<GrpcServer>(backend, options);
    startStatus = server->start();
  }
  ~TestServer() { server->shutdown(std::chrono::seconds(5)); }

  std::shared_ptr<grpc::Channel> channel() const {
    return grpc::CreateChannel(unixTarget(dir.path() + "/inferd.sock"),
                               grpc::InsecureChannelCredentials());
  }
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub() const {
    return inference::GRPCInferenceService::NewStub(channel());
  }

  TempDir dir;
  FakeBackend backend;
  std::unique_ptr<GrpcServer> server;
  Status startStatus;
};

// A client context whose deadline keeps every test bounded in time.
inline std::unique_ptr<grpc::ClientContext> ctx(
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

template <typename T>
std::string bytesOf(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <typename T>
std::vector<T> valuesOf(const std::string& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

// A raw-contents request for one of the backend's models with two FP32
// [1, 4] inputs "a" and "b" ("add", "slow", "fail").
inline inference::ModelInferRequest twoInputRequest(const std::string& model,
                                                    const std::vector<float>& a,
                                                    const std::vector<float>& b) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  for (const char* name : {"a", "b"}) {
    auto* in = r.add_inputs();
    in->set_name(name);
    in->set_datatype("FP32");
    in->add_shape(1);
    in->add_shape(4);
  }
  r.add_raw_input_contents(bytesOf(a));
  r.add_raw_input_contents(bytesOf(b));
  return r;
}

}  // namespace inferd::ipc::test
