// Tests for the INT8/UINT8 (per-tensor quantized) kernels: ADD, SUB, MUL
// (broadcasting, fused activations), RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU,
// PRELU, LOGISTIC, TANH, HARD_SWISH, SOFTMAX, AVERAGE_POOL_2D, MAX_POOL_2D,
// DIV, MEAN, SUM, REDUCE_MAX/MIN, CONCATENATION (requantizing inputs),
// RESIZE_BILINEAR, int8 SQUARED_DIFFERENCE, RSQRT, EXP, LOG, SQRT and ABS,
// GELU, L2_NORMALIZATION and LOG_SOFTMAX, and the rules TFLite enforces on
// quantization parameters.
//
// Expected values are computed independently in double precision: the
// inputs are dequantized, the real-valued op is applied, and the result is
// quantized (round half away from zero, saturate). TFLite's integer kernels
// may differ from that by one quantum (MultiplyByQuantizedMultiplier rounds
// twice: the Q31 product, then the right shift), so the checks allow <= 1
// and require a share of the elements to match exactly. A few hand-computed cases are
// exact. Every case runs on the reference and the optimized kernel paths.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/quant_util.h"
#include "op_test_util.h"

namespace {

using namespace inferd;
using namespace inferd::test;

engine::InterpreterOptions gPath;

struct Q {
  double scale;
  int64_t zp;
};

template <typename T>
constexpr ElementType typeOf() {
  return std::is_same_v<T, int8_t> ? ElementType::kInt8 : ElementType::kUInt8;
}

// A zero point `offset` away from the middle of T's range.
template <typename T>
int64_t zpAt(int64_t offset) {
  return (std::is_same_v<T, int8_t> ? 0 : 128) + offset;
}

QuantParams qp(Q q) {
  QuantParams p;
  p.scale = {static_cast<float>(q.scale)};
  p.zeroPoint = {q.zp};
  return p;
}

template <typename T>
double deq(T v, Q q) {
  return static_cast<float>(q.scale) * (static_cast<double>(v) - static_cast<double>(q.zp));
}

template <typename T>
T quantizeReal(double real, Q q) {
  const double v = std::round(real / static_cast<float>(q.scale)) + static_cast<double>(q.zp);
  const double lo = std::is_same_v<T, int8_t> ? -128 : 0;
  const double hi = std::is_same_v<T, int8_t> ? 127 : 255;
  return static_cast<T>(std::clamp(v, lo, hi));
}

template <typename T>
std::vector<T> randomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(std::is_same_v<T, int8_t> ? -128 : 0, std::is_same_v<T, int8_t> ? 127 : 255);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

// Every value of T in order (a [256] tensor).
template <typename T>
std::vector<T> allValues() {
  std::vector<T> v;
  for (int i = std::is_same_v<T, int8_t> ? -128 : 0; v.size() < 256; ++i) v.push_back(static_cast<T>(i));
  return v;
}

template <typename T>
std::vector<T> run(const std::vector<uint8_t>& model, const std::vector<std::vector<T>>& inputs, Dims* dims = nullptr) {
  std::vector<InputData> in;
  for (const auto& v : inputs) in.push_back(InputData::of(v));
  auto r = runModel(model, in, gPath);
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  REQUIRE(r.value()[0].type == typeOf<T>());
  if (dims) *dims = r.value()[0].dims;
  return r.value()[0].values<T>();
}

std::string runError(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs) {
  auto r = runModel(model, inputs, gPath);
  REQUIRE_FALSE(r.isOk());
  return r.status().toString();
}

// |got - want| <= 1 everywhere and at least `exactShare` of the elements equal.
template <typename T>
void checkClose(const std::vector<T>& got, const std::vector<T>& want, double exactShare = 0.9) {
  REQUIRE(got.size() == want.size());
  size_t exact = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << int(got[i]) << ", want " << int(want[i]));
    REQUIRE(std::abs(int(got[i]) - int(want[i])) <= 1);
    exact += got[i] == want[i];
  }
  CHECK(static_cast<double>(exact) >= exactShare * static_cast<double>(got.size()));
}

template <typename Options>
OptionsFn optionsOf(fb::BuiltinOptions type, std::function<flatbuffers::Offset<Options>(flatbuffers::FlatBufferBuilder&)> f) {
  return [type, f](flatbuffers::FlatBufferBuilder& b) { return std::make_pair(type, f(b).Union()); };
}

// ---------------------------------------------------------------------------
// ADD, SUB, MUL

OptionsFn arithOptions(fb::BuiltinOperator op, fb::ActivationFunctionType act) {
  return [op, act](flatbuffers::FlatBufferBuilder& b) {
    if (op == fb::BuiltinOperator::ADD) return std::make_pair(fb::BuiltinOptions::AddOptions, fb::CreateAddOptions(b, act).Union());
    if (op == fb::BuiltinOperator::SUB) return std::make_pair(fb::BuiltinOptions::SubOptions, fb::CreateSubOptions(b, act).Union());
    if (op == fb::BuiltinOperator::DIV) return std::make_pair(fb::BuiltinOptions::DivOptions, fb::CreateDivOptions(b, act).Union());
    return std::make_pair(fb::BuiltinOptions::MulOptions, fb::CreateMulOptions(b, act).Union());
  };
}

template <typename T>
std::vector<uint8_t> binaryModel(fb::BuiltinOperator op, const Dims& da, const Dims& db, Q qa, Q qb, Q qo,
                                 fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE) {
  OpModelBuilder mb;
  int a = mb.addInput(typeOf<T>(), da, qp(qa));
  int b = mb.addInput(typeOf<T>(), db, qp(qb));
  int o = mb.addOutput(typeOf<T>(), {}, qp(qo));
  mb.addOp(op, {a, b}, {o}, arithOptions(op, act), 2);
  return mb.finish();
}

double applyArith(fb::BuiltinOperator op, double x, double y) {
  if (op == fb::BuiltinOperator::ADD) return x + y;
  if (op == fb::BuiltinOperator::SUB) return x - y;
  return x * y;
}

double clampAct(fb::ActivationFunctionType act, double v) {
  switch (act) {
    case fb::ActivationFunctionType::RELU: return std::max(v, 0.0);
    case fb::ActivationFunctionType::RELU6: return std::clamp(v, 0.0, 6.0);
    case fb::ActivationFunctionType::RELU_N1_TO_1: return std::clamp(v, -1.0, 1.0);
    default: return v;
  }
}

