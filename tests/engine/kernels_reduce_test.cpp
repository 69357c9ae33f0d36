// Tests for MEAN, SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD: hand-computed
// cases, a naive reference that walks every output index and gathers its
// inputs by coordinates (independent of the kernel's collapsed-dims walk),
// negative/duplicate/INT64 axes, keep_dims, a non-constant axis input, the
// integer types, and error cases.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using Op = fb::BuiltinOperator;

OptionsFn reducerOptions(bool keepDims) {
  return [keepDims](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::ReducerOptions,
                          fb::CreateReducerOptions(b, keepDims).Union());
  };
}

template <typename T>
std::vector<uint8_t> reduceModel(Op op, ElementType type, const Dims& inDims,
                                 const std::vector<T>& axes, ElementType axisType, bool keepDims,
                                 bool withOptions = true, int version = 1) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  int axis = mb.addConstant(axisType, {static_cast<int32_t>(axes.size())}, axes);
  int out = mb.addOutput(type, {});
  mb.addOp(op, {in, axis}, {out}, withOptions ? reducerOptions(keepDims) : OptionsFn{}, version);
  return mb.finish();
}

std::vector<uint8_t> reduceModel32(Op op, const Dims& inDims, const std::vector<int32_t>& axes,
                                   bool keepDims, ElementType type = ElementType::kFloat32) {
  return reduceModel(op, type, inDims, axes, ElementType::kInt32, keepDims);
}

// Naive reduction in double: for each output coordinate, enumerate all input
// coordinates and keep those that agree on every non-reduced dim.
std::vector<double> naiveReduce(Op op, const std::vector<double>& x, const Dims& d,
                                const std::vector<int>& axes, bool keepDims, Dims* outDims) {
  const int rank = static_cast<int>(d.size());
  std::set<int> red;
  for (int a : axes) red.insert(a < 0 ? a + rank : a);
  Dims od, keptIdx;
  for (int i = 0; i < rank; ++i) {
    if (!red.count(i)) {
      od.push_back(d[i]);
      keptIdx.push_back(i);
    } else if (keepDims) {
      od.push_back(1);
    }
  }
  *outDims = od;
  int64_t inCount = 1, outCount = 1;
  for (int v : d) inCount *= v;
  for (int i : keptIdx) outCount *= d[i];
  std::vector<double> y;
  for (int64_t o = 0; o < outCount; ++o) {
    // Coordinates of output o over the kept dims.
    std::vector<int64_t> oc(keptIdx.size());
    int64_t rem = o;
    for (int k = static_cast<int>(keptIdx.size()) - 1; k >= 0; --k) {
      oc[k] = rem % d[keptIdx[k]];
      rem /= d[keptIdx[k]];
    }
    double acc = 0;
    bool first = true;
    int64_t n = 0;
    for (int64_t i = 0; i < inCount; ++i) {
      std::vector<int64_t> ic(rank);
      int64_t r = i;
      for (int k = rank - 1; k >= 0; --k) {
        ic[k] = r % d[k];
        r /= d[k];
      }
      bool match = true;
      for (size_t k = 0; k < keptIdx.size(); ++k) match = match && ic[keptIdx[k]] == oc[k];
      if (!match) continue;
      const double v = x[i];
      if (first) {
        acc = v;
        first = false;
      } else if (op == Op::SUM || op == Op::MEAN) {
        acc += v;
      } else if (op == Op::REDUCE_PROD) {
        acc *= v;
      } else if (op == Op::REDUCE_MAX) {
        acc = std::max(acc, v);
      } else {
        acc = std::min(acc, v);
      }
      ++n;
    }
    y.push_back(op == Op::MEAN ? acc / n : acc);
  }
  return y;
}

std::vector<float> randomValues(size_t n, unsigned seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<float> runF(const std::vector<uint8_t>& model, const std::vector<float>& x,
                        Dims* outDims) {
  std::string err;
  auto y = runFloat(model, {x}, &err, 0, outDims);
  INFO(err);
  REQUIRE(err.empty());
  return y;
}

template <typename T>
std::vector<T> runT(const std::vector<uint8_t>& model, const std::vector<T>& x, Dims* outDims) {
  auto r = runModel(model, {InputData::of(x)});
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  *outDims = r.value()[0].dims;
  return r.value()[0].template values<T>();
}

template <typename T, typename U>
void requireClose(const std::vector<T>& got, const std::vector<U>& want, double margin = 1e-4) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(static_cast<double>(got[i]) == Approx(static_cast<double>(want[i])).margin(margin));
  }
}

}  // namespace

