// The Open Inference Protocol v2 gRPC service (package inference,
// GRPCInferenceService) over an ipc::Backend. It owns the wire: it checks
// every request against the model's metadata before the backend sees it and
// turns backend results into protocol messages; errors leave through the
// status mapping in status_map.h.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "inference.grpc.pb.h"
#include "inference.pb.h"
#include "inferd/engine/status.h"
#include "inferd/ipc/backend.h"
#include "inferd/ipc/peer.h"
#include "inferd/ipc/server.h"

namespace inferd::ipc {

// Extensions reported by ServerMetadata when the backend names none.
const std::vector<std::string>& defaultServerExtensions();

// Triton's model-config DataType for an engine type (TYPE_INVALID if none).
inference::DataType configDataType(ElementType type);

// Request parameters inferd understands (ModelInferRequest.parameters).
inline constexpr const char* kPriorityParameter = "priority";  // int64/uint64, lower runs first
inline constexpr const char* kTimeoutParameter = "timeout";    // int64/uint64 microseconds, 0 = none

// Validates `request` against `metadata` (the model the request names) and
// converts it into an InferRequest: input names, count, datatype, shape and
// byte size, raw vs typed contents, the size limit, requested outputs and
// the priority/timeout parameters. Unknown tensor names -> kNotFound,
// everything else -> kInvalidArgument (kUnsupported for BYTES). Messages name
// the model, the tensor, the expected and the received value.
Result<InferRequest> buildInferRequest(const inference::ModelInferRequest& request,
                                       const ModelMetadata& metadata, size_t maxTensorBytes);

// Fills `out` from a backend response: outputs in raw_output_contents with
// name/datatype/shape, in the order of `request.outputs` when outputs were
// requested. kInternal if the backend left out a requested output.
Status fillInferResponse(const InferRequest& request, InferResponse response,
                         inference::ModelInferResponse* out);

// Every method is registered as a raw callback method: the service decodes
// each request itself, so that one that does not decode (a truncated
// message, a string that is not UTF-8) answers INVALID_ARGUMENT saying so
// (gRPC's own decoding answered UNIMPLEMENTED or INTERNAL with no message).
// ModelInfer holds no thread while its request waits in the scheduler;
// load and unload run on a thread of their own; every other RPC is short
// and runs inline.
class GrpcInferenceService final : public inference::GRPCInferenceService::Service {
 public:
  explicit GrpcInferenceService(Backend& backend);

  // Graceful stop, used by GrpcServer::shutdown before grpc::Server::Shutdown:
  // from now on ModelInfer and repository load/unload answer UNAVAILABLE
  // (metadata and health RPCs still work), and waitIdle() waits until every
  // RPC already running has sent its answer. Draining before gRPC's own
  // shutdown matters: gRPC 1.51 closes a connection as soon as its last
  // stream ends after GOAWAY, and a client still reading a response then
  // loses it (EPIPE on its next write); answers sent before the GOAWAY are
  // safe because the client reads them before it acks the GOAWAY ping.
  void beginDrain();
  bool draining() const;
  // True when no RPC is in flight; false when `deadline` passed first.
  // With `quiet`, idle also means that no RPC started for that long.
  bool waitIdle(std::chrono::system_clock::time_point deadline,
                std::chrono::milliseconds quiet = std::chrono::milliseconds(0));
  int inFlight() const;
  // Sum of the encoded sizes of inference requests being served at once; a
  // request that would pass it is refused with RESOURCE_EXHAUSTED.
  void setInflightBudget(size_t bytes) { inflightBudget_ = bytes; }
  size_t inflightBytes() const { return inflightBytes_.load(); }
  ServiceStats stats() const;

 // Where the credentials of Unix-socket connections are looked up (the
  // server's own listener); without one, Unix peers have no credentials.
  void setListener(const class UnixListener* listener) { listener_ = listener; }
  // The caller of an RPC: the kernel credentials of its connection (Unix
  // socket) or its TCP address.
  Peer peerOf(const grpc::ServerContextBase& context) const;

