// `inferctl bench --local` end to end: the JSON statistics of a few runs,
// the --profile table (one row per node, each with the kernel variant its
// prepare chose), Ctrl-C, and the flags that belong to one mode only. No
// assertion here depends on how fast the machine is.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "../common/subprocess.h"
#include "../common/test_data.h"
#include "inferd/engine/model.h"

using namespace inferd;
using namespace inferd::test;

namespace {

const char* inferctlPath() {
  const char* inferctl = std::getenv("INFERCTL");  // set by meson
  REQUIRE(inferctl != nullptr);
  return inferctl;
}

// inferctl with `args`; `env` entries ("NAME=value") go through env(1).
ProcessResult ctl(std::vector<std::string> args, const std::string& dir, std::vector<std::string> env = {}) {
  args.insert(args.begin(), inferctlPath());
  if (!env.empty()) {
    env.insert(env.begin(), "/usr/bin/env");
    args.insert(args.begin(), env.begin(), env.end());
  }
  return runProcess(args, 300, dir);
}

// The number after "key": in a flat JSON object; REQUIREs it to be there.
double jsonNumber(const std::string& json, const std::string& key) {
  const std::regex re("\"" + key + "\": (-?[0-9.eE+-]+)");
  std::smatch m;
  INFO("key " << key << " in " << json);
  REQUIRE(std::regex_search(json, m, re));
  return std::stod(m[1]);
}

std::string mobilenetInt8() { return testDataPath("arch_models/mobilenet_v2_035_96_int8/model.tflite"); }
std::string faceDetection() { return testDataPath("models/face_detection_short_range.tflite"); }

struct ProfileRow {
  int index = 0;
  std::string op, type, device, variant;
};

// The rows of the per-operator table: "index op type device variant ms % rate".
std::vector<ProfileRow> profileRows(const std::string& out) {
  std::vector<ProfileRow> rows;
  const size_t start = out.find("operator profile:");
  const size_t end = out.find("\noperators: ", start);
  if (start == std::string::npos || end == std::string::npos) return rows;
  std::istringstream in(out.substr(start, end - start));
  std::string line;
  const std::regex re(R"(^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+[0-9.]+\s+[0-9.]+%.*$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, re)) rows.push_back({std::stoi(m[1]), m[2], m[3], m[4], m[5]});
  }
  return rows;
}

// The nodes an interpreter runs: the main subgraph's operators that were
// not folded into constants at load.
std::vector<std::pair<int, std::string>> runNodes(const std::string& path) {
  auto model = engine::Model::load(path);
  REQUIRE(model.isOk());
  std::vector<std::pair<int, std::string>> nodes;
  const engine::Subgraph& sg = model.value()->mainSubgraph();
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    if (!sg.operators[i].folded) nodes.emplace_back(static_cast<int>(i), sg.operators[i].name());
  }
  return nodes;
}

void checkRowsAreTheNodes(const std::vector<ProfileRow>& rows, const std::string& path) {
  const auto nodes = runNodes(path);
  REQUIRE(!nodes.empty());
  REQUIRE(rows.size() == nodes.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].index == nodes[i].first);
    CHECK(rows[i].op == nodes[i].second);
    CHECK(rows[i].device == "cpu");
  }
}

// What inferd's CPU probe (libcpuinfo) decides, read from /proc/cpuinfo.
// The flags of /proc/cpuinfo's first "flags" line (read independently of
// the engine's own probe).
std::set<std::string> cpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}

bool cpuHasAvx512Vnni() {
  const std::set<std::string> flags = cpuFlags();
  for (const char* f : {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"}) {
    if (flags.count(f) == 0) return false;
  }
  return true;
}

bool cpuHasAvx2() {
  const std::set<std::string> flags = cpuFlags();
  return flags.count("avx2") == 1 && flags.count("fma") == 1;
}

}  // namespace

