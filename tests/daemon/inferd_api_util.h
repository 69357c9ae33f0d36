// Helpers for tests that drive a real inferd process over gRPC: a daemon on
// a temporary socket over a temporary repository (links to the models in
// tests/data), the same models run in this process on the HAL's cpu device
// ("local mode") for the expected answers, request builders, and a set of
// asynchronous ModelInfer calls that records the order answers came in.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "../common/inferd_process.h"
#include "../common/subprocess.h"
#include "../common/test_data.h"
#include "daemon_test_util.h"
#include "inference.grpc.pb.h"
#include "inferd/engine/model.h"
#include "inferd/hal/device.h"

namespace inferd::test {

using Stub = inference::GRPCInferenceService::Stub;

// The models of tests/data a temporary repository links to.
inline const char* const kApiTestModels[] = {"face_detection_short_range", "hand_landmark_lite",
                                             "selfie_segmentation", "seq_mlp", "mobilenet_v2_035_96"};

inline std::string modelSourcePath(const std::string& name) {
  for (const char* m : kReferenceModels) {
    if (name == m) return testDataPath("models/" + name + ".tflite");
  }
  return testDataPath("converter_models/" + name + ".tflite");
}

// A client context whose deadline keeps every call bounded in time.
inline std::unique_ptr<grpc::ClientContext> ctx(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

// A channel with a connection of its own (as a separate app would have).
inline std::shared_ptr<grpc::Channel> ownChannel(const std::string& socket) {
  // Keeps gRPC initialized for the rest of the process: with gRPC 1.51 the
  // grpc_shutdown() that destroying the last channel runs can wait ~10 s for
  // an executor thread's poll to time out, between every two test cases.
  static const bool grpcHeld = (grpc_init(), true);
  (void)grpcHeld;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
}

// inferd with `--config` over a temporary repository; `extraConfig` is
// appended to a config that sets socket_path, model_dir and log_level.
class InferdFixture {
 public:
  explicit InferdFixture(const std::string& extraConfig) {
    modelDir_ = dir_.file("models");
    std::filesystem::create_directories(modelDir_);
    for (const char* m : kApiTestModels) {
      // Copied: the daemon does not follow links in its model directory.
      std::filesystem::copy_file(modelSourcePath(m), modelDir_ + "/" + m + ".tflite");
    }
    socket_ = dir_.file("inferd.sock");
    const std::string conf = dir_.write("inferd.conf", "socket_path: \"" + socket_ + "\"\nmodel_dir: \"" + modelDir_ +
                                                           "\"\nlog_level: \"warn\"\n" + extraConfig + "\n");
    process_.start({"--config", conf}, logPath());
    started_ = process_.waitListening(socket_, std::chrono::seconds(120));
    stub_ = inference::GRPCInferenceService::NewStub(ownChannel(socket_));
  }
  // Stops inferd; it must exit 0 with no sanitizer report in its log
  // (checked unless the test is already failing with an exception).
  ~InferdFixture() {
    stub_.reset();  // an idle connection would make inferd wait for its GOAWAY ack
    const int code = process_.stop(std::chrono::seconds(30));
    if (started_ && std::uncaught_exceptions() == 0) {
      const std::string text = log();
      INFO("inferd log:\n" << text);
      CHECK(code == 0);
      CHECK_THAT(text, !Catch::Contains("Sanitizer") && !Catch::Contains("runtime error"));
    }
  }

  bool started() const { return started_; }
  const std::string& socket() const { return socket_; }
  std::string logPath() const { return dir_.file("inferd.log"); }
  std::string log() const { return readAll(logPath()); }
  Stub& stub() { return *stub_; }
  InferdProcess& process() { return process_; }

 private:
  TempDir dir_;
  std::string modelDir_, socket_;
  InferdProcess process_;
  bool started_ = false;
  std::unique_ptr<Stub> stub_;
};

// Input values for one request: float tensors in the model's input order.
struct FloatInput {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// A model loaded and prepared in this process on the cpu device, with the
// options inferd uses: the expected answers.
class LocalModel {
 public:
  explicit LocalModel(const std::string& name) : name_(name), device_(hal::createCpuDevice()) {
    auto model = engine::Model::load(modelSourcePath(name));
    REQUIRE(model.isOk());
    auto prepared = device_->prepare(model.value(), hal::PrepareOptions{});
    REQUIRE(prepared.isOk());
    prepared_ = std::move(prepared).value();
  }
  const std::string& name() const { return name_; }
  const std::vector<hal::TensorDesc>& inputs() const { return prepared_->inputs(); }
  const std::vector<hal::TensorDesc>& outputs() const { return prepared_->outputs(); }

  // Values in [-1, 1) from `seed` for every input (all float32 here).
  std::vector<FloatInput> makeInputs(uint32_t seed) const {
    std::vector<FloatInput> out;
    uint32_t state = seed * 2654435761u + 12345u;
    for (const hal::TensorDesc& d : inputs()) {
      REQUIRE(d.type == engine::ElementType::kFloat32);
      FloatInput in{d.name, std::vector<int64_t>(d.dims.begin(), d.dims.end()), {}};
      int64_t n = 1;
      for (int32_t x : d.dims) n *= x;
      in.values.resize(static_cast<size_t>(n));
      for (float& v : in.values) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
      }
      out.push_back(std::move(in));
    }
    return out;
  }

  // Runs the model here; `inputs` in the model's input order.
  std::vector<hal::OwnedTensor> run(const std::vector<FloatInput>& inputs) const {
    std::vector<hal::TensorView> views;
    for (const FloatInput& in : inputs) {
      views.push_back({engine::ElementType::kFloat32, engine::Dims(in.shape.begin(), in.shape.end()),
                       in.values.data(), in.values.size() * sizeof(float)});
    }
    std::vector<hal::OwnedTensor> outputs;
    Status s = prepared_->execute(views, &outputs, hal::Deadline::none(), nullptr);
    REQUIRE(s.isOk());
    return outputs;
  }

 private:
  std::string name_;
  std::unique_ptr<hal::Device> device_;
  std::unique_ptr<hal::PreparedModel> prepared_;  // execute() is thread-safe
};

inline void addInputHeader(inference::ModelInferRequest& r, const FloatInput& in, const std::string& datatype = "FP32") {
  auto* t = r.add_inputs();
  t->set_name(in.name);
  t->set_datatype(datatype);
  for (int64_t d : in.shape) t->add_shape(d);
}

inline std::string floatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Inputs as raw_input_contents.
inline inference::ModelInferRequest rawRequest(const std::string& model, const std::vector<FloatInput>& inputs) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  for (const FloatInput& in : inputs) {
    addInputHeader(r, in);
    r.add_raw_input_contents(floatBytes(in.values));
  }
  return r;
}

// Inputs as typed contents (fp32_contents).
inline inference::ModelInferRequest typedRequest(const std::string& model, const std::vector<FloatInput>& inputs) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  for (const FloatInput& in : inputs) {
    addInputHeader(r, in);
    auto* c = r.mutable_inputs(r.inputs_size() - 1)->mutable_contents();
    for (float v : in.values) c->add_fp32_contents(v);
  }
  return r;
}

