// Partitioned execution: graph slices, execution plans, the prepared model
// that runs a plan with cpu fallback, and the cpu device's exact
// supportedOps. A fake accelerator (fake_device.h) that claims part of the
// operators stands in for a real one.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "../common/golden_check.h"
#include "fake_device.h"
#include "plan_test_util.h"
#include "inferd/engine/interpreter.h"
#include "inferd/hal/partition.h"
#include "inferd/hal/placement.h"

using namespace inferd;
namespace fs = std::filesystem;

namespace {

bool isCode(const engine::OperatorInfo& op, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (op.name() == n) return true;
  }
  return false;
}

std::vector<hal::OwnedTensor> runWith(hal::PreparedModel& pm, const std::string& goldenDir) {
  std::vector<engine::NpyArray> arrays;
  std::vector<hal::TensorView> views;
  for (size_t i = 0; i < pm.inputs().size(); ++i) {
    auto a = engine::readNpy((fs::path(goldenDir) / ("input_" + std::to_string(i) + ".npy")).string());
    REQUIRE(a.isOk());
    arrays.push_back(std::move(a).value());
  }
  for (const auto& a : arrays) views.push_back({a.type, a.dims, a.data.data(), a.data.size()});
  std::vector<hal::OwnedTensor> out;
  Status s = pm.execute(views, &out);
  INFO(s.toString());
  REQUIRE(s.isOk());
  return out;
}

const std::string kMobileNet = "arch_models/mobilenet_v2_035_96_fp32";

}  // namespace

TEST_CASE("a graph cut into two slices computes what the whole graph computes", "[partition]") {
  const std::string dir = test::testDataPath(kMobileNet);
  auto model = engine::Model::load(dir + "/model.tflite");
  REQUIRE(model.isOk());
  const engine::Subgraph& sg = model.value()->mainSubgraph();
  std::vector<int32_t> first, second;
  for (int32_t i = 0; i < static_cast<int32_t>(sg.operators.size()); ++i) {
    (i < static_cast<int32_t>(sg.operators.size()) / 2 ? first : second).push_back(i);
  }
  const engine::GraphSlice a = engine::sliceBoundary(sg, first);
  const engine::GraphSlice b = engine::sliceBoundary(sg, second);
  CHECK(a.inputs == sg.inputs);
  {
    std::vector<int32_t> got = b.outputs, want = sg.outputs;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    CHECK(got == want);
  }
  REQUIRE(!a.outputs.empty());
  // What the second half reads is what the first half hands over.
  for (int32_t t : b.inputs) CHECK(std::find(a.outputs.begin(), a.outputs.end(), t) != a.outputs.end());
  for (int32_t t : a.outputs) CHECK(std::find(b.inputs.begin(), b.inputs.end(), t) != b.inputs.end());

  auto cpu = hal::createCpuDevice();
  auto whole = cpu->prepare(model.value());
  REQUIRE(whole.isOk());
  const std::vector<hal::OwnedTensor> expected = runWith(*whole.value(), dir);

  auto sa = engine::Model::slice(model.value(), 0, a);
  auto sb = engine::Model::slice(model.value(), 0, b);
  REQUIRE(sa.isOk());
  REQUIRE(sb.isOk());
  CHECK(sa.value()->parent() == model.value());
  CHECK(sa.value()->mainSubgraph().operators.size() == first.size());
  auto pa = cpu->prepare(sa.value());
  auto pb = cpu->prepare(sb.value());
  REQUIRE(pa.isOk());
  REQUIRE(pb.isOk());
  std::vector<hal::OwnedTensor> mid = runWith(*pa.value(), dir);
  REQUIRE(mid.size() == a.outputs.size());
  std::vector<hal::TensorView> views;
  for (int32_t t : b.inputs) {
    const size_t k = static_cast<size_t>(std::find(a.outputs.begin(), a.outputs.end(), t) - a.outputs.begin());
    views.push_back({mid[k].type, mid[k].dims, mid[k].data.data(), mid[k].data.size()});
  }
  std::vector<hal::OwnedTensor> out;
  REQUIRE(pb.value()->execute(views, &out).isOk());
  REQUIRE(out.size() == expected.size());
  for (size_t i = 0; i < out.size(); ++i) {
    // b's outputs are in production order, the model's in its own.
    const size_t k = static_cast<size_t>(std::find(sg.outputs.begin(), sg.outputs.end(), b.outputs[i]) -
                                         sg.outputs.begin());
    REQUIRE(k < expected.size());
    CHECK(out[i].dims == expected[k].dims);
    CHECK(out[i].data == expected[k].data);  // the same kernels on the same data: the same bytes
  }
  // Bad slices are errors, not crashes.
  engine::GraphSlice bad = a;
  bad.ops.push_back(100000);
  CHECK_FALSE(engine::Model::slice(model.value(), 0, bad).isOk());
  CHECK_FALSE(engine::Model::slice(model.value(), 7, a).isOk());
}

