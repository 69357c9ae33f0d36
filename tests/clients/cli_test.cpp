// inferctl end to end: inspect and run --local on a real model, and the
// error paths (missing or mismatched inputs, bad paths, usage errors).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "../common/subprocess.h"
#include "../common/test_data.h"
#include "inferd/engine/model.h"
#include "inferd/engine/npy.h"

using namespace inferd;
using namespace inferd::test;

namespace {
ProcessResult ctl(std::vector<std::string> args, const std::string& dir) {
  const char* inferctl = std::getenv("INFERCTL");  // set by meson
  REQUIRE(inferctl != nullptr);
  args.insert(args.begin(), inferctl);
  return runProcess(args, 120, dir);
}

bool oneLineError(const ProcessResult& r) {
  return r.exitCode == 1 && r.err.rfind("inferctl: error: ", 0) == 0 && r.err.find('\n') == r.err.size() - 1;
}
}  // namespace

TEST_CASE("inspect shows interface, operators and memory", "[cli]") {
  auto dir = makeTempDir("cli");
  auto r = ctl({"inspect", testDataPath("models/face_detection_short_range.tflite")}, dir);
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("input ") && Catch::Contains("FLOAT32  [1, 128, 128, 3]"));
  CHECK_THAT(r.out, Catch::Contains("regressors") && Catch::Contains("classificators"));
  CHECK_THAT(r.out, Catch::Contains("CONV_2D") && Catch::Contains("DEQUANTIZE"));
  CHECK_THAT(r.out, Catch::Contains("unsupported operators: none"));
  CHECK_THAT(r.out, Catch::Contains("constant bytes: ") && Catch::Contains("arena bytes: "));
}

TEST_CASE("inspect --ops lists the registry", "[cli]") {
  auto dir = makeTempDir("cli");
  auto r = ctl({"inspect", "--ops"}, dir);
  REQUIRE(r.exitCode == 0);
  for (const char* op : {"CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "Convolution2DTransposeBias", "DENSIFY",
                         "STRIDED_SLICE", "RESIZE_BILINEAR", "HARD_SWISH"}) {
    CHECK_THAT(r.out, Catch::Contains(op));
  }
}

TEST_CASE("run --local writes outputs that match LiteRT", "[cli]") {
  const std::string threads = GENERATE(as<std::string>{}, "1", "2");  // --threads
  auto dir = makeTempDir("cli");
  const std::string golden = testDataPath("golden/hand_landmark_lite/");
  auto r = ctl({"run", testDataPath("models/hand_landmark_lite.tflite"), "--local", "--threads", threads, "--input",
                "input_1=" + golden + "input_0.npy", "--output-dir", dir + "/out"},
               dir);
  INFO("--threads " << threads << "\n" << r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("output 3 'Identity_3'"));
  for (int i = 0; i < 4; ++i) {
    auto ours = engine::readNpy(dir + "/out/output_" + std::to_string(i) + ".npy");
    auto ref = engine::readNpy(golden + "output_" + std::to_string(i) + ".npy");
    REQUIRE(ours.isOk());
    REQUIRE(ref.isOk());
    REQUIRE(ours->dims == ref->dims);
    double maxRef = 0, maxDiff = 0;
    for (int64_t k = 0; k < ref->numElements(); ++k) {
      maxRef = std::max(maxRef, std::fabs(double(ref->as<float>()[k])));
      maxDiff = std::max(maxDiff, std::fabs(double(ours->as<float>()[k]) - ref->as<float>()[k]));
    }
    CHECK(maxDiff <= 1e-4 + 1e-3 * maxRef);
  }
}

