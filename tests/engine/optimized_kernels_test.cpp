// The optimized int8 kernels (engine/src/kernels/optimized) against the
// reference arithmetic they must reproduce byte for byte:
//  - the VNNI GEMM with the int8 and the hybrid float epilogues, the
//    depthwise kernels, int8 ADD/SUB/MUL, the 8-bit table lookup and the
//    column sums of MEAN/SUM, on
//    random shapes, zero points and multipliers (left shifts, large right
//    shifts, ties);
//  - every int8 and dynamic-range model of the conformance suite and the
//    architectures (tests/data/conformance, tests/data/arch_models; more
//    folders with INFERD_EXACT_DIRS, e.g. build/arch_models), optimized on
//    1 and 2 threads vs the reference kernels: the same output bytes.
// On a CPU without AVX-512 VNNI the kernel cases are skipped (the engine
// then runs the reference loops) and the model cases still compare.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "../common/test_data.h"
#include "inferd/engine/interpreter.h"
#include "inferd/engine/npy.h"
#include "kernels/conv_util.h"
#include "kernels/optimized/cpu_features.h"
#include "kernels/optimized/qelementwise.h"
#include "kernels/optimized/qgemm.h"
#include "kernels/optimized/qreduce.h"
#include "kernels/quant_kernels.h"
#include "kernels/simd/depthwise_builtin_f32.h"
#include "kernels/simd/dispatch.h"

using namespace inferd;
using namespace inferd::engine;
using namespace inferd::engine::kernels;
namespace fs = std::filesystem;

namespace {

std::mt19937 rng(20261205);

int32_t randInt(int32_t lo, int32_t hi) { return std::uniform_int_distribution<int32_t>(lo, hi)(rng); }

std::vector<int8_t> randBytes(int64_t n) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<int8_t>(randInt(-128, 127));
  return v;
}

quant::Multiplier randMultiplier() {
  quant::Multiplier m;
  m.value = randInt(1 << 30, INT32_MAX);
  // Mostly the right shifts of real layers, sometimes left shifts or none.
  const int kind = randInt(0, 9);
  m.shift = kind == 0 ? randInt(1, 4) : kind == 1 ? 0 : -randInt(1, 31);
  if (kind >= 7) {
    // 2^30 with a small right shift: x / 2^(1 + s), exact ties for many x,
    // positive and negative (where the roundings differ).
    m.value = 1 << 30;
    m.shift = -randInt(0, 3);
  }
  return m;
}

qk::Requantizer randRequantizer(int64_t channels, bool perChannel) {
  qk::Requantizer rq;
  rq.rounding = quant::Rounding::kUp;
  for (int64_t c = 0; c < (perChannel ? channels : 1); ++c) rq.multipliers.push_back(randMultiplier());
  rq.outZeroPoint = randInt(-128, 127);
  rq.clamp.min = randInt(0, 3) == 0 ? randInt(-128, 0) : -128;
  rq.clamp.max = randInt(0, 3) == 0 ? randInt(rq.clamp.min, 127) : 127;
  return rq;
}

// The GEMM, depthwise and int8 ADD/SUB/MUL kernels have an AVX-512 VNNI
// and an AVX2 implementation.
bool haveGemm() {
  if (opt::cpuFeatures().best != opt::Isa::kReference) return true;
  WARN("no AVX2 on this CPU (or INFERD_CPU_ISA caps it): GEMM cases skipped");
  return false;
}


}  // namespace

