// Tests for AVERAGE_POOL_2D and MAX_POOL_2D: hand-computed cases, a naive
// per-element reference (bounds checked per tap, written independently of
// the kernel) over padding/stride/filter combinations, fused activations
// and error cases. Every case runs on each kernel path (reference, XNNPACK
// on one and two threads) within 1e-5; larger random cases compare XNNPACK
// (two threads) with the reference kernel directly.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;

// The kernel path the running test case uses (INFERD_EACH_KERNEL_PATH).
engine::InterpreterOptions gPath;

struct PoolParams {
  fb::Padding padding = fb::Padding::VALID;
  int strideH = 1, strideW = 1;
  int filterH = 1, filterW = 1;
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
};

std::vector<uint8_t> poolModel(fb::BuiltinOperator op, const Dims& inDims, const PoolParams& p,
                               bool withOptions = true, ElementType type = ElementType::kFloat32) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  int out = mb.addOutput(type, {});
  OptionsFn opts;
  if (withOptions) {
    opts = [p](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::Pool2DOptions,
                            fb::CreatePool2DOptions(b, p.padding, p.strideW, p.strideH, p.filterW,
                                                    p.filterH, p.act)
                                .Union());
    };
  }
  mb.addOp(op, {in}, {out}, opts);
  return mb.finish();
}

// Naive pooling: output size and padding from TensorFlow's documented
// formulas, then every filter tap is tested against the input bounds.
std::vector<float> naivePool(bool average, const std::vector<float>& x, const Dims& d,
                             const PoolParams& p, Dims* outDims) {
  const int n = d[0], h = d[1], w = d[2], c = d[3];
  int oh, ow;
  if (p.padding == fb::Padding::SAME) {
    oh = static_cast<int>(std::ceil(static_cast<double>(h) / p.strideH));
    ow = static_cast<int>(std::ceil(static_cast<double>(w) / p.strideW));
  } else {
    oh = (h - p.filterH) / p.strideH + 1;
    ow = (w - p.filterW) / p.strideW + 1;
  }
  const int padTop = p.padding == fb::Padding::SAME
                         ? std::max(0, (oh - 1) * p.strideH + p.filterH - h) / 2
                         : 0;
  const int padLeft = p.padding == fb::Padding::SAME
                          ? std::max(0, (ow - 1) * p.strideW + p.filterW - w) / 2
                          : 0;
  *outDims = {n, oh, ow, c};
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (p.act == fb::ActivationFunctionType::RELU) lo = 0;
  if (p.act == fb::ActivationFunctionType::RELU6) lo = 0, hi = 6;
  if (p.act == fb::ActivationFunctionType::RELU_N1_TO_1) lo = -1, hi = 1;
  std::vector<float> y;
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j)
        for (int k = 0; k < c; ++k) {
          double sum = 0;
          double best = -1e300;
          int count = 0;
          for (int fi = 0; fi < p.filterH; ++fi)
            for (int fj = 0; fj < p.filterW; ++fj) {
              const int yi = i * p.strideH + fi - padTop;
              const int xj = j * p.strideW + fj - padLeft;
              if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
              const float v = x[((b * h + yi) * w + xj) * c + k];
              sum += v;
              best = std::max(best, static_cast<double>(v));
              ++count;
            }
          double r = average ? sum / count : best;
          r = std::min(std::max(r, static_cast<double>(lo)), static_cast<double>(hi));
          y.push_back(static_cast<float>(r));
        }
  return y;
}

std::vector<float> randomValues(size_t n, unsigned seed, float lo = -8.f, float hi = 8.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<float> run(const std::vector<uint8_t>& model, const std::vector<float>& x,
                       Dims* outDims) {
  std::string err;
  auto y = runFloat(model, {x}, &err, 0, outDims, gPath);
  INFO(err);
  REQUIRE(err.empty());
  return y;
}

void requireClose(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(1e-5));
  }
}

std::string runError(const std::vector<uint8_t>& model, const Dims& inDims) {
  std::vector<float> x(static_cast<size_t>(engine::numElements(inDims)), 1.f);
  auto r = runModel(model, {InputData::of(x)}, gPath);
  REQUIRE_FALSE(r.isOk());
  return r.status().message();
}

}  // namespace

TEST_CASE("AVERAGE_POOL_2D 2x2 stride 2 VALID, hand computed", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x4x4x1: rows 0..15.
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i);
  PoolParams p{fb::Padding::VALID, 2, 2, 2, 2};
  Dims od;
  auto y = run(poolModel(fb::BuiltinOperator::AVERAGE_POOL_2D, {1, 4, 4, 1}, p), x, &od);
  CHECK(od == Dims{1, 2, 2, 1});
  // (0+1+4+5)/4, (2+3+6+7)/4, (8+9+12+13)/4, (10+11+14+15)/4
  requireClose(y, {2.5f, 4.5f, 10.5f, 12.5f});
}

