// libinferd-client and inferctl against the real `inferd` on a temporary
// socket with tests/data/models: daemon answers equal local mode, load and
// unload through inferctl, bench, and the client reconnecting after the
// daemon is restarted (SIGTERM, start again on the same socket).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "../common/inferd_process.h"
#include "../common/subprocess.h"
#include "../common/test_data.h"
#include "inferd/client/client.h"
#include "inferd/engine/npy.h"

namespace test = inferd::test;
using namespace inferd::client;

namespace {

// inferd on `socket` with face_detection_short_range loaded; every start
// appends to the same log.
class Daemon {
 public:
  Daemon(std::string socket, std::string logPath) : socket_(std::move(socket)), logPath_(std::move(logPath)) {}

  bool start() {
    process_.start({"--socket", socket_, "--model-dir", test::testDataPath("models"), "--model",
                    "face_detection_short_range", "--log-level", "warn"},
                   logPath_, true);
    return process_.waitListening(socket_);
  }
  // SIGTERM; returns the exit code (-1 if it had to be killed).
  int stop() { return process_.stop(std::chrono::seconds(10)); }

 private:
  std::string socket_, logPath_;
  test::InferdProcess process_;
};

test::ProcessResult ctl(std::vector<std::string> args, const std::string& dir) {
  const char* inferctl = std::getenv("INFERCTL");
  REQUIRE(inferctl != nullptr);
  args.insert(args.begin(), inferctl);
  return test::runProcess(args, 120, dir);
}

void checkClose(const std::string& a, const std::string& b) {
  auto x = inferd::engine::readNpy(a);
  auto y = inferd::engine::readNpy(b);
  REQUIRE(x.isOk());
  REQUIRE(y.isOk());
  REQUIRE(x->type == y->type);
  REQUIRE(x->dims == y->dims);
  REQUIRE(x->type == inferd::engine::ElementType::kFloat32);
  double maxRef = 0, maxDiff = 0;
  for (int64_t k = 0; k < x->numElements(); ++k) {
    maxRef = std::max(maxRef, std::fabs(double(y->as<float>()[k])));
    maxDiff = std::max(maxDiff, std::fabs(double(x->as<float>()[k]) - y->as<float>()[k]));
  }
  INFO(a << " vs " << b << ": max diff " << maxDiff);
  CHECK(maxDiff <= 1e-6 * (1 + maxRef));
}

}  // namespace

TEST_CASE("inferctl and the client library against a real inferd", "[inferd]") {
  const std::string dir = test::makeTempDir("inferd-client");
  const std::string socket = dir + "/inferd.sock";
  Daemon daemon(socket, dir + "/inferd.log");
  if (!daemon.start()) FAIL("inferd did not start: " << test::readAll(dir + "/inferd.log"));

  auto models = ctl({"--socket", socket, "models"}, dir);
  REQUIRE(models.exitCode == 0);
  CHECK_THAT(models.out, Catch::Contains("face_detection_short_range  1") && Catch::Contains("hand_landmark_lite"));

  // face: loaded at start; hand: loaded through inferctl.
  auto load = ctl({"--socket", socket, "load", "hand_landmark_lite"}, dir);
  INFO(load.out << load.err);
  REQUIRE(load.exitCode == 0);

  struct Case {
    std::string model, input;
    int outputs;
  };
  for (const Case& c : {Case{"face_detection_short_range", "input", 2}, Case{"hand_landmark_lite", "input_1", 4}}) {
    const std::string input = test::testDataPath("golden/" + c.model + "/input_0.npy");
    auto viaDaemon = ctl({"--socket", socket, "run", c.model, "--input", c.input + "=" + input, "--output-dir",
                          dir + "/daemon_" + c.model},
                         dir);
    INFO(viaDaemon.out << viaDaemon.err);
    REQUIRE(viaDaemon.exitCode == 0);
    auto local = ctl({"run", test::testDataPath("models/" + c.model + ".tflite"), "--local", "--input",
                      c.input + "=" + input, "--output-dir", dir + "/local_" + c.model},
                     dir);
    REQUIRE(local.exitCode == 0);
    for (int i = 0; i < c.outputs; ++i) {
      const std::string name = "/output_" + std::to_string(i) + ".npy";
      checkClose(dir + "/daemon_" + c.model + name, dir + "/local_" + c.model + name);
    }
  }

  auto bench = ctl({"--socket", socket, "bench", "face_detection_short_range", "-n", "40", "-c", "4", "--json"}, dir);
  INFO(bench.out << bench.err);
  REQUIRE(bench.exitCode == 0);
  CHECK_THAT(bench.out, Catch::Contains("\"count\": 40, \"errors\": 0"));

  auto status = ctl({"--socket", socket, "status"}, dir);
  REQUIRE(status.exitCode == 0);
  CHECK_THAT(status.out, Catch::Contains("live: yes, ready: yes"));
  CHECK_THAT(status.out, Catch::Matches("(.|\n)*face_detection_short_range +1 +READY +41 +41 +0 (.|\n)*"));

  auto unload = ctl({"--socket", socket, "unload", "hand_landmark_lite"}, dir);
  REQUIRE(unload.exitCode == 0);
  auto gone = ctl({"--socket", socket, "run", "hand_landmark_lite", "--input", "x.npy", "--output-dir", dir}, dir);
  CHECK(gone.exitCode == 1);
  CHECK_THAT(gone.err, Catch::Contains("hand_landmark_lite"));

  // The client library: metadata and inference on zeros, then a restart.
  auto client = Client::connect(socket);
  REQUIRE(client.isOk());
  auto meta = client->modelMetadata("face_detection_short_range");
  REQUIRE(meta.isOk());
  REQUIRE(meta->inputs.size() == 1);
  CHECK(meta->inputs[0].shape == std::vector<int64_t>{1, 128, 128, 3});
  const Tensor zeros = Tensor::zeros(meta->inputs[0].name, meta->inputs[0].type, meta->inputs[0].shape);
  auto before = client->infer("face_detection_short_range", {zeros});
  REQUIRE(before.isOk());
  REQUIRE(before->outputs.size() == 2);
  REQUIRE(before->output("classificators") != nullptr);
  auto scores = before->output("classificators")->span<float>();
  REQUIRE(scores.isOk());
  CHECK(scores->size() == 896);

  CHECK(daemon.stop() == 0);
  auto down = client->infer("face_detection_short_range", {zeros});
  CHECK(down.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(down.status().message(), Catch::Contains("cannot reach inferd at unix:" + socket));
  if (!daemon.start()) FAIL("inferd did not restart: " << test::readAll(dir + "/inferd.log"));
  auto after = client->infer("face_detection_short_range", {zeros});
  INFO(after.status().toString());
  REQUIRE(after.isOk());
  CHECK(after->output("classificators")->bytes == before->output("classificators")->bytes);
  CHECK(after->output("regressors")->bytes == before->output("regressors")->bytes);

  CHECK(daemon.stop() == 0);
  std::filesystem::remove_all(dir);
}
