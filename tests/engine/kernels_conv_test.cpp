// Tests for CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV and MediaPipe's
// Convolution2DTransposeBias: hand-computed cases, and naive references
// written independently of the kernels (output-centric loops, double sums,
// a bounds check per tap, the transposed convolutions as a gather) over
// padding / stride / dilation / group / activation combinations, plus the
// error cases. Every case runs on each kernel path (reference, XNNPACK on
// one and two threads) against the same expectations: |got - want| <=
// 1e-4 + 1e-4 * |want|, where want is the double-precision naive result.
// Larger random cases then compare XNNPACK and the SIMD depthwise kernel
// (two threads) with the reference kernels directly.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "float_kernel_test_util.h"
#include "kernels/simd/dispatch.h"
#include "kernels/simd/pointwise_f32.h"
#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using A = fb::ActivationFunctionType;
using Op = fb::BuiltinOperator;

int64_t count(const Dims& d) { return engine::numElements(d); }

double applyAct(double v, A act) {
  switch (act) {
    case A::RELU: return std::max(v, 0.0);
    case A::RELU6: return std::min(std::max(v, 0.0), 6.0);
    case A::RELU_N1_TO_1: return std::min(std::max(v, -1.0), 1.0);
    default: return v;
  }
}


// A random case's input, weights and (when wanted) bias of biasSize values,
// each from its own seed derived from the case's.
struct CaseData {
  std::vector<float> x, w;
  std::optional<std::vector<float>> bias;
};
CaseData caseData(const Dims& in, const Dims& filter, bool withBias, int biasSize, unsigned seed) {
  CaseData d{randomValues(count(in), seed * 7 + 1), randomValues(count(filter), seed * 7 + 2),
             std::nullopt};
  if (withBias) d.bias = randomValues(biasSize, seed * 7 + 3);
  return d;
}

// Output size and leading padding of a forward window, from TensorFlow's
// documented rules: SAME -> ceil(in / stride), VALID -> ceil((in - k + 1) / stride),
// total padding max((out - 1) * stride + k - in, 0) with the smaller half before.
struct Geo {
  int out;
  int padBefore;
};
Geo windowGeo(fb::Padding padding, int in, int k, int stride) {
  Geo g;
  if (padding == fb::Padding::SAME) {
    g.out = static_cast<int>(std::ceil(static_cast<double>(in) / stride));
  } else {
    g.out = static_cast<int>(std::ceil(static_cast<double>(in - k + 1) / stride));
  }
  g.padBefore = padding == fb::Padding::SAME ? std::max((g.out - 1) * stride + k - in, 0) / 2 : 0;
  return g;
}

struct ConvParams {
  fb::Padding padding = fb::Padding::VALID;
  int strideH = 1, strideW = 1;
  int dilationH = 1, dilationW = 1;
  A act = A::NONE;
};

// A random CONV_2D / DEPTHWISE_CONV_2D case.
struct ConvCase {
  Dims in, filter;
  ConvParams p;
  bool bias;
};
using P = fb::Padding;

OptionsFn conv2dOptions(const ConvParams& p) {
  return [p](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::Conv2DOptions,
                          fb::CreateConv2DOptions(b, p.padding, p.strideW, p.strideH, p.act,
                                                  p.dilationW, p.dilationH)
                              .Union());
  };
}

OptionsFn depthwiseOptions(const ConvParams& p, int multiplierOption) {
  return [p, multiplierOption](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::DepthwiseConv2DOptions,
                          fb::CreateDepthwiseConv2DOptions(b, p.padding, p.strideW, p.strideH,
                                                           multiplierOption, p.act, p.dilationW,
                                                           p.dilationH)
                              .Union());
  };
}

// ---------------------------------------------------------------- CONV_2D

std::vector<uint8_t> convModel(const Dims& inDims, const Dims& wDims, const std::vector<float>& w,
                               const std::optional<std::vector<float>>& bias, const ConvParams& p,
                               bool constFilter = true, int version = 1, bool withOptions = true) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int filter = constFilter ? mb.addConstant(ElementType::kFloat32, wDims, w)
                           : mb.addInput(ElementType::kFloat32, wDims);
  std::vector<int> inputs{in, filter};
  if (bias) inputs.push_back(mb.addConstant(ElementType::kFloat32, {wDims[0]}, *bias));
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::CONV_2D, inputs, {out}, withOptions ? conv2dOptions(p) : OptionsFn{}, version);
  return mb.finish();
}

// Naive grouped convolution: one output element at a time.
std::vector<float> naiveConv(const std::vector<float>& x, const Dims& xd, const std::vector<float>& w,
                             const Dims& wd, const std::optional<std::vector<float>>& bias,
                             const ConvParams& p, Dims* outDims) {
  const int n = xd[0], h = xd[1], wi = xd[2], c = xd[3];
  const int oc = wd[0], kh = wd[1], kw = wd[2], icg = wd[3];
  const int groups = c / icg, ocg = oc / groups;
  const Geo gy = windowGeo(p.padding, h, (kh - 1) * p.dilationH + 1, p.strideH);
  const Geo gx = windowGeo(p.padding, wi, (kw - 1) * p.dilationW + 1, p.strideW);
  *outDims = {n, gy.out, gx.out, oc};
  std::vector<float> y;
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < gy.out; ++i)
      for (int j = 0; j < gx.out; ++j)
        for (int o = 0; o < oc; ++o) {
          const int g = o / ocg;
          double sum = bias ? (*bias)[static_cast<size_t>(o)] : 0.0;
          for (int ky = 0; ky < kh; ++ky)
            for (int kx = 0; kx < kw; ++kx)
              for (int ci = 0; ci < icg; ++ci) {
                const int yy = i * p.strideH - gy.padBefore + ky * p.dilationH;
                const int xx = j * p.strideW - gx.padBefore + kx * p.dilationW;
                if (yy < 0 || yy >= h || xx < 0 || xx >= wi) continue;
                sum += static_cast<double>(x[static_cast<size_t>(((b * h + yy) * wi + xx) * c + g * icg + ci)]) *
                       w[static_cast<size_t>(((o * kh + ky) * kw + kx) * icg + ci)];
              }
          y.push_back(static_cast<float>(applyAct(sum, p.act)));
        }
  return y;
}

TEST_CASE("CONV_2D 2x2 VALID with bias, hand computed", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Input 1x3x3x1 = 1..9, filter of ones, bias 1: window sums + 1.
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  Dims od;
  auto y = run(convModel({1, 3, 3, 1}, {1, 2, 2, 1}, {1, 1, 1, 1}, std::vector<float>{1}, {}), {x},
               &od);
  CHECK(od == Dims{1, 2, 2, 1});
  requireClose(y, {13, 17, 25, 29});
}