TEST_CASE("MAX_POOL_2D 2x2 stride 2 VALID, hand computed", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::vector<float> x = {1, -2, 3, 0, 5, 6, -7, 8, 9, 1, 2, -3, 4, 5, 6, 7};
  PoolParams p{fb::Padding::VALID, 2, 2, 2, 2};
  Dims od;
  auto y = run(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 4, 4, 1}, p), x, &od);
  CHECK(od == Dims{1, 2, 2, 1});
  requireClose(y, {6, 8, 9, 7});
}

TEST_CASE("AVERAGE_POOL_2D SAME divides by the in-bounds count", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x3x3x1, 3x3 filter, stride 1, SAME: the corner window sees 4 elements,
  // the edge windows 6, the centre 9 (padding zeros are not counted).
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  PoolParams p{fb::Padding::SAME, 1, 1, 3, 3};
  Dims od;
  auto y = run(poolModel(fb::BuiltinOperator::AVERAGE_POOL_2D, {1, 3, 3, 1}, p), x, &od);
  CHECK(od == Dims{1, 3, 3, 1});
  requireClose(y, {(1 + 2 + 4 + 5) / 4.f, (1 + 2 + 3 + 4 + 5 + 6) / 6.f, (2 + 3 + 5 + 6) / 4.f,
                   (1 + 2 + 4 + 5 + 7 + 8) / 6.f, 45 / 9.f, (2 + 3 + 5 + 6 + 8 + 9) / 6.f,
                   (4 + 5 + 7 + 8) / 4.f, (4 + 5 + 6 + 7 + 8 + 9) / 6.f, (5 + 6 + 8 + 9) / 4.f});
}

TEST_CASE("MAX_POOL_2D SAME puts the odd padding pixel after", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x1x4x1 with a 2-wide window, stride 1, SAME: total padding 1, all of it
  // on the right, so outputs are max(x0,x1), max(x1,x2), max(x2,x3), x3.
  std::vector<float> x = {-1, -5, -3, -4};
  PoolParams p{fb::Padding::SAME, 1, 1, 1, 2};
  Dims od;
  auto y = run(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 1, 4, 1}, p), x, &od);
  CHECK(od == Dims{1, 1, 4, 1});
  requireClose(y, {-1, -3, -3, -4});
}

TEST_CASE("pooling matches a naive reference across options", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  struct Case {
    Dims in;
    PoolParams p;
  };
  using A = fb::ActivationFunctionType;
  const std::vector<Case> cases = {
      {{1, 5, 5, 2}, {fb::Padding::SAME, 2, 2, 3, 3, A::NONE}},
      {{2, 7, 6, 3}, {fb::Padding::VALID, 2, 1, 3, 2, A::NONE}},
      {{1, 8, 9, 4}, {fb::Padding::SAME, 3, 2, 2, 4, A::RELU}},
      {{1, 6, 6, 5}, {fb::Padding::VALID, 1, 1, 6, 6, A::RELU6}},
      {{2, 4, 5, 1}, {fb::Padding::SAME, 1, 2, 5, 3, A::RELU_N1_TO_1}},
      {{1, 10, 10, 8}, {fb::Padding::SAME, 2, 2, 2, 2, A::NONE}},
  };
  unsigned seed = 1;
  for (const Case& c : cases) {
    for (bool average : {true, false}) {
      INFO("case " << seed << (average ? " average" : " max"));
      auto x = randomValues(static_cast<size_t>(engine::numElements(c.in)), seed++);
      Dims want;
      auto ref = naivePool(average, x, c.in, c.p, &want);
      Dims od;
      auto y = run(poolModel(average ? fb::BuiltinOperator::AVERAGE_POOL_2D
                                     : fb::BuiltinOperator::MAX_POOL_2D,
                             c.in, c.p),
                   x, &od);
      CHECK(od == want);
      requireClose(y, ref);
    }
  }
}

TEST_CASE("pooling applies the fused activation", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  std::vector<float> x = {-3, -1, 10, 7};  // 1x2x2x1, one 1x1 window per pixel
  PoolParams p{fb::Padding::VALID, 1, 1, 1, 1};
  Dims od;
  p.act = fb::ActivationFunctionType::RELU6;
  requireClose(run(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 2, 2, 1}, p), x, &od),
               {0, 0, 6, 6});
  p.act = fb::ActivationFunctionType::RELU_N1_TO_1;
  requireClose(run(poolModel(fb::BuiltinOperator::AVERAGE_POOL_2D, {1, 2, 2, 1}, p), x, &od),
               {-1, -1, 1, 1});
  p.act = fb::ActivationFunctionType::RELU;
  requireClose(run(poolModel(fb::BuiltinOperator::AVERAGE_POOL_2D, {1, 2, 2, 1}, p), x, &od),
               {0, 0, 10, 7});
}