TEST_CASE("MEAN over H and W with keep_dims, hand computed", "[kernels][reduce]") {
  // 1x2x2x2: channel 0 = 1,2,3,4; channel 1 = 10,20,30,40.
  std::vector<float> x = {1, 10, 2, 20, 3, 30, 4, 40};
  Dims od;
  auto y = runF(reduceModel32(Op::MEAN, {1, 2, 2, 2}, {1, 2}, true), x, &od);
  CHECK(od == Dims{1, 1, 1, 2});
  requireClose(y, std::vector<float>{2.5f, 25.f});
  // Same without keep_dims drops the reduced axes.
  y = runF(reduceModel32(Op::MEAN, {1, 2, 2, 2}, {2, 1}, false), x, &od);
  CHECK(od == Dims{1, 2});
  requireClose(y, std::vector<float>{2.5f, 25.f});
}

TEST_CASE("SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD on a 2x3 matrix", "[kernels][reduce]") {
  std::vector<float> x = {1, -2, 3, 4, 5, -6};
  Dims od;
  SECTION("SUM axis 1") {
    requireClose(runF(reduceModel32(Op::SUM, {2, 3}, {1}, false), x, &od),
                 std::vector<float>{2, 3});
    CHECK(od == Dims{2});
  }
  SECTION("SUM axis 0 keep_dims") {
    requireClose(runF(reduceModel32(Op::SUM, {2, 3}, {0}, true), x, &od),
                 std::vector<float>{5, 3, -3});
    CHECK(od == Dims{1, 3});
  }
  SECTION("REDUCE_MAX axis -1") {
    requireClose(runF(reduceModel32(Op::REDUCE_MAX, {2, 3}, {-1}, false), x, &od),
                 std::vector<float>{3, 5});
    CHECK(od == Dims{2});
  }
  SECTION("REDUCE_MIN axis 0") {
    requireClose(runF(reduceModel32(Op::REDUCE_MIN, {2, 3}, {0}, false), x, &od),
                 std::vector<float>{1, -2, -6});
  }
  SECTION("REDUCE_PROD all axes to a scalar") {
    requireClose(runF(reduceModel32(Op::REDUCE_PROD, {2, 3}, {0, 1}, false), x, &od),
                 std::vector<float>{720});
    CHECK(od.empty());
  }
  SECTION("REDUCE_MAX on all-negative values") {
    std::vector<float> neg = {-5, -3, -9, -1, -7, -2};
    requireClose(runF(reduceModel32(Op::REDUCE_MAX, {2, 3}, {1}, false), neg, &od),
                 std::vector<float>{-3, -1});
  }
}

TEST_CASE("reductions match a naive reference", "[kernels][reduce]") {
  struct Case {
    Dims in;
    std::vector<int32_t> axes;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4}, {1}},         {{2, 3, 4}, {0, 2}},        {{2, 3, 4}, {-1, -3}},
      {{3, 1, 4, 5}, {1, 2}},   {{2, 3, 4, 5}, {3, 0}},     {{2, 3, 4, 5}, {1, 3}},
      {{4, 6}, {0, -2, 0}},     {{2, 2, 3, 2, 3}, {0, 2, 4}}, {{5}, {0}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}},
  };
  const std::vector<Op> ops = {Op::MEAN, Op::SUM, Op::REDUCE_MAX, Op::REDUCE_MIN,
                               Op::REDUCE_PROD};
  unsigned seed = 7;
  for (const Case& c : cases) {
    for (Op op : ops) {
      for (bool keep : {false, true}) {
        INFO("case seed " << seed << " op " << fb::EnumNameBuiltinOperator(op) << " keep "
                          << keep);
        // Products stay well scaled with values near 1.
        auto x = op == Op::REDUCE_PROD
                     ? randomValues(static_cast<size_t>(engine::numElements(c.in)), seed, 0.5f, 1.5f)
                     : randomValues(static_cast<size_t>(engine::numElements(c.in)), seed, -4.f, 4.f);
        ++seed;
        std::vector<double> xd(x.begin(), x.end());
        Dims want;
        auto ref = naiveReduce(op, xd, c.in, std::vector<int>(c.axes.begin(), c.axes.end()), keep,
                               &want);
        Dims od;
        auto y = runF(reduceModel32(op, c.in, c.axes, keep), x, &od);
        CHECK(od == want);
        requireClose(y, ref);
      }
    }
  }
}

