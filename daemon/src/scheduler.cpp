// Scheduler: bounded priority queue, worker pool over HAL PreparedModels,
// queue timeouts, draining stop, per-model statistics.
#include "inferd/daemon/scheduler.h"

#include <algorithm>
#include <chrono>

#include "inferd/daemon/logging.h"

namespace inferd::daemon {

namespace {

uint64_t nsBetween(Clock::time_point from, Clock::time_point to) {
  if (to <= from) return 0;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

uint64_t epochMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace

void LatencyHistogram::record(uint64_t ns) {
  const double seconds = static_cast<double>(ns) * 1e-9;
  const auto bucket = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  ++counts[static_cast<size_t>(bucket)];
  ++count;
  sumNs += ns;
}

const char* failureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kRejected:
      return "REJECTED";
    case FailureReason::kCanceled:
      return "CANCELED";
    case FailureReason::kBackend:
      return "BACKEND";
    case FailureReason::kOther:
      break;
  }
  return "OTHER";
}

FailureReason classifyFailure(StatusCode code, bool executed) {
  if (code == StatusCode::kCancelled) return FailureReason::kCanceled;
  if (executed) return FailureReason::kBackend;
  if (code == StatusCode::kResourceExhausted || code == StatusCode::kUnavailable ||
      code == StatusCode::kDeadlineExceeded) {
    return FailureReason::kRejected;
  }
  return FailureReason::kOther;
}

void StatsRecorder::recordSuccess(uint64_t queueNs, uint64_t computeNs, uint64_t totalNs) {
  std::lock_guard<std::mutex> lock(mu_);
  ipc::ModelStatistics& s = m_.stats;
  s.lastInferenceMs = epochMs();
  ++s.inferenceCount;  // no batching: one inference per execution
  ++s.executionCount;
  ++s.successCount;
  s.successNs += totalNs;
  ++s.queueCount;
  s.queueNs += queueNs;
  ++s.computeCount;
  s.computeNs += computeNs;
  m_.request.record(totalNs);
  m_.queue.record(queueNs);
  m_.compute.record(computeNs);
}

void StatsRecorder::recordFailure(uint64_t totalNs, bool executed, StatusCode code) {
  std::lock_guard<std::mutex> lock(mu_);
  ipc::ModelStatistics& s = m_.stats;
  ++s.failCount;
  s.failNs += totalNs;
  if (executed) {
    ++s.executionCount;
    s.lastInferenceMs = epochMs();
  }
  ++m_.failures[static_cast<size_t>(classifyFailure(code, executed))];
}

ipc::ModelStatistics StatsRecorder::snapshot(const std::string& name, const std::string& version) const {
  return metrics(name, version).stats;
}

ModelMetrics StatsRecorder::metrics(const std::string& name, const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  ModelMetrics m = m_;
  m.stats.name = name;
  m.stats.version = version;
  return m;
}

Scheduler::Scheduler(std::shared_ptr<const engine::Model> model, SchedulerOptions options,
                     std::shared_ptr<StatsRecorder> stats)
    : model_(std::move(model)), options_(std::move(options)), stats_(std::move(stats)) {
  if (!stats_) stats_ = std::make_shared<StatsRecorder>();
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(std::shared_ptr<const engine::Model> model,
                                                     hal::Device& device, SchedulerOptions options,
                                                     std::shared_ptr<StatsRecorder> stats) {
  const hal::PrepareOptions prepareOptions = options.prepare;
  const std::string modelName = options.model;
  return create(
      model,
      [&, prepareOptions, modelName](int worker) -> Result<std::unique_ptr<hal::PreparedModel>> {
        auto prepared = device.prepare(model, prepareOptions);
        if (!prepared) {
          return prepared.status().withContext(
              fmt::format("model '{}': cannot prepare worker {} on device '{}'", modelName, worker, device.name()));
        }
        return prepared;
      },
      std::move(options), std::move(stats));
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(std::shared_ptr<const engine::Model> model,
                                                     const PrepareWorker& prepare, SchedulerOptions options,
                                                     std::shared_ptr<StatsRecorder> stats,
                                                     std::unique_ptr<hal::PreparedModel> first) {
  if (options.workers < 1) {
    return makeError(StatusCode::kInvalidArgument, "model '{}': workers is {}, need at least 1", options.model,
                     options.workers);
  }
  if (options.queueSize < 1) {
    return makeError(StatusCode::kInvalidArgument, "model '{}': queue_size is 0, need at least 1", options.model);
  }
  std::unique_ptr<Scheduler> s(new Scheduler(model, std::move(options), std::move(stats)));
  // Threads keep references into workers_: size it before any thread starts.
  s->workers_.resize(static_cast<size_t>(s->options_.workers));
  for (size_t i = 0; i < s->workers_.size(); ++i) {
    if (i == 0 && first) {
      s->workers_[i].prepared = std::move(first);
      continue;
    }
    auto prepared = prepare(static_cast<int>(i));
    if (!prepared) return prepared.status();
    s->workers_[i].prepared = std::move(prepared).value();
  }
  for (Worker& w : s->workers_) w.thread = std::thread([raw = s.get(), &w] { raw->workerLoop(w); });
  s->timer_ = std::thread([raw = s.get()] { raw->timerLoop(); });
  return s;
}

Scheduler::~Scheduler() { stop(); }

Status Scheduler::submit(Job&& job) {
  if (job.timeoutMicros && *job.timeoutMicros < 0) {
    return makeError(StatusCode::kInvalidArgument, "model '{}': timeout is {} us; it must be 0 (none) or positive",
                     options_.model, *job.timeoutMicros);
  }
  std::optional<Clock::time_point> deadline;
  if (job.timeoutMicros && *job.timeoutMicros > 0) {
    deadline = job.arrival + std::chrono::microseconds(*job.timeoutMicros);
  }
  const int64_t priority = job.priority.value_or(options_.defaultPriority);
  Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) {
      status = makeError(StatusCode::kUnavailable,
                         "model '{}' is not accepting requests (it is being unloaded or the daemon is stopping)",
                         options_.model);
    } else if (queue_.size() >= options_.queueSize) {
      status = makeError(StatusCode::kResourceExhausted,
                         "model '{}': the queue is full ({} requests waiting, queue_size {}); retry later",
                         options_.model, queue_.size(), options_.queueSize);
    } else {
      const Key key{priority, nextSeq_++};
      queue_.emplace(key, Queued{std::move(job), deadline});
      if (deadline) deadlines_.emplace(*deadline, key);
    }
  }
  if (!status) {
    stats_->recordFailure(nsBetween(job.arrival, Clock::now()), false, status.code());
    return status;
  }
  workCv_.notify_one();
  if (deadline) timerCv_.notify_one();
  return Status::ok();
}

void Scheduler::close(Clock::time_point cancelQueuedAt) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    closing_ = true;
    cancelQueuedAt_ = std::min(cancelQueuedAt_, cancelQueuedAt);
  }
  workCv_.notify_all();
  timerCv_.notify_all();
}

