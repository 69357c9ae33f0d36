// Tests for the quantized (int8 / uint8) and hybrid kernels of CONV_2D,
// DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED and BATCH_MATMUL, and
// for QUANTIZE. Expected values come from an independent formula written
// here: dequantize input and weights, compute the real-valued op in double,
// add the real bias, quantize with the output's scale and zero point and
// clamp to the activation's range; the kernels must be within one quantum
// of it. Byte-exact cases use values LiteRT (builtin kernels, no delegate)
// produced for the same tiny models, including exact rounding ties. Hybrid
// kernels are compared with the float computation within the error of
// 8-bit input quantization.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/quant_util.h"
#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using A = fb::ActivationFunctionType;
using Op = fb::BuiltinOperator;


QuantParams qp(std::vector<float> scale, std::vector<int64_t> zeroPoint, int dim = 0) {
  QuantParams q;
  q.scale = std::move(scale);
  q.zeroPoint = std::move(zeroPoint);
  q.quantizedDimension = dim;
  return q;
}

template <typename T>
std::vector<T> randomInts(size_t n, int lo, int hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

std::vector<float> randomFloats(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Quantized output range of a fused activation, written independently of
// the kernels: relu clamps at the quantized 0, relu6 also at the quantized 6.
std::pair<int, int> actRange(A act, float scale, int zp, int qmin, int qmax) {
  auto q = [&](double r) { return static_cast<int>(std::lround(r / scale)) + zp; };
  switch (act) {
    case A::RELU: return {std::max(qmin, q(0)), qmax};
    case A::RELU6: return {std::max(qmin, q(0)), std::min(qmax, q(6))};
    default: return {qmin, qmax};
  }
}

// Quantizes real values to the output type, clamped to the activation range.
std::vector<int> expectQuantized(const std::vector<double>& real, float scale, int zp,
                                 std::pair<int, int> range) {
  std::vector<int> q(real.size());
  for (size_t i = 0; i < real.size(); ++i) {
    const long v = std::lround(real[i] / scale) + zp;
    q[i] = static_cast<int>(std::clamp<long>(v, range.first, range.second));
  }
  return q;
}

template <typename T>
void requireWithinOneQuantum(const std::vector<T>& got, const std::vector<int>& want) {
  REQUIRE(got.size() == want.size());
  int worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const int d = std::abs(static_cast<int>(got[i]) - want[i]);
    if (d > worst) {
      worst = d;
      INFO("element " << i << " got " << static_cast<int>(got[i]) << " want " << want[i]);
      CHECK(d <= 1);
    }
  }
  CHECK(worst <= 1);
}

template <typename T>
std::vector<T> runQuantized(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs,
                            Dims* dims = nullptr) {
  auto r = runModel(model, inputs);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  if (dims != nullptr) *dims = r.value()[0].dims;
  return r.value()[0].values<T>();
}

Status runStatus(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs) {
  auto r = runModel(model, inputs);
  return r.status();
}

// --- forward convolutions ----------------------------------------------------------

struct ConvCase {
  Dims in;        // NHWC
  Dims w;         // CONV_2D [O, kh, kw, I]; DEPTHWISE [1, kh, kw, C*mult]
  int stride = 1;
  int dilation = 1;
  fb::Padding padding = fb::Padding::SAME;
  A act = A::NONE;
  bool depthwise = false;
  bool perChannel = true;
  bool bias = true;
};

// Real-valued convolution (double) of dequantized values; out dims in *od.
std::vector<double> realConv(const ConvCase& c, const std::vector<double>& x,
                             const std::vector<double>& w, const std::vector<double>& bias,
                             Dims* od) {
  const int n = c.in[0], h = c.in[1], wd = c.in[2], ci = c.in[3];
  const int kh = c.w[1], kw = c.w[2];
  const int co = c.depthwise ? c.w[3] : c.w[0];
  const int eh = (kh - 1) * c.dilation + 1, ew = (kw - 1) * c.dilation + 1;
  const bool same = c.padding == fb::Padding::SAME;
  const int oh = same ? (h + c.stride - 1) / c.stride : (h - eh + c.stride) / c.stride;
  const int ow = same ? (wd + c.stride - 1) / c.stride : (wd - ew + c.stride) / c.stride;
  const int ph = same ? std::max(0, ((oh - 1) * c.stride + eh - h) / 2) : 0;
  const int pw = same ? std::max(0, ((ow - 1) * c.stride + ew - wd) / 2) : 0;
  *od = {n, oh, ow, co};
  std::vector<double> out;
  for (int b = 0; b < n; ++b)
    for (int y = 0; y < oh; ++y)
      for (int xo = 0; xo < ow; ++xo)
        for (int o = 0; o < co; ++o) {
          double s = bias.empty() ? 0.0 : bias[o];
          for (int ky = 0; ky < kh; ++ky)
            for (int kx = 0; kx < kw; ++kx) {
              const int iy = y * c.stride - ph + ky * c.dilation;
              const int ix = xo * c.stride - pw + kx * c.dilation;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              if (c.depthwise) {
                const int ic = o / (co / ci);
                s += x[((b * h + iy) * wd + ix) * ci + ic] * w[(ky * kw + kx) * co + o];
              } else {
                // Grouped when the filter has fewer input channels than the input.
                const int ipg = c.w[3], opg = co / (ci / ipg), g = o / opg;
                for (int i = 0; i < ipg; ++i) {
                  s += x[((b * h + iy) * wd + ix) * ci + g * ipg + i] * w[((o * kh + ky) * kw + kx) * ipg + i];
                }
              }
            }
          out.push_back(s);
        }
  return out;
}

template <typename T>
void checkForwardConv(const ConvCase& c, ElementType type, unsigned seed) {
  const bool u8 = type == ElementType::kUInt8;
  const int qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;
  const int co = c.depthwise ? c.w[3] : c.w[0];
  const size_t nIn = static_cast<size_t>(c.in[0] * c.in[1] * c.in[2] * c.in[3]);
  const size_t nW = static_cast<size_t>(c.w[0] * c.w[1] * c.w[2] * c.w[3]);
  const float inScale = 0.05f, outScale = 0.15f;
  const int inZp = u8 ? 131 : -7, outZp = u8 ? 120 : 5, wZp = u8 ? 125 : 0;
  std::vector<float> wScales;
  for (int o = 0; o < (c.perChannel ? co : 1); ++o) wScales.push_back(0.01f + 0.003f * o);
  const auto x = randomInts<T>(nIn, qmin, qmax, seed);
  const auto w = randomInts<T>(nW, u8 ? 100 : -127, u8 ? 150 : 127, seed + 1);
  const auto bias = randomInts<int32_t>(static_cast<size_t>(co), -3000, 3000, seed + 2);

  auto wScale = [&](int o) { return wScales[c.perChannel ? o : 0]; };
  std::vector<double> xr(nIn), wr(nW), br;
  for (size_t i = 0; i < nIn; ++i) xr[i] = inScale * (static_cast<int>(x[i]) - inZp);
  for (size_t i = 0; i < nW; ++i) {
    const int o = c.depthwise ? static_cast<int>(i % co) : static_cast<int>(i / (nW / co));
    wr[i] = static_cast<double>(wScale(o)) * (static_cast<int>(w[i]) - wZp);
  }
  if (c.bias) {
    for (int o = 0; o < co; ++o) br.push_back(static_cast<double>(inScale) * wScale(o) * bias[o]);
  }
  Dims od;
  const auto real = realConv(c, xr, wr, br, &od);
  const auto want = expectQuantized(real, outScale, outZp, actRange(c.act, outScale, outZp, qmin, qmax));

  OpModelBuilder mb;
  const int in = mb.addInput(type, c.in, qp({inScale}, {inZp}));
  const int filt = mb.addConstant(type, c.w, w, qp(wScales, std::vector<int64_t>(wScales.size(), wZp),
                                                   c.depthwise ? 3 : 0));
  std::vector<int> inputs{in, filt};
  if (c.bias) {
    std::vector<float> bs;
    for (int o = 0; o < co; ++o) bs.push_back(inScale * wScale(o));
    inputs.push_back(mb.addConstant(ElementType::kInt32, {co}, bias,
                                    qp(c.perChannel ? bs : std::vector<float>{bs[0]},
                                       std::vector<int64_t>(c.perChannel ? bs.size() : 1, 0))));
  }
  const int out = mb.addOutput(type, {}, qp({outScale}, {outZp}));
  if (c.depthwise) {
    mb.addOp(Op::DEPTHWISE_CONV_2D, inputs, {out}, [c](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::DepthwiseConv2DOptions,
                            fb::CreateDepthwiseConv2DOptions(b, c.padding, c.stride, c.stride,
                                                             c.w[3] / c.in[3], c.act, c.dilation,
                                                             c.dilation).Union());
    }, 3);
  } else {
    mb.addOp(Op::CONV_2D, inputs, {out}, [c](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::Conv2DOptions,
                            fb::CreateConv2DOptions(b, c.padding, c.stride, c.stride, c.act,
                                                    c.dilation, c.dilation).Union());
    }, 3);
  }
  Dims gotDims;
  const auto got = runQuantized<T>(mb.finish(), {InputData::of(x)}, &gotDims);
  CHECK(gotDims == od);
  requireWithinOneQuantum(got, want);
}

