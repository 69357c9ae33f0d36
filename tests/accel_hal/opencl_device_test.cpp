// The opencl driver on a real OpenCL platform (PoCL in CI): the device is
// found and described, measured with its own kernels (which must compute the
// right convolution); what it claims it prepares, the conformance cases it
// claims match LiteRT on it (the rest runs partitioned with the cpu), the
// three bundled MediaPipe models run wholly on it and match the cpu device
// and LiteRT, and its compiled program is cached on disk. Without an
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
#include "inferd/hal/placement.h"
#include "plan_test_util.h"

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

TEST_CASE("the OpenCL device claims only what it prepares, and says why for the rest") {
  DeviceManager m;
  Device& cl = openclOrSkip(m);
  // The LSTM classifier: SPLIT and UNPACK it has no kernels for, the rest it has.
  auto model = engine::Model::load(testData("arch_models/lstm_classifier_fp32/model.tflite"));
  REQUIRE(model.isOk());
  const auto support = cl.supportedOps(*model.value());
  REQUIRE(support.size() == model.value()->subgraphs()[0].operators.size());
  int claimed = 0;
  for (const OpSupport& s : support) {
    const engine::OperatorInfo& op = model.value()->mainSubgraph().operators[static_cast<size_t>(s.opIndex)];
    if (op.folded) continue;
    INFO("op " << s.opIndex << " " << op.name() << ": " << s.reason);
    CHECK(s.supported == s.reason.empty());
    claimed += s.supported;
    if (op.name() == "SPLIT") CHECK_THAT(s.reason, Catch::Contains("no kernel for SPLIT"));
  }
  CHECK(claimed > 0);
  auto prepared = cl.prepare(model.value());
  REQUIRE_FALSE(prepared.isOk());
  CHECK(prepared.status().code() == StatusCode::kUnsupported);
  CHECK_THAT(prepared.status().message(), Catch::Contains("(SPLIT): the opencl driver has no kernel for SPLIT"));

  // Over every conformance case: each op it claims prepares on its own (a
  // one-op slice), and a model it claims wholly prepares.
  int claimedOps = 0, claimedModels = 0;
  for (const test::ManifestCase& c : test::allManifestCases()) {
    auto mm = engine::Model::load(c.dir + "/" + c.name + "/model.tflite");
    REQUIRE(mm.isOk());
    const engine::Subgraph& sg = mm.value()->mainSubgraph();
    bool all = true;
    for (const OpSupport& s : cl.supportedOps(*mm.value())) {
      if (sg.operators[static_cast<size_t>(s.opIndex)].folded) continue;
      all = all && s.supported;
      if (!s.supported) continue;
      auto one = engine::Model::slice(mm.value(), 0, engine::sliceBoundary(sg, {s.opIndex}));
      REQUIRE(one.isOk());
      auto p = cl.prepare(one.value());
      INFO(c.name << " op " << s.opIndex << ": " << p.status().toString());
      CHECK(p.isOk());
      ++claimedOps;
    }
    if (all) {
      INFO(c.name);
      CHECK(cl.prepare(mm.value()).isOk());
      ++claimedModels;
    }
  }
  std::printf("opencl claims %d ops of the conformance cases and %d whole models\n", claimedOps, claimedModels);
  CHECK(claimedOps > 40);
  CHECK(claimedModels > 15);
}

