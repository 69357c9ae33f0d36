// daemon::Backend: metadata from the model, request validation (each error
// names the model, the tensor, what was expected and what came), output
// selection, versions, statistics, shutting down.
#include <catch2/catch.hpp>

#include "daemon_test_util.h"
#include "inferd/daemon/backend.h"
#include "inferd/daemon/model_registry.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::Answer;

namespace {

const std::string kFace = "face_detection_short_range";

struct Fixture {
  ModelRegistry registry{ModelRepository(test::testDataPath("models")), config::DaemonConfig()};
  Backend backend{registry, BackendOptions{size_t{1} << 20, "9.9.9"}};
  Fixture() { REQUIRE(registry.load(kFace).isOk()); }

  ipc::InferRequest faceRequest() {
    ipc::InferRequest r;
    r.model = kFace;
    r.id = "req-1";
    r.inputs.push_back(test::floatTensor("input", {1, 128, 128, 3}, std::vector<float>(128 * 128 * 3, 0.5f)));
    return r;
  }

  Result<ipc::InferResponse> run(ipc::InferRequest r) {
    Answer a;
    backend.infer(std::move(r), a.callback());
    REQUIRE(a.wait());
    return a.result();
  }
};

}  // namespace

TEST_CASE("metadata comes from the model's main subgraph", "[backend]") {
  Fixture f;
  auto md = f.backend.modelMetadata(kFace, "");
  REQUIRE(md.isOk());
  CHECK(md->name == kFace);
  CHECK(md->versions == std::vector<std::string>{"1"});
  CHECK(md->platform == "tflite");
  CHECK(md->device == "cpu");
  REQUIRE(md->inputs.size() == 1);
  CHECK(md->inputs[0].name == "input");
  CHECK(md->inputs[0].type == engine::ElementType::kFloat32);
  CHECK(md->inputs[0].shape == std::vector<int64_t>{1, 128, 128, 3});
  REQUIRE(md->outputs.size() == 2);
  CHECK(md->outputs[0].shape == std::vector<int64_t>{1, 896, 16});
  CHECK(md->outputs[1].shape == std::vector<int64_t>{1, 896, 1});
  CHECK(f.backend.modelMetadata(kFace, "1").isOk());
  CHECK(f.backend.modelMetadata(kFace, "2").status().code() == StatusCode::kNotFound);
  CHECK(f.backend.modelMetadata("ghost", "").status().code() == StatusCode::kNotFound);
  CHECK(f.backend.modelMetadata("hand_landmark_lite", "").status().code() == StatusCode::kUnavailable);
  CHECK(f.backend.modelReady(kFace, ""));
  CHECK_FALSE(f.backend.modelReady("hand_landmark_lite", ""));
  CHECK(f.backend.serverInfo().version == "9.9.9");
  CHECK(f.backend.live());
  CHECK(f.backend.ready());
}

TEST_CASE("inference answers with all outputs, or the requested ones in the requested order", "[backend]") {
  Fixture f;
  auto all = f.run(f.faceRequest());
  REQUIRE(all.isOk());
  CHECK(all->id == "req-1");
  CHECK(all->model == kFace);
  CHECK(all->version == "1");
  REQUIRE(all->outputs.size() == 2);
  auto md = f.backend.modelMetadata(kFace, "").value();
  CHECK(all->outputs[0].name == md.outputs[0].name);
  CHECK(all->outputs[0].dims == engine::Dims{1, 896, 16});
  CHECK(all->outputs[0].data.size() == 896 * 16 * 4);
  CHECK(all->computeNs > 0);

  auto req = f.faceRequest();
  req.outputs = {md.outputs[1].name, md.outputs[0].name};
  auto picked = f.run(std::move(req));
  REQUIRE(picked.isOk());
  REQUIRE(picked->outputs.size() == 2);
  CHECK(picked->outputs[0].name == md.outputs[1].name);
  CHECK(picked->outputs[0].data == all->outputs[1].data);
  CHECK(picked->outputs[1].data == all->outputs[0].data);

  auto stats = f.backend.statistics(kFace, "");
  REQUIRE(stats.isOk());
  REQUIRE(stats->size() == 1);
  CHECK(stats->at(0).successCount == 2);
  CHECK(stats->at(0).computeNs > 0);
  CHECK(stats->at(0).lastInferenceMs > 0);
  auto allStats = f.backend.statistics("", "");
  REQUIRE(allStats.isOk());
  CHECK(allStats->size() == 1);
  CHECK(f.backend.statistics("ghost", "").status().code() == StatusCode::kNotFound);
}

