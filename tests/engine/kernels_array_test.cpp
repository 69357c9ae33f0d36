// Tests for the array kernels: SHAPE, RANK, PACK, UNPACK, TILE, BROADCAST_TO,
// FILL, ZEROS_LIKE, RANGE, SPLIT_V, MIRROR_PAD and REVERSE_V2. Expectations
// are hand-computed or come from naive multi-index formulas written here,
// plus the converter's dynamic-batch chain SHAPE -> STRIDED_SLICE -> PACK ->
// RESHAPE, which must fold at prepare and leave RESHAPE static.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inferd/engine/interpreter.h"
#include "op_test_catch.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using Op = fb::BuiltinOperator;

// ---------------------------------------------------------------- SHAPE, RANK

TEST_CASE("SHAPE writes the input dims as INT32 or INT64", "[array][shape]") {
  for (ElementType t : {ElementType::kInt32, ElementType::kInt64}) {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {2, 3, 5});
    int out = mb.addOutput(t, {});
    mb.addOp(Op::SHAPE, {in}, {out}, opts(fb::BuiltinOptions::ShapeOptions, [t](auto& b) {
               return fb::CreateShapeOptions(b, static_cast<fb::TensorType>(t));
             }));
    auto outs = runOk(mb.finish(), {InputData::of(std::vector<float>(30, 0.f))});
    CHECK(outs[0].dims == Dims{3});
    if (t == ElementType::kInt32) CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{2, 3, 5});
    if (t == ElementType::kInt64) CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{2, 3, 5});
  }
}

TEST_CASE("SHAPE rejects an out_type that contradicts the output tensor", "[array][shape][error]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2});
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::SHAPE, {in}, {out}, opts(fb::BuiltinOptions::ShapeOptions, [](auto& b) {
             return fb::CreateShapeOptions(b, fb::TensorType::INT64);
           }));
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>{1, 2})}), Catch::Contains("out_type"));
}

TEST_CASE("RANK gives an INT32 scalar", "[array][rank]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kInt8, {1, 2, 1, 2});
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::RANK, {in}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(std::vector<int8_t>{1, 2, 3, 4})});
  CHECK(outs[0].dims.empty());
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{4});
}

// ---------------------------------------------------------------- PACK, UNPACK

OptionsFn packOptions(int count, int axis) {
  return opts(fb::BuiltinOptions::PackOptions, [=](auto& b) { return fb::CreatePackOptions(b, count, axis); });
}

TEST_CASE("PACK stacks inputs along axis 0, 1 and -1", "[array][pack]") {
  // a = [[0,1,2],[3,4,5]], b = a + 10.
  const auto a = iota<float>(6);
  const auto b = iota<float>(6, 10.f);
  struct Case {
    int axis;
    Dims dims;
    std::vector<float> expected;
  };
  for (const Case& c : {Case{0, {2, 2, 3}, {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}},
                        Case{1, {2, 2, 3}, {0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}},
                        Case{-1, {2, 3, 2}, {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}}}) {
    OpModelBuilder mb;
    int x = mb.addInput(ElementType::kFloat32, {2, 3});
    int y = mb.addInput(ElementType::kFloat32, {2, 3});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::PACK, {x, y}, {out}, packOptions(2, c.axis));
    auto outs = runOk(mb.finish(), {InputData::of(a), InputData::of(b)});
    INFO("axis " << c.axis);
    CHECK(outs[0].dims == c.dims);
    CHECK(outs[0].values<float>() == c.expected);
  }
}

TEST_CASE("PACK of INT64 scalars makes a vector; mismatched shapes fail", "[array][pack][error]") {
  {
    OpModelBuilder mb;
    int x = mb.addInput(ElementType::kInt64, {});
    int y = mb.addConstant<int64_t>(ElementType::kInt64, {}, {-7});
    int out = mb.addOutput(ElementType::kInt64, {});
    mb.addOp(Op::PACK, {x, y}, {out}, packOptions(2, 0));
    auto outs = runOk(mb.finish(), {InputData::of(std::vector<int64_t>{5})});
    CHECK(outs[0].dims == Dims{2});
    CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{5, -7});
  }
  OpModelBuilder mb;
  int x = mb.addInput(ElementType::kFloat32, {2});
  int y = mb.addInput(ElementType::kFloat32, {3});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::PACK, {x, y}, {out}, packOptions(2, 0));
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>(2)), InputData::of(std::vector<float>(3))}),
             Catch::Contains("shape"));
}

