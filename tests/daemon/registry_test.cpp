// Model registry: each model loaded once and shared by its workers and all
// clients; reference-counted unload and reload with requests in flight;
// unload during load; repository index states and statistics.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "daemon_test_util.h"
#include "inferd/daemon/backend.h"
#include "inferd/daemon/config.h"
#include "inferd/daemon/model_registry.h"
#include "inferd/engine/npy.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::Answer;
using inferd::test::Gate;
using inferd::test::TempDir;
using inferd::test::waitUntil;

namespace {

config::DaemonConfig configWithWorkers(int workers) {
  config::DaemonConfig c;
  c.mutable_model_defaults()->set_workers(workers);
  return c;
}

ipc::InferRequest gateRequest(float v, const std::string& model = "gate") {
  ipc::InferRequest r;
  r.model = model;
  r.id = std::to_string(static_cast<int>(v));
  r.inputs.push_back(test::floatTensor(test::kGateInput, {1}, {v}));
  return r;
}

std::string stateOf(const ModelRegistry& registry, const std::string& name, std::string* reason = nullptr) {
  for (const auto& e : registry.index(false)) {
    if (e.name == name) {
      if (reason) *reason = e.reason;
      return e.state;
    }
  }
  return "(absent)";
}

// A fresh folder holding the gate model (its kernel blocks while the gate is
// closed), with the gate reset to open.
struct GateRepository : TempDir {
  GateRepository() {
    Gate::instance().reset();
    test::writeGateModel(file("gate.tflite"));
  }
};

RegistryOptions gateOptions() {
  RegistryOptions options;
  options.resolver = &test::gateResolver();
  return options;
}

// A one-worker registry over a GateRepository with a backend in front, the
// gate model loaded.
struct GateRegistry {
  GateRepository dir;
  ModelRegistry registry{ModelRepository(dir.path()), configWithWorkers(1), gateOptions()};
  Backend backend{registry, BackendOptions{}};
  GateRegistry() { REQUIRE(registry.load("gate").isOk()); }
};

}  // namespace

TEST_CASE("a model is loaded once and every worker shares the same engine::Model", "[registry]") {
  test::RecordingDevice device;
  RegistryOptions options;
  options.device = &device;
  ModelRegistry registry(ModelRepository(test::testDataPath("models")), configWithWorkers(2), options);
  Backend backend(registry, BackendOptions{});
  const std::string name = "face_detection_short_range";

  REQUIRE(registry.load(name).isOk());
  auto instance = registry.get(name);
  REQUIRE(instance.isOk());
  const engine::Model* model = (*instance)->model().get();
  const auto prepared = device.prepared();
  REQUIRE(prepared.size() == 2);  // two workers...
  CHECK(prepared[0] == model);    // ...over the one loaded Model
  CHECK(prepared[1] == model);
  CHECK((*instance)->scheduler().workerCount() == 2);
  CHECK(registry.loadCount(name) == 1);

  // Every client gets the same instance, and inference through the backend
  // from many threads matches LiteRT's golden output.
  auto input = engine::readNpy(test::testDataPath("golden/" + name + "/input_0.npy"));
  auto golden = engine::readNpy(test::testDataPath("golden/" + name + "/output_0.npy"));
  REQUIRE(input.isOk());
  REQUIRE(golden.isOk());
  const auto& md = (*instance)->metadata();
  constexpr int kClients = 4;
  std::vector<Answer> answers(kClients);
  std::vector<std::thread> clients;
  std::atomic<int> sameInstance{0};  // Catch's macros are not thread-safe
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      if (registry.get(name)->get() == instance->get()) ++sameInstance;
      ipc::InferRequest r;
      r.model = name;
      ipc::Tensor t;
      t.name = md.inputs[0].name;
      t.type = input->type;
      t.dims = input->dims;
      t.data = input->data;
      r.inputs.push_back(std::move(t));
      r.outputs = {md.outputs[0].name};
      backend.infer(std::move(r), answers[c].callback());
    });
  }
  for (auto& t : clients) t.join();
  CHECK(sameInstance == kClients);
  const auto* ref = reinterpret_cast<const float*>(golden->data.data());
  const size_t n = golden->data.size() / sizeof(float);
  for (auto& a : answers) {
    REQUIRE(a.wait());
    REQUIRE(a.result().isOk());
    const ipc::Tensor& out = a.result()->outputs.at(0);
    REQUIRE(out.data.size() == golden->data.size());
    const auto* got = reinterpret_cast<const float*>(out.data.data());
    float maxRef = 0, maxDiff = 0;
    for (size_t i = 0; i < n; ++i) {
      maxRef = std::max(maxRef, std::abs(ref[i]));
      maxDiff = std::max(maxDiff, std::abs(got[i] - ref[i]));
    }
    CHECK(maxDiff <= 1e-4f + 1e-3f * maxRef);
  }
  CHECK(registry.loadCount(name) == 1);
  CHECK(device.prepared().size() == 2);  // no new preparation per request
  auto stats = registry.statistics(name);
  REQUIRE(stats.isOk());
  CHECK(stats->at(0).successCount == kClients);
}

