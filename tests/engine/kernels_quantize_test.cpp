// Tests for DEQUANTIZE (every fp16 bit pattern against an independent
// decoding, int8/uint8/int16 per-tensor, int8 per-channel along different
// axes, constant inputs folded at load) and DENSIFY (CSR in several
// traversal orders, both dims sparse, block sparsity, all three index vector
// types, a sparse fp16 weight feeding DEQUANTIZE) plus error cases.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;

// Runs a model whose first output is FLOAT32.
std::vector<float> runFloats(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs,
                             Dims* dims = nullptr) {
  auto r = runModel(model, inputs);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  REQUIRE(r.value()[0].type == ElementType::kFloat32);
  if (dims) *dims = r.value()[0].dims;
  return r.value()[0].values<float>();
}

// DEQUANTIZE of a runtime input (evaluated at invoke).
std::vector<uint8_t> dequantizeModel(ElementType type, const Dims& dims, QuantParams q = {}) {
  OpModelBuilder mb;
  int in = mb.addInput(type, dims, std::move(q));
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(fb::BuiltinOperator::DEQUANTIZE, {in}, {out});
  return mb.finish();
}

// Adds `x` (a runtime FLOAT32 input) to the result of DEQUANTIZE of a constant,
// so the constant path (folded at load) is observed through a normal op.
template <typename T>
std::vector<uint8_t> constantDequantizeModel(ElementType type, const Dims& dims, const std::vector<T>& values,
                                             QuantParams q = {}) {
  OpModelBuilder mb;
  int x = mb.addInput(ElementType::kFloat32, dims);
  int c = mb.addConstant<T>(type, dims, values, std::move(q));
  int deq = mb.addTensor(ElementType::kFloat32, dims);
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(fb::BuiltinOperator::DEQUANTIZE, {c}, {deq}, {}, 3);
  mb.addOp(fb::BuiltinOperator::ADD, {x, deq}, {out});
  return mb.finish();
}

QuantParams quant(std::vector<float> scale, std::vector<int64_t> zeroPoint, int axis = 0) {
  QuantParams q;
  q.scale = std::move(scale);
  q.zeroPoint = std::move(zeroPoint);
  q.quantizedDimension = axis;
  return q;
}

// binary16 decoded from its definition with ldexp (independent of the
// kernel's bit manipulation).
float decodeHalf(uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) {
    v = std::ldexp(static_cast<double>(mantissa), -24);
  } else if (exponent == 31) {
    v = mantissa == 0 ? INFINITY : NAN;
  } else {
    v = std::ldexp(static_cast<double>(1024 + mantissa), exponent - 25);
  }
  return static_cast<float>(sign ? -v : v);
}

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}

}  // namespace