TEST_CASE("run errors are one clear line", "[cli]") {
  auto dir = makeTempDir("cli");
  const std::string model = testDataPath("models/face_detection_short_range.tflite");
  SECTION("missing input lists what the model expects") {
    auto r = ctl({"run", model, "--local", "--output-dir", dir}, dir);
    CHECK(oneLineError(r));
    CHECK_THAT(r.err, Catch::Contains("missing input 'input'") &&
                          Catch::Contains("the model expects: input FLOAT32 [1, 128, 128, 3]"));
  }
  SECTION("wrong shape") {
    float v[6] = {};
    REQUIRE(engine::writeNpy(dir + "/small.npy", engine::ElementType::kFloat32, {1, 2, 3}, v, sizeof v).isOk());
    auto r = ctl({"run", model, "--local", "--input", dir + "/small.npy", "--output-dir", dir}, dir);
    CHECK(oneLineError(r));
    CHECK_THAT(r.err, Catch::Contains("is FLOAT32 [1, 2, 3], expected FLOAT32 [1, 128, 128, 3]"));
  }
  SECTION("unknown input name") {
    auto r = ctl({"run", model, "--local", "--input", "nope=x.npy", "--output-dir", dir}, dir);
    CHECK(oneLineError(r));
  }
  SECTION("missing model file") {
    auto r = ctl({"run", dir + "/absent.tflite", "--local", "--input", "x.npy", "--output-dir", dir}, dir);
    CHECK(oneLineError(r));
    CHECK_THAT(r.err, Catch::Contains("absent.tflite"));
  }
  SECTION("not a model") {
    auto r = ctl({"inspect", testDataPath("models/NOTICE")}, dir);
    CHECK(oneLineError(r));
    CHECK_THAT(r.err, Catch::Contains("not a TensorFlow Lite file"));
  }
  SECTION("without --local, run needs a daemon and says where it looked") {
    auto r = ctl({"--socket", dir + "/absent.sock", "run", model, "--input", "x.npy", "--output-dir", dir}, dir);
    CHECK(oneLineError(r));
    CHECK_THAT(r.err, Catch::Contains("cannot reach inferd at unix:" + dir + "/absent.sock"));
  }
  SECTION("usage errors exit non-zero") {
    auto r = ctl({"frobnicate"}, dir);
    CHECK(r.exitCode != 0);
    auto h = ctl({"--help"}, dir);
    CHECK(h.exitCode == 0);
    CHECK_THAT(h.out, Catch::Contains("inspect") && Catch::Contains("run") && Catch::Contains("models") &&
                          Catch::Contains("bench") && Catch::Contains("--socket"));
  }
}

TEST_CASE("inspect and run --local --signature on a model with several signatures", "[cli][signatures]") {
  auto dir = makeTempDir("cli");
  const std::string model = testDataPath("control_flow/multi_signature.tflite");
  auto info = ctl({"inspect", model}, dir);
  INFO(info.out << info.err);
  REQUIRE(info.exitCode == 0);
  CHECK_THAT(info.out, Catch::Contains("subgraphs: 2, signatures: 2") &&
                           Catch::Contains("signature 'scale' -> subgraph 1: inputs x=t0; outputs scaled=t4"));
  // The signature's inputs and outputs go by the signature's names.
  const std::string golden = testDataPath("control_flow/multi_signature_combine/");
  auto r = ctl({"run", model, "--local", "--signature", "combine", "--input", "a=" + golden + "in_a.npy",
                "b=" + golden + "in_b.npy", "--output-dir", dir + "/out"},
               dir);
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("'diff'") && Catch::Contains("'sum'"));
  for (const char* name : {"diff", "sum"}) {
    const size_t index = std::string(name) == "diff" ? 0 : 1;  // the signature's output order
    auto ours = engine::readNpy(dir + "/out/output_" + std::to_string(index) + ".npy");
    auto ref = engine::readNpy(golden + "out0_" + name + ".npy");
    REQUIRE(ours.isOk());
    REQUIRE(ref.isOk());
    REQUIRE(ours->dims == ref->dims);
    for (int64_t k = 0; k < ref->numElements(); ++k) {
      CHECK(ours->as<float>()[k] == Approx(ref->as<float>()[k]).margin(1e-5));
    }
  }
  auto bad = ctl({"run", model, "--local", "--signature", "nope", "--input", golden + "in_a.npy", "--output-dir",
                  dir + "/out"},
                 dir);
  CHECK(oneLineError(bad));
  CHECK_THAT(bad.err, Catch::Contains("no signature 'nope'"));
}

