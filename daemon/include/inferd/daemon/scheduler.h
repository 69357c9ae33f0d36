// The per-model scheduler: a pool of worker threads, each owning one HAL
// PreparedModel (its own interpreter and arena) over the one shared Model,
// fed from a bounded queue ordered by priority (lower value first, FIFO
// within a priority). A request still queued when its timeout expires is
// answered DEADLINE_EXCEEDED at that moment and never runs. Statistics are
// counted per model.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "inferd/engine/model.h"
#include "inferd/engine/status.h"
#include "inferd/hal/device.h"
#include "inferd/ipc/backend.h"

namespace inferd::daemon {

using Clock = std::chrono::steady_clock;

// Durations of one kind (request, queue, compute) in fixed buckets, for
// Prometheus histograms: counts[i] is how many took at most kBounds[i]
// seconds and more than kBounds[i-1] (not cumulative); counts.back() the
// rest.
struct LatencyHistogram {
  static constexpr std::array<double, 16> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
  std::array<uint64_t, kBounds.size() + 1> counts{};
  uint64_t count = 0;
  uint64_t sumNs = 0;
  void record(uint64_t ns);
};

// Why a request failed, in the reasons of Triton's
// nv_inference_request_failure: refused before running (queue full, queue
// timeout, model going away), cancelled (the client went away, unload,
// shutdown), failed while executing, anything else.
enum class FailureReason { kRejected, kCanceled, kBackend, kOther };
inline constexpr size_t kFailureReasons = 4;
const char* failureReasonName(FailureReason reason);  // "REJECTED", "CANCELED", "BACKEND", "OTHER"
FailureReason classifyFailure(StatusCode code, bool executed);

// Everything the recorder counted, at one moment.
struct ModelMetrics {
  ipc::ModelStatistics stats;
  std::array<uint64_t, kFailureReasons> failures{};  // by FailureReason
  LatencyHistogram request;  // successful requests, arrival to answer
  LatencyHistogram queue;    // successful requests, time queued
  LatencyHistogram compute;  // successful requests, execution
};

// Counters of one model, shared by every loaded version of it so that a
// reload does not reset them. Thread-safe.
class StatsRecorder {
 public:
  void recordSuccess(uint64_t queueNs, uint64_t computeNs, uint64_t totalNs);
  void recordFailure(uint64_t totalNs, bool executed, StatusCode code);
  ipc::ModelStatistics snapshot(const std::string& name, const std::string& version) const;
  ModelMetrics metrics(const std::string& name, const std::string& version) const;

 private:
  mutable std::mutex mu_;
  ModelMetrics m_;
};

struct SchedulerOptions {
  std::string model;        // names the model in messages and responses
  std::string version = "1";
  int workers = 1;
  size_t queueSize = 64;    // requests waiting for a worker (running ones excluded)
  int64_t defaultPriority = 0;
  // Longest one execution may run (0: no limit): past it, or past the
  // request's timeout, the execution is stopped (DEADLINE_EXCEEDED).
  std::chrono::milliseconds maxExecution{60000};
  hal::PrepareOptions prepare;
};

// One request as the scheduler runs it: inputs already matched to the
// model's input order, outputs already resolved to model output indices.
struct Job {
  std::vector<ipc::Tensor> inputs;  // model input order
  std::vector<size_t> outputs;      // model output indices, in response order
  std::string id;
  std::optional<int64_t> priority;       // unset: the model's default
  // > 0: answered DEADLINE_EXCEEDED if still queued after this, and stopped
  // if still running after it.
  std::optional<int64_t> timeoutMicros;
  Clock::time_point arrival = Clock::now();
  // Set when the client went away: a queued job is then answered CANCELLED
  // without running, a running one is stopped at the next operator.
  std::shared_ptr<ipc::CancelToken> cancel;
  ipc::InferCallback done;  // called exactly once, from a worker or the timer thread
};

class Scheduler {
 public:
  // Prepares one PreparedModel per worker on `device` and starts the
  // workers. Fails (naming the model) when the device cannot prepare it.
  static Result<std::unique_ptr<Scheduler>> create(std::shared_ptr<const engine::Model> model, hal::Device& device,
                                                   SchedulerOptions options,
                                                   std::shared_ptr<StatsRecorder> stats = nullptr);
  // Same, with worker i's PreparedModel from prepare(i) (a placed plan:
  // hal::preparePlan); `first`, when given, is worker 0's.
  using PrepareWorker = std::function<Result<std::unique_ptr<hal::PreparedModel>>(int worker)>;
  static Result<std::unique_ptr<Scheduler>> create(std::shared_ptr<const engine::Model> model,
                                                   const PrepareWorker& prepare, SchedulerOptions options,
                                                   std::shared_ptr<StatsRecorder> stats = nullptr,
                                                   std::unique_ptr<hal::PreparedModel> first = nullptr);
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues `job`. On success the job is consumed and job.done runs later.
  // On failure the job is left untouched (its `done` is not called):
  // RESOURCE_EXHAUSTED when queue_size requests are waiting, UNAVAILABLE
  // after close(), INVALID_ARGUMENT for a negative timeout.
  Status submit(Job&& job);

