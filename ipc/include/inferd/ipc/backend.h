// The contract between the wire (gRPC service, fast path) and the daemon.
// ipc/ owns the protocols and calls a Backend; the daemon implements it
// (model registry + scheduler). Keeping this interface here lets the
// dependency arrow point one way: daemon -> ipc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inferd/engine/status.h"
#include "inferd/engine/types.h"
#include "inferd/ipc/peer.h"

namespace inferd::ipc {

using engine::Dims;
using engine::ElementType;

// Open Inference Protocol datatype strings ("FP32", "INT8", ...).
std::string datatypeName(ElementType type);
// The ElementType for an OIP datatype string; nullopt for unknown ones.
std::optional<ElementType> datatypeFromName(const std::string& name);

struct TensorMetadata {
  std::string name;
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;  // -1 for dynamic dims
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;  // e.g. {"1"}
  std::string platform = "tflite";
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
  std::string device;  // HAL device it runs on ("cpu")
};

// A tensor travelling through a request or response; owns its bytes.
struct Tensor {
  std::string name;
  ElementType type = ElementType::kFloat32;
  Dims dims;
  std::vector<uint8_t> data;
};

struct InferRequest {
  std::string model;
  std::string version;  // empty: the current version
  std::string id;       // echoed in the response
  std::vector<Tensor> inputs;             // validated by the caller against ModelMetadata
  std::vector<std::string> outputs;       // requested outputs; empty = all, in model order
  std::optional<int64_t> priority;        // lower value runs first; unset = model default
  std::optional<int64_t> timeoutMicros;   // queued longer than this -> DEADLINE_EXCEEDED, not run
  std::chrono::steady_clock::time_point arrival = std::chrono::steady_clock::now();
  // Cancelled when the client goes away; null when nobody can cancel.
  std::shared_ptr<CancelToken> cancel;
};

struct InferResponse {
  std::string model;
  std::string version;
  std::string id;
  std::vector<Tensor> outputs;
  uint64_t queueNs = 0;
  uint64_t computeNs = 0;
};

using InferCallback = std::function<void(Result<InferResponse>)>;

struct RepositoryEntry {
  std::string name;
  std::string version;
  std::string state;   // "READY", "UNAVAILABLE", "LOADING", "UNLOADING"
  std::string reason;  // why not ready (load error text)
};

struct ModelStatistics {
  std::string name;
  std::string version;
  uint64_t lastInferenceMs = 0;  // ms since epoch
  uint64_t inferenceCount = 0;   // successful inferences
  uint64_t executionCount = 0;
  uint64_t successCount = 0, successNs = 0;
  uint64_t failCount = 0, failNs = 0;
  uint64_t queueCount = 0, queueNs = 0;
  uint64_t computeCount = 0, computeNs = 0;
};

struct ServerInfo {
  std::string name = "inferd";
  std::string version;
  std::vector<std::string> extensions;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual ServerInfo serverInfo() const = 0;
  virtual bool live() const = 0;
  virtual bool ready() const = 0;  // false while shutting down

  // NOT_FOUND for an unknown model or version; UNAVAILABLE when not loaded.
  virtual Result<ModelMetadata> modelMetadata(const std::string& model, const std::string& version) const = 0;
  virtual bool modelReady(const std::string& model, const std::string& version) const = 0;

  // Runs asynchronously; `done` is called exactly once, from any thread.
  virtual void infer(InferRequest request, InferCallback done) = 0;

  virtual std::vector<RepositoryEntry> repositoryIndex(bool readyOnly) const = 0;
  virtual Status loadModel(const std::string& model) = 0;
  virtual Status unloadModel(const std::string& model) = 0;
  // All models when `model` is empty.
  virtual Result<std::vector<ModelStatistics>> statistics(const std::string& model,
                                                          const std::string& version) const = 0;

  // May `peer` do `action` (on `model`; empty: no model in particular)?
  // OK, or the reason it may not (the service answers PERMISSION_DENIED).
  virtual Status authorize(const Peer& peer, Action action, const std::string& model) const = 0;

  // Largest tensor a request may carry (bytes); checked before infer().
  virtual size_t maxTensorBytes() const = 0;
  // Largest encoded inference request worth decoding: what the largest
  // input set of any model served takes, plus a margin for the envelope.
  // A larger request is refused (RESOURCE_EXHAUSTED) before it is decoded.
  // Never below 64 KiB (the service relies on it to skip the call for
  // small requests).
  virtual size_t maxRequestBytes() const = 0;
};

}  // namespace inferd::ipc
