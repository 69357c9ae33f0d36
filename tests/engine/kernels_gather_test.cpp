// Tests for the index and axis kernels (GATHER, GATHER_ND, EMBEDDING_LOOKUP,
// ONE_HOT, ARG_MAX, ARG_MIN, CUMSUM), BATCH_MATMUL and SPACE_TO_BATCH_ND /
// BATCH_TO_SPACE_ND. Expectations are hand-computed or come from naive
// multi-index loops written here (a triple-loop matmul over explicit
// transposes, numpy's take/gather_nd formulas, TF's space_to_batch formula).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_catch.h"

namespace {

using namespace inferd;
using namespace inferd::test;
using Op = fb::BuiltinOperator;

OptionsFn gatherOptions(int axis, int batchDims) {
  return opts(fb::BuiltinOptions::GatherOptions, [=](auto& b) { return fb::CreateGatherOptions(b, axis, batchDims); });
}

// ---------------------------------------------------------------- GATHER

TEST_CASE("GATHER along axis 0 and axis 1 with 2-D indices", "[gather]") {
  // params [3, 4] = 0..11.
  OpModelBuilder mb;
  int p = mb.addInput(ElementType::kFloat32, {3, 4});
  int idx = mb.addConstant<int32_t>(ElementType::kInt32, {2, 2}, {3, 0, 1, 1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::GATHER, {p, idx}, {out}, gatherOptions(-1, 0));
  auto outs = runOk(mb.finish(), {InputData::of(iota<float>(12))});
  CHECK(outs[0].dims == Dims{3, 2, 2});
  // out[i, a, b] = params[i, idx[a, b]]
  CHECK(outs[0].values<float>() == std::vector<float>{3, 0, 1, 1, 7, 4, 5, 5, 11, 8, 9, 9});

  OpModelBuilder m0;
  int p0 = m0.addInput(ElementType::kInt8, {3, 2});
  int i0 = m0.addInput(ElementType::kInt64, {2});
  int o0 = m0.addOutput(ElementType::kInt8, {});
  m0.addOp(Op::GATHER, {p0, i0}, {o0});  // no options: axis 0
  outs = runOk(m0.finish(), {InputData::of(std::vector<int8_t>{1, 2, 3, 4, 5, 6}), InputData::of(std::vector<int64_t>{2, 0})});
  CHECK(outs[0].dims == Dims{2, 2});
  CHECK(outs[0].values<int8_t>() == std::vector<int8_t>{5, 6, 1, 2});
}

TEST_CASE("GATHER with batch_dims takes indices per batch", "[gather]") {
  // params [2, 3, 2], indices [2, 2], axis 1, batch_dims 1:
  // out[b, j, k] = params[b, idx[b, j], k].
  const auto params = iota<int32_t>(12);
  const std::vector<int32_t> idx{2, 0, 1, 1};
  OpModelBuilder mb;
  int p = mb.addInput(ElementType::kInt32, {2, 3, 2});
  int i = mb.addConstant<int32_t>(ElementType::kInt32, {2, 2}, idx);
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::GATHER, {p, i}, {out}, gatherOptions(1, 1));
  auto outs = runOk(mb.finish(), {InputData::of(params)});
  REQUIRE(outs[0].dims == Dims{2, 2, 2});
  auto y = outs[0].values<int32_t>();
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) {
        const int src = (b * 3 + idx[static_cast<size_t>(b * 2 + j)]) * 2 + k;
        CHECK(y[static_cast<size_t>((b * 2 + j) * 2 + k)] == params[static_cast<size_t>(src)]);
      }
}