TEST_CASE("CONV_2D SAME puts the odd padding pixel after", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x1x4x1 input, 1x2 filter {1, 10}, stride 1: total padding 1, all after,
  // so out[i] = x[i] + 10 * x[i+1] and the last sees only x[3].
  ConvParams p;
  p.padding = fb::Padding::SAME;
  Dims od;
  auto y = run(convModel({1, 1, 4, 1}, {1, 1, 2, 1}, {1, 10}, std::nullopt, p), {{1, 2, 3, 4}}, &od);
  CHECK(od == Dims{1, 1, 4, 1});
  requireClose(y, {21, 32, 43, 4});
}

TEST_CASE("CONV_2D two output channels and two input channels, hand computed", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x1x2x2 input {x00=1, x01=2, x10=3, x11=4}; 1x1 filters:
  // out0 = 1*c0 + 2*c1, out1 = -1*c0 + 0.5*c1.
  std::vector<float> w = {1, 2, -1, 0.5f};
  Dims od;
  auto y = run(convModel({1, 1, 2, 2}, {2, 1, 1, 2}, w, std::vector<float>{0, 10}, {}),
               {{1, 2, 3, 4}}, &od);
  CHECK(od == Dims{1, 1, 2, 2});
  requireClose(y, {5, 10, 11, 9});
}

TEST_CASE("CONV_2D dilation 2, hand computed", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x1x5x1 input 1..5, 1x2 filter {1, 1} dilated by 2, VALID: x[i] + x[i+2].
  ConvParams p;
  p.dilationW = 2;
  Dims od;
  auto y = run(convModel({1, 1, 5, 1}, {1, 1, 2, 1}, {1, 1}, std::nullopt, p), {{1, 2, 3, 4, 5}},
               &od);
  CHECK(od == Dims{1, 1, 3, 1});
  requireClose(y, {4, 6, 8});
}

TEST_CASE("CONV_2D matches a naive reference across options", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<ConvCase> cases = {
      {{1, 5, 5, 3}, {4, 3, 3, 3}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},
      {{2, 7, 6, 2}, {5, 3, 2, 2}, {P::VALID, 2, 1, 1, 1, A::RELU}, true},
      {{1, 9, 8, 4}, {9, 3, 3, 4}, {P::SAME, 2, 2, 1, 1, A::RELU6}, false},
      {{1, 8, 8, 3}, {6, 3, 3, 3}, {P::SAME, 1, 1, 2, 2, A::NONE}, true},         // dilation
      {{1, 10, 9, 2}, {3, 2, 3, 2}, {P::VALID, 1, 2, 3, 2, A::RELU_N1_TO_1}, true},
      {{1, 6, 6, 8}, {8, 3, 3, 2}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},         // 4 groups
      {{2, 5, 4, 6}, {9, 1, 1, 2}, {P::VALID, 1, 1, 1, 1, A::NONE}, true},        // 1x1, 3 groups
      {{1, 7, 5, 17}, {19, 1, 1, 17}, {P::SAME, 1, 1, 1, 1, A::RELU}, true},      // 1x1 in place
      {{1, 7, 7, 16}, {24, 1, 1, 16}, {P::SAME, 2, 2, 1, 1, A::NONE}, false},     // 1x1 stride 2
      {{1, 4, 4, 3}, {2, 5, 5, 3}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},         // filter > input
      {{1, 33, 31, 3}, {13, 3, 3, 3}, {P::SAME, 2, 2, 1, 1, A::RELU6}, true},     // several tiles
      {{3, 1, 1, 37}, {11, 1, 1, 37}, {P::VALID, 1, 1, 1, 1, A::NONE}, true},
  };
  forEachCase(cases, 1, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[0], seed);
    Dims want;
    auto ref = naiveConv(d.x, c.in, d.w, c.filter, d.bias, c.p, &want);
    Dims od;
    auto y = run(convModel(c.in, c.filter, d.w, d.bias, c.p), {d.x}, &od);
    CHECK(od == want);
    requireClose(y, ref);
  });
}

TEST_CASE("CONV_2D with a filter computed at run time", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Dims in{1, 6, 5, 3}, filter{7, 3, 3, 3};
  ConvParams p{fb::Padding::SAME, 2, 1, 1, 1, A::NONE};
  auto x = randomValues(count(in), 11);
  auto w = randomValues(count(filter), 12);
  auto bias = randomValues(7, 13);
  Dims want;
  auto ref = naiveConv(x, in, w, filter, bias, p, &want);
  Dims od;
  auto y = run(convModel(in, filter, w, bias, p, /*constFilter=*/false), {x, w}, &od);
  CHECK(od == want);
  requireClose(y, ref);
}

TEST_CASE("CONV_2D accepts an omitted bias (-1) and versions 1-8", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {1, 2, 2, 1});
  int w = mb.addConstant(ElementType::kFloat32, {1, 1, 1, 1}, std::vector<float>{3});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::CONV_2D, {in, w, -1}, {out}, conv2dOptions({}), 8);
  Dims od;
  requireClose(run(mb.finish(), {{1, -2, 3, 4}}, &od), {3, -6, 9, 12});
}

