// Tests for the shape kernels: RESHAPE, SQUEEZE, EXPAND_DIMS, CONCATENATION,
// SPLIT, SLICE, STRIDED_SLICE, TRANSPOSE, PAD and PADV2. Hand-computed cases,
// plus naive references written independently of the kernels: numpy-style
// basic indexing (Python's slice.indices rules) for STRIDED_SLICE, and
// multi-index arithmetic for TRANSPOSE and PAD. Also dynamic (non-constant)
// shape inputs, several element types, and error cases.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_catch.h"

namespace {

using namespace inferd;
using namespace inferd::test;

using Op = fb::BuiltinOperator;

int64_t count(const Dims& d) {
  int64_t n = 1;
  for (int32_t x : d) n *= x;
  return n;
}



OptionsFn noOptions() { return {}; }

// ---------------------------------------------------------------- RESHAPE

OptionsFn reshapeOptions(std::vector<int32_t> shape) {
  return [shape](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::ReshapeOptions,
                          fb::CreateReshapeOptions(b, b.CreateVector(shape)).Union());
  };
}

TEST_CASE("RESHAPE takes the shape from a constant tensor and infers -1", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 3, 4});
  int shape = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {4, -1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RESHAPE, {in, shape}, {out});
  auto x = iota<float>(24, 1.f);
  auto outs = runOk(mb.finish(), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{4, 6});
  CHECK(outs[0].values<float>() == x);
}

TEST_CASE("RESHAPE accepts an INT64 shape tensor", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kInt32, {6});
  int shape = mb.addConstant<int64_t>(ElementType::kInt64, {3}, {-1, 1, 2});
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::RESHAPE, {in, shape}, {out});
  auto x = iota<int32_t>(6, 10);
  auto outs = runOk(mb.finish(), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{3, 1, 2});
  CHECK(outs[0].values<int32_t>() == x);
}

TEST_CASE("RESHAPE uses ReshapeOptions.new_shape without a shape tensor", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kInt8, {1, 2, 3});
  int out = mb.addOutput(ElementType::kInt8, {});
  mb.addOp(Op::RESHAPE, {in}, {out}, reshapeOptions({3, -1}));
  std::vector<int8_t> x = {-3, -2, -1, 0, 1, 2};
  auto outs = runOk(mb.finish(), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{3, 2});
  CHECK(outs[0].values<int8_t>() == x);
}

TEST_CASE("RESHAPE falls back to the output's static shape", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 2});
  int out = mb.addOutput(ElementType::kFloat32, {4, 1});
  mb.addOp(Op::RESHAPE, {in}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(std::vector<float>{1, 2, 3, 4})});
  CHECK(outs[0].dims == Dims{4, 1});
  CHECK(outs[0].values<float>() == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("RESHAPE reads legacy new_shape [0] as a scalar", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {1, 1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RESHAPE, {in}, {out}, reshapeOptions({0}));
  auto outs = runOk(mb.finish(), {InputData::of(std::vector<float>{7.5f})});
  CHECK(outs[0].dims.empty());
  CHECK(outs[0].values<float>() == std::vector<float>{7.5f});
}

TEST_CASE("RESHAPE with a runtime shape tensor sizes the output in eval", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 6});
  int shape = mb.addInput(ElementType::kInt32, {3});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RESHAPE, {in, shape}, {out});
  auto model = mb.finish();
  auto x = iota<float>(12);
  auto outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{3, -1, 2})});
  CHECK(outs[0].dims == Dims{3, 2, 2});
  CHECK(outs[0].values<float>() == x);
  outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{1, 12, 1})});
  CHECK(outs[0].dims == Dims{1, 12, 1});

  std::string err = runError(model, {InputData::of(x), InputData::of(std::vector<int32_t>{5, 1, 2})});
  CHECK_THAT(err, Catch::Contains("reshape"));
}

TEST_CASE("RESHAPE with a runtime shape tensor and options checks they agree", "[shape][reshape]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 3});
  int shape = mb.addInput(ElementType::kInt32, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RESHAPE, {in, shape}, {out}, reshapeOptions({3, 2}));
  auto model = mb.finish();
  auto x = iota<float>(6);
  auto outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{-1, 2})});
  CHECK(outs[0].dims == Dims{3, 2});
  CHECK(outs[0].values<float>() == x);
  std::string err = runError(model, {InputData::of(x), InputData::of(std::vector<int32_t>{2, 3})});
  CHECK_THAT(err, Catch::Contains("disagrees"));
}

TEST_CASE("RESHAPE rejects bad shapes", "[shape][reshape][error]") {
  auto model = [](std::vector<int32_t> shape) {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {2, 3});
    int s = mb.addConstant<int32_t>(ElementType::kInt32, {static_cast<int32_t>(shape.size())}, shape);
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::RESHAPE, {in, s}, {out});
    return mb.finish();
  };
  auto x = iota<float>(6);
  CHECK_THAT(runError(model({4, 2}), {InputData::of(x)}), Catch::Contains("cannot reshape"));
  CHECK_THAT(runError(model({-1, -1}), {InputData::of(x)}), Catch::Contains("more than one -1"));
  CHECK_THAT(runError(model({-1, 4}), {InputData::of(x)}), Catch::Contains("-1"));
  CHECK_THAT(runError(model({-2, -3}), {InputData::of(x)}), Catch::Contains("negative"));
}

// ---------------------------------------------------------------- SQUEEZE

std::vector<uint8_t> squeezeModel(const Dims& inDims, std::vector<int32_t> squeezeDims, bool withOptions = true) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int out = mb.addOutput(ElementType::kFloat32, {});
  OptionsFn opts;
  if (withOptions) {
    opts = [squeezeDims](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::SqueezeOptions,
                            fb::CreateSqueezeOptions(b, b.CreateVector(squeezeDims)).Union());
    };
  }
  mb.addOp(Op::SQUEEZE, {in}, {out}, opts);
  return mb.finish();
}

