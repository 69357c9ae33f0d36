// Tests for the element-wise math kernels: the unary ops (EXP ... GELU,
// LOGICAL_NOT), LOG_SOFTMAX, L2_NORMALIZATION, CAST, the binary ops
// (SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, POW, FLOOR_DIV, FLOOR_MOD,
// comparisons, LOGICAL_AND/OR) with broadcasting, and SELECT / SELECT_V2.
// Expectations are hand-computed or written with <cmath> formulas that differ
// from the kernels' (e.g. GELU through erf, not erfc).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_catch.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using Op = fb::BuiltinOperator;

template <typename T>
std::vector<uint8_t> unaryModel(Op op, ElementType type, Dims dims, OptionsFn o = {}, int version = 1,
                                ElementType outType = ElementType::kFloat32, bool sameOut = true) {
  OpModelBuilder mb;
  int in = mb.addInput(type, dims);
  int out = mb.addOutput(sameOut ? type : outType, {});
  mb.addOp(op, {in}, {out}, std::move(o), version);
  return mb.finish();
}

std::vector<float> runUnaryFloat(Op op, const std::vector<float>& x, OptionsFn o = {}) {
  auto outs = runOk(unaryModel<float>(op, ElementType::kFloat32, {static_cast<int32_t>(x.size())}, std::move(o)),
                    {InputData::of(x)});
  return outs[0].values<float>();
}

// ---------------------------------------------------------------- unary float

TEST_CASE("unary float ops match <cmath>", "[math][unary]") {
  const std::vector<float> x{0.25f, 1.f, 2.5f, 9.f, 0.01f};
  const std::vector<float> s{-2.7f, -0.5f, 0.f, 0.3f, 3.9f};
  struct Case {
    Op op;
    const std::vector<float>* in;
    double (*ref)(double);
  };
  const Case cases[] = {
      {Op::EXP, &s, [](double v) { return std::exp(v); }},
      {Op::LOG, &x, [](double v) { return std::log(v); }},
      {Op::SQRT, &x, [](double v) { return std::sqrt(v); }},
      {Op::RSQRT, &x, [](double v) { return 1.0 / std::sqrt(v); }},
      {Op::SQUARE, &s, [](double v) { return v * v; }},
      {Op::ABS, &s, [](double v) { return v < 0 ? -v : v; }},
      {Op::NEG, &s, [](double v) { return -v; }},
      {Op::SIN, &s, [](double v) { return std::sin(v); }},
      {Op::COS, &s, [](double v) { return std::cos(v); }},
      {Op::FLOOR, &s, [](double v) { return std::floor(v); }},
      {Op::CEIL, &s, [](double v) { return std::ceil(v); }},
      {Op::SIGN, &s, [](double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }},
      {Op::ELU, &s, [](double v) { return v < 0 ? std::exp(v) - 1.0 : v; }},
  };
  for (const Case& c : cases) {
    INFO(fb::EnumNameBuiltinOperator(c.op));
    auto y = runUnaryFloat(c.op, *c.in);
    REQUIRE(y.size() == c.in->size());
    for (size_t i = 0; i < y.size(); ++i) {
      CHECK(y[i] == Approx(c.ref((*c.in)[i])).epsilon(1e-6).margin(1e-7));
    }
  }
}

TEST_CASE("ROUND rounds halves to even", "[math][unary][round]") {
  auto y = runUnaryFloat(Op::ROUND, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.4f, 2.6f, -3.7f});
  CHECK(y == std::vector<float>{-2.f, -2.f, -0.f, 0.f, 2.f, 2.f, 2.f, 3.f, -4.f});
}

TEST_CASE("GELU exact (erf) and approximate (tanh) forms", "[math][unary][gelu]") {
  const std::vector<float> x{-3.f, -1.f, -0.2f, 0.f, 0.7f, 2.f};
  auto geluOpts = [](bool approximate) {
    return opts(fb::BuiltinOptions::GeluOptions, [approximate](auto& b) { return fb::CreateGeluOptions(b, approximate); });
  };
  auto exact = runUnaryFloat(Op::GELU, x);  // no options: approximate = false
  auto exact2 = runUnaryFloat(Op::GELU, x, geluOpts(false));
  auto approx = runUnaryFloat(Op::GELU, x, geluOpts(true));
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double e = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    const double a = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    CHECK(exact[i] == Approx(e).margin(1e-6));
    CHECK(exact2[i] == Approx(e).margin(1e-6));
    CHECK(approx[i] == Approx(a).margin(1e-6));
  }
  // The two forms differ measurably at x = -3 (about 3.6e-4).
  CHECK(std::fabs(exact[0] - approx[0]) > 1e-4);
}