TEST_CASE("CONV_2D rejects bad models", "[kernels][conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> w9(9, 1.f);
  const std::vector<float> x16(16, 1.f);
  SECTION("input rank 3") {
    rejects(convModel({4, 4, 1}, {1, 3, 3, 1}, w9, std::nullopt, {}), {x16}, "rank");
  }
  SECTION("input channels not a multiple of the filter's") {
    rejects(convModel({1, 4, 2, 2}, {1, 3, 1, 3}, w9, std::nullopt, {}), {x16}, "channels");
  }
  SECTION("output channels not divisible by the groups") {
    std::vector<float> w(3, 1.f);
    rejects(convModel({1, 4, 2, 2}, {3, 1, 1, 1}, w, std::nullopt, {}), {x16}, "groups");
  }
  SECTION("stride 0") {
    ConvParams p;
    p.strideH = 0;
    rejects(convModel({1, 4, 4, 1}, {1, 3, 3, 1}, w9, std::nullopt, p), {x16}, "stride");
  }
  SECTION("dilation 0") {
    ConvParams p;
    p.dilationW = 0;
    rejects(convModel({1, 4, 4, 1}, {1, 3, 3, 1}, w9, std::nullopt, p), {x16}, "dilation");
  }
  SECTION("missing options") {
    rejects(convModel({1, 4, 4, 1}, {1, 3, 3, 1}, w9, std::nullopt, {}, true, 1, false), {x16},
            "Conv2DOptions");
  }
  SECTION("bias of the wrong size") {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {1, 4, 4, 1});
    int w = mb.addConstant(ElementType::kFloat32, {1, 3, 3, 1}, w9);
    int b = mb.addConstant(ElementType::kFloat32, {2}, std::vector<float>{1, 2});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::CONV_2D, {in, w, b}, {out}, conv2dOptions({}));
    rejects(mb.finish(), {x16}, "bias");
  }
  SECTION("VALID filter larger than the input") {
    std::vector<float> w(36, 1.f);
    rejects(convModel({1, 4, 4, 1}, {1, 6, 6, 1}, w, std::nullopt, {}), {x16}, "filter");
  }
  SECTION("unsupported fused activation") {
    ConvParams p;
    p.act = A::TANH;
    CHECK(rejects(convModel({1, 4, 4, 1}, {1, 3, 3, 1}, w9, std::nullopt, p), {x16}, "TANH") ==
          StatusCode::kUnsupported);
  }
  SECTION("int16 input is not supported yet") {
    OpModelBuilder mb;
    QuantParams q{{0.5f}, {0}, 0};
    int in = mb.addInput(ElementType::kInt16, {1, 2, 2, 1}, q);
    int w = mb.addConstant(ElementType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{1}, q);
    int out = mb.addOutput(ElementType::kInt16, {}, q);
    mb.addOp(Op::CONV_2D, {in, w}, {out}, conv2dOptions({}));
    CHECK(requireRejected(runModel(mb.finish(), {InputData::of(std::vector<int16_t>{1, 2, 3, 4})},
                                   gPath),
                          "INT16") == StatusCode::kUnsupported);
  }
}

// ------------------------------------------------------ DEPTHWISE_CONV_2D

std::vector<uint8_t> depthwiseModel(const Dims& inDims, const Dims& wDims,
                                    const std::vector<float>& w,
                                    const std::optional<std::vector<float>>& bias,
                                    const ConvParams& p, int multiplierOption,
                                    bool withOptions = true, int version = 1) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int filter = mb.addConstant(ElementType::kFloat32, wDims, w);
  std::vector<int> inputs{in, filter};
  if (bias) inputs.push_back(mb.addConstant(ElementType::kFloat32, {wDims[3]}, *bias));
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::DEPTHWISE_CONV_2D, inputs, {out},
           withOptions ? depthwiseOptions(p, multiplierOption) : OptionsFn{}, version);
  return mb.finish();
}

// Naive depthwise convolution: a grouped convolution with one group per
// input channel (output channel o reads input channel o / multiplier), its
// [1, kh, kw, oc] filter rearranged to the [oc, kh, kw, 1] layout.
std::vector<float> naiveDepthwise(const std::vector<float>& x, const Dims& xd,
                                  const std::vector<float>& w, const Dims& wd,
                                  const std::optional<std::vector<float>>& bias,
                                  const ConvParams& p, Dims* outDims) {
  const int kh = wd[1], kw = wd[2], oc = wd[3];
  std::vector<float> grouped(w.size());
  for (int o = 0; o < oc; ++o)
    for (int k = 0; k < kh * kw; ++k)
      grouped[static_cast<size_t>(o * kh * kw + k)] = w[static_cast<size_t>(k * oc + o)];
  return naiveConv(x, xd, grouped, {oc, kh, kw, 1}, bias, p, outDims);
}

TEST_CASE("DEPTHWISE_CONV_2D keeps channels apart, hand computed", "[kernels][depthwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x2x2x2 input, channel 0 = {1,2,3,4}, channel 1 = {10,20,30,40};
  // 2x2 filter, channel 0 all 1, channel 1 = {1,0,0,-1}; bias {0.5, 0}.
  std::vector<float> x = {1, 10, 2, 20, 3, 30, 4, 40};
  std::vector<float> w = {1, 1, 1, 0, 1, 0, 1, -1};
  Dims od;
  auto y = run(depthwiseModel({1, 2, 2, 2}, {1, 2, 2, 2}, w, std::vector<float>{0.5f, 0}, {}, 1),
               {x}, &od);
  CHECK(od == Dims{1, 1, 1, 2});
  requireClose(y, {10.5f, -30});
}

TEST_CASE("DEPTHWISE_CONV_2D with depth multiplier 2, hand computed", "[kernels][depthwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x1x2x1 input {3, 4}; 1x1 filter with 2 outputs per channel {2, -1}:
  // each pixel gives {2x, -x}.
  Dims od;
  auto y = run(depthwiseModel({1, 1, 2, 1}, {1, 1, 1, 2}, {2, -1}, std::nullopt, {}, 2),
               {{3, 4}}, &od);
  CHECK(od == Dims{1, 1, 2, 2});
  requireClose(y, {6, -3, 8, -4});
}

TEST_CASE("DEPTHWISE_CONV_2D matches a naive reference across options", "[kernels][depthwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<ConvCase> cases = {
      {{1, 5, 5, 3}, {1, 3, 3, 3}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},
      {{2, 7, 6, 16}, {1, 3, 3, 16}, {P::SAME, 2, 2, 1, 1, A::RELU}, true},
      {{1, 9, 8, 21}, {1, 5, 5, 21}, {P::SAME, 1, 1, 1, 1, A::RELU6}, false},   // 8-blocks + tail
      {{1, 8, 9, 12}, {1, 3, 3, 12}, {P::VALID, 1, 2, 2, 2, A::NONE}, true},    // dilation
      {{1, 6, 6, 3}, {1, 3, 3, 6}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},       // multiplier 2
      {{1, 7, 5, 2}, {1, 2, 3, 8}, {P::VALID, 2, 1, 1, 1, A::RELU_N1_TO_1}, true},  // multiplier 4
      {{1, 3, 3, 8}, {1, 5, 5, 8}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},       // filter > input
      {{1, 10, 10, 32}, {1, 3, 3, 32}, {P::SAME, 2, 2, 3, 3, A::NONE}, true},
  };
  forEachCase(cases, 100, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[3], seed);
    Dims want;
    auto ref = naiveDepthwise(d.x, c.in, d.w, c.filter, d.bias, c.p, &want);
    Dims od;
    auto y =
        run(depthwiseModel(c.in, c.filter, d.w, d.bias, c.p, c.filter[3] / c.in[3]), {d.x}, &od);
    CHECK(od == want);
    requireClose(y, ref);
  });
}