TEST_CASE("SQUEEZE removes all size-1 dims or the listed ones", "[shape][squeeze]") {
  auto x = iota<float>(6);
  Dims d;
  CHECK(runFloat(squeezeModel({1, 2, 1, 3, 1}, {}), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{2, 3});
  CHECK(runFloat(squeezeModel({1, 2, 1, 3, 1}, {}, false), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{2, 3});
  CHECK(runFloat(squeezeModel({1, 2, 1, 3, 1}, {2}), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{1, 2, 3, 1});
  CHECK(runFloat(squeezeModel({1, 2, 1, 3, 1}, {0, -1}), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{2, 1, 3});
}

TEST_CASE("SQUEEZE rejects a dim that is not 1 or out of range", "[shape][squeeze][error]") {
  auto x = iota<float>(6);
  CHECK_THAT(runError(squeezeModel({1, 2, 3}, {1}), {InputData::of(x)}), Catch::Contains("size 2"));
  CHECK_THAT(runError(squeezeModel({1, 2, 3}, {3}), {InputData::of(x)}), Catch::Contains("out of range"));
}

// ---------------------------------------------------------------- EXPAND_DIMS

template <typename A>
std::vector<uint8_t> expandDimsModel(const Dims& inDims, ElementType axisType, A axis, bool constantAxis = true) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int ax = constantAxis ? mb.addConstant<A>(axisType, {1}, {axis}) : mb.addInput(axisType, {1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::EXPAND_DIMS, {in, ax}, {out});
  return mb.finish();
}

TEST_CASE("EXPAND_DIMS inserts a size-1 axis, negative axes count from the end", "[shape][expand_dims]") {
  auto x = iota<float>(6);
  Dims d;
  CHECK(runFloat(expandDimsModel<int32_t>({2, 3}, ElementType::kInt32, 0), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{1, 2, 3});
  CHECK(runFloat(expandDimsModel<int32_t>({2, 3}, ElementType::kInt32, 2), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{2, 3, 1});
  CHECK(runFloat(expandDimsModel<int32_t>({2, 3}, ElementType::kInt32, -1), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{2, 3, 1});
  CHECK(runFloat(expandDimsModel<int64_t>({2, 3}, ElementType::kInt64, -2), {x}, nullptr, 0, &d) == x);
  CHECK(d == Dims{2, 1, 3});
}

TEST_CASE("EXPAND_DIMS with a runtime axis", "[shape][expand_dims]") {
  auto model = expandDimsModel<int32_t>({2, 3}, ElementType::kInt32, 0, false);
  auto x = iota<float>(6);
  auto outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{1})});
  CHECK(outs[0].dims == Dims{2, 1, 3});
  CHECK(outs[0].values<float>() == x);
  CHECK_THAT(runError(model, {InputData::of(x), InputData::of(std::vector<int32_t>{4})}),
             Catch::Contains("out of range"));
}

TEST_CASE("EXPAND_DIMS rejects an out-of-range axis", "[shape][expand_dims][error]") {
  auto x = iota<float>(6);
  CHECK_THAT(runError(expandDimsModel<int32_t>({2, 3}, ElementType::kInt32, 3), {InputData::of(x)}),
             Catch::Contains("axis 3"));
  CHECK_THAT(runError(expandDimsModel<int32_t>({2, 3}, ElementType::kInt32, -4), {InputData::of(x)}),
             Catch::Contains("out of range"));
}

// ---------------------------------------------------------------- CONCATENATION

OptionsFn concatOptions(int axis, fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE) {
  return [axis, act](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::ConcatenationOptions,
                          fb::CreateConcatenationOptions(b, axis, act).Union());
  };
}

std::vector<uint8_t> concatModel(const std::vector<Dims>& inDims, OptionsFn opts,
                                 ElementType type = ElementType::kFloat32) {
  OpModelBuilder mb;
  std::vector<int> ins;
  for (const Dims& d : inDims) ins.push_back(mb.addInput(type, d));
  int out = mb.addOutput(type, {});
  mb.addOp(Op::CONCATENATION, ins, {out}, std::move(opts));
  return mb.finish();
}

TEST_CASE("CONCATENATION along inner, outer and negative axes", "[shape][concat]") {
  const std::vector<float> a = {1, 2, 3, 4};         // [2, 2]
  const std::vector<float> b = {5, 6, 7, 8, 9, 10};  // [2, 3]
  Dims d;
  CHECK(runFloat(concatModel({{2, 2}, {2, 3}}, concatOptions(1)), {a, b}, nullptr, 0, &d) ==
        std::vector<float>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10});
  CHECK(d == Dims{2, 5});
  CHECK(runFloat(concatModel({{2, 2}, {2, 3}}, concatOptions(-1)), {a, b}, nullptr, 0, &d) ==
        std::vector<float>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10});
  const std::vector<float> c = {5, 6};  // [1, 2]
  CHECK(runFloat(concatModel({{2, 2}, {1, 2}, {2, 2}}, concatOptions(0)), {a, c, a}, nullptr, 0, &d) ==
        std::vector<float>{1, 2, 3, 4, 5, 6, 1, 2, 3, 4});
  CHECK(d == Dims{5, 2});
  // Options absent: axis 0.
  CHECK(runFloat(concatModel({{1, 2}, {1, 2}}, noOptions()), {c, c}, nullptr, 0, &d) ==
        std::vector<float>{5, 6, 5, 6});
  CHECK(d == Dims{2, 2});
}

TEST_CASE("CONCATENATION of a 4-D tensor on the middle axis matches a naive copy", "[shape][concat]") {
  const Dims da = {2, 3, 2, 2}, db = {2, 1, 2, 2};
  auto a = iota<float>(24, 0.f);
  auto b = iota<float>(8, 100.f);
  Dims d;
  auto got = runFloat(concatModel({da, db}, concatOptions(-3)), {a, b}, nullptr, 0, &d);
  REQUIRE(d == Dims{2, 4, 2, 2});
  std::vector<float> want;
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 4; ++c) {
      for (int k = 0; k < 4; ++k) want.push_back(c < 3 ? a[(n * 3 + c) * 4 + k] : b[(n * 1 + (c - 3)) * 4 + k]);
    }
  }
  CHECK(got == want);
}

TEST_CASE("CONCATENATION applies a fused activation on float32", "[shape][concat]") {
  const std::vector<float> a = {-2, 3, 7}, b = {9, -0.5f, 6};
  CHECK(runFloat(concatModel({{3}, {3}}, concatOptions(0, fb::ActivationFunctionType::RELU6)), {a, b}) ==
        std::vector<float>{0, 3, 6, 6, 0, 6});
  CHECK(runFloat(concatModel({{3}, {3}}, concatOptions(0, fb::ActivationFunctionType::RELU_N1_TO_1)), {a, b}) ==
        std::vector<float>{-1, 1, 1, 1, -0.5f, 1});
}

TEST_CASE("CONCATENATION copies other element types", "[shape][concat]") {
  auto model = concatModel({{2, 1}, {2, 2}}, concatOptions(1), ElementType::kInt64);
  auto outs = runOk(model, {InputData::of(std::vector<int64_t>{1, 2}),
                            InputData::of(std::vector<int64_t>{int64_t{1} << 40, 4, 5, 6})});
  CHECK(outs[0].dims == Dims{2, 3});
  CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{1, int64_t{1} << 40, 4, 2, 5, 6});
  auto m8 = concatModel({{2}, {1}}, concatOptions(0), ElementType::kBool);
  auto o8 = runOk(m8, {InputData::of(std::vector<uint8_t>{1, 0}), InputData::of(std::vector<uint8_t>{1})});
  CHECK(o8[0].values<uint8_t>() == std::vector<uint8_t>{1, 0, 1});
}

TEST_CASE("CONCATENATION of scalars makes a vector", "[shape][concat]") {
  Dims d;
  CHECK(runFloat(concatModel({{}, {}, {}}, concatOptions(0)), {{1}, {2}, {3}}, nullptr, 0, &d) ==
        std::vector<float>{1, 2, 3});
  CHECK(d == Dims{3});
}