void Scheduler::join() {
  close();
  std::lock_guard<std::mutex> joinLock(joinMu_);
  for (Worker& w : workers_) {
    if (w.thread.joinable()) w.thread.join();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    timerExit_ = true;
  }
  timerCv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

bool Scheduler::accepting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepting_;
}

Clock::duration Scheduler::overdue(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mu_);
  Clock::duration worst = Clock::duration::zero();
  for (const Worker& w : workers_) {
    if (w.busy && w.stopAt != Clock::time_point::max() && now > w.stopAt) worst = std::max(worst, now - w.stopAt);
  }
  return worst;
}

size_t Scheduler::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t Scheduler::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

size_t Scheduler::workingBytes() const {
  size_t total = 0;
  for (const Worker& w : workers_) total += w.prepared->workingBytes();
  return total;
}

void Scheduler::workerLoop(Worker& worker) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    workCv_.wait(lock, [this] { return !queue_.empty() || closing_; });
    if (queue_.empty()) return;  // closing and drained
    auto node = queue_.extract(queue_.begin());
    Queued& q = node.mapped();
    if (q.deadline) deadlines_.erase({*q.deadline, node.key()});
    ++running_;
    // The timer stops the execution at the request's timeout or at the
    // model's execution limit, whichever comes first.
    worker.busy = true;
    worker.reason = StopReason::kNone;
    worker.stop->store(false);
    worker.stopAt = Clock::time_point::max();
    worker.stopAtIsTimeout = false;
    if (options_.maxExecution.count() > 0) worker.stopAt = Clock::now() + options_.maxExecution;
    if (q.deadline && *q.deadline < worker.stopAt) {
      worker.stopAt = *q.deadline;
      worker.stopAtIsTimeout = true;
    }
    // Wake the timer only when it would sleep past this execution's end
    // (with the default 60 s limit, rarely: no wake-up per request).
    if (worker.stopAt < timerWake_) timerCv_.notify_one();
    lock.unlock();
    run(worker, q.job, q.deadline);
    lock.lock();
    worker.busy = false;
    worker.stopAt = Clock::time_point::max();
    --running_;
  }
}