TEMPLATE_TEST_CASE("quantized ADD/SUB/MUL: hand-computed values", "[quant][arith]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q q{0.5, zpAt<T>(-4)};
  auto enc = [&](int v) { return static_cast<T>(v + q.zp); };  // v * 0.5 real
  const std::vector<T> a = {enc(2), enc(-6), enc(10), enc(0)};  // 1, -3, 5, 0
  const std::vector<T> b = {enc(3), enc(4), enc(-10), enc(7)};  // 1.5, 2, -5, 3.5
  // ADD: 2.5, -1, 0, 3.5 -> 5, -2, 0, 7 quanta.
  CHECK(run<T>(binaryModel<T>(fb::BuiltinOperator::ADD, {4}, {4}, q, q, q), {a, b}) ==
        std::vector<T>{enc(5), enc(-2), enc(0), enc(7)});
  // SUB: -0.5, -5, 10, -3.5.
  CHECK(run<T>(binaryModel<T>(fb::BuiltinOperator::SUB, {4}, {4}, q, q, q), {a, b}) ==
        std::vector<T>{enc(-1), enc(-10), enc(20), enc(-7)});
  // MUL: 1.5, -6, -25, 0.
  CHECK(run<T>(binaryModel<T>(fb::BuiltinOperator::MUL, {4}, {4}, q, q, q), {a, b}) ==
        std::vector<T>{enc(3), enc(-12), enc(-50), enc(0)});
  // Saturation: 5 * 5 = 25 is 50 quanta above a zero point 100 below the top.
  const Q high{0.5, zpAt<T>(100)};
  const std::vector<T> sat = run<T>(binaryModel<T>(fb::BuiltinOperator::MUL, {1}, {1}, q, q, high), {{enc(10)}, {enc(10)}});
  CHECK(int(sat[0]) == (std::is_same_v<T, int8_t> ? 127 : 255));
}

TEMPLATE_TEST_CASE("quantized ADD/SUB/MUL follow the real-valued op within one quantum", "[quant][arith]", int8_t,
                   uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  struct Case {
    Dims da, db;
    Q qa, qb, qo;
    fb::ActivationFunctionType act;
  };
  const std::vector<Case> cases = {
      {{2, 3, 5}, {2, 3, 5}, {0.05, zpAt<T>(3)}, {0.031, zpAt<T>(-7)}, {0.07, zpAt<T>(1)}, fb::ActivationFunctionType::NONE},
      {{1, 4, 6, 8}, {8}, {0.02, zpAt<T>(-10)}, {0.11, zpAt<T>(5)}, {0.09, zpAt<T>(-2)}, fb::ActivationFunctionType::NONE},
      {{2, 3, 1, 8}, {1, 1, 5, 1}, {0.02, zpAt<T>(-10)}, {0.02, zpAt<T>(-10)}, {0.04, zpAt<T>(20)},
       fb::ActivationFunctionType::RELU},
      {{64}, {64}, {0.5, zpAt<T>(0)}, {0.003, zpAt<T>(50)}, {0.01, zpAt<T>(-100)}, fb::ActivationFunctionType::RELU6},
      {{1}, {3, 7}, {0.0078, zpAt<T>(0)}, {0.0078, zpAt<T>(0)}, {0.0078, zpAt<T>(0)},
       fb::ActivationFunctionType::RELU_N1_TO_1},
  };
  uint32_t seed = 1;
  for (fb::BuiltinOperator op : {fb::BuiltinOperator::ADD, fb::BuiltinOperator::SUB, fb::BuiltinOperator::MUL}) {
    for (const Case& c : cases) {
      INFO("op " << fb::EnumNameBuiltinOperator(op) << " case a" << engine::dimsToString(c.da) << " b"
                 << engine::dimsToString(c.db));
      const auto a = randomValues<T>(static_cast<size_t>(engine::numElements(c.da)), seed++);
      const auto b = randomValues<T>(static_cast<size_t>(engine::numElements(c.db)), seed++);
      Dims outDims;
      const auto got = run<T>(binaryModel<T>(op, c.da, c.db, c.qa, c.qb, c.qo, c.act), {a, b}, &outDims);
      // Broadcast by hand: index both inputs from the output index.
      const size_t rank = std::max(c.da.size(), c.db.size());
      Dims pa(rank - c.da.size(), 1), pb(rank - c.db.size(), 1), po(rank);
      pa.insert(pa.end(), c.da.begin(), c.da.end());
      pb.insert(pb.end(), c.db.begin(), c.db.end());
      for (size_t k = 0; k < rank; ++k) po[k] = std::max(pa[k], pb[k]);
      REQUIRE(outDims == po);
      std::vector<T> want(got.size());
      for (size_t i = 0; i < want.size(); ++i) {
        size_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
        for (size_t k = rank; k-- > 0;) {
          const size_t idx = rem % static_cast<size_t>(po[k]);
          rem /= static_cast<size_t>(po[k]);
          ia += (pa[k] == 1 ? 0 : idx) * sa;
          ib += (pb[k] == 1 ? 0 : idx) * sb;
          sa *= static_cast<size_t>(pa[k]);
          sb *= static_cast<size_t>(pb[k]);
        }
        want[i] = quantizeReal<T>(clampAct(c.act, applyArith(op, deq(a[ia], c.qa), deq(b[ib], c.qb))), c.qo);
      }
      checkClose(got, want);
    }
  }
}

// ---------------------------------------------------------------------------
// Element-wise activations over every input value

template <typename T>
std::vector<uint8_t> unaryModel(fb::BuiltinOperator op, const Dims& dims, Q qi, Q qo, OptionsFn opts = {}) {
  OpModelBuilder mb;
  int in = mb.addInput(typeOf<T>(), dims, qp(qi));
  int out = mb.addOutput(typeOf<T>(), {}, qp(qo));
  mb.addOp(op, {in}, {out}, std::move(opts));
  return mb.finish();
}

template <typename T>
void checkUnaryAllValues(fb::BuiltinOperator op, Q qi, Q qo, const std::function<double(double)>& f,
                         OptionsFn opts = {}, double exactShare = 0.8) {
  const auto x = allValues<T>();
  const auto got = run<T>(unaryModel<T>(op, {256}, qi, qo, std::move(opts)), {x});
  std::vector<T> want(256);
  for (size_t i = 0; i < 256; ++i) want[i] = quantizeReal<T>(f(deq(x[i], qi)), qo);
  checkClose(got, want, exactShare);
}