TEST_CASE("DEPTHWISE_CONV_2D takes the multiplier from the shapes", "[kernels][depthwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Older converters wrote depth_multiplier 0; current TFLite ignores it.
  Dims od;
  auto y = run(depthwiseModel({1, 1, 2, 1}, {1, 1, 1, 2}, {2, -1}, std::nullopt, {}, 0, true, 7),
               {{3, 4}}, &od);
  CHECK(od == Dims{1, 1, 2, 2});
  requireClose(y, {6, -3, 8, -4});
}

TEST_CASE("DEPTHWISE_CONV_2D rejects bad models", "[kernels][depthwise]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x(16, 1.f);
  SECTION("filter first dimension not 1") {
    std::vector<float> w(8, 1.f);
    rejects(depthwiseModel({1, 4, 4, 1}, {2, 2, 2, 1}, w, std::nullopt, {}, 1), {x},
            "depthwise filter");
  }
  SECTION("filter channels not a multiple of the input's") {
    std::vector<float> w(12, 1.f);
    rejects(depthwiseModel({1, 4, 2, 2}, {1, 2, 2, 3}, w, std::nullopt, {}, 1), {x}, "multiple");
  }
  SECTION("bias of the wrong size") {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {1, 4, 4, 1});
    int w = mb.addConstant(ElementType::kFloat32, {1, 2, 2, 1}, std::vector<float>(4, 1.f));
    int b = mb.addConstant(ElementType::kFloat32, {3}, std::vector<float>{1, 2, 3});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::DEPTHWISE_CONV_2D, {in, w, b}, {out}, depthwiseOptions({}, 1));
    rejects(mb.finish(), {x}, "bias");
  }
  SECTION("missing options") {
    std::vector<float> w(4, 1.f);
    rejects(depthwiseModel({1, 4, 4, 1}, {1, 2, 2, 1}, w, std::nullopt, {}, 1, false), {x},
            "DepthwiseConv2DOptions");
  }
}

// --------------------------------------------------------- TRANSPOSE_CONV

struct TransposeParams {
  fb::Padding padding = fb::Padding::VALID;
  int strideH = 1, strideW = 1;
  A act = A::NONE;
};

// A random TRANSPOSE_CONV case.
struct TransposeCase {
  Dims out, filter, in;
  TransposeParams p;
  bool bias;
};

OptionsFn transposeOptions(const TransposeParams& p) {
  return [p](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(
        fb::BuiltinOptions::TransposeConvOptions,
        fb::CreateTransposeConvOptions(b, p.padding, p.strideW, p.strideH, p.act).Union());
  };
}

std::vector<uint8_t> transposeModel(const Dims& outShape, const Dims& wDims,
                                    const std::vector<float>& w, const Dims& inDims,
                                    const std::optional<std::vector<float>>& bias,
                                    const TransposeParams& p, bool constShape = true,
                                    int version = 1) {
  OpModelBuilder mb;
  const Dims shapeDims{static_cast<int32_t>(outShape.size())};
  int shape = constShape
                  ? mb.addConstant(ElementType::kInt32, shapeDims, std::vector<int32_t>(outShape))
                  : mb.addInput(ElementType::kInt32, shapeDims);
  int filter = mb.addConstant(ElementType::kFloat32, wDims, w);
  int in = mb.addInput(ElementType::kFloat32, inDims);
  std::vector<int> inputs{shape, filter, in};
  if (bias) inputs.push_back(mb.addConstant(ElementType::kFloat32, {wDims[0]}, *bias));
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::TRANSPOSE_CONV, inputs, {out}, transposeOptions(p), version);
  return mb.finish();
}

// A random case's model; version 4 when it fuses an activation.
std::vector<uint8_t> transposeCaseModel(const TransposeCase& c, const CaseData& d) {
  return transposeModel(c.out, c.filter, d.w, c.in, d.bias, c.p, true, c.p.act == A::NONE ? 3 : 4);
}

// Naive transposed convolution written as a gather: output (oy, ox) receives
// input (iy, ix) through tap (ky, kx) when iy*stride - pad + ky == oy.
std::vector<float> naiveTranspose(const std::vector<float>& x, const Dims& xd,
                                  const std::vector<float>& w, const Dims& wd,
                                  const std::vector<float>* bias, int outH, int outW, int padH,
                                  int padW, int strideH, int strideW, A act) {
  const int n = xd[0], h = xd[1], wi = xd[2], c = xd[3];
  const int oc = wd[0], kh = wd[1], kw = wd[2];
  std::vector<float> y;
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < outH; ++oy)
      for (int ox = 0; ox < outW; ++ox)
        for (int o = 0; o < oc; ++o) {
          double sum = 0;
          for (int ky = 0; ky < kh; ++ky)
            for (int kx = 0; kx < kw; ++kx) {
              const int ny = oy + padH - ky, nx = ox + padW - kx;
              if (ny < 0 || nx < 0 || ny % strideH != 0 || nx % strideW != 0) continue;
              const int iy = ny / strideH, ix = nx / strideW;
              if (iy >= h || ix >= wi) continue;
              for (int ci = 0; ci < c; ++ci) {
                sum += static_cast<double>(x[static_cast<size_t>(((b * h + iy) * wi + ix) * c + ci)]) *
                       w[static_cast<size_t>(((o * kh + ky) * kw + kx) * c + ci)];
              }
            }
          if (bias != nullptr) sum += (*bias)[static_cast<size_t>(o)];
          y.push_back(static_cast<float>(applyAct(sum, act)));
        }
  return y;
}

TEST_CASE("TRANSPOSE_CONV 2x2 stride 2 VALID, hand computed", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Each input pixel paints its own 2x2 block: v * {1, 2, 3, 4}.
  std::vector<float> x = {1, 2, 3, 4};
  Dims od;
  auto y = run(transposeModel({1, 4, 4, 1}, {1, 2, 2, 1}, {1, 2, 3, 4}, {1, 2, 2, 1}, std::nullopt,
                              {fb::Padding::VALID, 2, 2}),
               {x}, &od);
  CHECK(od == Dims{1, 4, 4, 1});
  requireClose(y, {1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16});
}

TEST_CASE("TRANSPOSE_CONV 3x3 SAME stride 1, hand computed", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Input 1x4x4x1 = 1..16, filter 1..9: with stride 1 and SAME this is a
  // correlation with the filter rotated by 180 degrees (TFLite's SimpleTest).
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  std::vector<float> w = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  Dims od;
  auto y = run(transposeModel({1, 4, 4, 1}, {1, 3, 3, 1}, w, {1, 4, 4, 1}, std::nullopt,
                              {fb::Padding::SAME, 1, 1}),
               {x}, &od);
  CHECK(od == Dims{1, 4, 4, 1});
  requireClose(y, {29, 62, 83, 75, 99, 192, 237, 198, 207, 372, 417, 330, 263, 446, 485, 365});
}