TEST_CASE("unload lets the request in flight finish on the version it started with", "[registry]") {
  GateRegistry gate;
  ModelRegistry& registry = gate.registry;
  Backend& backend = gate.backend;
  std::weak_ptr<const engine::Model> model = registry.get("gate").value()->model();

  Gate::instance().close();
  Answer running, queued;
  backend.infer(gateRequest(-1), running.callback());
  REQUIRE(waitUntil([&] { return registry.get("gate").isOk() && registry.get("gate").value()->scheduler().running() == 1; }));
  backend.infer(gateRequest(5), queued.callback());

  Status unloadStatus;
  std::thread unloader([&] { unloadStatus = registry.unload("gate"); });
  REQUIRE(waitUntil([&] { return stateOf(registry, "gate") == "UNLOADING"; }));
  // Gone for new requests at once...
  Answer late;
  backend.infer(gateRequest(6), late.callback());
  REQUIRE(late.wait());
  CHECK(late.code() == StatusCode::kUnavailable);
  CHECK_FALSE(backend.modelReady("gate", ""));
  // ...but the model stays alive while requests use it.
  CHECK_FALSE(running.answered());
  CHECK_FALSE(model.expired());

  Gate::instance().open();
  unloader.join();
  CHECK(unloadStatus.isOk());
  REQUIRE(running.answered());
  REQUIRE(queued.answered());
  CHECK(running.result().isOk());
  REQUIRE(queued.result().isOk());
  CHECK(test::firstFloat(queued.result()->outputs.at(0)) == 10.0f);
  CHECK(stateOf(registry, "gate") == "UNAVAILABLE");
  CHECK(model.expired());  // the last reference went with the last request
  CHECK(registry.get("gate").status().code() == StatusCode::kUnavailable);
  CHECK(registry.unload("gate").isOk());  // unloading again is harmless
  CHECK(registry.unload("ghost").code() == StatusCode::kNotFound);
}

TEST_CASE("reload: new requests go to the new version, in-flight ones finish on the old", "[registry]") {
  GateRegistry gate;
  ModelRegistry& registry = gate.registry;
  Backend& backend = gate.backend;
  auto first = registry.get("gate").value();
  CHECK(first->generation() == 1);

  Gate::instance().close();
  Answer inFlight;
  backend.infer(gateRequest(-1), inFlight.callback());
  REQUIRE(waitUntil([&] { return first->scheduler().running() == 1; }));

  Status reloadStatus;
  std::thread reloader([&] { reloadStatus = registry.load("gate"); });
  REQUIRE(waitUntil([&] { return registry.get("gate").value().get() != first.get(); }));
  auto second = registry.get("gate").value();
  CHECK(second->generation() == 2);
  CHECK(second->model().get() != first->model().get());

  // The new version serves while the old one is still busy.
  Answer fresh;
  backend.infer(gateRequest(3), fresh.callback());
  REQUIRE(fresh.wait());
  REQUIRE(fresh.result().isOk());
  CHECK(test::firstFloat(fresh.result()->outputs.at(0)) == 6.0f);
  CHECK_FALSE(inFlight.answered());

  Gate::instance().open();
  reloader.join();
  CHECK(reloadStatus.isOk());
  REQUIRE(inFlight.answered());
  CHECK(inFlight.result().isOk());
  CHECK_FALSE(first->scheduler().accepting());
  CHECK(stateOf(registry, "gate") == "READY");
  CHECK(registry.loadCount("gate") == 2);
}