TEST_CASE("UNPACK splits along an axis into num outputs", "[array][unpack]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kInt32, {2, 3});
  int o0 = mb.addOutput(ElementType::kInt32, {});
  int o1 = mb.addOutput(ElementType::kInt32, {});
  int o2 = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::UNPACK, {in}, {o0, o1, o2}, opts(fb::BuiltinOptions::UnpackOptions, [](auto& b) {
             return fb::CreateUnpackOptions(b, 3, -1);
           }));
  auto outs = runOk(mb.finish(), {InputData::of(iota<int32_t>(6))});
  REQUIRE(outs.size() == 3);
  CHECK(outs[0].dims == Dims{2});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{0, 3});
  CHECK(outs[1].values<int32_t>() == std::vector<int32_t>{1, 4});
  CHECK(outs[2].values<int32_t>() == std::vector<int32_t>{2, 5});
}

TEST_CASE("UNPACK fails when num does not match the axis size", "[array][unpack][error]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 3});
  int o0 = mb.addOutput(ElementType::kFloat32, {});
  int o1 = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::UNPACK, {in}, {o0, o1}, opts(fb::BuiltinOptions::UnpackOptions, [](auto& b) {
             return fb::CreateUnpackOptions(b, 2, 1);
           }));
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(6))}), Catch::Contains("outputs"));
}

// ---------------------------------------------------------------- TILE

TEST_CASE("TILE repeats along every dimension (naive index formula)", "[array][tile]") {
  const Dims inDims{2, 1, 3};
  const std::vector<int32_t> mult{2, 3, 2};
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int m = mb.addConstant<int32_t>(ElementType::kInt32, {3}, mult);
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::TILE, {in, m}, {out});
  auto x = iota<float>(6, 1.f);
  auto outs = runOk(mb.finish(), {InputData::of(x)});
  REQUIRE(outs[0].dims == Dims{4, 3, 6});
  auto y = outs[0].values<float>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 6; ++k) {
        const float expected = x[static_cast<size_t>((i % 2) * 3 + (k % 3))];
        CHECK(y[static_cast<size_t>((i * 3 + j) * 6 + k)] == expected);
      }
}

TEST_CASE("TILE with runtime INT64 multiples resizes in eval; bad multiples fail", "[array][tile][error]") {
  {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kBool, {2});
    int m = mb.addInput(ElementType::kInt64, {1});
    int out = mb.addOutput(ElementType::kBool, {});
    mb.addOp(Op::TILE, {in, m}, {out});
    auto outs = runOk(mb.finish(), {InputData::of(std::vector<uint8_t>{1, 0}), InputData::of(std::vector<int64_t>{3})});
    CHECK(outs[0].dims == Dims{6});
    CHECK(outs[0].values<uint8_t>() == std::vector<uint8_t>{1, 0, 1, 0, 1, 0});
  }
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 2});
  int m = mb.addConstant<int32_t>(ElementType::kInt32, {1}, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::TILE, {in, m}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(4))}), Catch::Contains("multiples"));
}

// ---------------------------------------------------------------- BROADCAST_TO

TEST_CASE("BROADCAST_TO repeats size-1 and missing leading dims", "[array][broadcast_to]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kInt32, {3, 1});
  int shape = mb.addConstant<int32_t>(ElementType::kInt32, {3}, {2, 3, 2});
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::BROADCAST_TO, {in, shape}, {out}, {}, 2);
  auto outs = runOk(mb.finish(), {InputData::of(std::vector<int32_t>{7, 8, 9})});
  CHECK(outs[0].dims == Dims{2, 3, 2});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{7, 7, 8, 8, 9, 9, 7, 7, 8, 8, 9, 9});
}

TEST_CASE("BROADCAST_TO rejects incompatible shapes and version 1", "[array][broadcast_to][error]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {3});
  int shape = mb.addConstant<int64_t>(ElementType::kInt64, {2}, {2, 4});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::BROADCAST_TO, {in, shape}, {out}, {}, 2);
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(3))}), Catch::Contains("cannot be broadcast"));

  OpModelBuilder v1;
  int in1 = v1.addInput(ElementType::kFloat32, {1});
  int shape1 = v1.addConstant<int32_t>(ElementType::kInt32, {1}, {2});
  int out1 = v1.addOutput(ElementType::kFloat32, {});
  v1.addOp(Op::BROADCAST_TO, {in1, shape1}, {out1}, {}, 1);
  CHECK_THAT(runError(v1.finish(), {InputData::of(iota<float>(1))}), Catch::Contains("version"));
}

