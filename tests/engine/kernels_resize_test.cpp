// Tests for RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, DEPTH_TO_SPACE and
// SPACE_TO_DEPTH: hand-computed values (including TensorFlow's documented
// examples), a separable double-precision bilinear reference, index-table
// checks for nearest neighbour, block rearrangements checked by coordinate
// formulas and round trips, a non-constant size input, and error cases.
// Every case runs on each kernel path (reference, optimized on one and two
// threads; float RESIZE_BILINEAR with a constant size uses XNNPACK there)
// against the same expectations; larger random cases compare the paths
// directly.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using Op = fb::BuiltinOperator;

// The kernel path the running test case uses (INFERD_EACH_KERNEL_PATH).
engine::InterpreterOptions gPath;

std::vector<uint8_t> resizeModel(Op op, const Dims& inDims, int outH, int outW, bool align,
                                 bool halfPixel, ElementType type = ElementType::kFloat32,
                                 bool withOptions = true, int version = 1) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  int size = mb.addConstant(ElementType::kInt32, {2}, std::vector<int32_t>{outH, outW});
  int out = mb.addOutput(type, {});
  OptionsFn opts;
  if (withOptions && op == Op::RESIZE_BILINEAR) {
    opts = [=](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::ResizeBilinearOptions,
                            fb::CreateResizeBilinearOptions(b, align, halfPixel).Union());
    };
  } else if (withOptions) {
    opts = [=](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::ResizeNearestNeighborOptions,
                            fb::CreateResizeNearestNeighborOptions(b, align, halfPixel).Union());
    };
  }
  mb.addOp(op, {in, size}, {out}, opts, version);
  return mb.finish();
}

std::vector<uint8_t> blockModel(Op op, const Dims& inDims, int blockSize,
                                ElementType type = ElementType::kFloat32) {
  OpModelBuilder mb;
  int in = mb.addInput(type, inDims);
  int out = mb.addOutput(type, {});
  mb.addOp(op, {in}, {out}, [=](flatbuffers::FlatBufferBuilder& b) {
    if (op == Op::DEPTH_TO_SPACE) {
      return std::make_pair(fb::BuiltinOptions::DepthToSpaceOptions,
                            fb::CreateDepthToSpaceOptions(b, blockSize).Union());
    }
    return std::make_pair(fb::BuiltinOptions::SpaceToDepthOptions,
                          fb::CreateSpaceToDepthOptions(b, blockSize).Union());
  });
  return mb.finish();
}

std::vector<float> runF(const std::vector<uint8_t>& model, const std::vector<float>& x,
                        Dims* outDims) {
  std::string err;
  auto y = runFloat(model, {x}, &err, 0, outDims, gPath);
  INFO(err);
  REQUIRE(err.empty());
  return y;
}

template <typename T>
std::vector<T> runT(const std::vector<uint8_t>& model, const std::vector<T>& x, Dims* outDims) {
  auto r = runModel(model, {InputData::of(x)}, gPath);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  *outDims = r.value()[0].dims;
  return r.value()[0].template values<T>();
}

void requireClose(const std::vector<float>& got, const std::vector<double>& want,
                  double margin = 1e-5) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(margin));
  }
}

std::vector<float> randomValues(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-10.f, 10.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::string errorOf(const std::vector<uint8_t>& model, const std::vector<float>& x) {
  auto r = runModel(model, {InputData::of(x)}, gPath);
  REQUIRE_FALSE(r.isOk());
  return r.status().message();
}

// --- bilinear reference: separable, in double --------------------------------

// Source coordinate of output index i along an axis, per TensorFlow's
// documented conventions; returns the two neighbours and the weight of the
// second one.
struct Tap {
  int a, b;
  double w;
};

Tap bilinearTap(int i, int in, int out, bool align, bool halfPixel) {
  double scale = (align && out > 1) ? double(in - 1) / (out - 1) : double(in) / out;
  double src = halfPixel ? (i + 0.5) * scale - 0.5 : i * scale;
  // Below zero the sample is the first pixel; past the end, the last.
  if (src <= 0) return {0, 0, 0.0};
  if (src >= in - 1) return {in - 1, in - 1, 0.0};
  int a = static_cast<int>(std::floor(src));
  return {a, a + 1, src - a};
}

std::vector<double> naiveBilinear(const std::vector<float>& x, const Dims& d, int oh, int ow,
                                  bool align, bool halfPixel) {
  const int n = d[0], h = d[1], w = d[2], c = d[3];
  auto at = [&](int b, int yy, int xx, int k) {
    return static_cast<double>(x[((static_cast<size_t>(b) * h + yy) * w + xx) * c + k]);
  };
  std::vector<double> y;
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < oh; ++i) {
      Tap ty = bilinearTap(i, h, oh, align, halfPixel);
      for (int j = 0; j < ow; ++j) {
        Tap tx = bilinearTap(j, w, ow, align, halfPixel);
        for (int k = 0; k < c; ++k) {
          double top = at(b, ty.a, tx.a, k) + (at(b, ty.a, tx.b, k) - at(b, ty.a, tx.a, k)) * tx.w;
          double bot = at(b, ty.b, tx.a, k) + (at(b, ty.b, tx.b, k) - at(b, ty.b, tx.a, k)) * tx.w;
          y.push_back(top + (bot - top) * ty.w);
        }
      }
    }
  return y;
}