TEST_CASE("every conformance case the OpenCL device claims wholly matches LiteRT on it; the rest runs partitioned") {
  DeviceManager m;
  Device& cl = openclOrSkip(m);
  PartitionOptions o;
  o.minOpsPerPartition = 1;
  o.maxPartitions = 1000;
  test::PlannedDevice planned(cl, m.cpu(), o);
  int whole = 0, cut = 0;
  for (const test::ManifestCase& c : test::allManifestCases()) {
    // Float models only: the int8 cases have no op it claims, and the
    // bit-exact dynamic-range cases are exact only with the cpu's float
    // kernels (OpenCL's exp and tanh differ in the last bits).
    if (c.form != "fp32") continue;
    const std::string dir = c.dir + "/" + c.name;
    std::vector<test::OutputComparison> results;
    const std::string error = test::runAgainstGolden(planned, dir + "/model.tflite", dir, c.tolerances, &results);
    INFO(c.name << ": " << error << "; plan " << planned.lastPlan.summary());
    CHECK(error.empty());
    for (size_t i = 0; i < results.size(); ++i) {
      INFO("output " << i << " " << test::describe(results[i], i < c.tolerances.size() ? c.tolerances[i] : test::Tolerance{}));
      CHECK(results[i].pass);
    }
    const auto& parts = planned.lastPlan.partitions;
    whole += parts.size() == 1 && parts[0].device == "opencl";
    cut += parts.size() > 1;
  }
  std::printf("conformance: %d cases wholly on opencl, %d cut between opencl and cpu\n", whole, cut);
  CHECK(whole > 15);
  CHECK(cut > 5);
}

TEST_CASE("each bundled MediaPipe model runs wholly on OpenCL and matches the cpu device and LiteRT") {
  DeviceManager m;
  Device& cl = openclOrSkip(m);
  for (const char* name : {"face_detection_short_range", "hand_landmark_lite", "selfie_segmentation"}) {
    INFO(name);
    auto model = engine::Model::load(testData(std::string("models/") + name + ".tflite"));
    REQUIRE(model.isOk());
    // Every op claimed, and prepare (no partitions: the device's own) takes the whole graph.
    for (const OpSupport& s : cl.supportedOps(*model.value())) {
      INFO("op " << s.opIndex << ": " << s.reason);
      CHECK(s.supported);
    }
    auto onCl = cl.prepare(model.value());
    REQUIRE(onCl.isOk());
    CHECK(onCl.value()->deviceName() == "opencl");
    auto onCpu = m.cpu().prepare(model.value());
    REQUIRE(onCpu.isOk());
    const std::string golden = testData(std::string("golden/") + name);
    auto in = engine::readNpy(golden + "/input_0.npy");
    REQUIRE(in.isOk());
    const std::vector<TensorView> views{{in.value().type, in.value().dims, in.value().data.data(), in.value().data.size()}};
    std::vector<OwnedTensor> clOut, cpuOut;
    REQUIRE(onCl.value()->execute(views, &clOut).isOk());
    REQUIRE(onCpu.value()->execute(views, &cpuOut).isOk());
    REQUIRE(clOut.size() == cpuOut.size());
    for (size_t o = 0; o < clOut.size(); ++o) {
      engine::NpyArray cpuRef{cpuOut[o].type, cpuOut[o].dims, cpuOut[o].data};
      const auto vsCpu = test::compareOutput(clOut[o], cpuRef, test::Tolerance{});
      auto litert = engine::readNpy(golden + "/output_" + std::to_string(o) + ".npy");
      REQUIRE(litert.isOk());
      const auto vsLitert = test::compareOutput(clOut[o], litert.value(), test::Tolerance{});
      std::printf("%s output %zu on opencl: vs cpu %s; vs LiteRT %s\n", name, o,
                  test::describe(vsCpu, test::Tolerance{}).c_str(), test::describe(vsLitert, test::Tolerance{}).c_str());
      INFO("output " << o << " vs cpu: " << test::describe(vsCpu, test::Tolerance{}));
      CHECK(vsCpu.pass);
      INFO("output " << o << " vs LiteRT: " << test::describe(vsLitert, test::Tolerance{}));
      CHECK(vsLitert.pass);
    }
  }
}

