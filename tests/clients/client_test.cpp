// libinferd-client against the real gRPC server (ipc::GrpcServer) over a
// Unix socket, with a fake backend: metadata, repository and statistics
// calls, sync and async inference, typed views, request options reaching
// the server, error codes, and reconnecting after the server restarts.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "../common/subprocess.h"
#include "fake_backend.h"
#include "inferd/client/client.h"

namespace test = inferd::test;
namespace ipc = inferd::ipc;
using namespace inferd::client;
using inferd::test::FakeServer;

namespace {

struct Fixture {
  std::string dir = test::makeTempDir("client");
  FakeServer server{dir + "/inferd.sock"};
  Client client = makeClient();

  Fixture() {
    inferd::Status s = server.start();
    INFO(s.toString());
    REQUIRE(s.isOk());
  }
  ~Fixture() {
    server.stop();
    std::filesystem::remove_all(dir);
  }

  Client makeClient() {
    auto c = Client::connect(dir + "/inferd.sock");
    REQUIRE(c.isOk());
    return std::move(c).value();
  }
};

Tensor input4(float a, float b, float c, float d) {
  return Tensor::fromValues<float>("x", {1, 4}, std::vector<float>{a, b, c, d});
}

void checkAddOne(const Result<InferResult>& r, float first) {
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  REQUIRE(r->outputs.size() == 2);
  const Tensor* y = r->output("y");
  REQUIRE(y != nullptr);
  CHECK(y->type == DataType::kFP32);
  CHECK(y->shape == std::vector<int64_t>{1, 4});
  const float* v = y->data<float>();
  REQUIRE(v != nullptr);
  for (int i = 0; i < 4; ++i) CHECK(v[i] == first + float(i) + 1.0f);
}

}  // namespace

TEST_CASE("server calls: live, ready, metadata", "[client]") {
  Fixture f;
  auto live = f.client.serverLive();
  REQUIRE(live.isOk());
  CHECK(*live);
  auto ready = f.client.serverReady();
  REQUIRE(ready.isOk());
  CHECK(*ready);
  auto sm = f.client.serverMetadata();
  REQUIRE(sm.isOk());
  CHECK(sm->name == "inferd");
  CHECK(sm->version == "0.1.0-fake");
  CHECK(f.client.target() == "unix:" + f.dir + "/inferd.sock");

  auto m = f.client.modelMetadata("add_one");
  INFO(m.status().toString());
  REQUIRE(m.isOk());
  CHECK(m->name == "add_one");
  CHECK(m->versions == std::vector<std::string>{"1"});
  REQUIRE(m->inputs.size() == 1);
  CHECK(m->inputs[0].name == "x");
  CHECK(m->inputs[0].type == DataType::kFP32);
  CHECK(m->inputs[0].shape == std::vector<int64_t>{1, 4});
  REQUIRE(m->outputs.size() == 2);
  CHECK(m->outputs[1].name == "z");
  CHECK(m->outputs[1].type == DataType::kInt8);

  auto mr = f.client.modelReady("add_one");
  REQUIRE(mr.isOk());
  CHECK(*mr);
  auto notReady = f.client.modelReady("spare");
  REQUIRE(notReady.isOk());
  CHECK_FALSE(*notReady);
}

TEST_CASE("repository: list, load, unload, statistics", "[client]") {
  Fixture f;
  auto models = f.client.listModels();
  REQUIRE(models.isOk());
  REQUIRE(models->size() == 4);
  CHECK(models->at(0).name == "add_one");
  CHECK(models->at(0).state == "READY");
  CHECK(models->at(3).name == "spare");
  CHECK(models->at(3).state == "UNAVAILABLE");
  auto ready = f.client.listModels(true);
  REQUIRE(ready.isOk());
  CHECK(ready->size() == 3);

  // spare is not loaded: metadata says UNAVAILABLE, load makes it usable.
  auto before = f.client.modelMetadata("spare");
  CHECK(before.status().code() == StatusCode::kUnavailable);
  REQUIRE(f.client.loadModel("spare").isOk());
  checkAddOne(f.client.infer("spare", {input4(1, 2, 3, 4)}), 1);
  REQUIRE(f.client.unloadModel("spare").isOk());
  CHECK_FALSE(*f.client.modelReady("spare"));
  auto bad = f.client.loadModel("nope");
  CHECK(bad.code() == StatusCode::kNotFound);
  CHECK_THAT(bad.message(), Catch::Contains("nope"));

  for (int i = 0; i < 3; ++i) REQUIRE(f.client.infer("add_one", {input4(0, 0, 0, 0)}).isOk());
  auto stats = f.client.statistics("add_one");
  INFO(stats.status().toString());
  REQUIRE(stats.isOk());
  REQUIRE(stats->size() == 1);
  CHECK(stats->at(0).name == "add_one");
  CHECK(stats->at(0).inferenceCount == 3);
  CHECK(stats->at(0).success.count == 3);
  CHECK(stats->at(0).computeInfer.count == 3);
  CHECK(stats->at(0).computeInfer.ns == 3000);
  auto all = f.client.statistics();
  REQUIRE(all.isOk());
  CHECK(all->size() == 4);
  CHECK(f.client.statistics("nope").status().code() == StatusCode::kNotFound);
}