TEST_CASE("pooling accepts op versions 1-3", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {1, 2, 2, 1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(
      fb::BuiltinOperator::MAX_POOL_2D, {in}, {out},
      [](flatbuffers::FlatBufferBuilder& b) {
        return std::make_pair(fb::BuiltinOptions::Pool2DOptions,
                              fb::CreatePool2DOptions(b, fb::Padding::VALID, 1, 1, 2, 2).Union());
      },
      3);
  Dims od;
  requireClose(run(mb.finish(), {1, 4, 2, 3}, &od), {4});
  CHECK(od == Dims{1, 1, 1, 1});
}

TEST_CASE("pooling rejects bad models", "[kernels][pool]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  PoolParams p{fb::Padding::VALID, 1, 1, 2, 2};
  SECTION("input rank 3") {
    auto msg = runError(poolModel(fb::BuiltinOperator::AVERAGE_POOL_2D, {4, 4, 1}, p), {4, 4, 1});
    CHECK_THAT(msg, Catch::Contains("rank"));
  }
  SECTION("stride 0") {
    PoolParams q = p;
    q.strideW = 0;
    auto msg = runError(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 4, 4, 1}, q), {1, 4, 4, 1});
    CHECK_THAT(msg, Catch::Contains("stride"));
  }
  SECTION("filter 0") {
    PoolParams q = p;
    q.filterH = 0;
    auto msg = runError(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 4, 4, 1}, q), {1, 4, 4, 1});
    CHECK_THAT(msg, Catch::Contains("filter"));
  }
  SECTION("missing options") {
    auto msg = runError(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 4, 4, 1}, p, false),
                        {1, 4, 4, 1});
    CHECK_THAT(msg, Catch::Contains("Pool2DOptions"));
  }
  SECTION("VALID filter larger than the input") {
    PoolParams q = p;
    q.filterH = 9;
    auto msg =
        runError(poolModel(fb::BuiltinOperator::AVERAGE_POOL_2D, {1, 4, 4, 1}, q), {1, 4, 4, 1});
    CHECK_THAT(msg, Catch::Contains("filter"));
  }
  SECTION("unsupported fused activation") {
    PoolParams q = p;
    q.act = fb::ActivationFunctionType::TANH;
    auto msg = runError(poolModel(fb::BuiltinOperator::MAX_POOL_2D, {1, 4, 4, 1}, q), {1, 4, 4, 1});
    CHECK_THAT(msg, Catch::Contains("TANH"));
  }
  SECTION("int32 input is not a pooling type") {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kInt32, {1, 2, 2, 1});
    int out = mb.addOutput(ElementType::kInt32, {});
    mb.addOp(fb::BuiltinOperator::MAX_POOL_2D, {in}, {out}, [](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::Pool2DOptions,
                            fb::CreatePool2DOptions(b, fb::Padding::VALID, 1, 1, 1, 1).Union());
    });
    auto r = runModel(mb.finish(), {InputData::of(std::vector<int32_t>{1, 2, 3, 4})}, gPath);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kUnsupported);
    CHECK_THAT(r.status().message(), Catch::Contains("INT32"));
  }
}

TEST_CASE("pooling: XNNPACK with 2 threads matches the reference kernel", "[kernels][pool][xnnpack]") {
  using P = fb::Padding;
  using Act = fb::ActivationFunctionType;
  struct Case {
    Dims in;
    PoolParams p;
  };
  const std::vector<Case> cases = {
      {{1, 33, 31, 19}, {P::SAME, 2, 2, 3, 3, Act::NONE}},
      {{2, 32, 32, 24}, {P::VALID, 2, 2, 2, 2, Act::RELU}},
      {{1, 17, 23, 8}, {P::SAME, 1, 2, 5, 3, Act::RELU6}},
      {{1, 16, 16, 16}, {P::VALID, 16, 16, 16, 16, Act::NONE}},  // one window: global pooling
      {{1, 15, 14, 5}, {P::SAME, 3, 3, 2, 2, Act::NONE}},      // stride larger than the window
  };
  unsigned seed = 50;
  for (const Case& c : cases) {
    for (auto op : {fb::BuiltinOperator::AVERAGE_POOL_2D, fb::BuiltinOperator::MAX_POOL_2D}) {
      INFO("case " << seed << " " << fb::EnumNameBuiltinOperator(op));
      auto x = randomValues(static_cast<size_t>(engine::numElements(c.in)), seed);
      BothPaths r = runBothPaths(poolModel(op, c.in, c.p), {x});
      INFO(r.error);
      REQUIRE(r.error.empty());
      CHECK(r.optimizedKernels > 0);  // the optimized run used XNNPACK or a SIMD kernel
      CHECK(r.optimizedDims == r.referenceDims);
      // The max is exact; XNNPACK's average multiplies by 1/count.
      CHECK(maxScaledDiff(r.optimized, r.reference) <= 1e-6);
    }
    ++seed;
  }
}