TEST_CASE("integer NEG, ABS and SIGN; LOGICAL_NOT", "[math][unary][int]") {
  auto outs = runOk(unaryModel<int32_t>(Op::NEG, ElementType::kInt32, {3}), {InputData::of(std::vector<int32_t>{5, -7, 0})});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{-5, 7, 0});
  outs = runOk(unaryModel<int64_t>(Op::NEG, ElementType::kInt64, {2}), {InputData::of(std::vector<int64_t>{1LL << 40, -3})});
  CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{-(1LL << 40), 3});
  outs = runOk(unaryModel<int32_t>(Op::ABS, ElementType::kInt32, {3}), {InputData::of(std::vector<int32_t>{-4, 4, 0})});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{4, 4, 0});
  outs = runOk(unaryModel<int32_t>(Op::SIGN, ElementType::kInt32, {3}), {InputData::of(std::vector<int32_t>{-9, 0, 3})});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{-1, 0, 1});
  outs = runOk(unaryModel<bool>(Op::LOGICAL_NOT, ElementType::kBool, {3}), {InputData::of(std::vector<uint8_t>{1, 0, 1})});
  CHECK(outs[0].values<uint8_t>() == std::vector<uint8_t>{0, 1, 0});
}

TEST_CASE("unary ops reject unsupported types", "[math][unary][error]") {
  CHECK_THAT(runError(unaryModel<int32_t>(Op::EXP, ElementType::kInt32, {2}), {InputData::of(std::vector<int32_t>{1, 2})}),
             Catch::Contains("INT32"));
  CHECK_THAT(runError(unaryModel<float>(Op::LOGICAL_NOT, ElementType::kFloat32, {1}), {InputData::of(std::vector<float>{1})}),
             Catch::Contains("FLOAT32"));
}

// ---------------------------------------------------------------- LOG_SOFTMAX, L2_NORMALIZATION

TEST_CASE("LOG_SOFTMAX over the last axis", "[math][log_softmax]") {
  const std::vector<float> x{1.f, 2.f, 3.f, -1.f, 0.f, 100.f};
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 3});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::LOG_SOFTMAX, {in}, {out});
  auto y = runOk(mb.finish(), {InputData::of(x)})[0].values<float>();
  for (int r = 0; r < 2; ++r) {
    double sum = 0;
    for (int c = 0; c < 3; ++c) sum += std::exp(static_cast<double>(x[static_cast<size_t>(r * 3 + c)]) - 100.0);
    for (int c = 0; c < 3; ++c) {
      const size_t i = static_cast<size_t>(r * 3 + c);
      const double expected = static_cast<double>(x[i]) - 100.0 - std::log(sum);
      CHECK(y[i] == Approx(expected).margin(1e-5));
    }
  }
}

TEST_CASE("L2_NORMALIZATION divides rows by max(norm, 1e-6)", "[math][l2norm]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {3, 2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::L2_NORMALIZATION, {in}, {out});
  auto y = runOk(mb.finish(), {InputData::of(std::vector<float>{3.f, 4.f, 0.f, 0.f, 1e-7f, 0.f})})[0].values<float>();
  CHECK(y[0] == Approx(0.6f));
  CHECK(y[1] == Approx(0.8f));
  CHECK(y[2] == 0.f);
  CHECK(y[3] == 0.f);
  CHECK(y[4] == Approx(0.1f));  // 1e-7 / 1e-6: the epsilon floor applies
  OpModelBuilder bad;
  int bin = bad.addInput(ElementType::kFloat32, {2});
  int bout = bad.addOutput(ElementType::kFloat32, {});
  bad.addOp(Op::L2_NORMALIZATION, {bin}, {bout}, opts(fb::BuiltinOptions::L2NormOptions, [](auto& b) {
              return fb::CreateL2NormOptions(b, fb::ActivationFunctionType::RELU);
            }));
  CHECK_THAT(runError(bad.finish(), {InputData::of(std::vector<float>{1, 2})}), Catch::Contains("activation"));
}

// ---------------------------------------------------------------- CAST

