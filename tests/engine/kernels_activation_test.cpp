// Tests for SOFTMAX, LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU,
// PRELU and HARD_SWISH: hand-computed values, references computed in double
// from the textbook formulas, options and their defaults, and error cases.
// Every case runs on each kernel path (reference, optimized on one and two
// threads; RELU*, LOGISTIC and HARD_SWISH use XNNPACK there) against the
// same expectations; a larger sweep compares the paths directly.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/simd/elementwise_f32.h"
#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;

// The kernel path the running test case uses (INFERD_EACH_KERNEL_PATH).
engine::InterpreterOptions gPath;

std::vector<uint8_t> unaryModel(fb::BuiltinOperator op, const Dims& dims, OptionsFn options = {},
                                ElementType type = ElementType::kFloat32, int version = 1) {
  OpModelBuilder mb;
  int in = mb.addInput(type, dims);
  int out = mb.addOutput(type, {});
  mb.addOp(op, {in}, {out}, std::move(options), version);
  return mb.finish();
}

OptionsFn softmaxOptions(float beta) {
  return [beta](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::SoftmaxOptions, fb::CreateSoftmaxOptions(b, beta).Union());
  };
}

OptionsFn leakyReluOptions(float alpha) {
  return [alpha](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::LeakyReluOptions, fb::CreateLeakyReluOptions(b, alpha).Union());
  };
}

std::vector<float> run1(const std::vector<uint8_t>& model, const std::vector<float>& x, Dims* dims = nullptr) {
  std::string err;
  auto y = runFloat(model, {x}, &err, 0, dims, gPath);
  INFO(err);
  REQUIRE(err.empty());
  REQUIRE(y.size() == x.size());
  return y;
}

const std::vector<float> kSweep = {-100, -20, -9.5f, -6, -3, -2.5f, -1, -0.25f, 0, 0.25f, 1, 2.5f, 3, 6, 9.5f, 17, 100};

}  // namespace

TEST_CASE("RELU, RELU6 and RELU_N1_TO_1 clamp", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x = {-7, -1, -0.5f, 0, 0.5f, 1, 5.9f, 6, 6.1f, 100};
  Dims dims;
  CHECK(run1(unaryModel(fb::BuiltinOperator::RELU, {2, 5}), x, &dims) ==
        std::vector<float>{0, 0, 0, 0, 0.5f, 1, 5.9f, 6, 6.1f, 100});
  CHECK(dims == Dims{2, 5});
  CHECK(run1(unaryModel(fb::BuiltinOperator::RELU6, {10}), x) ==
        std::vector<float>{0, 0, 0, 0, 0.5f, 1, 5.9f, 6, 6, 6});
  CHECK(run1(unaryModel(fb::BuiltinOperator::RELU_N1_TO_1, {10}), x) ==
        std::vector<float>{-1, -1, -0.5f, 0, 0.5f, 1, 1, 1, 1, 1});
}

TEST_CASE("TANH matches the double-precision formula", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto y = run1(unaryModel(fb::BuiltinOperator::TANH, {static_cast<int32_t>(kSweep.size())}), kSweep);
  for (size_t i = 0; i < kSweep.size(); ++i) {
    const double x = kSweep[i];
    const double e = (std::exp(2 * x) - 1) / (std::exp(2 * x) + 1);
    const double expect = std::isnan(e) ? (x > 0 ? 1.0 : -1.0) : e;
    CHECK(y[i] == Approx(expect).margin(1e-6));
  }
}

TEST_CASE("the vector TANH stays within a few ulp of std::tanh", "[activation][simd]") {
  std::vector<float> x;
  for (int i = -200000; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 1e-4f);  // [-20, 20]
  for (float v = 1e-30f; v < 1e-3f; v *= 1.7f) {  // tiny values, where tanh(x) ~ x
    x.push_back(v);
    x.push_back(-v);
  }
  x.push_back(0.f);
  x.push_back(-0.f);
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  std::vector<float> y(x.size());
  if (!engine::kernels::simd::tanhF32(x.data(), y.data(), static_cast<int64_t>(x.size()))) return;  // no AVX2
  double worst = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double want = std::tanh(static_cast<double>(x[i]));
    INFO("x = " << x[i]);
    REQUIRE(std::signbit(y[i]) == std::signbit(x[i]));
    worst = std::max(worst, std::abs(y[i] - want) / std::max(std::abs(want), 1e-37));
  }
  CHECK(std::isnan(y.back()));
  INFO("largest relative error " << worst);
  CHECK(worst < 4e-7);  // a few ulp (2^-23 = 1.2e-7)
}