TEST_CASE("int8 CONV_2D is within one quantum of the real-valued convolution", "[quant][conv]") {
  const std::vector<ConvCase> cases = {
      {{1, 5, 5, 3}, {4, 3, 3, 3}, 1, 1, fb::Padding::SAME, A::NONE},
      {{2, 7, 6, 4}, {5, 3, 2, 4}, 2, 1, fb::Padding::VALID, A::RELU6},
      {{1, 8, 8, 2}, {3, 3, 3, 2}, 1, 2, fb::Padding::SAME, A::RELU},
      {{1, 4, 4, 6}, {6, 1, 1, 6}, 1, 1, fb::Padding::VALID, A::NONE, false, false, false},
      {{1, 5, 5, 4}, {6, 3, 3, 2}, 1, 1, fb::Padding::SAME, A::NONE},  // two groups
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    checkForwardConv<int8_t>(cases[i], ElementType::kInt8, static_cast<unsigned>(10 + i));
  }
}

TEST_CASE("uint8 CONV_2D with weight zero points is within one quantum", "[quant][conv]") {
  ConvCase c{{1, 6, 6, 3}, {4, 3, 3, 3}, 2, 1, fb::Padding::SAME, A::RELU};
  c.perChannel = false;
  checkForwardConv<uint8_t>(c, ElementType::kUInt8, 3);
}

TEST_CASE("int8 and uint8 DEPTHWISE_CONV_2D are within one quantum", "[quant][depthwise]") {
  const std::vector<ConvCase> cases = {
      {{1, 6, 6, 3}, {1, 3, 3, 6}, 1, 1, fb::Padding::SAME, A::NONE, true},       // multiplier 2
      {{2, 9, 9, 4}, {1, 3, 3, 4}, 2, 1, fb::Padding::VALID, A::RELU6, true},
      {{1, 10, 10, 2}, {1, 3, 3, 2}, 1, 2, fb::Padding::SAME, A::RELU, true},     // dilation 2
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    checkForwardConv<int8_t>(cases[i], ElementType::kInt8, static_cast<unsigned>(20 + i));
  }
  ConvCase u{{1, 5, 5, 2}, {1, 3, 3, 4}, 1, 1, fb::Padding::SAME, A::NONE, true, false};
  checkForwardConv<uint8_t>(u, ElementType::kUInt8, 29);
}