template <typename From, typename To>
std::vector<To> cast(ElementType from, ElementType to, const std::vector<From>& x) {
  OpModelBuilder mb;
  int in = mb.addInput(from, {static_cast<int32_t>(x.size())});
  int out = mb.addOutput(to, {});
  mb.addOp(Op::CAST, {in}, {out});
  return runOk(mb.finish(), {InputData::of(x)})[0].template values<To>();
}

TEST_CASE("CAST truncates floats toward zero and maps BOOL to 0/1", "[math][cast]") {
  CHECK(cast<float, int32_t>(ElementType::kFloat32, ElementType::kInt32, {1.9f, -1.9f, 0.5f, -0.5f, 100.f}) ==
        std::vector<int32_t>{1, -1, 0, 0, 100});
  CHECK(cast<float, int64_t>(ElementType::kFloat32, ElementType::kInt64, {3e9f, -2.5f}) ==
        std::vector<int64_t>{3000000000LL, -2});
  CHECK(cast<float, uint8_t>(ElementType::kFloat32, ElementType::kUInt8, {0.f, 200.7f, 255.f}) ==
        std::vector<uint8_t>{0, 200, 255});
  CHECK(cast<int32_t, float>(ElementType::kInt32, ElementType::kFloat32, {-3, 16777217}) ==
        std::vector<float>{-3.f, 16777216.f});
  CHECK(cast<int64_t, int32_t>(ElementType::kInt64, ElementType::kInt32, {(1LL << 32) + 5, -1}) ==
        std::vector<int32_t>{5, -1});  // narrowing wraps
  CHECK(cast<int32_t, int8_t>(ElementType::kInt32, ElementType::kInt8, {127, 128, -129}) ==
        std::vector<int8_t>{127, -128, 127});
  CHECK(cast<int16_t, int32_t>(ElementType::kInt16, ElementType::kInt32, {-32768, 7}) ==
        std::vector<int32_t>{-32768, 7});
  CHECK(cast<float, uint8_t>(ElementType::kFloat32, ElementType::kBool, {0.f, -0.f, 0.1f, -3.f}) ==
        std::vector<uint8_t>{0, 0, 1, 1});
  CHECK(cast<uint8_t, float>(ElementType::kBool, ElementType::kFloat32, {1, 0}) == std::vector<float>{1.f, 0.f});
  CHECK(cast<uint8_t, int32_t>(ElementType::kUInt8, ElementType::kInt32, {255, 0}) == std::vector<int32_t>{255, 0});
}

TEST_CASE("CAST of out-of-range floats gives what LiteRT gives on x86-64", "[math][cast]") {
  // Values recorded from tensorflow 2.21's tf.lite interpreter.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x{300.7f, -200.2f, 3e9f, -3e9f, nan, 70000.5f, -40000.f};
  const ElementType f = ElementType::kFloat32;
  CHECK(cast<float, int32_t>(f, ElementType::kInt32, x) ==
        std::vector<int32_t>{300, -200, 2147483647, -2147483647 - 1, 2147483647, 70000, -40000});
  CHECK(cast<float, int16_t>(f, ElementType::kInt16, x) ==
        std::vector<int16_t>{300, -200, 32767, -32768, 0, 32767, -32768});
  CHECK(cast<float, uint8_t>(f, ElementType::kUInt8, x) == std::vector<uint8_t>{255, 0, 255, 0, 0, 255, 0});
  CHECK(cast<float, int8_t>(f, ElementType::kInt8, x) == std::vector<int8_t>{44, 56, 0, 0, 0, 112, -64});
  CHECK(cast<float, uint16_t>(f, ElementType::kUInt16, x) ==
        std::vector<uint16_t>{300, 65336, 0, 0, 0, 4464, 25536});
  CHECK(cast<float, int64_t>(f, ElementType::kInt64, x) ==
        std::vector<int64_t>{300, -200, 3000000000LL, -3000000000LL, std::numeric_limits<int64_t>::min(), 70000,
                             -40000});
}

TEST_CASE("CAST rejects types without a conversion", "[math][cast][error]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {1});
  int out = mb.addOutput(ElementType::kComplex64, {});
  mb.addOp(Op::CAST, {in}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>{1})}), Catch::Contains("COMPLEX64"));
}

// ---------------------------------------------------------------- binary

