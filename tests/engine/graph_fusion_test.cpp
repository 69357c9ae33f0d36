// Tests for the graph rewrite of float subgraphs (engine/src/graph_fusion.*):
// which patterns fold (counted with planFusions on the loaded model) and
// that the fused graph computes what the unfused one does (the optimized
// kernels with two threads against the reference kernels, which never
// fuse), including the cases that must not fold.
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "float_kernel_test_util.h"
#include "graph_fusion.h"
#include "kernels/simd/dispatch.h"
#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using A = fb::ActivationFunctionType;
using Op = fb::BuiltinOperator;

// Ops that planFusions() removes from subgraph 0 of the model.
int fusedAway(const std::vector<uint8_t>& bytes, const engine::OpResolver& resolver = engine::OpResolver::builtins()) {
  auto model = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "fusion-test");
  REQUIRE(model.isOk());
  return engine::planFusions(model.value()->subgraphs()[0], resolver).fusedAway;
}

// Ops an interpreter created with `options` runs fused away.
int interpreterFusedOps(const std::vector<uint8_t>& bytes, const engine::InterpreterOptions& options) {
  auto model = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "fusion-test");
  REQUIRE(model.isOk());
  auto interpreter = engine::Interpreter::create(model.value(), options);
  INFO(interpreter.status().toString());
  REQUIRE(interpreter.isOk());
  return interpreter.value()->fusedOps();
}

// Turns the SIMD kernels off for a scope (also when a REQUIRE leaves it).
struct SimdOff {
  SimdOff() { engine::kernels::simd::setDisabled(true); }
  ~SimdOff() { engine::kernels::simd::setDisabled(false); }
  SimdOff(const SimdOff&) = delete;
  SimdOff& operator=(const SimdOff&) = delete;
};

// Reference and optimized (two threads) agree to float rounding.
void requireSameResults(const std::vector<uint8_t>& model, const std::vector<std::vector<float>>& inputs,
                        int outputIndex = 0) {
  BothPaths r = runBothPaths(model, inputs, outputIndex);
  INFO(r.error);
  REQUIRE(r.error.empty());
  CHECK(r.optimizedDims == r.referenceDims);
  CHECK(maxScaledDiff(r.optimized, r.reference) <= 1e-5);
}

OptionsFn conv2d(A act) {
  return [act](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::Conv2DOptions,
                          fb::CreateConv2DOptions(b, fb::Padding::SAME, 1, 1, act).Union());
  };
}

OptionsFn depthwise(int stride) {
  return [stride](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::DepthwiseConv2DOptions,
                          fb::CreateDepthwiseConv2DOptions(b, fb::Padding::SAME, stride, stride, 1).Union());
  };
}

OptionsFn add(A act) {
  return [act](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::AddOptions, fb::CreateAddOptions(b, act).Union());
  };
}

// input [1, 9, 11, 6] -> CONV_2D (3x3, 8 channels, own activation `act`) -> t
int addConv(OpModelBuilder& mb, int in, A act, unsigned seed) {
  const int w = mb.addConstant(ElementType::kFloat32, {8, 3, 3, 6}, randomValues(8 * 9 * 6, seed));
  const int b = mb.addConstant(ElementType::kFloat32, {8}, randomValues(8, seed + 1));
  const int t = mb.addTensor(ElementType::kFloat32, {1, 9, 11, 8});
  mb.addOp(Op::CONV_2D, {in, w, b}, {t}, conv2d(act));
  return t;
}

// input [1, 13, 12, 20] -> DEPTHWISE_CONV_2D (3x3, stride) -> t
int addDepthwise(OpModelBuilder& mb, int in, int stride, unsigned seed) {
  const int w = mb.addConstant(ElementType::kFloat32, {1, 3, 3, 20}, randomValues(9 * 20, seed, -2.f, 2.f));
  const int b = mb.addConstant(ElementType::kFloat32, {20}, randomValues(20, seed + 1));
  const int t = mb.addTensor(ElementType::kFloat32, {1, stride == 1 ? 13 : 7, stride == 1 ? 12 : 6, 20});
  mb.addOp(Op::DEPTHWISE_CONV_2D, {in, w, b}, {t}, depthwise(stride));
  return t;
}