TEST_CASE("the OpenCL program is cached on disk by device, driver and source; a bad cache file is rebuilt") {
  const auto dir = std::filesystem::temp_directory_path() / ("inferd-opencl-cache-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto model = engine::Model::load(testData("conformance/add_relu_same_shape_fp32/model.tflite"));
  REQUIRE(model.isOk());
  PrepareOptions po;
  po.cacheDir = dir.string();
  auto cacheFiles = [&] {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::exists(dir / "opencl")) {
      for (const auto& e : std::filesystem::directory_iterator(dir / "opencl")) files.push_back(e.path());
    }
    return files;
  };
  {
    DeviceManager m;
    Device& cl = openclOrSkip(m);
    REQUIRE(cl.prepare(model.value(), po).isOk());
    CHECK_THAT(cl.info().details, Catch::Contains("program built in"));
  }
  const auto files = cacheFiles();
  REQUIRE(files.size() == 1);
  CHECK_THAT(files[0].filename().string(), Catch::StartsWith("ops-") && Catch::EndsWith(".bin"));
  const auto written = std::filesystem::last_write_time(files[0]);
  {
    DeviceManager m;
    Device& cl = openclOrSkip(m);
    REQUIRE(cl.prepare(model.value(), po).isOk());
    CHECK_THAT(cl.info().details, Catch::Contains("program loaded from the cache in"));
  }
  CHECK(cacheFiles().size() == 1);
  CHECK(std::filesystem::last_write_time(files[0]) == written);
  {
    std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "not a binary";
    DeviceManager m;
    Device& cl = openclOrSkip(m);
    auto p = cl.prepare(model.value(), po);
    REQUIRE(p.isOk());
    CHECK_THAT(cl.info().details, Catch::Contains("program built in"));
    test::ManifestCase c{testData("conformance"), "add_relu_same_shape_fp32", "fp32", {}};
    std::vector<test::OutputComparison> results;
    CHECK(test::runAgainstGolden(cl, c.dir + "/" + c.name + "/model.tflite", c.dir + "/" + c.name, {}, &results).empty());
    for (const auto& r : results) CHECK(r.pass);
  }
  CHECK(std::filesystem::file_size(files[0]) > 100);  // rewritten
  std::filesystem::remove_all(dir);
}

TEST_CASE("measured placement keeps a model on the cpu when PoCL is slower; pinned, it runs on OpenCL") {
  DeviceManager m;
  openclOrSkip(m);
  // The LSTM's elementwise runs are OpenCL's; on PoCL (the same two cores,
  // plus a dispatch per op and copies per partition) that plan is slower.
  auto model = engine::Model::load(testData("arch_models/lstm_classifier_fp32/model.tflite"));
  REQUIRE(model.isOk());
  PlacementRequest req;
  req.runs = 5;
  req.useCache = false;
  auto placed = placeModel(m, model.value(), req);
  REQUIRE(placed.isOk());
  INFO(placed.value().how);
  REQUIRE(placed.value().measuredMs.size() == 2);
  CHECK(placed.value().measuredMs[1].first == "cpu+opencl");
  CHECK(placed.value().measuredMs[1].second > placed.value().measuredMs[0].second);
  CHECK(placed.value().plan.partitions.size() == 1);
  CHECK(placed.value().prepared->deviceName() == "cpu");
  std::printf("lstm_classifier_fp32: %s\n", placed.value().how.c_str());

  req.device = "opencl";
  auto pinned = placeModel(m, model.value(), req);
  REQUIRE(pinned.isOk());
  CHECK(pinned.value().prepared->deviceName() == "cpu+opencl");
  const std::string dir = testData("arch_models/lstm_classifier_fp32");
  auto in = engine::readNpy(dir + "/input_0.npy");
  auto want = engine::readNpy(dir + "/output_0.npy");
  REQUIRE(in.isOk());
  REQUIRE(want.isOk());
  std::vector<OwnedTensor> out;
  REQUIRE(pinned.value().prepared->execute({{in.value().type, in.value().dims, in.value().data.data(),
                                             in.value().data.size()}}, &out).isOk());
  const auto cmp = test::compareOutput(out.at(0), want.value(), test::Tolerance{});
  CHECK(cmp.pass);
  bool openclRan = false;
  for (const DeviceCounters& c : pinned.value().prepared->deviceCounters()) {
    openclRan = openclRan || (c.device == "opencl" && c.executions == 4 && c.failures == 0);
  }
  CHECK(openclRan);
}