template <typename T, typename O = T>
std::vector<O> binary(Op op, ElementType type, Dims da, const std::vector<T>& a, Dims db, const std::vector<T>& b,
                      ElementType outType, Dims* outDims = nullptr, int version = 1) {
  OpModelBuilder mb;
  int x = mb.addInput(type, da);
  int y = mb.addInput(type, db);
  int out = mb.addOutput(outType, {});
  mb.addOp(op, {x, y}, {out}, {}, version);
  auto outs = runOk(mb.finish(), {InputData::of(a), InputData::of(b)});
  if (outDims != nullptr) *outDims = outs[0].dims;
  return outs[0].template values<O>();
}

TEST_CASE("SQUARED_DIFFERENCE, MAXIMUM, MINIMUM and POW broadcast like numpy", "[math][binary]") {
  const ElementType f = ElementType::kFloat32;
  // a: [2, 3], b: [3] (row broadcast).
  const std::vector<float> a{1, -2, 3, 4, 5, -6};
  const std::vector<float> b{0.5f, 2, -1};
  Dims d;
  auto sd = binary<float>(Op::SQUARED_DIFFERENCE, f, {2, 3}, a, {3}, b, f, &d);
  CHECK(d == Dims{2, 3});
  CHECK(sd == std::vector<float>{0.25f, 16, 16, 12.25f, 9, 25});
  CHECK(binary<float>(Op::MAXIMUM, f, {2, 3}, a, {3}, b, f) == std::vector<float>{1, 2, 3, 4, 5, -1});
  CHECK(binary<float>(Op::MINIMUM, f, {2, 3}, a, {3}, b, f) == std::vector<float>{0.5f, -2, -1, 0.5f, 2, -6});
  // Column broadcast: [2, 1] against [1, 3].
  auto p = binary<float>(Op::POW, f, {2, 1}, {2.f, 3.f}, {1, 3}, {0.f, 2.f, -1.f}, f, &d);
  CHECK(d == Dims{2, 3});
  CHECK(p[0] == 1.f);
  CHECK(p[1] == 4.f);
  CHECK(p[2] == Approx(0.5f));
  CHECK(p[4] == 9.f);
  CHECK(p[5] == Approx(1.f / 3.f));
  // Integer forms.
  const ElementType i32 = ElementType::kInt32;
  CHECK(binary<int32_t>(Op::POW, i32, {4}, {2, -3, 5, 0}, {4}, {10, 3, 0, 0}, i32) ==
        std::vector<int32_t>{1024, -27, 1, 1});
  CHECK(binary<int32_t>(Op::SQUARED_DIFFERENCE, i32, {2}, {3, -4}, {}, {1}, i32) == std::vector<int32_t>{4, 25});
  CHECK(binary<int64_t>(Op::MAXIMUM, ElementType::kInt64, {2}, {1LL << 40, -5}, {1}, {0}, ElementType::kInt64) ==
        std::vector<int64_t>{1LL << 40, 0});
}

TEST_CASE("MAXIMUM and MINIMUM treat NaN like TFLite's strict comparison", "[math][binary][nan]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const ElementType f = ElementType::kFloat32;
  auto mx = binary<float>(Op::MAXIMUM, f, {2}, {nan, 1.f}, {2}, {1.f, nan}, f);
  CHECK(mx[0] == 1.f);        // NaN > 1 is false: picks b
  CHECK(std::isnan(mx[1]));   // 1 > NaN is false: picks b (NaN)
}

TEST_CASE("FLOOR_DIV and FLOOR_MOD round toward negative infinity", "[math][binary][floor]") {
  const ElementType i32 = ElementType::kInt32;
  const std::vector<int32_t> a{7, -7, 7, -7, 6};
  const std::vector<int32_t> b{2, 2, -2, -2, 3};
  CHECK(binary<int32_t>(Op::FLOOR_DIV, i32, {5}, a, {5}, b, i32) == std::vector<int32_t>{3, -4, -4, 3, 2});
  CHECK(binary<int32_t>(Op::FLOOR_MOD, i32, {5}, a, {5}, b, i32) == std::vector<int32_t>{1, 1, -1, -1, 0});
  const ElementType f = ElementType::kFloat32;
  const std::vector<float> fa{7.5f, -7.5f, 7.5f, -7.5f};
  const std::vector<float> fb{2.f, 2.f, -2.f, -2.f};
  CHECK(binary<float>(Op::FLOOR_DIV, f, {4}, fa, {4}, fb, f, nullptr, 2) == std::vector<float>{3, -4, -4, 3});
  CHECK(binary<float>(Op::FLOOR_MOD, f, {4}, fa, {4}, fb, f) == std::vector<float>{1.5f, 0.5f, -0.5f, -1.5f});
  CHECK(binary<int64_t>(Op::FLOOR_MOD, ElementType::kInt64, {2}, {-5, 5}, {}, {3}, ElementType::kInt64) ==
        std::vector<int64_t>{1, 2});
}