 private:
  class InferReactor;
  // The handlers, on decoded requests.
  grpc::Status serverLive(grpc::ServerContextBase* context, const inference::ServerLiveRequest* request,
                          inference::ServerLiveResponse* response);
  grpc::Status serverReady(grpc::ServerContextBase* context, const inference::ServerReadyRequest* request,
                           inference::ServerReadyResponse* response);
  grpc::Status modelReady(grpc::ServerContextBase* context, const inference::ModelReadyRequest* request,
                          inference::ModelReadyResponse* response);
  grpc::Status serverMetadata(grpc::ServerContextBase* context, const inference::ServerMetadataRequest* request,
                              inference::ServerMetadataResponse* response);
  grpc::Status modelMetadata(grpc::ServerContextBase* context, const inference::ModelMetadataRequest* request,
                             inference::ModelMetadataResponse* response);
  // Answers through `finish` (exactly once, from any thread).
  void modelInfer(grpc::CallbackServerContext* context, const inference::ModelInferRequest* request,
                  inference::ModelInferResponse* response, const std::shared_ptr<CancelToken>& cancel,
                  std::function<void(grpc::Status)> finish);
  grpc::Status modelConfig(grpc::ServerContextBase* context, const inference::ModelConfigRequest* request,
                           inference::ModelConfigResponse* response);
  grpc::Status modelStatistics(grpc::ServerContextBase* context, const inference::ModelStatisticsRequest* request,
                               inference::ModelStatisticsResponse* response);
  grpc::Status repositoryIndex(grpc::ServerContextBase* context, const inference::RepositoryIndexRequest* request,
                               inference::RepositoryIndexResponse* response);
  grpc::Status repositoryModelLoad(grpc::ServerContextBase* context,
                                   const inference::RepositoryModelLoadRequest* request,
                                   inference::RepositoryModelLoadResponse* response);
  grpc::Status repositoryModelUnload(grpc::ServerContextBase* context,
                                     const inference::RepositoryModelUnloadRequest* request,
                                     inference::RepositoryModelUnloadResponse* response);
  // Registers method `index` (the generated service's order) as a raw
  // unary callback that decodes Req, runs `handler` and encodes Resp.
  template <typename Req, typename Resp>
  void addUnary(int index, const char* rpc,
                grpc::Status (GrpcInferenceService::*handler)(grpc::ServerContextBase*, const Req*, Resp*),
                bool ownThread = false);
  void addModelInfer(int index);
  // OK, or PERMISSION_DENIED naming `action` (the denial is logged).
  Status authorize(const char* rpc, const grpc::ServerContextBase& context, Action action,
                   const std::string& model, Peer* peerOut = nullptr) const;
  // Counts an RPC in flight for as long as it lives.
  class CallGuard {
   public:
    explicit CallGuard(GrpcInferenceService& service) : service_(service) { service_.callStarted(); }
    ~CallGuard() { service_.callEnded(); }
    CallGuard(const CallGuard&) = delete;
    CallGuard& operator=(const CallGuard&) = delete;

   private:
    GrpcInferenceService& service_;
  };

  const class UnixListener* listener_ = nullptr;
  Status admit(const grpc::ByteBuffer& in, InferReactor* reactor);
  void release(size_t bytes);
  size_t inflightBudget_ = size_t{256} << 20;
  std::atomic<size_t> inflightBytes_{0};
  mutable std::array<std::atomic<uint64_t>, 4> denied_{};
  std::atomic<uint64_t> undecodable_{0}, invalid_{0}, tooLarge_{0}, overBudget_{0};
  void callStarted();
  void callEnded();
  Status drainingError(const char* rpc) const;

  Backend& backend_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  int inFlight_ = 0;
  std::chrono::steady_clock::time_point lastStart_{};
  bool draining_ = false;
};

}  // namespace inferd::ipc