TEST_CASE("LOGISTIC matches the double-precision formula, saturating safely", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto y = run1(unaryModel(fb::BuiltinOperator::LOGISTIC, {1, static_cast<int32_t>(kSweep.size())}), kSweep);
  for (size_t i = 0; i < kSweep.size(); ++i) {
    const double expect = 1.0 / (1.0 + std::exp(-static_cast<double>(kSweep[i])));
    INFO("x = " << kSweep[i]);
    CHECK(std::isfinite(y[i]));
    // Below x = -9 TFLite's formula is e^x, off by a relative e^x (< 1.3e-4).
    const double tolerance = kSweep[i] < -9 ? 2e-4 : 1e-6;
    CHECK(y[i] == Approx(expect).epsilon(tolerance).margin(1e-30));
  }
  CHECK(y[8] == 0.5f);               // x = 0
  CHECK(y.back() == 1.0f);           // above the upper cut-off
  // e^-100 is tiny but not zero in float; XNNPACK's sigmoid flushes results
  // below ~1e-38 (x < -87.3) to zero.
  if (kernelPath == KernelPath::kReference) CHECK(y.front() > 0.0f);
}

TEST_CASE("HARD_SWISH is x * relu6(x + 3) / 6", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x = {-5, -3, -2, -1, 0, 1, 2, 3, 4};
  auto y = run1(unaryModel(fb::BuiltinOperator::HARD_SWISH, {3, 3}), x);
  const std::vector<double> expect = {0, 0, -2.0 / 6, -2.0 / 6, 0, 4.0 / 6, 10.0 / 6, 3, 4};
  for (size_t i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(expect[i]).margin(1e-7));
}

TEST_CASE("LEAKY_RELU uses alpha, 0 without options", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x = {-2, -0.5f, 0, 3};
  CHECK(run1(unaryModel(fb::BuiltinOperator::LEAKY_RELU, {4}, leakyReluOptions(0.2f)), x) ==
        std::vector<float>{-2 * 0.2f, -0.5f * 0.2f, 0, 3});
  CHECK(run1(unaryModel(fb::BuiltinOperator::LEAKY_RELU, {4}, leakyReluOptions(-1.5f)), x) ==
        std::vector<float>{3, 0.75f, 0, 3});
  auto y = run1(unaryModel(fb::BuiltinOperator::LEAKY_RELU, {4}), x);
  CHECK(y[0] == 0.0f);
  CHECK(y[1] == 0.0f);
  CHECK(y[3] == 3.0f);
}

TEST_CASE("SOFTMAX over the last axis, hand-computed", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  Dims dims;
  auto y = run1(unaryModel(fb::BuiltinOperator::SOFTMAX, {1, 3}, softmaxOptions(1.0f)), {1, 2, 3}, &dims);
  CHECK(dims == Dims{1, 3});
  const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(y[0] == Approx(std::exp(1.0) / s).epsilon(1e-6));
  CHECK(y[1] == Approx(std::exp(2.0) / s).epsilon(1e-6));
  CHECK(y[2] == Approx(std::exp(3.0) / s).epsilon(1e-6));
  // Huge logits would overflow exp() without the max subtraction.
  y = run1(unaryModel(fb::BuiltinOperator::SOFTMAX, {2}, softmaxOptions(1.0f)), {1000, 1000});
  CHECK(y == std::vector<float>{0.5f, 0.5f});
}

TEST_CASE("SOFTMAX with beta on a rank-3 input matches a naive reference", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Dims d = {2, 3, 5};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-30.f, 30.f);
  std::vector<float> x(30);
  for (float& v : x) v = dist(rng);
  for (float beta : {1.0f, 0.5f, 2.5f}) {
    INFO("beta " << beta);
    auto y = run1(unaryModel(fb::BuiltinOperator::SOFTMAX, d, softmaxOptions(beta)), x);
    for (int row = 0; row < 6; ++row) {
      // Reference in long double straight from the definition.
      long double sum = 0;
      for (int c = 0; c < 5; ++c) sum += std::exp(static_cast<long double>(beta) * x[static_cast<size_t>(row * 5 + c)]);
      double total = 0;
      for (int c = 0; c < 5; ++c) {
        const size_t i = static_cast<size_t>(row * 5 + c);
        const long double e = std::exp(static_cast<long double>(beta) * x[i]) / sum;
        CHECK(y[i] == Approx(static_cast<double>(e)).epsilon(1e-5).margin(1e-30));
        total += y[i];
      }
      CHECK(total == Approx(1.0).epsilon(1e-5));
    }
  }
}

TEST_CASE("SOFTMAX without options has TFLite's beta of 0", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto y = run1(unaryModel(fb::BuiltinOperator::SOFTMAX, {4}), {1, 5, -3, 8});
  CHECK(y == std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f});
}

TEST_CASE("SOFTMAX rejects a scalar", "[activation][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  auto y = runFloat(unaryModel(fb::BuiltinOperator::SOFTMAX, {}, softmaxOptions(1.0f)), {{1}}, &err, 0, nullptr,
                    gPath);
  CHECK(y.empty());
  CHECK_THAT(err, Catch::Contains("rank"));
}