TEST_CASE("CONCATENATION rejects mismatched inputs", "[shape][concat][error]") {
  std::string err;
  runFloat(concatModel({{2, 2}, {3, 2}}, concatOptions(1)), {iota<float>(4), iota<float>(6)}, &err);
  CHECK_THAT(err, Catch::Contains("dimension 0 differs"));
  runFloat(concatModel({{2, 2}, {4}}, concatOptions(0)), {iota<float>(4), iota<float>(4)}, &err);
  CHECK_THAT(err, Catch::Contains("ranks differ"));
  runFloat(concatModel({{2, 2}, {2, 2}}, concatOptions(2)), {iota<float>(4), iota<float>(4)}, &err);
  CHECK_THAT(err, Catch::Contains("axis 2 is out of range"));
  // Mixed input types.
  OpModelBuilder mb;
  int a = mb.addInput(ElementType::kFloat32, {2});
  int b = mb.addInput(ElementType::kInt32, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::CONCATENATION, {a, b}, {out}, concatOptions(0));
  CHECK_THAT(runError(mb.finish(),
                      {InputData::of(std::vector<float>{1, 2}), InputData::of(std::vector<int32_t>{1, 2})}),
             Catch::Contains("type"));
}

// ---------------------------------------------------------------- SPLIT

std::vector<uint8_t> splitModel(const Dims& inDims, int axis, int numSplits, int numOutputs, bool constantAxis = true,
                                bool withOptions = true) {
  OpModelBuilder mb;
  int ax = constantAxis ? mb.addConstant<int32_t>(ElementType::kInt32, {}, {axis})
                        : mb.addInput(ElementType::kInt32, {});
  int in = mb.addInput(ElementType::kFloat32, inDims);
  std::vector<int> outs;
  for (int i = 0; i < numOutputs; ++i) outs.push_back(mb.addOutput(ElementType::kFloat32, {}));
  OptionsFn opts;
  if (withOptions) {
    opts = [numSplits](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::SplitOptions, fb::CreateSplitOptions(b, numSplits).Union());
    };
  }
  mb.addOp(Op::SPLIT, {ax, in}, outs, opts);
  return mb.finish();
}

TEST_CASE("SPLIT into equal parts along an axis", "[shape][split]") {
  auto x = iota<float>(12);  // [2, 6]
  auto outs = runOk(splitModel({2, 6}, 1, 3, 3), {InputData::of(x)});
  REQUIRE(outs.size() == 3);
  for (const auto& o : outs) CHECK(o.dims == Dims{2, 2});
  CHECK(outs[0].values<float>() == std::vector<float>{0, 1, 6, 7});
  CHECK(outs[1].values<float>() == std::vector<float>{2, 3, 8, 9});
  CHECK(outs[2].values<float>() == std::vector<float>{4, 5, 10, 11});

  outs = runOk(splitModel({2, 6}, -2, 2, 2), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{1, 6});
  CHECK(outs[0].values<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  CHECK(outs[1].values<float>() == std::vector<float>{6, 7, 8, 9, 10, 11});

  outs = runOk(splitModel({12}, 0, 1, 1), {InputData::of(x)});
  CHECK(outs[0].values<float>() == x);
}

TEST_CASE("SPLIT with a runtime axis", "[shape][split]") {
  auto model = splitModel({2, 2}, 0, 2, 2, false);
  auto x = std::vector<float>{1, 2, 3, 4};
  auto outs = runOk(model, {InputData::of(std::vector<int32_t>{1}), InputData::of(x)});
  CHECK(outs[0].dims == Dims{2, 1});
  CHECK(outs[0].values<float>() == std::vector<float>{1, 3});
  CHECK(outs[1].values<float>() == std::vector<float>{2, 4});
}

TEST_CASE("SPLIT rejects uneven splits and a wrong output count", "[shape][split][error]") {
  auto x = iota<float>(12);
  CHECK_THAT(runError(splitModel({2, 6}, 1, 4, 4), {InputData::of(x)}), Catch::Contains("evenly"));
  CHECK_THAT(runError(splitModel({2, 6}, 1, 3, 2), {InputData::of(x)}), Catch::Contains("num_splits is 3"));
  CHECK_THAT(runError(splitModel({2, 6}, 1, 2, 2, true, false), {InputData::of(x)}),
             Catch::Contains("num_splits is 0"));
  CHECK_THAT(runError(splitModel({2, 6}, 2, 2, 2), {InputData::of(x)}), Catch::Contains("out of range"));
}

// ---------------------------------------------------------------- SLICE

template <typename I>
std::vector<uint8_t> sliceModel(const Dims& inDims, ElementType idxType, std::vector<I> begin, std::vector<I> size,
                                ElementType type = ElementType::kFloat32) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  int b = mb.addConstant<I>(idxType, {static_cast<int32_t>(begin.size())}, begin);
  int s = mb.addConstant<I>(idxType, {static_cast<int32_t>(size.size())}, size);
  int out = mb.addOutput(type, {});
  mb.addOp(Op::SLICE, {in, b, s}, {out});
  return mb.finish();
}

TEST_CASE("SLICE with begin and size, -1 meaning to the end", "[shape][slice]") {
  auto x = iota<float>(24);  // [2, 3, 4]
  Dims d;
  CHECK(runFloat(sliceModel<int32_t>({2, 3, 4}, ElementType::kInt32, {1, 0, 1}, {1, 2, 2}), {x}, nullptr, 0, &d) ==
        std::vector<float>{13, 14, 17, 18});
  CHECK(d == Dims{1, 2, 2});
  CHECK(runFloat(sliceModel<int64_t>({2, 3, 4}, ElementType::kInt64, {0, 2, 1}, {-1, -1, -1}), {x}, nullptr, 0,
                 &d) == std::vector<float>{9, 10, 11, 21, 22, 23});
  CHECK(d == Dims{2, 1, 3});
  // Empty slice.
  CHECK(runFloat(sliceModel<int32_t>({2, 3, 4}, ElementType::kInt32, {0, 3, 0}, {2, 0, 4}), {x}, nullptr, 0, &d)
            .empty());
  CHECK(d == Dims{2, 0, 4});
}

TEST_CASE("SLICE copies int8 and uint16 by bytes", "[shape][slice]") {
  std::vector<int8_t> x = {-5, -4, -3, -2, -1, 0};
  auto outs = runOk(sliceModel<int32_t>({3, 2}, ElementType::kInt32, {1, 1}, {2, 1}, ElementType::kInt8),
                    {InputData::of(x)});
  CHECK(outs[0].values<int8_t>() == std::vector<int8_t>{-2, 0});
  std::vector<uint16_t> y = {100, 200, 300, 400};
  outs = runOk(sliceModel<int32_t>({4}, ElementType::kInt32, {1}, {2}, ElementType::kUInt16), {InputData::of(y)});
  CHECK(outs[0].values<uint16_t>() == std::vector<uint16_t>{200, 300});
}

