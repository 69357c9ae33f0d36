// A test accelerator: claims a chosen subset of the operators the cpu
// device runs, runs them with the cpu's kernels, and can be told to fail
// prepare or executions, so that partitioning and fallback can be tested
// without accelerator hardware. Its prepare refuses any model holding an
// operator it does not claim, as a real driver's would.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>
#include <functional>
#include <memory>
#include <string>

#include "inferd/hal/device.h"

namespace inferd::test {

class FakeAccelerator : public hal::Device {
 public:
  using Claim = std::function<bool(const engine::OperatorInfo&)>;
  FakeAccelerator(std::string name, Claim claim) : name_(std::move(name)), claim_(std::move(claim)) {}

  std::atomic<bool> failPrepare{false};
  // Executions still to fail (negative: every one).
  std::atomic<int> failExecutions{0};
  // Added to every execution (a slow device).
  std::atomic<int> delayMicros{0};
  // Its version (DeviceInfo::deviceVersion and driverVersion).
  std::string versionString = "fake-1";
  std::atomic<int> prepares{0};
  std::atomic<int> executions{0};

  std::string name() const override { return name_; }
  hal::DeviceKind kind() const override { return hal::DeviceKind::kNpu; }
  std::string version() const override { return versionString; }
  hal::DeviceInfo info() const override {
    hal::DeviceInfo i = hal::Device::info();
    i.driver = "fake";
    i.deviceVersion = i.driverVersion = versionString;
    return i;
  }

  std::vector<hal::OpSupport> supportedOps(const engine::Model& model, int subgraph) const override {
    std::vector<hal::OpSupport> out = cpu_->supportedOps(model, subgraph);
    const auto& ops = model.subgraphs()[static_cast<size_t>(subgraph)].operators;
    for (hal::OpSupport& s : out) {
      if (s.supported && !claim_(ops[static_cast<size_t>(s.opIndex)])) {
        s.supported = false;
        s.reason = "the fake accelerator does not claim " + ops[static_cast<size_t>(s.opIndex)].name();
      }
    }
    return out;
  }

  Result<std::unique_ptr<hal::PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                      const hal::PrepareOptions& options) override {
    prepares += 1;
    if (failPrepare.load()) return Status(StatusCode::kInternal, "fake prepare failure");
    int sg = 0;
    if (!options.signature.empty() && model->findSignature(options.signature) != nullptr) {
      sg = model->findSignature(options.signature)->subgraphIndex;
    }
    for (const engine::OperatorInfo& op : model->subgraphs()[static_cast<size_t>(sg)].operators) {
      if (!op.folded && !claim_(op)) {
        return Status(StatusCode::kUnsupported, "the fake accelerator cannot run " + op.name());
      }
    }
    auto inner = cpu_->prepare(std::move(model), options);
    if (!inner) return inner.status();
    return std::unique_ptr<hal::PreparedModel>(new Prepared(*this, std::move(inner).value()));
  }

 private:
  class Prepared : public hal::PreparedModel {
   public:
    Prepared(FakeAccelerator& d, std::unique_ptr<hal::PreparedModel> inner) : d_(d), inner_(std::move(inner)) {}
    const std::vector<hal::TensorDesc>& inputs() const override { return inner_->inputs(); }
    const std::vector<hal::TensorDesc>& outputs() const override { return inner_->outputs(); }
    size_t workingBytes() const override { return inner_->workingBytes(); }
    std::string deviceName() const override { return d_.name(); }
    Status execute(const std::vector<hal::TensorView>& in, std::vector<hal::OwnedTensor>* out,
                   hal::Deadline deadline, hal::ExecutionTiming* timing) override {
      int left = d_.failExecutions.load();
      while (left != 0) {
        if (left < 0) return Status(StatusCode::kInternal, "fake execution failure");
        if (d_.failExecutions.compare_exchange_weak(left, left - 1)) {
          return Status(StatusCode::kInternal, "fake execution failure");
        }
      }
      d_.executions += 1;
      if (int us = d_.delayMicros.load(); us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
      return inner_->execute(in, out, deadline, timing);
    }

   private:
    FakeAccelerator& d_;
    std::unique_ptr<hal::PreparedModel> inner_;
  };

  std::string name_;
  Claim claim_;
  std::unique_ptr<hal::Device> cpu_ = hal::createCpuDevice();
};

}  // namespace inferd::test