TEST_CASE("plans put runs of claimed ops on the accelerator and say why the rest stay on the cpu", "[partition]") {
  auto model = engine::Model::load(test::testDataPath(kMobileNet + "/model.tflite"));
  REQUIRE(model.isOk());
  const engine::Subgraph& sg = model.value()->mainSubgraph();
  auto cpu = hal::createCpuDevice();
  test::FakeAccelerator convOnly("npu", [](const engine::OperatorInfo& op) {
    return isCode(op, {"CONV_2D", "DEPTHWISE_CONV_2D"});
  });
  hal::PartitionOptions o;
  o.minOpsPerPartition = 1;
  o.maxPartitions = 1000;
  auto plan = hal::planExecution(*model.value(), {&convOnly}, *cpu, o);
  REQUIRE(plan.isOk());
  const hal::ExecutionPlan& p = plan.value();
  REQUIRE(p.ops.size() == sg.operators.size());
  CHECK(p.devices == std::vector<std::string>{"npu", "cpu"});
  size_t onNpu = 0;
  for (const hal::OpPlacement& op : p.ops) {
    INFO("op " << op.opIndex << " " << op.op << " on " << op.device);
    const bool claimed = isCode(sg.operators[static_cast<size_t>(op.opIndex)], {"CONV_2D", "DEPTHWISE_CONV_2D"});
    CHECK(op.device == (claimed ? "npu" : "cpu"));
    CHECK(op.partition >= 0);
    if (!claimed) CHECK_THAT(op.reason, Catch::Contains("does not claim"));
    onNpu += claimed;
  }
  REQUIRE(onNpu > 0);
  REQUIRE(p.partitions.size() > 2);
  for (size_t i = 1; i < p.partitions.size(); ++i) CHECK(p.partitions[i].device != p.partitions[i - 1].device);
  CHECK_THAT(p.summary(), Catch::Contains("npu: ") && Catch::Contains("cpu: "));

  SECTION("runs below the minimum size stay on the cpu") {
    o.minOpsPerPartition = 1000;
    auto small = hal::planExecution(*model.value(), {&convOnly}, *cpu, o);
    REQUIRE(small.isOk());
    REQUIRE(small.value().partitions.size() == 1);
    CHECK(small.value().partitions[0].device == "cpu");
    CHECK_THAT(small.value().ops[0].reason, Catch::Contains("minimum partition size"));
  }
  SECTION("at most maxPartitions runs go to the accelerator, the largest") {
    o.maxPartitions = 2;
    auto few = hal::planExecution(*model.value(), {&convOnly}, *cpu, o);
    REQUIRE(few.isOk());
    size_t npuParts = 0;
    for (const auto& part : few.value().partitions) npuParts += part.device == "npu";
    CHECK(npuParts == 2);
    bool sawMaximum = false;
    for (const auto& op : few.value().ops) sawMaximum = sawMaximum || op.reason.find("the maximum") != std::string::npos;
    CHECK(sawMaximum);
  }
  SECTION("strict mode refuses the model with every unsupported op and its reason") {
    o.strict = true;
    auto strict = hal::planExecution(*model.value(), {&convOnly}, *cpu, o);
    REQUIRE_FALSE(strict.isOk());
    CHECK(strict.status().code() == StatusCode::kUnsupported);
    CHECK_THAT(strict.status().message(), Catch::Contains("(strict)") && Catch::Contains("does not claim ADD"));
  }
  SECTION("a device that claims everything gets the whole model") {
    test::FakeAccelerator all("npu", [](const engine::OperatorInfo&) { return true; });
    auto whole = hal::planExecution(*model.value(), {&all}, *cpu, o);
    REQUIRE(whole.isOk());
    CHECK(whole.value().wholeOnOneDevice());
    CHECK(whole.value().partitions[0].device == "npu");
    o.strict = true;
    CHECK(hal::planExecution(*model.value(), {&all}, *cpu, o).isOk());
  }
}

