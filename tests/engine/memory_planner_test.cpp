// Arena planner: buffers with disjoint lifetimes share bytes, overlapping
// ones never do, and real models need far less than the sum of activations.
#include <catch2/catch.hpp>

#include <random>

#include "../common/test_data.h"
#include "inferd/engine/interpreter.h"
#include "memory_planner.h"

using namespace inferd::engine;

namespace {
// No two buffers alive at the same step may overlap in memory.
void checkNoOverlap(const std::vector<BufferRequest>& req, const ArenaPlan& plan) {
  for (size_t i = 0; i < req.size(); ++i) {
    CHECK(plan.offsets[i] % kArenaAlignment == 0);
    CHECK(plan.offsets[i] + req[i].bytes <= plan.arenaBytes);
    for (size_t j = i + 1; j < req.size(); ++j) {
      if (req[i].bytes == 0 || req[j].bytes == 0) continue;
      const bool timeOverlap = req[i].firstUse <= req[j].lastUse && req[j].firstUse <= req[i].lastUse;
      const bool memOverlap = plan.offsets[i] < plan.offsets[j] + req[j].bytes &&
                              plan.offsets[j] < plan.offsets[i] + req[i].bytes;
      INFO("buffers " << i << " and " << j);
      CHECK_FALSE((timeOverlap && memOverlap));
    }
  }
}
}  // namespace

TEST_CASE("a chain reuses memory", "[planner]") {
  // a -> b -> c -> d: each buffer only lives across one step.
  std::vector<BufferRequest> req = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  ArenaPlan plan = planArena(req);
  checkNoOverlap(req, plan);
  CHECK(plan.arenaBytes == 2 * 1024);  // two live at a time, 64-byte aligned
  CHECK(plan.naiveBytes == 4 * 1024);
}

TEST_CASE("overlapping lifetimes never share", "[planner]") {
  std::vector<BufferRequest> req = {{100, 0, 5}, {200, 0, 5}, {300, 0, 5}};
  ArenaPlan plan = planArena(req);
  checkNoOverlap(req, plan);
  CHECK(plan.arenaBytes == 128 + 256 + 320);
}

TEST_CASE("random lifetimes are planned without conflicts", "[planner]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> req;
    for (int i = 0; i < 40; ++i) {
      int32_t a = static_cast<int32_t>(rng() % 30), len = static_cast<int32_t>(rng() % 6);
      req.push_back({static_cast<size_t>(rng() % 5000), a, a + len});
    }
    ArenaPlan plan = planArena(req);
    checkNoOverlap(req, plan);
    CHECK(plan.arenaBytes <= plan.naiveBytes);
  }
}

TEST_CASE("reference models plan a small arena", "[planner]") {
  for (const char* name : inferd::test::kReferenceModels) {
    auto m = Model::load(inferd::test::testDataPath(std::string("models/") + name + ".tflite"));
    REQUIRE(m.isOk());
    auto interp = Interpreter::create(m.value());
    REQUIRE(interp.isOk());
    INFO(name << ": arena " << interp.value()->arenaBytes() << " naive " << interp.value()->arenaNaiveBytes());
    CHECK(interp.value()->arenaBytes() > 0);
    CHECK(interp.value()->arenaBytes() * 3 < interp.value()->arenaNaiveBytes());
  }
}