inline void setIntParameter(inference::ModelInferRequest& r, const std::string& key, int64_t value) {
  (*r.mutable_parameters())[key].set_int64_param(value);
}

// Checks that the response carries exactly `expected` (local outputs, by
// model output index) in this order, byte for byte.
inline void checkOutputs(const inference::ModelInferResponse& response, const LocalModel& local,
                         const std::vector<hal::OwnedTensor>& expected, const std::vector<size_t>& indices) {
  REQUIRE(response.outputs_size() == static_cast<int>(indices.size()));
  REQUIRE(response.raw_output_contents_size() == static_cast<int>(indices.size()));
  for (size_t i = 0; i < indices.size(); ++i) {
    const auto& o = response.outputs(static_cast<int>(i));
    const hal::OwnedTensor& want = expected[indices[i]];
    INFO("output " << i << " '" << o.name() << "' of " << local.name());
    CHECK(o.name() == local.outputs()[indices[i]].name);
    CHECK(o.datatype() == "FP32");
    CHECK(std::vector<int64_t>(o.shape().begin(), o.shape().end()) ==
          std::vector<int64_t>(want.dims.begin(), want.dims.end()));
    const std::string& got = response.raw_output_contents(static_cast<int>(i));
    CHECK(got.size() == want.data.size());
    CHECK(std::memcmp(got.data(), want.data.data(), std::min(got.size(), want.data.size())) == 0);
  }
}