// --- TRANSPOSE_CONV ----------------------------------------------------------------

TEST_CASE("int8 TRANSPOSE_CONV is within one quantum of the real scatter", "[quant][transpose_conv]") {
  const Dims inD{1, 3, 4, 2}, wD{3, 3, 2, 2}, outD{1, 6, 7, 3};
  const int stride = 2;
  const float inScale = 0.04f, outScale = 0.1f;
  const int inZp = 3, outZp = -4;
  const std::vector<float> wScales{0.02f, 0.015f, 0.03f};
  const auto x = randomInts<int8_t>(24, -128, 127, 40);
  const auto w = randomInts<int8_t>(36, -127, 127, 41);
  const std::vector<int32_t> bias{500, -700, 90};
  // Real scatter with TFLite's padding (forward conv from the output, SAME).
  const int padH = std::max(0, ((outD[1] + stride - 1) / stride - 1) * stride + wD[1] - outD[1]) / 2;
  const int padW = std::max(0, ((outD[2] + stride - 1) / stride - 1) * stride + wD[2] - outD[2]) / 2;
  std::vector<double> real(static_cast<size_t>(6 * 7 * 3), 0.0);
  for (int iy = 0; iy < 3; ++iy)
    for (int ix = 0; ix < 4; ++ix)
      for (int ic = 0; ic < 2; ++ic)
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 2; ++kx)
            for (int oc = 0; oc < 3; ++oc) {
              const int oy = iy * stride - padH + ky, ox = ix * stride - padW + kx;
              if (oy < 0 || oy >= 6 || ox < 0 || ox >= 7) continue;
              real[static_cast<size_t>((oy * 7 + ox) * 3 + oc)] +=
                  inScale * (x[static_cast<size_t>((iy * 4 + ix) * 2 + ic)] - inZp) *
                  static_cast<double>(wScales[oc]) * w[static_cast<size_t>(((oc * 3 + ky) * 2 + kx) * 2 + ic)];
            }
  for (size_t i = 0; i < real.size(); ++i) real[i] += static_cast<double>(inScale) * wScales[i % 3] * bias[i % 3];
  const auto want = expectQuantized(real, outScale, outZp, {-128, 127});

  OpModelBuilder mb;
  const int shape = mb.addConstant(ElementType::kInt32, {4}, std::vector<int32_t>(outD.begin(), outD.end()));
  const int wt = mb.addConstant(ElementType::kInt8, wD, w, qp(wScales, {0, 0, 0}));
  const int in = mb.addInput(ElementType::kInt8, inD, qp({inScale}, {inZp}));
  const int b = mb.addConstant(ElementType::kInt32, {3}, bias);
  const int out = mb.addOutput(ElementType::kInt8, outD, qp({outScale}, {outZp}));
  mb.addOp(Op::TRANSPOSE_CONV, {shape, wt, in, b}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::BuiltinOptions::TransposeConvOptions,
                          fb::CreateTransposeConvOptions(fbb, fb::Padding::SAME, 2, 2).Union());
  }, 3);
  requireWithinOneQuantum(runQuantized<int8_t>(mb.finish(), {InputData::of(x)}), want);
}

// --- FULLY_CONNECTED ---------------------------------------------------------------

template <typename T>
void checkFullyConnected(ElementType type, Dims inD, int units, bool keepNumDims, bool withBias,
                         bool perChannel, A act, unsigned seed) {
  const bool u8 = type == ElementType::kUInt8;
  const int qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;
  const int k = inD.back();
  size_t nIn = 1;
  for (int d : inD) nIn *= static_cast<size_t>(d);
  const size_t rows = nIn / static_cast<size_t>(k);
  const float inScale = 0.03f, outScale = 0.2f;
  const int inZp = u8 ? 128 : 10, outZp = u8 ? 100 : -20, wZp = u8 ? 140 : 0;
  std::vector<float> wScales;
  for (int u = 0; u < (perChannel ? units : 1); ++u) wScales.push_back(0.02f + 0.001f * u);
  const auto x = randomInts<T>(nIn, qmin, qmax, seed);
  const auto w = randomInts<T>(static_cast<size_t>(units * k), u8 ? 90 : -127, u8 ? 200 : 127, seed + 1);
  const auto bias = randomInts<int32_t>(static_cast<size_t>(units), -5000, 5000, seed + 2);
  std::vector<double> real;
  for (size_t r = 0; r < rows; ++r) {
    for (int u = 0; u < units; ++u) {
      const double ws = wScales[perChannel ? static_cast<size_t>(u) : 0];
      double s = withBias ? inScale * ws * bias[static_cast<size_t>(u)] : 0.0;
      for (int i = 0; i < k; ++i) {
        s += inScale * (static_cast<int>(x[r * k + i]) - inZp) * ws *
             (static_cast<int>(w[static_cast<size_t>(u * k + i)]) - wZp);
      }
      real.push_back(s);
    }
  }
  const auto want = expectQuantized(real, outScale, outZp, actRange(act, outScale, outZp, qmin, qmax));
  OpModelBuilder mb;
  const int in = mb.addInput(type, inD, qp({inScale}, {inZp}));
  const int wt = mb.addConstant(type, {units, k}, w,
                                qp(wScales, std::vector<int64_t>(wScales.size(), wZp)));
  std::vector<int> inputs{in, wt};
  if (withBias) inputs.push_back(mb.addConstant(ElementType::kInt32, {units}, bias));
  const int out = mb.addOutput(type, {}, qp({outScale}, {outZp}));
  mb.addOp(Op::FULLY_CONNECTED, inputs, {out}, [act, keepNumDims](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::FullyConnectedOptions,
                          fb::CreateFullyConnectedOptions(b, act, fb::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                          keepNumDims).Union());
  }, 5);
  Dims gotDims;
  const auto got = runQuantized<T>(mb.finish(), {InputData::of(x)}, &gotDims);
  Dims wantDims = keepNumDims ? inD : Dims{static_cast<int32_t>(rows), units};
  wantDims.back() = units;
  CHECK(gotDims == wantDims);
  requireWithinOneQuantum(got, want);
}

