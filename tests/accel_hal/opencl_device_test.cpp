// The opencl driver on a real OpenCL platform (PoCL in CI): the device is
// found and described, measured with its own kernels (which must compute the
// right convolution), and it claims no operator it cannot run. Without an
// OpenCL device the test exits 77 (skipped), unless INFERD_REQUIRE_OPENCL=1
// (scripts/test.sh sets it: CI installs PoCL, so there it must run).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "inferd/engine/model.h"
#include "inferd/hal/device_manager.h"

using namespace inferd;
using namespace inferd::hal;

namespace {

// Skips the whole test binary (exit 77) when there is no usable OpenCL device.
Device& openclOrSkip(DeviceManager& m) {
  Device* d = m.find("opencl");
  if (d == nullptr) {
    const std::string why = m.whyUnavailable("opencl");
    const char* require = std::getenv("INFERD_REQUIRE_OPENCL");
    if (require != nullptr && std::string(require) == "1") FAIL("INFERD_REQUIRE_OPENCL=1 but " << why);
    std::fprintf(stderr, "skipped: %s\n", why.c_str());
    std::fflush(stderr);
    std::_Exit(77);
  }
  return *d;
}

std::string testData(const std::string& rel) {
  const char* d = std::getenv("INFERD_TEST_DATA");
  return std::string(d != nullptr ? d : "tests/data") + "/" + rel;
}

}  // namespace

TEST_CASE("the OpenCL device is found, described and available") {
  DeviceManager m;
  Device& cl = openclOrSkip(m);
  const DeviceInfo info = cl.info();
  CHECK(info.name == "opencl");
  CHECK(info.driver == "opencl");
  CHECK(info.available);
  CHECK_THAT(info.deviceVersion, Catch::StartsWith("OpenCL "));
  CHECK_FALSE(info.driverVersion.empty());
  CHECK_FALSE(info.hardware.empty());
  CHECK_THAT(info.details, Catch::Contains("compute units"));
  CHECK(m.devices()[0].name == "cpu");
}

TEST_CASE("the OpenCL device is measured with its own kernels and the figures are cached") {
  const auto state = std::filesystem::temp_directory_path() / ("inferd-opencl-test-" + std::to_string(getpid()));
  DeviceManagerOptions o;
  o.stateDir = state.string();
  {
    DeviceManager m(o);
    openclOrSkip(m);
    auto c = m.calibration("opencl");
    REQUIRE(c.isOk());  // includes the check of the convolution's outputs against the host
    CHECK_FALSE(c.value().cached);
    CHECK(c.value().convGflops > 0.01);
    CHECK(c.value().copyGBps > 0.01);
    CHECK(c.value().dispatchMicros > 0);
  }
  {
    DeviceManager m(o);
    auto c = m.calibration("opencl");
    REQUIRE(c.isOk());
    CHECK(c.value().cached);
  }
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
}

TEST_CASE("the OpenCL device claims no operator it cannot run, and says why") {
  DeviceManager m;
  Device& cl = openclOrSkip(m);
  auto model = engine::Model::load(testData("models/face_detection_short_range.tflite"));
  REQUIRE(model.isOk());
  const auto support = cl.supportedOps(*model.value());
  REQUIRE(support.size() == model.value()->subgraphs()[0].operators.size());
  for (const OpSupport& s : support) {
    CHECK_FALSE(s.supported);
    CHECK_FALSE(s.reason.empty());
  }
  auto prepared = cl.prepare(model.value());
  REQUIRE_FALSE(prepared.isOk());
  CHECK(prepared.status().code() == StatusCode::kUnsupported);
}