void Scheduler::timerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!timerExit_) {
    const auto now = Clock::now();
    std::vector<Job> expired, cancelled;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto it = queue_.find(deadlines_.begin()->second);
      if (it != queue_.end()) {
        expired.push_back(std::move(it->second.job));
        queue_.erase(it);
      }
      deadlines_.erase(deadlines_.begin());
    }
    if (closing_ && now >= cancelQueuedAt_) {
      for (auto& [key, q] : queue_) cancelled.push_back(std::move(q.job));
      queue_.clear();
      deadlines_.clear();
    }
    if (!expired.empty() || !cancelled.empty()) {
      lock.unlock();
      for (Job& job : expired) {
        const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job.arrival);
        fail(job,
             makeError(StatusCode::kDeadlineExceeded,
                       "model '{}': request{}{} waited {} us in the queue, over its timeout of {} us; it was not run",
                       options_.model, job.id.empty() ? "" : " ", job.id, waited.count(), job.timeoutMicros.value_or(0)),
             false);
      }
      for (Job& job : cancelled) {
        fail(job,
             makeError(StatusCode::kUnavailable,
                       "model '{}': the daemon is stopping and its grace period ended before this request ran",
                       options_.model),
             false);
      }
      lock.lock();
      continue;
    }
    auto wake = deadlines_.empty() ? Clock::time_point::max() : deadlines_.begin()->first;
    if (closing_ && !queue_.empty()) wake = std::min(wake, cancelQueuedAt_);
    // Running executions past their time, or still running when the grace
    // period of a close ends, are told to stop (run() answers them).
    for (Worker& w : workers_) {
      if (!w.busy || w.reason != StopReason::kNone) continue;
      if (closing_ && now >= cancelQueuedAt_) {
        w.reason = StopReason::kClosing;
      } else if (now >= w.stopAt) {
        w.reason = w.stopAtIsTimeout ? StopReason::kTimeout : StopReason::kLimit;
      } else {
        wake = std::min(wake, w.stopAt);
        if (closing_) wake = std::min(wake, cancelQueuedAt_);
        continue;
      }
      w.stop->store(true);
    }
    timerWake_ = wake;
    if (wake == Clock::time_point::max()) {
      timerCv_.wait(lock);
    } else {
      timerCv_.wait_until(lock, wake);
    }
    timerWake_ = Clock::time_point::min();  // awake: it looks at everything next
  }
}

Status Scheduler::stoppedStatus(const Job& job, StopReason reason, Clock::time_point start) const {
  const auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  const std::string request = job.id.empty() ? "request" : "request " + job.id;
  switch (reason) {
    case StopReason::kTimeout:
      return makeError(StatusCode::kDeadlineExceeded,
                       "model '{}': {} was stopped after running {} ms: it reached its timeout of {} us", options_.model,
                       request, ran, job.timeoutMicros.value_or(0));
    case StopReason::kLimit:
      return makeError(StatusCode::kDeadlineExceeded,
                       "model '{}': {} was stopped after running {} ms, the model's max_execution_ms", options_.model,
                       request, ran);
    case StopReason::kClosing:
    case StopReason::kNone:
      break;
  }
  return makeError(StatusCode::kCancelled,
                   "model '{}': {} was stopped after running {} ms: the model is being unloaded or the daemon is "
                   "stopping",
                   options_.model, request, ran);
}

