// Tests for ADD, SUB, MUL, DIV: hand-computed cases, a naive broadcasting
// reference (unravel every output index into coordinates and map them into
// each input, written independently of the kernel's stride walk) over many
// shape pairs up to rank 6, fused activations, INT32 semantics and errors.
// Every case runs on each kernel path (reference, optimized on one and two
// threads; float ADD/SUB/MUL use XNNPACK there) against the same
// expectations; a larger random case compares the paths directly.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;

using Act = fb::ActivationFunctionType;

// The kernel path the running test case uses (INFERD_EACH_KERNEL_PATH).
engine::InterpreterOptions gPath;

OptionsFn arithOptions(fb::BuiltinOperator op, Act act) {
  return [op, act](flatbuffers::FlatBufferBuilder& b) -> std::pair<fb::BuiltinOptions, flatbuffers::Offset<void>> {
    switch (op) {
      case fb::BuiltinOperator::ADD:
        return {fb::BuiltinOptions::AddOptions, fb::CreateAddOptions(b, act).Union()};
      case fb::BuiltinOperator::SUB:
        return {fb::BuiltinOptions::SubOptions, fb::CreateSubOptions(b, act).Union()};
      case fb::BuiltinOperator::MUL:
        return {fb::BuiltinOptions::MulOptions, fb::CreateMulOptions(b, act).Union()};
      default:
        return {fb::BuiltinOptions::DivOptions, fb::CreateDivOptions(b, act).Union()};
    }
  };
}

// Two runtime inputs a and b, one output.
std::vector<uint8_t> binaryModel(fb::BuiltinOperator op, const Dims& a, const Dims& b, Act act = Act::NONE,
                                 ElementType type = ElementType::kFloat32, bool withOptions = true,
                                 int version = 1) {
  OpModelBuilder mb;
  int ia = mb.addInput(type, a);
  int ib = mb.addInput(type, b);
  int out = mb.addOutput(type, {});
  mb.addOp(op, {ia, ib}, {out}, withOptions ? arithOptions(op, act) : OptionsFn{}, version);
  return mb.finish();
}

// numpy broadcast of two shapes, or false when incompatible.
bool numpyShape(const Dims& a, const Dims& b, Dims* out) {
  Dims r;
  const size_t rank = std::max(a.size(), b.size());
  for (size_t i = 0; i < rank; ++i) {
    // i counts from the leftmost dim of the (left-padded) result.
    const size_t pad_a = rank - a.size(), pad_b = rank - b.size();
    const int32_t da = i < pad_a ? 1 : a[i - pad_a];
    const int32_t db = i < pad_b ? 1 : b[i - pad_b];
    if (da != db && da != 1 && db != 1) return false;
    r.push_back(da == 1 ? db : da);
  }
  *out = r;
  return true;
}

// Flat index into `in` for the output coordinates `coord` (of rank >= in's).
int64_t mapIndex(const std::vector<int64_t>& coord, const Dims& in) {
  const size_t off = coord.size() - in.size();
  int64_t idx = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const int64_t c = in[i] == 1 ? 0 : coord[off + i];
    idx = idx * in[i] + c;
  }
  return idx;
}

template <typename T, typename F>
std::vector<T> naiveBinary(const std::vector<T>& a, const Dims& da, const std::vector<T>& b, const Dims& db,
                           const Dims& out, F f) {
  int64_t total = 1;
  for (int32_t d : out) total *= d;
  std::vector<T> r;
  r.reserve(static_cast<size_t>(total));
  for (int64_t flat = 0; flat < total; ++flat) {
    std::vector<int64_t> coord(out.size());
    int64_t rest = flat;
    for (size_t i = out.size(); i-- > 0;) {
      coord[i] = rest % out[i];
      rest /= out[i];
    }
    r.push_back(f(a[static_cast<size_t>(mapIndex(coord, da))], b[static_cast<size_t>(mapIndex(coord, db))]));
  }
  return r;
}

int64_t count(const Dims& d) {
  int64_t n = 1;
  for (int32_t x : d) n *= x;
  return n;
}

