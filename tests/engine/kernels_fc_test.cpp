// Tests for FULLY_CONNECTED: hand-computed cases, a naive reference (double
// dot products, written independently of the kernel) over batch / unit /
// input-size combinations that hit the kernel's row and column tails,
// keep_num_dims, optional bias, fused activations, weights computed at run
// time, and the error cases. Every case runs on each kernel path (reference,
// XNNPACK on one and two threads) with |got - want| <= 1e-4 + 1e-4 * |want|;
// larger random cases compare XNNPACK (two threads) with the reference
// kernel directly.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "float_kernel_test_util.h"
#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using A = fb::ActivationFunctionType;
using Op = fb::BuiltinOperator;

struct FcParams {
  A act = A::NONE;
  bool keepNumDims = false;
  bool withOptions = true;
  fb::FullyConnectedOptionsWeightsFormat format = fb::FullyConnectedOptionsWeightsFormat::DEFAULT;
  int version = 1;
  bool constWeights = true;
  bool omittedBias = false;  // bias input present as -1
};

std::vector<uint8_t> fcModel(const Dims& inDims, const Dims& wDims, const std::vector<float>& w,
                             const std::optional<std::vector<float>>& bias, const FcParams& p) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int weights = p.constWeights ? mb.addConstant(ElementType::kFloat32, wDims, w)
                               : mb.addInput(ElementType::kFloat32, wDims);
  std::vector<int> inputs{in, weights};
  if (bias) {
    inputs.push_back(mb.addConstant(ElementType::kFloat32,
                                    {static_cast<int32_t>(bias->size())}, *bias));
  } else if (p.omittedBias) {
    inputs.push_back(-1);
  }
  int out = mb.addOutput(ElementType::kFloat32, {});
  OptionsFn opts;
  if (p.withOptions) {
    opts = [p](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(
          fb::BuiltinOptions::FullyConnectedOptions,
          fb::CreateFullyConnectedOptions(b, p.act, p.format, p.keepNumDims).Union());
    };
  }
  mb.addOp(Op::FULLY_CONNECTED, inputs, {out}, opts, p.version);
  return mb.finish();
}

// y[b][u] = act(bias[u] + sum_i x[b][i] * w[u][i]) over the input flattened to
// rows of inputSize.
std::vector<float> naiveFc(const std::vector<float>& x, const std::vector<float>& w, int units,
                           int inputSize, const std::optional<std::vector<float>>& bias, A act) {
  const size_t rows = x.size() / static_cast<size_t>(inputSize);
  std::vector<float> y;
  for (size_t b = 0; b < rows; ++b) {
    for (int u = 0; u < units; ++u) {
      double sum = bias ? (*bias)[static_cast<size_t>(u)] : 0.0;
      for (int i = 0; i < inputSize; ++i) {
        sum += static_cast<double>(x[b * static_cast<size_t>(inputSize) + static_cast<size_t>(i)]) *
               w[static_cast<size_t>(u * inputSize + i)];
      }
      if (act == A::RELU) sum = std::max(sum, 0.0);
      if (act == A::RELU6) sum = std::clamp(sum, 0.0, 6.0);
      if (act == A::RELU_N1_TO_1) sum = std::clamp(sum, -1.0, 1.0);
      y.push_back(static_cast<float>(sum));
    }
  }
  return y;
}


}  // namespace

TEST_CASE("FULLY_CONNECTED 2x3 by 2 units with bias, hand computed", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // rows {1,2,3} and {-1,0,4}; units w0 = {1,0,-1}, w1 = {0.5,0.5,0.5}; bias {1, -1}.
  std::vector<float> x = {1, 2, 3, -1, 0, 4};
  std::vector<float> w = {1, 0, -1, 0.5f, 0.5f, 0.5f};
  Dims od;
  auto y = run(fcModel({2, 3}, {2, 3}, w, std::vector<float>{1, -1}, {}), {x}, &od);
  CHECK(od == Dims{2, 2});
  // row0: 1-3+1 = -1, 3-1 = 2; row1: -1-4+1 = -4, 1.5-1 = 0.5
  requireClose(y, {-1, 2, -4, 0.5f});
}