inline void checkAllOutputs(const inference::ModelInferResponse& response, const LocalModel& local,
                            const std::vector<hal::OwnedTensor>& expected) {
  std::vector<size_t> all(expected.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  checkOutputs(response, local, expected, all);
}

// A checked gRPC error: its code and the parts its message must name.
inline void checkError(const grpc::Status& s, grpc::StatusCode code, const std::vector<std::string>& parts) {
  INFO("status " << static_cast<int>(s.error_code()) << ": " << s.error_message());
  CHECK(s.error_code() == code);
  for (const std::string& p : parts) CHECK_THAT(s.error_message(), Catch::Contains(p));
}

// Asynchronous ModelInfer calls on one stub; answers are numbered in the
// order they arrive. Waits for every call in the destructor.
class AsyncCalls {
 public:
  struct Call {
    grpc::ClientContext context;
    inference::ModelInferRequest request;
    inference::ModelInferResponse response;
    grpc::Status status;
    int order = -1;  // 0 for the first answer
    bool answered = false;
  };

  explicit AsyncCalls(Stub& stub) : stub_(stub) {}
  ~AsyncCalls() {
    std::vector<Call*> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : calls_) {
        if (!c->answered) pending.push_back(c.get());
      }
    }
    for (Call* c : pending) c->context.TryCancel();
    waitAll(std::chrono::seconds(60));
  }

  // Sends `request`; returns its index.
  size_t send(inference::ModelInferRequest request, std::chrono::seconds deadline = std::chrono::seconds(120)) {
    Call* c = nullptr;
    size_t index = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(std::make_unique<Call>());
      c = calls_.back().get();
      index = calls_.size() - 1;
    }
    c->request = std::move(request);
    c->context.set_deadline(std::chrono::system_clock::now() + deadline);
    stub_.async()->ModelInfer(&c->context, &c->request, &c->response, [this, c](grpc::Status s) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        c->status = std::move(s);
        c->order = answers_++;
        c->answered = true;
      }
      cv_.notify_all();
    });
    return index;
  }

  int answered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return answers_;
  }
  bool waitAnswers(int n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return answers_ >= n; });
  }
  bool waitAll(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return answers_ == static_cast<int>(calls_.size()); });
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_.size();
  }
  // Only once waitAll() returned true (or for answered calls).
  const Call& operator[](size_t i) const {
    std::lock_guard<std::mutex> lock(mu_);
    return *calls_[i];
  }

 private:
  Stub& stub_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Call>> calls_;
  int answers_ = 0;
};

// One model's statistics (ModelStatistics RPC); fails the test on an error.
inline inference::ModelStatistics modelStats(Stub& stub, const std::string& model) {
  inference::ModelStatisticsRequest req;
  req.set_name(model);
  inference::ModelStatisticsResponse resp;
  grpc::Status s = stub.ModelStatistics(ctx().get(), req, &resp);
  INFO(s.error_message());
  REQUIRE(s.ok());
  REQUIRE(resp.model_stats_size() == 1);
  return resp.model_stats(0);
}

inline std::map<std::string, std::string> repositoryStates(Stub& stub, bool readyOnly = false) {
  inference::RepositoryIndexRequest req;
  req.set_ready(readyOnly);
  inference::RepositoryIndexResponse resp;
  std::map<std::string, std::string> states;
  REQUIRE(stub.RepositoryIndex(ctx().get(), req, &resp).ok());
  for (const auto& m : resp.models()) states[m.name()] = m.state();
  return states;
}

inline grpc::Status loadModel(Stub& stub, const std::string& model) {
  inference::RepositoryModelLoadRequest req;
  req.set_model_name(model);
  inference::RepositoryModelLoadResponse resp;
  return stub.RepositoryModelLoad(ctx(std::chrono::seconds(120)).get(), req, &resp);
}

inline grpc::Status unloadModel(Stub& stub, const std::string& model) {
  inference::RepositoryModelUnloadRequest req;
  req.set_model_name(model);
  inference::RepositoryModelUnloadResponse resp;
  return stub.RepositoryModelUnload(ctx(std::chrono::seconds(120)).get(), req, &resp);
}

}  // namespace inferd::test
