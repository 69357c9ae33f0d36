// Converter-made models with control flow, resource variables, LSTMs and
// several signatures (tools/make_control_flow_models.py) match LiteRT's
// outputs in tests/data/control_flow/<case>/: every case folder names the
// model, the signature ('-': subgraph 0), how many consecutive invokes,
// and the .npy inputs and outputs by tensor (or signature) name. Float
// outputs must agree within 1e-4 + 1e-3 * max|ref| on every kernel path,
// other types exactly. The list of cases is the folder's contents.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../common/test_data.h"
#include "inferd/engine/interpreter.h"
#include "inferd/engine/npy.h"
#include "op_test_util.h"

using namespace inferd;
using namespace inferd::engine;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string model, signature;
  int invokes = 1;
  std::vector<std::pair<std::string, std::string>> inputs;           // name, file
  std::vector<std::tuple<int, std::string, std::string>> outputs;    // invoke, name, file
};

Case readCase(const fs::path& dir) {
  Case c;
  std::ifstream in(dir / "case.txt");
  REQUIRE(in.good());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "model") {
      ls >> c.model;
    } else if (key == "signature") {
      ls >> c.signature;
    } else if (key == "invokes") {
      ls >> c.invokes;
    } else if (key == "input") {
      std::string name, file;
      ls >> name >> file;
      c.inputs.emplace_back(name, file);
    } else if (key == "output") {
      int k = 0;
      std::string name, file;
      ls >> k >> name >> file;
      c.outputs.emplace_back(k, name, file);
    } else if (!key.empty()) {
      FAIL("unknown line in " << (dir / "case.txt").string() << ": " << line);
    }
  }
  return c;
}

NpyArray npy(const fs::path& path) {
  auto a = readNpy(path.string());
  if (!a) FAIL(a.status().toString());
  return std::move(a).value();
}

void checkOutput(const Tensor& got, const NpyArray& want) {
  REQUIRE(got.type == want.type);
  REQUIRE(got.dims == want.dims);
  REQUIRE(got.bytes == want.data.size());
  if (want.type != ElementType::kFloat32) {
    CHECK(std::memcmp(got.data, want.data.data(), got.bytes) == 0);
    return;
  }
  const int64_t n = want.numElements();
  double maxRef = 0, maxDiff = 0;
  for (int64_t i = 0; i < n; ++i) {
    maxRef = std::max(maxRef, std::fabs(static_cast<double>(want.as<float>()[i])));
    const double d = std::fabs(static_cast<double>(got.as<float>()[i]) - want.as<float>()[i]);
    maxDiff = std::isnan(d) ? INFINITY : std::max(maxDiff, d);
  }
  INFO("max|diff| " << maxDiff << ", max|ref| " << maxRef);
  CHECK(maxDiff <= 1e-4 + 1e-3 * maxRef);
}

void runCase(const fs::path& dir, const InterpreterOptions& pathOptions) {
  const Case c = readCase(dir);
  auto model = Model::load(test::testDataPath("control_flow/" + c.model));
  if (!model) FAIL(model.status().toString());
  InterpreterOptions options = pathOptions;
  if (c.signature != "-") options.signature = c.signature;
  auto created = Interpreter::create(model.value(), options);
  if (!created) FAIL(created.status().toString());
  Interpreter& in = *created.value();
  REQUIRE(in.numInputs() == c.inputs.size());
  for (size_t i = 0; i < in.numInputs(); ++i) {
    auto it = std::find_if(c.inputs.begin(), c.inputs.end(), [&](const auto& p) { return p.first == in.inputName(i); });
    REQUIRE(it != c.inputs.end());
    const NpyArray a = npy(dir / it->second);
    Tensor& t = in.input(i);
    REQUIRE(t.type == a.type);
    if (t.dims != a.dims) REQUIRE(in.resizeInput(i, a.dims).isOk());
  }
  for (int k = 0; k < c.invokes; ++k) {
    // Inputs are written before every invoke: the arena may reuse their
    // bytes once the last op reading them ran.
    for (size_t i = 0; i < in.numInputs(); ++i) {
      auto it =
          std::find_if(c.inputs.begin(), c.inputs.end(), [&](const auto& p) { return p.first == in.inputName(i); });
      const NpyArray a = npy(dir / it->second);
      REQUIRE(in.input(i).bytes == a.data.size());
      std::memcpy(in.input(i).data, a.data.data(), a.data.size());
    }
    Status s = in.invoke();
    if (!s.isOk()) FAIL(s.toString());
    size_t checked = 0;
    for (const auto& [invoke, name, file] : c.outputs) {
      if (invoke != k) continue;
      INFO("invoke " << k << ", output '" << name << "'");
      size_t o = 0;
      while (o < in.numOutputs() && in.outputName(o) != name) ++o;
      REQUIRE(o < in.numOutputs());
      checkOutput(in.output(o), npy(dir / file));
      ++checked;
    }
    CHECK(checked == in.numOutputs());
  }
}

}  // namespace

TEST_CASE("converter-made control-flow, variable, LSTM and signature models match LiteRT", "[conformance]") {
  std::vector<fs::path> cases;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(test::testDataPath("control_flow"), ec)) {
    if (fs::exists(e.path() / "case.txt")) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 10);
  InterpreterOptions options;
  INFERD_EACH_KERNEL_PATH(options);
  for (const fs::path& dir : cases) {
    DYNAMIC_SECTION("case " << dir.filename().string()) { runCase(dir, options); }
  }
}

// A WHILE that never ends (while_loop's condition holds forever for a
// negative input) stops at the next operator boundary once the stop flag
// is set, and the interpreter runs the next request normally.
TEST_CASE("invoke(stop) stops a WHILE loop that never ends", "[control_flow][cancel]") {
  auto model = Model::load(test::testDataPath("control_flow/while_loop.tflite"));
  REQUIRE(model.isOk());
  auto created = Interpreter::create(model.value(), InterpreterOptions{});
  REQUIRE(created.isOk());
  Interpreter& in = *created.value();
  REQUIRE(in.numInputs() == 1);
  const std::vector<float> forever = {-1.f, -1.f, -1.f, -1.f};
  REQUIRE(in.input(0).bytes == forever.size() * sizeof(float));
  std::memcpy(in.input(0).data, forever.data(), in.input(0).bytes);

  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  const Status s = in.invoke(stop);
  const auto took = std::chrono::steady_clock::now() - t0;
  stopper.join();
  CHECK(s.code() == StatusCode::kCancelled);
  CHECK(took >= std::chrono::milliseconds(100));
  CHECK(took < std::chrono::seconds(5));

  // Usable afterwards: the committed case's input gives LiteRT's answer.
  const NpyArray x = npy(test::testDataPath("control_flow/while_loop/in_serving_default_x_0.npy"));
  std::memcpy(in.input(0).data, x.data.data(), in.input(0).bytes);
  std::atomic<bool> never{false};
  REQUIRE(in.invoke(never).isOk());
  REQUIRE(in.numOutputs() == 2);
  int32_t count = 0;
  const Tensor& counter = in.output(0).type == ElementType::kInt32 ? in.output(0) : in.output(1);
  std::memcpy(&count, counter.data, sizeof count);
  CHECK(count == 4);
}