TEST_CASE("FULLY_CONNECTED flattens the input and honours keep_num_dims", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Input [2, 2, 3] = 4 rows of 3; 1 unit summing its row.
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<float> w = {1, 1, 1};
  Dims od;
  FcParams p;
  auto flat = run(fcModel({2, 2, 3}, {1, 3}, w, std::nullopt, p), {x}, &od);
  CHECK(od == Dims{4, 1});
  requireClose(flat, {6, 15, 24, 33});
  p.keepNumDims = true;
  auto kept = run(fcModel({2, 2, 3}, {1, 3}, w, std::nullopt, p), {x}, &od);
  CHECK(od == Dims{2, 2, 1});
  requireClose(kept, {6, 15, 24, 33});
}

TEST_CASE("FULLY_CONNECTED reshapes rows across dimensions without keep_num_dims",
          "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Input [1, 2, 3] with input size 6: a single row of 6.
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  std::vector<float> w = {1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0};
  Dims od;
  auto y = run(fcModel({1, 2, 3}, {2, 6}, w, std::nullopt, {}), {x}, &od);
  CHECK(od == Dims{1, 2});
  requireClose(y, {7, 6});
}

TEST_CASE("FULLY_CONNECTED fused activations", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::vector<float> x = {1};
  std::vector<float> w = {-3, -0.5f, 0.5f, 8};  // 4 units, input size 1
  Dims od;
  FcParams p;
  p.act = A::RELU;
  requireClose(run(fcModel({1, 1}, {4, 1}, w, std::nullopt, p), {x}, &od), {0, 0, 0.5f, 8});
  p.act = A::RELU6;
  requireClose(run(fcModel({1, 1}, {4, 1}, w, std::nullopt, p), {x}, &od), {0, 0, 0.5f, 6});
  p.act = A::RELU_N1_TO_1;
  requireClose(run(fcModel({1, 1}, {4, 1}, w, std::nullopt, p), {x}, &od), {-1, -0.5f, 0.5f, 1});
}

TEST_CASE("FULLY_CONNECTED without options uses TFLite's defaults", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  FcParams p;
  p.withOptions = false;  // no activation, no keep_num_dims
  Dims od;
  auto y = run(fcModel({1, 2, 2}, {1, 2}, {1, -1}, std::nullopt, p), {{5, 7, -1, 2}}, &od);
  CHECK(od == Dims{2, 1});
  requireClose(y, {-2, -3});
}

TEST_CASE("FULLY_CONNECTED matches a naive reference", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  struct Case {
    int rows, inputSize, units;
    A act;
    bool bias;
  };
  const std::vector<Case> cases = {
      {1, 672, 63, A::NONE, true},    // hand_landmark's head
      {1, 5, 1, A::RELU, true},
      {3, 17, 9, A::RELU6, false},
      {4, 8, 8, A::NONE, true},
      {9, 33, 19, A::RELU_N1_TO_1, true},
      {7, 1, 13, A::NONE, true},
      {130, 64, 40, A::RELU, true},   // several row tiles of the micro-kernel
  };
  forEachCase(cases, 1, [](const Case& c, unsigned seed) {
    auto x = randomValues(int64_t{c.rows} * c.inputSize, seed * 5 + 1);
    auto w = randomValues(int64_t{c.units} * c.inputSize, seed * 5 + 2);
    std::optional<std::vector<float>> bias;
    if (c.bias) bias = randomValues(c.units, seed * 5 + 3);
    FcParams p;
    p.act = c.act;
    Dims od;
    auto y = run(fcModel({c.rows, c.inputSize}, {c.units, c.inputSize}, w, bias, p), {x}, &od);
    CHECK(od == Dims{c.rows, c.units});
    requireClose(y, naiveFc(x, w, c.units, c.inputSize, bias, c.act));
  });
}

TEST_CASE("FULLY_CONNECTED with weights computed at run time", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto x = randomValues(3 * 10, 41);
  auto w = randomValues(11 * 10, 42);
  auto bias = randomValues(11, 43);
  FcParams p;
  p.constWeights = false;
  Dims od;
  auto y = run(fcModel({3, 10}, {11, 10}, w, bias, p), {x, w}, &od);
  CHECK(od == Dims{3, 11});
  requireClose(y, naiveFc(x, w, 11, 10, bias, A::NONE));
}