TEST_CASE("TRANSPOSE_CONV matches a naive reference across options", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<TransposeCase> cases = {
      {{1, 8, 8, 3}, {3, 3, 3, 2}, {1, 4, 4, 2}, {P::SAME, 2, 2, A::NONE}, true},
      {{2, 9, 9, 5}, {5, 3, 3, 4}, {2, 4, 4, 4}, {P::VALID, 2, 2, A::RELU}, true},
      {{1, 7, 10, 9}, {9, 2, 4, 3}, {1, 7, 5, 3}, {P::SAME, 1, 2, A::RELU6}, false},
      {{1, 12, 12, 1}, {1, 4, 4, 16}, {1, 4, 4, 16}, {P::SAME, 3, 3, A::NONE}, true},
      {{1, 6, 5, 11}, {11, 3, 2, 6}, {1, 6, 5, 6}, {P::SAME, 1, 1, A::RELU_N1_TO_1}, true},
      {{1, 64, 64, 2}, {2, 2, 2, 8}, {1, 32, 32, 8}, {P::SAME, 2, 2, A::NONE}, true},  // tiles
  };
  forEachCase(cases, 200, [](const TransposeCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[0], seed);
    // TFLite pads as for the forward convolution from the output back to the input.
    const Geo gy = windowGeo(c.p.padding, c.out[1], c.filter[1], c.p.strideH);
    const Geo gx = windowGeo(c.p.padding, c.out[2], c.filter[2], c.p.strideW);
    auto ref = naiveTranspose(d.x, c.in, d.w, c.filter, d.bias ? &*d.bias : nullptr, c.out[1],
                              c.out[2], gy.padBefore, gx.padBefore, c.p.strideH, c.p.strideW,
                              c.p.act);
    Dims od;
    auto y = run(transposeCaseModel(c, d), {d.x}, &od);
    CHECK(od == c.out);
    requireClose(y, ref);
  });
}

TEST_CASE("TRANSPOSE_CONV with output_shape computed at run time", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Dims out{1, 8, 8, 3}, filter{3, 3, 3, 2}, in{1, 4, 4, 2};
  TransposeParams p{fb::Padding::SAME, 2, 2, A::NONE};
  auto x = randomValues(count(in), 31);
  auto w = randomValues(count(filter), 32);
  auto bias = randomValues(3, 33);
  auto ref = naiveTranspose(x, in, w, filter, &bias, 8, 8, 0, 0, 2, 2, A::NONE);
  auto r = runModel(transposeModel(out, filter, w, in, bias, p, /*constShape=*/false),
                    {InputData::of(std::vector<int32_t>(out)), InputData::of(x)}, gPath);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  CHECK(r.value()[0].dims == out);
  requireClose(r.value()[0].values<float>(), ref);
}

TEST_CASE("TRANSPOSE_CONV with weights computed at run time and no bias input",
          "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Dims filter{4, 3, 3, 5}, in{2, 3, 4, 5};
  auto x = randomValues(count(in), 41);
  auto w = randomValues(count(filter), 42);
  // VALID, stride 2: output (3-1)*2+3 = 7 by (4-1)*2+3 = 9.
  auto ref = naiveTranspose(x, in, w, filter, nullptr, 7, 9, 0, 0, 2, 2, A::NONE);
  OpModelBuilder mb;
  int shape = mb.addConstant(ElementType::kInt32, {4}, std::vector<int32_t>{2, 7, 9, 4});
  int weights = mb.addInput(ElementType::kFloat32, filter);
  int input = mb.addInput(ElementType::kFloat32, in);
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::TRANSPOSE_CONV, {shape, weights, input}, {out}, transposeOptions({P::VALID, 2, 2}));
  Dims od;
  auto y = run(mb.finish(), {w, x}, &od);
  CHECK(od == Dims{2, 7, 9, 4});
  requireClose(y, ref);
}

TEST_CASE("TRANSPOSE_CONV rejects bad models", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x(16, 1.f);
  const std::vector<float> w(4, 1.f);
  const TransposeParams same2{P::SAME, 2, 2};
  SECTION("output_shape with 3 values") {
    rejects(transposeModel({1, 8, 8}, {1, 2, 2, 1}, w, {1, 4, 4, 1}, std::nullopt, same2), {x},
            "output_shape");
  }
  SECTION("output_shape channels differ from the weights") {
    rejects(transposeModel({1, 8, 8, 2}, {1, 2, 2, 1}, w, {1, 4, 4, 1}, std::nullopt, same2), {x},
            "output_shape");
  }
  SECTION("weights and input channels differ") {
    rejects(transposeModel({1, 8, 8, 1}, {1, 2, 1, 2}, w, {1, 4, 4, 1}, std::nullopt, same2), {x},
            "channels");
  }
  SECTION("stride 0") {
    rejects(transposeModel({1, 8, 8, 1}, {1, 2, 2, 1}, w, {1, 4, 4, 1}, std::nullopt,
                           {P::SAME, 0, 2}),
            {x}, "stride");
  }
  SECTION("input rank 3") {
    rejects(transposeModel({1, 8, 8, 1}, {1, 2, 2, 1}, w, {4, 4, 1}, std::nullopt, same2), {x},
            "rank");
  }
}

// ------------------------------------------ Convolution2DTransposeBias

std::vector<uint8_t> le32(std::initializer_list<int32_t> values) {
  std::vector<uint8_t> bytes;
  for (int32_t v : values) {
    const auto u = static_cast<uint32_t>(v);
    for (int s = 0; s < 32; s += 8) bytes.push_back(static_cast<uint8_t>(u >> s));
  }
  return bytes;
}

constexpr int32_t kTfLitePaddingSame = 1;
constexpr int32_t kTfLitePaddingValid = 2;

std::vector<uint8_t> transposeBiasModel(const Dims& inDims, const Dims& wDims,
                                        const std::vector<float>& w,
                                        const std::vector<float>& bias,
                                        std::vector<uint8_t> customOptions) {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, inDims);
  int filter = mb.addConstant(ElementType::kFloat32, wDims, w);
  int b = mb.addConstant(ElementType::kFloat32, {static_cast<int32_t>(bias.size())}, bias);
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addCustomOp("Convolution2DTransposeBias", {in, filter, b}, {out}, std::move(customOptions));
  return mb.finish();
}