TEST_CASE("unload during load cancels the load safely", "[registry]") {
  GateRepository dir;
  std::mutex mu;
  std::condition_variable cv;
  bool inHook = false, release = false;
  RegistryOptions options = gateOptions();
  options.beforePublish = [&](const std::string&) {
    std::unique_lock<std::mutex> lock(mu);
    inHook = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
  };
  ModelRegistry registry(ModelRepository(dir.path()), configWithWorkers(2), options);

  Status loadStatus;
  std::thread loader([&] { loadStatus = registry.load("gate"); });
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return inHook; }));
  }
  CHECK(stateOf(registry, "gate") == "LOADING");
  CHECK(registry.get("gate").status().code() == StatusCode::kUnavailable);

  CHECK(registry.unload("gate").isOk());  // returns at once: nothing is serving yet
  std::string reason;
  CHECK(stateOf(registry, "gate", &reason) == "UNAVAILABLE");
  CHECK(reason == "unloaded");
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  loader.join();

  CHECK(loadStatus.code() == StatusCode::kUnavailable);
  CHECK_THAT(loadStatus.message(), Catch::Contains("unloaded while it was loading"));
  CHECK(registry.get("gate").status().code() == StatusCode::kUnavailable);
  CHECK(registry.loadCount("gate") == 0);
  CHECK(registry.loadedModels().empty());

  // A later load works normally.
  REQUIRE(registry.load("gate").isOk());
  CHECK(stateOf(registry, "gate") == "READY");
  CHECK(registry.loadCount("gate") == 1);
}

TEST_CASE("the repository index reports states and load errors", "[registry]") {
  TempDir dir;
  test::writeGateModel(dir.file("gate.tflite"));
  dir.write("broken.tflite", "this is not a flatbuffer");
  test::writeGateModel(dir.file("badcfg/model.tflite"));
  dir.write("badcfg/config.pbtxt", "workers: 0\n");
  test::writeGateModel(dir.file("nogate.tflite"));  // GATE is unknown without the test resolver
  RegistryOptions options;
  options.resolver = &test::gateResolver();
  ModelRegistry registry(ModelRepository(dir.path()), config::DaemonConfig(), options);

  REQUIRE(registry.load("gate").isOk());
  Status broken = registry.load("broken");
  CHECK_FALSE(broken.isOk());
  CHECK_THAT(broken.message(), Catch::Contains("broken.tflite"));
  Status badcfg = registry.load("badcfg");
  CHECK(badcfg.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(badcfg.message(), Catch::Contains("config.pbtxt:1:1: workers: 0 is out of range"));
  CHECK(registry.load("ghost").code() == StatusCode::kNotFound);

  const auto index = registry.index(false);
  REQUIRE(index.size() == 4);
  CHECK(index[0].name == "badcfg");
  CHECK(index[0].state == "UNAVAILABLE");
  CHECK_THAT(index[0].reason, Catch::Contains("workers"));
  CHECK(index[1].name == "broken");
  CHECK(index[1].state == "UNAVAILABLE");
  CHECK_FALSE(index[1].reason.empty());
  CHECK(index[2].name == "gate");
  CHECK(index[2].state == "READY");
  CHECK(index[2].version == "1");
  CHECK(index[3].name == "nogate");
  CHECK(index[3].reason == "not loaded");
  const auto ready = registry.index(true);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].name == "gate");

  // A model config file shapes the scheduler.
  dir.write("badcfg/config.pbtxt", "workers: 3\nqueue_size: 9\n");
  REQUIRE(registry.load("badcfg").isOk());
  auto inst = registry.get("badcfg");
  REQUIRE(inst.isOk());
  CHECK((*inst)->scheduler().workerCount() == 3);
  CHECK((*inst)->scheduler().options().queueSize == 9u);
}