TEST_CASE("DEQUANTIZE FLOAT16: every bit pattern converts exactly", "[quantize]") {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  auto y = runFloats(dequantizeModel(ElementType::kFloat16, {256, 256}), {InputData::of(all)});
  REQUIRE(y.size() == all.size());
  int mismatches = 0;
  for (uint32_t i = 0; i < 65536; ++i) {
    const float expect = decodeHalf(static_cast<uint16_t>(i));
    if (std::isnan(expect)) {
      if (!std::isnan(y[i]) || std::signbit(y[i]) != std::signbit(expect)) ++mismatches;
    } else if (bitsOf(y[i]) != bitsOf(expect)) {  // bitwise: keeps -0 and subnormals honest
      ++mismatches;
      if (mismatches < 5) UNSCOPED_INFO("half 0x" << std::hex << i << " gave " << y[i] << " expected " << expect);
    }
  }
  CHECK(mismatches == 0);
  // Spot checks by hand.
  CHECK(y[0x3c00] == 1.0f);
  CHECK(y[0xc000] == -2.0f);
  CHECK(y[0x7bff] == 65504.0f);
  CHECK(y[0x0001] == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(y[0x03ff] == std::ldexp(1023.0f, -24));  // largest subnormal
  CHECK(y[0x0400] == std::ldexp(1.0f, -14));  // smallest normal
  CHECK(std::signbit(y[0x8000]));
  CHECK(y[0x8000] == 0.0f);
  CHECK(std::isinf(y[0x7c00]));
  CHECK(y[0xfc00] < 0);
  CHECK(std::isnan(y[0x7e00]));
  CHECK(std::isnan(y[0x7c01]));
}

TEST_CASE("DEQUANTIZE of a constant FLOAT16 weight is folded at load", "[quantize]") {
  const std::vector<uint16_t> half = {0x3c00, 0xb800, 0x4500, 0x0000};  // 1, -0.5, 5, 0
  auto y = runFloats(constantDequantizeModel<uint16_t>(ElementType::kFloat16, {2, 2}, half),
                     {InputData::of(std::vector<float>{10, 20, 30, 40})});
  CHECK(y == std::vector<float>{11, 19.5f, 35, 40});
}

TEST_CASE("DEQUANTIZE INT8, UINT8, INT16 per tensor", "[quantize]") {
  Dims dims;
  auto y = runFloats(dequantizeModel(ElementType::kInt8, {4}, quant({0.5f}, {-3})),
                     {InputData::of(std::vector<int8_t>{-128, -3, 0, 127})}, &dims);
  CHECK(dims == Dims{4});
  CHECK(y == std::vector<float>{-62.5f, 0, 1.5f, 65});

  y = runFloats(dequantizeModel(ElementType::kUInt8, {2, 2}, quant({0.25f}, {128})),
                {InputData::of(std::vector<uint8_t>{0, 128, 129, 255})});
  CHECK(y == std::vector<float>{-32, 0, 0.25f, 31.75f});

  // A scale that is not a power of two: TFLite multiplies in double and rounds
  // once to float.
  const float scale = 0.001f;
  const std::vector<int16_t> q = {-32768, -1, 0, 1, 12345, 32767};
  y = runFloats(dequantizeModel(ElementType::kInt16, {6}, quant({scale}, {0})), {InputData::of(q)});
  for (size_t i = 0; i < q.size(); ++i) {
    CHECK(y[i] == static_cast<float>(static_cast<double>(scale) * q[i]));
  }
}

TEST_CASE("DEQUANTIZE INT8/UINT8 per tensor rounds as LiteRT's x86 kernel", "[quantize]") {
  // LiteRT computes groups of 8 values in float (q * scale, rounded, plus
  // -zeroPoint * scale) and the tail in double; on these values the two
  // differ by an ulp. Expected: LiteRT 2.3.0's outputs (builtin kernels).
  auto y = runFloats(dequantizeModel(ElementType::kInt8, {9}, quant({0.1f}, {3})),
                     {InputData::of(std::vector<int8_t>{-124, -119, -114, -109, -104, -99, -94, -89, -124})});
  CHECK(y == std::vector<float>{-12.7000008f, -12.2000008f, -11.7000008f, -11.2000008f, -10.7000008f,
                                -10.2000008f, -9.70000076f, -9.20000076f, -12.6999998f});
  y = runFloats(dequantizeModel(ElementType::kUInt8, {9}, quant({0.1f}, {131})),
                {InputData::of(std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 4})});
  CHECK(y == std::vector<float>{-13.1000004f, -13.f, -12.9000006f, -12.8000002f, -12.7000008f, -12.6000004f,
                                -12.5f, -12.4000006f, -12.6999998f});
}