TEST_CASE("int8 and uint8 FULLY_CONNECTED are within one quantum", "[quant][fc]") {
  checkFullyConnected<int8_t>(ElementType::kInt8, {3, 17}, 9, false, true, true, A::RELU, 50);
  checkFullyConnected<int8_t>(ElementType::kInt8, {2, 3, 12}, 5, true, false, false, A::NONE, 51);
  checkFullyConnected<int8_t>(ElementType::kInt8, {1, 40}, 7, false, true, false, A::RELU6, 52);
  checkFullyConnected<uint8_t>(ElementType::kUInt8, {4, 10}, 6, false, true, false, A::NONE, 53);
}

// Exact ties: with input and weight scales 0.5 and output scale 1 the
// multiplier is exactly 1/4, so acc = -2, -6, 2, 6 land on -0.5, -1.5, 0.5,
// 1.5. LiteRT's int8 FULLY_CONNECTED (ruy) gives 0, -1, 1, 2 (ties up); its
// BATCH_MATMUL (reference loops) gives -1, -2, 1, 2 (ties away from zero).
TEST_CASE("int8 requantization ties round like LiteRT", "[quant][fc][batch_matmul]") {
  const std::vector<int8_t> x{-1, -3, 1, 3};  // times weight 2: acc -2, -6, 2, 6
  SECTION("FULLY_CONNECTED") {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kInt8, {4, 1}, qp({0.5f}, {0}));
    const int wt = mb.addConstant(ElementType::kInt8, {1, 1}, std::vector<int8_t>{2}, qp({0.5f}, {0}));
    const int out = mb.addOutput(ElementType::kInt8, {4, 1}, qp({1.f}, {0}));
    mb.addOp(Op::FULLY_CONNECTED, {in, wt}, {out}, {}, 5);
    CHECK(runQuantized<int8_t>(mb.finish(), {InputData::of(x)}) == std::vector<int8_t>{0, -1, 1, 2});
  }
  SECTION("BATCH_MATMUL") {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kInt8, {4, 1}, qp({0.5f}, {0}));
    const int wt = mb.addConstant(ElementType::kInt8, {1, 1}, std::vector<int8_t>{2}, qp({0.5f}, {0}));
    const int out = mb.addOutput(ElementType::kInt8, {4, 1}, qp({1.f}, {0}));
    mb.addOp(Op::BATCH_MATMUL, {in, wt}, {out}, {}, 2);
    CHECK(runQuantized<int8_t>(mb.finish(), {InputData::of(x)}) == std::vector<int8_t>{-1, -2, 1, 2});
  }
  SECTION("DEPTHWISE_CONV_2D") {
    // M = 0.25 is 2^30 with a right shift of 1: the Q31 product is exact
    // (-1, -3, 1, 3) and the shift's ties round up (DepthwiseConvRound<kUpward>).
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kInt8, {1, 1, 4, 1}, qp({0.5f}, {0}));
    const int wt = mb.addConstant(ElementType::kInt8, {1, 1, 1, 1}, std::vector<int8_t>{2}, qp({0.5f}, {0}));
    const int out = mb.addOutput(ElementType::kInt8, {1, 1, 4, 1}, qp({1.f}, {0}));
    mb.addOp(Op::DEPTHWISE_CONV_2D, {in, wt}, {out}, [](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::DepthwiseConv2DOptions,
                            fb::CreateDepthwiseConv2DOptions(b, fb::Padding::VALID, 1, 1, 1).Union());
    }, 2);
    CHECK(runQuantized<int8_t>(mb.finish(), {InputData::of(x)}) == std::vector<int8_t>{0, -1, 1, 2});
  }
}

// A corrupted model's scales can ask for multipliers of 2^85 and more: the
// left shift is capped (UBSan reported shifts of 85-129 in int8
// FULLY_CONNECTED before), and a product that large saturates.
TEST_CASE("huge requantization multipliers stay defined", "[quant][util]") {
  namespace q = engine::kernels::quant;
  for (double m : {0x1p31, 0x1p40, 0x1p85, 0x1p129, 1e300}) {
    const q::Multiplier mm = q::quantizeMultiplier(m);
    INFO(m);
    CHECK(mm.shift <= 31);
    CHECK(mm.value >= (1 << 30));
    for (int32_t x : {1, -1, 7, -1000, 1 << 20}) {
      (void)q::multiplyByQuantizedMultiplier(x, mm);
      (void)q::multiplyByQuantizedMultiplierRoundUp(x, mm);
      (void)q::multiplyByQuantizedMultiplierShiftUp(x, mm);
    }
    CHECK(q::multiplyByQuantizedMultiplier(0, mm) == 0);
  }
}

