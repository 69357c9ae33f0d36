// Fuzz target: a .tflite file as the daemon meets it. Load (map, verify,
// fold constants), prepare on the cpu device, and run once on zero inputs
// (dynamic dimensions as 1), stopped after 2 s like a request past its
// time limit. Any error status is fine; a crash, hang or sanitizer report
// is a finding.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "inferd/engine/model.h"
#include "inferd/engine/types.h"
#include "inferd/hal/device.h"

using namespace inferd;

namespace {

// Sets `stop` when an execution runs past its limit (a WHILE that never ends).
class StopTimer {
 public:
  StopTimer() : thread_([this] { loop(); }) { thread_.detach(); }
  void arm(std::chrono::milliseconds limit) {
    std::lock_guard lock(mu_);
    stop.store(false);
    at_ = std::chrono::steady_clock::now() + limit;
    cv_.notify_one();
  }
  void disarm() {
    std::lock_guard lock(mu_);
    at_ = std::chrono::steady_clock::time_point::max();
  }
  std::atomic<bool> stop{false};

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (at_ == std::chrono::steady_clock::time_point::max()) {
        cv_.wait(lock);
      } else if (cv_.wait_until(lock, at_) == std::cv_status::timeout &&
                 std::chrono::steady_clock::now() >= at_) {
        stop.store(true);
        at_ = std::chrono::steady_clock::time_point::max();
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point at_ = std::chrono::steady_clock::time_point::max();
  std::thread thread_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Never destroyed: the timer's thread waits on it until the process ends.
  static hal::Device* device = hal::createCpuDevice().release();
  static StopTimer& timer = *new StopTimer;
  auto model = engine::Model::loadFromBuffer(data, size, "fuzz.tflite");
  if (!model) return 0;
  // As the daemon would, with a tighter arena limit than its 1 GiB: a
  // few-KB file declaring huge tensors is refused, not allocated.
  hal::PrepareOptions options;
  options.maxArenaBytes = size_t{256} << 20;
  auto prepared = device->prepare(*model, options);
  if (!prepared) return 0;
  constexpr size_t kMaxInputBytes = size_t{64} << 20;
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<hal::TensorView> views;
  for (const hal::TensorDesc& d : (*prepared)->inputs()) {
    hal::TensorView v;
    v.type = d.type;
    v.dims = d.dims;
    size_t bytes = engine::elementSize(d.type);
    for (auto& dim : v.dims) {
      if (dim < 0) dim = 1;
      if (dim > 0 && bytes > kMaxInputBytes / static_cast<size_t>(dim)) return 0;  // too large to bother
      bytes *= static_cast<size_t>(dim);
    }
    buffers.emplace_back(bytes, 0);
    v.data = buffers.back().data();
    v.bytes = bytes;
    views.push_back(v);
  }
  std::vector<hal::OwnedTensor> outputs;
  hal::Deadline deadline;
  deadline.stop = &timer.stop;
  timer.arm(std::chrono::milliseconds(2000));
  (void)(*prepared)->execute(views, &outputs, deadline);
  timer.disarm();
  return 0;
}
