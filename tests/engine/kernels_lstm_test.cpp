// UNIDIRECTIONAL_SEQUENCE_LSTM against a double-precision reference written
// from the LSTM equations: plain, CIFG + peephole + projection + clipping +
// time-major, state carried across invokes, and hybrid int8 weights
// (against the reference on the dequantized weights, within the error of
// quantizing activations to 8 bits). Converter-made models are checked
// against LiteRT in control_flow_models_test.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "op_test_util.h"

using namespace inferd;
using namespace inferd::engine;
using test::OpModelBuilder;
namespace fb = ::inferd::tflite;

namespace {

struct LstmSpec {
  int batch = 2, steps = 3, nIn = 3, nCell = 4, nOut = 4;
  bool cifg = false, peephole = false, projection = false, timeMajor = false;
  float cellClip = 0, projClip = 0;
  bool hybrid = false, asymmetric = false;
};

struct LstmWeights {
  std::vector<float> wx[4], wh[4], bias[4], peep[3], proj, projBias;  // gates i, f, c, o
};

LstmWeights randomWeights(const LstmSpec& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.7f, 0.7f);
  auto vec = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
  };
  LstmWeights w;
  for (int g = 0; g < 4; ++g) {
    if (g == 0 && s.cifg) continue;
    w.wx[g] = vec(static_cast<size_t>(s.nCell * s.nIn));
    w.wh[g] = vec(static_cast<size_t>(s.nCell * s.nOut));
    w.bias[g] = vec(static_cast<size_t>(s.nCell));
  }
  if (s.peephole) {
    for (int p = 0; p < 3; ++p) {
      if (p == 0 && s.cifg) continue;
      w.peep[p] = vec(static_cast<size_t>(s.nCell));
    }
  }
  if (s.projection) {
    w.proj = vec(static_cast<size_t>(s.nOut * s.nCell));
    w.projBias = vec(static_cast<size_t>(s.nOut));
  }
  return w;
}

// Symmetric int8 with one scale: max|w| / 127; returns the dequantized copy
// (what the reference uses) and fills bytes/scale.
std::vector<float> quantizeWeights(const std::vector<float>& w, std::vector<int8_t>* q, float* scale) {
  float m = 0;
  for (float v : w) m = std::max(m, std::fabs(v));
  *scale = m / 127.f;
  q->clear();
  std::vector<float> back;
  for (float v : w) {
    q->push_back(static_cast<int8_t>(std::lround(v / *scale)));
    back.push_back(static_cast<float>(q->back()) * *scale);
  }
  return back;
}