TEST_CASE("reduce axes: duplicates, negatives and INT64", "[kernels][reduce]") {
  std::vector<float> x(24);
  for (int i = 0; i < 24; ++i) x[i] = static_cast<float>(i);
  Dims od;
  // [2,3,4]: axes {0, -3} are both dim 0.
  auto y = runF(reduceModel32(Op::SUM, {2, 3, 4}, {0, -3}, false), x, &od);
  CHECK(od == Dims{3, 4});
  for (int i = 0; i < 12; ++i) CHECK(y[i] == Approx(static_cast<float>(i + i + 12)));
  // INT64 axis tensor (TFLite itself only takes INT32; we accept both).
  auto m = reduceModel(Op::REDUCE_MAX, ElementType::kFloat32, {2, 3, 4},
                       std::vector<int64_t>{-1, 1}, ElementType::kInt64, true);
  y = runF(m, x, &od);
  CHECK(od == Dims{2, 1, 1});
  requireClose(y, std::vector<float>{11, 23});
}

TEST_CASE("reduce with an empty axis list copies the input", "[kernels][reduce]") {
  // The loader treats a zero-byte buffer as "no data", so an empty axis list
  // can only arrive as a (zero-element) runtime input.
  std::vector<float> x = {1.5f, -2.f, 3.f, 4.25f};
  for (Op op : {Op::MEAN, Op::SUM, Op::REDUCE_MAX, Op::REDUCE_MIN, Op::REDUCE_PROD}) {
    INFO(fb::EnumNameBuiltinOperator(op));
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {2, 2});
    int axis = mb.addInput(ElementType::kInt32, {0});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(op, {in, axis}, {out}, reducerOptions(true));
    auto r = runModel(mb.finish(), {InputData::of(x), InputData::of(std::vector<int32_t>{})});
    INFO(r.status().toString());
    REQUIRE(r.isOk());
    CHECK(r.value()[0].dims == Dims{2, 2});
    requireClose(r.value()[0].values<float>(), x, 0.0);
  }
}

TEST_CASE("reduce without ReducerOptions does not keep dims", "[kernels][reduce]") {
  auto m = reduceModel(Op::MEAN, ElementType::kFloat32, {2, 2}, std::vector<int32_t>{1},
                       ElementType::kInt32, true, /*withOptions=*/false);
  Dims od;
  auto y = runF(m, {1, 2, 3, 5}, &od);
  CHECK(od == Dims{2});
  requireClose(y, std::vector<float>{1.5f, 4.f});
}

TEST_CASE("integer reductions", "[kernels][reduce]") {
  Dims od;
  SECTION("int32 MEAN truncates toward zero, summing in 64 bits") {
    auto m = reduceModel32(Op::MEAN, {3, 2}, {1}, false, ElementType::kInt32);
    auto y = runT<int32_t>(m, {-7, 2, 3, 4, 2000000000, 2000000001}, &od);
    CHECK(od == Dims{3});
    // (-5)/2 = -2 (not -3), 7/2 = 3, and the third sum exceeds int32.
    CHECK(y == std::vector<int32_t>{-2, 3, 2000000000});
  }
  SECTION("int32 SUM / MAX / MIN / PROD") {
    std::vector<int32_t> x = {3, -1, 4, 1, -5, 9};
    CHECK(runT<int32_t>(reduceModel32(Op::SUM, {2, 3}, {1}, false, ElementType::kInt32), x, &od) ==
          std::vector<int32_t>{6, 5});
    CHECK(runT<int32_t>(reduceModel32(Op::REDUCE_MAX, {2, 3}, {0}, false, ElementType::kInt32), x,
                        &od) == std::vector<int32_t>{3, -1, 9});
    CHECK(runT<int32_t>(reduceModel32(Op::REDUCE_MIN, {2, 3}, {0, 1}, true, ElementType::kInt32),
                        x, &od) == std::vector<int32_t>{-5});
    CHECK(od == Dims{1, 1});
    CHECK(runT<int32_t>(reduceModel32(Op::REDUCE_PROD, {2, 3}, {1}, false, ElementType::kInt32), x,
                        &od) == std::vector<int32_t>{-12, -45});
  }
  SECTION("int64 SUM and MEAN") {
    std::vector<int64_t> x = {int64_t{1} << 40, 3, -(int64_t{1} << 40), 4};
    CHECK(runT<int64_t>(reduceModel32(Op::SUM, {2, 2}, {1}, false, ElementType::kInt64), x, &od) ==
          std::vector<int64_t>{(int64_t{1} << 40) + 3, -(int64_t{1} << 40) + 4});
    CHECK(runT<int64_t>(reduceModel32(Op::MEAN, {2, 2}, {0}, false, ElementType::kInt64), x,
                        &od) == std::vector<int64_t>{0, 3});
  }
}