TEST_CASE("stop answers queued requests and refuses loads", "[registry]") {
  GateRegistry gate;
  ModelRegistry& registry = gate.registry;
  Backend& backend = gate.backend;
  Gate::instance().close();
  Answer a, b;
  backend.infer(gateRequest(-1), a.callback());
  backend.infer(gateRequest(2), b.callback());
  std::thread stopper([&] { registry.stop(); });
  REQUIRE(waitUntil([&] { return registry.load("gate").code() == StatusCode::kUnavailable; }));
  Gate::instance().open();
  stopper.join();
  REQUIRE(a.answered());
  REQUIRE(b.answered());
  CHECK(a.result().isOk());
  CHECK(b.result().isOk());
}

TEST_CASE("a model whose arena passes max_arena_bytes fails to load with the sizes", "[registry]") {
  config::DaemonConfig c;
  c.mutable_model_defaults()->set_max_arena_bytes(1000000);  // face detection needs 1.57 MB
  ModelRegistry registry(ModelRepository(test::testDataPath("models")), c);
  const Status s = registry.load("face_detection_short_range");
  REQUIRE_FALSE(s.isOk());
  CHECK(s.code() == StatusCode::kResourceExhausted);
  CHECK_THAT(s.message(), Catch::Contains("more than the limit of 1000000 bytes (max_arena_bytes)"));
  std::string reason;
  CHECK(stateOf(registry, "face_detection_short_range", &reason) == "UNAVAILABLE");
  CHECK_THAT(reason, Catch::Contains("max_arena_bytes"));

  c.mutable_model_defaults()->set_max_arena_bytes(0);  // no limit
  registry.setConfig(c);
  CHECK(registry.load("face_detection_short_range").isOk());
}

TEST_CASE("models are placed on devices: pinned, strict, measured", "[registry][placement]") {
  // The conformance LSTM: OpenCL runs its elementwise ops, not the rest.
  TempDir repo;
  std::filesystem::copy_file(test::testDataPath("arch_models/lstm_classifier_fp32/model.tflite"),
                             repo.file("lstm.tflite"));
  config::DaemonConfig c;
  c.set_opencl_types("gpu,accelerator,cpu");  // PoCL is a cpu-type device
  ModelRegistry registry(ModelRepository(repo.path()), c);
  const bool haveOpenCl = registry.deviceManager() != nullptr && registry.deviceManager()->find("opencl") != nullptr;
  if (std::getenv("INFERD_REQUIRE_OPENCL") != nullptr) REQUIRE(haveOpenCl);

  // Measured (no device set): on PoCL the cpu wins; without OpenCL there is only the cpu.
  REQUIRE(registry.load("lstm").isOk());
  CHECK(registry.get("lstm").value()->metadata().device == "cpu");

  if (haveOpenCl) {
    c.mutable_model_defaults()->set_device("opencl");
    registry.setConfig(c);
    REQUIRE(registry.load("lstm").isOk());
    CHECK(registry.get("lstm").value()->metadata().device == "cpu+opencl");
    c.mutable_model_defaults()->set_strict(true);
    registry.setConfig(c);
    const Status s = registry.load("lstm");
    REQUIRE_FALSE(s.isOk());
    CHECK(s.code() == StatusCode::kUnsupported);
    CHECK_THAT(s.message(), Catch::Contains("cannot run on opencl (strict)") && Catch::Contains("(UNPACK)"));
  }
  c.mutable_model_defaults()->set_device("");
  c.mutable_model_defaults()->set_strict(true);
  registry.setConfig(c);
  CHECK_THAT(registry.load("lstm").message(), Catch::Contains("strict needs a device"));
  c.mutable_model_defaults()->set_device("npu9");
  c.mutable_model_defaults()->set_strict(false);
  registry.setConfig(c);
  CHECK_THAT(registry.load("lstm").message(), Catch::Contains("no device named 'npu9'"));
}