TEST_CASE("A RELU after a convolution folds into it", "[fusion]") {
  OpModelBuilder mb;
  const int in = mb.addInput(ElementType::kFloat32, {1, 9, 11, 6});
  const int t = addConv(mb, in, A::NONE, 1);
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RELU, {t}, {out});
  const auto model = mb.finish();
  CHECK(fusedAway(model) == 1);
  requireSameResults(model, {randomValues(9 * 11 * 6, 2)});
}

TEST_CASE("A chain of clamps after ADD folds into it and keeps the narrowest range", "[fusion]") {
  OpModelBuilder mb;
  const int a = mb.addInput(ElementType::kFloat32, {2, 7, 33});
  const int b = mb.addInput(ElementType::kFloat32, {2, 7, 33});
  const int t0 = mb.addTensor(ElementType::kFloat32, {2, 7, 33});
  const int t1 = mb.addTensor(ElementType::kFloat32, {2, 7, 33});
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::ADD, {a, b}, {t0}, add(A::RELU6));
  mb.addOp(Op::RELU_N1_TO_1, {t0}, {t1});
  mb.addOp(Op::RELU, {t1}, {out});
  const auto model = mb.finish();
  CHECK(fusedAway(model) == 2);
  requireSameResults(model, {randomValues(462, 3, -3.f, 3.f), randomValues(462, 4, -3.f, 3.f)});
}

TEST_CASE("A clamp stays when its input is also read elsewhere or is an output", "[fusion]") {
  SECTION("two readers") {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, {1, 9, 11, 6});
    const int t = addConv(mb, in, A::NONE, 5);
    const int out0 = mb.addOutput(ElementType::kFloat32, {});
    const int out1 = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::RELU, {t}, {out0});
    mb.addOp(Op::RELU6, {t}, {out1});
    const auto model = mb.finish();
    CHECK(fusedAway(model) == 0);
    requireSameResults(model, {randomValues(9 * 11 * 6, 6)}, 1);
  }
  SECTION("the convolution's result is a model output") {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, {1, 9, 11, 6});
    const int t = mb.addOutput(ElementType::kFloat32, {});
    const int w = mb.addConstant(ElementType::kFloat32, {8, 3, 3, 6}, randomValues(8 * 9 * 6, 7));
    mb.addOp(Op::CONV_2D, {in, w}, {t}, conv2d(A::NONE));
    const int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::RELU, {t}, {out});
    const auto model = mb.finish();
    CHECK(fusedAway(model) == 0);
    requireSameResults(model, {randomValues(9 * 11 * 6, 8)}, 0);
    requireSameResults(model, {randomValues(9 * 11 * 6, 8)}, 1);
  }
}

// PAD (channels only) of `x` feeding ADD with `y` on side `padSide`, then RELU.
std::vector<uint8_t> padAddModel(int padSide, bool padV2, float value) {
  OpModelBuilder mb;
  const int x = mb.addInput(ElementType::kFloat32, {1, 5, 6, 11});
  const int y = mb.addInput(ElementType::kFloat32, {1, 5, 6, 16});
  const int paddings = mb.addConstant(ElementType::kInt32, {4, 2}, std::vector<int32_t>{0, 0, 0, 0, 0, 0, 2, 3});
  const int padded = mb.addTensor(ElementType::kFloat32, {1, 5, 6, 16});
  if (padV2) {
    const int v = mb.addConstant(ElementType::kFloat32, {}, std::vector<float>{value});
    mb.addOp(Op::PADV2, {x, paddings, v}, {padded});
  } else {
    mb.addOp(Op::PAD, {x, paddings}, {padded});
  }
  const int sum = mb.addTensor(ElementType::kFloat32, {1, 5, 6, 16});
  mb.addOp(Op::ADD, padSide == 0 ? std::vector<int>{padded, y} : std::vector<int>{y, padded}, {sum},
           add(A::NONE));
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RELU, {sum}, {out});
  return mb.finish();
}