std::vector<uint8_t> buildLstm(const LstmSpec& s, LstmWeights& w) {
  OpModelBuilder m;
  const Dims inDims = s.timeMajor ? Dims{s.steps, s.batch, s.nIn} : Dims{s.batch, s.steps, s.nIn};
  const int input = m.addInput(ElementType::kFloat32, inDims);
  std::vector<int> ins(24, -1);
  ins[0] = input;
  auto matrix = [&](std::vector<float>& v, int rows, int cols) {
    if (!s.hybrid) return m.addConstant<float>(ElementType::kFloat32, {rows, cols}, v);
    std::vector<int8_t> q;
    float scale = 0;
    v = quantizeWeights(v, &q, &scale);  // the reference sees the dequantized weights
    QuantParams qp;
    qp.scale = {scale};
    qp.zeroPoint = {0};
    return m.addConstant<int8_t>(ElementType::kInt8, {rows, cols}, q, qp);
  };
  for (int g = 0; g < 4; ++g) {
    if (w.wx[g].empty()) continue;
    ins[static_cast<size_t>(1 + g)] = matrix(w.wx[g], s.nCell, s.nIn);
    ins[static_cast<size_t>(5 + g)] = matrix(w.wh[g], s.nCell, s.nOut);
    ins[static_cast<size_t>(12 + g)] = m.addConstant<float>(ElementType::kFloat32, {s.nCell}, w.bias[g]);
  }
  for (int p = 0; p < 3; ++p) {
    if (!w.peep[p].empty()) {
      ins[static_cast<size_t>(9 + p)] = m.addConstant<float>(ElementType::kFloat32, {s.nCell}, w.peep[p]);
    }
  }
  if (s.projection) {
    ins[16] = matrix(w.proj, s.nOut, s.nCell);
    ins[17] = m.addConstant<float>(ElementType::kFloat32, {s.nOut}, w.projBias);
  }
  ins[18] = m.addVariable(ElementType::kFloat32, {s.batch, s.nOut});
  ins[19] = m.addVariable(ElementType::kFloat32, {s.batch, s.nCell});
  const Dims outDims = s.timeMajor ? Dims{s.steps, s.batch, s.nOut} : Dims{s.batch, s.steps, s.nOut};
  const int out = m.addOutput(ElementType::kFloat32, outDims);
  const LstmSpec spec = s;
  m.addOp(fb::BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM, ins, {out},
          [spec](flatbuffers::FlatBufferBuilder& b) {
            return std::make_pair(fb::BuiltinOptions::UnidirectionalSequenceLSTMOptions,
                                  fb::CreateUnidirectionalSequenceLSTMOptions(
                                      b, fb::ActivationFunctionType::TANH, spec.cellClip, spec.projClip,
                                      spec.timeMajor, spec.asymmetric)
                                      .Union());
          });
  return m.finish();
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double clip(double x, double c) { return c > 0 ? std::clamp(x, -c, c) : x; }

// The LSTM equations in double precision; h and c carry the state.
std::vector<float> reference(const LstmSpec& s, const LstmWeights& w, const std::vector<float>& x,
                             std::vector<double>& h, std::vector<double>& c) {
  std::vector<float> out(static_cast<size_t>(s.batch * s.steps * s.nOut));
  for (int t = 0; t < s.steps; ++t) {
    for (int b = 0; b < s.batch; ++b) {
      const size_t row = s.timeMajor ? static_cast<size_t>(t * s.batch + b) : static_cast<size_t>(b * s.steps + t);
      const float* xt = x.data() + row * static_cast<size_t>(s.nIn);
      double* hb = h.data() + b * s.nOut;
      double* cb = c.data() + b * s.nCell;
      std::vector<double> pre[4], m(static_cast<size_t>(s.nCell));
      for (int g = 0; g < 4; ++g) {
        if (w.wx[g].empty()) continue;
        pre[g].assign(static_cast<size_t>(s.nCell), 0.0);
        for (int k = 0; k < s.nCell; ++k) {
          double acc = w.bias[g][static_cast<size_t>(k)];
          for (int j = 0; j < s.nIn; ++j) acc += double{w.wx[g][static_cast<size_t>(k * s.nIn + j)]} * xt[j];
          for (int j = 0; j < s.nOut; ++j) acc += double{w.wh[g][static_cast<size_t>(k * s.nOut + j)]} * hb[j];
          pre[g][static_cast<size_t>(k)] = acc;
        }
      }
      for (int k = 0; k < s.nCell; ++k) {
        const auto kk = static_cast<size_t>(k);
        auto peep = [&](int p, double cell) { return w.peep[p].empty() ? 0.0 : w.peep[p][kk] * cell; };
        const double f = sigmoid(pre[1][kk] + peep(1, cb[k]));
        const double i = s.cifg ? 1.0 - f : sigmoid(pre[0][kk] + peep(0, cb[k]));
        cb[k] = clip(f * cb[k] + i * std::tanh(pre[2][kk]), s.cellClip);
        const double o = sigmoid(pre[3][kk] + peep(2, cb[k]));
        m[kk] = o * std::tanh(cb[k]);
      }
      for (int j = 0; j < s.nOut; ++j) {
        double v = m[static_cast<size_t>(j)];
        if (s.projection) {
          v = w.projBias[static_cast<size_t>(j)];
          for (int k = 0; k < s.nCell; ++k) v += double{w.proj[static_cast<size_t>(j * s.nCell + k)]} * m[static_cast<size_t>(k)];
          v = clip(v, s.projClip);
        }
        hb[j] = v;
        out[row * static_cast<size_t>(s.nOut) + static_cast<size_t>(j)] = static_cast<float>(v);
      }
    }
  }
  return out;
}

double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double{a[i]} - b[i]));
  return d;
}