// A random Convolution2DTransposeBias case.
struct TransposeBiasCase {
  Dims in, filter;
  bool same;
  int strideH, strideW;
};

std::vector<uint8_t> transposeBiasCaseModel(const TransposeBiasCase& c, const CaseData& d) {
  return transposeBiasModel(
      c.in, c.filter, d.w, *d.bias,
      le32({c.same ? kTfLitePaddingSame : kTfLitePaddingValid, c.strideW, c.strideH}));
}

TEST_CASE("Convolution2DTransposeBias SAME 2x2 stride 2 doubles the size",
          "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // The selfie-segmentation geometry: each input pixel paints a 2x2 block
  // v * w + bias, output 2x the input.
  Dims od;
  auto y = run(transposeBiasModel({1, 2, 2, 1}, {1, 2, 2, 1}, {1, 2, 3, 4}, {0.5f},
                                  le32({kTfLitePaddingSame, 2, 2})),
               {{1, -2, 3, 0.5f}}, &od);
  CHECK(od == Dims{1, 4, 4, 1});
  requireClose(y, {1.5f, 2.5f, -1.5f, -3.5f,  //
                   3.5f, 4.5f, -5.5f, -7.5f,  //
                   3.5f, 6.5f, 1.0f, 1.5f,    //
                   9.5f, 12.5f, 2.0f, 2.5f});
}

TEST_CASE("Convolution2DTransposeBias SAME on a 1-pixel input gives k - 1 pixels",
          "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // MediaPipe's rule is not in * stride here: total padding k - 0 - 1 = 1,
  // output 2*0 + 2 - 1 = 1 pixel, the top-left tap only.
  Dims od;
  auto y = run(transposeBiasModel({1, 1, 1, 1}, {1, 2, 2, 1}, {1, 2, 3, 4}, {0.25f},
                                  le32({kTfLitePaddingSame, 2, 2})),
               {{2}}, &od);
  CHECK(od == Dims{1, 1, 1, 1});
  requireClose(y, {2.25f});
}

TEST_CASE("Convolution2DTransposeBias 3-wide filter, SAME crops the end and VALID keeps all",
          "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // 1x1x2x1 input {1, 2}, 1x3 filter {1, 10, 100}, stride 2, bias 0.
  // Full scatter: x0 -> cols 0..2 = {1, 10, 100}; x1 -> cols 2..4 = {2, 20, 200}
  // = {1, 10, 102, 20, 200}. SAME: total padding 3 - (2-1)%2 - 1 = 1, half
  // (0) before: 4 columns. VALID: all 5.
  Dims od;
  auto same = run(transposeBiasModel({1, 1, 2, 1}, {1, 1, 3, 1}, {1, 10, 100}, {0},
                                     le32({kTfLitePaddingSame, 2, 1})),
                  {{1, 2}}, &od);
  CHECK(od == Dims{1, 1, 4, 1});
  requireClose(same, {1, 10, 102, 20});
  auto valid = run(transposeBiasModel({1, 1, 2, 1}, {1, 1, 3, 1}, {1, 10, 100}, {0},
                                      le32({kTfLitePaddingValid, 2, 1})),
                   {{1, 2}}, &od);
  CHECK(od == Dims{1, 1, 5, 1});
  requireClose(valid, {1, 10, 102, 20, 200});
}

TEST_CASE("Convolution2DTransposeBias matches a naive reference", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<TransposeBiasCase> cases = {
      {{1, 5, 4, 3}, {2, 2, 2, 3}, true, 2, 2},
      {{2, 3, 4, 2}, {3, 3, 3, 2}, true, 2, 2},
      {{1, 4, 3, 4}, {9, 4, 3, 4}, false, 2, 3},
      {{1, 3, 5, 5}, {4, 1, 1, 5}, true, 2, 2},   // filter smaller than the stride
      {{1, 6, 6, 8}, {3, 5, 5, 8}, true, 3, 1},
      {{1, 40, 40, 16}, {1, 2, 2, 16}, true, 2, 2},
  };
  forEachCase(cases, 300, [](const TransposeBiasCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, true, c.filter[0], seed);
    // MediaPipe's rule: total padding max(0, k - (in-1) % s - 1) when SAME,
    // half before; output s*(in-1) + k - total.
    auto axis = [&](int in, int k, int s, int* out, int* pad) {
      const int total = c.same ? std::max(0, k - (in - 1) % s - 1) : 0;
      *out = s * (in - 1) + k - total;
      *pad = total / 2;
    };
    int outH, outW, padH, padW;
    axis(c.in[1], c.filter[1], c.strideH, &outH, &padH);
    axis(c.in[2], c.filter[2], c.strideW, &outW, &padW);
    auto ref = naiveTranspose(d.x, c.in, d.w, c.filter, &*d.bias, outH, outW, padH, padW,
                              c.strideH, c.strideW, A::NONE);
    Dims od;
    auto y = run(transposeBiasCaseModel(c, d), {d.x}, &od);
    CHECK(od == Dims{c.in[0], outH, outW, c.filter[0]});
    requireClose(y, ref);
  });
}

TEST_CASE("Convolution2DTransposeBias rejects bad models", "[kernels][transpose_conv]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const std::vector<float> x(4, 1.f);
  SECTION("custom options too short") {
    rejects(transposeBiasModel({1, 2, 2, 1}, {1, 2, 2, 1}, {1, 1, 1, 1}, {0},
                               le32({kTfLitePaddingSame, 2})),
            {x}, "custom options");
  }
  SECTION("bias size differs from the output channels") {
    rejects(transposeBiasModel({1, 2, 2, 1}, {1, 2, 2, 1}, {1, 1, 1, 1}, {0, 1},
                               le32({kTfLitePaddingSame, 2, 2})),
            {x}, "bias");
  }
  SECTION("stride 0") {
    rejects(transposeBiasModel({1, 2, 2, 1}, {1, 2, 2, 1}, {1, 1, 1, 1}, {0},
                               le32({kTfLitePaddingSame, 0, 2})),
            {x}, "stride");
  }
}

// ------------------------------- XNNPACK against the reference kernels

// The sums differ by float rounding only (see requirePathsAgree).
constexpr double kPathTolerance = 1e-5;