void Scheduler::fail(Job& job, Status status, bool executed) {
  stats_->recordFailure(nsBetween(job.arrival, Clock::now()), executed, status.code());
  if (job.done) job.done(std::move(status));
}

void Scheduler::run(Worker& worker, Job& job, std::optional<Clock::time_point> deadline) {
  const auto start = Clock::now();
  // Nobody waits for the answer of a client that went away: do not run it.
  if (job.cancel && job.cancel->cancelled()) {
    fail(job,
         makeError(StatusCode::kCancelled, "model '{}': request{}{} was not run: its client went away after {} us",
                   options_.model, job.id.empty() ? "" : " ", job.id,
                   std::chrono::duration_cast<std::chrono::microseconds>(start - job.arrival).count()),
         false);
    return;
  }
  // The timer may not have caught it yet: never run an expired request.
  if (deadline && start >= *deadline) {
    fail(job,
         makeError(StatusCode::kDeadlineExceeded,
                   "model '{}': request{}{} waited {} us in the queue, over its timeout of {} us; it was not run",
                   options_.model, job.id.empty() ? "" : " ", job.id,
                   std::chrono::duration_cast<std::chrono::microseconds>(start - job.arrival).count(),
                   job.timeoutMicros.value_or(0)),
         false);
    return;
  }
  std::vector<hal::TensorView> views;
  views.reserve(job.inputs.size());
  for (const ipc::Tensor& t : job.inputs) views.push_back({t.type, t.dims, t.data.data(), t.data.size()});
  std::vector<hal::OwnedTensor> outs;
  hal::ExecutionTiming timing;
  hal::Deadline limit;
  if (deadline) limit.at = *deadline;
  limit.stop = worker.stop.get();
  // The client going away stops the execution like the timer does.
  if (job.cancel) job.cancel->bind(worker.stop.get());
  Status s = worker.prepared->execute(views, &outs, limit, &timing);
  if (job.cancel) job.cancel->unbind();
  if (!s && s.code() == StatusCode::kCancelled && worker.stop->load()) {
    StopReason reason;
    {
      std::lock_guard<std::mutex> lock(mu_);
      reason = worker.reason;
    }
    if (reason == StopReason::kNone && job.cancel && job.cancel->cancelled()) {
      fail(job,
           makeError(StatusCode::kCancelled, "model '{}': request{}{} was stopped after running {} ms: its client "
                     "went away", options_.model, job.id.empty() ? "" : " ", job.id,
                     std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()),
           true);
      return;
    }
    fail(job, stoppedStatus(job, reason, start), true);
    return;
  }
  if (!s) {
    fail(job, s.withContext(fmt::format("model '{}'", options_.model)), true);
    return;
  }
  ipc::InferResponse response;
  response.model = options_.model;
  response.version = options_.version;
  response.id = job.id;
  const auto& descs = worker.prepared->outputs();
  for (size_t index : job.outputs) {
    if (index >= outs.size()) {
      fail(job, makeError(StatusCode::kInternal, "model '{}': output {} requested, the model produced {}",
                          options_.model, index, outs.size()),
           true);
      return;
    }
    ipc::Tensor t;
    t.name = descs[index].name;
    t.type = outs[index].type;
    t.dims = outs[index].dims;
    // Moving is fine: an index is requested once (the backend rejects duplicates).
    t.data = std::move(outs[index].data);
    response.outputs.push_back(std::move(t));
  }
  response.queueNs = nsBetween(job.arrival, start);
  response.computeNs = timing.computeNs;
  stats_->recordSuccess(response.queueNs, timing.computeNs, nsBetween(job.arrival, Clock::now()));
  if (job.done) job.done(std::move(response));
}

}  // namespace inferd::daemon