TEST_CASE("the GEMM reproduces the reference int8 requantization", "[optimized]") {
  if (!haveGemm()) return;
  for (int iter = 0; iter < 300; ++iter) {
    const int64_t m = randInt(1, 40), n = randInt(1, 90), k = randInt(1, 300);
    const int32_t za = randInt(-128, 127);
    const std::vector<int8_t> a = randBytes(m * k), w = randBytes(n * k);
    std::vector<int32_t> bias(static_cast<size_t>(n));
    for (auto& b : bias) b = randInt(-100000, 100000);
    const qk::Requantizer rq = randRequantizer(n, randInt(0, 1) == 1);
    opt::QRequant qrq;
    REQUIRE(opt::makeQRequant(rq, n, &qrq));
    auto packed = opt::packQWeights(w.data(), n, k);
    std::vector<int32_t> colOffset(packed->sums.size());
    for (int64_t c = 0; c < n; ++c) colOffset[c] = bias[c] - (128 + za) * packed->sums[c];
    std::vector<uint8_t> rows(static_cast<size_t>(m * packed->kPadded), 0xAB);  // padding: any value
    for (int64_t r = 0; r < m; ++r) opt::copyFlip(rows.data() + r * packed->kPadded, a.data() + r * k, k);
    std::vector<int8_t> out(static_cast<size_t>(m * n), 0), expect(out.size());
    opt::Int8Epilogue e{colOffset.data(), &qrq, out.data(), n};
    opt::qgemmInt8(rows.data(), m, *packed, 0, packed->blocks, e, 0);
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        int32_t acc = bias[c];
        for (int64_t i = 0; i < k; ++i) acc += (a[r * k + i] - za) * w[c * k + i];
        expect[r * n + c] = static_cast<int8_t>(rq.apply(acc, c));
      }
    }
    INFO("m " << m << " n " << n << " k " << k << " za " << za);
    REQUIRE(out == expect);
  }
}

