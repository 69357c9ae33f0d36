// Fuzz target: the bytes a client sends to the metrics endpoint
// (ipc::MetricsHttpServer on a Unix socket, in this process). Each input is
// written on a new connection, the write side is shut, and the answer read:
// it must be nothing (an unfinished request) or one HTTP/1.1 answer, and
// the server must keep answering. Crashes, hangs and sanitizer reports are
// findings too.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../daemon/http_test_util.h"
#include "inferd/ipc/metrics_http.h"

using namespace inferd;

namespace {

std::string socketPath() {
  static const std::string path = [] {
    static char tmpl[] = "/tmp/inferd-fuzz-http-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    // Registered before the server exists, so it runs after the server's
    // destructor removed the socket.
    std::atexit([] { ::rmdir(tmpl); });
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
  const int fd = test::http::connectUnix(socketPath());
  if (fd < 0) std::abort();
  bool timedOut = false;
  std::string out = test::http::exchange(fd, std::string(reinterpret_cast<const char*>(data), size),
                                         std::chrono::seconds(5), true, &timedOut);
  if (timedOut) {
    std::fprintf(stderr, "fuzz_metrics_http: no answer and no close within 5 s\n");
    std::abort();
  }
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