std::vector<float> randomFloats(size_t n, std::mt19937& rng, float lo = -4.f, float hi = 4.f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

float applyFloat(fb::BuiltinOperator op, float x, float y) {
  switch (op) {
    case fb::BuiltinOperator::ADD: return x + y;
    case fb::BuiltinOperator::SUB: return x - y;
    case fb::BuiltinOperator::MUL: return x * y;
    default: return x / y;
  }
}

Result<std::vector<OutputTensor>> runInt32(const std::vector<uint8_t>& model, const std::vector<int32_t>& a,
                                           const std::vector<int32_t>& b) {
  return runModel(model, {InputData::of(a), InputData::of(b)}, gPath);
}

}  // namespace

TEST_CASE("ADD of equal shapes, hand-computed", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto model = binaryModel(fb::BuiltinOperator::ADD, {2, 2}, {2, 2});
  std::string err;
  Dims dims;
  auto y = runFloat(model, {{1, 2, 3, 4}, {10, -20, 0.5f, -4}}, &err, 0, &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == Dims{2, 2});
  CHECK(y == std::vector<float>{11, -18, 3.5f, 0});
}

TEST_CASE("SUB, MUL, DIV hand-computed with broadcasting of a row", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  Dims dims;
  auto sub = runFloat(binaryModel(fb::BuiltinOperator::SUB, {2, 3}, {3}), {{1, 2, 3, 4, 5, 6}, {1, 10, 100}},
                      &err, 0, &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == Dims{2, 3});
  CHECK(sub == std::vector<float>{0, -8, -97, 3, -5, -94});

  auto mul = runFloat(binaryModel(fb::BuiltinOperator::MUL, {2, 1}, {1, 3}), {{2, -3}, {1, 10, 0.5f}}, &err, 0,
                      &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == Dims{2, 3});
  CHECK(mul == std::vector<float>{2, 20, 1, -3, -30, -1.5f});

  auto div = runFloat(binaryModel(fb::BuiltinOperator::DIV, {3}, {2, 1}), {{1, 2, 4}, {2, -4}}, &err, 0, &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == Dims{2, 3});
  CHECK(div == std::vector<float>{0.5f, 1, 2, -0.25f, -0.5f, -1});
}

TEST_CASE("scalar operands take either side", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  Dims dims;
  // a is a rank-0 scalar.
  auto y = runFloat(binaryModel(fb::BuiltinOperator::SUB, {}, {2, 2}), {{10}, {1, 2, 3, 4}}, &err, 0, &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == Dims{2, 2});
  CHECK(y == std::vector<float>{9, 8, 7, 6});
  // b is [1, 1, 1] against a rank-2 a: the output takes rank 3.
  y = runFloat(binaryModel(fb::BuiltinOperator::DIV, {2, 2}, {1, 1, 1}), {{1, 2, 3, 4}, {2}}, &err, 0, &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == Dims{1, 2, 2});
  CHECK(y == std::vector<float>{0.5f, 1, 1.5f, 2});
}