TEST_CASE("FULLY_CONNECTED accepts an omitted bias (-1) and version 13", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  FcParams p;
  p.omittedBias = true;
  p.version = 13;
  Dims od;
  auto y = run(fcModel({1, 2}, {2, 2}, {1, 2, 3, 4}, std::nullopt, p), {{1, -1}}, &od);
  CHECK(od == Dims{1, 2});
  requireClose(y, {-1, -1});
}

TEST_CASE("FULLY_CONNECTED rejects bad models", "[kernels][fc]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x(6, 1.f);
  SECTION("weights of rank 3") {
    rejects(fcModel({1, 6}, {1, 2, 3}, std::vector<float>(6, 1.f), std::nullopt, {}), {x}, "rank");
  }
  SECTION("input elements not a multiple of the input size") {
    rejects(fcModel({1, 6}, {1, 4}, std::vector<float>(4, 1.f), std::nullopt, {}), {x}, "multiple");
  }
  SECTION("bias of the wrong size") {
    rejects(fcModel({1, 6}, {2, 6}, std::vector<float>(12, 1.f), std::vector<float>{1, 2, 3}, {}),
            {x}, "bias");
  }
  SECTION("keep_num_dims with a last dimension that is not the input size") {
    FcParams p;
    p.keepNumDims = true;
    rejects(fcModel({2, 3}, {1, 6}, std::vector<float>(6, 1.f), std::nullopt, p), {x},
            "keep_num_dims");
  }
  SECTION("shuffled weights format") {
    FcParams p;
    p.format = fb::FullyConnectedOptionsWeightsFormat::SHUFFLED4x16INT8;
    CHECK(rejects(fcModel({1, 6}, {1, 6}, std::vector<float>(6, 1.f), std::nullopt, p), {x},
                  "weights_format") == StatusCode::kUnsupported);
  }
  SECTION("unsupported fused activation") {
    FcParams p;
    p.act = A::TANH;
    CHECK(rejects(fcModel({1, 6}, {1, 6}, std::vector<float>(6, 1.f), std::nullopt, p), {x},
                  "TANH") == StatusCode::kUnsupported);
  }
  SECTION("uint8 weights with a float input are not supported (hybrid takes int8)") {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {1, 6});
    int w = mb.addConstant(ElementType::kUInt8, {1, 6}, std::vector<uint8_t>(6, 1),
                           QuantParams{{0.5f}, {0}, 0});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::FULLY_CONNECTED, {in, w}, {out});
    CHECK(rejects(mb.finish(), {x}, "UINT8") == StatusCode::kUnsupported);
  }
}

TEST_CASE("FULLY_CONNECTED: XNNPACK with 2 threads matches the reference kernel", "[kernels][fc][xnnpack]") {
  struct Case {
    Dims in;
    int units;
    A act;
    bool bias, keepNumDims;
  };
  const std::vector<Case> cases = {
      {{37, 129}, 67, A::RELU, true, false},
      {{1, 1152}, 63, A::NONE, true, false},
      {{3, 5, 7, 64}, 10, A::RELU6, false, true},  // keep_num_dims: [3, 5, 7, 10]
      {{2, 3, 50}, 33, A::NONE, true, false},      // rows across dimensions
  };
  forEachCase(cases, 100, [](const Case& c, unsigned seed) {
    const int inputSize = c.in.back();
    auto x = randomValues(engine::numElements(c.in), seed * 5 + 1);
    auto w = randomValues(int64_t{c.units} * inputSize, seed * 5 + 2);
    std::optional<std::vector<float>> bias;
    if (c.bias) bias = randomValues(c.units, seed * 5 + 3);
    FcParams p;
    p.act = c.act;
    p.keepNumDims = c.keepNumDims;
    // Summation order differs (XNNPACK's GEMM, FMA where available).
    requirePathsAgree(fcModel(c.in, {c.units, inputSize}, w, bias, p), {x}, 1e-5);
  });
}