// ---------------------------------------------------------------- FILL, ZEROS_LIKE

TEST_CASE("FILL broadcasts a scalar into a constant or runtime shape", "[array][fill]") {
  {
    OpModelBuilder mb;
    int dims = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {2, 3});
    int value = mb.addInput(ElementType::kFloat32, {});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::FILL, {dims, value}, {out});
    auto outs = runOk(mb.finish(), {InputData::of(std::vector<float>{2.5f})});
    CHECK(outs[0].dims == Dims{2, 3});
    CHECK(outs[0].values<float>() == std::vector<float>(6, 2.5f));
  }
  OpModelBuilder mb;
  int dims = mb.addInput(ElementType::kInt64, {1});
  int value = mb.addConstant<int64_t>(ElementType::kInt64, {}, {-3});
  int out = mb.addOutput(ElementType::kInt64, {});
  mb.addOp(Op::FILL, {dims, value}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(std::vector<int64_t>{4})});
  CHECK(outs[0].dims == Dims{4});
  CHECK(outs[0].values<int64_t>() == std::vector<int64_t>(4, -3));
}

TEST_CASE("FILL rejects negative dims; ZEROS_LIKE zeroes any type", "[array][fill][zeros_like][error]") {
  OpModelBuilder mb;
  int dims = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {2, -1});
  int value = mb.addInput(ElementType::kFloat32, {});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::FILL, {dims, value}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>{1.f})}), Catch::Contains("dims"));

  OpModelBuilder z;
  int in = z.addInput(ElementType::kInt32, {2, 2});
  int zo = z.addOutput(ElementType::kInt32, {});
  z.addOp(Op::ZEROS_LIKE, {in}, {zo});
  auto outs = runOk(z.finish(), {InputData::of(std::vector<int32_t>{1, 2, 3, 4})});
  CHECK(outs[0].dims == Dims{2, 2});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>(4, 0));
}

// ---------------------------------------------------------------- RANGE

template <typename T>
std::vector<uint8_t> rangeModel(ElementType t, T start, T limit, T delta, bool runtime) {
  OpModelBuilder mb;
  int s = runtime ? mb.addInput(t, {}) : mb.addConstant<T>(t, {}, {start});
  int l = mb.addConstant<T>(t, {}, {limit});
  int d = mb.addConstant<T>(t, {}, {delta});
  int out = mb.addOutput(t, {});
  mb.addOp(Op::RANGE, {s, l, d}, {out});
  return mb.finish();
}

TEST_CASE("RANGE counts up and down for INT32, INT64 and FLOAT32", "[array][range]") {
  auto outs = runOk(rangeModel<int32_t>(ElementType::kInt32, 3, 10, 3, false), {});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{3, 6, 9});
  outs = runOk(rangeModel<int32_t>(ElementType::kInt32, 5, -2, -2, true), {InputData::of(std::vector<int32_t>{5})});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{5, 3, 1, -1});
  outs = runOk(rangeModel<int64_t>(ElementType::kInt64, 0, 4, 1, false), {});
  CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
  // Float: ceil(|limit - start| / delta) elements, accumulated by adding delta.
  outs = runOk(rangeModel<float>(ElementType::kFloat32, 0.f, 1.f, 0.1f, false), {});
  auto v = outs[0].values<float>();
  REQUIRE(v.size() == 10);
  float acc = 0.f;
  for (size_t i = 0; i < v.size(); ++i) {
    CHECK(v[i] == acc);
    acc += 0.1f;
  }
}

TEST_CASE("RANGE rejects a zero delta and a delta of the wrong sign", "[array][range][error]") {
  CHECK_THAT(runError(rangeModel<int32_t>(ElementType::kInt32, 0, 5, 0, false), {}), Catch::Contains("delta"));
  CHECK_THAT(runError(rangeModel<float>(ElementType::kFloat32, 0.f, 5.f, -1.f, true), {InputData::of(std::vector<float>{0.f})}),
             Catch::Contains("never reaches"));
}

// ---------------------------------------------------------------- SPLIT_V