TEST_CASE("broadcasting matches a naive reference up to rank 6", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<std::pair<Dims, Dims>> shapes = {
      {{4}, {4}},
      {{2, 3, 4}, {4}},
      {{2, 3, 4}, {3, 1}},
      {{1, 5, 5, 8}, {1, 1, 1, 8}},
      {{1, 5, 5, 8}, {1, 5, 5, 1}},
      {{2, 1, 4}, {1, 3, 1}},
      {{3, 1, 2, 1, 2}, {1, 2, 1, 3, 1}},
      {{2, 1, 3, 1, 2, 2}, {1, 2, 1, 2, 1, 2}},
      {{2, 3, 1, 1, 2, 3}, {3, 2, 1, 3}},
      {{1}, {2, 2, 1}},
      {{5, 1}, {1}},
      {{2, 0, 3}, {1, 3}},
      {{1, 16, 16, 32}, {32}},
  };
  const std::vector<fb::BuiltinOperator> ops = {fb::BuiltinOperator::ADD, fb::BuiltinOperator::SUB,
                                                fb::BuiltinOperator::MUL, fb::BuiltinOperator::DIV};
  std::mt19937 rng(42);
  for (const auto& [da, db] : shapes) {
    for (auto op : ops) {
      // Both operand orders, so either side broadcasts.
      for (int swap = 0; swap < 2; ++swap) {
        const Dims& x = swap ? db : da;
        const Dims& z = swap ? da : db;
        INFO(fb::EnumNameBuiltinOperator(op) << " " << engine::dimsToString(x) << " with " << engine::dimsToString(z));
        auto a = randomFloats(static_cast<size_t>(count(x)), rng);
        auto b = randomFloats(static_cast<size_t>(count(z)), rng, 0.5f, 4.f);
        Dims expectDims;
        REQUIRE(numpyShape(x, z, &expectDims));
        auto expect = naiveBinary(a, x, b, z, expectDims, [op](float p, float q) { return applyFloat(op, p, q); });
        std::string err;
        Dims dims;
        auto y = runFloat(binaryModel(op, x, z), {a, b}, &err, 0, &dims, gPath);
        REQUIRE(err.empty());
        CHECK(dims == expectDims);
        // One IEEE operation per element: results must be identical.
        CHECK(y == expect);
      }
    }
  }
}

TEST_CASE("fused activations clamp the result", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> a = {-8, -3, -0.5f, 0, 0.5f, 3, 8};
  const std::vector<float> b(a.size(), 0.25f);
  struct Case {
    Act act;
    float lo, hi;
  };
  const float inf = std::numeric_limits<float>::infinity();
  for (const Case& c : {Case{Act::NONE, -inf, inf}, Case{Act::RELU, 0, inf}, Case{Act::RELU6, 0, 6},
                        Case{Act::RELU_N1_TO_1, -1, 1}}) {
    for (auto op : {fb::BuiltinOperator::ADD, fb::BuiltinOperator::MUL}) {
      INFO(fb::EnumNameBuiltinOperator(op) << " activation " << fb::EnumNameActivationFunctionType(c.act));
      std::string err;
      auto y = runFloat(binaryModel(op, {7}, {7}, c.act), {a, b}, &err, 0, nullptr, gPath);
      REQUIRE(err.empty());
      REQUIRE(y.size() == a.size());
      for (size_t i = 0; i < a.size(); ++i) {
        const float raw = applyFloat(op, a[i], b[i]);
        const float expect = raw < c.lo ? c.lo : (raw > c.hi ? c.hi : raw);
        CHECK(y[i] == expect);
      }
    }
  }
}

TEST_CASE("a missing options table means no activation", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  auto y = runFloat(binaryModel(fb::BuiltinOperator::SUB, {3}, {3}, Act::NONE, ElementType::kFloat32, false),
                    {{-5, 0, 10}, {1, 1, 1}}, &err, 0, nullptr, gPath);
  REQUIRE(err.empty());
  CHECK(y == std::vector<float>{-6, -1, 9});
}

TEST_CASE("float DIV by zero gives IEEE infinities", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  auto y = runFloat(binaryModel(fb::BuiltinOperator::DIV, {3}, {3}), {{1, -1, 0}, {0, 0, 0}}, &err, 0, nullptr, gPath);
  REQUIRE(err.empty());
  REQUIRE(y.size() == 3);
  CHECK(std::isinf(y[0]));
  CHECK(y[0] > 0);
  CHECK(std::isinf(y[1]));
  CHECK(y[1] < 0);
  CHECK(std::isnan(y[2]));
}

