// Runs a model through a HAL device on its committed golden inputs and
// checks every output against LiteRT's: max|ours - ref| <= 1e-4 + 1e-3*max|ref|
// (float outputs). Shared by the conformance tests.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"
#include "test_data.h"

namespace inferd::test {

// `goldenDir` is relative to the test data root and ends with '/'.
inline void checkAgainstGolden(hal::Device& device, const std::string& modelPath, const std::string& goldenDir,
                               const std::string& label, const hal::PrepareOptions& options = {}) {
  using namespace inferd::engine;
  auto model = Model::load(modelPath);
  if (!model.isOk()) FAIL(model.status().toString());
  auto prepared = device.prepare(model.value(), options);
  if (!prepared.isOk()) FAIL(prepared.status().toString());
  hal::PreparedModel& pm = *prepared.value();

  std::vector<NpyArray> inputs;
  std::vector<hal::TensorView> views;
  for (size_t i = 0; i < pm.inputs().size(); ++i) {
    auto arr = readNpy(testDataPath(goldenDir + "input_" + std::to_string(i) + ".npy"));
    if (!arr.isOk()) FAIL(arr.status().toString());
    inputs.push_back(std::move(arr).value());
  }
  for (const NpyArray& a : inputs) views.push_back({a.type, a.dims, a.data.data(), a.data.size()});
  // The golden folder must not hold more outputs than the model has.
  CHECK_FALSE(std::filesystem::exists(testDataPath(goldenDir + "output_" + std::to_string(pm.outputs().size()) + ".npy")));

  std::vector<hal::OwnedTensor> outputs;
  hal::ExecutionTiming timing;
  Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
  if (!s.isOk()) FAIL(s.toString());
  REQUIRE(outputs.size() == pm.outputs().size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    auto ref = readNpy(testDataPath(goldenDir + "output_" + std::to_string(o) + ".npy"));
    if (!ref.isOk()) FAIL(ref.status().toString());
    INFO(label << " output " << o << " '" << pm.outputs()[o].name << "'");
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
    std::printf("%-28s output %zu: max|diff| %.3g, tolerance %.3g (max|ref| %.3g)\n", label.c_str(), o, maxDiff, tol,
                maxRef);
    CHECK(maxDiff <= tol);
  }
  std::printf("%-28s arena %zu bytes, compute %.2f ms\n", label.c_str(), pm.workingBytes(),
              static_cast<double>(timing.computeNs) / 1e6);
}

}  // namespace inferd::test
