// The Unix listener the server owns: every RPC sees the caller's kernel
// credentials, denials answer PERMISSION_DENIED naming the action,
// connections over the cap are refused, and running out of file
// descriptors never stops the listener (gRPC 1.51's own listener stopped
// accepting for good after one EMFILE).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "fake_backend.h"

using namespace inferd;
using namespace inferd::ipc;
using namespace inferd::ipc::test;

namespace {

// A raw connection to `path` that sends nothing (an idle client).
int rawConnect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// ServerLive on a fresh channel (no connection reuse).
grpc::Status liveOnNewChannel(const TestServer& s, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // a new connection, not a shared one
  auto channel = grpc::CreateCustomChannel(unixTarget(s.dir.path() + "/inferd.sock"),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  inference::ServerLiveResponse live;
  return stub->ServerLive(ctx(timeout).get(), {}, &live);
}

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

}  // namespace

TEST_CASE("handlers see the caller's kernel credentials, not anything the request says", "[ipc][access]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();
  inference::ModelMetadataRequest req;
  req.set_name("add");
  inference::ModelMetadataResponse resp;
  grpc::ClientContext c;
  c.AddMetadata("x-user", "0");  // claims mean nothing
  REQUIRE(stub->ModelMetadata(&c, req, &resp).ok());
  const auto peers = s.backend.peers();
  REQUIRE(!peers.empty());
  const Peer& p = peers.back();
  CHECK(p.transport == Peer::Transport::kUnix);
  REQUIRE(p.hasCredentials);
  CHECK(p.uid == ::getuid());
  CHECK(p.gid == ::getgid());
  CHECK(p.pid == ::getpid());
}

TEST_CASE("a denied action answers PERMISSION_DENIED naming the action", "[ipc][access]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  s.backend.deny(Action::kInfer, "add");
  s.backend.deny(Action::kLoad, "*");
  s.backend.deny(Action::kAdmin, "*");
  auto stub = s.stub();

  inference::ModelInferRequest req = twoInputRequest("add", {1, 2, 3, 4}, {1, 1, 1, 1});
  inference::ModelInferResponse resp;
  grpc::Status st = stub->ModelInfer(ctx().get(), req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(st.error_message(), Catch::Contains("'infer'") && Catch::Contains("model 'add'"));
  CHECK(s.backend.requestCount() == 0);  // never reached the backend

  inference::RepositoryModelLoadRequest load;
  load.set_model_name("add");
  inference::RepositoryModelLoadResponse loaded;
  st = stub->RepositoryModelLoad(ctx().get(), load, &loaded);
  CHECK(st.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(st.error_message(), Catch::Contains("'load'"));
  CHECK(s.backend.loads().empty());

  inference::RepositoryModelUnloadRequest unload;
  unload.set_model_name("add");
  inference::RepositoryModelUnloadResponse unloaded;
  CHECK(stub->RepositoryModelUnload(ctx().get(), unload, &unloaded).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);

  inference::ModelStatisticsRequest stats;
  inference::ModelStatisticsResponse statsResp;
  st = stub->ModelStatistics(ctx().get(), stats, &statsResp);
  CHECK(st.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(st.error_message(), Catch::Contains("'admin'"));

  // What is not denied still works, health always does.
  inference::ModelMetadataRequest md;
  md.set_name("add");
  inference::ModelMetadataResponse mdResp;
  CHECK(stub->ModelMetadata(ctx().get(), md, &mdResp).ok());
  CHECK(liveOnNewChannel(s).ok());
}

TEST_CASE("connections over max_connections are refused, and accepted again once others close",
          "[ipc][access][connections]") {
  ServerOptions o;
  o.maxConnections = 4;
  TestServer s(o);
  REQUIRE(s.startStatus.isOk());
  const std::string path = s.dir.path() + "/inferd.sock";
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    int fd = rawConnect(path);
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  REQUIRE(eventually([&] { return s.server->listenerStats()->accepted == 4; }));
  // The fifth connection is closed at accept: the call fails.
  grpc::Status st = liveOnNewChannel(s, std::chrono::milliseconds(1500));
  CHECK_FALSE(st.ok());
  CHECK(s.server->listenerStats()->refusedCap >= 1);
  for (int fd : idle) ::close(fd);
  // gRPC closes its side when it reads EOF; then there is room again.
  CHECK(eventually([&] { return liveOnNewChannel(s, std::chrono::milliseconds(1500)).ok(); }));
}

TEST_CASE("running out of file descriptors never stops the listener", "[ipc][access][connections]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  const std::string path = s.dir.path() + "/inferd.sock";
  REQUIRE(liveOnNewChannel(s).ok());

  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // Count the fds open now, and leave room for a few more only: the
  // server's accept() then fails with EMFILE while clients keep coming.
  int open = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) open = fd + 1;
  }
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(open + 24);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  std::vector<int> clients;
  for (int i = 0; i < 200; ++i) {
    int fd = rawConnect(path);
    if (fd < 0) break;  // the client side ran out too
    clients.push_back(fd);
  }
  const bool exhausted = eventually([&] { return s.server->listenerStats()->fdExhausted > 0; },
                                    std::chrono::seconds(5));
  for (int fd : clients) ::close(fd);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE(exhausted);
  // Once fds are back, new connections are served again.
  CHECK(eventually([&] { return liveOnNewChannel(s, std::chrono::milliseconds(1500)).ok(); }));
}