TEST_CASE("synchronous infer and typed views", "[client]") {
  Fixture f;
  auto r = f.client.infer("add_one", {input4(-3, 0.5f, 7, 100)});
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  CHECK(r->model == "add_one");
  CHECK(r->version == "1");
  const Tensor& y = *r->output("y");
  const Tensor& z = *r->output("z");
  auto ys = y.span<float>();
  REQUIRE(ys.isOk());
  CHECK(std::vector<float>(ys->begin(), ys->end()) == std::vector<float>{-2, 1.5f, 8, 101});
  REQUIRE(z.type == DataType::kInt8);
  CHECK(z.is<int8_t>());
  const int8_t* zs = z.data<int8_t>();
  REQUIRE(zs != nullptr);
  CHECK(zs[0] == -3);
  CHECK(zs[3] == 100);

  // Views check the type: an INT8 tensor is not floats, nor uint8.
  CHECK(z.data<float>() == nullptr);
  CHECK(z.data<uint8_t>() == nullptr);
  auto wrong = z.span<float>();
  REQUIRE_FALSE(wrong.isOk());
  CHECK(wrong.status().code() == StatusCode::kInvalidArgument);
  CHECK(wrong.status().message() == "tensor 'z' is INT8, not FP32");
  CHECK(y.data<int32_t>() == nullptr);

  // Mutable views and helpers.
  Tensor t = Tensor::zeros("x", DataType::kFP32, {1, 4});
  CHECK(t.bytes.size() == 16);
  CHECK(t.elementCount() == 4);
  auto ms = t.mutableSpan<float>();
  REQUIRE(ms.isOk());
  (*ms)[2] = 41;
  checkAddOne(f.client.infer("add_one", {input4(0, 1, 2, 3)}), 0);
  auto r2 = f.client.infer("add_one", {t});
  REQUIRE(r2.isOk());
  CHECK(r2->output("y")->data<float>()[2] == 42);
  CHECK(dataTypeName(DataType::kFP16) == std::string("FP16"));
  CHECK(dataTypeFromName("INT64") == DataType::kInt64);
  CHECK_FALSE(dataTypeFromName("FLOAT32").has_value());
  CHECK(dataTypeSize(DataType::kFP64) == 8);
}

TEST_CASE("options reach the server: priority, timeout, id, requested outputs", "[client]") {
  Fixture f;
  InferOptions o;
  o.priority = 7;
  o.timeoutMicros = 250000;
  o.id = "req-42";
  o.requestedOutputs = {"z"};
  auto r = f.client.infer("add_one", {input4(1, 2, 3, 4)}, o);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  CHECK(f.server.backend().lastPriority() == 7);
  CHECK(f.server.backend().lastTimeout() == 250000);
  CHECK(f.server.backend().lastId() == "req-42");
  CHECK(f.server.backend().lastRequestedOutputs() == std::vector<std::string>{"z"});
  CHECK(r->id == "req-42");
  REQUIRE(r->outputs.size() == 1);
  CHECK(r->outputs[0].name == "z");

  // Without options nothing is sent.
  REQUIRE(f.client.infer("add_one", {input4(1, 2, 3, 4)}).isOk());
  CHECK_FALSE(f.server.backend().lastPriority().has_value());
  CHECK_FALSE(f.server.backend().lastTimeout().has_value());
}

