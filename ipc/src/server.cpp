// GrpcServer: builds, starts and stops the gRPC server (Unix socket + optional
// TCP, health service, reflection).
#include "inferd/ipc/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>

#include "inferd/ipc/grpc_service.h"
#include "inferd/ipc/socket_path.h"
#include "inferd/ipc/unix_listener.h"
#include "log.h"

namespace inferd::ipc {
namespace {

constexpr const char* kServiceName = "inference.GRPCInferenceService";

}  // namespace

std::string unixTarget(const std::string& socketPath) { return "unix:" + socketPath; }

GrpcServer::GrpcServer(Backend& backend, ServerOptions options)
    : backend_(backend), options_(std::move(options)) {}

GrpcServer::~GrpcServer() { shutdown(std::chrono::system_clock::now()); }

Status GrpcServer::start() {
  std::lock_guard lock(mutex_);
  if (running_ || shutDown_) {
    return Status(StatusCode::kInternal, "GrpcServer::start called twice");
  }
  if (options_.socketPath.empty() && options_.tcpAddress.empty() && options_.listenFd < 0) {
    return Status(StatusCode::kInvalidArgument,
                  "the gRPC server needs a Unix socket path or a TCP address");
  }
  if (!options_.tcpAddress.empty()) {
    std::string host, port;
    if (!splitHostPort(options_.tcpAddress, host, port)) {
      return makeError(StatusCode::kInvalidArgument,
                       "TCP listen address '{}' is not HOST:PORT (e.g. 127.0.0.1:8001)",
                       options_.tcpAddress);
    }
    if (!options_.allowNonLoopbackTcp && !isLoopbackHost(host)) {
      return makeError(StatusCode::kPermissionDenied,
                       "TCP listen address '{}' is not a loopback address; the API has no "
                       "authentication, so listening beyond this device must be enabled "
                       "explicitly in the config",
                       options_.tcpAddress);
    }
  }
  // The Unix socket is ours (see unix_listener.h): bound here, before gRPC
  // starts, so that a bad path fails start() with its reason.
  if (options_.listenFd >= 0) {
    Result<std::unique_ptr<UnixListener>> l = UnixListener::adopt(options_.listenFd);
    if (!l) return l.status();
    listener_ = std::move(l).value();
  } else if (!options_.socketPath.empty()) {
    Result<std::unique_ptr<UnixListener>> l = UnixListener::bind(options_.socketPath, options_.socketMode);
    if (!l) return l.status();
    listener_ = std::move(l).value();
  }

  // Undecodable requests make protobuf log a line each: throttle them.
  routeProtobufLogs();
  // Both are process-wide switches read when a builder is made.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  service_ = std::make_unique<GrpcInferenceService>(backend_);
  service_->setListener(listener_.get());
  service_->setInflightBudget(options_.maxInflightBytes);
  grpc::ServerBuilder builder;
  if (!options_.tcpAddress.empty()) {
    builder.AddListeningPort(options_.tcpAddress, grpc::InsecureServerCredentials(), &tcpPort_);
    // Without this a second daemon could bind the same port and take half
    // of the connections.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  }
  builder.SetMaxReceiveMessageSize(options_.maxMessageBytes);
  builder.SetMaxSendMessageSize(options_.maxMessageBytes);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || (!options_.tcpAddress.empty() && tcpPort_ == 0)) {
    server_.reset();
    service_.reset();
    listener_.reset();
    return makeError(StatusCode::kUnavailable,
                     "cannot listen on {}: gRPC failed to bind (address in use, or no permission?)",
                     options_.tcpAddress);
  }
  if (listener_) {
    grpc::Server* server = server_.get();
    listener_->start(options_.maxConnections, [server](int fd) { grpc::AddInsecureChannelFromFd(server, fd); });
  }

  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus(kServiceName, true);
  }
  running_ = true;
  return Status::ok();
}

void GrpcServer::setServing(bool serving) {
  std::lock_guard lock(mutex_);
  if (!running_ || shutDown_) return;
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(serving);
    health->SetServingStatus(kServiceName, serving);
  }
}

void GrpcServer::shutdown(std::chrono::system_clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!running_ || shutDown_) return;
    shutDown_ = true;
  }
  // No new connections from here on; the socket file goes away.
  if (listener_) listener_->stop();
  // NOT_SERVING first, so that health watchers see it before connections go.
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  // Refuse new work and let running RPCs answer while connections are still
  // open; only then let gRPC send GOAWAY and close (see
  // GrpcInferenceService::beginDrain for why the order matters).
  service_->beginDrain();
  // Quiet for 100 ms: requests still crossing the transport when the drain
  // began arrive and get their "shutting down" answer before gRPC stops
  // (else gRPC cancels them without a word).
  const bool idle = service_->waitIdle(deadline, std::chrono::milliseconds(100));
  // Every answer is with gRPC now. Clients that were waiting for one read it
  // and ack the GOAWAY at once; an idle client may only notice the GOAWAY at
  // its next background poll (every 5 s in gRPC C++) and has nothing left to
  // receive, so do not let it hold the whole stop up.
  constexpr auto kGoawayGrace = std::chrono::seconds(1);
  server_->Shutdown(idle ? std::min(deadline, std::chrono::system_clock::now() + kGoawayGrace) : deadline);

  std::lock_guard lock(mutex_);
  running_ = false;
}

void GrpcServer::wait() {
  grpc::Server* server = nullptr;
  {
    std::lock_guard lock(mutex_);
    server = server_.get();
  }
  if (server != nullptr) server->Wait();
}

bool GrpcServer::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::string GrpcServer::target() const {
  if (listener_ && !listener_->path().empty()) return unixTarget(listener_->path());
  if (!options_.socketPath.empty()) return unixTarget(options_.socketPath);
  std::string host, port;
  splitHostPort(options_.tcpAddress, host, port);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(tcpPort_);
}

std::optional<ListenerStats> GrpcServer::listenerStats() const {
  std::lock_guard lock(mutex_);
  if (!listener_) return std::nullopt;
  return listener_->stats();
}

ServiceStats GrpcServer::serviceStats() const {
  std::lock_guard lock(mutex_);
  if (!service_) return {};
  return service_->stats();
}

}  // namespace inferd::ipc