TEST_CASE("reduce with a non-constant axis input sizes the output at eval", "[kernels][reduce]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 3, 2});
  int axis = mb.addInput(ElementType::kInt32, {1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::MEAN, {in, axis}, {out}, reducerOptions(false));
  auto model = mb.finish();
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[i] = static_cast<float>(i);

  auto r = runModel(model, {InputData::of(x), InputData::of(std::vector<int32_t>{1})});
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  CHECK(r.value()[0].dims == Dims{2, 2});
  requireClose(r.value()[0].values<float>(), std::vector<float>{2, 3, 8, 9});

  r = runModel(model, {InputData::of(x), InputData::of(std::vector<int32_t>{-1})});
  REQUIRE(r.isOk());
  CHECK(r.value()[0].dims == Dims{2, 3});
  requireClose(r.value()[0].values<float>(), std::vector<float>{0.5, 2.5, 4.5, 6.5, 8.5, 10.5});

  r = runModel(model, {InputData::of(x), InputData::of(std::vector<int32_t>{3})});
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::Contains("axis 3"));
}

TEST_CASE("reduce over an empty input gives the initial value", "[kernels][reduce]") {
  Dims od;
  auto y = runF(reduceModel32(Op::MEAN, {0, 3}, {0}, false), {}, &od);
  CHECK(od == Dims{3});
  REQUIRE(y.size() == 3);
  for (float v : y) CHECK(std::isnan(v));
  y = runF(reduceModel32(Op::SUM, {0, 3}, {0}, false), {}, &od);
  requireClose(y, std::vector<float>{0, 0, 0}, 0.0);
  y = runF(reduceModel32(Op::REDUCE_PROD, {0, 3}, {0}, false), {}, &od);
  requireClose(y, std::vector<float>{1, 1, 1}, 0.0);
}

TEST_CASE("reduce rejects bad models", "[kernels][reduce]") {
  SECTION("axis out of range") {
    auto r = runModel(reduceModel32(Op::SUM, {2, 3}, {2}, false),
                      {InputData::of(std::vector<float>(6, 1.f))});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("axis 2"));
  }
  SECTION("negative axis out of range") {
    auto r = runModel(reduceModel32(Op::MEAN, {2, 3}, {-3}, true),
                      {InputData::of(std::vector<float>(6, 1.f))});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("axis"));
  }
  SECTION("float axis tensor") {
    auto m = reduceModel(Op::SUM, ElementType::kFloat32, {2, 3}, std::vector<float>{1.f},
                         ElementType::kFloat32, false);
    auto r = runModel(m, {InputData::of(std::vector<float>(6, 1.f))});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("axis"));
  }
  SECTION("output type differs from input") {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {2, 3});
    int axis = mb.addConstant(ElementType::kInt32, {1}, std::vector<int32_t>{0});
    int out = mb.addOutput(ElementType::kInt32, {});
    mb.addOp(Op::SUM, {in, axis}, {out}, reducerOptions(false));
    auto r = runModel(mb.finish(), {InputData::of(std::vector<float>(6, 1.f))});
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("type"));
  }
  SECTION("bool input is unsupported") {
    auto m = reduceModel32(Op::SUM, {2}, {0}, false, ElementType::kBool);
    auto r = runModel(m, {InputData::of(std::vector<uint8_t>{1, 0})});
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kUnsupported);
    CHECK_THAT(r.status().message(), Catch::Contains("BOOL"));
  }
}