TEST_CASE("SPLIT_V splits with an inferred -1 size along a negative axis", "[array][split_v]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 5});
  int sizes = mb.addConstant<int32_t>(ElementType::kInt32, {3}, {1, -1, 2});
  int axis = mb.addConstant<int32_t>(ElementType::kInt32, {}, {-1});
  int o0 = mb.addOutput(ElementType::kFloat32, {});
  int o1 = mb.addOutput(ElementType::kFloat32, {});
  int o2 = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SPLIT_V, {in, sizes, axis}, {o0, o1, o2}, opts(fb::BuiltinOptions::SplitVOptions, [](auto& b) {
             return fb::CreateSplitVOptions(b, 3);
           }));
  auto outs = runOk(mb.finish(), {InputData::of(iota<float>(10))});
  CHECK(outs[0].dims == Dims{2, 1});
  CHECK(outs[1].dims == Dims{2, 2});
  CHECK(outs[2].dims == Dims{2, 2});
  CHECK(outs[0].values<float>() == std::vector<float>{0, 5});
  CHECK(outs[1].values<float>() == std::vector<float>{1, 2, 6, 7});
  CHECK(outs[2].values<float>() == std::vector<float>{3, 4, 8, 9});
}

TEST_CASE("SPLIT_V with runtime sizes, and sizes that do not add up", "[array][split_v][error]") {
  {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kInt32, {4});
    int sizes = mb.addInput(ElementType::kInt64, {2});
    int axis = mb.addConstant<int32_t>(ElementType::kInt32, {}, {0});
    int o0 = mb.addOutput(ElementType::kInt32, {});
    int o1 = mb.addOutput(ElementType::kInt32, {});
    mb.addOp(Op::SPLIT_V, {in, sizes, axis}, {o0, o1});
    auto outs = runOk(mb.finish(), {InputData::of(iota<int32_t>(4)), InputData::of(std::vector<int64_t>{3, 1})});
    CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{0, 1, 2});
    CHECK(outs[1].values<int32_t>() == std::vector<int32_t>{3});
  }
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {4});
  int sizes = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {1, 2});
  int axis = mb.addConstant<int32_t>(ElementType::kInt32, {}, {0});
  int o0 = mb.addOutput(ElementType::kFloat32, {});
  int o1 = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SPLIT_V, {in, sizes, axis}, {o0, o1});
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(4))}), Catch::Contains("sum to 3"));
}

// ---------------------------------------------------------------- MIRROR_PAD

std::vector<uint8_t> mirrorPadModel(Dims inDims, std::vector<int32_t> pads, fb::MirrorPadMode mode) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int p = mb.addConstant<int32_t>(ElementType::kInt32, {static_cast<int32_t>(inDims.size()), 2}, pads);
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::MIRROR_PAD, {in, p}, {out}, opts(fb::BuiltinOptions::MirrorPadOptions, [mode](auto& b) {
             return fb::CreateMirrorPadOptions(b, mode);
           }));
  return mb.finish();
}

TEST_CASE("MIRROR_PAD in REFLECT and SYMMETRIC modes", "[array][mirror_pad]") {
  // 1-D [1, 2, 3] padded by 2 before and 2 after.
  auto outs = runOk(mirrorPadModel({3}, {2, 2}, fb::MirrorPadMode::REFLECT), {InputData::of(std::vector<float>{1, 2, 3})});
  CHECK(outs[0].values<float>() == std::vector<float>{3, 2, 1, 2, 3, 2, 1});
  outs = runOk(mirrorPadModel({3}, {2, 2}, fb::MirrorPadMode::SYMMETRIC), {InputData::of(std::vector<float>{1, 2, 3})});
  CHECK(outs[0].values<float>() == std::vector<float>{2, 1, 1, 2, 3, 3, 2});
  // 2-D: [[1,2],[3,4]] with rows padded (1, 0) and columns (0, 1), REFLECT.
  outs = runOk(mirrorPadModel({2, 2}, {1, 0, 0, 1}, fb::MirrorPadMode::REFLECT),
               {InputData::of(std::vector<float>{1, 2, 3, 4})});
  CHECK(outs[0].dims == Dims{3, 3});
  CHECK(outs[0].values<float>() == std::vector<float>{3, 4, 3, 1, 2, 1, 3, 4, 3});
}

TEST_CASE("MIRROR_PAD REFLECT rejects padding as large as the dimension", "[array][mirror_pad][error]") {
  CHECK_THAT(runError(mirrorPadModel({3}, {3, 0}, fb::MirrorPadMode::REFLECT), {InputData::of(std::vector<float>{1, 2, 3})}),
             Catch::Contains("REFLECT"));
  // SYMMETRIC allows it.
  auto outs = runOk(mirrorPadModel({3}, {3, 0}, fb::MirrorPadMode::SYMMETRIC), {InputData::of(std::vector<float>{1, 2, 3})});
  CHECK(outs[0].values<float>() == std::vector<float>{3, 2, 1, 1, 2, 3});
}

