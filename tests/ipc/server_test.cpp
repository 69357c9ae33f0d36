// GrpcServer: Unix socket file mode, stale and busy socket files, optional
// TCP (loopback only by default), the standard health service, server
// reflection, and shutdown letting in-flight RPCs finish.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "../common/grpc_probe.h"
#include "fake_backend.h"

using namespace inferd;
using namespace inferd::ipc;
using namespace inferd::ipc::test;
using inferd::test::healthCheck;
using inferd::test::reflectionServices;

namespace {

mode_t fileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool isSocket(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

bool serverLive(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  inference::ServerLiveResponse live;
  return stub->ServerLive(ctx(std::chrono::seconds(5)).get(), {}, &live).ok() && live.live();
}

// Leaves a socket file nobody listens on, as a crashed daemon would.
void makeStaleSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  ::close(fd);
  REQUIRE(isSocket(path));
}

}  // namespace

TEST_CASE("the Unix socket gets the configured file mode", "[ipc][server]") {
  SECTION("default 0660") {
    TestServer s;
    REQUIRE(s.startStatus.isOk());
    CHECK(fileMode(s.server->socketPath()) == 0660);
    CHECK(s.server->running());
    CHECK(s.server->target() == "unix:" + s.server->socketPath());
    CHECK(serverLive(s.channel()));
  }
  SECTION("0600") {
    ServerOptions o;
    o.socketMode = 0600;
    TestServer s(o);
    REQUIRE(s.startStatus.isOk());
    CHECK(fileMode(s.server->socketPath()) == 0600);
  }
}

TEST_CASE("shutdown removes the socket file", "[ipc][server]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  std::string path = s.server->socketPath();
  REQUIRE(isSocket(path));
  s.server->shutdown(std::chrono::seconds(2));
  CHECK_FALSE(s.server->running());
  CHECK_FALSE(std::filesystem::exists(path));
  s.server->wait();  // returns at once after shutdown
  s.server->shutdown(std::chrono::seconds(2));  // idempotent
}

TEST_CASE("a stale socket file is replaced, a live one is not", "[ipc][server]") {
  TempDir dir;
  std::string path = dir.path() + "/inferd.sock";
  FakeBackend backend;

  makeStaleSocket(path);
  ServerOptions o;
  o.socketPath = path;
  GrpcServer first(backend, o);
  Status st = first.start();
  REQUIRE(st.isOk());
  auto channel = grpc::CreateChannel(unixTarget(path), grpc::InsecureChannelCredentials());
  CHECK(serverLive(channel));

  GrpcServer second(backend, o);
  st = second.start();
  CHECK(st.code() == StatusCode::kUnavailable);
  CHECK_THAT(st.message(), Catch::Contains(path));
  CHECK_THAT(st.message(), Catch::Contains("already listening"));
  // The first server is untouched and still answers on its socket.
  CHECK(isSocket(path));
  CHECK(serverLive(grpc::CreateChannel(unixTarget(path), grpc::InsecureChannelCredentials())));
  first.shutdown(std::chrono::seconds(2));
}

TEST_CASE("a non-socket file at the socket path is left alone", "[ipc][server]") {
  TempDir dir;
  std::string path = dir.path() + "/inferd.sock";
  { std::ofstream(path) << "precious"; }
  FakeBackend backend;
  ServerOptions o;
  o.socketPath = path;
  GrpcServer server(backend, o);
  Status st = server.start();
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("not a socket"));
  std::ifstream in(path);
  std::string content;
  in >> content;
  CHECK(content == "precious");
}