TEST_CASE("SLICE with runtime begin and size", "[shape][slice]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {4, 2});
  int b = mb.addInput(ElementType::kInt32, {2});
  int s = mb.addInput(ElementType::kInt32, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SLICE, {in, b, s}, {out});
  auto model = mb.finish();
  auto x = iota<float>(8);
  auto outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{1, 1}),
                            InputData::of(std::vector<int32_t>{-1, 1})});
  CHECK(outs[0].dims == Dims{3, 1});
  CHECK(outs[0].values<float>() == std::vector<float>{3, 5, 7});
  CHECK_THAT(runError(model, {InputData::of(x), InputData::of(std::vector<int32_t>{3, 0}),
                              InputData::of(std::vector<int32_t>{2, 1})}),
             Catch::Contains("exceeds"));
}

TEST_CASE("SLICE rejects out-of-range begin/size", "[shape][slice][error]") {
  auto x = iota<float>(6);
  CHECK_THAT(runError(sliceModel<int32_t>({2, 3}, ElementType::kInt32, {0, 2}, {1, 2}), {InputData::of(x)}),
             Catch::Contains("exceeds"));
  CHECK_THAT(runError(sliceModel<int32_t>({2, 3}, ElementType::kInt32, {-1, 0}, {1, 1}), {InputData::of(x)}),
             Catch::Contains("begin -1"));
  CHECK_THAT(runError(sliceModel<int32_t>({2, 3}, ElementType::kInt32, {0, 0}, {1, -2}), {InputData::of(x)}),
             Catch::Contains("size -2"));
  CHECK_THAT(runError(sliceModel<int32_t>({2, 3}, ElementType::kInt32, {0}, {1}), {InputData::of(x)}),
             Catch::Contains("begin has 1 elements"));
}

// ---------------------------------------------------------------- STRIDED_SLICE

struct StridedSliceArgs {
  std::vector<int32_t> begin, end, strides;
  int beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkMask = 0;
  bool offset = false;
};

std::vector<uint8_t> stridedSliceModel(const Dims& inDims, const StridedSliceArgs& a,
                                       ElementType type = ElementType::kFloat32, bool constantIndices = true) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  const Dims n = {static_cast<int32_t>(a.begin.size())};
  int b, e, s;
  if (constantIndices) {
    b = mb.addConstant<int32_t>(ElementType::kInt32, n, a.begin);
    e = mb.addConstant<int32_t>(ElementType::kInt32, n, a.end);
  } else {
    b = mb.addInput(ElementType::kInt32, n);
    e = mb.addInput(ElementType::kInt32, n);
  }
  s = mb.addConstant<int32_t>(ElementType::kInt32, n, a.strides);
  int out = mb.addOutput(type, {});
  mb.addOp(Op::STRIDED_SLICE, {in, b, e, s}, {out}, [a](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::BuiltinOptions::StridedSliceOptions,
                          fb::CreateStridedSliceOptions(fbb, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask,
                                                        a.shrinkMask, a.offset)
                              .Union());
  });
  return mb.finish();
}

std::vector<float> runStridedSlice(const Dims& inDims, const StridedSliceArgs& a, Dims* outDims,
                                   std::string* err = nullptr) {
  std::vector<float> x = iota<float>(static_cast<size_t>(count(inDims)));
  return runFloat(stridedSliceModel(inDims, a), {x}, err, 0, outDims);
}

TEST_CASE("STRIDED_SLICE basic ranges, strides and clamping", "[shape][strided_slice]") {
  Dims d;
  // x = 0..9; x[1:8:3] = 1, 4, 7
  CHECK(runStridedSlice({10}, {{1}, {8}, {3}}, &d) == std::vector<float>{1, 4, 7});
  CHECK(d == Dims{3});
  // x[-3:] via end beyond the size (clamped): 7, 8, 9
  CHECK(runStridedSlice({10}, {{-3}, {100}, {1}}, &d) == std::vector<float>{7, 8, 9});
  // begin far below -size is clamped to 0
  CHECK(runStridedSlice({4}, {{-100}, {2}, {1}}, &d) == std::vector<float>{0, 1});
  // empty: begin >= end with a positive stride
  CHECK(runStridedSlice({4}, {{3}, {1}, {1}}, &d).empty());
  CHECK(d == Dims{0});
  // 2-D: x[0:2, 1:3] of [3, 4]
  CHECK(runStridedSlice({3, 4}, {{0, 1}, {2, 3}, {1, 1}}, &d) == std::vector<float>{1, 2, 5, 6});
  CHECK(d == Dims{2, 2});
}

TEST_CASE("STRIDED_SLICE negative strides", "[shape][strided_slice]") {
  Dims d;
  // x[::-1] with begin/end masks
  StridedSliceArgs rev{{0}, {0}, {-1}};
  rev.beginMask = 1;
  rev.endMask = 1;
  CHECK(runStridedSlice({5}, rev, &d) == std::vector<float>{4, 3, 2, 1, 0});
  // x[4:0:-2] = 4, 2
  CHECK(runStridedSlice({5}, {{4}, {0}, {-2}}, &d) == std::vector<float>{4, 2});
  // x[-1:-4:-1] = 4, 3, 2
  CHECK(runStridedSlice({5}, {{-1}, {-4}, {-1}}, &d) == std::vector<float>{4, 3, 2});
  // begin past the end clamps to the last element: x[10:1:-1] = 4, 3, 2
  CHECK(runStridedSlice({5}, {{10}, {1}, {-1}}, &d) == std::vector<float>{4, 3, 2});
  // end far below clamps to "before 0": x[2:-100:-1] = 2, 1, 0
  CHECK(runStridedSlice({5}, {{2}, {-100}, {-1}}, &d) == std::vector<float>{2, 1, 0});
  // 2-D, reverse rows and every other column: x[::-1, ::2] on [2, 4]
  StridedSliceArgs two{{0, 0}, {0, 0}, {-1, 2}};
  two.beginMask = 3;
  two.endMask = 3;
  CHECK(runStridedSlice({2, 4}, two, &d) == std::vector<float>{4, 6, 0, 2});
  CHECK(d == Dims{2, 2});
}

TEST_CASE("STRIDED_SLICE begin/end masks", "[shape][strided_slice]") {
  Dims d;
  // x[:, 1:] on [2, 3]: begin_mask bit 0, end_mask bit 0 and 1
  StridedSliceArgs a{{5, 1}, {-7, 99}, {1, 1}};
  a.beginMask = 1;
  a.endMask = 3;
  CHECK(runStridedSlice({2, 3}, a, &d) == std::vector<float>{1, 2, 4, 5});
  CHECK(d == Dims{2, 2});
}