  // Stops accepting requests. Queued requests still run, except those still
  // waiting at `cancelQueuedAt`, which are answered UNAVAILABLE; executions
  // still running then are stopped and answered CANCELLED.
  void close(Clock::time_point cancelQueuedAt = Clock::time_point::max());
  // Waits until every queued and running request is answered and joins the
  // threads. Implies close(). Never call it from a `done` callback.
  void join();
  void stop() {
    close();
    join();
  }

  bool accepting() const;
  // How far past the time it should have stopped (its timeout or the
  // model's limit) the most overdue running execution is; zero when none is.
  // Stopping happens at operator boundaries, so a small overrun is normal;
  // a large one means a worker is wedged (the watchdog's measure).
  Clock::duration overdue(Clock::time_point now = Clock::now()) const;
  size_t queued() const;
  size_t running() const;

  const std::shared_ptr<const engine::Model>& model() const { return model_; }
  const std::vector<hal::TensorDesc>& inputs() const { return workers_.front().prepared->inputs(); }
  const std::vector<hal::TensorDesc>& outputs() const { return workers_.front().prepared->outputs(); }
  std::string deviceName() const { return workers_.front().prepared->deviceName(); }
  // Activation memory of all workers together (bytes).
  size_t workingBytes() const;
  int workerCount() const { return static_cast<int>(workers_.size()); }
  const SchedulerOptions& options() const { return options_; }
  const std::shared_ptr<StatsRecorder>& stats() const { return stats_; }

 private:
  // Why the timer stopped a running execution.
  enum class StopReason { kNone, kTimeout, kLimit, kClosing };
  struct Worker {
    std::unique_ptr<hal::PreparedModel> prepared;
    std::thread thread;
    // The execution in progress (guarded by mu_, except `stop`): when the
    // timer must stop it, and whether and why it did.
    bool busy = false;
    Clock::time_point stopAt = Clock::time_point::max();
    bool stopAtIsTimeout = false;  // stopAt is the request's timeout, not the model's limit
    StopReason reason = StopReason::kNone;
    std::unique_ptr<std::atomic<bool>> stop = std::make_unique<std::atomic<bool>>(false);
  };
  // Queue order: (priority, arrival sequence).
  using Key = std::pair<int64_t, uint64_t>;
  struct Queued {
    Job job;
    std::optional<Clock::time_point> deadline;
  };

  Scheduler(std::shared_ptr<const engine::Model> model, SchedulerOptions options,
            std::shared_ptr<StatsRecorder> stats);
  void workerLoop(Worker& worker);
  void timerLoop();
  void run(Worker& worker, Job& job, std::optional<Clock::time_point> deadline);
  // The answer to an execution the timer stopped.
  Status stoppedStatus(const Job& job, StopReason reason, Clock::time_point start) const;
  void fail(Job& job, Status status, bool executed);

  std::shared_ptr<const engine::Model> model_;
  SchedulerOptions options_;
  std::shared_ptr<StatsRecorder> stats_;
  std::vector<Worker> workers_;
  std::thread timer_;

  mutable std::mutex mu_;
  std::condition_variable workCv_;   // workers: a job or stop
  std::condition_variable timerCv_;  // timer: an earlier deadline or stop
  std::map<Key, Queued> queue_;
  std::set<std::pair<Clock::time_point, Key>> deadlines_;
  uint64_t nextSeq_ = 0;
  Clock::time_point timerWake_ = Clock::time_point::min();  // when the sleeping timer wakes
  size_t running_ = 0;
  bool accepting_ = true;
  bool closing_ = false;
  bool timerExit_ = false;
  Clock::time_point cancelQueuedAt_ = Clock::time_point::max();

  std::mutex joinMu_;  // serializes join() callers
};

}  // namespace inferd::daemon