TEST_CASE("the GEMM's float epilogue reproduces the hybrid arithmetic", "[optimized]") {
  if (!haveGemm()) return;
  for (int iter = 0; iter < 200; ++iter) {
    const int64_t m = randInt(1, 30), n = randInt(1, 70), k = randInt(1, 200);
    const std::vector<int8_t> a = randBytes(m * k), w = randBytes(n * k);
    std::vector<int32_t> rowK(static_cast<size_t>(m)), zp(static_cast<size_t>(m));
    std::vector<float> rowScale(static_cast<size_t>(m)), ws(static_cast<size_t>(n)), bias(static_cast<size_t>(n));
    for (int64_t r = 0; r < m; ++r) {
      zp[r] = randInt(-128, 127);
      rowK[r] = 128 + zp[r];
      rowScale[r] = std::uniform_real_distribution<float>(1e-4f, 1e-1f)(rng);
    }
    for (int64_t c = 0; c < n; ++c) {
      ws[c] = std::uniform_real_distribution<float>(1e-4f, 1e-1f)(rng);
      bias[c] = std::uniform_real_distribution<float>(-3.f, 3.f)(rng);
    }
    const bool perChannel = randInt(0, 1) == 1, withBias = randInt(0, 1) == 1;
    const float lo = randInt(0, 1) ? 0.f : -INFINITY, hi = randInt(0, 1) ? 6.f : INFINITY;
    auto packed = opt::packQWeights(w.data(), n, k);
    std::vector<uint8_t> rows(static_cast<size_t>(m * packed->kPadded), 0);
    for (int64_t r = 0; r < m; ++r) opt::copyFlip(rows.data() + r * packed->kPadded, a.data() + r * k, k);
    std::vector<float> out(static_cast<size_t>(m * n)), expect(out.size());
    opt::FloatEpilogue e;
    e.rowK = rowK.data();
    e.rowScale = rowScale.data();
    e.wScale = perChannel ? ws.data() : nullptr;
    e.bias = withBias ? bias.data() : nullptr;
    e.lo = lo;
    e.hi = hi;
    e.out = out.data();
    e.ldc = n;
    opt::qgemmFloat(rows.data(), m, *packed, 0, packed->blocks, e, 0);
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        int32_t acc = 0;
        for (int64_t i = 0; i < k; ++i) acc += (a[r * k + i] - zp[r]) * w[c * k + i];
        float v = static_cast<float>(acc) * (perChannel ? ws[c] * rowScale[r] : rowScale[r]);
        if (withBias) v += bias[c];
        expect[r * n + c] = std::min(std::max(v, lo), hi);
      }
    }
    INFO("m " << m << " n " << n << " k " << k);
    REQUIRE(std::memcmp(out.data(), expect.data(), out.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("the depthwise kernels reproduce the reference", "[optimized]") {
  if (!haveGemm()) return;
  for (int iter = 0; iter < 150; ++iter) {
    opt::DepthwiseGeom g;
    g.inH = randInt(1, 12);
    g.inW = randInt(1, 12);
    g.channels = randInt(1, 40);
    g.filterH = randInt(1, 5);
    g.filterW = randInt(1, 5);
    g.strideH = randInt(1, 2);
    g.strideW = randInt(1, 2);
    g.dilationH = randInt(1, 2);
    g.dilationW = randInt(1, 2);
    g.padH = randInt(0, g.filterH - 1);
    g.padW = randInt(0, g.filterW - 1);
    g.outH = (g.inH + 2 * g.padH - (g.filterH - 1) * g.dilationH - 1) / g.strideH + 1;
    g.outW = (g.inW + 2 * g.padW - (g.filterW - 1) * g.dilationW - 1) / g.strideW + 1;
    if (g.outH <= 0 || g.outW <= 0) continue;
    const int64_t taps = g.filterH * g.filterW, c = g.channels;
    const std::vector<int8_t> in = randBytes(g.inH * g.inW * c), w = randBytes(taps * c);
    std::vector<int32_t> bias(static_cast<size_t>(c));
    for (auto& b : bias) b = randInt(-50000, 50000);
    const int32_t zp = randInt(-128, 127);
    const qk::Requantizer rq = randRequantizer(c, true);
    opt::QRequant qrq;
    REQUIRE(opt::makeQRequant(rq, c, &qrq));
    auto packed = opt::packQDepthwise(w.data(), taps, c);
    const int64_t outN = g.outH * g.outW * c;
    std::vector<int8_t> out(static_cast<size_t>(outN)), expect(out.size());
    std::vector<float> outF(static_cast<size_t>(outN)), expectF(outF.size());
    std::vector<float> ws(static_cast<size_t>(c)), fbias(static_cast<size_t>(c));
    for (int64_t i = 0; i < c; ++i) {
      ws[i] = std::uniform_real_distribution<float>(1e-3f, 1e-1f)(rng);
      fbias[i] = std::uniform_real_distribution<float>(-1.f, 1.f)(rng);
    }
    const float inScale = 0.0123f;
    opt::depthwiseInt8(g, in.data(), zp, *packed, bias.data(), qrq, out.data(), 0, g.outH);
    opt::depthwiseFloat(g, in.data(), zp, *packed, ws.data(), inScale, fbias.data(), -INFINITY, INFINITY,
                        outF.data(), 0, g.outH);
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        for (int64_t ch = 0; ch < c; ++ch) {
          int32_t acc = 0;
          for (int64_t ky = 0; ky < g.filterH; ++ky) {
            for (int64_t kx = 0; kx < g.filterW; ++kx) {
              const int64_t iy = oy * g.strideH - g.padH + ky * g.dilationH;
              const int64_t ix = ox * g.strideW - g.padW + kx * g.dilationW;
              if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
              acc += (in[(iy * g.inW + ix) * c + ch] - zp) * w[(ky * g.filterW + kx) * c + ch];
            }
          }
          const int64_t o = (oy * g.outW + ox) * c + ch;
          expect[o] = static_cast<int8_t>(rq.apply(acc + bias[ch], ch));
          const float fa = static_cast<float>(acc);
          float v = ch < (c & ~int64_t{3}) ? fa * ws[ch] * inScale : fa * inScale * ws[ch];
          expectF[o] = v + fbias[ch];
        }
      }
    }
    INFO("in " << g.inH << "x" << g.inW << "x" << c << " filter " << g.filterH << "x" << g.filterW);
    REQUIRE(out == expect);
    REQUIRE(std::memcmp(outF.data(), expectF.data(), outF.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("int8 ADD, SUB and MUL reproduce gemmlowp's arithmetic", "[optimized]") {
  if (!haveGemm()) return;
  for (int iter = 0; iter < 300; ++iter) {
    opt::QBinaryParams p;
    p.op = static_cast<opt::QBinaryOp>(randInt(0, 2));
    p.offsetA = -randInt(-128, 127);
    p.offsetB = -randInt(-128, 127);
    p.offsetOut = randInt(-128, 127);
    p.multA = randMultiplier();
    p.multB = randMultiplier();
    p.multOut = randMultiplier();
    if (p.op != opt::QBinaryOp::kMul) {
      // ADD/SUB rescale into [2^28) values: right shifts only.
      p.multA.shift = -randInt(0, 31);
      p.multB.shift = -randInt(0, 31);
    }
    p.lo = randInt(-128, 0);
    p.hi = randInt(p.lo, 127);
    const int64_t n = randInt(1, 200);
    const int64_t sa = randInt(0, 3) == 0 ? 0 : 1, sb = sa == 0 ? 1 : (randInt(0, 3) == 0 ? 0 : 1);
    const std::vector<int8_t> a = randBytes(n), b = randBytes(n);
    std::vector<int8_t> out(static_cast<size_t>(n)), expect(out.size());
    opt::qbinaryInt8(p, a.data(), sa, b.data(), sb, out.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const int32_t x = p.offsetA + a[i * sa], y = p.offsetB + b[i * sb];
      int32_t raw;
      if (p.op == opt::QBinaryOp::kMul) {
        raw = x * y;
      } else {
        const int32_t sx = quant::multiplyByQuantizedMultiplier(x * (1 << p.leftShift), p.multA);
        const int32_t sy = quant::multiplyByQuantizedMultiplier(y * (1 << p.leftShift), p.multB);
        raw = p.op == opt::QBinaryOp::kAdd ? sx + sy : sx - sy;
      }
      const int32_t v = quant::multiplyByQuantizedMultiplier(raw, p.multOut) + p.offsetOut;
      expect[i] = static_cast<int8_t>(std::min(std::max(v, p.lo), p.hi));
    }
    INFO("op " << static_cast<int>(p.op) << " n " << n << " sa " << sa << " sb " << sb);
    REQUIRE(out == expect);
  }
}

TEST_CASE("the 8-bit table lookup reads every entry", "[optimized]") {
  if (!haveGemm()) return;
  uint8_t table[256];
  for (int i = 0; i < 256; ++i) table[i] = static_cast<uint8_t>(randInt(0, 255));
  for (int64_t n : {1, 31, 32, 33, 63, 64, 65, 256, 1000}) {
    std::vector<uint8_t> x(static_cast<size_t>(n)), y(x.size());
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<uint8_t>(i * 37 + 11);
    opt::lookup8(table, x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) REQUIRE(y[i] == table[x[i]]);
    std::fill(y.begin(), y.end(), 0);
    opt::lookup8Avx2(table, x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) REQUIRE(y[i] == table[x[i]]);
  }
}

TEST_CASE("the 8-bit column sums of MEAN and SUM add every row", "[optimized]") {
  if (!haveGemm()) return;
  for (int64_t cols : {1, 15, 16, 17, 31, 32, 33, 64, 100, 1000}) {
    for (int64_t rows : {1, 7, 49, 3000}) {
      const int64_t stride = cols + randInt(0, 3);
      const std::vector<int8_t> in = randBytes(rows * stride);
      std::vector<int32_t> got(static_cast<size_t>(cols) + 1, 12345), gotU(got);
      opt::columnSumsInt8(in.data(), rows, cols, stride, got.data());
      opt::columnSumsUint8(reinterpret_cast<const uint8_t*>(in.data()), rows, cols, stride, gotU.data());
      for (int64_t c = 0; c < cols; ++c) {
        int32_t want = 0, wantU = 0;
        for (int64_t r = 0; r < rows; ++r) {
          want += in[r * stride + c];
          wantU += static_cast<uint8_t>(in[r * stride + c]);
        }
        REQUIRE(got[c] == want);
        REQUIRE(gotU[c] == wantU);
      }
      REQUIRE(got[cols] == 12345);  // nothing written past the last column
      REQUIRE(gotU[cols] == 12345);
    }
  }
}

namespace {

std::vector<float> randFloats(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::uniform_real_distribution<float> d(-2.f, 2.f);
  for (auto& x : v) x = randInt(0, 15) == 0 ? 0.f : d(rng);  // some exact zeros (signed-zero sums)
  return v;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

// The builtin-order float paths (float layers of dynamic-range models):
// the AVX2 GEMM twin (simd/gemm_panels_f32.h) against conv_util.h's
// gemmF32, every tail of its 6-row x 16-column tiles, with and without a
// bias, bit for bit.
TEST_CASE("the AVX2 builtin-order float GEMM gives gemmF32's bits", "[optimized][float]") {
  if (!simd::hasAvx2()) return;
  for (int64_t n : {1, 5, 8, 9, 16, 17, 24, 29, 40}) {
    for (int64_t m : {1, 5, 6, 7, 13, 48}) {
      for (int64_t k : {1, 3, 27, 64}) {
        for (bool withBias : {true, false}) {
          const std::vector<float> a = randFloats(m * (k + 2)), b = randFloats(k * n), bias = randFloats(n);
          std::vector<float> packed(static_cast<size_t>(packedPanelFloats(k, n)));
          packPanels(b.data(), k, n, [&](int64_t kk, int64_t nn) { return kk * n + nn; }, packed.data());
          const ActivationRange act = randInt(0, 1) == 0 ? ActivationRange{0.f, 6.f} : ActivationRange{-1e30f, 1e30f};
          // Output rows with a stride: nothing written between them.
          const int64_t ldc = n + 3;
          std::vector<float> want(static_cast<size_t>(m * ldc), 7.f), got(want);
          const float* bp = withBias ? bias.data() : nullptr;
          gemmF32(m, n, k, a.data(), k + 2, packed.data(), bp, act, want.data(), ldc, false);
          simd::gemmPanelsF32Avx2(m, n, k, a.data(), k + 2, packed.data(), bp, act.min, act.max, got.data(), ldc);
          INFO("m " << m << " n " << n << " k " << k << " bias " << withBias);
          REQUIRE(sameBits(got, want));
        }
      }
    }
  }
}

// The AVX2 twin of the reference float depthwise (multiplier 1) against
// its order written out: bias (or zero), then the taps inside the input in
// row-major order, a multiply and an add each, then the clamp.
TEST_CASE("the AVX2 builtin-order float depthwise gives the reference order's bits", "[optimized][float]") {
  if (!simd::hasAvx2()) return;
  struct G {
    int64_t h, w, c, fh, fw, stride, pad, dilation;
  };
  const std::vector<G> geometries = {
      {9, 11, 8, 3, 3, 1, 1, 1},   {10, 10, 16, 3, 3, 2, 0, 1}, {7, 13, 37, 3, 3, 1, 1, 1},
      {12, 9, 3, 5, 5, 2, 2, 1},   {8, 8, 48, 3, 3, 1, 2, 2},   {5, 6, 72, 5, 5, 1, 2, 1},
      {1, 1, 19, 3, 3, 1, 1, 1},   {6, 7, 33, 1, 1, 1, 0, 1},
  };
  for (const G& t : geometries) {
    for (bool withBias : {true, false}) {
      simd::DepthwiseBuiltinGeometry g;
      g.inH = t.h, g.inW = t.w, g.channels = t.c, g.filterH = t.fh, g.filterW = t.fw;
      g.strideH = g.strideW = t.stride, g.padH = g.padW = t.pad, g.dilationH = g.dilationW = t.dilation;
      g.outH = (t.h + 2 * t.pad - t.dilation * (t.fh - 1) - 1) / t.stride + 1;
      g.outW = (t.w + 2 * t.pad - t.dilation * (t.fw - 1) - 1) / t.stride + 1;
      const int64_t batches = 2;
      const std::vector<float> in = randFloats(batches * t.h * t.w * t.c), w = randFloats(t.fh * t.fw * t.c),
                               bias = randFloats(t.c);
      const float lo = -1.5f, hi = 1.5f;
      const int64_t outSize = batches * g.outH * g.outW * t.c;
      std::vector<float> want(static_cast<size_t>(outSize)), got(want.size(), 9.f);
      for (int64_t b = 0; b < batches; ++b) {
        for (int64_t oy = 0; oy < g.outH; ++oy) {
          for (int64_t ox = 0; ox < g.outW; ++ox) {
            for (int64_t c = 0; c < t.c; ++c) {
              float total = withBias ? bias[c] : 0.f;
              for (int64_t ky = 0; ky < t.fh; ++ky) {
                const int64_t iy = oy * t.stride - t.pad + ky * t.dilation;
                if (iy < 0 || iy >= t.h) continue;
                for (int64_t kx = 0; kx < t.fw; ++kx) {
                  const int64_t ix = ox * t.stride - t.pad + kx * t.dilation;
                  if (ix < 0 || ix >= t.w) continue;
                  const float product = in[((b * t.h + iy) * t.w + ix) * t.c + c] * w[(ky * t.fw + kx) * t.c + c];
                  total += product;
                }
              }
              want[((b * g.outH + oy) * g.outW + ox) * t.c + c] = std::min(std::max(total, lo), hi);
            }
          }
        }
      }
      // Two calls over a split of the rows, as two threads do.
      const int64_t rows = batches * g.outH, half = rows / 2;
      const float* bp = withBias ? bias.data() : nullptr;
      simd::depthwiseBuiltinRowsAvx2(g, in.data(), w.data(), bp, lo, hi, got.data(), 0, half);
      simd::depthwiseBuiltinRowsAvx2(g, in.data(), w.data(), bp, lo, hi, got.data(), half, rows);
      INFO("in " << t.h << "x" << t.w << "x" << t.c << " filter " << t.fh << "x" << t.fw << " stride " << t.stride
                 << " pad " << t.pad << " dilation " << t.dilation << " bias " << withBias);
      REQUIRE(sameBits(got, want));
    }
  }
}

namespace {

struct Case {
  std::string dir, name;
};

std::vector<Case> quantizedCases() {
  std::vector<std::string> dirs = {test::testDataPath("conformance"), test::testDataPath("arch_models")};
  if (const char* extra = std::getenv("INFERD_EXACT_DIRS"); extra != nullptr && *extra != 0) {
    std::stringstream ss(extra);
    std::string d;
    while (std::getline(ss, d, ':')) dirs.push_back(d);
  }
  std::vector<Case> cases;
  for (const std::string& dir : dirs) {
    std::ifstream in(fs::path(dir) / "manifest.tsv");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::stringstream ss(line);
      std::string name, form;
      std::getline(ss, name, '\t');
      std::getline(ss, form, '\t');
      if (form == "int8" || form == "dynamic") cases.push_back({dir, name});
    }
  }
  return cases;
}

// Output bytes of the model on its committed inputs.
std::vector<std::vector<uint8_t>> run(const std::shared_ptr<const Model>& model, const std::string& caseDir,
                                      bool optimized, int threads) {
  InterpreterOptions o;
  o.optimizedKernels = optimized;
  o.numThreads = threads;
  auto interp = Interpreter::create(model, o);
  REQUIRE(interp.isOk());
  for (size_t i = 0; i < (*interp)->numInputs(); ++i) {
    auto npy = readNpy(caseDir + "/input_" + std::to_string(i) + ".npy");
    REQUIRE(npy.isOk());
    Tensor& t = (*interp)->input(i);
    REQUIRE(npy->data.size() == t.bytes);
    std::memcpy(t.data, npy->data.data(), t.bytes);
  }
  REQUIRE((*interp)->invoke().isOk());
  std::vector<std::vector<uint8_t>> outs;
  for (size_t i = 0; i < (*interp)->numOutputs(); ++i) {
    const Tensor& t = (*interp)->output(i);
    outs.emplace_back(t.data, t.data + t.bytes);
  }
  return outs;
}

}  // namespace

TEST_CASE("optimized kernels give the reference kernels' bytes on every int8 and dynamic-range model",
          "[optimized]") {
  const std::vector<Case> cases = quantizedCases();
  REQUIRE(cases.size() >= 50);
  for (const Case& c : cases) {
    const std::string caseDir = (fs::path(c.dir) / c.name).string();
    auto model = Model::load(caseDir + "/model.tflite");
    INFO(c.name);
    REQUIRE(model.isOk());
    const auto reference = run(*model, caseDir, false, 1);
    CHECK(run(*model, caseDir, true, 1) == reference);
    CHECK(run(*model, caseDir, true, 2) == reference);
  }
}