TEST_CASE("PRELU broadcasts alpha against the input", "[activation]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Dims d = {1, 2, 2, 3};
  const std::vector<float> x = {-1, 2, -3, 4, -5, 6, -7, -8, 9, 0, -2, -4};
  auto prelu = [&](const Dims& alphaDims, const std::vector<float>& alpha, bool constantAlpha) {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, d);
    int a = constantAlpha ? mb.addConstant<float>(ElementType::kFloat32, alphaDims, alpha)
                          : mb.addInput(ElementType::kFloat32, alphaDims);
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(fb::BuiltinOperator::PRELU, {in, a}, {out});
    std::string err;
    Dims dims;
    std::vector<std::vector<float>> inputs = {x};
    if (!constantAlpha) inputs.push_back(alpha);
    auto y = runFloat(mb.finish(), inputs, &err, 0, &dims, gPath);
    INFO(err);
    REQUIRE(err.empty());
    CHECK(dims == d);
    return y;
  };
  // Per-channel alpha (shared over H and W), the usual case.
  const std::vector<float> perChannel = {0.1f, 0.5f, 2.0f};
  std::vector<float> expect;
  for (size_t i = 0; i < x.size(); ++i) {
    expect.push_back(x[i] >= 0 ? x[i] : x[i] * perChannel[i % 3]);
  }
  CHECK(prelu({1, 1, 3}, perChannel, true) == expect);
  CHECK(prelu({3}, perChannel, false) == expect);
  // Alpha per row (shared over channels).
  std::vector<float> expectRows;
  const std::vector<float> perRow = {0.25f, -1.0f};
  for (size_t i = 0; i < x.size(); ++i) expectRows.push_back(x[i] >= 0 ? x[i] : x[i] * perRow[i / 6]);
  CHECK(prelu({1, 2, 1, 1}, perRow, true) == expectRows);
  // Alpha with the input's full shape.
  std::vector<float> full(12);
  for (size_t i = 0; i < 12; ++i) full[i] = 0.1f * static_cast<float>(i);
  auto y = prelu(d, full, false);
  for (size_t i = 0; i < 12; ++i) CHECK(y[i] == (x[i] >= 0 ? x[i] : x[i] * full[i]));
}

TEST_CASE("PRELU rejects an alpha that does not fit the input", "[activation][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  for (const Dims& alphaDims : {Dims{4}, Dims{2, 1, 1, 3}}) {
    INFO("alpha " << engine::dimsToString(alphaDims));
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {1, 2, 2, 3});
    std::vector<float> alpha(static_cast<size_t>(engine::numElements(alphaDims)), 0.5f);
    int a = mb.addConstant<float>(ElementType::kFloat32, alphaDims, alpha);
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(fb::BuiltinOperator::PRELU, {in, a}, {out});
    std::string err;
    auto y = runFloat(mb.finish(), {std::vector<float>(12, 1.0f)}, &err, 0, nullptr, gPath);
    CHECK(y.empty());
    CHECK_THAT(err, Catch::Contains("alpha"));
  }
}

TEST_CASE("activations reject non-float inputs", "[activation][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  for (auto op : {fb::BuiltinOperator::TANH, fb::BuiltinOperator::RELU, fb::BuiltinOperator::SOFTMAX}) {
    INFO(fb::EnumNameBuiltinOperator(op));
    auto r = runModel(unaryModel(op, {2}, {}, ElementType::kInt32),
                      {InputData::of(std::vector<int32_t>{1, 2})}, gPath);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kUnsupported);
    CHECK_THAT(r.status().message(), Catch::Contains("INT32"));
  }
}

TEST_CASE("LOGISTIC, HARD_SWISH, RELU*: XNNPACK with 2 threads matches the reference kernels",
          "[activation][xnnpack]") {
  // 20000 values over [-12, 12] (both sigmoid cut-offs, the HARD_SWISH
  // knees, every clamp bound), an odd count so the SIMD tails run too.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-12.f, 12.f);
  std::vector<float> x(20001);
  for (auto& v : x) v = dist(rng);
  for (auto op : {fb::BuiltinOperator::LOGISTIC, fb::BuiltinOperator::HARD_SWISH, fb::BuiltinOperator::RELU,
                  fb::BuiltinOperator::RELU6, fb::BuiltinOperator::RELU_N1_TO_1}) {
    INFO(fb::EnumNameBuiltinOperator(op));
    BothPaths r = runBothPaths(unaryModel(op, {3, 59, 113, 1}), {x});
    INFO(r.error);
    REQUIRE(r.error.empty());
    CHECK(r.optimizedKernels > 0);
    CHECK(r.optimizedDims == r.referenceDims);
    // Clamps are exact; sigmoid (a polynomial) and hardswish (x * (x + 3) *
    // 1/6) differ by a few ulp.
    CHECK(maxScaledDiff(r.optimized, r.reference) <= 1e-6);
  }
}