// Source row/column of each output index for nearest neighbour.
std::vector<int> nearestIndices(const std::vector<float>& x1d) {
  std::vector<int> v;
  for (float f : x1d) v.push_back(static_cast<int>(f));
  return v;
}

}  // namespace

TEST_CASE("RESIZE_BILINEAR 2x2 -> 3x3, hand computed", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x = {1, 2, 3, 4};
  Dims od;
  SECTION("default") {
    // Source coordinates 0, 2/3, 4/3 (the last clamps to row/col 1).
    auto y = runF(resizeModel(Op::RESIZE_BILINEAR, {1, 2, 2, 1}, 3, 3, false, false), x, &od);
    CHECK(od == Dims{1, 3, 3, 1});
    requireClose(y, {1, 5 / 3.0, 2, 7 / 3.0, 3, 10 / 3.0, 3, 11 / 3.0, 4});
  }
  SECTION("align_corners") {
    auto y = runF(resizeModel(Op::RESIZE_BILINEAR, {1, 2, 2, 1}, 3, 3, true, false), x, &od);
    requireClose(y, {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
  }
  SECTION("half_pixel_centers 1x2 -> 1x4") {
    // Source x: -0.25 (clamps to 0), 0.25, 0.75, 1.25 (clamps to 1).
    auto y = runF(resizeModel(Op::RESIZE_BILINEAR, {1, 1, 2, 1}, 1, 4, false, true), {1, 2}, &od);
    CHECK(od == Dims{1, 1, 4, 1});
    requireClose(y, {1, 1.25, 1.75, 2});
  }
}

TEST_CASE("RESIZE_BILINEAR matches a separable reference", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  struct Case {
    Dims in;
    int oh, ow;
  };
  const std::vector<Case> cases = {
      {{1, 4, 4, 3}, 8, 8},  {{2, 5, 3, 2}, 7, 11}, {{1, 9, 7, 4}, 4, 3},
      {{1, 3, 6, 1}, 3, 13}, {{1, 1, 1, 2}, 3, 2},  {{1, 6, 6, 5}, 1, 1},
  };
  unsigned seed = 3;
  for (const Case& c : cases) {
    for (int mode = 0; mode < 3; ++mode) {
      const bool align = mode == 1, half = mode == 2;
      INFO("case " << seed << " align " << align << " half " << half);
      auto x = randomValues(static_cast<size_t>(engine::numElements(c.in)), seed++);
      Dims od;
      auto y = runF(resizeModel(Op::RESIZE_BILINEAR, c.in, c.oh, c.ow, align, half), x, &od);
      CHECK(od == Dims{c.in[0], c.oh, c.ow, c.in[3]});
      requireClose(y, naiveBilinear(x, c.in, c.oh, c.ow, align, half), 1e-4);
    }
  }
}

TEST_CASE("RESIZE_NEAREST_NEIGHBOR index rules", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // A 1-row image whose values are their own column index, so the output
  // spells the source column chosen for each output column.
  auto columns = [](int w) {
    std::vector<float> v(static_cast<size_t>(w));
    for (int i = 0; i < w; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
    return v;
  };
  auto pick = [&](int in, int out, bool align, bool half) {
    Dims od;
    auto y = runF(resizeModel(Op::RESIZE_NEAREST_NEIGHBOR, {1, 1, in, 1}, 1, out, align, half),
                  columns(in), &od);
    CHECK(od == Dims{1, 1, out, 1});
    return nearestIndices(y);
  };
  // floor(i * in/out)
  CHECK(pick(2, 4, false, false) == std::vector<int>{0, 0, 1, 1});
  CHECK(pick(5, 3, false, false) == std::vector<int>{0, 1, 3});
  // align_corners rounds half away from zero: i * 1/2 -> 0, 0.5 -> 1, 1.
  CHECK(pick(2, 3, true, false) == std::vector<int>{0, 1, 1});
  CHECK(pick(4, 3, true, false) == std::vector<int>{0, 2, 3});  // 0, 1.5, 3
  // half_pixel_centers: floor((i + 0.5) * 1.5) -> 0, 2.
  CHECK(pick(3, 2, false, true) == std::vector<int>{0, 2});
  CHECK(pick(2, 5, false, true) == std::vector<int>{0, 0, 1, 1, 1});  // 0.2 0.6 1 1.4 1.8
  // Both flags: round((i + 0.5) * 2) clamped to in-1 -> 1, 2.
  CHECK(pick(3, 2, true, true) == std::vector<int>{1, 2});
}

TEST_CASE("RESIZE_NEAREST_NEIGHBOR copies whole pixels, any batch", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 2x2x2x2 -> 2x3x4x2 default mode: rows floor(i*2/3) = 0,0,1; cols floor(j/2) = 0,0,1,1.
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i);
  Dims od;
  auto y = runF(resizeModel(Op::RESIZE_NEAREST_NEIGHBOR, {2, 2, 2, 2}, 3, 4, false, false), x, &od);
  REQUIRE(od == Dims{2, 3, 4, 2});
  const int rows[3] = {0, 0, 1}, cols[4] = {0, 0, 1, 1};
  std::vector<double> want;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j)
        for (int k = 0; k < 2; ++k) want.push_back(x[((b * 2 + rows[i]) * 2 + cols[j]) * 2 + k]);
  requireClose(y, want, 0.0);
}

TEST_CASE("RESIZE_NEAREST_NEIGHBOR on integer types", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  Dims od;
  auto u8 = runT<uint8_t>(resizeModel(Op::RESIZE_NEAREST_NEIGHBOR, {1, 2, 2, 1}, 4, 4, false,
                                      false, ElementType::kUInt8, true, 2),
                          {10, 200, 30, 255}, &od);
  CHECK(od == Dims{1, 4, 4, 1});
  CHECK(u8 == std::vector<uint8_t>{10, 10, 200, 200, 10, 10, 200, 200, 30, 30, 255, 255, 30, 30,
                                   255, 255});
  auto i16 = runT<int16_t>(resizeModel(Op::RESIZE_NEAREST_NEIGHBOR, {1, 1, 3, 2}, 1, 2, false,
                                       true, ElementType::kInt16, true, 4),
                           {-1, 1, -2, 2, -3, 3}, &od);
  CHECK(i16 == std::vector<int16_t>{-1, 1, -3, 3});
}

TEST_CASE("resize with a non-constant size input", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  for (Op op : {Op::RESIZE_BILINEAR, Op::RESIZE_NEAREST_NEIGHBOR}) {
    INFO(fb::EnumNameBuiltinOperator(op));
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {1, 2, 2, 1});
    int size = mb.addInput(ElementType::kInt32, {2});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(op, {in, size}, {out});  // no options: both flags false
    auto model = mb.finish();
    auto r = runModel(model,
                      {InputData::of(std::vector<float>{1, 2, 3, 4}),
                       InputData::of(std::vector<int32_t>{1, 4})},
                      gPath);
    INFO(r.status().toString());
    REQUIRE(r.isOk());
    CHECK(r.value()[0].dims == Dims{1, 1, 4, 1});
    auto y = r.value()[0].values<float>();
    if (op == Op::RESIZE_BILINEAR) {
      requireClose(y, {1, 1.5, 2, 2});
    } else {
      requireClose(y, {1, 1, 2, 2}, 0.0);
    }
    r = runModel(model,
                 {InputData::of(std::vector<float>{1, 2, 3, 4}),
                  InputData::of(std::vector<int32_t>{0, 4})},
                 gPath);
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("size"));
  }
}