TEST_CASE("a constant operand works like a runtime one", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  OpModelBuilder mb;
  int a = mb.addInput(ElementType::kFloat32, {2, 3});
  int b = mb.addConstant<float>(ElementType::kFloat32, {3}, {0.5f, -1, 2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(fb::BuiltinOperator::MUL, {a, b}, {out}, arithOptions(fb::BuiltinOperator::MUL, Act::NONE));
  std::string err;
  auto y = runFloat(mb.finish(), {{1, 2, 3, 4, 5, 6}}, &err, 0, nullptr, gPath);
  REQUIRE(err.empty());
  CHECK(y == std::vector<float>{0.5f, -2, 6, 2, -5, 12});
}

TEST_CASE("equal shapes above rank 6 take the flat path", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Dims d = {1, 2, 1, 2, 1, 2, 2};
  std::vector<float> a(16), b(16);
  for (int i = 0; i < 16; ++i) a[i] = static_cast<float>(i), b[i] = static_cast<float>(100 * i);
  std::string err;
  Dims dims;
  auto y = runFloat(binaryModel(fb::BuiltinOperator::ADD, d, d), {a, b}, &err, 0, &dims, gPath);
  REQUIRE(err.empty());
  CHECK(dims == d);
  for (int i = 0; i < 16; ++i) CHECK(y[static_cast<size_t>(i)] == static_cast<float>(101 * i));
}

TEST_CASE("INT32 ADD, SUB, MUL with broadcasting and activations", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<int32_t> a = {-7, 0, 3, 9, -2, 5};  // [2, 3]
  const std::vector<int32_t> b = {2, -3, 4};           // [3]
  auto run = [&](fb::BuiltinOperator op, Act act) {
    auto r = runInt32(binaryModel(op, {2, 3}, {3}, act, ElementType::kInt32), a, b);
    REQUIRE(r.isOk());
    CHECK(r.value()[0].type == ElementType::kInt32);
    CHECK(r.value()[0].dims == Dims{2, 3});
    return r.value()[0].values<int32_t>();
  };
  CHECK(run(fb::BuiltinOperator::ADD, Act::NONE) == std::vector<int32_t>{-5, -3, 7, 11, -5, 9});
  CHECK(run(fb::BuiltinOperator::SUB, Act::NONE) == std::vector<int32_t>{-9, 3, -1, 7, 1, 1});
  CHECK(run(fb::BuiltinOperator::MUL, Act::NONE) == std::vector<int32_t>{-14, 0, 12, 18, 6, 20});
  CHECK(run(fb::BuiltinOperator::ADD, Act::RELU) == std::vector<int32_t>{0, 0, 7, 11, 0, 9});
  CHECK(run(fb::BuiltinOperator::MUL, Act::RELU6) == std::vector<int32_t>{0, 0, 6, 6, 6, 6});
  CHECK(run(fb::BuiltinOperator::SUB, Act::RELU_N1_TO_1) == std::vector<int32_t>{-1, 1, -1, 1, 1, 1});
}

TEST_CASE("INT32 DIV truncates toward zero like TFLite", "[elementwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto r = runInt32(binaryModel(fb::BuiltinOperator::DIV, {6}, {6}, Act::NONE, ElementType::kInt32),
                    {7, -7, 7, -7, 1, std::numeric_limits<int32_t>::min()}, {2, 2, -2, -2, 3, -1});
  REQUIRE(r.isOk());
  CHECK(r.value()[0].values<int32_t>() ==
        std::vector<int32_t>{3, -3, -3, 3, 0, std::numeric_limits<int32_t>::min()});
  // Broadcast scalar divisor with RELU.
  r = runInt32(binaryModel(fb::BuiltinOperator::DIV, {4}, {}, Act::RELU, ElementType::kInt32), {9, -9, 4, 1},
               {4});
  REQUIRE(r.isOk());
  CHECK(r.value()[0].values<int32_t>() == std::vector<int32_t>{2, 0, 1, 0});
}

TEST_CASE("INT32 DIV by zero is an error", "[elementwise][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  auto r = runInt32(binaryModel(fb::BuiltinOperator::DIV, {3}, {3}, Act::NONE, ElementType::kInt32), {1, 2, 3},
                    {1, 0, 1});
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::Contains("division by zero"));
}