TEST_CASE("bad requests are refused before they reach a worker, with names and values", "[backend]") {
  Fixture f;
  auto expectError = [&](ipc::InferRequest r, StatusCode code, std::vector<std::string> words) {
    auto result = f.run(std::move(r));
    REQUIRE_FALSE(result.isOk());
    CHECK(result.status().code() == code);
    for (const auto& w : words) CHECK_THAT(result.status().message(), Catch::Contains(w));
  };
  SECTION("unknown model") {
    auto r = f.faceRequest();
    r.model = "ghost";
    expectError(std::move(r), StatusCode::kNotFound, {"ghost"});
  }
  SECTION("model not loaded") {
    auto r = f.faceRequest();
    r.model = "selfie_segmentation";
    expectError(std::move(r), StatusCode::kUnavailable, {"selfie_segmentation", "not loaded"});
  }
  SECTION("unknown version") {
    auto r = f.faceRequest();
    r.version = "7";
    expectError(std::move(r), StatusCode::kNotFound, {kFace, "'7'"});
  }
  SECTION("unknown input") {
    auto r = f.faceRequest();
    r.inputs[0].name = "image";
    expectError(std::move(r), StatusCode::kNotFound, {kFace, "'image'", "'input'"});
  }
  SECTION("missing input") {
    auto r = f.faceRequest();
    r.inputs.clear();
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "missing input 'input'", "[1, 128, 128, 3]"});
  }
  SECTION("input given twice") {
    auto r = f.faceRequest();
    r.inputs.push_back(r.inputs[0]);
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "twice"});
  }
  SECTION("wrong datatype") {
    auto r = f.faceRequest();
    r.inputs[0].type = engine::ElementType::kInt32;
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "'input'", "FLOAT32", "INT32"});
  }
  SECTION("wrong shape") {
    auto r = f.faceRequest();
    r.inputs[0].dims = {1, 3, 128, 128};
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "'input'", "[1, 128, 128, 3]", "[1, 3, 128, 128]"});
  }
  SECTION("wrong byte size") {
    auto r = f.faceRequest();
    r.inputs[0].data.resize(100);
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "'input'", "196608", "100"});
  }
  SECTION("over the tensor size limit") {
    auto r = f.faceRequest();
    r.inputs[0].data.resize((size_t{1} << 20) + 4);
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "'input'", "max_tensor_bytes", "1048576"});
  }
  SECTION("unknown output") {
    auto r = f.faceRequest();
    r.outputs = {"scores"};
    expectError(std::move(r), StatusCode::kNotFound, {kFace, "'scores'"});
  }
  SECTION("negative timeout") {
    auto r = f.faceRequest();
    r.timeoutMicros = -1;
    expectError(std::move(r), StatusCode::kInvalidArgument, {kFace, "timeout"});
  }
  // None of these ran the model.
  CHECK(f.backend.statistics(kFace, "")->at(0).executionCount == 0);
}

TEST_CASE("the backend drives the registry: load, unload, index", "[backend]") {
  Fixture f;
  CHECK(f.backend.loadModel("hand_landmark_lite").isOk());
  CHECK(f.backend.modelReady("hand_landmark_lite", ""));
  const auto ready = f.backend.repositoryIndex(true);
  REQUIRE(ready.size() == 2);
  CHECK(f.backend.repositoryIndex(false).size() == 3);
  CHECK(f.backend.unloadModel("hand_landmark_lite").isOk());
  CHECK_FALSE(f.backend.modelReady("hand_landmark_lite", ""));
  CHECK(f.backend.loadModel("ghost").code() == StatusCode::kNotFound);
}

TEST_CASE("shutting down: not ready, new requests UNAVAILABLE", "[backend]") {
  Fixture f;
  f.backend.setShuttingDown();
  CHECK_FALSE(f.backend.ready());
  CHECK(f.backend.live());
  CHECK_FALSE(f.backend.modelReady(kFace, ""));
  auto r = f.run(f.faceRequest());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK(f.backend.loadModel(kFace).code() == StatusCode::kUnavailable);
}

TEST_CASE("the largest request worth decoding follows the models served", "[backend][memory]") {
  Fixture f;
  const size_t face = 128 * 128 * 3 * sizeof(float);
  CHECK(f.backend.maxRequestBytes() == face + face / 16 + 64 * 1024);
  REQUIRE(f.registry.load("selfie_segmentation").isOk());  // [1,256,256,3] float: larger
  const size_t selfie = 256 * 256 * 3 * sizeof(float);
  CHECK(f.backend.maxRequestBytes() == selfie + selfie / 16 + 64 * 1024);
  REQUIRE(f.registry.unload("selfie_segmentation").isOk());
  CHECK(f.backend.maxRequestBytes() == face + face / 16 + 64 * 1024);
  // max_tensor_bytes caps what one input counts for.
  f.backend.setMaxTensorBytes(1000);
  CHECK(f.backend.maxRequestBytes() == 1000 + 1000 / 16 + 64 * 1024);
}