TEMPLATE_TEST_CASE("quantized RELU family rescales and clamps", "[quant][activation]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  // Scale ratios with no exact ties (x * ratio never ends in .5).
  for (auto [qi, qo] : {std::pair{Q{0.05, zpAt<T>(3)}, Q{0.0413, zpAt<T>(-20)}},
                        std::pair{Q{0.1, zpAt<T>(-50)}, Q{0.1, zpAt<T>(-50)}},
                        std::pair{Q{0.01, zpAt<T>(10)}, Q{0.031, zpAt<T>(-100)}}}) {
    INFO("scales " << qi.scale << " -> " << qo.scale);
    checkUnaryAllValues<T>(fb::BuiltinOperator::RELU, qi, qo, [](double x) { return std::max(x, 0.0); });
    checkUnaryAllValues<T>(fb::BuiltinOperator::RELU6, qi, qo, [](double x) { return std::clamp(x, 0.0, 6.0); });
    checkUnaryAllValues<T>(fb::BuiltinOperator::RELU_N1_TO_1, qi, qo,
                           [](double x) { return std::clamp(x, -1.0, 1.0); });
  }
  // Same quantization: RELU is exactly max(q, zero point).
  const Q q{0.1, zpAt<T>(-7)};
  const auto x = allValues<T>();
  const auto got = run<T>(unaryModel<T>(fb::BuiltinOperator::RELU, {256}, q, q), {x});
  for (size_t i = 0; i < 256; ++i) CHECK(int(got[i]) == std::max<int>(x[i], static_cast<int>(q.zp)));
}

TEMPLATE_TEST_CASE("quantized LEAKY_RELU with positive, large and negative alpha", "[quant][activation]", int8_t,
                   uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  for (float alpha : {0.2f, 1.7f, -0.3f}) {
    INFO("alpha " << alpha);
    auto opts = optionsOf<fb::LeakyReluOptions>(fb::BuiltinOptions::LeakyReluOptions, [alpha](auto& b) {
      return fb::CreateLeakyReluOptions(b, alpha);
    });
    checkUnaryAllValues<T>(fb::BuiltinOperator::LEAKY_RELU, {0.05, zpAt<T>(3)}, {0.0413, zpAt<T>(-20)},
                           [alpha](double x) { return x > 0 ? x : x * alpha; }, opts);
  }
}

