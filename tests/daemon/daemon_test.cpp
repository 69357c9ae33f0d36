// Daemon lifecycle without the network: configured models load at start;
// a re-read config (SIGHUP) loads new models, unloads dropped ones and keeps
// the others without reloading them; shutdown drains.
#include <catch2/catch.hpp>

#include "daemon_test_util.h"
#include "inferd/daemon/config.h"
#include "inferd/daemon/daemon.h"
#include "inferd/daemon/logging.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::Answer;
using inferd::test::Gate;
using inferd::test::TempDir;

namespace {

config::DaemonConfig parse(const std::string& text) {
  auto c = parseDaemonConfig(text, "test.conf");
  REQUIRE(c.isOk());
  return c.value();
}

}  // namespace

TEST_CASE("configured models load at start; SIGHUP's new config is applied without disturbing kept models",
          "[daemon]") {
  TempDir dir;
  for (const char* name : {"a", "b", "c"}) test::writeGateModel(dir.file(std::string(name) + ".tflite"));
  const std::string head = "model_dir: \"" + dir.path() + "\"\n";
  RegistryOptions options;
  options.resolver = &test::gateResolver();
  Daemon daemon(parse(head + "models { name: \"a\" }\nmodels { name: \"b\" }\nmodels { name: \"missing\" }\n"),
                options);
  const auto failed = daemon.loadConfiguredModels();
  CHECK(failed == std::vector<std::string>{"missing"});
  CHECK(daemon.registry().loadedModels() == std::vector<std::string>{"a", "b"});
  const engine::Model* aModel = daemon.registry().get("a").value()->model().get();

  // Loaded through the API, not by the config: SIGHUP leaves it alone.
  REQUIRE(daemon.backend().loadModel("c").isOk());

  auto result = daemon.applyConfig(
      parse(head + "models { name: \"a\" }\nmodels { name: \"missing\" }\nlog_level: \"warn\"\n"
                   "max_tensor_bytes: 1000\nsocket_path: \"/elsewhere.sock\"\n"));
  CHECK(result.kept == std::vector<std::string>{"a"});
  CHECK(result.unloaded == std::vector<std::string>{"b"});
  CHECK(result.failed == std::vector<std::string>{"missing"});
  CHECK(result.needsRestart == std::vector<std::string>{"socket_path"});
  CHECK(daemon.registry().loadedModels() == std::vector<std::string>{"a", "c"});
  // Kept means kept: the same loaded Model, not a reload.
  CHECK(daemon.registry().get("a").value()->model().get() == aModel);
  CHECK(daemon.registry().loadCount("a") == 1);
  CHECK(daemon.backend().maxTensorBytes() == 1000u);
  CHECK(spdlog::get("inferd")->level() == spdlog::level::warn);
  CHECK(daemon.config().socket_path() != "/elsewhere.sock");  // takes a restart

  // A model that appears in the repository and in the config loads.
  test::writeGateModel(dir.file("d/model.tflite"));
  dir.write("d/config.pbtxt", "workers: 2\n");
  auto second = daemon.applyConfig(parse(head + "models { name: \"a\" }\nmodels { name: \"d\" }\n"));
  CHECK(second.loaded == std::vector<std::string>{"d"});
  CHECK(daemon.registry().get("d").value()->scheduler().workerCount() == 2);
  CHECK(daemon.registry().get("a").value()->model().get() == aModel);
  setLogLevel(spdlog::level::info);
}

TEST_CASE("load_all_models loads the whole repository", "[daemon]") {
  TempDir dir;
  for (const char* name : {"x", "y"}) test::writeGateModel(dir.file(std::string(name) + ".tflite"));
  RegistryOptions options;
  options.resolver = &test::gateResolver();
  Daemon daemon(parse("model_dir: \"" + dir.path() + "\"\nload_all_models: true\n"), options);
  CHECK(daemon.loadConfiguredModels().empty());
  CHECK(daemon.registry().loadedModels() == std::vector<std::string>{"x", "y"});
  // Dropping load_all_models unloads what it had loaded.
  auto r = daemon.applyConfig(parse("model_dir: \"" + dir.path() + "\"\nmodels { name: \"y\" }\n"));
  CHECK(r.unloaded == std::vector<std::string>{"x"});
  CHECK(r.kept == std::vector<std::string>{"y"});
}

TEST_CASE("shutdown answers the requests in flight", "[daemon]") {
  Gate::instance().reset();
  TempDir dir;
  test::writeGateModel(dir.file("g.tflite"));
  RegistryOptions options;
  options.resolver = &test::gateResolver();
  Daemon daemon(parse("model_dir: \"" + dir.path() + "\"\nmodels { name: \"g\" }\n"), options);
  REQUIRE(daemon.loadConfiguredModels().empty());
  Gate::instance().close();
  std::vector<Answer> answers(4);
  for (size_t i = 0; i < answers.size(); ++i) {
    ipc::InferRequest r;
    r.model = "g";
    r.inputs.push_back(test::floatTensor(test::kGateInput, {1}, {i == 0 ? -1.0f : static_cast<float>(i)}));
    daemon.backend().infer(std::move(r), answers[i].callback());
  }
  std::thread stopper([&] { daemon.shutdown(); });
  REQUIRE(test::waitUntil([&] { return !daemon.backend().ready(); }));
  Answer late;
  ipc::InferRequest r;
  r.model = "g";
  r.inputs.push_back(test::floatTensor(test::kGateInput, {1}, {1}));
  daemon.backend().infer(std::move(r), late.callback());
  REQUIRE(late.wait());
  CHECK(late.code() == StatusCode::kUnavailable);
  Gate::instance().open();
  stopper.join();
  for (auto& a : answers) {
    REQUIRE(a.answered());
    CHECK(a.result().isOk());
  }
}
