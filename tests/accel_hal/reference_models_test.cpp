// Conformance: the three MediaPipe reference models, run through the HAL's
// cpu device, match LiteRT's outputs (tests/data/golden, made by
// tools/make_goldens.py) within max|ours - ref| <= 1e-4 + 1e-3 * max|ref|.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../common/test_data.h"
#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"

using namespace inferd;
using namespace inferd::engine;

TEST_CASE("reference models match LiteRT", "[conformance]") {
  auto device = hal::createCpuDevice();
  for (const char* name : test::kReferenceModels) {
    INFO("model " << name);
    auto model = Model::load(test::testDataPath(std::string("models/") + name + ".tflite"));
    REQUIRE(model.isOk());
    auto prepared = device->prepare(model.value());
    if (!prepared.isOk()) FAIL(prepared.status().toString());
    hal::PreparedModel& pm = *prepared.value();

    std::vector<NpyArray> inputs;
    std::vector<hal::TensorView> views;
    for (size_t i = 0; i < pm.inputs().size(); ++i) {
      auto arr = readNpy(test::testDataPath(std::string("golden/") + name + "/input_" + std::to_string(i) + ".npy"));
      REQUIRE(arr.isOk());
      inputs.push_back(std::move(arr).value());
    }
    for (const NpyArray& a : inputs) views.push_back({a.type, a.dims, a.data.data(), a.data.size()});

    std::vector<hal::OwnedTensor> outputs;
    hal::ExecutionTiming timing;
    Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
    if (!s.isOk()) FAIL(s.toString());
    REQUIRE(outputs.size() == pm.outputs().size());
    for (size_t o = 0; o < outputs.size(); ++o) {
      auto ref = readNpy(test::testDataPath(std::string("golden/") + name + "/output_" + std::to_string(o) + ".npy"));
      REQUIRE(ref.isOk());
      INFO("output " << o << " '" << pm.outputs()[o].name << "'");
      REQUIRE(outputs[o].type == ElementType::kFloat32);
      REQUIRE(outputs[o].dims == ref->dims);
      const auto* ours = reinterpret_cast<const float*>(outputs[o].data.data());
      const float* theirs = ref->as<float>();
      const int64_t n = ref->numElements();
      double maxRef = 0, maxDiff = 0;
      for (int64_t i = 0; i < n; ++i) {
        maxRef = std::max(maxRef, std::fabs(static_cast<double>(theirs[i])));
        const double d = std::fabs(static_cast<double>(ours[i]) - theirs[i]);
        maxDiff = std::isnan(d) ? INFINITY : std::max(maxDiff, d);
      }
      const double tol = 1e-4 + 1e-3 * maxRef;
      std::printf("%-28s output %zu: max|diff| %.3g, tolerance %.3g (max|ref| %.3g)\n", name, o, maxDiff, tol, maxRef);
      CHECK(maxDiff <= tol);
    }
    std::printf("%-28s arena %zu bytes, compute %.2f ms\n", name, pm.workingBytes(),
                static_cast<double>(timing.computeNs) / 1e6);
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