TEMPLATE_TEST_CASE("quantized LOGISTIC, TANH and HARD_SWISH", "[quant][activation]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q sigmoidOut{1.0 / 256, std::is_same_v<T, int8_t> ? -128 : 0};
  const Q tanhOut{1.0 / 128, zpAt<T>(0)};
  for (Q qi : {Q{0.05, zpAt<T>(3)}, Q{0.2, zpAt<T>(-60)}, Q{0.003, zpAt<T>(0)}}) {
    INFO("input scale " << qi.scale << " zero point " << qi.zp);
    checkUnaryAllValues<T>(fb::BuiltinOperator::LOGISTIC, qi, sigmoidOut,
                           [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
    checkUnaryAllValues<T>(fb::BuiltinOperator::TANH, qi, tanhOut, [](double x) { return std::tanh(x); });
    // TANH takes any output quantization.
    checkUnaryAllValues<T>(fb::BuiltinOperator::TANH, qi, {0.01, zpAt<T>(7)}, [](double x) { return std::tanh(x); });
    checkUnaryAllValues<T>(fb::BuiltinOperator::HARD_SWISH, qi, {0.03, zpAt<T>(-90)},
                           [](double x) { return x * std::clamp(x + 3.0, 0.0, 6.0) / 6.0; });
  }
}

TEMPLATE_TEST_CASE("quantized SOFTMAX over rows with beta", "[quant][activation]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qo{1.0 / 256, std::is_same_v<T, int8_t> ? -128 : 0};
  uint32_t seed = 7;
  for (float beta : {1.0f, 0.5f, 2.0f}) {
    for (Q qi : {Q{0.05, zpAt<T>(3)}, Q{0.2, zpAt<T>(-60)}}) {
      INFO("beta " << beta << " input scale " << qi.scale);
      const Dims dims = {7, 33};
      auto opts = optionsOf<fb::SoftmaxOptions>(fb::BuiltinOptions::SoftmaxOptions,
                                                [beta](auto& b) { return fb::CreateSoftmaxOptions(b, beta); });
      const auto x = randomValues<T>(7 * 33, seed++);
      const auto got = run<T>(unaryModel<T>(fb::BuiltinOperator::SOFTMAX, dims, qi, qo, opts), {x});
      std::vector<T> want(x.size());
      for (size_t r = 0; r < 7; ++r) {
        double m = -1e300, sum = 0;
        for (size_t c = 0; c < 33; ++c) m = std::max(m, deq(x[r * 33 + c], qi));
        for (size_t c = 0; c < 33; ++c) sum += std::exp(beta * (deq(x[r * 33 + c], qi) - m));
        for (size_t c = 0; c < 33; ++c) {
          want[r * 33 + c] = quantizeReal<T>(std::exp(beta * (deq(x[r * 33 + c], qi) - m)) / sum, qo);
        }
      }
      checkClose(got, want);
    }
  }
}

TEMPLATE_TEST_CASE("quantized PRELU with broadcast alpha", "[quant][activation]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qi{0.05, zpAt<T>(3)}, qa{0.01, zpAt<T>(-20)}, qo{0.03, zpAt<T>(-5)};
  const Dims dims = {2, 4, 5, 8};
  for (const Dims& ad : {Dims{1, 1, 8}, Dims{4, 5, 8}, Dims{1}}) {
    INFO("alpha shape " << engine::dimsToString(ad));
    const size_t an = static_cast<size_t>(engine::numElements(ad));
    const auto alpha = randomValues<T>(an, 3);
    OpModelBuilder mb;
    int in = mb.addInput(typeOf<T>(), dims, qp(qi));
    int al = mb.addConstant<T>(typeOf<T>(), ad, alpha, qp(qa));
    int out = mb.addOutput(typeOf<T>(), {}, qp(qo));
    mb.addOp(fb::BuiltinOperator::PRELU, {in, al}, {out});
    const auto x = randomValues<T>(2 * 4 * 5 * 8, 4);
    const auto got = run<T>(mb.finish(), {x});
    std::vector<T> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      // Alpha's trailing dims align with the input's; inner index modulo its size
      // works for [8], [4,5,8] and [1].
      const double v = deq(x[i], qi);
      const double a = deq(alpha[i % an], qa);
      want[i] = quantizeReal<T>(v >= 0 ? v : v * a, qo);
    }
    checkClose(got, want);
  }
}

// ---------------------------------------------------------------------------
// Pooling

template <typename T>
std::vector<uint8_t> poolModel(fb::BuiltinOperator op, const Dims& dims, Q qi, Q qo, int filter, int stride,
                               fb::Padding padding, fb::ActivationFunctionType act) {
  OpModelBuilder mb;
  int in = mb.addInput(typeOf<T>(), dims, qp(qi));
  int out = mb.addOutput(typeOf<T>(), {}, qp(qo));
  mb.addOp(op, {in}, {out}, optionsOf<fb::Pool2DOptions>(fb::BuiltinOptions::Pool2DOptions, [=](auto& b) {
             return fb::CreatePool2DOptions(b, padding, stride, stride, filter, filter, act);
           }), 2);
  return mb.finish();
}

TEMPLATE_TEST_CASE("quantized AVERAGE_POOL_2D and MAX_POOL_2D", "[quant][pool]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q q{0.05, zpAt<T>(-17)};
  const int n = 2, h = 9, w = 7, c = 5;
  const auto x = randomValues<T>(static_cast<size_t>(n * h * w * c), 11);
  struct Case {
    int filter, stride;
    fb::Padding padding;
    fb::ActivationFunctionType act;
  };
  for (const Case& k : {Case{3, 2, fb::Padding::SAME, fb::ActivationFunctionType::NONE},
                        Case{2, 2, fb::Padding::VALID, fb::ActivationFunctionType::NONE},
                        Case{3, 1, fb::Padding::SAME, fb::ActivationFunctionType::RELU},
                        Case{4, 3, fb::Padding::SAME, fb::ActivationFunctionType::RELU6}}) {
    for (bool average : {true, false}) {
      INFO("filter " << k.filter << " stride " << k.stride << " average " << average);
      Dims od;
      const auto got = run<T>(poolModel<T>(average ? fb::BuiltinOperator::AVERAGE_POOL_2D : fb::BuiltinOperator::MAX_POOL_2D,
                                           {n, h, w, c}, q, q, k.filter, k.stride, k.padding, k.act),
                              {x}, &od);
      const int oh = k.padding == fb::Padding::SAME ? (h + k.stride - 1) / k.stride : (h - k.filter) / k.stride + 1;
      const int ow = k.padding == fb::Padding::SAME ? (w + k.stride - 1) / k.stride : (w - k.filter) / k.stride + 1;
      REQUIRE(od == Dims{n, oh, ow, c});
      const int padT = k.padding == fb::Padding::SAME ? std::max(0, (oh - 1) * k.stride + k.filter - h) / 2 : 0;
      const int padL = k.padding == fb::Padding::SAME ? std::max(0, (ow - 1) * k.stride + k.filter - w) / 2 : 0;
      std::vector<T> want;
      for (int b = 0; b < n; ++b)
        for (int y = 0; y < oh; ++y)
          for (int xo = 0; xo < ow; ++xo)
            for (int ch = 0; ch < c; ++ch) {
              double sum = 0, mx = -1e300;
              int count = 0;
              for (int fy = 0; fy < k.filter; ++fy)
                for (int fx = 0; fx < k.filter; ++fx) {
                  const int iy = y * k.stride - padT + fy, ix = xo * k.stride - padL + fx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                  const double v = deq(x[static_cast<size_t>(((b * h + iy) * w + ix) * c + ch)], q);
                  sum += v;
                  mx = std::max(mx, v);
                  ++count;
                }
              want.push_back(quantizeReal<T>(clampAct(k.act, average ? sum / count : mx), q));
            }
      checkClose(got, want, average ? 0.9 : 1.0);
    }
  }
}

// ---------------------------------------------------------------------------
// Reductions

template <typename T>
std::vector<uint8_t> reduceModel(fb::BuiltinOperator op, const Dims& dims, const std::vector<int32_t>& axes, bool keep,
                                 Q qi, Q qo) {
  OpModelBuilder mb;
  int in = mb.addInput(typeOf<T>(), dims, qp(qi));
  int ax = mb.addConstant<int32_t>(ElementType::kInt32, {static_cast<int32_t>(axes.size())}, axes);
  int out = mb.addOutput(typeOf<T>(), {}, qp(qo));
  mb.addOp(op, {in, ax}, {out}, optionsOf<fb::ReducerOptions>(fb::BuiltinOptions::ReducerOptions, [keep](auto& b) {
             return fb::CreateReducerOptions(b, keep);
           }), 2);
  return mb.finish();
}

// Reduces x (row-major `dims`) over `reduced` dims with f(values) in double.
template <typename T>
std::vector<double> reduceReal(const std::vector<T>& x, const Dims& dims, const std::vector<bool>& reduced, Q q,
                               const std::function<double(const std::vector<double>&)>& f) {
  std::vector<int64_t> outStride(dims.size(), 0);
  int64_t outCount = 1;
  for (size_t k = dims.size(); k-- > 0;) {
    if (!reduced[k]) {
      outStride[k] = outCount;
      outCount *= dims[k];
    }
  }
  std::vector<std::vector<double>> groups(static_cast<size_t>(outCount));
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i), o = 0;
    for (size_t k = dims.size(); k-- > 0;) {
      o += (rem % dims[k]) * outStride[k];
      rem /= dims[k];
    }
    groups[static_cast<size_t>(o)].push_back(deq(x[i], q));
  }
  std::vector<double> r;
  for (const auto& g : groups) r.push_back(f(g));
  return r;
}

