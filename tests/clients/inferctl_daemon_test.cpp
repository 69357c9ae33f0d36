// inferctl's daemon commands (models, load, unload, status, run, bench)
// against the real gRPC server with a fake backend in this process: output,
// written .npy files, options reaching the server, exit codes and one-line
// errors, including a daemon that is not running.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "../common/subprocess.h"
#include "fake_backend.h"
#include "inferd/engine/npy.h"

namespace test = inferd::test;
using inferd::engine::ElementType;
using test::FakeServer;
using test::ProcessResult;

namespace {

struct Fixture {
  std::string dir = test::makeTempDir("ctl");
  std::string socket = dir + "/inferd.sock";
  FakeServer server{socket, 200};

  Fixture() {
    inferd::Status s = server.start();
    INFO(s.toString());
    REQUIRE(s.isOk());
    float x[4] = {1, -2, 3.5f, 100};
    REQUIRE(inferd::engine::writeNpy(dir + "/x.npy", ElementType::kFloat32, {1, 4}, x, sizeof x).isOk());
    float one[1] = {2};
    REQUIRE(inferd::engine::writeNpy(dir + "/one.npy", ElementType::kFloat32, {1, 1}, one, sizeof one).isOk());
  }
  ~Fixture() {
    server.stop();
    std::filesystem::remove_all(dir);
  }

  // inferctl --socket SOCKET args...
  ProcessResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--socket", socket});
    return run(std::move(args));
  }
  ProcessResult run(std::vector<std::string> args) {
    const char* inferctl = std::getenv("INFERCTL");  // set by meson
    REQUIRE(inferctl != nullptr);
    args.insert(args.begin(), inferctl);
    return test::runProcess(args, 60, dir);
  }
};

bool oneLineError(const ProcessResult& r) {
  return r.exitCode == 1 && r.err.rfind("inferctl: error: ", 0) == 0 && r.err.find('\n') == r.err.size() - 1;
}

}  // namespace

TEST_CASE("inferctl models, load, unload", "[inferctl]") {
  Fixture f;
  auto r = f.ctl({"models"});
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::StartsWith("MODEL "));
  CHECK_THAT(r.out, Catch::Contains("add_one  1        READY"));
  CHECK_THAT(r.out, Catch::Contains("spare    1        UNAVAILABLE  unloaded"));

  auto ready = f.ctl({"models", "--ready"});
  REQUIRE(ready.exitCode == 0);
  CHECK_THAT(ready.out, Catch::Contains("add_one"));
  CHECK_THAT(ready.out, !Catch::Contains("spare"));

  auto load = f.ctl({"load", "spare"});
  INFO(load.out << load.err);
  REQUIRE(load.exitCode == 0);
  CHECK(load.out == "loaded model 'spare'\n");
  CHECK(f.server.backend().modelReady("spare", ""));
  CHECK_THAT(f.ctl({"models", "--ready"}).out, Catch::Contains("spare"));

  auto unload = f.ctl({"unload", "spare"});
  REQUIRE(unload.exitCode == 0);
  CHECK(unload.out == "unloaded model 'spare'\n");
  CHECK_FALSE(f.server.backend().modelReady("spare", ""));

  auto bad = f.ctl({"load", "nope"});
  CHECK(oneLineError(bad));
  CHECK_THAT(bad.err, Catch::Contains("NOT_FOUND") && Catch::Contains("'nope'"));
  CHECK(oneLineError(f.ctl({"unload", "nope"})));

  auto usage = f.ctl({"load"});
  CHECK(usage.exitCode >= 2);
}

TEST_CASE("inferctl status", "[inferctl]") {
  Fixture f;
  for (int i = 0; i < 3; ++i) REQUIRE(f.ctl({"run", "add_one", "--input", f.dir + "/x.npy", "--output-dir", f.dir + "/o"}).exitCode == 0);
  auto r = f.ctl({"status"});
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("server: inferd 0.1.0-fake at unix:" + f.socket));
  CHECK_THAT(r.out, Catch::Contains("live: yes, ready: yes"));
  CHECK_THAT(r.out, Catch::Contains("INFERENCES") && Catch::Contains("COMPUTE_AVG_MS"));
  // add_one: 3 inferences, 3 successes, 0 failures, 0.001 ms average queue and compute.
  CHECK_THAT(r.out, Catch::Matches("(.|\n)*add_one +1 +READY +3 +3 +0 +0\\.001 +0\\.001\n(.|\n)*"));
  CHECK_THAT(r.out, Catch::Contains("spare") && Catch::Contains("UNAVAILABLE"));

  auto one = f.ctl({"status", "add_one"});
  REQUIRE(one.exitCode == 0);
  CHECK_THAT(one.out, !Catch::Contains("busy"));
  auto bad = f.ctl({"status", "nope"});
  CHECK(oneLineError(bad));
  CHECK_THAT(bad.err, Catch::Contains("NOT_FOUND"));
}