TEST_CASE("every conformance case runs partitioned and still matches LiteRT", "[partition]") {
  auto cpu = hal::createCpuDevice();
  // Every other op kind on the accelerator, so that most multi-op graphs
  // are cut, often between an op and its fused activation.
  test::FakeAccelerator alternate("npu", [](const engine::OperatorInfo& op) { return op.builtinCode % 2 == 0; });
  hal::PartitionOptions o;
  o.minOpsPerPartition = 1;
  o.maxPartitions = 1000;
  test::PlannedDevice planned(alternate, *cpu, o);
  int cut = 0, cases = 0;
  for (const test::ManifestCase& c : test::allManifestCases()) {
    const std::string dir = (fs::path(c.dir) / c.name).string();
    std::vector<test::OutputComparison> results;
    const std::string error = test::runAgainstGolden(planned, dir + "/model.tflite", dir, c.tolerances, &results);
    INFO(c.name << ": " << error << " plan " << planned.lastPlan.summary());
    CHECK(error.empty());
    for (size_t i = 0; i < results.size(); ++i) {
      INFO("output " << i << " " << results[i].problem);
      CHECK(results[i].pass);
    }
    cut += planned.lastPlan.partitions.size() > 1;
    ++cases;
  }
  std::printf("%d of %d conformance cases ran cut into partitions\n", cut, cases);
  CHECK(cases > 200);
  CHECK(cut > 20);
}