TEST_CASE("A channel PAD folds into the ADD that reads it", "[fusion]") {
  const std::vector<std::vector<float>> inputs = {randomValues(5 * 6 * 11, 9), randomValues(5 * 6 * 16, 10)};
  for (int side : {0, 1}) {
    INFO("padded operand " << side);
    CHECK(fusedAway(padAddModel(side, false, 0.f)) == 2);  // PAD and RELU
    requireSameResults(padAddModel(side, false, 0.f), inputs);
  }
  CHECK(fusedAway(padAddModel(0, true, 0.f)) == 2);
  requireSameResults(padAddModel(1, true, 0.f), inputs);
  // Padding with 1 is not the zeros the fused ADD assumes.
  CHECK(fusedAway(padAddModel(0, true, 1.f)) == 1);
  requireSameResults(padAddModel(0, true, 1.f), inputs);
}

// x -> LOGISTIC -> MUL(x, sigmoid) (or MUL(sigmoid, x)), x from `producer`.
std::vector<uint8_t> swishModel(bool fromDepthwise, bool sigmoidFirst, int stride) {
  OpModelBuilder mb;
  const int in = mb.addInput(ElementType::kFloat32, {1, 13, 12, 20});
  const int x = fromDepthwise ? addDepthwise(mb, in, stride, 11) : in;
  const int s = mb.addTensor(ElementType::kFloat32, {});
  mb.addOp(Op::LOGISTIC, {x}, {s});
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::MUL, sigmoidFirst ? std::vector<int>{s, x} : std::vector<int>{x, s}, {out});
  return mb.finish();
}

TEST_CASE("LOGISTIC and MUL fold into one swish, into the depthwise convolution before them when there is one",
          "[fusion]") {
  const std::vector<std::vector<float>> inputs = {randomValues(13 * 12 * 20, 12, -6.f, 6.f)};
  CHECK(fusedAway(swishModel(false, false, 1)) == 1);
  requireSameResults(swishModel(false, false, 1), inputs);
  requireSameResults(swishModel(false, true, 1), inputs);
  for (int stride : {1, 2}) {
    CHECK(fusedAway(swishModel(true, true, stride)) == 2);
    requireSameResults(swishModel(true, true, stride), inputs);
  }
  SECTION("without the SIMD kernels (XNNPACK, then the swish in place)") {
    SimdOff off;
    requireSameResults(swishModel(true, false, 1), inputs);
    requireSameResults(swishModel(false, false, 1), inputs);
  }
}

// Output 0's bytes on input 0 = `input` (bytes), on 2 threads.
std::vector<uint8_t> outputBytes(const std::vector<uint8_t>& bytes, const std::vector<uint8_t>& input, bool optimized) {
  auto model = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "fusion-test");
  REQUIRE(model.isOk());
  engine::InterpreterOptions o;
  o.optimizedKernels = optimized;
  o.numThreads = 2;
  auto interpreter = engine::Interpreter::create(model.value(), o);
  INFO(interpreter.status().toString());
  REQUIRE(interpreter.isOk());
  engine::Tensor& in = interpreter.value()->input(0);
  REQUIRE(in.bytes == input.size());
  std::memcpy(in.data, input.data(), input.size());
  REQUIRE(interpreter.value()->invoke().isOk());
  const engine::Tensor& out = interpreter.value()->output(0);
  return {out.data, out.data + out.bytes};
}

