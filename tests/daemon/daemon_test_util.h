// Helpers for the daemon tests: temporary folders, a "gate" model whose one
// custom op blocks while the test holds the gate closed (to keep a worker
// busy on demand), a HAL device that records what it prepares, and
// callbacks that can be waited on.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_data.h"
#include "../engine/op_test_util.h"
#include "inferd/engine/kernel.h"
#include "inferd/hal/device.h"
#include "inferd/ipc/backend.h"

namespace inferd::test {

// A folder under $TMPDIR (or /tmp) removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/inferd-daemon-test-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to path()/name, creating folders on the way.
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = file(name);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

// The gate: GATE ops with a negative input wait until it is open; every
// GATE eval appends its input value to the log (the order work ran in).
class Gate {
 public:
  static Gate& instance() {
    static Gate g;
    return g;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void waitOpen() {
    std::unique_lock<std::mutex> lock(mu_);
    // Bounded, so that a broken test cannot hang the suite.
    cv_.wait_for(lock, std::chrono::seconds(20), [this] { return open_; });
  }
  void record(float v) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(v);
  }
  std::vector<float> log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  void reset() {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
    open_ = true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  std::vector<float> log_;
};

inline Status gatePrepare(engine::OpContext& ctx) { return ctx.resizeOutput(0, ctx.input(0)->dims); }

inline Status gateEval(engine::OpContext& ctx) {
  const float v = ctx.input(0)->as<float>()[0];
  if (v < 0) Gate::instance().waitOpen();
  Gate::instance().record(v);
  const engine::Tensor* in = ctx.input(0);
  engine::Tensor* out = ctx.output(0);
  for (int64_t i = 0; i < in->numElements(); ++i) out->as<float>()[i] = in->as<float>()[i] * 2;
  return Status::ok();
}

// Built-in kernels plus GATE.
inline const engine::OpResolver& gateResolver() {
  static const engine::OpResolver r = [] {
    engine::OpResolver res = engine::OpResolver::withBuiltins();
    engine::KernelRegistration reg;
    reg.minInputs = reg.maxInputs = 1;
    reg.prepare = gatePrepare;
    reg.eval = gateEval;
    reg.types = {engine::ElementType::kFloat32};
    res.addCustom("GATE", reg);
    return res;
  }();
  return r;
}

// The gate model's tensors (OpModelBuilder names tensors t<index>).
inline const char* const kGateInput = "t0";
inline const char* const kGateOutput = "t1";

// A model t0 FLOAT32 [1] -> GATE -> t1 FLOAT32 [1] (t1 = 2 * t0).
inline std::vector<uint8_t> gateModelBytes() {
  OpModelBuilder b;
  const int in = b.addInput(engine::ElementType::kFloat32, {1});
  const int out = b.addOutput(engine::ElementType::kFloat32, {1});
  b.addCustomOp("GATE", {in}, {out}, {});
  return b.finish();
}

inline std::string writeGateModel(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const auto bytes = gateModelBytes();
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline ipc::Tensor floatTensor(const std::string& name, engine::Dims dims, const std::vector<float>& values) {
  ipc::Tensor t;
  t.name = name;
  t.type = engine::ElementType::kFloat32;
  t.dims = std::move(dims);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

inline float firstFloat(const ipc::Tensor& t) {
  float v = 0;
  if (t.data.size() >= sizeof(float)) std::memcpy(&v, t.data.data(), sizeof(float));
  return v;
}

// A callback whose result can be waited for. The callback shares its state,
// so it stays valid even if the Answer goes away first.
class Answer {
 public:
  Answer() : state_(std::make_shared<State>()) { state_->future = state_->promise.get_future().share(); }
  ipc::InferCallback callback() const {
    return [state = state_](Result<ipc::InferResponse> r) {
      std::lock_guard<std::mutex> lock(state->mu);
      ++state->calls;
      if (state->calls == 1) state->promise.set_value(std::move(r));
    };
  }
  // True when answered within `timeout`.
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return state_->future.wait_for(timeout) == std::future_status::ready;
  }
  bool answered() const { return wait(std::chrono::milliseconds(0)); }
  const Result<ipc::InferResponse>& result() const { return state_->future.get(); }
  StatusCode code() const { return result().status().code(); }
  int calls() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->calls;
  }

 private:
  struct State {
    std::mutex mu;
    int calls = 0;
    std::promise<Result<ipc::InferResponse>> promise;
    std::shared_future<Result<ipc::InferResponse>> future;
  };
  std::shared_ptr<State> state_;
};

// Polls `pred` until it holds or `timeout` passes.
inline bool waitUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

// Wraps a device and records the Model each prepare() received.
class RecordingDevice : public hal::Device {
 public:
  explicit RecordingDevice(const engine::OpResolver* resolver = nullptr) : inner_(hal::createCpuDevice(resolver)) {}
  std::string name() const override { return inner_->name(); }
  hal::DeviceKind kind() const override { return inner_->kind(); }
  std::string version() const override { return inner_->version(); }
  std::vector<hal::OpSupport> supportedOps(const engine::Model& model, int subgraph) const override {
    return inner_->supportedOps(model, subgraph);
  }
  Result<std::unique_ptr<hal::PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                      const hal::PrepareOptions& options) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      prepared_.push_back(model.get());
    }
    return inner_->prepare(std::move(model), options);
  }
  std::vector<const engine::Model*> prepared() const {
    std::lock_guard<std::mutex> lock(mu_);
    return prepared_;
  }

 private:
  std::unique_ptr<hal::Device> inner_;
  mutable std::mutex mu_;
  std::vector<const engine::Model*> prepared_;
};

}  // namespace inferd::test
