// Prometheus metrics: what renderMetrics reports for a model after known
// traffic (counts by outcome, durations, histograms, memory, device), and
// the HTTP endpoint (ipc::MetricsHttpServer): answers, errors, limits,
// authorization, on a Unix socket and on TCP.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "daemon_test_util.h"
#include "http_test_util.h"
#include "inferd/daemon/backend.h"
#include "inferd/daemon/metrics.h"
#include "inferd/daemon/model_registry.h"
#include "inferd/ipc/metrics_http.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::Answer;
using namespace inferd::test::http;

namespace {

const std::string kFace = "face_detection_short_range";

std::string faceLabels(const std::string& extra = "") {
  return "{model=\"" + kFace + "\",version=\"1\"" + extra + "}";
}

}  // namespace

TEST_CASE("metrics count requests by outcome, with durations, histograms, memory and device", "[metrics]") {
  ModelRegistry registry{ModelRepository(test::testDataPath("models")), config::DaemonConfig()};
  Backend backend{registry, BackendOptions{size_t{1} << 20, "9.9.9"}};
  REQUIRE(registry.load(kFace).isOk());

  auto request = [](engine::Dims dims) {
    ipc::InferRequest r;
    r.model = kFace;
    size_t n = 1;
    for (int64_t d : dims) n *= static_cast<size_t>(d);
    r.inputs.push_back(test::floatTensor("input", dims, std::vector<float>(n, 0.5f)));
    return r;
  };
  for (int i = 0; i < 3; ++i) {
    Answer a;
    backend.infer(request({1, 128, 128, 3}), a.callback());
    REQUIRE(a.wait());
    REQUIRE(a.result().isOk());
  }
  {
    Answer a;  // wrong shape: refused before it is queued
    backend.infer(request({1, 64, 64, 3}), a.callback());
    REQUIRE(a.wait());
    REQUIRE(a.result().status().code() == StatusCode::kInvalidArgument);
  }

  ipc::ListenerStats listener;
  listener.accepted = 7;
  listener.open = 2;
  listener.refusedCap = 1;
  ipc::ServiceStats service;
  service.denied[static_cast<size_t>(ipc::Action::kLoad)] = 4;
  service.undecodable = 5;
  service.overBudget = 6;
  const std::string text = renderMetrics(registry, TransportCounters{listener, service});
  INFO(text);

  CHECK(sample(text, "nv_inference_request_success" + faceLabels()) == 3);
  CHECK(sample(text, "nv_inference_request_failure" + faceLabels(",reason=\"OTHER\"")) == 1);
  CHECK(sample(text, "nv_inference_request_failure" + faceLabels(",reason=\"REJECTED\"")) == 0);
  CHECK(sample(text, "nv_inference_request_failure" + faceLabels(",reason=\"BACKEND\"")) == 0);
  CHECK(sample(text, "nv_inference_count" + faceLabels()) == 3);
  CHECK(sample(text, "nv_inference_exec_count" + faceLabels()) == 3);
  CHECK(sample(text, "nv_inference_pending_request_count" + faceLabels()) == 0);

  // Durations: the counters agree with the statistics the OIP API reports.
  const ipc::ModelStatistics st = registry.statistics(kFace).value().front();
  CHECK(sample(text, "nv_inference_compute_infer_duration_us" + faceLabels()) ==
        Approx(static_cast<double>(st.computeNs) / 1000.0));
  CHECK(sample(text, "nv_inference_queue_duration_us" + faceLabels()) ==
        Approx(static_cast<double>(st.queueNs) / 1000.0));
  CHECK(sample(text, "nv_inference_request_duration_us" + faceLabels()) > 0);

  // Histograms: 3 samples, cumulative buckets ending in +Inf = count, sum =
  // the compute time.
  CHECK(sample(text, "inferd_compute_duration_seconds_count" + faceLabels()) == 3);
  CHECK(sample(text, "inferd_compute_duration_seconds_sum" + faceLabels()) ==
        Approx(static_cast<double>(st.computeNs) * 1e-9));
  CHECK(sample(text, "inferd_request_duration_seconds_bucket" + faceLabels(",le=\"+Inf\"")) == 3);
  CHECK(sample(text, "inferd_request_duration_seconds_bucket" + faceLabels(",le=\"0.0001\"")) == 0);
  CHECK(sample(text, "inferd_request_duration_seconds_bucket" + faceLabels(",le=\"10\"")) == 3);
  CHECK(text.find("# TYPE inferd_queue_duration_seconds histogram") != std::string::npos);
  CHECK(text.find("# TYPE nv_inference_request_success counter") != std::string::npos);

  auto inst = registry.get(kFace).value();
  CHECK(sample(text, "inferd_model_memory_bytes" + faceLabels(",kind=\"file\"")) ==
        static_cast<double>(inst->model()->fileBytes()));
  CHECK(sample(text, "inferd_model_memory_bytes" + faceLabels(",kind=\"working\"")) ==
        static_cast<double>(inst->scheduler().workingBytes()));
  CHECK(sample(text, "inferd_model_workers" + faceLabels()) == 1);
  CHECK(sample(text, "inferd_models_loaded") == 1);
  CHECK(sample(text, "inferd_model_loads_total{model=\"" + kFace + "\"}") == 1);
  CHECK(sample(text, "inferd_device_executions_total{device=\"cpu\"}") == 3);

  CHECK(sample(text, "inferd_connections") == 2);
  CHECK(sample(text, "inferd_connections_accepted_total") == 7);
  CHECK(sample(text, "inferd_connections_refused_total{reason=\"limit\"}") == 1);
  CHECK(sample(text, "inferd_connections_refused_total{reason=\"fd_exhausted\"}") == 0);
  CHECK(sample(text, "inferd_requests_denied_total{action=\"load\"}") == 4);
  CHECK(sample(text, "inferd_requests_denied_total{action=\"infer\"}") == 0);
  CHECK(sample(text, "inferd_requests_refused_total{reason=\"undecodable\"}") == 5);
  CHECK(sample(text, "inferd_requests_refused_total{reason=\"memory\"}") == 6);
  CHECK(sample(text, "process_resident_memory_bytes") > 1e6);
  CHECK(sample(text, "process_open_fds") >= 3);

  // A reload keeps the counters (and counts the load); an unload removes
  // the model's series.
  REQUIRE(registry.load(kFace).isOk());
  const std::string reloaded = renderMetrics(registry, TransportCounters{});
  CHECK(sample(reloaded, "nv_inference_request_success" + faceLabels()) == 3);
  CHECK(sample(reloaded, "inferd_model_loads_total{model=\"" + kFace + "\"}") == 2);
  CHECK(reloaded.find("inferd_connections_accepted_total") == std::string::npos);  // no listener given
  REQUIRE(registry.unload(kFace).isOk());
  const std::string unloaded = renderMetrics(registry, TransportCounters{});
  CHECK(unloaded.find(kFace) == std::string::npos);
  CHECK(sample(unloaded, "inferd_models_loaded") == 0);
  CHECK(sample(unloaded, "inferd_device_executions_total{device=\"cpu\"}") == 0);
}