TEST_CASE("DEQUANTIZE INT8 per channel along the first and the last axis", "[quantize]") {
  const std::vector<int8_t> q = {-10, 0, 10, 20, 30, 127};  // [2, 3]
  // Axis 1: three channels of one column each.
  auto y = runFloats(constantDequantizeModel<int8_t>(ElementType::kInt8, {2, 3}, q,
                                                     quant({0.5f, 2.0f, 0.25f}, {0, 1, -1}, 1)),
                     {InputData::of(std::vector<float>(6, 0.0f))});
  CHECK(y == std::vector<float>{-5, -2, 2.75f, 10, 58, 32});
  // Axis 0: two channels of one row each (runtime input path).
  y = runFloats(dequantizeModel(ElementType::kInt8, {2, 3}, quant({0.1f, 3.0f}, {2, -2}, 0)), {InputData::of(q)});
  const std::vector<float> expect = {0.1f * -12, 0.1f * -2, 0.1f * 8, 3.0f * 22, 3.0f * 32, 3.0f * 129};
  CHECK(y == expect);
  // A middle axis of a rank-3 tensor.
  const std::vector<int8_t> q3 = {1, 2, 3, 4, 5, 6, 7, 8};  // [2, 2, 2], axis 1
  y = runFloats(dequantizeModel(ElementType::kInt8, {2, 2, 2}, quant({1.0f, 10.0f}, {0, 0}, 1)),
                {InputData::of(q3)});
  CHECK(y == std::vector<float>{1, 2, 30, 40, 5, 6, 70, 80});
}

TEST_CASE("DEQUANTIZE errors", "[quantize][error]") {
  SECTION("FLOAT32 input is unsupported") {
    auto r = runModel(dequantizeModel(ElementType::kFloat32, {2}), {InputData::of(std::vector<float>{1, 2})});
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kUnsupported);
    CHECK_THAT(r.status().message(), Catch::Contains("FLOAT32"));
  }
  SECTION("INT8 without quantization parameters") {
    auto r = runModel(dequantizeModel(ElementType::kInt8, {2}), {InputData::of(std::vector<int8_t>{1, 2})});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("quantization"));
  }
  SECTION("per-channel scales that do not match the channel count") {
    auto r = runModel(dequantizeModel(ElementType::kInt8, {2, 3}, quant({0.1f, 0.2f}, {0, 0}, 1)),
                      {InputData::of(std::vector<int8_t>(6, 1))});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("scale"));
  }
}

// --- DENSIFY ---

namespace {

struct Level {
  bool dense;
  int denseSize = 0;
  std::vector<int> segments, indices;
  fb::SparseIndexVector indexType = fb::SparseIndexVector::Int32Vector;
};

Level denseLevel(int size) { return Level{true, size, {}, {}}; }
Level csrLevel(std::vector<int> segments, std::vector<int> indices,
               fb::SparseIndexVector t = fb::SparseIndexVector::Int32Vector) {
  return Level{false, 0, std::move(segments), std::move(indices), t};
}

flatbuffers::Offset<void> indexVector(flatbuffers::FlatBufferBuilder& b, fb::SparseIndexVector t,
                                      const std::vector<int>& v) {
  switch (t) {
    case fb::SparseIndexVector::Uint8Vector: {
      std::vector<uint8_t> u(v.begin(), v.end());
      return fb::CreateUint8Vector(b, b.CreateVector(u)).Union();
    }
    case fb::SparseIndexVector::Uint16Vector: {
      std::vector<uint16_t> u(v.begin(), v.end());
      return fb::CreateUint16Vector(b, b.CreateVector(u)).Union();
    }
    default: {
      std::vector<int32_t> u(v.begin(), v.end());
      return fb::CreateInt32Vector(b, b.CreateVector(u)).Union();
    }
  }
}

SparsityFn sparsity(std::vector<int> traversal, std::vector<int> blockMap, std::vector<Level> levels) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    std::vector<flatbuffers::Offset<fb::DimensionMetadata>> meta;
    for (const Level& l : levels) {
      if (l.dense) {
        meta.push_back(fb::CreateDimensionMetadata(b, fb::DimensionType::DENSE, l.denseSize));
      } else {
        auto seg = indexVector(b, l.indexType, l.segments);
        auto idx = indexVector(b, l.indexType, l.indices);
        meta.push_back(
            fb::CreateDimensionMetadata(b, fb::DimensionType::SPARSE_CSR, 0, l.indexType, seg, l.indexType, idx));
      }
    }
    auto t = b.CreateVector(traversal);
    auto bm = blockMap.empty() ? flatbuffers::Offset<flatbuffers::Vector<int32_t>>() : b.CreateVector(blockMap);
    auto m = b.CreateVector(meta);
    return fb::CreateSparsityParameters(b, t, bm, m);
  };
}