TEST_CASE("incompatible shapes are rejected", "[elementwise][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  auto y = runFloat(binaryModel(fb::BuiltinOperator::ADD, {2, 3}, {4}), {{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4}}, &err, 0,
                    nullptr, gPath);
  CHECK(y.empty());
  CHECK_THAT(err, Catch::Contains("broadcast"));
  CHECK_THAT(err, Catch::Contains("[2, 3]"));
}

TEST_CASE("broadcasting above rank 6 is unsupported", "[elementwise][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::string err;
  auto y = runFloat(binaryModel(fb::BuiltinOperator::MUL, {1, 1, 1, 1, 1, 1, 2}, {2}), {{1, 2}, {3, 4}}, &err, 0,
                    nullptr, gPath);
  CHECK(y.empty());
  CHECK_THAT(err, Catch::Contains("rank 7"));
}

TEST_CASE("mismatched input types are rejected", "[elementwise][error]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  OpModelBuilder mb;
  int a = mb.addInput(ElementType::kFloat32, {2});
  int b = mb.addInput(ElementType::kInt32, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(fb::BuiltinOperator::ADD, {a, b}, {out});
  auto r = runModel(mb.finish(), {InputData::of(std::vector<float>{1, 2}), InputData::of(std::vector<int32_t>{1, 2})},
                    gPath);
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::Contains("types"));
}

TEST_CASE("types without a kernel are reported as unsupported", "[elementwise][error]") {
  // INT8/UINT8 have quantized kernels (kernels_quant_elementwise_test); INT16
  // has none.
  INFERD_EACH_KERNEL_PATH(gPath);
  OpModelBuilder mb;
  QuantParams q;
  q.scale = {0.5f};
  q.zeroPoint = {0};
  int a = mb.addInput(ElementType::kInt16, {2}, q);
  int b = mb.addInput(ElementType::kInt16, {2}, q);
  int out = mb.addOutput(ElementType::kInt16, {}, q);
  mb.addOp(fb::BuiltinOperator::ADD, {a, b}, {out}, {}, 2);
  auto r = runModel(mb.finish(), {InputData::of(std::vector<int16_t>{1, 2}), InputData::of(std::vector<int16_t>{1, 2})},
                    gPath);
  REQUIRE_FALSE(r.isOk());
  CHECK(r.status().code() == StatusCode::kUnsupported);
  CHECK_THAT(r.status().message(), Catch::Contains("INT16"));
}

TEST_CASE("ADD, SUB, MUL: XNNPACK with 2 threads matches the reference kernels", "[elementwise][xnnpack]") {
  // MediaPipe's shapes (same shape; per-channel constant or runtime scale)
  // and odd broadcasts, with and without fused activations.
  struct Case {
    Dims a, b;
    Act act;
  };
  const std::vector<Case> cases = {
      {{1, 64, 64, 24}, {1, 64, 64, 24}, Act::RELU},
      {{1, 32, 32, 16}, {1, 1, 1, 16}, Act::NONE},
      {{1, 33, 31, 7}, {7}, Act::RELU6},
      {{2, 1, 17, 5}, {3, 1, 5}, Act::NONE},
      {{1, 1}, {9, 5, 3, 1, 7, 2}, Act::RELU_N1_TO_1},
  };
  std::mt19937 rng(99);
  for (const Case& c : cases) {
    for (auto op : {fb::BuiltinOperator::ADD, fb::BuiltinOperator::SUB, fb::BuiltinOperator::MUL}) {
      INFO(fb::EnumNameBuiltinOperator(op) << " " << engine::dimsToString(c.a) << " " << engine::dimsToString(c.b));
      auto a = randomFloats(static_cast<size_t>(count(c.a)), rng);
      auto b = randomFloats(static_cast<size_t>(count(c.b)), rng);
      BothPaths r = runBothPaths(binaryModel(op, c.a, c.b, c.act), {a, b});
      INFO(r.error);
      REQUIRE(r.error.empty());
      CHECK(r.optimizedKernels > 0);
      CHECK(r.optimizedDims == r.referenceDims);
      CHECK(r.optimized == r.reference);  // one IEEE operation per element: exact
    }
  }
}
