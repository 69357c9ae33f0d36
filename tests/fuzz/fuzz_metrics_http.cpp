// Fuzz target: the bytes a client sends to the metrics endpoint
// (ipc::MetricsHttpServer on a Unix socket, in this process). Each input is
// written on a new connection, the write side is shut, and the answer read:
// it must be nothing (an unfinished request) or one HTTP/1.1 answer, and
// the server must keep answering. Crashes, hangs and sanitizer reports are
// findings too.
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "inferd/ipc/metrics_http.h"

using namespace inferd;

namespace {

std::string socketPath() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/inferd-fuzz-http-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    return std::string(tmpl) + "/metrics.sock";
  }();
  return path;
}

ipc::MetricsHttpServer& server() {
  static std::unique_ptr<ipc::MetricsHttpServer> s = [] {
    auto started = ipc::MetricsHttpServer::start(
        ipc::MetricsHttpOptions{"unix:" + socketPath(), 0600, false, 64, std::chrono::milliseconds(2000)},
        [] { return std::string("inferd_up 1\n"); },
        [](const ipc::Peer& peer) {
          return peer.hasCredentials ? Status::ok() : Status(StatusCode::kPermissionDenied, "no credentials");
        });
    if (!started) {
      std::fprintf(stderr, "fuzz_metrics_http: %s\n", started.status().message().c_str());
      std::abort();
    }
    return std::move(started).value();
  }();
  return *s;
}

std::string exchange(const uint8_t* data, size_t size) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socketPath().c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  size_t off = 0;
  while (off < size) {
    const ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server answered (e.g. 431) and closed
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) {
      std::fprintf(stderr, "fuzz_metrics_http: no answer and no close within 5 s\n");
      std::abort();
    }
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  server();
  const std::string answer = exchange(data, size);
  if (!answer.empty() && answer.rfind("HTTP/1.1 ", 0) != 0) {
    std::fprintf(stderr, "fuzz_metrics_http: not an HTTP answer: %.80s\n", answer.c_str());
    std::abort();
  }
  // Whatever came before, a well-formed scrape is still answered.
  static const std::string kGet = "GET /metrics HTTP/1.1\r\n\r\n";
  if (size % 64 == 0) {
    const std::string ok = exchange(reinterpret_cast<const uint8_t*>(kGet.data()), kGet.size());
    if (ok.rfind("HTTP/1.1 200 OK", 0) != 0) {
      std::fprintf(stderr, "fuzz_metrics_http: the server stopped answering: %.80s\n", ok.c_str());
      std::abort();
    }
  }
  return 0;
}