TEST_CASE("integer FLOOR_DIV / FLOOR_MOD by zero and integer POW with a negative exponent fail",
          "[math][binary][error]") {
  for (Op op : {Op::FLOOR_DIV, Op::FLOOR_MOD}) {
    OpModelBuilder mb;
    int x = mb.addInput(ElementType::kInt32, {2});
    int y = mb.addInput(ElementType::kInt32, {2});
    int out = mb.addOutput(ElementType::kInt32, {});
    mb.addOp(op, {x, y}, {out});
    CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<int32_t>{1, 2}), InputData::of(std::vector<int32_t>{1, 0})}),
               Catch::Contains("division by zero"));
  }
  OpModelBuilder mb;
  int x = mb.addInput(ElementType::kInt32, {1});
  int y = mb.addInput(ElementType::kInt32, {1});
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::POW, {x, y}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<int32_t>{2}), InputData::of(std::vector<int32_t>{-1})}),
             Catch::Contains("negative"));
  // Incompatible broadcast shapes.
  OpModelBuilder bad;
  int bx = bad.addInput(ElementType::kFloat32, {2});
  int by = bad.addInput(ElementType::kFloat32, {3});
  int bo = bad.addOutput(ElementType::kFloat32, {});
  bad.addOp(Op::MAXIMUM, {bx, by}, {bo});
  CHECK_THAT(runError(bad.finish(), {InputData::of(std::vector<float>(2)), InputData::of(std::vector<float>(3))}),
             Catch::Contains("broadcast"));
}

TEST_CASE("comparisons produce BOOL with broadcasting", "[math][compare]") {
  const ElementType f = ElementType::kFloat32;
  const ElementType bo = ElementType::kBool;
  const std::vector<float> a{1, 2, 3, 4};
  const std::vector<float> s{2.f};
  struct Case {
    Op op;
    std::vector<uint8_t> expected;
  };
  for (const Case& c : {Case{Op::EQUAL, {0, 1, 0, 0}}, Case{Op::NOT_EQUAL, {1, 0, 1, 1}}, Case{Op::LESS, {1, 0, 0, 0}},
                        Case{Op::LESS_EQUAL, {1, 1, 0, 0}}, Case{Op::GREATER, {0, 0, 1, 1}},
                        Case{Op::GREATER_EQUAL, {0, 1, 1, 1}}}) {
    INFO(fb::EnumNameBuiltinOperator(c.op));
    Dims d;
    CHECK((binary<float, uint8_t>(c.op, f, {2, 2}, a, {}, s, bo, &d)) == c.expected);
    CHECK(d == Dims{2, 2});
  }
  // INT64 [2, 1] vs [3]: outer comparison.
  Dims d;
  auto lt = binary<int64_t, uint8_t>(Op::LESS, ElementType::kInt64, {2, 1}, {1, 5}, {3}, {0, 3, 6}, bo, &d);
  CHECK(d == Dims{2, 3});
  CHECK(lt == std::vector<uint8_t>{0, 1, 1, 0, 0, 1});
  CHECK((binary<uint8_t, uint8_t>(Op::EQUAL, bo, {3}, {1, 0, 1}, {3}, {1, 1, 0}, bo)) == std::vector<uint8_t>{1, 0, 0});
  CHECK((binary<uint8_t, uint8_t>(Op::LOGICAL_AND, bo, {2, 2}, {1, 0, 1, 1}, {2}, {1, 0}, bo)) ==
        std::vector<uint8_t>{1, 0, 1, 0});
  CHECK((binary<uint8_t, uint8_t>(Op::LOGICAL_OR, bo, {2, 2}, {1, 0, 0, 0}, {2}, {0, 1}, bo)) ==
        std::vector<uint8_t>{1, 1, 0, 1});
}

TEST_CASE("comparisons require a BOOL output and matching input types", "[math][compare][error]") {
  OpModelBuilder mb;
  int x = mb.addInput(ElementType::kFloat32, {2});
  int y = mb.addInput(ElementType::kFloat32, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::LESS, {x, y}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>(2)), InputData::of(std::vector<float>(2))}),
             Catch::Contains("BOOL"));
  OpModelBuilder mixed;
  int mx = mixed.addInput(ElementType::kFloat32, {2});
  int my = mixed.addInput(ElementType::kInt32, {2});
  int mo = mixed.addOutput(ElementType::kBool, {});
  mixed.addOp(Op::EQUAL, {mx, my}, {mo});
  CHECK_THAT(runError(mixed.finish(), {InputData::of(std::vector<float>(2)), InputData::of(std::vector<int32_t>(2))}),
             Catch::Contains("different types"));
}

