// Interpreter: several interpreters over one shared Model run concurrently
// and agree bit for bit with a single-threaded run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>

#include "../common/test_data.h"
#include "inferd/engine/interpreter.h"
#include "inferd/engine/npy.h"
#include "kernels/optimized/cpu_features.h"
#include "kernels/simd/pointwise_f32.h"
#include "op_test_util.h"

using namespace inferd;
using namespace inferd::engine;

namespace {
std::vector<std::vector<uint8_t>> runOnce(Interpreter& in, const std::vector<uint8_t>& input) {
  std::memcpy(in.input(0).data, input.data(), input.size());
  REQUIRE(in.invoke().isOk());
  std::vector<std::vector<uint8_t>> outs;
  for (size_t i = 0; i < in.numOutputs(); ++i) {
    const Tensor& t = in.output(i);
    outs.emplace_back(t.data, t.data + t.bytes);
  }
  return outs;
}
}  // namespace

TEST_CASE("interpreters over one model run concurrently", "[interpreter][threads]") {
  auto m = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(m.isOk());
  auto input = readNpy(test::testDataPath("golden/face_detection_short_range/input_0.npy"));
  REQUIRE(input.isOk());

  auto single = Interpreter::create(m.value());
  REQUIRE(single.isOk());
  const auto expected = runOnce(*single.value(), input->data);

  constexpr int kThreads = 4, kRuns = 3;
  std::vector<std::unique_ptr<Interpreter>> interps;
  for (int t = 0; t < kThreads; ++t) {
    auto in = Interpreter::create(m.value());
    REQUIRE(in.isOk());
    interps.push_back(std::move(in).value());
  }
  std::vector<int> mismatches(kThreads, 0), failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Interpreter& in = *interps[static_cast<size_t>(t)];
      for (int r = 0; r < kRuns; ++r) {
        std::memcpy(in.input(0).data, input->data.data(), input->data.size());
        if (!in.invoke().isOk()) {
          ++failures[static_cast<size_t>(t)];
          continue;
        }
        for (size_t o = 0; o < in.numOutputs(); ++o) {
          const Tensor& out = in.output(o);
          if (out.bytes != expected[o].size() || std::memcmp(out.data, expected[o].data(), out.bytes) != 0) {
            ++mismatches[static_cast<size_t>(t)];
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    CHECK(failures[static_cast<size_t>(t)] == 0);
    CHECK(mismatches[static_cast<size_t>(t)] == 0);
  }
}

TEST_CASE("invoke is repeatable and inputs can be resized", "[interpreter]") {
  auto m = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(m.isOk());
  auto in = Interpreter::create(m.value());
  REQUIRE(in.isOk());
  std::vector<uint8_t> input(in.value()->input(0).bytes);
  std::mt19937 rng(3);
  for (size_t i = 0; i < input.size() / 4; ++i) {
    float v = static_cast<float>(rng() % 1000) / 1000.f;
    std::memcpy(&input[i * 4], &v, 4);
  }
  auto a = runOnce(*in.value(), input);
  auto b = runOnce(*in.value(), input);
  CHECK(a == b);
  // Asking for an impossible size fails cleanly.
  CHECK_FALSE(in.value()->resizeInput(5, {1}).isOk());
}

TEST_CASE("integer shape arithmetic on constants is folded at prepare", "[interpreter][fold]") {
  // shape = [2, 1] + [0, 2] computed by an ADD of constants, fed to RESHAPE:
  // folding makes the RESHAPE output static (planned in the arena).
  namespace fb = inferd::tflite;
  test::OpModelBuilder b;
  int in = b.addInput(ElementType::kFloat32, {1, 4});
  int c1 = b.addConstant<int32_t>(ElementType::kInt32, {2}, {2, 1});
  int c2 = b.addConstant<int32_t>(ElementType::kInt32, {2}, {0, 1});
  int shape = b.addTensor(ElementType::kInt32, {2});
  int out = b.addOutput(ElementType::kFloat32, {});
  b.addOp(fb::BuiltinOperator::ADD, {c1, c2}, {shape});
  b.addOp(fb::BuiltinOperator::RESHAPE, {in, shape}, {out});
  auto bytes = b.finish();
  auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "fold");
  REQUIRE(m.isOk());
  auto interp = Interpreter::create(m.value());
  REQUIRE(interp.isOk());
  const Tensor& shapeTensor = interp.value()->tensors()[static_cast<size_t>(shape)];
  CHECK(shapeTensor.isConstant);
  CHECK(shapeTensor.as<int32_t>()[0] == 2);
  CHECK(shapeTensor.as<int32_t>()[1] == 2);
  const Tensor& o = interp.value()->output(0);
  CHECK_FALSE(o.isDynamic);
  CHECK(o.dims == Dims{2, 2});
  for (int i = 0; i < 4; ++i) interp.value()->input(0).as<float>()[i] = static_cast<float>(i);
  REQUIRE(interp.value()->invoke().isOk());
  CHECK(interp.value()->output(0).as<float>()[3] == 3.f);
}

namespace {
// Whether the byte ranges of two non-constant tensors with data overlap.
bool anyNonConstantOverlap(const Interpreter& in) {
  std::vector<std::pair<const uint8_t*, const uint8_t*>> ranges;
  for (const Tensor& t : in.tensors()) {
    if (!t.isConstant && t.data != nullptr && t.bytes > 0) ranges.emplace_back(t.data, t.data + t.bytes);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("preserveAllTensors keeps every intermediate tensor in its own memory", "[interpreter]") {
  auto m = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(m.isOk());
  auto input = readNpy(test::testDataPath("golden/face_detection_short_range/input_0.npy"));
  REQUIRE(input.isOk());

  auto shared = Interpreter::create(m.value());
  REQUIRE(shared.isOk());
  // The default plan reuses memory between tensors whose lifetimes do not
  // overlap (which is what makes the option necessary).
  CHECK(anyNonConstantOverlap(*shared.value()));
  const auto expected = runOnce(*shared.value(), input->data);

  InterpreterOptions options;
  options.preserveAllTensors = true;
  auto preserved = Interpreter::create(m.value(), options);
  REQUIRE(preserved.isOk());
  CHECK_FALSE(anyNonConstantOverlap(*preserved.value()));
  CHECK(preserved.value()->arenaBytes() > shared.value()->arenaBytes());
  CHECK(runOnce(*preserved.value(), input->data) == expected);
  // The graph input still holds the input after the run: nothing wrote over it.
  const Tensor& in0 = preserved.value()->input(0);
  CHECK(std::memcmp(in0.data, input->data.data(), input->data.size()) == 0);
}

TEST_CASE("models with dynamic-range ops are recognized as hybrid", "[interpreter][hybrid]") {
  for (const char* form : {"fp32", "int8", "dynamic"}) {
    auto m = Model::load(test::testDataPath(std::string("conformance/hybrid_mbconv_se_") + form + "/model.tflite"));
    REQUIRE(m.isOk());
    INFO(form);
    CHECK(m.value()->hasHybridOps() == (std::string(form) == "dynamic"));
  }
  // Float weights stored as fp16 and DEQUANTIZE'd at load are not hybrid.
  auto face = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(face.isOk());
  CHECK_FALSE(face.value()->hasHybridOps());
}

TEST_CASE("per-node profiles count the invokes and name the kernel variant", "[interpreter][profile]") {
  auto m = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(m.isOk());
  auto input = readNpy(test::testDataPath("golden/face_detection_short_range/input_0.npy"));
  REQUIRE(input.isOk());
  const Subgraph& sg = m.value()->mainSubgraph();
  size_t nodes = 0;
  for (const OperatorInfo& op : sg.operators) nodes += op.folded ? 0 : 1;

  SECTION("off by default: records without time") {
    auto in = Interpreter::create(m.value());
    REQUIRE(in.isOk());
    CHECK_FALSE(in.value()->profiling());
    runOnce(*in.value(), input->data);
    const auto records = in.value()->profile();
    CHECK(records.size() == nodes);
    for (const OpProfile& p : records) {
      CHECK(p.invocations == 0);
      CHECK(p.totalNs == 0);
    }
  }

  SECTION("on: every node timed once per invoke; reset clears") {
    const bool optimized = GENERATE(true, false);
    InterpreterOptions options;
    options.profile = true;
    options.optimizedKernels = optimized;
    auto in = Interpreter::create(m.value(), options);
    REQUIRE(in.isOk());
    for (int i = 0; i < 3; ++i) runOnce(*in.value(), input->data);
    const auto records = in.value()->profile();
    REQUIRE(records.size() == nodes);
    uint64_t total = 0;
    for (const OpProfile& p : records) {
      INFO("op " << p.opIndex << " " << p.name << " " << p.variant);
      REQUIRE(p.opIndex >= 0);
      REQUIRE(static_cast<size_t>(p.opIndex) < sg.operators.size());
      CHECK_FALSE(sg.operators[static_cast<size_t>(p.opIndex)].folded);
      CHECK(p.name == sg.operators[static_cast<size_t>(p.opIndex)].name());
      if (p.variant == "fused") {
        // Folded into a neighbour by the graph rewrite (optimized kernels only).
        CHECK(optimized);
        CHECK(p.invocations == 0);
        CHECK(p.totalNs == 0);
      } else {
        CHECK(p.invocations == 3);
      }
      total += p.totalNs;
      // XNNPACK, or the engine's own float GEMM (the input read directly for
      // 1x1 stride-1 filters, else through im2col) and depthwise loops.
      if (p.name == "CONV_2D") {
        if (optimized) {
          // The own AVX2 pointwise GEMM on CPUs with AVX2 but no AVX-512.
          CHECK((p.variant == "xnnpack" || (p.variant == "avx2-gemm-f32" &&
                                            engine::kernels::simd::PointwiseF32::supported())));
        } else {
          CHECK((p.variant == "gemm-f32" || p.variant == "im2col-gemm-f32"));
        }
      }
      // The engine's AVX-512 float depthwise where the CPU has it (simd/dispatch.h).
      if (p.name == "DEPTHWISE_CONV_2D") {
        CHECK(p.variant == (!optimized ? "reference" : kernels::opt::cpuFeatures().avx512vnni ? "avx512" : "xnnpack"));
      }
      CHECK(!p.variant.empty());
    }
    CHECK(total > 0);
    in.value()->resetProfile();
    for (const OpProfile& p : in.value()->profile()) CHECK(p.invocations == 0);
    in.value()->enableProfiling(false);
    runOnce(*in.value(), input->data);
    for (const OpProfile& p : in.value()->profile()) CHECK(p.invocations == 0);
  }
}

TEST_CASE("maxArenaBytes refuses a plan larger than the limit, and allows one within it", "[interpreter]") {
  auto m = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(m.isOk());
  auto unlimited = Interpreter::create(m.value());
  REQUIRE(unlimited.isOk());
  const size_t needed = unlimited.value()->arenaBytes();
  REQUIRE(needed > 0);

  InterpreterOptions options;
  options.maxArenaBytes = needed - 1;
  auto refused = Interpreter::create(m.value(), options);
  REQUIRE_FALSE(refused.isOk());
  CHECK(refused.status().code() == StatusCode::kResourceExhausted);
  CHECK_THAT(refused.status().message(),
             Catch::Contains(std::to_string(needed) + " bytes") && Catch::Contains("max_arena_bytes"));

  options.maxArenaBytes = needed;
  auto exact = Interpreter::create(m.value(), options);
  REQUIRE(exact.isOk());
  CHECK(exact.value()->arenaBytes() == needed);
}
