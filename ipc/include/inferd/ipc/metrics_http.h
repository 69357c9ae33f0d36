// MetricsHttpServer: a small HTTP/1.1 endpoint for Prometheus scrapes
// (GET or HEAD /metrics), on a Unix socket of its own or on TCP. It serves
// one text document that a callback renders per scrape, and nothing else.
// Hardened like the API socket: the Unix socket is bound by UnixListener
// (mode set before anyone can connect, kernel credentials per connection),
// every connection must pass an authorization callback (HTTP 403 with the
// reason otherwise), headers are bounded (8 KiB, else 431), a client that
// does not finish its request within the timeout is dropped, connections
// are capped, and each connection carries one request (Connection: close).
// Runs on one Boost.Asio thread of its own.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "inferd/engine/status.h"
#include "inferd/ipc/peer.h"

namespace inferd::ipc {

struct MetricsHttpOptions {
  // "unix:/path/metrics.sock" or "host:port" (port 0: a free one).
  std::string address;
  mode_t socketMode = 0660;
  // TCP on a non-loopback host is refused unless this is set.
  bool allowNonLoopback = false;
  size_t maxConnections = 16;
  // A connection that has not sent its whole request by then is closed.
  std::chrono::milliseconds requestTimeout{5000};
};

struct MetricsHttpStats {
  uint64_t served = 0;   // 200 answers
  uint64_t denied = 0;   // 403 answers
  uint64_t bad = 0;      // 400/404/405/431 answers and timeouts
  uint64_t refused = 0;  // closed at accept: too many connections
};

class MetricsHttpServer {
 public:
  // Renders the metrics text (exposition format 0.0.4).
  using Render = std::function<std::string()>;
  // OK, or the reason the caller may not read metrics.
  using Authorize = std::function<Status(const Peer&)>;

  // Binds and starts serving. kInvalidArgument for a bad address,
  // kUnavailable when it cannot be bound.
  static Result<std::unique_ptr<MetricsHttpServer>> start(MetricsHttpOptions options, Render render,
                                                          Authorize authorize);
  ~MetricsHttpServer();  // stop()
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Stops accepting, drops open connections, joins the thread and removes
  // the socket file. Safe to call more than once.
  void stop();

  // "unix:/path" or "host:port" with the port actually bound.
  std::string address() const;
  int tcpPort() const;
  MetricsHttpStats stats() const;

  struct Impl;

 private:
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A client for such an endpoint: GET `path` from "unix:/path" or
// "host:port"; the body of a 200 answer, else kUnavailable (cannot connect,
// timeout) or kPermissionDenied / kInternal with the status line.
Result<std::string> httpGet(const std::string& address, const std::string& path,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace inferd::ipc