TEST_CASE("resize rejects bad models", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x = {1, 2, 3, 4};
  SECTION("align_corners with half_pixel_centers (bilinear)") {
    auto msg = errorOf(resizeModel(Op::RESIZE_BILINEAR, {1, 2, 2, 1}, 3, 3, true, true), x);
    CHECK_THAT(msg, Catch::Contains("half_pixel_centers"));
  }
  SECTION("input rank 3") {
    auto msg = errorOf(resizeModel(Op::RESIZE_BILINEAR, {2, 2, 1}, 3, 3, false, false), x);
    CHECK_THAT(msg, Catch::Contains("rank"));
  }
  SECTION("size with 3 values") {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {1, 2, 2, 1});
    int size = mb.addConstant(ElementType::kInt32, {3}, std::vector<int32_t>{3, 3, 3});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::RESIZE_NEAREST_NEIGHBOR, {in, size}, {out});
    auto msg = errorOf(mb.finish(), x);
    CHECK_THAT(msg, Catch::Contains("size"));
  }
  SECTION("negative size") {
    auto msg = errorOf(resizeModel(Op::RESIZE_BILINEAR, {1, 2, 2, 1}, -3, 3, false, false), x);
    CHECK_THAT(msg, Catch::Contains("positive"));
  }
}

TEST_CASE("DEPTH_TO_SPACE, TensorFlow's documented examples", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  Dims od;
  auto y = runF(blockModel(Op::DEPTH_TO_SPACE, {1, 1, 1, 4}, 2), {1, 2, 3, 4}, &od);
  CHECK(od == Dims{1, 2, 2, 1});
  requireClose(y, {1, 2, 3, 4}, 0.0);

  std::vector<float> x12(12);
  for (int i = 0; i < 12; ++i) x12[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  y = runF(blockModel(Op::DEPTH_TO_SPACE, {1, 1, 1, 12}, 2), x12, &od);
  CHECK(od == Dims{1, 2, 2, 3});
  requireClose(y, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0.0);

  std::vector<float> x16(16);
  for (int i = 0; i < 16; ++i) x16[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  y = runF(blockModel(Op::DEPTH_TO_SPACE, {1, 2, 2, 4}, 2), x16, &od);
  CHECK(od == Dims{1, 4, 4, 1});
  requireClose(y, {1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16}, 0.0);
}

TEST_CASE("SPACE_TO_DEPTH, TensorFlow's documented examples", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  Dims od;
  auto y = runF(blockModel(Op::SPACE_TO_DEPTH, {1, 2, 2, 1}, 2), {1, 2, 3, 4}, &od);
  CHECK(od == Dims{1, 1, 1, 4});
  requireClose(y, {1, 2, 3, 4}, 0.0);

  y = runF(blockModel(Op::SPACE_TO_DEPTH, {1, 4, 4, 1}, 2),
           {1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16}, &od);
  CHECK(od == Dims{1, 2, 2, 4});
  std::vector<double> want(16);
  for (int i = 0; i < 16; ++i) want[static_cast<size_t>(i)] = i + 1;
  requireClose(y, want, 0.0);
}

TEST_CASE("DEPTH_TO_SPACE / SPACE_TO_DEPTH by coordinates and round trip", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // SPACE_TO_DEPTH: out[b, i, j, (dy*bs + dx)*C + k] = in[b, i*bs+dy, j*bs+dx, k].
  const int n = 2, h = 6, w = 9, c = 2, bs = 3;
  std::vector<int64_t> x(static_cast<size_t>(n * h * w * c));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i) * 1000003 - 7;
  Dims od;
  auto s2d = runT<int64_t>(blockModel(Op::SPACE_TO_DEPTH, {n, h, w, c}, bs, ElementType::kInt64),
                           x, &od);
  REQUIRE(od == Dims{n, h / bs, w / bs, c * bs * bs});
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < h / bs; ++i)
      for (int j = 0; j < w / bs; ++j)
        for (int dy = 0; dy < bs; ++dy)
          for (int dx = 0; dx < bs; ++dx)
            for (int k = 0; k < c; ++k) {
              const size_t o =
                  ((static_cast<size_t>(b) * (h / bs) + i) * (w / bs) + j) * (c * bs * bs) +
                  (dy * bs + dx) * c + k;
              const size_t s = ((static_cast<size_t>(b) * h + i * bs + dy) * w + j * bs + dx) * c + k;
              REQUIRE(s2d[o] == x[s]);
            }
  // DEPTH_TO_SPACE undoes it.
  auto back = runT<int64_t>(
      blockModel(Op::DEPTH_TO_SPACE, {n, h / bs, w / bs, c * bs * bs}, bs, ElementType::kInt64),
      s2d, &od);
  CHECK(od == Dims{n, h, w, c});
  CHECK(back == x);

  // A 1-byte type through the same byte-copy path.
  std::vector<int8_t> x8 = {1, 2, 3, 4, 5, 6, 7, 8};
  auto d2s = runT<int8_t>(blockModel(Op::DEPTH_TO_SPACE, {1, 1, 2, 4}, 2, ElementType::kInt8), x8,
                          &od);
  CHECK(od == Dims{1, 2, 4, 1});
  CHECK(d2s == std::vector<int8_t>{1, 2, 5, 6, 3, 4, 7, 8});
}