TEST_CASE("error codes and messages", "[client]") {
  Fixture f;
  SECTION("unknown model") {
    auto r = f.client.infer("nope", {input4(0, 0, 0, 0)});
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK_THAT(r.status().message(), Catch::Contains("nope"));
    CHECK(f.client.modelMetadata("nope").status().code() == StatusCode::kNotFound);
  }
  SECTION("unknown input name") {
    Tensor t = input4(0, 0, 0, 0);
    t.name = "w";
    auto r = f.client.infer("add_one", {t});
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK_THAT(r.status().message(), Catch::Contains("'w'"));
  }
  SECTION("wrong shape, checked by the server") {
    auto r = f.client.infer("add_one", {Tensor::fromValues<float>("x", {2, 2}, std::vector<float>{1, 2, 3, 4})});
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("add_one") && Catch::Contains("x"));
  }
  SECTION("wrong datatype, checked by the server") {
    auto r = f.client.infer("add_one", {Tensor::fromValues<int32_t>("x", {1, 4}, std::vector<int32_t>{1, 2, 3, 4})});
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("FP32") && Catch::Contains("INT32"));
  }
  SECTION("byte count that does not match the shape never leaves the client") {
    Tensor t = input4(0, 0, 0, 0);
    t.bytes.resize(12);
    const int before = f.server.backend().requests();
    auto r = f.client.infer("add_one", {t});
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message() == "model 'add_one': input tensor 'x' FP32 [1, 4] needs 16 bytes but has 12");
    CHECK(f.server.backend().requests() == before);
  }
  SECTION("a full queue is RESOURCE_EXHAUSTED") {
    auto r = f.client.infer("busy", {Tensor::fromValues<float>("x", {1, 1}, std::vector<float>{1})});
    CHECK(r.status().code() == StatusCode::kResourceExhausted);
    CHECK_THAT(r.status().toString(), Catch::StartsWith("RESOURCE_EXHAUSTED: ") && Catch::Contains("full"));
  }
  SECTION("an expired queue timeout is DEADLINE_EXCEEDED") {
    InferOptions o;
    o.timeoutMicros = 1000;
    auto r = f.client.infer("slow", {Tensor::fromValues<float>("x", {1, 1}, std::vector<float>{1})}, o);
    CHECK(r.status().code() == StatusCode::kDeadlineExceeded);
  }
  SECTION("the client's own call timeout") {
    InferOptions o;
    o.callTimeout = std::chrono::milliseconds(30);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = f.client.infer("slow", {Tensor::fromValues<float>("x", {1, 1}, std::vector<float>{1})}, o);
    CHECK(r.status().code() == StatusCode::kDeadlineExceeded);  // the model would have answered OK
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  }
  SECTION("model not loaded") {
    auto r = f.client.infer("spare", {input4(0, 0, 0, 0)});
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(r.status().message(), Catch::Contains("spare"));
  }
}

TEST_CASE("asynchronous infer: future and callback", "[client]") {
  Fixture f;
  SECTION("future") {
    std::vector<std::future<Result<InferResult>>> futures;
    for (int i = 0; i < 32; ++i) futures.push_back(f.client.inferAsync("add_one", {input4(float(i), float(i + 1), float(i + 2), float(i + 3))}));
    for (int i = 0; i < 32; ++i) {
      REQUIRE(futures[size_t(i)].wait_for(std::chrono::seconds(10)) == std::future_status::ready);
      checkAddOne(futures[size_t(i)].get(), float(i));
    }
  }
  SECTION("the slow model answers later, without blocking the caller") {
    auto fut = f.client.inferAsync("slow", {Tensor::fromValues<float>("x", {1, 1}, std::vector<float>{5})});
    // Returned before the answer exists (the model takes 300 ms).
    CHECK(fut.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto r = fut.get();
    REQUIRE(r.isOk());
    CHECK(r->outputs[0].data<float>()[0] == 5);
  }
  SECTION("callback, errors included, exactly once each") {
    std::mutex mu;
    std::condition_variable cv;
    int ok = 0, notFound = 0, invalid = 0;
    auto count = [&](Result<InferResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      if (r.isOk()) {
        ++ok;
      } else if (r.status().code() == StatusCode::kNotFound) {
        ++notFound;
      } else if (r.status().code() == StatusCode::kInvalidArgument) {
        ++invalid;
      }
      cv.notify_all();
    };
    Tensor shortTensor = input4(0, 0, 0, 0);
    shortTensor.bytes.resize(3);
    for (int i = 0; i < 10; ++i) {
      f.client.inferAsync("add_one", {input4(0, 0, 0, 0)}, {}, count);
      f.client.inferAsync("missing", {input4(0, 0, 0, 0)}, {}, count);
      f.client.inferAsync("add_one", {shortTensor}, {}, count);  // rejected before sending
    }
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return ok + notFound + invalid == 30; }));
    CHECK(ok == 10);
    CHECK(notFound == 10);
    CHECK(invalid == 10);
  }
}