TEST_CASE("a device that fails prepare or executions: every request is answered correctly on the cpu",
          "[partition][faults]") {
  const std::string dir = test::testDataPath(kMobileNet);
  auto model = engine::Model::load(dir + "/model.tflite");
  REQUIRE(model.isOk());
  auto cpu = hal::createCpuDevice();
  auto whole = cpu->prepare(model.value());
  REQUIRE(whole.isOk());
  const std::vector<hal::OwnedTensor> expected = runWith(*whole.value(), dir);
  test::FakeAccelerator convOnly("npu", [](const engine::OperatorInfo& op) {
    return isCode(op, {"CONV_2D", "DEPTHWISE_CONV_2D"});
  });
  hal::PartitionOptions o;
  o.minOpsPerPartition = 1;
  o.maxPartitions = 3;
  auto plan = hal::planExecution(*model.value(), {&convOnly}, *cpu, o);
  REQUIRE(plan.isOk());
  std::vector<std::string> events;
  hal::PlanRuntimeOptions runtime;
  runtime.onEvent = [&](const std::string& e) { events.push_back(e); };
  auto counter = [](const hal::PreparedModel& pm, const std::string& device) {
    for (const auto& c : pm.deviceCounters()) {
      if (c.device == device) return c;
    }
    return hal::DeviceCounters{};
  };
  auto same = [&](const std::vector<hal::OwnedTensor>& out) {
    REQUIRE(out.size() == expected.size());
    for (size_t i = 0; i < out.size(); ++i) CHECK(out[i].data == expected[i].data);
  };

  SECTION("prepare fails: the partitions run on the cpu, counted") {
    convOnly.failPrepare = true;
    auto pm = hal::preparePlan(model.value(), plan.value(), {&convOnly}, *cpu, {}, runtime);
    REQUIRE(pm.isOk());
    same(runWith(*pm.value(), dir));
    const hal::DeviceCounters npu = counter(*pm.value(), "npu");
    CHECK(npu.failures == 3);
    CHECK(npu.fallbacks == 3);
    CHECK(npu.retired);
    CHECK(npu.executions == 0);
    CHECK(counter(*pm.value(), "cpu").executions > 3);
    REQUIRE(!events.empty());
    CHECK_THAT(events[0], Catch::Contains("failed to prepare") && Catch::Contains("fake prepare failure"));
  }
  SECTION("one failed execution is rerun on the cpu; the device keeps its partitions") {
    auto pm = hal::preparePlan(model.value(), plan.value(), {&convOnly}, *cpu, {}, runtime);
    REQUIRE(pm.isOk());
    CHECK(pm.value()->deviceName() == "npu+cpu");
    convOnly.failExecutions = 1;
    same(runWith(*pm.value(), dir));
    same(runWith(*pm.value(), dir));
    const hal::DeviceCounters npu = counter(*pm.value(), "npu");
    CHECK(npu.failures == 1);
    CHECK(npu.fallbacks == 1);
    CHECK_FALSE(npu.retired);
    CHECK(npu.executions == 5);  // 2 of 3 partitions in the first request, 3 in the second
    CHECK_THAT(events.at(0), Catch::Contains("failed an execution"));
  }
  SECTION("a device that keeps failing is taken out of the plan") {
    auto pm = hal::preparePlan(model.value(), plan.value(), {&convOnly}, *cpu, {}, runtime);
    REQUIRE(pm.isOk());
    convOnly.failExecutions = -1;
    for (int i = 0; i < 4; ++i) same(runWith(*pm.value(), dir));
    const hal::DeviceCounters npu = counter(*pm.value(), "npu");
    CHECK(npu.retired);
    CHECK_THAT(npu.retiredReason, Catch::Contains("3 consecutive execution failures"));
    // Retired after 3 failures, all in the first request: the device is
    // not asked again.
    CHECK(npu.failures == 3);
    CHECK(npu.executions == 0);
    bool sawRetire = false;
    for (const auto& e : events) sawRetire = sawRetire || e.find("taken out of the plan") != std::string::npos;
    CHECK(sawRetire);
  }
  SECTION("a whole-model plan on the device falls back too") {
    test::FakeAccelerator all("npu", [](const engine::OperatorInfo&) { return true; });
    auto wholePlan = hal::planExecution(*model.value(), {&all}, *cpu, o);
    REQUIRE(wholePlan.isOk());
    REQUIRE(wholePlan.value().wholeOnOneDevice());
    auto pm = hal::preparePlan(model.value(), wholePlan.value(), {&all}, *cpu, {}, runtime);
    REQUIRE(pm.isOk());
    same(runWith(*pm.value(), dir));
    all.failExecutions = 1;
    same(runWith(*pm.value(), dir));
    CHECK(counter(*pm.value(), "npu").executions == 1);
    CHECK(counter(*pm.value(), "npu").fallbacks == 1);
    CHECK(counter(*pm.value(), "cpu").executions == 1);
  }
  SECTION("a stop flag set before a partition starts cancels, without fallback") {
    auto pm = hal::preparePlan(model.value(), plan.value(), {&convOnly}, *cpu, {}, runtime);
    REQUIRE(pm.isOk());
    std::atomic<bool> stop{true};
    hal::Deadline d;
    d.stop = &stop;
    std::vector<engine::NpyArray> arrays;
    auto a = engine::readNpy(dir + "/input_0.npy");
    REQUIRE(a.isOk());
    std::vector<hal::TensorView> views{{a.value().type, a.value().dims, a.value().data.data(), a.value().data.size()}};
    std::vector<hal::OwnedTensor> out;
    CHECK(pm.value()->execute(views, &out, d).code() == StatusCode::kCancelled);
    CHECK(pm.value()->execute(views, &out, hal::Deadline::in(std::chrono::microseconds(-1))).code() ==
          StatusCode::kDeadlineExceeded);
    CHECK(counter(*pm.value(), "npu").failures == 0);
  }
}

TEST_CASE("the cpu device's supportedOps is exact: what it claims, its prepare accepts", "[partition]") {
  auto cpu = hal::createCpuDevice();
  int checked = 0;
  for (const test::ManifestCase& c : test::allManifestCases()) {
    auto model = engine::Model::load((fs::path(c.dir) / c.name / "model.tflite").string());
    REQUIRE(model.isOk());
    const std::vector<hal::OpSupport> support = cpu->supportedOps(*model.value(), 0);
    const bool all = std::all_of(support.begin(), support.end(), [](const hal::OpSupport& s) { return s.supported; });
    INFO(c.name);
    CHECK(support.size() == model.value()->mainSubgraph().operators.size());
    CHECK(all == cpu->prepare(model.value()).isOk());
    ++checked;
  }
  CHECK(checked > 200);
  // An op whose shapes its kernel rejects is unsupported, with the kernel's
  // reason: ADD of [1,2,3,4] and a 4-D tensor made [1,2,5,4].
  auto add = engine::Model::load(test::testDataPath("conformance/add_bcast_4d_fp32/model.tflite"));
  REQUIRE(add.isOk());
  const engine::Subgraph& sg = add.value()->mainSubgraph();
  REQUIRE(sg.operators.size() == 1);
  engine::GraphSlice s = engine::sliceBoundary(sg, {0});
  std::map<int32_t, engine::Dims> shapes;
  for (int32_t t : s.inputs) shapes[t] = engine::Dims{1, 2, 5, 4};
  shapes[s.inputs[0]] = engine::Dims{3, 7, 11, 13};
  auto broken = engine::Model::slice(add.value(), 0, s, shapes);
  REQUIRE(broken.isOk());
  const auto support = cpu->supportedOps(*broken.value(), 0);
  REQUIRE(support.size() == 1);
  CHECK_FALSE(support[0].supported);
  CHECK_FALSE(support[0].reason.empty());
  CHECK_FALSE(cpu->prepare(broken.value()).isOk());
}