TEMPLATE_TEST_CASE("quantized MEAN, SUM, REDUCE_MAX, REDUCE_MIN", "[quant][reduce]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qi{0.05, zpAt<T>(-17)};
  struct Case {
    Dims dims;
    std::vector<int32_t> axes;
    bool keep;
    std::vector<bool> reduced;
  };
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double d : v) s += d;
    return s / static_cast<double>(v.size());
  };
  auto sum = [](const std::vector<double>& v) {
    double s = 0;
    for (double d : v) s += d;
    return s;
  };
  uint32_t seed = 21;
  for (const Case& c : {Case{{2, 7, 9, 16}, {1, 2}, true, {false, true, true, false}},  // TFLite's 4-D H,W path
                        Case{{2, 7, 9, 16}, {2, 1}, false, {false, true, true, false}},
                        Case{{2, 3, 4, 50}, {3}, true, {false, false, false, true}},
                        Case{{3, 4, 5}, {0, -1}, false, {true, false, true}},
                        Case{{4, 6}, {0, 1, 1}, false, {true, true}}}) {
    INFO("shape " << engine::dimsToString(c.dims) << " keep " << c.keep);
    const auto x = randomValues<T>(static_cast<size_t>(engine::numElements(c.dims)), seed++);
    for (Q qo : {qi, Q{0.03, zpAt<T>(-5)}}) {
      INFO("output scale " << qo.scale);
      auto got = run<T>(reduceModel<T>(fb::BuiltinOperator::MEAN, c.dims, c.axes, c.keep, qi, qo), {x});
      std::vector<T> want;
      for (double v : reduceReal(x, c.dims, c.reduced, qi, mean)) want.push_back(quantizeReal<T>(v, qo));
      // TFLite rounds twice (a rounded bias, or a multiplier applied in two
      // rounding steps), so only "within one quantum" is guaranteed.
      checkClose(got, want, 0.0);
    }
    // SUM: an output scale wide enough for the sums.
    int64_t count = 1;
    for (size_t k = 0; k < c.dims.size(); ++k) count *= c.reduced[k] ? c.dims[k] : 1;
    const Q qs{0.05 * std::sqrt(static_cast<double>(count)) * 2, zpAt<T>(3)};
    auto got = run<T>(reduceModel<T>(fb::BuiltinOperator::SUM, c.dims, c.axes, c.keep, qi, qs), {x});
    std::vector<T> want;
    for (double v : reduceReal(x, c.dims, c.reduced, qi, sum)) want.push_back(quantizeReal<T>(v, qs));
    checkClose(got, want);
    // REDUCE_MAX/MIN: exact on raw values.
    for (bool isMax : {true, false}) {
      got = run<T>(reduceModel<T>(isMax ? fb::BuiltinOperator::REDUCE_MAX : fb::BuiltinOperator::REDUCE_MIN, c.dims,
                                  c.axes, c.keep, qi, qi),
                   {x});
      want.clear();
      for (double v : reduceReal(x, c.dims, c.reduced, qi, [isMax](const std::vector<double>& g) {
             return isMax ? *std::max_element(g.begin(), g.end()) : *std::min_element(g.begin(), g.end());
           })) {
        want.push_back(quantizeReal<T>(v, qi));
      }
      CHECK(got == want);
    }
  }
}

// ---------------------------------------------------------------------------
// CONCATENATION and RESIZE_BILINEAR

TEMPLATE_TEST_CASE("quantized CONCATENATION requantizes inputs quantized differently", "[quant][concat]", int8_t,
                   uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qa{0.05, zpAt<T>(-3)}, qb{0.11, zpAt<T>(40)}, qo{0.07, zpAt<T>(2)};
  OpModelBuilder mb;
  int a = mb.addInput(typeOf<T>(), {2, 3, 4}, qp(qa));
  int b = mb.addInput(typeOf<T>(), {2, 5, 4}, qp(qb));
  int c = mb.addInput(typeOf<T>(), {2, 1, 4}, qp(qo));  // already the output's: copied as is
  int o = mb.addOutput(typeOf<T>(), {}, qp(qo));
  mb.addOp(fb::BuiltinOperator::CONCATENATION, {a, b, c}, {o},
           optionsOf<fb::ConcatenationOptions>(fb::BuiltinOptions::ConcatenationOptions,
                                               [](auto& fbb) { return fb::CreateConcatenationOptions(fbb, 1); }));
  const auto xa = randomValues<T>(24, 1), xb = randomValues<T>(40, 2), xc = randomValues<T>(8, 3);
  Dims dims;
  const auto got = run<T>(mb.finish(), {xa, xb, xc}, &dims);
  REQUIRE(dims == Dims{2, 9, 4});
  std::vector<T> want;
  for (int n = 0; n < 2; ++n) {
    for (int i = 0; i < 12; ++i) want.push_back(quantizeReal<T>(deq(xa[static_cast<size_t>(n * 12 + i)], qa), qo));
    for (int i = 0; i < 20; ++i) want.push_back(quantizeReal<T>(deq(xb[static_cast<size_t>(n * 20 + i)], qb), qo));
    for (int i = 0; i < 4; ++i) want.push_back(xc[static_cast<size_t>(n * 4 + i)]);
  }
  checkClose(got, want, 0.95);
}

TEMPLATE_TEST_CASE("quantized RESIZE_BILINEAR interpolates raw values", "[quant][resize]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q q{0.05, zpAt<T>(-3)};
  struct Case {
    int ih, iw, oh, ow;
    bool alignCorners, halfPixel;
  };
  for (const Case& k : {Case{4, 5, 9, 7, false, false}, Case{4, 5, 9, 7, true, false}, Case{4, 5, 9, 7, false, true},
                        Case{6, 6, 3, 4, false, true}, Case{3, 3, 6, 6, false, false}}) {
    INFO(k.ih << "x" << k.iw << " -> " << k.oh << "x" << k.ow << " align " << k.alignCorners << " half "
              << k.halfPixel);
    const int c = 3;
    OpModelBuilder mb;
    int in = mb.addInput(typeOf<T>(), {1, k.ih, k.iw, c}, qp(q));
    int size = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {k.oh, k.ow});
    int out = mb.addOutput(typeOf<T>(), {}, qp(q));
    mb.addOp(fb::BuiltinOperator::RESIZE_BILINEAR, {in, size}, {out},
             optionsOf<fb::ResizeBilinearOptions>(fb::BuiltinOptions::ResizeBilinearOptions, [k](auto& b) {
               return fb::CreateResizeBilinearOptions(b, k.alignCorners, k.halfPixel);
             }), 3);
    const auto x = randomValues<T>(static_cast<size_t>(k.ih * k.iw * c), 5);
    const auto got = run<T>(mb.finish(), {x});
    // TensorFlow's sampling in double: source = (dst + 0.5) * scale - 0.5
    // (half pixel), dst * scale otherwise; neighbours clamped to the image.
    auto axis = [&](int o, int in, int outSize, int* lo, int* hi, double* frac) {
      const double scale = k.alignCorners && outSize > 1 ? double(in - 1) / (outSize - 1) : double(in) / outSize;
      const double src = k.halfPixel ? (o + 0.5) * scale - 0.5 : o * scale;
      *lo = std::max(0, static_cast<int>(std::floor(src)));
      *hi = std::min(in - 1, static_cast<int>(std::ceil(src)));
      *frac = src - *lo;
    };
    std::vector<T> want;
    for (int y = 0; y < k.oh; ++y)
      for (int xo = 0; xo < k.ow; ++xo) {
        int y0, y1, x0, x1;
        double fy, fx;
        axis(y, k.ih, k.oh, &y0, &y1, &fy);
        axis(xo, k.iw, k.ow, &x0, &x1, &fx);
        for (int ch = 0; ch < c; ++ch) {
          auto at = [&](int yy, int xx) { return deq(x[static_cast<size_t>((yy * k.iw + xx) * c + ch)], q); };
          const double v = at(y0, x0) * (1 - fy) * (1 - fx) + at(y1, x0) * fy * (1 - fx) + at(y0, x1) * (1 - fy) * fx +
                           at(y1, x1) * fy * fx;
          want.push_back(quantizeReal<T>(v, q));
        }
      }
    // INT8 weights are 10-bit fixed point and 2x upsampling creates exact
    // ties, so a share of elements is one quantum off.
    checkClose(got, want, 0.8);
  }
}