TEST_CASE("answers outlive the Client that asked", "[client]") {
  Fixture f;
  std::vector<std::future<Result<InferResult>>> futures;
  {
    Client c = f.makeClient();
    for (int i = 0; i < 4; ++i) {
      futures.push_back(c.inferAsync("slow", {Tensor::fromValues<float>("x", {1, 1}, std::vector<float>{float(i)})}));
    }
  }  // dropped before any answer (the slow model takes 300 ms)
  for (int i = 0; i < 4; ++i) {
    REQUIRE(futures[size_t(i)].wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto r = futures[size_t(i)].get();
    REQUIRE(r.isOk());
    CHECK(r->outputs[0].data<float>()[0] == float(i));
  }

  // The callback holds the last reference to its Client.
  std::promise<bool> answered;
  {
    auto c = std::make_shared<Client>(f.makeClient());
    c->inferAsync("slow", {Tensor::fromValues<float>("x", {1, 1}, std::vector<float>{1})}, {},
                  [c, &answered](Result<InferResult> r) mutable {
                    c.reset();  // the Client (and its channel) go away on the library's thread
                    answered.set_value(r.isOk());
                  });
  }
  auto fut = answered.get_future();
  REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(fut.get());
}

TEST_CASE("one client from many threads", "[client]") {
  Fixture f;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = f.client.infer("add_one", {input4(float(t), 0, 0, float(i))});
        if (r.isOk() && r->output("y")->data<float>()[0] == float(t) + 1 && r->output("y")->data<float>()[3] == float(i) + 1) {
          ++good;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(good == 200);
}

TEST_CASE("a daemon that is not running is UNAVAILABLE and names the socket", "[client]") {
  const std::string dir = test::makeTempDir("client");
  auto c = Client::connect(dir + "/absent.sock");
  REQUIRE(c.isOk());  // connecting is lazy
  const auto t0 = std::chrono::steady_clock::now();
  auto live = c->serverLive();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(live.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(live.status().message(), Catch::StartsWith("cannot reach inferd at unix:" + dir + "/absent.sock: "));
  auto r = c->infer("add_one", {input4(0, 0, 0, 0)});
  CHECK(r.status().code() == StatusCode::kUnavailable);
  auto fut = c->inferAsync("add_one", {input4(0, 0, 0, 0)});
  REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(fut.get().status().code() == StatusCode::kUnavailable);

  auto tooLong = Client::connect("/tmp/" + std::string(200, 'x'));
  CHECK(tooLong.status().code() == StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST_CASE("default socket path follows XDG_RUNTIME_DIR", "[client]") {
  const char* old = std::getenv("XDG_RUNTIME_DIR");
  const std::string saved = old ? old : "";
  setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
  CHECK(defaultSocketPath() == "/run/user/4242/inferd/inferd.sock");
  CHECK(defaultSocketPath() == ipc::defaultSocketPath());
  auto c = Client::connect("");
  REQUIRE(c.isOk());
  CHECK(c->target() == "unix:/run/user/4242/inferd/inferd.sock");
  unsetenv("XDG_RUNTIME_DIR");
  CHECK(defaultSocketPath() == "/tmp/inferd-" + std::to_string(getuid()) + "/inferd.sock");
  CHECK(defaultSocketPath() == ipc::defaultSocketPath());
  if (old) setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
}

TEST_CASE("reconnects after the server restarts", "[client]") {
  Fixture f;
  checkAddOne(f.client.infer("add_one", {input4(0, 1, 2, 3)}), 0);

  SECTION("restart between calls") {
    f.server.stop();
    REQUIRE(f.server.start().isOk());
    checkAddOne(f.client.infer("add_one", {input4(0, 1, 2, 3)}), 0);
    auto fut = f.client.inferAsync("add_one", {input4(1, 2, 3, 4)});
    REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    checkAddOne(fut.get(), 1);
  }
  SECTION("calls while it is down fail fast, the first call after it is back works") {
    f.server.stop();
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = f.client.infer("add_one", {input4(0, 1, 2, 3)});
      CHECK(r.status().code() == StatusCode::kUnavailable);
      CHECK_THAT(r.status().message(), Catch::Contains("cannot reach inferd"));
      CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    }
    CHECK(f.client.serverLive().status().code() == StatusCode::kUnavailable);
    REQUIRE(f.server.start().isOk());
    // No sleeping for gRPC's reconnect backoff: the very next call connects.
    checkAddOne(f.client.infer("add_one", {input4(0, 1, 2, 3)}), 0);
    auto live = f.client.serverLive();
    REQUIRE(live.isOk());
    CHECK(*live);
  }
  SECTION("a second client connected before the restart also recovers") {
    Client other = f.makeClient();
    REQUIRE(other.serverLive().isOk());
    f.server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let its channel notice
    REQUIRE(f.server.start().isOk());
    auto fut = other.inferAsync("add_one", {input4(2, 3, 4, 5)});
    REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    checkAddOne(fut.get(), 2);
  }
}