TEST_CASE("the ruy rounding differs from gemmlowp's only on negative ties", "[quant][util]") {
  namespace q = engine::kernels::quant;
  const q::Multiplier quarter = q::quantizeMultiplier(0.25);
  CHECK(q::multiplyByQuantizedMultiplierShiftUp(-2, quarter) == 0);
  CHECK(q::multiplyByQuantizedMultiplierShiftUp(-6, quarter) == -1);
  CHECK(q::multiplyByQuantizedMultiplierShiftUp(6, quarter) == 2);
  CHECK(q::multiplyByQuantizedMultiplierRoundUp(-2, quarter) == 0);
  CHECK(q::multiplyByQuantizedMultiplier(-2, quarter) == -1);
  CHECK(q::multiplyByQuantizedMultiplierRoundUp(-6, quarter) == -1);
  CHECK(q::multiplyByQuantizedMultiplier(-6, quarter) == -2);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> acc(-1000000, 1000000);
  std::uniform_real_distribution<double> m(1e-6, 3.0);
  for (int i = 0; i < 2000; ++i) {
    const q::Multiplier mm = q::quantizeMultiplier(m(rng));
    const int32_t a = acc(rng);
    const int32_t up = q::multiplyByQuantizedMultiplierRoundUp(a, mm);
    const int32_t away = q::multiplyByQuantizedMultiplier(a, mm);
    const int32_t shiftUp = q::multiplyByQuantizedMultiplierShiftUp(a, mm);
    // Both round the real product (twice: Q31, then the shift), so each is
    // within one of it and they differ by at most one.
    const double exact = static_cast<double>(a) * mm.value * std::ldexp(1.0, mm.shift - 31);
    INFO(a << " * " << exact / a);
    CHECK(std::abs(up - exact) < 1.0);
    CHECK(std::abs(away - exact) < 1.0);
    CHECK(std::abs(up - away) <= 1);
    CHECK(std::abs(shiftUp - exact) < 1.0);
    CHECK((shiftUp == up || shiftUp == away));
  }
}

// --- BATCH_MATMUL ------------------------------------------------------------------

TEST_CASE("int8 BATCH_MATMUL with adjoints and broadcasting is within one quantum", "[quant][batch_matmul]") {
  struct Case {
    Dims lhs, rhs;
    bool adjX, adjY;
  };
  const std::vector<Case> cases = {
      {{2, 3, 5}, {2, 5, 4}, false, false},
      {{2, 5, 3}, {1, 4, 5}, true, true},  // rhs batch broadcast
      {{3, 4}, {2, 4, 6}, false, false},   // lhs without batch dims
  };
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    INFO("case " << ci);
    const float ls = 0.04f, rs = 0.03f, os = 0.05f;
    const int lz = -3, rz = 2, oz = 7;
    size_t nl = 1, nr = 1;
    for (int d : c.lhs) nl *= static_cast<size_t>(d);
    for (int d : c.rhs) nr *= static_cast<size_t>(d);
    const auto l = randomInts<int8_t>(nl, -128, 127, static_cast<unsigned>(60 + ci));
    const auto r = randomInts<int8_t>(nr, -128, 127, static_cast<unsigned>(70 + ci));
    const int lr = static_cast<int>(c.lhs.size()), rr = static_cast<int>(c.rhs.size());
    const int m = c.adjX ? c.lhs[lr - 1] : c.lhs[lr - 2], k = c.adjX ? c.lhs[lr - 2] : c.lhs[lr - 1];
    const int n = c.adjY ? c.rhs[rr - 2] : c.rhs[rr - 1];
    const int lb = static_cast<int>(nl) / (m * k), rb = static_cast<int>(nr) / (k * n);
    const int batches = std::max(lb, rb);
    std::vector<double> real;
    for (int b = 0; b < batches; ++b)
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
          double s = 0;
          for (int p = 0; p < k; ++p) {
            const int li = (b % lb) * m * k + (c.adjX ? p * m + i : i * k + p);
            const int ri = (b % rb) * k * n + (c.adjY ? j * k + p : p * n + j);
            s += ls * (l[static_cast<size_t>(li)] - lz) * static_cast<double>(rs) * (r[static_cast<size_t>(ri)] - rz);
          }
          real.push_back(s);
        }
    const auto want = expectQuantized(real, os, oz, {-128, 127});
    OpModelBuilder mb;
    const int a = mb.addInput(ElementType::kInt8, c.lhs, qp({ls}, {lz}));
    const int bb = mb.addInput(ElementType::kInt8, c.rhs, qp({rs}, {rz}));
    const int out = mb.addOutput(ElementType::kInt8, {}, qp({os}, {oz}));
    mb.addOp(Op::BATCH_MATMUL, {a, bb}, {out}, [c](flatbuffers::FlatBufferBuilder& fbb) {
      return std::make_pair(fb::BuiltinOptions::BatchMatMulOptions,
                            fb::CreateBatchMatMulOptions(fbb, c.adjX, c.adjY).Union());
    }, 2);
    requireWithinOneQuantum(runQuantized<int8_t>(mb.finish(), {InputData::of(l), InputData::of(r)}), want);
  }
}

// --- QUANTIZE ----------------------------------------------------------------------

template <typename T>
std::vector<T> runQuantize(ElementType inType, const InputData& x, Dims dims, QuantParams inQ,
                           ElementType outType, QuantParams outQ) {
  OpModelBuilder mb;
  const int in = mb.addInput(inType, dims, std::move(inQ));
  const int out = mb.addOutput(outType, dims, std::move(outQ));
  mb.addOp(Op::QUANTIZE, {in}, {out}, {}, 2);
  return runQuantized<T>(mb.finish(), {x});
}

// LiteRT's optimized QUANTIZE rounds blocks of eight values half to even
// (SIMD conversion) and the remaining tail half away from zero.
TEST_CASE("QUANTIZE float to int8, uint8, int16 rounds like LiteRT and saturates", "[quant][quantize]") {
  const std::vector<float> x{0.f, 0.25f, -0.25f, 0.75f, 1.3f, -1.3f, 100.f, -100.f, 0.25f, -0.25f};
  // scale 0.5, zero point 3: x / 0.5 = 0, 0.5, -0.5, 1.5, 2.6, -2.6, 200, -200 | 0.5, -0.5.
  CHECK(runQuantize<int8_t>(ElementType::kFloat32, InputData::of(x), {10}, {}, ElementType::kInt8,
                            qp({0.5f}, {3})) == std::vector<int8_t>{3, 3, 3, 5, 6, 0, 127, -128, 4, 2});
  CHECK(runQuantize<uint8_t>(ElementType::kFloat32, InputData::of(x), {10}, {}, ElementType::kUInt8,
                             qp({0.5f}, {3})) == std::vector<uint8_t>{3, 3, 3, 5, 6, 0, 203, 0, 4, 2});
  CHECK(runQuantize<int16_t>(ElementType::kFloat32, InputData::of(x), {10}, {}, ElementType::kInt16,
                             qp({0.01f}, {0})) ==
        std::vector<int16_t>{0, 25, -25, 75, 130, -130, 10000, -10000, 25, -25});
}

