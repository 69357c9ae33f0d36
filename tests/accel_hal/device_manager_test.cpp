// The device manager without OpenCL hardware: the cpu device's description
// and calibration, the calibration cache, refused OpenCL devices (turned
// off, filtered by type, no platform at all) and the errors that name them.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "inferd/hal/device_manager.h"

using namespace inferd;
using namespace inferd::hal;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "inferd-devmgr-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

const DeviceInfo* findInfo(const std::vector<DeviceInfo>& list, const std::string& name) {
  for (const DeviceInfo& i : list) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("the cpu device is listed first, available and described") {
  DeviceManagerOptions o;
  o.opencl = false;
  DeviceManager m(o);
  const auto list = m.devices();
  REQUIRE(list.size() >= 2);
  CHECK(list[0].name == "cpu");
  CHECK(list[0].kind == DeviceKind::kCpu);
  CHECK(list[0].available);
  CHECK(list[0].driver == "cpu");
  CHECK_FALSE(list[0].driverVersion.empty());
  CHECK(&m.cpu() == m.find("cpu"));
  CHECK(m.whyUnavailable("cpu").empty());
}

TEST_CASE("OpenCL turned off: the opencl device is refused with the reason") {
  DeviceManagerOptions o;
  o.opencl = false;
  DeviceManager m(o);
  const std::vector<DeviceInfo> list = m.devices();
  const DeviceInfo* cl = findInfo(list, "opencl");
  REQUIRE(cl != nullptr);
  CHECK_FALSE(cl->available);
  CHECK_THAT(cl->reason, Catch::Contains("turned off"));
  CHECK(m.find("opencl") == nullptr);
  CHECK_THAT(m.whyUnavailable("opencl"), Catch::Contains("refused") && Catch::Contains("turned off"));
  CHECK_THAT(m.whyUnavailable("npu7"), Catch::Contains("no device named 'npu7'") && Catch::Contains("cpu"));
  auto c = m.calibration("npu7");
  REQUIRE_FALSE(c.isOk());
  CHECK(c.status().code() == StatusCode::kNotFound);
}

TEST_CASE("OpenCL device types that are not configured are refused, not hidden") {
  // A type no test machine has as its only device type ("accelerator" on
  // PoCL's cpu device): every OpenCL device found is then listed as refused.
  DeviceManagerOptions o;
  o.openclTypes = {"accelerator"};
  DeviceManager m(o);
  bool sawOpenCl = false;
  for (const DeviceInfo& i : m.devices()) {
    if (i.driver != "opencl") continue;
    sawOpenCl = true;
    if (i.available) {
      CHECK(i.kind == DeviceKind::kNpu);  // a real accelerator on this machine
    } else {
      CHECK_FALSE(i.reason.empty());
    }
  }
  CHECK(sawOpenCl);  // refused with a reason if nothing else: never absent from the list
}

// Run by the next test in a fresh process (the ICD loader reads
// OCL_ICD_VENDORS once per process, and this process has loaded it already).
TEST_CASE("child: the opencl device without any OpenCL platform", "[.][no-platform-child]") {
  DeviceManager m;
  const std::vector<DeviceInfo> list = m.devices();
  const DeviceInfo* cl = findInfo(list, "opencl");
  REQUIRE(cl != nullptr);
  CHECK_FALSE(cl->available);
  const bool named = cl->reason.find("no OpenCL platform") != std::string::npos ||
                     cl->reason.find("no OpenCL driver") != std::string::npos;
  INFO("reason: " << cl->reason);
  CHECK(named);
  CHECK(m.find("opencl") == nullptr);
  CHECK(m.devices()[0].available);  // the cpu is not affected
}

TEST_CASE("no OpenCL platform: the opencl device is refused and says why") {
  TempDir empty;
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setenv("OCL_ICD_VENDORS", empty.path.c_str(), 1);
    execl("/proc/self/exe", "device_manager_test", "[no-platform-child]", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("the cpu device is measured through its own convolution, and the figures are cached") {
  TempDir state;
  DeviceManagerOptions o;
  o.opencl = false;
  o.stateDir = state.path.string();
  Calibration first;
  {
    DeviceManager m(o);
    CHECK(m.knownCalibrations().empty());
    auto c = m.calibration("cpu");
    REQUIRE(c.isOk());
    first = c.value();
    CHECK_FALSE(first.cached);
    CHECK(first.convGflops > 0.1);      // a 2-core machine under load does tens of GFLOP/s
    CHECK(first.convGflops < 10000);
    CHECK(first.copyGBps > 0.1);
    CHECK(first.dispatchMicros > 0);
    CHECK(first.dispatchMicros < 1e6);
    CHECK_FALSE(first.measuredAt.empty());
    // A second call in the same manager does not measure again.
    auto again = m.calibration("cpu");
    REQUIRE(again.isOk());
    CHECK(again.value().convGflops == first.convGflops);
  }
  const auto file = state.path / "calibration" / "cpu.txt";
  REQUIRE(std::filesystem::is_regular_file(file));
  CHECK_THAT(readAll(file), Catch::Contains("key=v1|cpu|"));
  {
    DeviceManager m(o);
    const auto known = m.knownCalibrations();
    REQUIRE(known.count("cpu") == 1);
    CHECK(known.at("cpu").cached);
    auto c = m.calibration("cpu");
    REQUIRE(c.isOk());
    CHECK(c.value().cached);
    CHECK(c.value().convGflops == Approx(first.convGflops).epsilon(1e-5));
    CHECK(c.value().measuredAt == first.measuredAt);
    auto re = m.calibration("cpu", /*remeasure=*/true);
    REQUIRE(re.isOk());
    CHECK_FALSE(re.value().cached);
  }
  SECTION("a cache for another driver version is measured again") {
    std::string text = readAll(file);
    const auto pos = text.find("key=v1|cpu|");
    REQUIRE(pos != std::string::npos);
    text.insert(pos + 11, "someone else's ");
    std::ofstream(file, std::ios::trunc) << text;
    DeviceManager m(o);
    CHECK(m.knownCalibrations().count("cpu") == 0);
    auto c = m.calibration("cpu");
    REQUIRE(c.isOk());
    CHECK_FALSE(c.value().cached);
    CHECK_THAT(readAll(file), !Catch::Contains("someone else's"));
  }
  SECTION("a damaged cache is measured again") {
    std::string text = readAll(file);
    const auto pos = text.find("conv_gflops=");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 12, "conv_gflops=abc");
    std::ofstream(file, std::ios::trunc) << text;
    DeviceManager m(o);
    auto c = m.calibration("cpu");
    REQUIRE(c.isOk());
    CHECK_FALSE(c.value().cached);
  }
}