TEST_CASE("STRIDED_SLICE shrink, new axis and ellipsis masks", "[shape][strided_slice]") {
  Dims d;
  // x[1] on [3, 2] -> [2]
  StridedSliceArgs s{{1}, {2}, {1}};
  s.shrinkMask = 1;
  CHECK(runStridedSlice({3, 2}, s, &d) == std::vector<float>{2, 3});
  CHECK(d == Dims{2});
  // x[:, -1] on [3, 2] -> [3]; negative index with end 0 as the converter writes it
  StridedSliceArgs s2{{0, -1}, {0, 0}, {1, 1}};
  s2.beginMask = 1;
  s2.endMask = 1;
  s2.shrinkMask = 2;
  CHECK(runStridedSlice({3, 2}, s2, &d) == std::vector<float>{1, 3, 5});
  CHECK(d == Dims{3});
  // x[1, 0] -> scalar
  StridedSliceArgs s3{{1, 0}, {2, 1}, {1, 1}};
  s3.shrinkMask = 3;
  CHECK(runStridedSlice({3, 2}, s3, &d) == std::vector<float>{2});
  CHECK(d.empty());
  // x[newaxis, :, 1] on [3, 2] -> [1, 3]
  StridedSliceArgs n{{0, 0, 1}, {0, 0, 2}, {1, 1, 1}};
  n.newAxisMask = 1;
  n.beginMask = 2;
  n.endMask = 2;
  n.shrinkMask = 4;
  CHECK(runStridedSlice({3, 2}, n, &d) == std::vector<float>{1, 3, 5});
  CHECK(d == Dims{1, 3});
  // x[..., 1] on [2, 2, 3] -> [2, 2]
  StridedSliceArgs e{{0, 1}, {0, 2}, {1, 1}};
  e.ellipsisMask = 1;
  e.shrinkMask = 2;
  CHECK(runStridedSlice({2, 2, 3}, e, &d) == std::vector<float>{1, 4, 7, 10});
  CHECK(d == Dims{2, 2});
  // x[0, ..., newaxis, ::-1] on [2, 2, 3] -> [2, 1, 3]
  StridedSliceArgs f{{0, 0, 0, 0}, {1, 0, 0, 0}, {1, 1, 1, -1}};
  f.shrinkMask = 1;
  f.ellipsisMask = 2;
  f.newAxisMask = 4;
  f.beginMask = 8;
  f.endMask = 8;
  CHECK(runStridedSlice({2, 2, 3}, f, &d) == std::vector<float>{2, 1, 0, 5, 4, 3});
  CHECK(d == Dims{2, 1, 3});
  // A shorter spec than the rank takes the remaining dims whole: x[1:] on [3, 2]
  CHECK(runStridedSlice({3, 2}, {{1}, {3}, {1}}, &d) == std::vector<float>{2, 3, 4, 5});
  CHECK(d == Dims{2, 2});
}

TEST_CASE("STRIDED_SLICE ellipsis that covers no dimension", "[shape][strided_slice]") {
  Dims d;
  // x[1:2, ::-1, ...] on [2, 3]: a trailing ellipsis with nothing left to cover.
  StridedSliceArgs a{{1, 0, 0}, {2, 0, 0}, {1, -1, 1}};
  a.beginMask = 2;
  a.endMask = 2;
  a.ellipsisMask = 4;
  CHECK(runStridedSlice({2, 3}, a, &d) == std::vector<float>{5, 4, 3});
  CHECK(d == Dims{1, 3});
  // x[..., 0, 0] on [2, 3]: TFLite would widen the ellipsis and drop an
  // entry, so the kernel refuses it.
  StridedSliceArgs b{{0, 0, 0}, {0, 1, 1}, {1, 1, 1}};
  b.ellipsisMask = 1;
  b.shrinkMask = 6;
  std::string err;
  runStridedSlice({2, 3}, b, &d, &err);
  CHECK_THAT(err, Catch::Contains("ellipsis"));
}

TEST_CASE("STRIDED_SLICE follows TFLite's begin_mask on a shrink axis", "[shape][strided_slice]") {
  Dims d;
  // TFLite's StridedSliceStartForAxis applies begin_mask before the shrink:
  // index 2 with begin_mask set reads element 0.
  StridedSliceArgs s{{2}, {3}, {1}};
  s.shrinkMask = 1;
  s.beginMask = 1;
  CHECK(runStridedSlice({4}, s, &d) == std::vector<float>{0});
  CHECK(d.empty());
}

TEST_CASE("STRIDED_SLICE offset mode: end is relative to begin", "[shape][strided_slice]") {
  Dims d;
  StridedSliceArgs a{{1, 2}, {2, 3}, {1, 1}};
  a.offset = true;
  // rows 1..2, cols 2..4 of [4, 6]
  CHECK(runStridedSlice({4, 6}, a, &d) == std::vector<float>{8, 9, 10, 14, 15, 16});
  CHECK(d == Dims{2, 3});
  // negative begin in offset mode: x[-3:-3+2:2] on [5] -> just index 2
  StridedSliceArgs b{{-3}, {2}, {2}};
  b.offset = true;
  CHECK(runStridedSlice({5}, b, &d) == std::vector<float>{2});
}

TEST_CASE("STRIDED_SLICE with runtime begin/end", "[shape][strided_slice]") {
  StridedSliceArgs a{{0, 0}, {0, 0}, {1, -1}};
  auto model = stridedSliceModel({2, 3}, a, ElementType::kFloat32, false);
  auto x = iota<float>(6);
  auto outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{1, 2}),
                            InputData::of(std::vector<int32_t>{2, -4})});
  CHECK(outs[0].dims == Dims{1, 3});
  CHECK(outs[0].values<float>() == std::vector<float>{5, 4, 3});
}

TEST_CASE("STRIDED_SLICE copies int16 and uint8", "[shape][strided_slice]") {
  StridedSliceArgs a{{3}, {0}, {-1}};
  std::vector<int16_t> x = {-300, 200, -100, 400};
  auto outs = runOk(stridedSliceModel({4}, a, ElementType::kInt16), {InputData::of(x)});
  CHECK(outs[0].values<int16_t>() == std::vector<int16_t>{400, -100, 200});
  std::vector<uint8_t> y = {1, 2, 3, 4};
  outs = runOk(stridedSliceModel({4}, a, ElementType::kUInt8), {InputData::of(y)});
  CHECK(outs[0].values<uint8_t>() == std::vector<uint8_t>{4, 3, 2});
}

TEST_CASE("STRIDED_SLICE rejects bad specs", "[shape][strided_slice][error]") {
  Dims d;
  std::string err;
  runStridedSlice({4}, {{0}, {4}, {0}}, &d, &err);
  CHECK_THAT(err, Catch::Contains("stride"));
  StridedSliceArgs s{{4}, {5}, {1}};
  s.shrinkMask = 1;
  runStridedSlice({4}, s, &d, &err);
  CHECK_THAT(err, Catch::Contains("out of range"));
  runStridedSlice({4}, {{0, 0}, {1, 1}, {1, 1}}, &d, &err);
  CHECK_THAT(err, Catch::Contains("slice spec has 2 entries"));
  StridedSliceArgs two{{0, 0}, {1, 1}, {1, 1}};
  two.ellipsisMask = 3;
  runStridedSlice({4, 4}, two, &d, &err);
  CHECK_THAT(err, Catch::Contains("more than one ellipsis"));
  // begin and end of different lengths
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {4});
  int b = mb.addConstant<int32_t>(ElementType::kInt32, {1}, {0});
  int e = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {1, 1});
  int st = mb.addConstant<int32_t>(ElementType::kInt32, {1}, {1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::STRIDED_SLICE, {in, b, e, st}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(4))}), Catch::Contains("end has 2 elements"));
}