TEST_CASE("placement is measured, the faster plan wins, and the decision is cached until a device changes",
          "[placement]") {
  const std::string dir = test::testDataPath(kMobileNet);
  auto model = engine::Model::load(dir + "/model.tflite");
  REQUIRE(model.isOk());
  const auto state = fs::temp_directory_path() / ("inferd-placement-" + std::to_string(::getpid()));
  fs::remove_all(state);
  hal::DeviceManagerOptions mo;
  mo.opencl = false;
  mo.stateDir = state.string();
  hal::DeviceManager manager(mo);
  auto owned = std::make_unique<test::FakeAccelerator>("npu", [](const engine::OperatorInfo& op) {
    return isCode(op, {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD"});
  });
  test::FakeAccelerator& npu = *owned;
  REQUIRE(manager.addDevice(std::move(owned)).isOk());
  CHECK_FALSE(manager.addDevice(std::make_unique<test::FakeAccelerator>("npu", nullptr)).isOk());
  npu.delayMicros = 20000;  // 20 ms an execution: slower than the cpu's ~1 ms
  hal::PlacementRequest req;
  req.runs = 3;
  auto placed = hal::placeModel(manager, model.value(), req);
  REQUIRE(placed.isOk());
  INFO(placed.value().how);
  CHECK_FALSE(placed.value().fromCache);
  REQUIRE(placed.value().measuredMs.size() == 2);
  CHECK(placed.value().measuredMs[0].first == "cpu");
  CHECK(placed.value().measuredMs[1].first == "npu+cpu");
  CHECK(placed.value().measuredMs[1].second > 20.0);
  CHECK(placed.value().plan.partitions.size() == 1);
  CHECK(placed.value().plan.partitions[0].device == "cpu");
  CHECK_THAT(placed.value().how, Catch::StartsWith("measured: cpu ") && Catch::EndsWith("-> cpu"));
  {
    auto cpuOnly = manager.cpu().prepare(model.value());
    REQUIRE(cpuOnly.isOk());
    CHECK(runWith(*placed.value().prepared, dir)[0].data == runWith(*cpuOnly.value(), dir)[0].data);
  }

  const int executionsBefore = npu.executions.load();
  auto again = hal::placeModel(manager, model.value(), req);
  REQUIRE(again.isOk());
  CHECK(again.value().fromCache);
  CHECK_THAT(again.value().how, Catch::StartsWith("cached (measured") || Catch::StartsWith("cached (cpu"));
  CHECK(npu.executions.load() == executionsBefore);  // not measured again

  npu.versionString = "fake-2";  // a driver update: measured again
  auto updated = hal::placeModel(manager, model.value(), req);
  REQUIRE(updated.isOk());
  CHECK_FALSE(updated.value().fromCache);
  CHECK(npu.executions.load() > executionsBefore);

  // Pinned: runs there whatever the timing says.
  req.device = "npu";
  auto pinned = hal::placeModel(manager, model.value(), req);
  REQUIRE(pinned.isOk());
  CHECK(pinned.value().how == "pinned to npu");
  CHECK(pinned.value().prepared->deviceName() == "npu+cpu");
  req.strict = true;
  auto strict = hal::placeModel(manager, model.value(), req);
  REQUIRE_FALSE(strict.isOk());
  CHECK_THAT(strict.status().message(), Catch::Contains("(strict)") && Catch::Contains("MEAN"));
  req.device = "gpu9";
  req.strict = false;
  CHECK(hal::placeModel(manager, model.value(), req).status().code() == StatusCode::kNotFound);
  fs::remove_all(state);
}