TEST_CASE("DEPTH_TO_SPACE / SPACE_TO_DEPTH reject bad models", "[kernels][resize]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  SECTION("channels not divisible by block_size^2") {
    auto msg = errorOf(blockModel(Op::DEPTH_TO_SPACE, {1, 1, 1, 6}, 2), std::vector<float>(6));
    CHECK_THAT(msg, Catch::Contains("divisible"));
  }
  SECTION("height not divisible by block_size") {
    auto msg = errorOf(blockModel(Op::SPACE_TO_DEPTH, {1, 3, 4, 1}, 2), std::vector<float>(12));
    CHECK_THAT(msg, Catch::Contains("divisible"));
  }
  SECTION("block_size 0") {
    auto msg = errorOf(blockModel(Op::SPACE_TO_DEPTH, {1, 2, 2, 1}, 0), std::vector<float>(4));
    CHECK_THAT(msg, Catch::Contains("block_size"));
  }
  SECTION("rank 2") {
    auto msg = errorOf(blockModel(Op::DEPTH_TO_SPACE, {2, 4}, 2), std::vector<float>(8));
    CHECK_THAT(msg, Catch::Contains("rank"));
  }
}

TEST_CASE("RESIZE_BILINEAR: XNNPACK with 2 threads matches the reference kernel", "[kernels][resize][xnnpack]") {
  // Up- and downscaling by integer and non-integer ratios, every sampling
  // mode. XNNPACK clamps the half-pixel source coordinate into the image and
  // interpolates as a + (b - a) * t; TFLite weights both neighbours, which is
  // the same value up to float rounding. With half_pixel_centers XNNPACK also
  // computes the source coordinate as i * s + (s / 2 - 1 / 2) rather than
  // (i + 1/2) * s - 1/2, which can move a sample by an ulp of the coordinate:
  // up to ~2e-5 relative with these sizes and values in [-10, 10].
  struct Case {
    Dims in;
    int oh, ow;
  };
  const std::vector<Case> cases = {
      {{1, 64, 64, 8}, 128, 128},  // selfie segmentation's 2x upsampling
      {{1, 17, 13, 5}, 40, 29},
      {{2, 31, 27, 3}, 12, 10},
      {{1, 1, 7, 4}, 5, 15},
      {{1, 9, 9, 16}, 1, 1},
  };
  unsigned seed = 900;
  for (const Case& c : cases) {
    for (int mode = 0; mode < 3; ++mode) {
      const bool align = mode == 1, half = mode == 2;
      INFO("case " << seed << " align " << align << " half " << half);
      auto x = randomValues(static_cast<size_t>(engine::numElements(c.in)), seed++);
      BothPaths r = runBothPaths(resizeModel(Op::RESIZE_BILINEAR, c.in, c.oh, c.ow, align, half), {x});
      INFO(r.error);
      REQUIRE(r.error.empty());
      CHECK(r.optimizedKernels > 0);
      CHECK(r.optimizedDims == r.referenceDims);
      CHECK(maxScaledDiff(r.optimized, r.reference) <= (half ? 1e-4 : 1e-5));
    }
  }
}

TEST_CASE("RESIZE_* of an image with no rows or columns is an error; an empty batch is empty", "[kernels][resize]") {
  // Found by fuzz_model: a 0-row input was read at row -1 (and an empty
  // output memcpy'd from a null pointer).
  INFERD_EACH_KERNEL_PATH(gPath);
  for (Op op : {Op::RESIZE_NEAREST_NEIGHBOR, Op::RESIZE_BILINEAR}) {
    INFO(fb::EnumNameBuiltinOperator(op));
    for (const Dims& in : {Dims{1, 0, 3, 2}, Dims{1, 3, 0, 2}}) {
      auto r = runModel(resizeModel(op, in, 4, 4, false, false), {InputData::of(std::vector<float>{})}, gPath);
      REQUIRE_FALSE(r.isOk());
      CHECK_THAT(r.status().message(), Catch::Contains("height and width must be positive"));
    }
    auto empty = runModel(resizeModel(op, {0, 3, 3, 2}, 4, 4, false, false), {InputData::of(std::vector<float>{})},
                          gPath);
    REQUIRE(empty.isOk());
    CHECK(empty.value().at(0).dims == Dims{0, 4, 4, 2});
  }
}