// An independent oracle: numpy basic indexing. A spec is a list of items;
// the output is computed with per-dimension index lists from Python's
// slice.indices() rules, then the cartesian product in row-major order.
struct SpecItem {
  enum Kind { kIndex, kSlice, kNewAxis, kEllipsis } kind = kSlice;
  int64_t start = 0, stop = 0, step = 1;
  bool hasStart = true, hasStop = true;
};

std::vector<int64_t> pySliceIndices(int64_t len, const SpecItem& s) {
  const int64_t lo = s.step > 0 ? 0 : -1;
  const int64_t hi = s.step > 0 ? len : len - 1;
  auto fix = [&](bool has, int64_t v, int64_t dflt) {
    if (!has) return dflt;
    if (v < 0) return std::max(v + len, lo);
    return std::min(v, hi);
  };
  const int64_t a = fix(s.hasStart, s.start, s.step > 0 ? lo : hi);
  const int64_t b = fix(s.hasStop, s.stop, s.step > 0 ? hi : lo);
  std::vector<int64_t> r;
  for (int64_t i = a; s.step > 0 ? i < b : i > b; i += s.step) r.push_back(i);
  return r;
}

std::vector<float> numpyIndex(const std::vector<float>& x, const Dims& dims, const std::vector<SpecItem>& spec,
                              Dims* outDims) {
  int consuming = 0;
  bool hasEllipsis = false;
  for (const auto& s : spec) {
    if (s.kind == SpecItem::kIndex || s.kind == SpecItem::kSlice) ++consuming;
    if (s.kind == SpecItem::kEllipsis) hasEllipsis = true;
  }
  std::vector<SpecItem> full;
  for (const auto& s : spec) {
    if (s.kind == SpecItem::kEllipsis) {
      for (size_t k = 0; k < dims.size() - static_cast<size_t>(consuming); ++k) {
        SpecItem all;
        all.hasStart = all.hasStop = false;
        full.push_back(all);
      }
    } else {
      full.push_back(s);
    }
  }
  if (!hasEllipsis) {
    // Dims past the spec are taken whole.
    for (size_t k = static_cast<size_t>(consuming); k < dims.size(); ++k) {
      SpecItem all;
      all.hasStart = all.hasStop = false;
      full.push_back(all);
    }
  }
  std::vector<std::vector<int64_t>> lists;  // per input dim
  outDims->clear();
  size_t d = 0;
  for (const auto& s : full) {
    if (s.kind == SpecItem::kNewAxis) {
      outDims->push_back(1);
      continue;
    }
    const int64_t len = dims[d++];
    if (s.kind == SpecItem::kIndex) {
      lists.push_back({s.start < 0 ? s.start + len : s.start});
    } else {
      lists.push_back(pySliceIndices(len, s));
      outDims->push_back(static_cast<int32_t>(lists.back().size()));
    }
  }
  std::vector<float> out;
  std::vector<size_t> pos(lists.size(), 0);
  for (const auto& l : lists) {
    if (l.empty()) return out;
  }
  while (true) {
    int64_t flat = 0;
    for (size_t k = 0; k < lists.size(); ++k) flat = flat * dims[k] + lists[k][pos[k]];
    out.push_back(x[static_cast<size_t>(flat)]);
    size_t k = lists.size();
    while (k > 0) {
      --k;
      if (++pos[k] < lists[k].size()) break;
      pos[k] = 0;
      if (k == 0) return out;
    }
    if (lists.empty()) return out;
  }
}

// Encodes a spec the way the TFLite converter does.
StridedSliceArgs encodeSpec(const std::vector<SpecItem>& spec) {
  StridedSliceArgs a;
  for (size_t i = 0; i < spec.size(); ++i) {
    const SpecItem& s = spec[i];
    const int bit = 1 << i;
    switch (s.kind) {
      case SpecItem::kIndex:
        a.begin.push_back(static_cast<int32_t>(s.start));
        a.end.push_back(static_cast<int32_t>(s.start + 1));
        a.strides.push_back(1);
        a.shrinkMask |= bit;
        break;
      case SpecItem::kSlice:
        a.begin.push_back(static_cast<int32_t>(s.hasStart ? s.start : 0));
        a.end.push_back(static_cast<int32_t>(s.hasStop ? s.stop : 0));
        a.strides.push_back(static_cast<int32_t>(s.step));
        if (!s.hasStart) a.beginMask |= bit;
        if (!s.hasStop) a.endMask |= bit;
        break;
      case SpecItem::kNewAxis:
        a.begin.push_back(0);
        a.end.push_back(0);
        a.strides.push_back(1);
        a.newAxisMask |= bit;
        break;
      case SpecItem::kEllipsis:
        a.begin.push_back(0);
        a.end.push_back(0);
        a.strides.push_back(1);
        a.ellipsisMask |= bit;
        break;
    }
  }
  return a;
}

TEST_CASE("STRIDED_SLICE matches numpy indexing on random specs", "[shape][strided_slice]") {
  std::mt19937 rng(1234);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int checked = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    const int rank = uni(1, 4);
    Dims dims;
    for (int i = 0; i < rank; ++i) dims.push_back(uni(1, 5));
    const bool ellipsis = rank > 1 && uni(0, 2) == 0;
    // Entries that consume a dim; an ellipsis must still cover one dim.
    // (At least one entry: a zero-length constant has no buffer in a model.)
    const int consuming = ellipsis ? uni(0, rank - 1) : uni(1, rank);
    std::vector<SpecItem> spec;
    for (int c = 0; c < consuming; ++c) {
      SpecItem s;
      if (uni(0, 3) == 0) {
        s.kind = SpecItem::kIndex;
        spec.push_back(s);
      } else {
        s.kind = SpecItem::kSlice;
        const int steps[] = {-3, -2, -1, 1, 1, 2, 3};
        s.step = steps[uni(0, 6)];
        s.hasStart = uni(0, 3) != 0;
        s.hasStop = uni(0, 3) != 0;
        spec.push_back(s);
      }
    }
    if (ellipsis) {
      SpecItem e;
      e.kind = SpecItem::kEllipsis;
      spec.insert(spec.begin() + uni(0, static_cast<int>(spec.size())), e);
    }
    const int newAxes = uni(0, 2);
    for (int k = 0; k < newAxes; ++k) {
      SpecItem na;
      na.kind = SpecItem::kNewAxis;
      spec.insert(spec.begin() + uni(0, static_cast<int>(spec.size())), na);
    }
    // Fill in ranges now that the dim each entry refers to is known.
    int covered = 0;
    for (const auto& s : spec) {
      if (s.kind == SpecItem::kIndex || s.kind == SpecItem::kSlice) ++covered;
    }
    size_t dimIdx = 0;
    for (auto& s : spec) {
      if (s.kind == SpecItem::kEllipsis) {
        dimIdx += static_cast<size_t>(rank - covered);
        continue;
      }
      if (s.kind == SpecItem::kNewAxis) continue;
      const int len = dims[dimIdx++];
      if (s.kind == SpecItem::kIndex) {
        s.start = uni(-len, len - 1);
      } else {
        s.start = uni(-len - 2, len + 2);
        s.stop = uni(-len - 2, len + 2);
      }
    }
    Dims want;
    auto x = iota<float>(static_cast<size_t>(count(dims)));
    auto expected = numpyIndex(x, dims, spec, &want);
    Dims got;
    std::string err;
    auto actual = runFloat(stridedSliceModel(dims, encodeSpec(spec)), {x}, &err, 0, &got);
    INFO("iter " << iter << " dims " << engine::dimsToString(dims) << " err " << err);
    REQUIRE(err.empty());
    REQUIRE(got == want);
    REQUIRE(actual == expected);
    ++checked;
  }
  CHECK(checked == 2000);
}