TEST_CASE("socket path problems are reported before binding", "[ipc][server]") {
  FakeBackend backend;
  TempDir dir;
  ServerOptions o;
  SECTION("missing folder") {
    o.socketPath = dir.path() + "/no/such/dir/inferd.sock";
    GrpcServer server(backend, o);
    Status st = server.start();
    CHECK(st.code() == StatusCode::kNotFound);
    CHECK_THAT(st.message(), Catch::Contains("does not exist"));
  }
  SECTION("too long") {
    o.socketPath = dir.path() + "/" + std::string(120, 'x') + ".sock";
    GrpcServer server(backend, o);
    Status st = server.start();
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("longer than"));
  }
  SECTION("nothing to listen on") {
    GrpcServer server(backend, o);
    CHECK(server.start().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("TCP listens only when asked, on loopback unless allowed", "[ipc][server]") {
  SECTION("Unix only by default") {
    TestServer s;
    REQUIRE(s.startStatus.isOk());
    CHECK(s.server->tcpPort() == 0);
  }
  SECTION("loopback with a picked port") {
    ServerOptions o;
    o.tcpAddress = "127.0.0.1:0";
    TestServer s(o);
    REQUIRE(s.startStatus.isOk());
    REQUIRE(s.server->tcpPort() > 0);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(s.server->tcpPort()),
                                       grpc::InsecureChannelCredentials());
    CHECK(serverLive(channel));
    CHECK(serverLive(s.channel()));  // and the Unix socket too
  }
  SECTION("non-loopback refused without the option") {
    ServerOptions o;
    o.tcpAddress = "0.0.0.0:0";
    TestServer s(o);
    CHECK(s.startStatus.code() == StatusCode::kPermissionDenied);
    CHECK_THAT(s.startStatus.message(), Catch::Contains("0.0.0.0:0"));
    CHECK_FALSE(std::filesystem::exists(s.dir.path() + "/inferd.sock"));
  }
  SECTION("non-loopback allowed with the option") {
    ServerOptions o;
    o.tcpAddress = "0.0.0.0:0";
    o.allowNonLoopbackTcp = true;
    TestServer s(o);
    REQUIRE(s.startStatus.isOk());
    CHECK(s.server->tcpPort() > 0);
  }
  SECTION("malformed address") {
    ServerOptions o;
    o.tcpAddress = "localhost";
    TestServer s(o);
    CHECK(s.startStatus.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.startStatus.message(), Catch::Contains("HOST:PORT"));
  }
}

TEST_CASE("standard health service reports serving status", "[ipc][server][health]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto channel = s.channel();
  CHECK(healthCheck(channel, "") == inferd::test::kHealthServing);
  CHECK(healthCheck(channel, "inference.GRPCInferenceService") == inferd::test::kHealthServing);
  CHECK(healthCheck(channel, "no.such.Service") == -static_cast<int>(grpc::StatusCode::NOT_FOUND));

  s.server->setServing(false);
  CHECK(healthCheck(channel, "") == inferd::test::kHealthNotServing);
  CHECK(healthCheck(channel, "inference.GRPCInferenceService") == inferd::test::kHealthNotServing);
  s.server->setServing(true);
  CHECK(healthCheck(channel, "") == inferd::test::kHealthServing);
}

TEST_CASE("server reflection lists the inference service", "[ipc][server][reflection]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  std::vector<std::string> services = reflectionServices(s.channel());
  INFO("services: " << services.size());
  auto has = [&](const std::string& name) {
    return std::find(services.begin(), services.end(), name) != services.end();
  };
  CHECK(has("inference.GRPCInferenceService"));
  CHECK(has("grpc.reflection.v1alpha.ServerReflection"));
}

TEST_CASE("shutdown lets in-flight requests finish", "[ipc][server][shutdown]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();

  const inference::ModelInferRequest r = twoInputRequest("slow", {1, 2, 3, 4}, {1, 1, 1, 1});

  constexpr int kInFlight = 3;
  std::vector<std::future<std::pair<grpc::Status, inference::ModelInferResponse>>> calls;
  for (int i = 0; i < kInFlight; ++i) {
    calls.push_back(std::async(std::launch::async, [&stub, r] {
      inference::ModelInferResponse resp;
      grpc::Status st = stub->ModelInfer(ctx().get(), r, &resp);
      return std::make_pair(st, resp);
    }));
  }
  REQUIRE(s.backend.waitParked(kInFlight));

  auto stopping = std::async(std::launch::async, [&] {
    s.server->shutdown(std::chrono::seconds(10));
  });
  // Shutdown must wait for the parked requests rather than return.
  CHECK(stopping.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  // While draining: health says NOT_SERVING, new inference is refused with
  // UNAVAILABLE, metadata still answers (connections stay open until the
  // in-flight requests have their answers).
  auto channel = s.channel();
  CHECK(healthCheck(channel, "") == inferd::test::kHealthNotServing);
  auto fresh = inference::GRPCInferenceService::NewStub(channel);
  inference::ModelInferResponse refused;
  inference::ModelInferRequest quick = r;
  quick.set_model_name("add");
  grpc::Status st = fresh->ModelInfer(ctx().get(), quick, &refused);
  CHECK(st.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(st.error_message(), Catch::Contains("shutting down"));
  inference::ServerLiveResponse live;
  CHECK(fresh->ServerLive(ctx().get(), {}, &live).ok());
  CHECK(s.backend.requestCount() == kInFlight);

  s.backend.release();
  for (auto& call : calls) {
    auto [st, resp] = call.get();
    INFO(st.error_message());
    REQUIRE(st.ok());
    CHECK(valuesOf<float>(resp.raw_output_contents(0)) == std::vector<float>{2, 3, 4, 5});
  }
  CHECK(stopping.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_FALSE(s.server->running());
  CHECK_FALSE(std::filesystem::exists(s.server->socketPath()));
  CHECK_FALSE(serverLive(s.channel()));
}

TEST_CASE("repeated drains never lose an answer", "[ipc][server][shutdown]") {
  constexpr int kRounds = 5, kInFlight = 8;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    TestServer s;
    REQUIRE(s.startStatus.isOk());
    auto stub = s.stub();
    const inference::ModelInferRequest r = twoInputRequest("slow", {1, 2, 3, 4}, {1, 1, 1, 1});

    std::vector<std::future<grpc::Status>> calls;
    for (int i = 0; i < kInFlight; ++i) {
      calls.push_back(std::async(std::launch::async, [&stub, r] {
        inference::ModelInferResponse resp;
        grpc::Status st = stub->ModelInfer(ctx().get(), r, &resp);
        if (st.ok() && resp.raw_output_contents_size() != 2) {
          return grpc::Status(grpc::StatusCode::INTERNAL, "short response");
        }
        return st;
      }));
    }
    REQUIRE(s.backend.waitParked(kInFlight));
    auto stopping = std::async(std::launch::async, [&] {
      s.server->shutdown(std::chrono::seconds(10));
    });
    // Keep the connection busy with new calls while the server drains.
    for (int i = 0; i < 5; ++i) {
      inference::ServerLiveResponse live;
      (void)stub->ServerLive(ctx(std::chrono::milliseconds(200)).get(), {}, &live);
    }
    s.backend.release();
    for (auto& call : calls) {
      grpc::Status st = call.get();
      INFO(st.error_message());
      CHECK(st.ok());
    }
    CHECK(stopping.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  }
}