// Runs `invokes` invokes on one interpreter with different inputs and
// compares each with the reference (state carried over).
void checkLstm(const LstmSpec& s, double tolerance, uint32_t seed) {
  LstmWeights w = randomWeights(s, seed);
  const auto model = buildLstm(s, w);
  auto loaded = Model::loadFromBuffer(model.data(), model.size(), "lstm");
  REQUIRE(loaded.isOk());
  auto interp = Interpreter::create(loaded.value());
  if (!interp) FAIL(interp.status().toString());
  Interpreter& in = *interp.value();
  std::vector<double> h(static_cast<size_t>(s.batch * s.nOut), 0.0), c(static_cast<size_t>(s.batch * s.nCell), 0.0);
  std::mt19937 rng(seed + 1);
  std::uniform_real_distribution<float> u(-1.5f, 1.5f);
  for (int invoke = 0; invoke < 2; ++invoke) {
    std::vector<float> x(static_cast<size_t>(s.batch * s.steps * s.nIn));
    for (float& v : x) v = u(rng);
    std::memcpy(in.input(0).data, x.data(), x.size() * sizeof(float));
    REQUIRE(in.invoke().isOk());
    const std::vector<float> want = reference(s, w, x, h, c);
    const float* o = in.output(0).as<float>();
    const std::vector<float> got(o, o + want.size());
    INFO("invoke " << invoke);
    CHECK(in.output(0).dims == (s.timeMajor ? Dims{s.steps, s.batch, s.nOut} : Dims{s.batch, s.steps, s.nOut}));
    CHECK(maxAbsDiff(got, want) <= tolerance);
  }
}

}  // namespace

TEST_CASE("LSTM float matches the LSTM equations, state carried across invokes", "[lstm]") {
  LstmSpec s;
  checkLstm(s, 1e-5, 11);
}

TEST_CASE("LSTM float with CIFG, peephole, projection, clipping and time-major input", "[lstm]") {
  LstmSpec s;
  s.cifg = true;
  s.peephole = true;
  s.projection = true;
  s.nCell = 5;
  s.nOut = 3;
  s.timeMajor = true;
  s.steps = 4;
  s.cellClip = 0.4f;
  s.projClip = 0.3f;
  checkLstm(s, 1e-5, 23);
  s.cifg = false;  // peephole on all three gates
  s.cellClip = s.projClip = 0;
  checkLstm(s, 1e-5, 29);
}

TEST_CASE("hybrid LSTM (int8 weights) is close to the float LSTM on the same weights", "[lstm]") {
  LstmSpec s;
  s.hybrid = true;
  s.nIn = 6;
  s.nCell = 8;
  s.nOut = 8;
  // Activations quantized to 8 bits: half a step of max|x| / 127 per
  // element, summed over up to 8 inputs with weights below 0.7.
  SECTION("symmetric inputs") { checkLstm(s, 0.03, 31); }
  SECTION("asymmetric inputs") {
    s.asymmetric = true;
    checkLstm(s, 0.03, 37);
  }
  SECTION("with projection") {
    s.projection = true;
    s.nOut = 5;
    checkLstm(s, 0.04, 41);
  }
}

TEST_CASE("LSTM refuses what it cannot run", "[lstm]") {
  // A CIFG LSTM with a layer-norm coefficient (input 21).
  OpModelBuilder m;
  const int input = m.addInput(ElementType::kFloat32, {1, 1, 2});
  std::vector<int> ins(24, -1);
  ins[0] = input;
  for (int g = 1; g < 4; ++g) {
    ins[static_cast<size_t>(1 + g)] = m.addConstant<float>(ElementType::kFloat32, {2, 2}, {1, 0, 0, 1});
    ins[static_cast<size_t>(5 + g)] = m.addConstant<float>(ElementType::kFloat32, {2, 2}, {1, 0, 0, 1});
    ins[static_cast<size_t>(12 + g)] = m.addConstant<float>(ElementType::kFloat32, {2}, {0, 0});
  }
  ins[18] = m.addVariable(ElementType::kFloat32, {1, 2});
  ins[19] = m.addVariable(ElementType::kFloat32, {1, 2});
  ins[21] = m.addConstant<float>(ElementType::kFloat32, {2}, {1, 1});
  const int out = m.addOutput(ElementType::kFloat32, {1, 1, 2});
  m.addOp(fb::BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM, ins, {out});
  auto r = test::runModel(m.finish(), {test::InputData::of(std::vector<float>{1, 2})});
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::Contains("layer-normalized"));
  CHECK(r.status().code() == StatusCode::kUnsupported);
}