TEST_CASE("bench --local --json reports the statistics of the runs", "[cli][bench]") {
  auto dir = makeTempDir("bench");
  const std::string golden = testDataPath("golden/face_detection_short_range/input_0.npy");
  const bool withInput = GENERATE(false, true);
  std::vector<std::string> args = {"bench", faceDetection(), "--local", "--runs", "5", "--json"};
  if (withInput) args.insert(args.end(), {"--input", golden});
  auto r = ctl(args, dir);
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  const std::string& j = r.out;
  CHECK(j.find(withInput ? "\"inputs\": \"files\"" : "\"inputs\": \"random\"") != std::string::npos);
  CHECK(jsonNumber(j, "count") == 5);
  CHECK(jsonNumber(j, "warmup_runs") == 1);
  CHECK(j.find("\"interrupted\": false") != std::string::npos);
  const double mn = jsonNumber(j, "min_ms"), p5 = jsonNumber(j, "p5_ms"), med = jsonNumber(j, "median_ms");
  const double p95 = jsonNumber(j, "p95_ms"), p99 = jsonNumber(j, "p99_ms"), mx = jsonNumber(j, "max_ms");
  const double mean = jsonNumber(j, "mean_ms");
  CHECK(mn > 0);
  CHECK(mn <= p5);
  CHECK(p5 <= med);
  CHECK(med <= p95);
  CHECK(p95 <= p99);
  CHECK(p99 <= mx);
  CHECK(mn <= mean);
  CHECK(mean <= mx);
  CHECK(jsonNumber(j, "std_ms") >= 0);
  CHECK(jsonNumber(j, "std_ms") <= mx - mn);
  CHECK(jsonNumber(j, "load_ms") > 0);
  CHECK(jsonNumber(j, "first_inference_ms") > 0);
  CHECK(jsonNumber(j, "warmup_mean_ms") == jsonNumber(j, "first_inference_ms"));  // one warm-up run
  CHECK(jsonNumber(j, "peak_rss_bytes") > 0);
  CHECK(jsonNumber(j, "arena_bytes") > 0);
  CHECK(j.find("\"profile\"") == std::string::npos);  // only with --profile
}

TEST_CASE("bench --local --profile has one row per node with the variant prepare chose", "[cli][bench]") {
  auto dir = makeTempDir("bench");

  SECTION("int8: the AVX-512 kernels where the CPU has VNNI, else AVX2's GEMM and depthwise") {
    auto r = ctl({"bench", mobilenetInt8(), "--local", "--runs", "2", "--profile"}, dir);
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    const auto rows = profileRows(r.out);
    checkRowsAreTheNodes(rows, mobilenetInt8());
    const bool vnni = cpuHasAvx512Vnni(), avx2 = cpuHasAvx2();
    const std::string gemm = vnni ? "avx512-vnni" : avx2 ? "avx2-madd" : "reference";
    const std::map<std::string, std::string> expected = {
        {"CONV_2D", gemm},
        {"DEPTHWISE_CONV_2D", vnni ? "avx512" : avx2 ? "avx2" : "reference"},
        {"FULLY_CONNECTED", gemm},
        {"ADD", vnni ? "avx512" : avx2 ? "avx2" : "reference"},
        {"MEAN", vnni ? "avx512-column-sums" : avx2 ? "avx2-column-sums" : "reference"},
        {"SOFTMAX", "reference"},
    };
    for (const ProfileRow& row : rows) {
      INFO("op " << row.index << " " << row.op);
      CHECK(row.type == "INT8");
      REQUIRE(expected.count(row.op) == 1);
      CHECK(row.variant == expected.at(row.op));
    }
    CHECK_THAT(r.out, Catch::Contains("by op type:"));
    CHECK_THAT(r.out, Catch::Contains("GOP/s"));
  }

  SECTION("INFERD_CPU_ISA=reference and --reference-kernels run the reference loops everywhere") {
    for (const bool byEnv : {true, false}) {
      std::vector<std::string> args = {"bench", mobilenetInt8(), "--local", "--runs", "1", "--profile"};
      if (!byEnv) args.push_back("--reference-kernels");
      auto r = ctl(args, dir, byEnv ? std::vector<std::string>{"INFERD_CPU_ISA=reference"} : std::vector<std::string>{});
      INFO((byEnv ? "INFERD_CPU_ISA=reference\n" : "--reference-kernels\n") << r.out << r.err);
      REQUIRE(r.exitCode == 0);
      const auto rows = profileRows(r.out);
      checkRowsAreTheNodes(rows, mobilenetInt8());
      for (const ProfileRow& row : rows) CHECK(row.variant == "reference");
    }
  }

  SECTION("float: XNNPACK runs the convolutions; the rows skip ops folded at load, list fused ones") {
    auto r = ctl({"bench", faceDetection(), "--local", "--runs", "2", "--profile"}, dir);
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    const auto rows = profileRows(r.out);
    checkRowsAreTheNodes(rows, faceDetection());
    int convs = 0;
    for (const ProfileRow& row : rows) {
      if (row.op != "CONV_2D" && row.op != "DEPTHWISE_CONV_2D") continue;
      ++convs;
      CHECK(row.type == "FLOAT32");
      // Float depthwise runs the engine's own AVX-512 kernel where the CPU
      // has it (the AVX2 one only with a fused swish, which this model has
      // not); pointwise CONV_2D the own AVX2 GEMM where it has AVX2 only.
      const bool ownDepthwise = row.op == "DEPTHWISE_CONV_2D" && cpuHasAvx512Vnni();
      if (row.op == "CONV_2D" && !cpuHasAvx512Vnni() && cpuHasAvx2() && row.variant == "avx2-gemm-f32") continue;
      CHECK(row.variant == (ownDepthwise ? (cpuHasAvx512Vnni() ? "avx512" : "avx2") : "xnnpack"));
    }
    CHECK(convs > 0);
    CHECK_THAT(r.out, Catch::Contains("folded at load"));  // its fp16 DEQUANTIZEs
    if (cpuHasAvx512Vnni()) {
      // Its RELUs fold into the convolutions (graph_fusion.h): listed, not run.
      bool fused = false;
      for (const ProfileRow& row : rows) fused = fused || row.variant == "fused";
      CHECK(fused);
    }
    CHECK_THAT(r.out, Catch::Contains("GFLOP/s"));
  }

  SECTION("--json carries the same rows") {
    auto r = ctl({"bench", mobilenetInt8(), "--local", "--runs", "1", "--profile", "--json"}, dir);
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    const auto nodes = runNodes(mobilenetInt8());
    size_t entries = 0;
    for (size_t at = r.out.find("\"variant\": "); at != std::string::npos; at = r.out.find("\"variant\": ", at + 1)) {
      ++entries;
    }
    CHECK(entries == nodes.size());
    CHECK_THAT(r.out, Catch::Contains("\"by_type\": ["));
  }
}

