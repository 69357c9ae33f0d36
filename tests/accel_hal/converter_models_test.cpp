// Conformance on converter-produced float models: every .tflite in
// tests/data/converter_models (made by tools/make_float_models.py from Keras
// with random weights, fp32 and fp16-weight variants), run through the HAL's
// cpu device, matches LiteRT's outputs in tests/data/converter_golden within
// max|ours - ref| <= 1e-4 + 1e-3 * max|ref|. The list is the folder, so a
// model added by the script is tested without touching this file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "../common/test_data.h"
#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"

using namespace inferd;
using namespace inferd::engine;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> converterModels() {
  std::vector<std::string> names;
  const fs::path dir = test::testDataPath("converter_models");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".tflite") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("converter-produced float models match LiteRT", "[conformance]") {
  const std::vector<std::string> names = converterModels();
  REQUIRE(!names.empty());
  auto device = hal::createCpuDevice();
  for (const std::string& name : names) {
    DYNAMIC_SECTION("model " << name) {
      const std::string golden = "converter_golden/" + name + "/";
      auto model = Model::load(test::testDataPath("converter_models/" + name + ".tflite"));
      if (!model.isOk()) FAIL(model.status().toString());
      auto prepared = device->prepare(model.value());
      if (!prepared.isOk()) FAIL(prepared.status().toString());
      hal::PreparedModel& pm = *prepared.value();

      std::vector<NpyArray> inputs;
      std::vector<hal::TensorView> views;
      for (size_t i = 0; i < pm.inputs().size(); ++i) {
        auto arr = readNpy(test::testDataPath(golden + "input_" + std::to_string(i) + ".npy"));
        if (!arr.isOk()) FAIL(arr.status().toString());
        inputs.push_back(std::move(arr).value());
      }
      for (const NpyArray& a : inputs) views.push_back({a.type, a.dims, a.data.data(), a.data.size()});
      // The golden folder must not hold more outputs than the model has.
      CHECK_FALSE(fs::exists(test::testDataPath(golden + "output_" + std::to_string(pm.outputs().size()) + ".npy")));

      std::vector<hal::OwnedTensor> outputs;
      hal::ExecutionTiming timing;
      Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
      if (!s.isOk()) FAIL(s.toString());
      REQUIRE(outputs.size() == pm.outputs().size());
      for (size_t o = 0; o < outputs.size(); ++o) {
        auto ref = readNpy(test::testDataPath(golden + "output_" + std::to_string(o) + ".npy"));
        if (!ref.isOk()) FAIL(ref.status().toString());
        INFO("output " << o << " '" << pm.outputs()[o].name << "'");
        REQUIRE(outputs[o].type == ElementType::kFloat32);
        REQUIRE(ref->type == ElementType::kFloat32);
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
        std::printf("%-28s output %zu: max|diff| %.3g, tolerance %.3g (max|ref| %.3g)\n", name.c_str(), o,
                    maxDiff, tol, maxRef);
        CHECK(maxDiff <= tol);
      }
      std::printf("%-28s arena %zu bytes, compute %.2f ms\n", name.c_str(), pm.workingBytes(),
                  static_cast<double>(timing.computeNs) / 1e6);
    }
  }
}