TEST_CASE("run --local --dump-tensors writes every tensor with an index", "[cli]") {
  auto dir = makeTempDir("cli");
  const std::string golden = testDataPath("golden/face_detection_short_range/");
  const std::string model = testDataPath("models/face_detection_short_range.tflite");
  auto r = ctl({"run", model, "--local", "--input", golden + "input_0.npy", "--dump-tensors", dir + "/dump"}, dir);
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("tensors written to"));
  std::ifstream tsv(dir + "/dump/tensors.tsv");
  REQUIRE(tsv.good());
  std::string line;
  std::getline(tsv, line);
  CHECK(line == "index\tname\ttype\tshape\top_index\top");
  int rows = 0, convs = 0;
  while (std::getline(tsv, line)) {
    ++rows;
    const std::string index = line.substr(0, line.find('\t'));
    CHECK(std::filesystem::exists(dir + "/dump/t" + index + ".npy"));
    if (line.find("\tCONV_2D") != std::string::npos) ++convs;
  }
  CHECK(rows > 50);
  CHECK(convs > 10);
  // The dumped graph outputs are the model's outputs (compared with a plain run).
  auto plain = ctl({"run", model, "--local", "--input", golden + "input_0.npy", "--output-dir", dir + "/out"}, dir);
  REQUIRE(plain.exitCode == 0);
  auto loaded = engine::Model::load(model);
  REQUIRE(loaded.isOk());
  const auto& outputs = loaded.value()->mainSubgraph().outputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto dumped = engine::readNpy(dir + "/dump/t" + std::to_string(outputs[i]) + ".npy");
    auto out = engine::readNpy(dir + "/out/output_" + std::to_string(i) + ".npy");
    REQUIRE(dumped.isOk());
    REQUIRE(out.isOk());
    CHECK(dumped->dims == out->dims);
    CHECK(dumped->data == out->data);
  }
  // The flag needs --local.
  auto bad = ctl({"run", "some_model", "--dump-tensors", dir + "/d2"}, dir);
  CHECK(oneLineError(bad));
}

TEST_CASE("devices --local lists cpu and opencl, measures them and caches the figures", "[cli][devices]") {
  auto dir = makeTempDir("cli");
  const std::string state = dir + "/state";
  auto r = ctl({"devices", "--local", "--json", "--state-dir", state}, dir);
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::StartsWith("{\"devices\": [{\"name\": \"cpu\", \"kind\": \"cpu\""));
  CHECK_THAT(r.out, Catch::Contains("\"name\": \"opencl\""));  // available or refused, never missing
  CHECK_THAT(r.out, Catch::Contains("\"conv_gflops\": ") && Catch::Contains("\"cached\": false"));
  CHECK(std::filesystem::is_regular_file(state + "/calibration/cpu.txt"));
  auto again = ctl({"devices", "--local", "--state-dir", state}, dir);
  INFO(again.out << again.err);
  REQUIRE(again.exitCode == 0);
  CHECK_THAT(again.out, Catch::Contains("cpu      cpu   available") && Catch::Contains("cached, measured"));

  auto off = ctl({"devices", "--local", "--no-calibrate", "--opencl-types", ""}, dir);
  INFO(off.out << off.err);
  REQUIRE(off.exitCode == 0);
  CHECK_THAT(off.out, Catch::Contains("opencl   gpu   refused") && Catch::Contains("turned off"));
  CHECK_THAT(off.out, !Catch::Contains("measured:"));

  auto bad = ctl({"devices", "--local", "--opencl-types", "gpu,fpga"}, dir);
  CHECK(oneLineError(bad));
  CHECK_THAT(bad.err, Catch::Contains("unknown type 'fpga'"));
  auto daemon = ctl({"devices"}, dir);
  CHECK(oneLineError(daemon));
  CHECK_THAT(daemon.err, Catch::Contains("--local"));
}