// ---------------------------------------------------------------- SELECT, SELECT_V2

template <typename T>
std::vector<T> select(Op op, Dims dc, const std::vector<uint8_t>& c, ElementType type, Dims dx, const std::vector<T>& x,
                      Dims dy, const std::vector<T>& y, Dims* outDims = nullptr) {
  OpModelBuilder mb;
  int ci = mb.addInput(ElementType::kBool, dc);
  int xi = mb.addInput(type, dx);
  int yi = mb.addInput(type, dy);
  int out = mb.addOutput(type, {});
  mb.addOp(op, {ci, xi, yi}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(c), InputData::of(x), InputData::of(y)});
  if (outDims != nullptr) *outDims = outs[0].dims;
  return outs[0].template values<T>();
}

TEST_CASE("SELECT with same shapes, a scalar condition and a row condition", "[math][select]") {
  const ElementType f = ElementType::kFloat32;
  const std::vector<float> x{1, 2, 3, 4, 5, 6};
  const std::vector<float> y{-1, -2, -3, -4, -5, -6};
  CHECK(select<float>(Op::SELECT, {2, 3}, {1, 0, 1, 0, 1, 0}, f, {2, 3}, x, {2, 3}, y) ==
        std::vector<float>{1, -2, 3, -4, 5, -6});
  CHECK(select<float>(Op::SELECT, {}, {0}, f, {2, 3}, x, {2, 3}, y) == y);
  CHECK(select<float>(Op::SELECT, {2}, {0, 1}, f, {2, 3}, x, {2, 3}, y) == std::vector<float>{-1, -2, -3, 4, 5, 6});
}

TEST_CASE("SELECT_V2 broadcasts condition, x and y together", "[math][select]") {
  // cond [2, 1], x [3] (row), y scalar -> output [2, 3].
  Dims d;
  auto out = select<int32_t>(Op::SELECT_V2, {2, 1}, {1, 0}, ElementType::kInt32, {3}, {7, 8, 9}, {}, {-1}, &d);
  CHECK(d == Dims{2, 3});
  CHECK(out == std::vector<int32_t>{7, 8, 9, -1, -1, -1});
  // cond [3], x [2, 1], y [2, 3] (naive index formula).
  std::vector<uint8_t> c{1, 0, 1};
  std::vector<int64_t> x{10, 20};
  std::vector<int64_t> y{0, 1, 2, 3, 4, 5};
  auto o2 = select<int64_t>(Op::SELECT_V2, {3}, c, ElementType::kInt64, {2, 1}, x, {2, 3}, y, &d);
  CHECK(d == Dims{2, 3});
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 3; ++j) CHECK(o2[i * 3 + j] == (c[j] ? x[i] : y[i * 3 + j]));
}

TEST_CASE("SELECT rejects shapes it cannot pair; SELECT_V2 rejects incompatible broadcasts", "[math][select][error]") {
  OpModelBuilder mb;
  int ci = mb.addInput(ElementType::kBool, {3});
  int xi = mb.addInput(ElementType::kFloat32, {2, 3});
  int yi = mb.addInput(ElementType::kFloat32, {2, 3});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SELECT, {ci, xi, yi}, {out});
  auto inputs = std::vector<InputData>{InputData::of(std::vector<uint8_t>(3)), InputData::of(std::vector<float>(6)),
                                       InputData::of(std::vector<float>(6))};
  CHECK_THAT(runError(mb.finish(), inputs), Catch::Contains("condition"));
  OpModelBuilder v2;
  int c2 = v2.addInput(ElementType::kBool, {4});
  int x2 = v2.addInput(ElementType::kFloat32, {2, 3});
  int y2 = v2.addInput(ElementType::kFloat32, {2, 3});
  int o2 = v2.addOutput(ElementType::kFloat32, {});
  v2.addOp(Op::SELECT_V2, {c2, x2, y2}, {o2});
  inputs[0] = InputData::of(std::vector<uint8_t>(4));
  CHECK_THAT(runError(v2.finish(), inputs), Catch::Contains("broadcast"));
}

}  // namespace