TEST_CASE("QUANTIZE per-channel float to int8 uses each channel's scale", "[quant][quantize]") {
  const std::vector<float> x{1.f, 1.f, 1.f, -2.f, -2.f, -2.f};  // [2, 3], channels along dim 1
  CHECK(runQuantize<int8_t>(ElementType::kFloat32, InputData::of(x), {2, 3}, {}, ElementType::kInt8,
                            qp({0.5f, 0.25f, 0.1f}, {0, 1, -1}, 1)) ==
        std::vector<int8_t>{2, 5, 9, -4, -7, -21});
}

TEST_CASE("QUANTIZE requantizes between int8 and uint8 and rescales int8", "[quant][quantize]") {
  const std::vector<int8_t> x{-128, -1, 0, 1, 127};
  // Same scale, zero point -3 -> 125: a shift by 128.
  CHECK(runQuantize<uint8_t>(ElementType::kInt8, InputData::of(x), {5}, qp({0.1f}, {-3}), ElementType::kUInt8,
                             qp({0.1f}, {125})) == std::vector<uint8_t>{0, 127, 128, 129, 255});
  // Scale 0.1 -> 0.4: q / 4 + 2 with TFLite's double rounding (1/4 first
  // rounds to 1/2 in Q31 arithmetic, then up to 1).
  CHECK(runQuantize<int8_t>(ElementType::kInt8, InputData::of(x), {5}, qp({0.1f}, {0}), ElementType::kInt8,
                            qp({0.4f}, {2})) == std::vector<int8_t>{-30, 2, 2, 3, 34});
  const std::vector<uint8_t> u{0, 128, 255};
  CHECK(runQuantize<int8_t>(ElementType::kUInt8, InputData::of(u), {3}, qp({0.2f}, {128}), ElementType::kInt8,
                            qp({0.1f}, {0})) == std::vector<int8_t>{-128, 0, 127});
}

// --- hybrid -------------------------------------------------------------------------

// Symmetric int8 weights with per-channel scales for `channels` channels.
std::vector<int8_t> hybridWeights(size_t n, unsigned seed) { return randomInts<int8_t>(n, -127, 127, seed); }

void requireCloseHybrid(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(std::abs(got[i] - want[i]) <= tol);
  }
}

TEST_CASE("hybrid FULLY_CONNECTED matches the float product within input quantization error", "[quant][hybrid][fc]") {
  const int rows = 3, k = 40, units = 6;
  const auto x = randomFloats(rows * k, -2.f, 2.f, 80);
  const auto w = hybridWeights(units * k, 81);
  std::vector<float> scales;
  for (int u = 0; u < units; ++u) scales.push_back(0.01f + 0.002f * u);
  const std::vector<float> bias{0.5f, -0.25f, 1.f, 0.f, -1.f, 2.f};
  for (bool asymmetric : {false, true}) {
    INFO("asymmetric " << asymmetric);
    std::vector<double> want;
    double worst = 0;
    for (int r = 0; r < rows; ++r)
      for (int u = 0; u < units; ++u) {
        double s = bias[static_cast<size_t>(u)];
        double mag = 0;
        for (int i = 0; i < k; ++i) {
          const double wv = static_cast<double>(scales[static_cast<size_t>(u)]) * w[static_cast<size_t>(u * k + i)];
          s += x[static_cast<size_t>(r * k + i)] * wv;
          mag += std::abs(wv);
        }
        worst = std::max(worst, mag);
        want.push_back(std::max(0.0, s));
      }
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, {rows, k});
    const int wt = mb.addConstant(ElementType::kInt8, {units, k}, w, qp(scales, std::vector<int64_t>(units, 0)));
    const int b = mb.addConstant(ElementType::kFloat32, {units}, bias);
    const int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::FULLY_CONNECTED, {in, wt, b}, {out}, [asymmetric](flatbuffers::FlatBufferBuilder& fbb) {
      return std::make_pair(fb::BuiltinOptions::FullyConnectedOptions,
                            fb::CreateFullyConnectedOptions(fbb, A::RELU, fb::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                            false, asymmetric).Union());
    }, 9);
    // Each input is off by at most half a step (max|x| / 127, or range / 255).
    requireCloseHybrid(runQuantized<float>(mb.finish(), {InputData::of(x)}), want, worst * 2.0 / 254 + 1e-5);
  }
}

TEST_CASE("hybrid FULLY_CONNECTED of an all-zero input is the bias", "[quant][hybrid][fc]") {
  OpModelBuilder mb;
  const int in = mb.addInput(ElementType::kFloat32, {1, 4});
  const int wt = mb.addConstant(ElementType::kInt8, {2, 4}, std::vector<int8_t>{1, 2, 3, 4, -1, -2, -3, -4},
                                qp({0.5f}, {0}));
  const int b = mb.addConstant(ElementType::kFloat32, {2}, std::vector<float>{1.5f, -2.5f});
  const int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::FULLY_CONNECTED, {in, wt, b}, {out}, {}, 9);
  const auto model = mb.finish();
  CHECK(runQuantized<float>(model, {InputData::of(std::vector<float>{0, 0, 0, 0})}) ==
        std::vector<float>{1.5f, -2.5f});
  // Symmetric: max |x| = 2 -> scale 2/127 and q = {127, -64, 0, 32} (-63.5
  // rounds away from zero); out = bias + scale * 0.5 * sum(q * w).
  const std::vector<float> x{2.f, -1.f, 0.f, 0.5f};
  const float rowScale = (2.f / 127.f) * 0.5f;
  const auto got = runQuantized<float>(model, {InputData::of(x)});
  CHECK(got == std::vector<float>{1.5f + static_cast<float>(127 - 128 + 0 + 128) * rowScale,
                                  -2.5f + static_cast<float>(-(127 - 128 + 0 + 128)) * rowScale});
}