// out = DENSIFY(sparse constant) + x, with x a runtime input of zeros.
std::vector<uint8_t> densifyModel(const Dims& dims, const std::vector<float>& values, SparsityFn sp) {
  OpModelBuilder mb;
  int x = mb.addInput(ElementType::kFloat32, dims);
  int c = mb.addConstantBytes(ElementType::kFloat32, dims, values.data(), values.size() * sizeof(float), {},
                              std::move(sp));
  int dense = mb.addTensor(ElementType::kFloat32, dims);
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(fb::BuiltinOperator::DENSIFY, {c}, {dense});
  mb.addOp(fb::BuiltinOperator::ADD, {x, dense}, {out});
  return mb.finish();
}

std::vector<float> densify(const Dims& dims, const std::vector<float>& values, SparsityFn sp) {
  return runFloats(densifyModel(dims, values, std::move(sp)),
                   {InputData::of(std::vector<float>(static_cast<size_t>(engine::numElements(dims)), 0.0f))});
}

// 6 0 9 8
// 0 0 0 0
// 5 0 0 0
// 0 0 0 7
const std::vector<float> kMatrix = {6, 0, 9, 8, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 7};

}  // namespace

TEST_CASE("DENSIFY CSR: dense rows, sparse columns", "[densify]") {
  for (auto t : {fb::SparseIndexVector::Int32Vector, fb::SparseIndexVector::Uint16Vector,
                 fb::SparseIndexVector::Uint8Vector}) {
    INFO("index vector type " << fb::EnumNameSparseIndexVector(t));
    auto y = densify({4, 4}, {6, 9, 8, 5, 7},
                     sparsity({0, 1}, {}, {denseLevel(4), csrLevel({0, 3, 3, 4, 5}, {0, 2, 3, 0, 3}, t)}));
    CHECK(y == kMatrix);
  }
}

TEST_CASE("DENSIFY column-major traversal and both dims sparse", "[densify]") {
  // Traversal [1, 0]: walk columns densely, rows sparsely.
  auto y = densify({4, 4}, {6, 5, 9, 8, 7},
                   sparsity({1, 0}, {}, {denseLevel(4), csrLevel({0, 2, 2, 3, 5}, {0, 2, 0, 0, 3})}));
  CHECK(y == kMatrix);
  // Both dims compressed: rows 0, 2, 3 present.
  y = densify({4, 4}, {6, 9, 8, 5, 7},
              sparsity({0, 1}, {}, {csrLevel({0, 3}, {0, 2, 3}), csrLevel({0, 3, 4, 5}, {0, 2, 3, 0, 3})}));
  CHECK(y == kMatrix);
  // All dense metadata: a plain copy in row-major order.
  y = densify({4, 4}, kMatrix, sparsity({0, 1}, {}, {denseLevel(4), denseLevel(4)}));
  CHECK(y == kMatrix);
}

TEST_CASE("DENSIFY with 2x2 block sparsity", "[densify]") {
  // 1 0 | 2 3
  // 0 4 | 0 0
  // ----+----
  // 0 0 | 5 0
  // 0 0 | 0 6      block (1, 0) is all zero and not stored.
  const std::vector<float> values = {1, 0, 0, 4, 2, 3, 0, 0, 5, 0, 0, 6};
  auto y = densify({4, 4}, values,
                   sparsity({0, 1, 2, 3}, {0, 1},
                            {denseLevel(2), csrLevel({0, 2, 3}, {0, 1, 1}), denseLevel(2), denseLevel(2)}));
  CHECK(y == std::vector<float>{1, 0, 2, 3, 0, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0, 6});
}