TEST_CASE("failures are classified in Triton's reasons", "[metrics]") {
  CHECK(classifyFailure(StatusCode::kResourceExhausted, false) == FailureReason::kRejected);  // queue full
  CHECK(classifyFailure(StatusCode::kDeadlineExceeded, false) == FailureReason::kRejected);   // timed out queued
  CHECK(classifyFailure(StatusCode::kUnavailable, false) == FailureReason::kRejected);        // model going away
  CHECK(classifyFailure(StatusCode::kCancelled, false) == FailureReason::kCanceled);
  CHECK(classifyFailure(StatusCode::kCancelled, true) == FailureReason::kCanceled);
  CHECK(classifyFailure(StatusCode::kDeadlineExceeded, true) == FailureReason::kBackend);
  CHECK(classifyFailure(StatusCode::kInternal, true) == FailureReason::kBackend);
  CHECK(classifyFailure(StatusCode::kInvalidArgument, false) == FailureReason::kOther);
  CHECK(std::string(failureReasonName(FailureReason::kCanceled)) == "CANCELED");

  LatencyHistogram h;
  h.record(50'000);          // 50 us -> first bucket (<= 100 us)
  h.record(100'000);         // exactly 100 us -> first bucket (le is inclusive)
  h.record(3'000'000);       // 3 ms -> <= 5 ms
  h.record(60'000'000'000);  // 60 s -> past the last bound
  CHECK(h.count == 4);
  CHECK(h.counts[0] == 2);
  CHECK(h.counts[5] == 1);
  CHECK(h.counts.back() == 1);
  CHECK(h.sumNs == 60'003'150'000);
}

TEST_CASE("the metrics endpoint answers GET /metrics and refuses everything else", "[metrics]") {
  test::TempDir dir;
  const std::string socket = dir.file("metrics.sock");
  int renders = 0;
  uid_t lastUid = 0;
  auto server = ipc::MetricsHttpServer::start(
      ipc::MetricsHttpOptions{"unix:" + socket, 0600, false, 3, std::chrono::milliseconds(300)},
      [&renders] { return "up " + std::to_string(++renders) + "\n"; },
      [&lastUid](const ipc::Peer& peer) {
        lastUid = peer.uid;
        return peer.hasCredentials && peer.uid == ::getuid() ? Status::ok()
                                                             : Status(StatusCode::kPermissionDenied, "not you");
      });
  REQUIRE(server.isOk());
  CHECK((*server)->address() == "unix:" + socket);

  const std::string ok = exchange(connectUnix(socket), get("/metrics"));
  CHECK(statusLine(ok) == "HTTP/1.1 200 OK");
  CHECK(ok.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  CHECK(ok.find("Content-Length: 5\r\n") != std::string::npos);
  CHECK(body(ok) == "up 1\n");
  CHECK(lastUid == ::getuid());  // the kernel's credentials reached the check

  // A query string is fine; HEAD has the headers without the body.
  CHECK(body(exchange(connectUnix(socket), get("/metrics?x=1"))) == "up 2\n");
  const std::string head = exchange(connectUnix(socket), "HEAD /metrics HTTP/1.0\r\n\r\n");
  CHECK(statusLine(head) == "HTTP/1.1 200 OK");
  CHECK(body(head).empty());

  CHECK(statusLine(exchange(connectUnix(socket), get("/"))) == "HTTP/1.1 404 Not Found");
  const std::string post = exchange(connectUnix(socket), "POST /metrics HTTP/1.1\r\n\r\n");
  CHECK(statusLine(post) == "HTTP/1.1 405 Method Not Allowed");
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(statusLine(exchange(connectUnix(socket), "hello there\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(statusLine(exchange(connectUnix(socket), "GET /metrics SPDY/3\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  const std::string huge = "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n";
  CHECK(statusLine(exchange(connectUnix(socket), huge)) == "HTTP/1.1 431 Request Header Fields Too Large");

  // A client that never finishes its request is dropped after the timeout.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(exchange(connectUnix(socket), "GET /metr").empty());
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(4));

  CHECK(renders == 3);  // only the three GET/HEAD /metrics answers rendered
  const ipc::MetricsHttpStats s = (*server)->stats();
  CHECK(s.served == 3);
  CHECK(s.denied == 0);
  CHECK(s.bad == 6);  // 404, 405, two 400, 431, the timeout

  (*server)->stop();
  CHECK_FALSE(std::filesystem::exists(socket));
}

TEST_CASE("the metrics endpoint checks who asks, caps connections and serves loopback TCP", "[metrics]") {
  // Everybody is denied: 403 with the reason.
  test::TempDir dir;
  auto denied = ipc::MetricsHttpServer::start(
      ipc::MetricsHttpOptions{"unix:" + dir.file("m.sock"), 0600, false, 16, std::chrono::milliseconds(2000)},
      [] { return std::string("secret 1\n"); },
      [](const ipc::Peer&) { return Status(StatusCode::kPermissionDenied, "no access rule grants 'admin'"); });
  REQUIRE(denied.isOk());
  const std::string r = exchange(connectUnix(dir.file("m.sock")), get("/metrics"));
  CHECK(statusLine(r) == "HTTP/1.1 403 Forbidden");
  CHECK(r.find("secret") == std::string::npos);
  CHECK(body(r).find("no access rule grants 'admin'") != std::string::npos);
  CHECK((*denied)->stats().denied == 1);
  // The client helper says why.
  CHECK(ipc::httpGet("unix:" + dir.file("m.sock"), "/metrics").status().code() == StatusCode::kPermissionDenied);
  CHECK(ipc::httpGet("unix:" + dir.file("nothing.sock"), "/metrics").status().code() == StatusCode::kUnavailable);

  // TCP: loopback only unless allowed; port 0 picks one; TCP peers carry no
  // credentials, only their transport.
  CHECK(ipc::MetricsHttpServer::start(ipc::MetricsHttpOptions{"0.0.0.0:0"}, [] { return std::string(); },
                                      [](const ipc::Peer&) { return Status::ok(); })
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(ipc::MetricsHttpServer::start(ipc::MetricsHttpOptions{"unix:relative.sock"}, [] { return std::string(); },
                                      [](const ipc::Peer&) { return Status::ok(); })
            .status()
            .code() == StatusCode::kInvalidArgument);
  ipc::Peer::Transport seen = ipc::Peer::Transport::kInProcess;
  auto tcp = ipc::MetricsHttpServer::start(
      ipc::MetricsHttpOptions{"127.0.0.1:0", 0660, false, 2, std::chrono::milliseconds(3000)},
      [] { return std::string("a 1\n"); },
      [&seen](const ipc::Peer& peer) {
        seen = peer.transport;
        return Status::ok();
      });
  REQUIRE(tcp.isOk());
  const int port = (*tcp)->tcpPort();
  REQUIRE(port > 0);
  CHECK((*tcp)->address() == "127.0.0.1:" + std::to_string(port));
  CHECK(body(exchange(connectTcp(port), get("/metrics"))) == "a 1\n");
  CHECK(seen == ipc::Peer::Transport::kTcp);
  Result<std::string> fetched = ipc::httpGet((*tcp)->address(), "/metrics");
  REQUIRE(fetched.isOk());
  CHECK(*fetched == "a 1\n");
  CHECK(ipc::httpGet((*tcp)->address(), "/other").status().code() == StatusCode::kInternal);

  // Two idle connections fill the cap of 2: a third is closed at once
  // without an answer; once they go, requests are served again.
  const int idle1 = connectTcp(port);
  const int idle2 = connectTcp(port);
  REQUIRE(test::waitUntil([&] { return exchange(connectTcp(port), get("/metrics"), std::chrono::milliseconds(500))
                                           .empty(); },
                          std::chrono::seconds(5)));
  CHECK((*tcp)->stats().refused >= 1);
  ::close(idle1);
  ::close(idle2);
  CHECK(test::waitUntil(
      [&] { return body(exchange(connectTcp(port), get("/metrics"), std::chrono::milliseconds(1000))) == "a 1\n"; },
      std::chrono::seconds(5)));
}
