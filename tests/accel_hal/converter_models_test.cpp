// Conformance on converter-produced float models: every .tflite in
// tests/data/converter_models (made by tools/make_float_models.py from Keras
// with random weights, fp32 and fp16-weight variants), run through the HAL's
// cpu device, matches LiteRT's outputs in tests/data/converter_golden within
// max|ours - ref| <= 1e-4 + 1e-3 * max|ref|. The list is the folder, so a
// model added by the script is tested without touching this file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "../common/golden_check.h"

using namespace inferd;
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
      test::checkAgainstGolden(*device, test::testDataPath("converter_models/" + name + ".tflite"),
                               "converter_golden/" + name + "/", name);
    }
  }
}