TEST_CASE("DENSIFY with blocks along one dim (1x4 blocks, uint8 indices)", "[densify]") {
  // [2, 8]: row 0 keeps column blocks 1; row 1 keeps blocks 0 and 1.
  const std::vector<float> values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  auto y = densify({2, 8}, values,
                   sparsity({0, 1, 2}, {1},
                            {denseLevel(2), csrLevel({0, 1, 3}, {1, 0, 1}, fb::SparseIndexVector::Uint8Vector),
                             denseLevel(4)}));
  CHECK(y == std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
}

TEST_CASE("DENSIFY of a sparse FLOAT16 weight feeding DEQUANTIZE", "[densify]") {
  // [3, 2] with values 1 (0x3c00), -2 (0xc000), 0.5 (0x3800).
  const std::vector<uint16_t> half = {0x3c00, 0xc000, 0x3800};
  OpModelBuilder mb;
  int x = mb.addInput(ElementType::kFloat32, {3, 2});
  int c = mb.addConstantBytes(ElementType::kFloat16, {3, 2}, half.data(), half.size() * 2, {},
                              sparsity({0, 1}, {}, {denseLevel(3), csrLevel({0, 1, 1, 3}, {1, 0, 1})}));
  int dense = mb.addTensor(ElementType::kFloat16, {3, 2});
  int deq = mb.addTensor(ElementType::kFloat32, {3, 2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(fb::BuiltinOperator::DENSIFY, {c}, {dense});
  mb.addOp(fb::BuiltinOperator::DEQUANTIZE, {dense}, {deq}, {}, 3);
  mb.addOp(fb::BuiltinOperator::ADD, {x, deq}, {out});
  auto y = runFloats(mb.finish(), {InputData::of(std::vector<float>{100, 100, 100, 100, 100, 100})});
  CHECK(y == std::vector<float>{100, 101, 100, 100, 98, 100.5f});
}

TEST_CASE("DENSIFY rejects malformed sparsity metadata", "[densify][error]") {
  struct Case {
    const char* name;
    std::vector<float> values;
    SparsityFn sp;
    const char* word;
  };
  const std::vector<Case> cases = {
      {"index past the dim", {1, 2}, sparsity({0, 1}, {}, {denseLevel(4), csrLevel({0, 1, 1, 1, 2}, {0, 4})}),
       "index"},
      {"too few segments", {1, 2}, sparsity({0, 1}, {}, {denseLevel(4), csrLevel({0, 2}, {0, 1})}),
       "array_segments"},
      {"segments past the indices", {1, 2}, sparsity({0, 1}, {}, {denseLevel(4), csrLevel({0, 1, 1, 1, 9}, {0, 1})}),
       "indices"},
      {"dense size mismatch", {1, 2}, sparsity({0, 1}, {}, {denseLevel(5), csrLevel({0, 1, 1, 1, 2}, {0, 1})}),
       "dense level"},
      {"missing dim metadata", {1, 2}, sparsity({0, 1}, {}, {denseLevel(4)}), "dim_metadata"},
      {"bad traversal order", {1, 2}, sparsity({0, 0}, {}, {denseLevel(4), denseLevel(4)}), "traversal_order"},
      {"more values described than stored", {1},
       sparsity({0, 1}, {}, {denseLevel(4), csrLevel({0, 1, 1, 1, 2}, {0, 1})}), "values"},
      {"block size not dividing the dim", {1, 2, 3, 4, 5, 6},
       sparsity({0, 1, 2}, {1}, {denseLevel(4), denseLevel(1), denseLevel(3)}), "block"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto r = runModel(densifyModel({4, 4}, c.values, c.sp), {InputData::of(std::vector<float>(16, 0.0f))});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains(c.word));
  }
}