TEST_CASE("An 8-bit LOGISTIC and MUL fold into one table with the reference kernels' bytes", "[fusion]") {
  for (const bool sigmoidFirst : {false, true}) {
    for (const int32_t zp : {-128, -3, 40}) {
      OpModelBuilder mb;
      const QuantParams xq{{0.047f}, {zp}, 0};
      const int x = mb.addInput(ElementType::kInt8, {1, 40, 33, 24}, xq);  // 31680 values
      const int s = mb.addTensor(ElementType::kInt8, {1, 40, 33, 24}, QuantParams{{1.f / 256}, {-128}, 0});
      mb.addOp(Op::LOGISTIC, {x}, {s});
      const int out = mb.addOutput(ElementType::kInt8, {1, 40, 33, 24}, QuantParams{{0.031f}, {-90 + zp / 4}, 0});
      mb.addOp(Op::MUL, sigmoidFirst ? std::vector<int>{s, x} : std::vector<int>{x, s}, {out});
      const auto model = mb.finish();
      CHECK(fusedAway(model) == 1);
      CHECK(interpreterFusedOps(model, {}) == 1);
      std::vector<uint8_t> input(40 * 33 * 24);
      for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 7 + i / 256);  // every byte
      CHECK(outputBytes(model, input, true) == outputBytes(model, input, false));
    }
  }
  SECTION("not when the sigmoid's scale is not LOGISTIC's 1/256") {
    OpModelBuilder mb;
    const int x = mb.addInput(ElementType::kInt8, {1, 4, 4, 8}, QuantParams{{0.05f}, {0}, 0});
    const int s = mb.addTensor(ElementType::kInt8, {1, 4, 4, 8}, QuantParams{{1.f / 128}, {-128}, 0});
    mb.addOp(Op::LOGISTIC, {x}, {s});
    const int out = mb.addOutput(ElementType::kInt8, {1, 4, 4, 8}, QuantParams{{0.03f}, {0}, 0});
    mb.addOp(Op::MUL, {x, s}, {out});
    CHECK(fusedAway(mb.finish()) == 0);
  }
}

TEST_CASE("In a model with hybrid ops the float swish folds and keeps the builtin arithmetic", "[fusion]") {
  // x -> FULLY_CONNECTED (int8 weights: hybrid) -> LOGISTIC -> MUL(y, .)
  OpModelBuilder mb;
  const int k = 48, units = 4099;  // n mod 4 = 3: the scalar tail of the builtin LOGISTIC too
  const int in = mb.addInput(ElementType::kFloat32, {1, k});
  std::vector<int8_t> q(static_cast<size_t>(units * k));
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  const int w = mb.addConstant(ElementType::kInt8, {units, k}, q, QuantParams{{0.004f}, {0}, 0});
  const int y = mb.addTensor(ElementType::kFloat32, {1, units});
  mb.addOp(Op::FULLY_CONNECTED, {in, w}, {y});
  const int s = mb.addTensor(ElementType::kFloat32, {1, units});
  mb.addOp(Op::LOGISTIC, {y}, {s});
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::MUL, {y, s}, {out});
  const auto model = mb.finish();
  CHECK(interpreterFusedOps(model, {}) == 1);
  const std::vector<float> x = randomValues(k, 41, -3.f, 3.f);
  std::vector<uint8_t> input(k * sizeof(float));
  std::memcpy(input.data(), x.data(), input.size());
  CHECK(outputBytes(model, input, true) == outputBytes(model, input, false));
}

TEST_CASE("HARD_SWISH after a depthwise convolution folds into it", "[fusion]") {
  OpModelBuilder mb;
  const int in = mb.addInput(ElementType::kFloat32, {1, 13, 12, 20});
  const int t = addDepthwise(mb, in, 1, 13);
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::HARD_SWISH, {t}, {out});
  const auto model = mb.finish();
  CHECK(fusedAway(model) == 1);
  const std::vector<std::vector<float>> inputs = {randomValues(13 * 12 * 20, 14, -4.f, 4.f)};
  requireSameResults(model, inputs);
  SimdOff off;
  requireSameResults(model, inputs);
}