// ---------------------------------------------------------------------------
// Quantization rules and errors

TEST_CASE("quantized kernels reject parameters TFLite rejects", "[quant][errors]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q a{0.05, 3}, b{0.06, 3};
  const auto x = InputData::of(std::vector<int8_t>(2 * 4 * 4 * 3, 1));
  // MAX_POOL/AVERAGE_POOL: input and output must be quantized alike.
  for (auto op : {fb::BuiltinOperator::MAX_POOL_2D, fb::BuiltinOperator::AVERAGE_POOL_2D}) {
    const auto err = runError(poolModel<int8_t>(op, {2, 4, 4, 3}, a, b, 2, 2, fb::Padding::VALID,
                                                fb::ActivationFunctionType::NONE),
                              {x});
    CHECK_THAT(err, Catch::Contains("must have the same quantization"));
  }
  // REDUCE_MAX: the same.
  CHECK_THAT(runError(reduceModel<int8_t>(fb::BuiltinOperator::REDUCE_MAX, {2, 4, 4, 3}, {1}, false, a, b), {x}),
             Catch::Contains("must have the same quantization"));
  // SOFTMAX INT8: output scale 1/256 and zero point -128.
  CHECK_THAT(runError(unaryModel<int8_t>(fb::BuiltinOperator::SOFTMAX, {2, 4, 4, 3}, a, {1.0 / 256, 0}), {x}),
             Catch::Contains("zero point -128"));
  // LOGISTIC: output scale 1/256.
  CHECK_THAT(runError(unaryModel<int8_t>(fb::BuiltinOperator::LOGISTIC, {2, 4, 4, 3}, a, {1.0 / 128, -128}), {x}),
             Catch::Contains("scale 1/256"));
  // Per-channel quantized activations are not per-tensor.
  {
    QuantParams pc;
    pc.scale = {0.1f, 0.2f, 0.3f};
    pc.zeroPoint = {0, 0, 0};
    pc.quantizedDimension = 3;
    OpModelBuilder mb;
    int in0 = mb.addInput(ElementType::kInt8, {2, 4, 4, 3}, pc);
    int in1 = mb.addInput(ElementType::kInt8, {2, 4, 4, 3}, qp(a));
    int out = mb.addOutput(ElementType::kInt8, {}, qp(a));
    mb.addOp(fb::BuiltinOperator::ADD, {in0, in1}, {out});
    CHECK_THAT(runError(mb.finish(), {x, x}), Catch::Contains("per channel"));
  }
  // Missing quantization parameters.
  {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kInt8, {2, 4, 4, 3});
    int out = mb.addOutput(ElementType::kInt8, {});
    mb.addOp(fb::BuiltinOperator::TANH, {in}, {out});
    CHECK_THAT(runError(mb.finish(), {x}), Catch::Contains("no quantization parameters"));
  }
  // DIV: a divisor equal to its zero point is a division by zero.
  CHECK_THAT(runError(binaryModel<int8_t>(fb::BuiltinOperator::DIV, {2, 4, 4, 3}, {2, 4, 4, 3}, a, {0.05, 1}, a),
                      {x, x}),
             Catch::Contains("division by zero: divisor element 0 equals its zero point 1"));
}

}  // namespace

// ---------------------------------------------------------------------------
// int8 SQUARED_DIFFERENCE, RSQRT; MEAN's rounding

namespace {

std::vector<uint8_t> squaredDiffModel(const Dims& da, const Dims& db, Q qa, Q qb, Q qo) {
  OpModelBuilder mb;
  int a = mb.addInput(ElementType::kInt8, da, qp(qa));
  int b = mb.addInput(ElementType::kInt8, db, qp(qb));
  int o = mb.addOutput(ElementType::kInt8, {}, qp(qo));
  mb.addOp(fb::BuiltinOperator::SQUARED_DIFFERENCE, {a, b}, {o}, {}, 2);
  return mb.finish();
}

}  // namespace

TEST_CASE("int8 SQUARED_DIFFERENCE follows (a - b)^2 within one quantum", "[quant][squared_difference]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Hand-computed: scale 0.5 everywhere, a = 3, b = 1 -> 4 (8 quanta);
  // a = -2, b = 1.5 -> 12.25 (24.5 quanta: ties round away from zero, 25).
  const Q q{0.5, 0};
  CHECK(run<int8_t>(squaredDiffModel({2}, {2}, q, q, q), {{6, -4}, {2, 3}}) == std::vector<int8_t>{8, 25});
  // Random values, different scales, a broadcast [2, 3, 5] x [3, 1].
  const Q qa{0.05, 3}, qb{0.031, -7}, qo{0.4, -128};
  const auto a = randomValues<int8_t>(30, 11);
  const auto b = randomValues<int8_t>(3, 12);
  Dims dims;
  const auto got = run<int8_t>(squaredDiffModel({2, 3, 5}, {3, 1}, qa, qb, qo), {a, b}, &dims);
  REQUIRE(dims == Dims{2, 3, 5});
  std::vector<int8_t> want(30);
  for (size_t i = 0; i < 30; ++i) {
    const double d = deq(a[i], qa) - deq(b[(i / 5) % 3], qb);
    want[i] = quantizeReal<int8_t>(d * d, qo);
  }
  checkClose(got, want);
}

TEST_CASE("int8 SQUARED_DIFFERENCE rejects an output scale TFLite cannot represent", "[quant][squared_difference]") {
  // (2 * 1)^2 / (2^14 * 1e-5) = 24.4: the output multiplier must be below 1.
  const std::string err = runError(squaredDiffModel({2}, {2}, {1.0, 0}, {1.0, 0}, {1e-5, 0}),
                                   {InputData::of(std::vector<int8_t>{1, 2}), InputData::of(std::vector<int8_t>{3, 4})});
  CHECK_THAT(err, Catch::Contains("too small"));
}

