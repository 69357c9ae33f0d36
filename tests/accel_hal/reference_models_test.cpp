// Conformance: the three MediaPipe reference models, run through the HAL's
// cpu device, match LiteRT's outputs (tests/data/golden, made by
// tools/make_goldens.py) within max|ours - ref| <= 1e-4 + 1e-3 * max|ref|.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../common/golden_check.h"

using namespace inferd;
using namespace inferd::engine;

TEST_CASE("reference models match LiteRT", "[conformance]") {
  auto device = hal::createCpuDevice();
  for (const char* name : test::kReferenceModels) {
    test::checkAgainstGolden(*device, test::testDataPath(std::string("models/") + name + ".tflite"),
                             std::string("golden/") + name + "/", name);
  }
}

TEST_CASE("the cpu device validates request inputs", "[hal]") {
  auto device = hal::createCpuDevice();
  auto model = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(model.isOk());
  auto prepared = device->prepare(model.value());
  REQUIRE(prepared.isOk());
  hal::PreparedModel& pm = *prepared.value();
  std::vector<hal::OwnedTensor> out;
  std::vector<float> data(128 * 128 * 3);
  SECTION("wrong count") {
    Status s = pm.execute({}, &out);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("1 inputs"));
  }
  SECTION("wrong shape") {
    Status s = pm.execute({{ElementType::kFloat32, {1, 64, 64, 3}, data.data(), 64 * 64 * 12}}, &out);
    CHECK_THAT(s.message(), Catch::Contains("expected shape [1, 128, 128, 3]"));
  }
  SECTION("wrong type") {
    Status s = pm.execute({{ElementType::kInt8, {1, 128, 128, 3}, data.data(), data.size()}}, &out);
    CHECK_THAT(s.message(), Catch::Contains("expected type FLOAT32"));
  }
  SECTION("expired deadline") {
    hal::Deadline past{std::chrono::steady_clock::now() - std::chrono::seconds(1)};
    Status s = pm.execute({{ElementType::kFloat32, {1, 128, 128, 3}, data.data(), data.size() * 4}}, &out, past);
    CHECK(s.code() == StatusCode::kDeadlineExceeded);
  }
  SECTION("supportedOps answers per op") {
    auto support = device->supportedOps(*model.value());
    CHECK(support.size() == model.value()->mainSubgraph().operators.size());
    CHECK(std::all_of(support.begin(), support.end(), [](const hal::OpSupport& s) { return s.supported; }));
  }
}

TEST_CASE("the cpu device resets LSTM state between executions unless asked to keep it", "[hal]") {
  // control_flow/lstm: a Keras LSTM converted to UNIDIRECTIONAL_SEQUENCE_LSTM,
  // whose state tensors are TFLite variables that invoke() updates.
  auto model = Model::load(test::testDataPath("control_flow/lstm.tflite"));
  REQUIRE(model.isOk());
  auto input = readNpy(test::testDataPath("control_flow/lstm/in_serving_default_seq_0.npy"));
  REQUIRE(input.isOk());
  auto device = hal::createCpuDevice();
  auto runTwice = [&](bool keepState) {
    hal::PrepareOptions options;
    options.keepState = keepState;
    auto prepared = device->prepare(model.value(), options);
    REQUIRE(prepared.isOk());
    std::vector<std::vector<uint8_t>> answers;
    for (int run = 0; run < 2; ++run) {
      std::vector<hal::OwnedTensor> out;
      Status s = (*prepared)->execute(
          {{input->type, input->dims, input->data.data(), input->data.size()}}, &out);
      REQUIRE(s.isOk());
      REQUIRE(out.size() == 1);
      answers.push_back(out[0].data);
    }
    return answers;
  };
  const auto fresh = runTwice(false);
  CHECK(fresh[0] == fresh[1]);  // the same request gets the same answer
  const auto kept = runTwice(true);
  CHECK(kept[0] == fresh[0]);   // the first run starts from zero state either way
  CHECK(kept[1] != kept[0]);    // the second starts from the first run's final state
}