// ---------------------------------------------------------------- TRANSPOSE

std::vector<uint8_t> transposeModel(const Dims& inDims, std::vector<int32_t> perm,
                                    ElementType type = ElementType::kFloat32) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  int p = mb.addConstant<int32_t>(ElementType::kInt32, {static_cast<int32_t>(perm.size())}, perm);
  int out = mb.addOutput(type, {});
  mb.addOp(Op::TRANSPOSE, {in, p}, {out});
  return mb.finish();
}

// out[i0..ir-1] = in[j] where j[perm[k]] = i[k]; walks the output by
// decomposing each flat index.
std::vector<float> naiveTranspose(const std::vector<float>& x, const Dims& dims, const std::vector<int32_t>& perm,
                                  Dims* outDims) {
  const size_t r = dims.size();
  outDims->assign(r, 0);
  for (size_t k = 0; k < r; ++k) (*outDims)[k] = dims[static_cast<size_t>(perm[k])];
  std::vector<float> out(x.size());
  for (size_t flat = 0; flat < x.size(); ++flat) {
    std::vector<int64_t> oi(r), ii(r);
    size_t rem = flat;
    for (size_t k = r; k-- > 0;) {
      oi[k] = static_cast<int64_t>(rem % static_cast<size_t>((*outDims)[k]));
      rem /= static_cast<size_t>((*outDims)[k]);
    }
    for (size_t k = 0; k < r; ++k) ii[static_cast<size_t>(perm[k])] = oi[k];
    int64_t src = 0;
    for (size_t k = 0; k < r; ++k) src = src * dims[k] + ii[k];
    out[flat] = x[static_cast<size_t>(src)];
  }
  return out;
}

TEST_CASE("TRANSPOSE 2-D by hand", "[shape][transpose]") {
  Dims d;
  CHECK(runFloat(transposeModel({2, 3}, {1, 0}), {{1, 2, 3, 4, 5, 6}}, nullptr, 0, &d) ==
        std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(d == Dims{3, 2});
}

TEST_CASE("TRANSPOSE matches a naive permutation up to rank 6", "[shape][transpose]") {
  std::mt19937 rng(99);
  for (int rank = 1; rank <= 6; ++rank) {
    for (int trial = 0; trial < 5; ++trial) {
      Dims dims;
      for (int i = 0; i < rank; ++i) dims.push_back(std::uniform_int_distribution<int>(1, rank <= 4 ? 5 : 3)(rng));
      std::vector<int32_t> perm(static_cast<size_t>(rank));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      auto x = iota<float>(static_cast<size_t>(count(dims)));
      Dims want, got;
      auto expected = naiveTranspose(x, dims, perm, &want);
      std::string err;
      auto actual = runFloat(transposeModel(dims, perm), {x}, &err, 0, &got);
      INFO("dims " << engine::dimsToString(dims) << " err " << err);
      REQUIRE(err.empty());
      CHECK(got == want);
      CHECK(actual == expected);
    }
  }
}

TEST_CASE("TRANSPOSE copies int8 and int64", "[shape][transpose]") {
  std::vector<int8_t> x = {1, 2, 3, 4, 5, 6};
  auto outs = runOk(transposeModel({1, 2, 3}, {2, 0, 1}, ElementType::kInt8), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{3, 1, 2});
  CHECK(outs[0].values<int8_t>() == std::vector<int8_t>{1, 4, 2, 5, 3, 6});
  std::vector<int64_t> y = {10, 20, 30, 40};
  outs = runOk(transposeModel({2, 2}, {1, 0}, ElementType::kInt64), {InputData::of(y)});
  CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{10, 30, 20, 40});
}

TEST_CASE("TRANSPOSE rejects invalid permutations", "[shape][transpose][error]") {
  auto x = iota<float>(6);
  CHECK_THAT(runError(transposeModel({2, 3}, {0, 2}), {InputData::of(x)}), Catch::Contains("out of range"));
  CHECK_THAT(runError(transposeModel({2, 3}, {1, 1}), {InputData::of(x)}), Catch::Contains("repeats"));
  CHECK_THAT(runError(transposeModel({2, 3}, {1, 0, 2}), {InputData::of(x)}), Catch::Contains("perm has 3"));
}

// ---------------------------------------------------------------- PAD / PADV2

template <typename T>
std::vector<uint8_t> padModel(Op op, const Dims& inDims, std::vector<int32_t> pads, ElementType type,
                              const T* value = nullptr, QuantParams quant = {}, bool constantPads = true) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims, quant);
  const Dims pd = {static_cast<int32_t>(pads.size() / 2), 2};
  int p = constantPads ? mb.addConstant<int32_t>(ElementType::kInt32, pd, pads) : mb.addInput(ElementType::kInt32, pd);
  std::vector<int> ins = {in, p};
  if (value != nullptr) ins.push_back(mb.addConstant<T>(type, {}, {*value}, quant));
  int out = mb.addOutput(type, {}, quant);
  mb.addOp(op, ins, {out});
  return mb.finish();
}

// Pads by asking, for each output position, whether it maps inside the input.
template <typename T>
std::vector<T> naivePad(const std::vector<T>& x, const Dims& dims, const std::vector<int32_t>& pads, T value,
                        Dims* outDims) {
  const size_t r = dims.size();
  outDims->clear();
  for (size_t k = 0; k < r; ++k) outDims->push_back(dims[k] + pads[2 * k] + pads[2 * k + 1]);
  std::vector<T> out(static_cast<size_t>(count(*outDims)), value);
  for (size_t flat = 0; flat < out.size(); ++flat) {
    size_t rem = flat;
    std::vector<int64_t> oi(r);
    for (size_t k = r; k-- > 0;) {
      oi[k] = static_cast<int64_t>(rem % static_cast<size_t>((*outDims)[k]));
      rem /= static_cast<size_t>((*outDims)[k]);
    }
    bool inside = true;
    int64_t src = 0;
    for (size_t k = 0; k < r; ++k) {
      const int64_t j = oi[k] - pads[2 * k];
      if (j < 0 || j >= dims[k]) inside = false;
      src = src * dims[k] + j;
    }
    if (inside) out[flat] = x[static_cast<size_t>(src)];
  }
  return out;
}