TEST_CASE("run --local --profile prints the table over the --repeat runs", "[cli][bench]") {
  auto dir = makeTempDir("bench");
  const std::string golden = testDataPath("golden/face_detection_short_range/input_0.npy");
  auto r = ctl({"run", faceDetection(), "--local", "--input", golden, "--output-dir", dir + "/out", "--repeat", "2",
                "--profile"},
               dir);
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  checkRowsAreTheNodes(profileRows(r.out), faceDetection());
}

TEST_CASE("bench --local stops at Ctrl-C and reports the runs so far", "[cli][bench]") {
  auto dir = makeTempDir("bench");
  const std::string outPath = dir + "/bench.out", errPath = dir + "/bench.err";
  const std::string inferctl = inferctlPath();
  const std::string model = faceDetection();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int o = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    execl(inferctl.c_str(), inferctl.c_str(), "bench", model.c_str(), "--local", "--duration", "120", "--json",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // The progress line ("... N runs, mean ...") shows that timed runs are
  // under way; then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(100);
  bool running = false;
  while (!running && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    running = readAll(errPath).find(" runs, mean ") != std::string::npos;
  }
  CHECK(running);
  kill(pid, SIGINT);
  int status = 0;
  const auto waitUntil = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  pid_t w = 0;
  while ((w = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < waitUntil) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (w == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL("bench did not stop at SIGINT");
  }
  const std::string out = readAll(outPath), err = readAll(errPath);
  INFO(out << err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(out.find("\"interrupted\": true") != std::string::npos);
  CHECK(jsonNumber(out, "count") >= 1);
  CHECK(jsonNumber(out, "min_ms") <= jsonNumber(out, "max_ms"));
  CHECK_THAT(err, Catch::Contains("bench: interrupted after"));
}

TEST_CASE("bench flags of one mode are refused in the other", "[cli][bench]") {
  auto dir = makeTempDir("bench");
  SECTION("--local takes no -n or -c") {
    auto r = ctl({"bench", faceDetection(), "--local", "-n", "3"}, dir);
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.err, Catch::Contains("for bench against the daemon"));
  }
  SECTION("--runs, --profile, --fill need --local") {
    for (const char* flag : {"--runs", "--profile", "--fill"}) {
      std::vector<std::string> args = {"bench", "some_model", flag};
      if (std::string(flag) == "--runs") args.push_back("3");
      if (std::string(flag) == "--fill") args.push_back("zeros");
      auto r = ctl(args, dir);
      INFO(flag << ": " << r.err);
      CHECK(r.exitCode == 1);
      CHECK_THAT(r.err, Catch::Contains("applies to bench --local"));
    }
  }
  SECTION("a missing model file is one error line") {
    auto r = ctl({"bench", dir + "/none.tflite", "--local"}, dir);
    CHECK(r.exitCode == 1);
    CHECK(r.err.rfind("inferctl: error: ", 0) == 0);
  }
}