// input [1, 9, 11, 6] -> CONV_2D -> RELU -> FULLY_CONNECTED (weights float,
// or int8: a hybrid layer) -> [1, 5]
std::vector<uint8_t> convReluFcModel(bool hybridFc) {
  OpModelBuilder mb;
  const int in = mb.addInput(ElementType::kFloat32, {1, 9, 11, 6});
  const int t = addConv(mb, in, A::NONE, 21);
  const int r = mb.addTensor(ElementType::kFloat32, {1, 9, 11, 8});
  mb.addOp(Op::RELU, {t}, {r});
  const int flat = mb.addTensor(ElementType::kFloat32, {1, 9 * 11 * 8});
  const int shape = mb.addConstant(ElementType::kInt32, {2}, std::vector<int32_t>{1, 9 * 11 * 8});
  mb.addOp(Op::RESHAPE, {r, shape}, {flat});
  const int units = 5, k = 9 * 11 * 8;
  int w;
  if (hybridFc) {
    std::vector<int8_t> q(static_cast<size_t>(units * k));
    for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
    w = mb.addConstant(ElementType::kInt8, {units, k}, q, QuantParams{{0.01f}, {0}, 0});
  } else {
    w = mb.addConstant(ElementType::kFloat32, {units, k}, randomValues(static_cast<size_t>(units * k), 22));
  }
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::FULLY_CONNECTED, {flat, w}, {out});
  return mb.finish();
}

TEST_CASE("Only interpreters with optimized kernels on float models that keep no tensors run the rewrite",
          "[fusion]") {
  const auto floatModel = convReluFcModel(false);
  engine::InterpreterOptions optimized;
  CHECK(interpreterFusedOps(floatModel, optimized) == 1);
  engine::InterpreterOptions reference;
  reference.optimizedKernels = false;
  CHECK(interpreterFusedOps(floatModel, reference) == 0);
  engine::InterpreterOptions preserve;
  preserve.preserveAllTensors = true;
  CHECK(interpreterFusedOps(floatModel, preserve) == 0);
  // A hybrid layer anywhere: the float layers follow LiteRT's builtin order
  // bit for bit and only the swish is rewritten, not the RELU.
  const auto hybridModel = convReluFcModel(true);
  CHECK(fusedAway(hybridModel) == 1);
  CHECK(interpreterFusedOps(hybridModel, optimized) == 0);
  requireSameResults(floatModel, {randomValues(9 * 11 * 6, 23)});
}

TEST_CASE("int8 ops other than the swish never fold", "[fusion]") {
  OpModelBuilder mb;
  const QuantParams act{{0.05f}, {-3}, 0};
  const int in = mb.addInput(ElementType::kInt8, {1, 9, 11, 6}, act);
  std::vector<int8_t> wq(8 * 9 * 6);
  for (size_t i = 0; i < wq.size(); ++i) wq[i] = static_cast<int8_t>(static_cast<int>(i * 29 % 200) - 100);
  const int w = mb.addConstant(ElementType::kInt8, {8, 3, 3, 6}, wq, QuantParams{{0.02f}, {0}, 0});
  const int b = mb.addConstant(ElementType::kInt32, {8}, std::vector<int32_t>(8, 100), QuantParams{{0.001f}, {0}, 0});
  const int t = mb.addTensor(ElementType::kInt8, {1, 9, 11, 8}, QuantParams{{0.1f}, {2}, 0});
  mb.addOp(Op::CONV_2D, {in, w, b}, {t}, conv2d(A::NONE));
  const int out = mb.addOutput(ElementType::kInt8, {1, 9, 11, 8}, QuantParams{{0.1f}, {2}, 0});
  mb.addOp(Op::RELU, {t}, {out});
  const auto model = mb.finish();
  CHECK(fusedAway(model) == 0);
  CHECK(interpreterFusedOps(model, {}) == 0);
}

Status evalNothing(engine::OpContext&) { return Status::ok(); }

TEST_CASE("An op whose kernel the application replaced does not fold", "[fusion]") {
  OpModelBuilder mb;
  const int in = mb.addInput(ElementType::kFloat32, {1, 9, 11, 6});
  const int t = addConv(mb, in, A::NONE, 31);
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RELU, {t}, {out});
  const auto model = mb.finish();
  CHECK(fusedAway(model) == 1);
  engine::OpResolver mine = engine::OpResolver::withBuiltins();
  engine::KernelRegistration relu = *engine::OpResolver::builtins().find(static_cast<int32_t>(Op::RELU), "", 1);
  relu.eval = evalNothing;
  mine.add(relu);
  CHECK(fusedAway(model, mine) == 0);
  engine::InterpreterOptions options;
  options.resolver = &mine;
  CHECK(interpreterFusedOps(model, options) == 0);
}

}  // namespace