TEST_CASE("inferctl run against the daemon", "[inferctl]") {
  Fixture f;
  SECTION("writes output_<i>.npy and a summary") {
    auto r = f.ctl({"run", "add_one", "--input", "x=" + f.dir + "/x.npy", "--output-dir", f.dir + "/out"});
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::StartsWith("model: add_one version 1 via inferd at unix:" + f.socket));
    CHECK_THAT(r.out, Catch::Contains("output 0 'y' FLOAT32 [1, 4]: min -1 max 101 mean 26.625 -> " + f.dir + "/out/output_0.npy"));
    CHECK_THAT(r.out, Catch::Contains("output 1 'z' INT8 [1, 4]"));
    CHECK_THAT(r.out, Catch::Contains("time: "));
    auto y = inferd::engine::readNpy(f.dir + "/out/output_0.npy");
    REQUIRE(y.isOk());
    CHECK(y->type == ElementType::kFloat32);
    CHECK(y->dims == inferd::engine::Dims{1, 4});
    CHECK(y->as<float>()[0] == 2);
    CHECK(y->as<float>()[1] == -1);
    CHECK(y->as<float>()[3] == 101);
    auto z = inferd::engine::readNpy(f.dir + "/out/output_1.npy");
    REQUIRE(z.isOk());
    CHECK(z->type == ElementType::kInt8);
    CHECK(z->as<int8_t>()[1] == -2);
  }
  SECTION("--priority and --timeout-us reach the server; --socket after the subcommand; --repeat") {
    auto r = f.run({"run", "add_one", "--input", f.dir + "/x.npy", "--output-dir", f.dir + "/out", "--priority", "5",
                    "--timeout-us", "750000", "--repeat", "3", "--socket", f.socket});
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(f.server.backend().lastPriority() == 5);
    CHECK(f.server.backend().lastTimeout() == 750000);
    CHECK(f.server.backend().requests() == 3);
    CHECK_THAT(r.out, Catch::Matches("(.|\n)*time: median [0-9.]+ ms, min [0-9.]+ ms, p99 [0-9.]+ ms over 3 runs\n(.|\n)*"));
  }
  SECTION("INFERD_SOCKET names the socket") {
    setenv("INFERD_SOCKET", f.socket.c_str(), 1);
    auto r = f.run({"run", "add_one", "--input", f.dir + "/x.npy", "--output-dir", f.dir + "/out"});
    unsetenv("INFERD_SOCKET");
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
  }
  SECTION("input errors name what the model expects") {
    auto missing = f.ctl({"run", "add_one", "--output-dir", f.dir + "/out"});
    CHECK(oneLineError(missing));
    CHECK_THAT(missing.err, Catch::Contains("missing input 'x'; the model expects: x FLOAT32 [1, 4]"));
    auto shape = f.ctl({"run", "add_one", "--input", f.dir + "/one.npy", "--output-dir", f.dir + "/out"});
    CHECK(oneLineError(shape));
    CHECK_THAT(shape.err, Catch::Contains("is FLOAT32 [1, 1], expected FLOAT32 [1, 4]"));
    auto noDir = f.ctl({"run", "add_one", "--input", f.dir + "/x.npy"});
    CHECK(oneLineError(noDir));
    CHECK_THAT(noDir.err, Catch::Contains("--output-dir"));
    CHECK(f.server.backend().requests() == 0);
  }
  SECTION("server errors keep their code") {
    auto unknown = f.ctl({"run", "nope", "--input", f.dir + "/x.npy", "--output-dir", f.dir + "/out"});
    CHECK(oneLineError(unknown));
    CHECK_THAT(unknown.err, Catch::StartsWith("inferctl: error: NOT_FOUND: ") && Catch::Contains("nope"));
    auto late = f.ctl({"run", "slow", "--input", f.dir + "/one.npy", "--output-dir", f.dir + "/out", "--timeout-us", "10"});
    CHECK(oneLineError(late));
    CHECK_THAT(late.err, Catch::StartsWith("inferctl: error: DEADLINE_EXCEEDED: "));
    auto full = f.ctl({"run", "busy", "--input", f.dir + "/one.npy", "--output-dir", f.dir + "/out"});
    CHECK(oneLineError(full));
    CHECK_THAT(full.err, Catch::StartsWith("inferctl: error: RESOURCE_EXHAUSTED: "));
    CHECK_FALSE(std::filesystem::exists(f.dir + "/out/output_0.npy"));
  }
  SECTION("--local refuses daemon-only options") {
    auto r = f.ctl({"run", f.dir + "/m.tflite", "--local", "--input", f.dir + "/x.npy", "--output-dir", f.dir, "--priority", "1"});
    CHECK(oneLineError(r));
  }
}

