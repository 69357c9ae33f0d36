// GrpcServer: the gRPC server of the daemon. Listens on a Unix socket
// (file mode set after bind) and, only when asked, on TCP; serves
// GRPCInferenceService over a Backend plus the standard health service
// (grpc.health.v1.Health) and server reflection.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "inferd/engine/status.h"
#include "inferd/ipc/backend.h"
#include "inferd/ipc/unix_listener.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace inferd::ipc {

class GrpcInferenceService;

// What the service refused, counted since start (for the metrics).
struct ServiceStats {
  std::array<uint64_t, 4> denied{};  // PERMISSION_DENIED, by ipc::Action
  uint64_t undecodable = 0;          // INVALID_ARGUMENT: did not decode
  uint64_t invalid = 0;              // ModelInfer that does not fit its model (names, types, shapes...)
  uint64_t tooLarge = 0;             // RESOURCE_EXHAUSTED: larger than any model takes
  uint64_t overBudget = 0;           // RESOURCE_EXHAUSTED: in-flight budget full
  size_t inflightBytes = 0;          // encoded inference requests being served now
  int inFlight = 0;                  // RPCs being served now
};

struct ServerOptions {
  // Unix socket path; empty means no Unix listener (then tcpAddress is
  // required). The folder must exist (see ensureSocketDir).
  std::string socketPath;
  mode_t socketMode = 0660;
  // "host:port" for TCP, empty for none. Port 0 picks a free port (see
  // GrpcServer::tcpPort()).
  std::string tcpAddress;
  // TCP is refused on a non-loopback host unless this is set: the API has no
  // authentication, so exposing it off the device must be deliberate.
  bool allowNonLoopbackTcp = false;
  // Largest gRPC message accepted or sent. gRPC's own default (4 MiB) is
  // smaller than one image tensor of some models.
  int maxMessageBytes = 64 * 1024 * 1024;
  // Encoded inference requests in flight at once (bytes); see
  // GrpcInferenceService::setInflightBudget.
  size_t maxInflightBytes = size_t{256} << 20;
  // Unix-socket connections open at once; more are closed at accept.
  size_t maxConnections = 1024;
  // A listening Unix socket to adopt (socket activation) instead of binding
  // socketPath; -1 for none.
  int listenFd = -1;
};

class GrpcServer {
 public:
  GrpcServer(Backend& backend, ServerOptions options);
  // Shuts down immediately (in-flight RPCs are cancelled) if still running.
  ~GrpcServer();

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds and starts serving. A socket file left by a dead process is
  // removed first; one that someone still listens on is an error
  // (kUnavailable), as is any other kind of file at that path.
  Status start();

  // Graceful stop: marks health NOT_SERVING, answers new ModelInfer and
  // repository load/unload calls with UNAVAILABLE ("shutting down"), waits
  // until the RPCs in flight have answered or `deadline` passed, then stops
  // gRPC (GOAWAY, listeners closed, whatever still runs at `deadline` is
  // cancelled) and removes the socket file. Returns only once every
  // ModelInfer already handed to the backend got its infer() callback, even
  // past `deadline` (gRPC waits for its callback reactors): keep the
  // scheduler answering until this returns, and stop it afterwards.
  // Safe to call more than once and from any thread (not from an RPC).
  void shutdown(std::chrono::system_clock::time_point deadline);
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    shutdown(std::chrono::system_clock::now() + grace);
  }

  // Health status of the server ("") and of "inference.GRPCInferenceService".
  void setServing(bool serving);

  // Blocks until shutdown() has completed.
  void wait();

  bool running() const;
  // The TCP port actually bound (useful with port 0); 0 without TCP.
  int tcpPort() const { return tcpPort_; }
  const std::string& socketPath() const { return options_.socketPath; }
  // "unix:<path>" or the TCP target a client should dial.
  std::string target() const;
  // The Unix listener's counters; nullopt without a Unix socket.
  std::optional<ListenerStats> listenerStats() const;
  // The service's refusals and what is in flight; zeros before start().
  ServiceStats serviceStats() const;

 private:
  Backend& backend_;
  ServerOptions options_;
  std::unique_ptr<GrpcInferenceService> service_;
  std::unique_ptr<UnixListener> listener_;
  std::unique_ptr<grpc::Server> server_;
  int tcpPort_ = 0;
  mutable std::mutex mutex_;
  bool running_ = false;
  bool shutDown_ = false;
};

// The gRPC target for a Unix socket path: "unix:<path>" ("unix:" plus an
// absolute path reads as unix:///path).
std::string unixTarget(const std::string& socketPath);

}  // namespace inferd::ipc
