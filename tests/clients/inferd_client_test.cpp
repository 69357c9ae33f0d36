// libinferd-client and inferctl against the real `inferd` on a temporary
// socket with tests/data/models: daemon answers equal local mode, load and
// unload through inferctl, bench, and the client reconnecting after the
// daemon is restarted (SIGTERM, start again on the same socket).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "../common/subprocess.h"
#include "../common/test_data.h"
#include "inferd/client/client.h"
#include "inferd/engine/npy.h"

namespace test = inferd::test;
using namespace inferd::client;

namespace {

// An inferd process on `socket`, stopped with SIGTERM.
class Daemon {
 public:
  Daemon(std::string socket, std::string logPath) : socket_(std::move(socket)), logPath_(std::move(logPath)) {}
  ~Daemon() { stop(); }

  bool start() {
    const char* exe = std::getenv("INFERD");  // set by meson
    REQUIRE(exe != nullptr);
    std::vector<std::string> argv = {exe, "--socket", socket_, "--model-dir", test::testDataPath("models"),
                                     "--model", "face_detection_short_range", "--log-level", "warn"};
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(logPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    // Ready when it answers, not merely when the socket file appears.
    auto c = Client::connect(socket_);
    for (int i = 0; i < 600; ++i) {
      if (std::filesystem::exists(socket_)) {
        auto live = c->serverReady();
        if (live.isOk() && *live) return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM; returns the exit code (-1 if it had to be killed).
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 400; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  std::string socket_, logPath_;
  pid_t pid_ = -1;
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