TEST_CASE("GATHER fails on an out-of-range index and bad batch_dims", "[gather][error]") {
  OpModelBuilder mb;
  int p = mb.addInput(ElementType::kFloat32, {3});
  int i = mb.addInput(ElementType::kInt32, {2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::GATHER, {p, i}, {out});
  auto model = mb.finish();
  CHECK_THAT(runError(model, {InputData::of(iota<float>(3)), InputData::of(std::vector<int32_t>{0, 3})}),
             Catch::Contains("out of range"));
  CHECK_THAT(runError(model, {InputData::of(iota<float>(3)), InputData::of(std::vector<int32_t>{-1, 0})}),
             Catch::Contains("out of range"));
  OpModelBuilder bd;
  int bp = bd.addInput(ElementType::kFloat32, {2, 3});
  int bi = bd.addConstant<int32_t>(ElementType::kInt32, {3, 1}, {0, 0, 0});
  int bo = bd.addOutput(ElementType::kFloat32, {});
  bd.addOp(Op::GATHER, {bp, bi}, {bo}, gatherOptions(1, 1));
  CHECK_THAT(runError(bd.finish(), {InputData::of(iota<float>(6))}), Catch::Contains("batch dimension"));
}

// ---------------------------------------------------------------- GATHER_ND

TEST_CASE("GATHER_ND gathers elements and slices", "[gather_nd]") {
  // params [2, 2, 3] = 0..11.
  {
    OpModelBuilder mb;
    int p = mb.addInput(ElementType::kFloat32, {2, 2, 3});
    int i = mb.addConstant<int32_t>(ElementType::kInt32, {2, 3}, {1, 0, 2, 0, 1, 1});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::GATHER_ND, {p, i}, {out});
    auto outs = runOk(mb.finish(), {InputData::of(iota<float>(12))});
    CHECK(outs[0].dims == Dims{2});
    CHECK(outs[0].values<float>() == std::vector<float>{8, 4});
  }
  OpModelBuilder mb;
  int p = mb.addInput(ElementType::kInt64, {2, 2, 3});
  int i = mb.addConstant<int64_t>(ElementType::kInt64, {3, 1, 1}, {1, 0, 1});
  int out = mb.addOutput(ElementType::kInt64, {});
  mb.addOp(Op::GATHER_ND, {p, i}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(iota<int64_t>(12))});
  CHECK(outs[0].dims == Dims{3, 1, 2, 3});
  auto y = outs[0].values<int64_t>();
  CHECK(std::vector<int64_t>(y.begin(), y.begin() + 6) == iota<int64_t>(6, 6));
  CHECK(std::vector<int64_t>(y.begin() + 6, y.begin() + 12) == iota<int64_t>(6, 0));
}

TEST_CASE("GATHER_ND fails on an out-of-range index or too deep indices", "[gather_nd][error]") {
  OpModelBuilder mb;
  int p = mb.addInput(ElementType::kFloat32, {2, 2});
  int i = mb.addInput(ElementType::kInt32, {1, 2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::GATHER_ND, {p, i}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(iota<float>(4)), InputData::of(std::vector<int32_t>{0, 2})}),
             Catch::Contains("out of range"));
  OpModelBuilder deep;
  int dp = deep.addInput(ElementType::kFloat32, {2});
  int di = deep.addConstant<int32_t>(ElementType::kInt32, {1, 2}, {0, 0});
  int dout = deep.addOutput(ElementType::kFloat32, {});
  deep.addOp(Op::GATHER_ND, {dp, di}, {dout});
  CHECK_THAT(runError(deep.finish(), {InputData::of(iota<float>(2))}), Catch::Contains("dimensions"));
}

// ---------------------------------------------------------------- EMBEDDING_LOOKUP

TEST_CASE("EMBEDDING_LOOKUP copies rows; out-of-range ids fail", "[embedding_lookup]") {
  OpModelBuilder mb;
  int ids = mb.addInput(ElementType::kInt32, {3});
  int table = mb.addConstant<float>(ElementType::kFloat32, {3, 2}, {0.f, 0.5f, 1.f, 1.5f, 2.f, 2.5f});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::EMBEDDING_LOOKUP, {ids, table}, {out});
  auto model = mb.finish();
  auto outs = runOk(model, {InputData::of(std::vector<int32_t>{2, 0, 2})});
  CHECK(outs[0].dims == Dims{3, 2});
  CHECK(outs[0].values<float>() == std::vector<float>{2.f, 2.5f, 0.f, 0.5f, 2.f, 2.5f});
  CHECK_THAT(runError(model, {InputData::of(std::vector<int32_t>{0, 3, 1})}), Catch::Contains("out of range"));
}

// ---------------------------------------------------------------- ONE_HOT