struct HybridConvCase {
  Dims in, w;
  int stride;
  bool depthwise;
  bool perChannel;
};

TEST_CASE("hybrid CONV_2D and DEPTHWISE_CONV_2D match the float convolution", "[quant][hybrid][conv]") {
  const std::vector<HybridConvCase> cases = {
      {{1, 5, 5, 4}, {6, 3, 3, 4}, 1, false, true},   // asymmetric per batch
      {{2, 6, 6, 3}, {4, 3, 3, 3}, 2, false, false},  // symmetric, per-tensor scale
      {{1, 6, 6, 3}, {1, 3, 3, 6}, 1, true, true},
  };
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const HybridConvCase& hc = cases[ci];
    INFO("case " << ci);
    ConvCase c{hc.in, hc.w, hc.stride, 1, fb::Padding::SAME, A::NONE, hc.depthwise};
    const int co = hc.depthwise ? hc.w[3] : hc.w[0];
    const size_t nIn = static_cast<size_t>(hc.in[0] * hc.in[1] * hc.in[2] * hc.in[3]);
    const size_t nW = static_cast<size_t>(hc.w[0] * hc.w[1] * hc.w[2] * hc.w[3]);
    const auto x = randomFloats(nIn, -1.5f, 2.f, static_cast<unsigned>(90 + ci));
    const auto w = hybridWeights(nW, static_cast<unsigned>(95 + ci));
    std::vector<float> scales;
    for (int o = 0; o < (hc.perChannel ? co : 1); ++o) scales.push_back(0.02f + 0.004f * o);
    std::vector<float> bias;
    for (int o = 0; o < co; ++o) bias.push_back(0.1f * static_cast<float>(o) - 0.3f);
    std::vector<double> xr(x.begin(), x.end()), wr(nW), br(bias.begin(), bias.end());
    double mag = 0;
    for (size_t i = 0; i < nW; ++i) {
      const int o = hc.depthwise ? static_cast<int>(i % co) : static_cast<int>(i / (nW / co));
      wr[i] = static_cast<double>(scales[hc.perChannel ? static_cast<size_t>(o) : 0]) * w[i];
      mag += std::abs(wr[i]);
    }
    Dims od;
    const auto want = realConv(c, xr, wr, br, &od);
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, hc.in);
    const int wt = mb.addConstant(ElementType::kInt8, hc.w, w,
                                  qp(scales, std::vector<int64_t>(scales.size(), 0), hc.depthwise ? 3 : 0));
    const int b = mb.addConstant(ElementType::kFloat32, {co}, bias);
    const int out = mb.addOutput(ElementType::kFloat32, {});
    if (hc.depthwise) {
      mb.addOp(Op::DEPTHWISE_CONV_2D, {in, wt, b}, {out}, [hc](flatbuffers::FlatBufferBuilder& fbb) {
        return std::make_pair(fb::BuiltinOptions::DepthwiseConv2DOptions,
                              fb::CreateDepthwiseConv2DOptions(fbb, fb::Padding::SAME, hc.stride, hc.stride,
                                                               hc.w[3] / hc.in[3]).Union());
      }, 6);
    } else {
      mb.addOp(Op::CONV_2D, {in, wt, b}, {out}, [hc](flatbuffers::FlatBufferBuilder& fbb) {
        return std::make_pair(fb::BuiltinOptions::Conv2DOptions,
                              fb::CreateConv2DOptions(fbb, fb::Padding::SAME, hc.stride, hc.stride).Union());
      }, 5);
    }
    // Every input is within half a step (range / 255 or max / 127) of its
    // quantized value; summing over all weights bounds the error.
    requireCloseHybrid(runQuantized<float>(mb.finish(), {InputData::of(x)}), want, mag * 3.5 / 254 + 1e-5);
  }
}