TEST_CASE("int8 RSQRT follows 1 / sqrt(x) within one quantum over every input", "[quant][rsqrt]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qi{0.02, -128}, qo{0.03, -128};
  const auto x = allValues<int8_t>();
  const auto got = run<int8_t>(unaryModel<int8_t>(fb::BuiltinOperator::RSQRT, {256}, qi, qo), {x});
  CHECK(got[0] == 127);  // x = 0: TFLite gives the largest value
  std::vector<int8_t> want(256), rest(got.begin() + 1, got.end());
  for (size_t i = 0; i < 256; ++i) want[i] = quantizeReal<int8_t>(1.0 / std::sqrt(deq(x[i], qi)), qo);
  checkClose(rest, std::vector<int8_t>(want.begin() + 1, want.end()), 0.9);
}

TEST_CASE("int8 RSQRT rejects inputs below the zero point", "[quant][rsqrt]") {
  const auto model = unaryModel<int8_t>(fb::BuiltinOperator::RSQRT, {3}, {0.1, 0}, {0.1, 0});
  const std::string err = runError(model, {InputData::of(std::vector<int8_t>{4, -1, 9})});
  CHECK_THAT(err, Catch::Contains("non-negative"));
  CHECK_THAT(err, Catch::Contains("element 1"));
}

TEST_CASE("the fixed-point inverse square root is within 1e-5 of 1 / sqrt(x)", "[quant][util]") {
  namespace q = engine::kernels::quant;
  CHECK(q::invSqrtMultiplier(0).value == std::numeric_limits<int32_t>::max());
  CHECK(q::invSqrtMultiplier(1).shift == 0);
  for (int32_t v : {2, 3, 4, 17, 255, 1000, 65536, 123456789, 1 << 29, std::numeric_limits<int32_t>::max()}) {
    const q::Multiplier m = q::invSqrtMultiplier(v);
    const double got = m.value * std::ldexp(1.0, m.shift - 31);
    INFO("x = " << v << ": " << got);
    CHECK(std::abs(got * std::sqrt(static_cast<double>(v)) - 1.0) < 1e-5);  // five Newton steps from 1
  }
}

TEST_CASE("int8 MEAN over H and W rounds ties up in groups of 16 channels", "[quant][reduce]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Scale 0.5 in, 1 out, two values per channel: the multiplier is 0.25 and
  // a sum of -2 (a real mean of -0.5) is a tie. LiteRT's x86 kernel handles
  // channels 0-15 with NEON code (ties up: 0) and channel 16 with scalar
  // code (ties away from zero: -1).
  const std::vector<int8_t> x(34, -1);
  const auto got = run<int8_t>(reduceModel<int8_t>(fb::BuiltinOperator::MEAN, {1, 2, 1, 17}, {1, 2}, true,
                                                   {0.5, 0}, {1.0, 0}),
                               {x});
  std::vector<int8_t> want(17, 0);
  want[16] = -1;
  CHECK(got == want);
}

// ---------------------------------------------------------------------------
// 8-bit GELU, EXP, LOG, SQRT, ABS, L2_NORMALIZATION, LOG_SOFTMAX

namespace {

OptionsFn geluOptions(bool approximate) {
  return optionsOf<fb::GeluOptions>(fb::BuiltinOptions::GeluOptions,
                                    [approximate](auto& b) { return fb::CreateGeluOptions(b, approximate); });
}

}  // namespace

TEMPLATE_TEST_CASE("quantized GELU follows both forms over every input", "[quant][gelu]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  for (Q qi : {Q{0.03, zpAt<T>(-1)}, Q{0.1, zpAt<T>(40)}}) {
    INFO("input scale " << qi.scale << " zero point " << qi.zp);
    const Q qo{0.017, zpAt<T>(-118)};
    checkUnaryAllValues<T>(fb::BuiltinOperator::GELU, qi, qo,
                           [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }, geluOptions(false));
    checkUnaryAllValues<T>(fb::BuiltinOperator::GELU, qi, qo, [](double x) {
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    }, geluOptions(true));
  }
}

TEST_CASE("int8 EXP, LOG and SQRT follow the real functions over every input", "[quant][exp][log][sqrt]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  checkUnaryAllValues<int8_t>(fb::BuiltinOperator::EXP, {0.02, 25}, {0.03, -128}, [](double x) { return std::exp(x); });
  // LOG: zero (the first input) gives the lowest output value.
  const Q qi{0.0235, -128}, qo{0.0187, 31};
  const auto x = allValues<int8_t>();
  const auto got = run<int8_t>(unaryModel<int8_t>(fb::BuiltinOperator::LOG, {256}, qi, qo), {x});
  CHECK(int{got[0]} == -128);
  std::vector<int8_t> want(256);
  for (size_t i = 1; i < 256; ++i) want[i] = quantizeReal<int8_t>(std::log(deq(x[i], qi)), qo);
  checkClose(std::vector<int8_t>(got.begin() + 1, got.end()), std::vector<int8_t>(want.begin() + 1, want.end()));
  // SQRT truncates sqrt(x) / output scale toward zero (TFLite's kernel).
  const Q si{0.0235, -128}, so{0.0096, -128};
  const auto sq = run<int8_t>(unaryModel<int8_t>(fb::BuiltinOperator::SQRT, {256}, si, so), {x});
  for (size_t i = 0; i < 256; ++i) {
    want[i] = static_cast<int8_t>(std::min(127.0, std::floor(std::sqrt(deq(x[i], si)) / 0.0096f) - 128));
  }
  checkClose(sq, want, 0.95);
}

TEST_CASE("int8 SQRT rejects inputs below the zero point", "[quant][sqrt]") {
  const auto model = unaryModel<int8_t>(fb::BuiltinOperator::SQRT, {3}, {0.1, 5}, {0.1, 0});
  const std::string err = runError(model, {InputData::of(std::vector<int8_t>{5, 9, 4})});
  CHECK_THAT(err, Catch::Contains("SQRT is only defined for non-negative inputs"));
  CHECK_THAT(err, Catch::Contains("element 2"));
}

TEST_CASE("int8 ABS with the input's and with another scale", "[quant][abs]") {
  INFERD_EACH_KERNEL_PATH(gPath);
  // Same scale: |q - 3| + 10, exactly (-128 saturates).
  const auto x = allValues<int8_t>();
  const auto same = run<int8_t>(unaryModel<int8_t>(fb::BuiltinOperator::ABS, {256}, {0.05, 3}, {0.05, 10}), {x});
  for (size_t i = 0; i < 256; ++i) {
    INFO("input " << int{x[i]});
    CHECK(int{same[i]} == std::min(127, std::abs(x[i] - 3) + 10));
  }
  checkUnaryAllValues<int8_t>(fb::BuiltinOperator::ABS, {0.0196, 25}, {0.0118, -128},
                              [](double v) { return std::abs(v); }, {}, 0.9);
}