std::vector<uint8_t> oneHotModel(Dims indexDims, int axis, int32_t depth) {
  OpModelBuilder mb;
  int i = mb.addInput(ElementType::kInt32, indexDims);
  int d = mb.addConstant<int32_t>(ElementType::kInt32, {}, {depth});
  int on = mb.addConstant<float>(ElementType::kFloat32, {}, {5.f});
  int off = mb.addConstant<float>(ElementType::kFloat32, {}, {-1.f});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::ONE_HOT, {i, d, on, off}, {out},
           opts(fb::BuiltinOptions::OneHotOptions, [axis](auto& b) { return fb::CreateOneHotOptions(b, axis); }));
  return mb.finish();
}

TEST_CASE("ONE_HOT with axis -1 and 0; out-of-range indices give off_value", "[one_hot]") {
  auto outs = runOk(oneHotModel({3}, -1, 3), {InputData::of(std::vector<int32_t>{0, 2, 5})});
  CHECK(outs[0].dims == Dims{3, 3});
  CHECK(outs[0].values<float>() == std::vector<float>{5, -1, -1, -1, -1, 5, -1, -1, -1});
  outs = runOk(oneHotModel({3}, 0, 2), {InputData::of(std::vector<int32_t>{1, -1, 0})});
  CHECK(outs[0].dims == Dims{2, 3});
  CHECK(outs[0].values<float>() == std::vector<float>{-1, -1, 5, 5, -1, -1});
}

TEST_CASE("ONE_HOT rejects an axis beyond the output rank and negative depth", "[one_hot][error]") {
  CHECK_THAT(runError(oneHotModel({3}, 3, 2), {InputData::of(std::vector<int32_t>{0, 1, 0})}), Catch::Contains("axis"));
  CHECK_THAT(runError(oneHotModel({3}, -1, -2), {InputData::of(std::vector<int32_t>{0, 1, 0})}), Catch::Contains("depth"));
}

// ---------------------------------------------------------------- ARG_MAX, ARG_MIN

std::vector<uint8_t> argModel(Op op, ElementType inType, Dims dims, int32_t axis, ElementType outType) {
  OpModelBuilder mb;
  int in = mb.addInput(inType, dims);
  int ax = mb.addConstant<int32_t>(ElementType::kInt32, {1}, {axis});
  int out = mb.addOutput(outType, {});
  auto tt = static_cast<fb::TensorType>(outType);
  if (op == Op::ARG_MAX) {
    mb.addOp(op, {in, ax}, {out}, opts(fb::BuiltinOptions::ArgMaxOptions, [tt](auto& b) { return fb::CreateArgMaxOptions(b, tt); }));
  } else {
    mb.addOp(op, {in, ax}, {out}, opts(fb::BuiltinOptions::ArgMinOptions, [tt](auto& b) { return fb::CreateArgMinOptions(b, tt); }));
  }
  return mb.finish();
}

TEST_CASE("ARG_MAX / ARG_MIN along an axis; ties pick the first index", "[argminmax]") {
  // [[1, 5, 5], [7, 0, 7]]
  const std::vector<float> x{1, 5, 5, 7, 0, 7};
  auto outs = runOk(argModel(Op::ARG_MAX, ElementType::kFloat32, {2, 3}, 1, ElementType::kInt64), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{2});
  CHECK(outs[0].values<int64_t>() == std::vector<int64_t>{1, 0});
  outs = runOk(argModel(Op::ARG_MIN, ElementType::kFloat32, {2, 3}, -2, ElementType::kInt32), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{3});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{0, 1, 0});
  outs = runOk(argModel(Op::ARG_MAX, ElementType::kInt32, {4}, 0, ElementType::kInt32),
               {InputData::of(std::vector<int32_t>{-3, 9, -20, 9})});
  CHECK(outs[0].dims.empty());
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{1});
  outs = runOk(argModel(Op::ARG_MIN, ElementType::kUInt8, {3}, 0, ElementType::kInt32),
               {InputData::of(std::vector<uint8_t>{200, 3, 3})});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{1});
}

TEST_CASE("ARG_MAX rejects a bad axis and a FLOAT32 output", "[argminmax][error]") {
  CHECK_THAT(runError(argModel(Op::ARG_MAX, ElementType::kFloat32, {2, 3}, 2, ElementType::kInt32),
                      {InputData::of(std::vector<float>(6))}),
             Catch::Contains("axis"));
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2});
  int ax = mb.addConstant<int32_t>(ElementType::kInt32, {}, {0});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::ARG_MAX, {in, ax}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>(2))}), Catch::Contains("output type"));
}