TEST_CASE("inferctl bench", "[inferctl]") {
  Fixture f;
  SECTION("text report") {
    auto r = f.ctl({"bench", "add_one", "-n", "60", "-c", "4"});
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("bench: model add_one via inferd at unix:" + f.socket +
                                      ", 60 requests over 4 concurrent clients"));
    CHECK_THAT(r.out, Catch::Contains("count: 60, errors: 0"));
    CHECK_THAT(r.out, Catch::Matches("(.|\n)*latency ms: min [0-9.]+ mean [0-9.]+ p50 [0-9.]+ p95 [0-9.]+ p99 [0-9.]+ max [0-9.]+\n(.|\n)*"));
    CHECK_THAT(r.out, Catch::Contains("throughput: ") && Catch::Contains(" requests/s over "));
    CHECK(f.server.backend().requests() == 60);
  }
  SECTION("--json, input file, priority and timeout") {
    auto r = f.ctl({"bench", "add_one", "--input", f.dir + "/x.npy", "-n", "25", "-c", "2", "--json", "--priority", "9",
                    "--timeout-us", "123456"});
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::StartsWith("{\"model\": \"add_one\", \"target\": \"unix:" + f.socket + "\""));
    CHECK_THAT(r.out, Catch::Contains("\"requests\": 25, \"concurrency\": 2, \"count\": 25, \"errors\": 0"));
    CHECK_THAT(r.out, Catch::Contains("\"latency_us\": {\"min\": ") && Catch::Contains("\"p99\": ") &&
                          Catch::Contains("\"throughput_rps\": ") && Catch::Contains("\"first_error\": \"\"}"));
    CHECK(r.out.find('\n') == r.out.size() - 1);
    CHECK(f.server.backend().requests() == 25);
    CHECK(f.server.backend().lastPriority() == 9);
    CHECK(f.server.backend().lastTimeout() == 123456);
  }
  SECTION("failed requests are counted and make the exit code 1") {
    auto r = f.ctl({"bench", "busy", "-n", "10", "-c", "2", "--json"});
    INFO(r.out << r.err);
    CHECK(oneLineError(r));
    CHECK_THAT(r.out, Catch::Contains("\"count\": 0, \"errors\": 10"));
    CHECK_THAT(r.out, Catch::Contains("\"first_error\": \"RESOURCE_EXHAUSTED: "));
    CHECK_THAT(r.err, Catch::Contains("10 of 10 requests failed; first: RESOURCE_EXHAUSTED"));
  }
  SECTION("usage") {
    CHECK(f.ctl({"bench", "add_one", "-c", "0"}).exitCode >= 2);
    CHECK(f.ctl({"bench"}).exitCode >= 2);
    CHECK(oneLineError(f.ctl({"bench", "nope"})));
  }
}

TEST_CASE("inferctl with no daemon running says where it looked", "[inferctl]") {
  Fixture f;
  const std::string absent = f.dir + "/absent.sock";
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"models"}, {"status"}, {"load", "add_one"}, {"unload", "add_one"},
        {"run", "add_one", "--input", f.dir + "/x.npy", "--output-dir", f.dir + "/out"}, {"bench", "add_one", "-n", "3"}}) {
    cmd.insert(cmd.begin(), {"--socket", absent});
    auto r = f.run(cmd);
    INFO(cmd[2] << ": " << r.out << r.err);
    CHECK(oneLineError(r));
    CHECK_THAT(r.err, Catch::StartsWith("inferctl: error: cannot reach inferd at unix:" + absent + ": "));
  }
}
