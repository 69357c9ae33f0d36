// Helpers shared by the float kernel tests (kernels_conv_test,
// kernels_fc_test): seeded random data, the 1e-4 closeness check, running a
// float model on one kernel path expecting success or a rejection that names
// the problem, looping over table-driven cases, and comparing XNNPACK with
// the reference kernels.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace inferd::test {

// n values drawn uniformly from [lo, hi) by a generator seeded with `seed`.
inline std::vector<float> randomValues(int64_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

// |got - want| <= 1e-4 + 1e-4 * |want| element by element.
inline void requireClose(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).epsilon(1e-4).margin(1e-4));
  }
}

// The kernel path the running test case uses; the test case sets it with
// INFERD_EACH_KERNEL_PATH(gPath), and the run helpers below run on it.
inline engine::InterpreterOptions gPath;

// Runs a model whose inputs are all float.
inline Result<std::vector<OutputTensor>> runFloats(const std::vector<uint8_t>& model,
                                                   const std::vector<std::vector<float>>& inputs) {
  std::vector<InputData> in;
  for (const auto& v : inputs) in.push_back(InputData::of(v));
  return runModel(model, in, gPath);
}

// The first output's values (and its shape in *outDims); the run must succeed.
inline std::vector<float> run(const std::vector<uint8_t>& model,
                              const std::vector<std::vector<float>>& inputs, Dims* outDims) {
  auto r = runFloats(model, inputs);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  *outDims = r.value().at(0).dims;
  return r.value().at(0).values<float>();
}

// The run must fail with a message containing `what`; returns the status
// code for the cases that check it.
inline StatusCode requireRejected(const Result<std::vector<OutputTensor>>& r,
                                  const std::string& what) {
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::Contains(what));
  return r.status().code();
}

// The float model must be rejected with a message containing `what`.
inline StatusCode rejects(const std::vector<uint8_t>& model,
                          const std::vector<std::vector<float>>& inputs, const std::string& what) {
  return requireRejected(runFloats(model, inputs), what);
}

// Runs fn(case, seed) for each case, the seeds counting up from firstSeed.
template <typename Case, typename Fn>
void forEachCase(const std::vector<Case>& cases, unsigned firstSeed, Fn fn) {
  unsigned seed = firstSeed;
  for (const Case& c : cases) {
    INFO("case " << seed);
    fn(c, seed);
    ++seed;
  }
}

// The optimized kernels (XNNPACK, two threads) agree with the reference
// kernels on the model's first output to maxScaledDiff <= tolerance. XNNPACK
// sums in its own order (and with FMA where the CPU has it), so the paths
// agree to float rounding of the accumulated sums, not bit for bit.
inline void requirePathsAgree(const std::vector<uint8_t>& model,
                              const std::vector<std::vector<float>>& inputs, double tolerance) {
  BothPaths r = runBothPaths(model, inputs);
  INFO(r.error);
  REQUIRE(r.error.empty());
  CHECK(r.optimizedKernels > 0);  // the optimized run used XNNPACK or a SIMD kernel
  CHECK(r.optimizedDims == r.referenceDims);
  CHECK(maxScaledDiff(r.optimized, r.reference) <= tolerance);
}

}  // namespace inferd::test