TEST_CASE("PAD float by hand and against a naive pad", "[shape][pad]") {
  Dims d;
  CHECK(runFloat(padModel<float>(Op::PAD, {2, 2}, {1, 0, 0, 2}, ElementType::kFloat32), {{1, 2, 3, 4}}, nullptr,
                 0, &d) == std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
  CHECK(d == Dims{3, 4});
  const Dims dims = {2, 1, 3, 2};
  const std::vector<int32_t> pads = {0, 1, 2, 0, 1, 1, 0, 3};
  auto x = iota<float>(12, 1.f);
  Dims want;
  auto expected = naivePad<float>(x, dims, pads, 0.f, &want);
  CHECK(runFloat(padModel<float>(Op::PAD, dims, pads, ElementType::kFloat32), {x}, nullptr, 0, &d) == expected);
  CHECK(d == want);
}

TEST_CASE("PADV2 uses the constant value", "[shape][pad]") {
  const float v = -7.5f;
  const Dims dims = {3, 2};
  const std::vector<int32_t> pads = {1, 2, 2, 1};
  auto x = iota<float>(6, 1.f);
  Dims want, d;
  auto expected = naivePad<float>(x, dims, pads, v, &want);
  CHECK(runFloat(padModel<float>(Op::PADV2, dims, pads, ElementType::kFloat32, &v), {x}, nullptr, 0, &d) ==
        expected);
  CHECK(d == want);
  // PADV2 without the value pads with 0.
  CHECK(runFloat(padModel<float>(Op::PADV2, dims, pads, ElementType::kFloat32), {x}, nullptr, 0, &d) ==
        naivePad<float>(x, dims, pads, 0.f, &want));
}

TEST_CASE("PAD on quantized int8 pads with the zero point; PADV2 with the raw value", "[shape][pad]") {
  QuantParams q;
  q.scale = {0.5f};
  q.zeroPoint = {-3};
  std::vector<int8_t> x = {10, 20, 30};
  Dims want;
  auto outs = runOk(padModel<int8_t>(Op::PAD, {3}, {1, 2}, ElementType::kInt8, nullptr, q), {InputData::of(x)});
  CHECK(outs[0].values<int8_t>() == std::vector<int8_t>{-3, 10, 20, 30, -3, -3});
  const int8_t raw = 42;
  outs = runOk(padModel<int8_t>(Op::PADV2, {3}, {2, 1}, ElementType::kInt8, &raw, q), {InputData::of(x)});
  CHECK(outs[0].values<int8_t>() == std::vector<int8_t>{42, 42, 10, 20, 30, 42});
  // uint8 without quantization pads with 0.
  std::vector<uint8_t> y = {7, 8};
  outs = runOk(padModel<uint8_t>(Op::PAD, {2}, {1, 1}, ElementType::kUInt8), {InputData::of(y)});
  CHECK(outs[0].values<uint8_t>() == std::vector<uint8_t>{0, 7, 8, 0});
}

TEST_CASE("PAD int32 and int64 against a naive pad", "[shape][pad]") {
  const Dims dims = {2, 3};
  const std::vector<int32_t> pads = {1, 1, 0, 2};
  std::vector<int32_t> x = {1, 2, 3, 4, 5, 6};
  Dims want;
  const int32_t v = 9;
  auto outs = runOk(padModel<int32_t>(Op::PADV2, dims, pads, ElementType::kInt32, &v), {InputData::of(x)});
  CHECK(outs[0].values<int32_t>() == naivePad<int32_t>(x, dims, pads, 9, &want));
  CHECK(outs[0].dims == want);
  std::vector<int64_t> y = {1, 2, 3, 4, 5, 6};
  outs = runOk(padModel<int64_t>(Op::PAD, dims, pads, ElementType::kInt64), {InputData::of(y)});
  CHECK(outs[0].values<int64_t>() == naivePad<int64_t>(y, dims, pads, 0, &want));
}

TEST_CASE("PAD with runtime paddings", "[shape][pad]") {
  auto model = padModel<float>(Op::PAD, {2}, {0, 0}, ElementType::kFloat32, nullptr, {}, false);
  auto outs = runOk(model, {InputData::of(std::vector<float>{1, 2}), InputData::of(std::vector<int32_t>{2, 1})});
  CHECK(outs[0].dims == Dims{5});
  CHECK(outs[0].values<float>() == std::vector<float>{0, 0, 1, 2, 0});
}

TEST_CASE("PADV2 with a runtime pad value", "[shape][pad]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2});
  int p = mb.addConstant<int32_t>(ElementType::kInt32, {1, 2}, {1, 2});
  int v = mb.addInput(ElementType::kFloat32, {});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::PADV2, {in, p, v}, {out});
  CHECK(runFloat(mb.finish(), {{1, 2}, {3.5f}}) == std::vector<float>{3.5f, 1, 2, 3.5f, 3.5f});
}

TEST_CASE("Shape ops chain after an output sized at eval time", "[shape]") {
  // RESHAPE with a runtime shape feeds TRANSPOSE and PAD, which are then
  // prepared during invoke.
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {6});
  int shape = mb.addInput(ElementType::kInt32, {2});
  int mid = mb.addTensor(ElementType::kFloat32, {});
  int perm = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {1, 0});
  int mid2 = mb.addTensor(ElementType::kFloat32, {});
  int pads = mb.addConstant<int32_t>(ElementType::kInt32, {2, 2}, {0, 1, 1, 0});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::RESHAPE, {in, shape}, {mid});
  mb.addOp(Op::TRANSPOSE, {mid, perm}, {mid2});
  mb.addOp(Op::PAD, {mid2, pads}, {out});
  auto model = mb.finish();
  auto x = iota<float>(6, 1.f);
  auto outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{2, 3})});
  // [[1,2,3],[4,5,6]] -> transpose [[1,4],[2,5],[3,6]] -> pad row after, column before
  CHECK(outs[0].dims == Dims{4, 3});
  CHECK(outs[0].values<float>() == std::vector<float>{0, 1, 4, 0, 2, 5, 0, 3, 6, 0, 0, 0});
  outs = runOk(model, {InputData::of(x), InputData::of(std::vector<int32_t>{3, -1})});
  CHECK(outs[0].dims == Dims{3, 4});
  CHECK(outs[0].values<float>() == std::vector<float>{0, 1, 3, 5, 0, 2, 4, 6, 0, 0, 0, 0});
}

TEST_CASE("PAD rejects bad paddings", "[shape][pad][error]") {
  auto x = iota<float>(4);
  CHECK_THAT(runError(padModel<float>(Op::PAD, {2, 2}, {1, -1, 0, 0}, ElementType::kFloat32), {InputData::of(x)}),
             Catch::Contains("negative"));
  CHECK_THAT(runError(padModel<float>(Op::PAD, {2, 2}, {1, 1}, ElementType::kFloat32), {InputData::of(x)}),
             Catch::Contains("paddings must have shape [2, 2]"));
}

}  // namespace
