// libinferd-client: the C++ API for talking to the inferd daemon over its
// Unix socket (Open Inference Protocol v2 over gRPC underneath, none of
// which shows in these headers).
//
//   auto client = inferd::client::Client::connect("");  // default socket
//   auto meta = client->modelMetadata("face_detection_short_range");
//   auto out = client->infer("face_detection_short_range", {input});
//   const float* scores = out->outputs[1].data<float>();
//
// A Client is safe to use from several threads at once. Calls that find the
// connection broken (the daemon restarted) reconnect and retry once (so an
// inference whose answer was lost with the connection may run twice).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inferd/client/export.h"
#include "inferd/client/status.h"
#include "inferd/client/tensor.h"

namespace inferd::client {

// The daemon's default socket: $XDG_RUNTIME_DIR/inferd/inferd.sock when
// XDG_RUNTIME_DIR is set (and absolute), else /tmp/inferd-<uid>/inferd.sock (the same rule
// as inferd's own default).
INFERD_CLIENT_API std::string defaultSocketPath();

struct TensorInfo {
  std::string name;
  DataType type = DataType::kFP32;
  std::vector<int64_t> shape;  // -1 for a dynamic dimension
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};

// One model of the daemon's repository (RepositoryIndex).
struct ModelIndexEntry {
  std::string name;
  std::string version;
  std::string state;   // "READY", "UNAVAILABLE", "LOADING", "UNLOADING", ...
  std::string reason;  // why it is not ready
};

struct StatisticDuration {
  uint64_t count = 0;
  uint64_t ns = 0;  // cumulative
};

// Per-model counters (ModelStatistics); times are cumulative nanoseconds.
struct ModelStatistics {
  std::string name;
  std::string version;
  uint64_t lastInferenceMs = 0;  // ms since the epoch, 0 = never
  uint64_t inferenceCount = 0;
  uint64_t executionCount = 0;
  StatisticDuration success, fail, queue, computeInput, computeInfer, computeOutput;
};

struct InferOptions {
  // Longest time the request may wait in the daemon's queue; a request still
  // queued after it fails with DEADLINE_EXCEEDED and is not run. Sent as the
  // request parameter "timeout" (int64 microseconds, as in Triton).
  std::optional<int64_t> timeoutMicros;
  // Lower runs first within the model's queue; unset = the model's default.
  // Sent as the request parameter "priority".
  std::optional<int64_t> priority;
  // Outputs to return, by name; empty = all, in the model's order.
  std::vector<std::string> requestedOutputs;
  // Echoed back in InferResult::id.
  std::string id;
  // Model version; empty = the one the daemon serves.
  std::string modelVersion;
  // Client-side limit on the whole call (0 = none); past it the call ends
  // with DEADLINE_EXCEEDED whatever the daemon is doing.
  std::chrono::microseconds callTimeout{0};
};

struct InferResult {
  std::string model;
  std::string version;
  std::string id;
  std::vector<Tensor> outputs;  // in the order the daemon returned them

  // The output with this name, or nullptr.
  const Tensor* output(const std::string& name) const {
    for (const Tensor& t : outputs) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }
};

using InferCallback = std::function<void(Result<InferResult>)>;

struct ClientOptions {
  // Limit on each non-inference call (metadata, load, statistics ...);
  // 0 = none. Loading a large model can take a while.
  std::chrono::milliseconds controlTimeout{0};
};

class INFERD_CLIENT_API Client {
 public:
  // Prepares a connection to the daemon's Unix socket (empty = the default
  // path). The socket is opened on the first call, so this fails only for a
  // path that cannot be a socket address; a daemon that is not running
  // shows up as UNAVAILABLE from the first call.
  static Result<Client> connect(const std::string& socketPath, ClientOptions options = {});

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // "unix:/path/to/inferd.sock"
  const std::string& target() const;

  Result<bool> serverLive();
  Result<bool> serverReady();
  Result<ServerMetadata> serverMetadata();
  Result<bool> modelReady(const std::string& model, const std::string& version = "");
  Result<ModelMetadata> modelMetadata(const std::string& model, const std::string& version = "");

  // Every model the daemon knows (readyOnly: only loaded ones).
  Result<std::vector<ModelIndexEntry>> listModels(bool readyOnly = false);
  Status loadModel(const std::string& model);
  Status unloadModel(const std::string& model);
  // Statistics of one model, or of every model when `model` is empty.
  Result<std::vector<ModelStatistics>> statistics(const std::string& model = "", const std::string& version = "");

  Result<InferResult> infer(const std::string& model, const std::vector<Tensor>& inputs,
                            const InferOptions& options = {});
  // Same request, answered through a future.
  std::future<Result<InferResult>> inferAsync(const std::string& model, const std::vector<Tensor>& inputs,
                                              const InferOptions& options = {});
  // Same request; `done` runs exactly once, on a library thread (keep it
  // short), or on this thread when the request is rejected before sending.
  void inferAsync(const std::string& model, const std::vector<Tensor>& inputs, const InferOptions& options,
                  InferCallback done);

  class Impl;

 private:
  explicit Client(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace inferd::client
