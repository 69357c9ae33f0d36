// Robustness: mutate a real model a few hundred times (truncations, flipped
// bytes in the header and tables, overwritten words, random bytes) and run
// `inferctl inspect` and `inferctl run --local` on each mutation. Every run
// must end by itself with exit code 0 (the mutation was harmless) or 1 with
// a one-line error, never a crash, hang or sanitizer report.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>

#include "../common/subprocess.h"
#include "../common/test_data.h"

using namespace inferd::test;

namespace {

std::vector<uint8_t> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> mutate(const std::vector<uint8_t>& good, std::mt19937& rng, int kind, std::string* what) {
  std::vector<uint8_t> m = good;
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  // The converter writes tables first and weight buffers last.
  const size_t tables = std::min<size_t>(good.size(), 24 * 1024);
  switch (kind) {
    case 0: {  // truncate anywhere
      const size_t len = pick(good.size());
      m.resize(len);
      *what = "truncate to " + std::to_string(len);
      break;
    }
    case 1: {  // flip a few bytes in the header and tables
      const int n = 1 + static_cast<int>(pick(8));
      for (int i = 0; i < n; ++i) m[pick(tables)] ^= static_cast<uint8_t>(1 + pick(255));
      *what = "flip " + std::to_string(n) + " table bytes";
      break;
    }
    case 2: {  // overwrite an aligned word with an extreme value
      static const uint32_t kValues[] = {0, 1, 0xffffffffu, 0x7fffffffu, 0x80000000u, 0x10000u, 0xffffu, 1000000};
      const size_t at = pick(tables / 4) * 4;
      const uint32_t v = kValues[pick(8)];
      std::memcpy(&m[at], &v, 4);
      *what = "word at " + std::to_string(at) + " = " + std::to_string(v);
      break;
    }
    case 3: {  // the first bytes of the file
      m[pick(16)] = static_cast<uint8_t>(rng());
      *what = "header byte";
      break;
    }
    case 4: {  // random bytes behind a valid identifier
      for (size_t i = 8; i < m.size(); ++i) m[i] = static_cast<uint8_t>(rng());
      m.resize(1 + pick(64 * 1024));
      *what = "random body";
      break;
    }
    default: {  // anywhere, including weights
      m[pick(m.size())] ^= static_cast<uint8_t>(1 + pick(255));
      *what = "flip one byte anywhere";
      break;
    }
  }
  return m;
}

bool acceptable(const ProcessResult& r, std::string* why) {
  if (r.timedOut) return *why = "timed out (hang)", false;
  if (r.signal != 0) return *why = "killed by signal " + std::to_string(r.signal), false;
  if (r.exitCode == 0) return true;
  if (r.exitCode != 1) return *why = "exit code " + std::to_string(r.exitCode) + ": " + r.err, false;
  if (r.err.rfind("inferctl: error: ", 0) != 0) return *why = "no one-line error: " + r.err, false;
  if (r.err.find("runtime error") != std::string::npos || r.err.find("Sanitizer") != std::string::npos) {
    return *why = "sanitizer report: " + r.err, false;
  }
  return true;
}


// Mutates `modelPath` `count` times and runs inspect and run --local on
// each; returns the number of mutations rejected with an error.
int mutateAndRun(const std::string& modelPath, const std::string& input, int count, uint32_t seed) {
  const char* inferctl = std::getenv("INFERCTL");
  REQUIRE(inferctl != nullptr);
  const auto good = readBytes(modelPath);
  REQUIRE(good.size() > 1000);
  const std::string dir = makeTempDir("mutation");
  REQUIRE_FALSE(dir.empty());
  const std::string mutant = dir + "/mutant.tflite";

  std::mt19937 rng(seed);
  int rejected = 0, ran = 0;
  for (int i = 0; i < count; ++i) {
    std::string what;
    const auto bytes = mutate(good, rng, i % 6, &what);
    {
      std::ofstream out(mutant, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    for (int cmd = 0; cmd < 2; ++cmd) {
      std::vector<std::string> argv = {inferctl, "inspect", mutant};
      if (cmd == 1) argv = {inferctl, "run", mutant, "--local", "--input", input, "--output-dir", dir + "/out"};
      const ProcessResult r = runProcess(argv, 60, dir);
      std::string why;
      const bool ok = acceptable(r, &why);
      if (!ok) {
        // Keep the offending file for debugging.
        std::ofstream keep(dir + "/failing_" + std::to_string(i) + ".tflite", std::ios::binary);
        keep.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      }
      INFO(modelPath << ": mutation " << i << " (" << what << "), " << argv[1] << ": " << why << " [kept in " << dir
                     << "]");
      REQUIRE(ok);
      if (cmd == 1) (r.exitCode == 0 ? ran : rejected)++;
    }
  }
  std::printf("%s: mutations: %d, rejected with an error: %d, ran to completion: %d\n", modelPath.c_str(), count,
              rejected, ran);
  return rejected;
}

int mutationCount() {
  return std::getenv("INFERD_MUTATIONS") ? std::atoi(std::getenv("INFERD_MUTATIONS")) : 300;
}

}  // namespace

TEST_CASE("mutated models never crash inferctl", "[mutation]") {
  const int count = mutationCount();
  const int rejected = mutateAndRun(testDataPath("models/face_detection_short_range.tflite"),
                                    testDataPath("golden/face_detection_short_range/input_0.npy"), count, 20261121);
  CHECK(rejected > count / 3);  // most mutations must actually be caught
}

TEST_CASE("mutated int8 and control-flow models never crash inferctl", "[mutation]") {
  // Quantization parameters, per-channel arrays, subgraph indices of WHILE
  // and signature defs are what these files add to the attack surface.
  const int count = std::max(20, mutationCount() / 3);
  const int int8Rejected = mutateAndRun(testDataPath("arch_models/mobilenet_v2_035_96_int8/model.tflite"),
                                        testDataPath("arch_models/mobilenet_v2_035_96_int8/input_0.npy"), count, 7);
  CHECK(int8Rejected > count / 3);
  const int loopRejected = mutateAndRun(testDataPath("control_flow/while_loop.tflite"),
                                        testDataPath("control_flow/while_loop/in_serving_default_x_0.npy"), count, 11);
  CHECK(loopRejected > count / 3);
}