// ---------------------------------------------------------------- REVERSE_V2

TEST_CASE("REVERSE_V2 reverses the listed axes (naive index formula)", "[array][reverse]") {
  const Dims d{2, 3, 4};
  for (std::vector<int32_t> axes : {std::vector<int32_t>{1}, std::vector<int32_t>{-1}, std::vector<int32_t>{0, 2}}) {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kInt16, d);
    int ax = mb.addConstant<int32_t>(ElementType::kInt32, {static_cast<int32_t>(axes.size())}, axes);
    int out = mb.addOutput(ElementType::kInt16, {});
    mb.addOp(Op::REVERSE_V2, {in, ax}, {out});
    auto x = iota<int16_t>(24);
    auto outs = runOk(mb.finish(), {InputData::of(x)});
    auto y = outs[0].values<int16_t>();
    bool rev[3] = {false, false, false};
    for (int32_t a : axes) rev[a < 0 ? a + 3 : a] = true;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k) {
          const int si = rev[0] ? 1 - i : i, sj = rev[1] ? 2 - j : j, sk = rev[2] ? 3 - k : k;
          CHECK(y[static_cast<size_t>((i * 3 + j) * 4 + k)] == x[static_cast<size_t>((si * 3 + sj) * 4 + sk)]);
        }
  }
}

TEST_CASE("REVERSE_V2 rejects an axis out of range", "[array][reverse][error]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 2});
  int ax = mb.addConstant<int32_t>(ElementType::kInt32, {1}, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::REVERSE_V2, {in, ax}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(4))}), Catch::Contains("out of range"));
}

// ---------------------------------------------------------------- folding

TEST_CASE("SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE folds at prepare and RESHAPE stays static",
          "[array][fold]") {
  // The converter's dynamic-batch flatten: reshape(x, [shape(x)[0], 12]).
  OpModelBuilder b;
  int x = b.addInput(ElementType::kFloat32, {2, 3, 4});
  int shape = b.addTensor(ElementType::kInt32, {3});
  int begin = b.addConstant<int32_t>(ElementType::kInt32, {1}, {0});
  int end = b.addConstant<int32_t>(ElementType::kInt32, {1}, {1});
  int strides = b.addConstant<int32_t>(ElementType::kInt32, {1}, {1});
  int batch = b.addTensor(ElementType::kInt32, {});
  int twelve = b.addConstant<int32_t>(ElementType::kInt32, {}, {12});
  int newShape = b.addTensor(ElementType::kInt32, {2});
  int out = b.addOutput(ElementType::kFloat32, {});
  b.addOp(Op::SHAPE, {x}, {shape});
  b.addOp(Op::STRIDED_SLICE, {shape, begin, end, strides}, {batch},
          opts(fb::BuiltinOptions::StridedSliceOptions, [](auto& fbb) {
            return fb::CreateStridedSliceOptions(fbb, 0, 0, 0, 0, /*shrink_axis_mask=*/1);
          }));
  b.addOp(Op::PACK, {batch, twelve}, {newShape}, packOptions(2, 0));
  b.addOp(Op::RESHAPE, {x, newShape}, {out});
  auto bytes = b.finish();
  auto m = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "fold");
  REQUIRE(m.isOk());
  auto interp = engine::Interpreter::create(m.value());
  INFO((interp.isOk() ? std::string("ok") : interp.status().toString()));
  REQUIRE(interp.isOk());
  const engine::Tensor& packed = interp.value()->tensors()[static_cast<size_t>(newShape)];
  CHECK(packed.isConstant);
  CHECK(packed.as<int32_t>()[0] == 2);
  CHECK(packed.as<int32_t>()[1] == 12);
  const engine::Tensor& o = interp.value()->output(0);
  CHECK_FALSE(o.isDynamic);
  CHECK(o.dims == Dims{2, 12});
  for (int i = 0; i < 24; ++i) interp.value()->input(0).as<float>()[i] = static_cast<float>(i) * 0.5f;
  REQUIRE(interp.value()->invoke().isOk());
  for (int i = 0; i < 24; ++i) CHECK(interp.value()->output(0).as<float>()[i] == static_cast<float>(i) * 0.5f);
}

}  // namespace