TEST_CASE("CONV_2D: XNNPACK with 2 threads matches the reference kernel", "[kernels][conv][xnnpack]") {
  const std::vector<ConvCase> cases = {
      {{1, 33, 29, 7}, {13, 3, 3, 7}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},            // odd sizes
      {{2, 31, 27, 5}, {9, 5, 3, 5}, {P::VALID, 2, 1, 1, 1, A::RELU}, true},            // batch 2
      {{1, 40, 37, 16}, {24, 3, 3, 16}, {P::SAME, 2, 2, 1, 1, A::RELU6}, false},
      {{1, 30, 31, 8}, {8, 3, 3, 8}, {P::SAME, 1, 1, 2, 3, A::NONE}, true},             // dilation
      {{1, 29, 26, 9}, {6, 3, 2, 9}, {P::VALID, 2, 3, 2, 1, A::RELU_N1_TO_1}, true},
      {{1, 21, 19, 12}, {18, 3, 3, 4}, {P::SAME, 1, 1, 1, 1, A::RELU6}, true},          // 3 groups
      {{1, 17, 23, 32}, {32, 1, 1, 8}, {P::VALID, 1, 1, 1, 1, A::NONE}, true},          // 1x1, 4 groups
      {{1, 56, 56, 24}, {40, 1, 1, 24}, {P::SAME, 1, 1, 1, 1, A::RELU}, true},          // 1x1 GEMM
      {{1, 13, 11, 3}, {5, 7, 7, 3}, {P::SAME, 2, 2, 1, 1, A::NONE}, true},             // filter > input
  };
  forEachCase(cases, 400, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[0], seed);
    requirePathsAgree(convModel(c.in, c.filter, d.w, d.bias, c.p), {d.x}, kPathTolerance);
  });
}

TEST_CASE("DEPTHWISE_CONV_2D: XNNPACK with 2 threads matches the reference kernel",
          "[kernels][depthwise][xnnpack]") {
  const std::vector<ConvCase> cases = {
      {{1, 37, 35, 19}, {1, 3, 3, 19}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},
      {{2, 28, 31, 32}, {1, 5, 5, 32}, {P::SAME, 2, 2, 1, 1, A::RELU6}, true},
      {{1, 20, 21, 8}, {1, 3, 3, 16}, {P::SAME, 1, 1, 1, 1, A::RELU}, true},            // multiplier 2
      {{1, 19, 17, 6}, {1, 3, 3, 12}, {P::VALID, 2, 2, 2, 2, A::NONE}, false},          // mult 2, dilation
      {{1, 25, 25, 24}, {1, 3, 3, 24}, {P::SAME, 1, 1, 3, 3, A::NONE}, true},           // dilation 3
      {{1, 15, 14, 5}, {1, 2, 4, 5}, {P::VALID, 1, 3, 1, 1, A::RELU_N1_TO_1}, true},
  };
  // Without the SIMD kernel, which would take the multiplier-1 cases.
  engine::kernels::simd::setDisabled(true);
  forEachCase(cases, 500, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[3], seed);
    requirePathsAgree(depthwiseModel(c.in, c.filter, d.w, d.bias, c.p, c.filter[3] / c.in[3]),
                      {d.x}, kPathTolerance);
  });
  engine::kernels::simd::setDisabled(false);
}

// Takes the engine's SIMD kernels wherever they apply for a scope.
struct PreferOwnKernels {
  PreferOwnKernels() { engine::kernels::simd::setPreferOwnKernels(true); }
  ~PreferOwnKernels() { engine::kernels::simd::setPreferOwnKernels(false); }
  PreferOwnKernels(const PreferOwnKernels&) = delete;
  PreferOwnKernels& operator=(const PreferOwnKernels&) = delete;
};

// The AVX-512 or AVX2 kernel (simd/depthwise_f32.cpp): filter widths 3, 5, 7 with
// any height, horizontal stride 1 or 2 (vertical any), channel counts with
// and without a tail of 16, inputs narrower than the filter, leading
// padding from SAME and none from VALID, all four activations.
TEST_CASE("DEPTHWISE_CONV_2D: the SIMD kernel with 2 threads matches the reference kernel",
          "[kernels][depthwise][simd]") {
  if (!engine::kernels::simd::hasAvx512() && !engine::kernels::simd::hasAvx2()) return;  // XNNPACK's test covers it
  const PreferOwnKernels prefer;  // the AVX2 kernel also on these layers without a fused swish
  const std::vector<ConvCase> cases = {
      {{1, 37, 35, 19}, {1, 3, 3, 19}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},
      {{2, 28, 31, 32}, {1, 5, 5, 32}, {P::SAME, 2, 2, 1, 1, A::RELU6}, true},
      {{1, 23, 29, 16}, {1, 3, 3, 16}, {P::SAME, 2, 2, 1, 1, A::RELU}, false},
      {{1, 22, 28, 40}, {1, 3, 3, 40}, {P::VALID, 2, 2, 1, 1, A::NONE}, true},
      {{1, 17, 33, 7}, {1, 7, 7, 7}, {P::SAME, 1, 1, 1, 1, A::RELU_N1_TO_1}, true},
      {{1, 18, 30, 48}, {1, 7, 7, 48}, {P::SAME, 2, 2, 1, 1, A::NONE}, true},
      {{1, 15, 14, 5}, {1, 2, 5, 5}, {P::VALID, 1, 1, 1, 1, A::NONE}, true},            // height 2
      {{1, 11, 26, 24}, {1, 5, 3, 24}, {P::SAME, 3, 1, 1, 1, A::RELU}, true},           // stride 3 x 1
      {{1, 6, 4, 17}, {1, 5, 5, 17}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},             // narrower than the filter
      {{1, 3, 2, 33}, {1, 3, 7, 33}, {P::SAME, 2, 2, 1, 1, A::NONE}, true},
      {{1, 9, 64, 1}, {1, 3, 3, 1}, {P::SAME, 1, 1, 1, 1, A::RELU6}, true},             // one channel
      {{3, 12, 61, 96}, {1, 3, 3, 96}, {P::SAME, 1, 1, 1, 1, A::RELU6}, true},
  };
  forEachCase(cases, 520, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[3], seed);
    const uint64_t before = engine::kernels::simd::createdKernels();
    requirePathsAgree(depthwiseModel(c.in, c.filter, d.w, d.bias, c.p, 1), {d.x}, kPathTolerance);
    // The AVX2 version has no 7-wide filters (XNNPACK runs those).
    const bool own = engine::kernels::simd::hasAvx512() || c.filter[2] != 7;
    CHECK((engine::kernels::simd::createdKernels() > before) == own);
  });
}