// ---------------------------------------------------------------- CUMSUM

TEST_CASE("CUMSUM with exclusive and reverse", "[cumsum]") {
  // [[1, 2, 3], [4, 5, 6]] along axis 1.
  struct Case {
    bool exclusive, reverse;
    std::vector<float> expected;
  };
  for (const Case& c : {Case{false, false, {1, 3, 6, 4, 9, 15}}, Case{true, false, {0, 1, 3, 0, 4, 9}},
                        Case{false, true, {6, 5, 3, 15, 11, 6}}, Case{true, true, {5, 3, 0, 11, 6, 0}}}) {
    OpModelBuilder mb;
    int in = mb.addInput(ElementType::kFloat32, {2, 3});
    int ax = mb.addConstant<int32_t>(ElementType::kInt32, {}, {-1});
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::CUMSUM, {in, ax}, {out}, opts(fb::BuiltinOptions::CumsumOptions, [c](auto& b) {
               return fb::CreateCumsumOptions(b, c.exclusive, c.reverse);
             }));
    INFO("exclusive " << c.exclusive << " reverse " << c.reverse);
    CHECK(runOk(mb.finish(), {InputData::of(iota<float>(6, 1.f))})[0].values<float>() == c.expected);
  }
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kInt32, {2, 2});
  int ax = mb.addConstant<int32_t>(ElementType::kInt32, {}, {0});
  int out = mb.addOutput(ElementType::kInt32, {});
  mb.addOp(Op::CUMSUM, {in, ax}, {out});
  CHECK(runOk(mb.finish(), {InputData::of(std::vector<int32_t>{1, 2, 3, 4})})[0].values<int32_t>() ==
        std::vector<int32_t>{1, 2, 4, 6});
  OpModelBuilder bad;
  int bin = bad.addInput(ElementType::kFloat32, {2});
  int bax = bad.addConstant<int32_t>(ElementType::kInt32, {}, {1});
  int bout = bad.addOutput(ElementType::kFloat32, {});
  bad.addOp(Op::CUMSUM, {bin, bax}, {bout});
  CHECK_THAT(runError(bad.finish(), {InputData::of(std::vector<float>(2))}), Catch::Contains("axis"));
}

// ---------------------------------------------------------------- BATCH_MATMUL

// Naive reference: explicit transposes, then out = sum_k A[m,k] * B[k,n] in double.
std::vector<float> naiveBatchMatMul(const std::vector<float>& lhs, Dims ld, const std::vector<float>& rhs, Dims rd,
                                    bool adjX, bool adjY, Dims* outDims) {
  auto get = [](const Dims& d, int fromEnd) { return d[d.size() - static_cast<size_t>(fromEnd)]; };
  const int M = adjX ? get(ld, 1) : get(ld, 2), K = adjX ? get(ld, 2) : get(ld, 1);
  const int N = adjY ? get(rd, 2) : get(rd, 1);
  // Batch dims (rank <= 3 here), broadcast by right alignment.
  Dims lb(ld.begin(), ld.end() - 2), rb(rd.begin(), rd.end() - 2);
  const size_t br = std::max(lb.size(), rb.size());
  while (lb.size() < br) lb.insert(lb.begin(), 1);
  while (rb.size() < br) rb.insert(rb.begin(), 1);
  Dims ob(br);
  for (size_t i = 0; i < br; ++i) ob[i] = std::max(lb[i], rb[i]);
  int64_t batches = 1;
  for (int32_t v : ob) batches *= v;
  std::vector<float> out(static_cast<size_t>(batches * M * N));
  for (int64_t b = 0; b < batches; ++b) {
    // Decompose b into per-dim coordinates and map to each operand's batch.
    int64_t rem = b, la = 0, ra = 0, lstride = 1, rstride = 1;
    for (int i = static_cast<int>(br) - 1; i >= 0; --i) {
      const int64_t c = rem % ob[static_cast<size_t>(i)];
      rem /= ob[static_cast<size_t>(i)];
      la += (lb[static_cast<size_t>(i)] == 1 ? 0 : c) * lstride;
      ra += (rb[static_cast<size_t>(i)] == 1 ? 0 : c) * rstride;
      lstride *= lb[static_cast<size_t>(i)];
      rstride *= rb[static_cast<size_t>(i)];
    }
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) {
        double acc = 0;
        for (int k = 0; k < K; ++k) {
          const float a = adjX ? lhs[static_cast<size_t>(la * M * K + k * M + m)] : lhs[static_cast<size_t>(la * M * K + m * K + k)];
          const float bb = adjY ? rhs[static_cast<size_t>(ra * K * N + n * K + k)] : rhs[static_cast<size_t>(ra * K * N + k * N + n)];
          acc += static_cast<double>(a) * bb;
        }
        out[static_cast<size_t>((b * M + m) * N + n)] = static_cast<float>(acc);
      }
  }
  *outDims = ob;
  outDims->push_back(M);
  outDims->push_back(N);
  return out;
}