TEMPLATE_TEST_CASE("quantized L2_NORMALIZATION divides each row by its norm", "[quant][l2norm]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qi{0.02, zpAt<T>(25)}, qo{1.0 / 128, zpAt<T>(0)};
  const Dims dims = {5, 17};
  auto x = randomValues<T>(5 * 17, 31);
  std::fill(x.begin() + 17, x.begin() + 34, static_cast<T>(qi.zp));  // an all-zero row stays zero
  const auto got = run<T>(unaryModel<T>(fb::BuiltinOperator::L2_NORMALIZATION, dims, qi, qo), {x});
  std::vector<T> want(x.size());
  for (size_t r = 0; r < 5; ++r) {
    double sq = 0;
    for (size_t c = 0; c < 17; ++c) sq += deq(x[r * 17 + c], qi) * deq(x[r * 17 + c], qi);
    const double norm = std::max(std::sqrt(sq), 1e-6);
    for (size_t c = 0; c < 17; ++c) want[r * 17 + c] = quantizeReal<T>(deq(x[r * 17 + c], qi) / norm, qo);
  }
  checkClose(got, want);
  CHECK(std::all_of(got.begin() + 17, got.begin() + 34, [&](T v) { return v == static_cast<T>(qo.zp); }));
  CHECK_THAT(runError(unaryModel<T>(fb::BuiltinOperator::L2_NORMALIZATION, dims, qi, {1.0 / 64, qo.zp}),
                      {InputData::of(x)}),
             Catch::Contains("scale 1/128"));
}

TEMPLATE_TEST_CASE("quantized LOG_SOFTMAX over rows", "[quant][log_softmax]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  const Q qo{16.0 / 256, std::is_same_v<T, int8_t> ? 127 : 255};
  const Dims dims = {6, 29};
  for (Q qi : {Q{0.04, zpAt<T>(0)}, Q{0.11, zpAt<T>(-50)}}) {
    INFO("input scale " << qi.scale);
    const auto x = randomValues<T>(6 * 29, 41);
    const auto got = run<T>(unaryModel<T>(fb::BuiltinOperator::LOG_SOFTMAX, dims, qi, qo), {x});
    std::vector<T> want(x.size());
    for (size_t r = 0; r < 6; ++r) {
      double m = -1e300, sum = 0;
      for (size_t c = 0; c < 29; ++c) m = std::max(m, deq(x[r * 29 + c], qi));
      for (size_t c = 0; c < 29; ++c) sum += std::exp(deq(x[r * 29 + c], qi) - m);
      for (size_t c = 0; c < 29; ++c) want[r * 29 + c] = quantizeReal<T>(deq(x[r * 29 + c], qi) - m - std::log(sum), qo);
    }
    checkClose(got, want);
  }
  CHECK_THAT(runError(unaryModel<T>(fb::BuiltinOperator::LOG_SOFTMAX, dims, {0.04, zpAt<T>(0)}, {16.0 / 256, 0}),
                      {InputData::of(randomValues<T>(6 * 29, 1))}),
             Catch::Contains("scale 16/256"));
}

TEMPLATE_TEST_CASE("quantized DIV follows a / b within one quantum", "[quant][div]", int8_t, uint8_t) {
  using T = TestType;
  INFERD_EACH_KERNEL_PATH(gPath);
  // Hand-computed: scale 0.5 everywhere, 3 / 1.5 = 2 (4 quanta); -3 / 0.5 = -6
  // (-12); 2.5 / -0.5 = -5 (-10).
  const Q q{0.5, zpAt<T>(0)};
  auto raw = [&](std::vector<int> v) {
    std::vector<T> out;
    for (int i : v) out.push_back(static_cast<T>(i + q.zp));
    return out;
  };
  CHECK(run<T>(binaryModel<T>(fb::BuiltinOperator::DIV, {3}, {3}, q, q, q), {raw({6, -6, 5}), raw({3, 1, -1})}) ==
        raw({4, -12, -10}));
  // Random values with both divisor signs, broadcast [3, 4, 7] / [4, 1], a ReLU.
  const Q qa{0.03, zpAt<T>(-20)}, qb{0.02, zpAt<T>(5)}, qo{0.09, zpAt<T>(-10)};
  auto a = randomValues<T>(84, 51);
  auto b = randomValues<T>(4, 52);
  for (auto& v : b) {
    if (v == static_cast<T>(qb.zp)) v = static_cast<T>(qb.zp + 1);
  }
  for (auto act : {fb::ActivationFunctionType::NONE, fb::ActivationFunctionType::RELU}) {
    Dims dims;
    const auto got = run<T>(binaryModel<T>(fb::BuiltinOperator::DIV, {3, 4, 7}, {4, 1}, qa, qb, qo, act), {a, b}, &dims);
    REQUIRE(dims == Dims{3, 4, 7});
    std::vector<T> want(84);
    for (size_t i = 0; i < 84; ++i) {
      want[i] = quantizeReal<T>(clampAct(act, deq(a[i], qa) / deq(b[(i / 7) % 4], qb)), qo);
    }
    checkClose(got, want);
  }
}

TEST_CASE("the fixed-point reciprocal is within 1e-8 of 1 / x", "[quant][util]") {
  namespace q = engine::kernels::quant;
  CHECK(q::countLeadingSignBits(0) == 31);
  CHECK(q::countLeadingSignBits(-1) == 31);
  CHECK(q::countLeadingSignBits(255) == 23);
  CHECK(q::countLeadingSignBits(-256) == 23);
  // Shifts of 32 and more reproduce LiteRT's x86 result (checked against
  // LiteRT 2.3.0's int8 DIV with a dividend of one quantum): an all-ones
  // mask and the shift count modulo 32.
  CHECK(q::roundingDivideByPOTWide(-300, 3) == q::roundingDivideByPOT(-300, 3));
  CHECK(q::roundingDivideByPOTWide(0, 40) == 1);  // LiteRT's 0 / b is one quantum above the zero point
  CHECK(q::roundingDivideByPOTWide(1000, 33) == 501);
  CHECK(q::roundingDivideByPOTWide(-1000, 32) == -1000);
  for (int32_t v : {1, 2, 3, 7, 100, 255, 256, 1000, 65535, 1 << 30}) {
    const q::Reciprocal r = q::reciprocal(v);
    const double got = r.value * std::ldexp(1.0, -31 - r.bitsOverUnit);
    INFO("x = " << v << ": " << got);
    CHECK(std::abs(got * v - 1.0) < 1e-8);
  }
}