TEST_CASE("run, bench and inspect --placement plan a model for a device; --strict refuses what it lacks",
          "[cli][placement]") {
  auto dir = makeTempDir("cli");
  const std::string model = testDataPath("arch_models/lstm_classifier_fp32/model.tflite");
  const std::string input = testDataPath("arch_models/lstm_classifier_fp32/input_0.npy");
  auto cpu = ctl({"run", model, "--local", "--device", "cpu", "--strict", "-i", input, "-o", dir + "/cpu"}, dir);
  INFO(cpu.out << cpu.err);
  REQUIRE(cpu.exitCode == 0);
  CHECK_THAT(cpu.out, Catch::Contains("placement: cpu: 1 partition, 177 ops"));
  auto unknown = ctl({"run", model, "--local", "--device", "npu7", "-i", input, "-o", dir + "/x"}, dir);
  CHECK(oneLineError(unknown));
  CHECK_THAT(unknown.err, Catch::Contains("npu7"));
  CHECK(oneLineError(ctl({"run", model, "--local", "--strict", "-i", input, "-o", dir + "/x"}, dir)));
  CHECK(oneLineError(ctl({"run", "m", "--device", "cpu", "-i", input, "-o", dir + "/x"}, dir)));
  CHECK(oneLineError(ctl({"inspect", model, "--device", "cpu"}, dir)));

  // Measured: the cpu wins (PoCL runs the LSTM's partitions ~50x slower),
  // and without OpenCL only the cpu is there.
  auto autoRun = ctl({"run", model, "--local", "--device", "auto", "-i", input, "-o", dir + "/auto"}, dir);
  INFO(autoRun.out << autoRun.err);
  REQUIRE(autoRun.exitCode == 0);
  CHECK_THAT(autoRun.out, Catch::Contains("placement: cpu: 1 partition, 177 ops"));
  CHECK_THAT(autoRun.out, Catch::Contains("-> cpu") || Catch::Contains("cached (cpu ") ||
                              Catch::Contains("only the cpu runs any of it"));

  auto placement = ctl({"inspect", model, "--placement", "--device", "opencl"}, dir);
  INFO(placement.out << placement.err);
  if (placement.exitCode == 0) {
    CHECK_THAT(placement.out, Catch::Contains("placement: ") && Catch::Contains("why not on the first device"));
    CHECK_THAT(placement.out, Catch::Contains("opencl: the opencl driver has no kernel for SPLIT"));
  } else {
    CHECK(oneLineError(placement));
  }

  // The OpenCL device: present on PoCL (CI). It runs the LSTM's
  // FULLY_CONNECTED, SOFTMAX and elementwise ops but not its UNPACK or
  // SPLIT: the model runs cut into
  // partitions, with the answer of the cpu.
  const bool requireOpenCl = std::getenv("INFERD_REQUIRE_OPENCL") != nullptr;
  auto ocl = ctl({"run", model, "--local", "--device", "opencl", "-i", input, "-o", dir + "/ocl"}, dir);
  INFO(ocl.out << ocl.err);
  if (ocl.exitCode == 0 || requireOpenCl) {
    REQUIRE(ocl.exitCode == 0);
    CHECK_THAT(ocl.out, Catch::Contains("devices in order of preference: opencl, cpu"));
    CHECK_THAT(ocl.out, Catch::Contains("placement: cpu: 5 partitions, 125 ops; opencl: 4 partitions, 52 ops"));
    CHECK_THAT(ocl.out, Catch::Contains("device opencl: 4 partition executions, 0 failures"));
    auto got = engine::readNpy(dir + "/ocl/output_0.npy");
    auto want = engine::readNpy(testDataPath("arch_models/lstm_classifier_fp32/output_0.npy"));
    REQUIRE(got.isOk());
    REQUIRE(want.isOk());
    REQUIRE(got.value().data.size() == want.value().data.size());
    const auto* g = reinterpret_cast<const float*>(got.value().data.data());
    const auto* w = reinterpret_cast<const float*>(want.value().data.data());
    for (size_t i = 0; i < got.value().data.size() / 4; ++i) CHECK(std::fabs(g[i] - w[i]) <= 1e-4f + 1e-3f);
    auto strict = ctl({"run", model, "--local", "--device", "opencl", "--strict", "-i", input, "-o", dir + "/s"}, dir);
    CHECK(oneLineError(strict));
    CHECK_THAT(strict.err, Catch::Contains("cannot run on opencl (strict)") &&
                               Catch::Contains("op 1 (UNPACK): opencl: the opencl driver has no kernel for UNPACK"));
    CHECK_THAT(strict.err, !Catch::Contains("op 0 (RESHAPE)"));
    auto bench = ctl({"bench", model, "--local", "--device", "opencl", "--runs", "3", "--json"}, dir);
    INFO(bench.out << bench.err);
    REQUIRE(bench.exitCode == 0);
    CHECK_THAT(bench.out, Catch::Contains("\"placement\": \"cpu: 5 partitions, 125 ops; opencl: 4 partitions, 52 ops\""));
  } else {
    CHECK(oneLineError(ocl));
    CHECK_THAT(ocl.err, Catch::Contains("opencl"));
  }
}