TEST_CASE("BATCH_MATMUL with adj_x / adj_y and broadcast batch dims", "[batch_matmul]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  struct Case {
    Dims ld, rd;
    bool adjX, adjY;
  };
  for (const Case& c : {Case{{2, 3}, {3, 4}, false, false}, Case{{2, 2, 3}, {1, 3, 5}, false, false},
                        Case{{3, 1, 4, 3}, {2, 4, 5}, true, false}, Case{{2, 3, 4}, {5, 4}, false, true},
                        Case{{1, 4, 3}, {2, 5, 4}, true, true}}) {
    int64_t ln = 1, rn = 1;
    for (int32_t v : c.ld) ln *= v;
    for (int32_t v : c.rd) rn *= v;
    std::vector<float> lhs(static_cast<size_t>(ln)), rhs(static_cast<size_t>(rn));
    for (float& v : lhs) v = dist(rng);
    for (float& v : rhs) v = dist(rng);
    OpModelBuilder mb;
    int l = mb.addInput(ElementType::kFloat32, c.ld);
    int r = mb.addConstant<float>(ElementType::kFloat32, c.rd, rhs);
    int out = mb.addOutput(ElementType::kFloat32, {});
    mb.addOp(Op::BATCH_MATMUL, {l, r}, {out}, opts(fb::BuiltinOptions::BatchMatMulOptions, [c](auto& b) {
               return fb::CreateBatchMatMulOptions(b, c.adjX, c.adjY);
             }));
    auto outs = runOk(mb.finish(), {InputData::of(lhs)});
    Dims expectedDims;
    auto expected = naiveBatchMatMul(lhs, c.ld, rhs, c.rd, c.adjX, c.adjY, &expectedDims);
    INFO(engine::dimsToString(c.ld) << " x " << engine::dimsToString(c.rd) << " adj " << c.adjX << c.adjY);
    REQUIRE(outs[0].dims == expectedDims);
    auto y = outs[0].values<float>();
    for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(expected[i]).margin(1e-5));
  }
}

TEST_CASE("BATCH_MATMUL rejects mismatched contraction sizes and batch dims", "[batch_matmul][error]") {
  OpModelBuilder mb;
  int l = mb.addInput(ElementType::kFloat32, {2, 3});
  int r = mb.addInput(ElementType::kFloat32, {4, 2});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::BATCH_MATMUL, {l, r}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>(6)), InputData::of(std::vector<float>(8))}),
             Catch::Contains("contraction"));
  OpModelBuilder bb;
  int bl = bb.addInput(ElementType::kFloat32, {2, 2, 3});
  int br = bb.addInput(ElementType::kFloat32, {3, 3, 2});
  int bo = bb.addOutput(ElementType::kFloat32, {});
  bb.addOp(Op::BATCH_MATMUL, {bl, br}, {bo});
  CHECK_THAT(runError(bb.finish(), {InputData::of(std::vector<float>(12)), InputData::of(std::vector<float>(18))}),
             Catch::Contains("broadcast"));
}

// ---------------------------------------------------------------- SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND

TEST_CASE("SPACE_TO_BATCH_ND pads and moves blocks into the batch", "[space_batch]") {
  // input [1, 2, 3, 1] = 1..6, block [2, 2], paddings [[0, 0], [0, 1]]
  // padded [1, 2, 4, 1]: [[1,2,3,0],[4,5,6,0]] -> output [4, 1, 2, 1]
  // out batch (i*2 + j): rows i::2, cols j::2.
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {1, 2, 3, 1});
  int block = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {2, 2});
  int pads = mb.addConstant<int32_t>(ElementType::kInt32, {2, 2}, {0, 0, 0, 1});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SPACE_TO_BATCH_ND, {in, block, pads}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(iota<float>(6, 1.f))});
  CHECK(outs[0].dims == Dims{4, 1, 2, 1});
  CHECK(outs[0].values<float>() == std::vector<float>{1, 3, 2, 0, 4, 6, 5, 0});
}

TEST_CASE("BATCH_TO_SPACE_ND inverts SPACE_TO_BATCH_ND (with crops), 3-D input too", "[space_batch]") {
  // Round trip of a random [2, 4, 6, 3] tensor through block [2, 3], paddings [[1, 1], [0, 3]].
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> x(2 * 4 * 6 * 3);
  for (float& v : x) v = dist(rng);
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {2, 4, 6, 3});
  int block = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {2, 3});
  int pads = mb.addConstant<int32_t>(ElementType::kInt32, {2, 2}, {1, 1, 0, 3});
  int mid = mb.addTensor(ElementType::kFloat32, {});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SPACE_TO_BATCH_ND, {in, block, pads}, {mid});
  mb.addOp(Op::BATCH_TO_SPACE_ND, {mid, block, pads}, {out});
  auto outs = runOk(mb.finish(), {InputData::of(x)});
  CHECK(outs[0].dims == Dims{2, 4, 6, 3});
  CHECK(outs[0].values<float>() == x);

  // 3-D: [4, 1, 1] with block [2] and crops [[0, 1]] -> [2, 1, 1].
  // Input batch i has output batch i % 2 and block offset i / 2; offset 1 is cropped away.
  OpModelBuilder m3;
  int i3 = m3.addInput(ElementType::kInt32, {4, 1, 1});
  int b3 = m3.addConstant<int32_t>(ElementType::kInt32, {1}, {2});
  int c3 = m3.addConstant<int32_t>(ElementType::kInt32, {1, 2}, {0, 1});
  int o3 = m3.addOutput(ElementType::kInt32, {});
  m3.addOp(Op::BATCH_TO_SPACE_ND, {i3, b3, c3}, {o3});
  outs = runOk(m3.finish(), {InputData::of(std::vector<int32_t>{10, 11, 12, 13})});
  CHECK(outs[0].dims == Dims{2, 1, 1});
  CHECK(outs[0].values<int32_t>() == std::vector<int32_t>{10, 11});
}

TEST_CASE("SPACE_TO_BATCH_ND rejects sizes not divisible by the block", "[space_batch][error]") {
  OpModelBuilder mb;
  int in = mb.addInput(ElementType::kFloat32, {1, 3, 3, 1});
  int block = mb.addConstant<int32_t>(ElementType::kInt32, {2}, {2, 2});
  int pads = mb.addConstant<int32_t>(ElementType::kInt32, {2, 2}, {0, 0, 0, 0});
  int out = mb.addOutput(ElementType::kFloat32, {});
  mb.addOp(Op::SPACE_TO_BATCH_ND, {in, block, pads}, {out});
  CHECK_THAT(runError(mb.finish(), {InputData::of(std::vector<float>(9))}), Catch::Contains("multiple"));
  OpModelBuilder b2;
  int bi = b2.addInput(ElementType::kFloat32, {3, 1, 1, 1});
  int bb = b2.addConstant<int32_t>(ElementType::kInt32, {2}, {2, 1});
  int bc = b2.addConstant<int32_t>(ElementType::kInt32, {2, 2}, {0, 0, 0, 0});
  int bo = b2.addOutput(ElementType::kFloat32, {});
  b2.addOp(Op::BATCH_TO_SPACE_ND, {bi, bb, bc}, {bo});
  CHECK_THAT(runError(b2.finish(), {InputData::of(std::vector<float>(3))}), Catch::Contains("multiple"));
}

}  // namespace