TEST_CASE("hybrid BATCH_MATMUL and TRANSPOSE_CONV match the float computation", "[quant][hybrid]") {
  SECTION("BATCH_MATMUL, per-tensor rhs, asymmetric rows") {
    const auto x = randomFloats(2 * 3 * 8, -1.f, 1.f, 100);
    const auto w = hybridWeights(2 * 8 * 5, 101);
    const float s = 0.03f;
    std::vector<double> want;
    for (int b = 0; b < 2; ++b)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 5; ++j) {
          double acc = 0;
          for (int p = 0; p < 8; ++p) acc += x[static_cast<size_t>((b * 3 + i) * 8 + p)] * static_cast<double>(s) * w[static_cast<size_t>((b * 8 + p) * 5 + j)];
          want.push_back(acc);
        }
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, {2, 3, 8});
    const int wt = mb.addConstant(ElementType::kInt8, {2, 8, 5}, w, qp({s}, {0}));
    const int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::BATCH_MATMUL, {in, wt}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
      return std::make_pair(fb::BuiltinOptions::BatchMatMulOptions,
                            fb::CreateBatchMatMulOptions(fbb, false, false, true).Union());
    }, 4);
    requireCloseHybrid(runQuantized<float>(mb.finish(), {InputData::of(x)}), want, 8 * 127 * s * 2.0 / 255 + 1e-5);
  }
  SECTION("TRANSPOSE_CONV") {
    const auto x = randomFloats(1 * 2 * 2 * 3, -1.f, 1.f, 102);
    const auto w = hybridWeights(2 * 2 * 2 * 3, 103);
    const std::vector<float> scales{0.02f, 0.05f};
    // stride 2, 2x2 filter, VALID: every output gets exactly one input pixel.
    std::vector<double> want(static_cast<size_t>(4 * 4 * 2), 0.0);
    for (int iy = 0; iy < 2; ++iy)
      for (int ix = 0; ix < 2; ++ix)
        for (int ky = 0; ky < 2; ++ky)
          for (int kx = 0; kx < 2; ++kx)
            for (int oc = 0; oc < 2; ++oc)
              for (int ic = 0; ic < 3; ++ic) {
                want[static_cast<size_t>(((iy * 2 + ky) * 4 + ix * 2 + kx) * 2 + oc)] +=
                    x[static_cast<size_t>((iy * 2 + ix) * 3 + ic)] * static_cast<double>(scales[static_cast<size_t>(oc)]) *
                    w[static_cast<size_t>(((oc * 2 + ky) * 2 + kx) * 3 + ic)];
              }
    OpModelBuilder mb;
    const int shape = mb.addConstant(ElementType::kInt32, {4}, std::vector<int32_t>{1, 4, 4, 2});
    const int wt = mb.addConstant(ElementType::kInt8, {2, 2, 2, 3}, w, qp(scales, {0, 0}));
    const int in = mb.addInput(ElementType::kFloat32, {1, 2, 2, 3});
    const int out = mb.addOutput(ElementType::kFloat32, {1, 4, 4, 2});
    mb.addOp(Op::TRANSPOSE_CONV, {shape, wt, in}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
      return std::make_pair(fb::BuiltinOptions::TransposeConvOptions,
                            fb::CreateTransposeConvOptions(fbb, fb::Padding::VALID, 2, 2).Union());
    }, 3);
    requireCloseHybrid(runQuantized<float>(mb.finish(), {InputData::of(x)}), want, 3 * 127 * 0.05 * 2.0 / 255 + 1e-5);
  }
}

// --- validation ----------------------------------------------------------------------

TEST_CASE("quantized kernels reject parameters they cannot run", "[quant][errors]") {
  const std::vector<int8_t> x(16, 1);
  auto convModel = [](QuantParams wq, ElementType wType, ElementType outType) {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kInt8, {1, 2, 2, 4}, qp({0.1f}, {0}));
    const int wt = mb.addConstant(wType, {2, 1, 1, 4}, std::vector<int8_t>(8, 1), std::move(wq));
    const int out = mb.addOutput(outType, {}, qp({0.1f}, {0}));
    mb.addOp(Op::CONV_2D, {in, wt}, {out}, [](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::Conv2DOptions,
                            fb::CreateConv2DOptions(b, fb::Padding::VALID, 1, 1).Union());
    }, 3);
    return mb.finish();
  };
  SECTION("int8 weights with a non-zero zero point") {
    const auto st = runStatus(convModel(qp({0.1f}, {3}), ElementType::kInt8, ElementType::kInt8), {InputData::of(x)});
    CHECK(st.code() == StatusCode::kUnsupported);
    CHECK_THAT(st.message(), Catch::Contains("zero point"));
  }
  SECTION("per-channel scales along the wrong dimension") {
    const auto st = runStatus(convModel(qp({0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 3), ElementType::kInt8,
                                        ElementType::kInt8), {InputData::of(x)});
    CHECK_FALSE(st.isOk());
    CHECK_THAT(st.message(), Catch::Contains("per-channel scales"));
  }
  SECTION("weights of another type than the input") {
    const auto st = runStatus(convModel(qp({0.1f}, {128}), ElementType::kUInt8, ElementType::kInt8), {InputData::of(x)});
    CHECK(st.code() == StatusCode::kUnsupported);
    CHECK_THAT(st.message(), Catch::Contains("UINT8"));
  }
  SECTION("an output type that differs from the input") {
    const auto st = runStatus(convModel(qp({0.1f}, {0}), ElementType::kInt8, ElementType::kUInt8), {InputData::of(x)});
    CHECK(st.code() == StatusCode::kUnsupported);
    CHECK_THAT(st.message(), Catch::Contains("output"));
  }
  SECTION("int16 tensors must be symmetric") {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, {2});
    const int out = mb.addOutput(ElementType::kInt16, {2}, qp({0.1f}, {5}));
    mb.addOp(Op::QUANTIZE, {in}, {out}, {}, 2);
    const auto st = runStatus(mb.finish(), {InputData::of(std::vector<float>{1, 2})});
    CHECK_FALSE(st.isOk());
    CHECK_THAT(st.message(), Catch::Contains("zero point 5"));
  }
  SECTION("hybrid depthwise with a single weight scale") {
    OpModelBuilder mb;
    const int in = mb.addInput(ElementType::kFloat32, {1, 3, 3, 2});
    const int wt = mb.addConstant(ElementType::kInt8, {1, 2, 2, 2}, std::vector<int8_t>(8, 1), qp({0.1f}, {0}));
    const int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::DEPTHWISE_CONV_2D, {in, wt}, {out}, [](flatbuffers::FlatBufferBuilder& b) {
      return std::make_pair(fb::BuiltinOptions::DepthwiseConv2DOptions,
                            fb::CreateDepthwiseConv2DOptions(b, fb::Padding::VALID, 1, 1, 1).Union());
    }, 6);
    const auto st = runStatus(mb.finish(), {InputData::of(std::vector<float>(18, 1.f))});
    CHECK(st.code() == StatusCode::kUnsupported);
    CHECK_THAT(st.message(), Catch::Contains("per-channel"));
  }
}

}  // namespace