// The SIMD kernel sums each output as XNNPACK's depthwise microkernels do
// (bias, then the taps column by column, one FMA each; padding taps add
// nothing), so it gives XNNPACK's bytes: models that matched LiteRT's
// XNNPACK bit for bit (the MediaPipe face detector) still do.
// The optimized path runs one of the engine's SIMD kernels (simd/), and
// its outputs equal those of XNNPACK (the SIMD kernels turned off) bit for
// bit.
void requireSimdGivesXnnpackBytes(const std::vector<uint8_t>& model, const std::vector<float>& x) {
  const auto options = kernelPathOptions(KernelPath::kOptimized);
  std::string error;
  const uint64_t before = engine::kernels::simd::createdKernels();
  const std::vector<float> own = runFloat(model, {x}, &error, 0, nullptr, options);
  REQUIRE(error.empty());
  CHECK(engine::kernels::simd::createdKernels() > before);
  engine::kernels::simd::setDisabled(true);
  const std::vector<float> xnnpack = runFloat(model, {x}, &error, 0, nullptr, options);
  engine::kernels::simd::setDisabled(false);
  REQUIRE(error.empty());
  REQUIRE(own.size() == xnnpack.size());
  size_t differ = 0;
  for (size_t i = 0; i < own.size(); ++i) differ += own[i] != xnnpack[i];
  CHECK(differ == 0);
}

TEST_CASE("DEPTHWISE_CONV_2D: the SIMD kernel gives XNNPACK's results bit for bit", "[kernels][depthwise][simd]") {
  if (!engine::kernels::simd::hasAvx512() && !engine::kernels::simd::hasAvx2()) return;
  const PreferOwnKernels prefer;
  const std::vector<ConvCase> cases = {
      {{1, 37, 35, 19}, {1, 3, 3, 19}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},
      {{2, 28, 31, 32}, {1, 5, 5, 32}, {P::SAME, 2, 2, 1, 1, A::RELU6}, true},
      {{1, 23, 29, 16}, {1, 3, 3, 16}, {P::SAME, 2, 2, 1, 1, A::RELU}, false},
      {{1, 22, 28, 40}, {1, 3, 3, 40}, {P::VALID, 2, 2, 1, 1, A::NONE}, true},
      {{1, 6, 4, 17}, {1, 5, 5, 17}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},
      {{3, 12, 61, 96}, {1, 3, 3, 96}, {P::SAME, 1, 1, 1, 1, A::RELU6}, true},
  };
  forEachCase(cases, 540, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[3], seed);
    const auto model = depthwiseModel(c.in, c.filter, d.w, d.bias, c.p, 1);
    requireSimdGivesXnnpackBytes(model, d.x);
  });
}

// The AVX2 pointwise GEMM (simd/pointwise_f32.h, CPUs with AVX2 and no
// AVX-512): tails of 16 channels and of 6 rows, all activations, batches,
// with 1 and 2 threads; bias first, then the input channels in order with
// one FMA each, as XNNPACK's broadcast kernels, so the bytes are XNNPACK's.
TEST_CASE("CONV_2D 1x1: the AVX2 GEMM matches the reference and gives XNNPACK's results bit for bit",
          "[kernels][conv][simd]") {
  if (!engine::kernels::simd::PointwiseF32::supported()) return;  // the XNNPACK test above covers this CPU
  const std::vector<ConvCase> cases = {
      {{1, 7, 5, 3}, {5, 1, 1, 3}, {P::SAME, 1, 1, 1, 1, A::NONE}, true},       // 35 rows, 5 channels
      {{2, 9, 11, 24}, {40, 1, 1, 24}, {P::VALID, 1, 1, 1, 1, A::RELU}, true},  // batch 2, 40 = 16 + 16 + 8
      {{1, 14, 14, 96}, {48, 1, 1, 96}, {P::SAME, 1, 1, 1, 1, A::RELU6}, false},
      {{1, 4, 4, 130}, {17, 1, 1, 130}, {P::SAME, 1, 1, 1, 1, A::RELU_N1_TO_1}, true},
      {{1, 1, 1, 64}, {16, 1, 1, 64}, {P::VALID, 1, 1, 1, 1, A::NONE}, true},   // one pixel
  };
  forEachCase(cases, 560, [](const ConvCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[0], seed);
    const auto model = convModel(c.in, c.filter, d.w, d.bias, c.p);
    requirePathsAgree(model, {d.x}, kPathTolerance);
    requireSimdGivesXnnpackBytes(model, d.x);
  });
}

TEST_CASE("TRANSPOSE_CONV: XNNPACK with 2 threads matches the reference kernel",
          "[kernels][transpose_conv][xnnpack]") {
  const std::vector<TransposeCase> cases = {
      {{1, 34, 30, 7}, {7, 3, 3, 5}, {1, 17, 15, 5}, {P::SAME, 2, 2, A::NONE}, true},
      {{1, 35, 31, 6}, {6, 3, 3, 4}, {1, 17, 15, 4}, {P::VALID, 2, 2, A::RELU}, true},
      {{2, 36, 32, 6}, {6, 4, 4, 4}, {2, 18, 16, 4}, {P::SAME, 2, 2, A::RELU6}, false},
      // VALID with an output one row/column taller than the scatter: XNNPACK
      // adds it as an adjustment.
      {{1, 10, 10, 3}, {3, 3, 3, 2}, {1, 4, 4, 2}, {P::VALID, 2, 2, A::NONE}, true},
      {{1, 21, 22, 5}, {5, 3, 5, 3}, {1, 7, 11, 3}, {P::SAME, 3, 2, A::NONE}, true},
  };
  forEachCase(cases, 600, [](const TransposeCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, c.bias, c.filter[0], seed);
    requirePathsAgree(transposeCaseModel(c, d), {d.x}, kPathTolerance);
  });
}

TEST_CASE("Convolution2DTransposeBias: XNNPACK with 2 threads matches the reference kernel",
          "[kernels][transpose_conv][xnnpack]") {
  const std::vector<TransposeBiasCase> cases = {
      {{1, 32, 32, 16}, {8, 2, 2, 16}, true, 2, 2},  // the selfie-segmentation geometry
      {{1, 15, 17, 6}, {5, 3, 3, 6}, true, 2, 2},
      {{2, 9, 11, 4}, {3, 4, 4, 4}, false, 2, 3},
      {{1, 7, 8, 5}, {4, 1, 1, 5}, true, 2, 2},      // filter smaller than the stride
  };
  forEachCase(cases, 700, [](const TransposeBiasCase& c, unsigned seed) {
    const CaseData d = caseData(c.in, c.filter, true, c.filter[0], seed);
    requirePathsAgree(transposeBiasCaseModel(c, d), {d.x}, kPathTolerance);
  });
}

}  // namespace
