// Scheduler: priority order, bounded queue, queue timeouts, draining stop,
// worker pool, statistics. A GATE model keeps a worker busy on demand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>

#include "../common/test_data.h"
#include "daemon_test_util.h"
#include "inferd/daemon/scheduler.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::Answer;
using inferd::test::Gate;
using inferd::test::waitUntil;

namespace {

struct Fixture {
  std::unique_ptr<hal::Device> device = hal::createCpuDevice(&test::gateResolver());
  std::unique_ptr<Scheduler> scheduler;

  explicit Fixture(int workers = 1, size_t queueSize = 8, int64_t defaultPriority = 0) {
    Gate::instance().reset();
    const auto bytes = test::gateModelBytes();
    engine::LoadOptions lo;
    lo.resolver = &test::gateResolver();
    auto model = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "gate", lo);
    REQUIRE(model.isOk());
    SchedulerOptions o;
    o.model = "gate";
    o.workers = workers;
    o.queueSize = queueSize;
    o.defaultPriority = defaultPriority;
    auto s = Scheduler::create(model.value(), *device, o);
    REQUIRE(s.isOk());
    scheduler = std::move(s).value();
  }
  ~Fixture() {
    Gate::instance().open();
    scheduler->stop();
  }

  // Submits a job computing 2*v; returns its status.
  Status submit(float v, const Answer& answer, std::optional<int64_t> priority = std::nullopt,
                std::optional<int64_t> timeoutMicros = std::nullopt) {
    Job job;
    job.inputs.push_back(test::floatTensor(test::kGateInput, {1}, {v}));
    job.outputs = {0};
    job.id = std::to_string(v);
    job.priority = priority;
    job.timeoutMicros = timeoutMicros;
    job.done = answer.callback();
    return scheduler->submit(std::move(job));
  }

  // Occupies the only worker until the gate opens.
  Answer block() {
    Gate::instance().close();
    Answer a;
    REQUIRE(submit(-1, a).isOk());
    REQUIRE(waitUntil([&] { return scheduler->running() == 1; }));
    return a;
  }
};

}  // namespace

TEST_CASE("a job runs and answers with the model's output", "[scheduler]") {
  Fixture f;
  Answer a;
  REQUIRE(f.submit(21, a).isOk());
  REQUIRE(a.wait());
  REQUIRE(a.result().isOk());
  const ipc::InferResponse& r = a.result().value();
  CHECK(r.model == "gate");
  CHECK(r.id == "21.000000");
  REQUIRE(r.outputs.size() == 1);
  CHECK(r.outputs[0].name == test::kGateOutput);
  CHECK(test::firstFloat(r.outputs[0]) == 42.0f);
  CHECK(a.calls() == 1);

  const auto stats = f.scheduler->stats()->snapshot("gate", "1");
  CHECK(stats.successCount == 1);
  CHECK(stats.inferenceCount == 1);
  CHECK(stats.executionCount == 1);
  CHECK(stats.computeCount == 1);
  CHECK(stats.successNs > 0);
  CHECK(stats.failCount == 0);
}

TEST_CASE("lower priority values run first, FIFO within a priority", "[scheduler]") {
  Fixture f(1, 8, /*defaultPriority=*/5);
  Answer blocker = f.block();
  Answer a1, a2, a3, a4, a5;
  REQUIRE(f.submit(1, a1, 5).isOk());
  REQUIRE(f.submit(2, a2, 1).isOk());
  REQUIRE(f.submit(3, a3).isOk());  // the model's default priority: 5
  REQUIRE(f.submit(4, a4, 0).isOk());
  REQUIRE(f.submit(5, a5, 1).isOk());
  CHECK(f.scheduler->queued() == 5);
  Gate::instance().open();
  for (Answer* a : {&blocker, &a1, &a2, &a3, &a4, &a5}) {
    REQUIRE(a->wait());
    CHECK(a->result().isOk());
  }
  CHECK(Gate::instance().log() == std::vector<float>{-1, 4, 2, 5, 1, 3});
}

TEST_CASE("a full queue refuses at once with RESOURCE_EXHAUSTED", "[scheduler]") {
  Fixture f(1, 2);
  Answer blocker = f.block();
  Answer a1, a2, a3;
  REQUIRE(f.submit(1, a1).isOk());
  REQUIRE(f.submit(2, a2).isOk());
  const auto t0 = Clock::now();
  Status s = f.submit(3, a3);
  CHECK(Clock::now() - t0 < std::chrono::milliseconds(100));
  CHECK(s.code() == StatusCode::kResourceExhausted);
  CHECK_THAT(s.message(), Catch::Contains("gate") && Catch::Contains("queue_size 2"));
  CHECK_FALSE(a3.answered());  // a refused job is left to the caller
  CHECK(f.scheduler->stats()->snapshot("gate", "1").failCount == 1);

  Gate::instance().open();
  REQUIRE(a1.wait());
  REQUIRE(a2.wait());
  CHECK(a1.result().isOk());
  CHECK(a2.result().isOk());
  // With room again, the queue accepts.
  Answer a4;
  REQUIRE(f.submit(4, a4).isOk());
  REQUIRE(a4.wait());
  CHECK(test::firstFloat(a4.result()->outputs[0]) == 8.0f);
}

TEST_CASE("a request still queued at its timeout gets DEADLINE_EXCEEDED and never runs", "[scheduler]") {
  Fixture f;
  Answer blocker = f.block();
  Answer expiring, patient;
  const auto t0 = Clock::now();
  REQUIRE(f.submit(7, expiring, std::nullopt, /*timeoutMicros=*/20000).isOk());
  REQUIRE(f.submit(8, patient, std::nullopt, /*timeoutMicros=*/0).isOk());  // 0: no timeout

  // Answered when it expires, while the worker is still busy.
  REQUIRE(expiring.wait(std::chrono::seconds(5)));
  const auto waited = Clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(20));
  CHECK(waited < std::chrono::seconds(2));
  CHECK(expiring.code() == StatusCode::kDeadlineExceeded);
  CHECK_THAT(expiring.result().status().message(), Catch::Contains("gate") && Catch::Contains("20000 us"));
  CHECK_FALSE(blocker.answered());
  CHECK(f.scheduler->queued() == 1);

  Gate::instance().open();
  REQUIRE(patient.wait());
  CHECK(patient.result().isOk());
  const auto log = Gate::instance().log();
  CHECK(std::find(log.begin(), log.end(), 7.0f) == log.end());
  CHECK(std::find(log.begin(), log.end(), 8.0f) != log.end());
  const auto stats = f.scheduler->stats()->snapshot("gate", "1");
  CHECK(stats.failCount == 1);
  CHECK(stats.executionCount == 2);  // the blocker and `patient`, not the expired one
  CHECK(expiring.calls() == 1);
}

TEST_CASE("a negative timeout is refused", "[scheduler]") {
  Fixture f;
  Answer a;
  CHECK(f.submit(1, a, std::nullopt, -5).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("stop refuses new work, answers everything queued and running, then joins", "[scheduler]") {
  Fixture f(1, 8);
  Answer blocker = f.block();
  std::vector<Answer> queued(3);
  for (size_t i = 0; i < queued.size(); ++i) REQUIRE(f.submit(static_cast<float>(i + 1), queued[i]).isOk());

  std::thread stopper([&] { f.scheduler->stop(); });
  REQUIRE(waitUntil([&] { return !f.scheduler->accepting(); }));
  Answer late;
  CHECK(f.submit(9, late).code() == StatusCode::kUnavailable);
  CHECK_FALSE(blocker.answered());  // stop waits for the running request

  Gate::instance().open();
  stopper.join();
  CHECK(blocker.answered());
  CHECK(blocker.result().isOk());
  for (size_t i = 0; i < queued.size(); ++i) {
    REQUIRE(queued[i].answered());
    REQUIRE(queued[i].result().isOk());
    CHECK(test::firstFloat(queued[i].result()->outputs[0]) == 2.0f * static_cast<float>(i + 1));
  }
  CHECK(f.scheduler->running() == 0);
  CHECK(f.scheduler->queued() == 0);
}

TEST_CASE("at the end of the grace period queued requests get UNAVAILABLE", "[scheduler]") {
  Fixture f(1, 8);
  Answer blocker = f.block();
  Answer a1, a2;
  REQUIRE(f.submit(1, a1).isOk());
  REQUIRE(f.submit(2, a2).isOk());
  f.scheduler->close(Clock::now() + std::chrono::milliseconds(30));
  REQUIRE(a1.wait(std::chrono::seconds(5)));
  REQUIRE(a2.wait(std::chrono::seconds(5)));
  CHECK(a1.code() == StatusCode::kUnavailable);
  CHECK(a2.code() == StatusCode::kUnavailable);
  CHECK_FALSE(blocker.answered());
  Gate::instance().open();
  f.scheduler->join();
  // A kernel is not interrupted: stopped at the next operator boundary,
  // the gate model (one op) has none left and answers.
  CHECK(blocker.result().isOk());
}

TEST_CASE("workers run requests at the same time, each on its own prepared model", "[scheduler]") {
  Fixture f(3, 8);
  Gate::instance().close();
  std::vector<Answer> answers(3);
  for (auto& a : answers) REQUIRE(f.submit(-1, a).isOk());
  CHECK(waitUntil([&] { return f.scheduler->running() == 3; }));
  CHECK(f.scheduler->workerCount() == 3);
  CHECK(f.scheduler->workingBytes() > 0);
  Gate::instance().open();
  for (auto& a : answers) {
    REQUIRE(a.wait());
    CHECK(a.result().isOk());
  }
}

TEST_CASE("many concurrent submitters each get exactly one answer", "[scheduler]") {
  Fixture f(2, 1000);
  constexpr int kThreads = 8, kEach = 50;
  // Each Answer built on its own (copies of an Answer share its result).
  std::vector<std::vector<Answer>> answers(kThreads);
  for (auto& row : answers) row.resize(kEach);
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};  // Catch's macros are not thread-safe: count here, check below
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!f.submit(static_cast<float>(t * 1000 + i), answers[t][i], i % 3)) ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(refused == 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      REQUIRE(answers[t][i].wait());
      REQUIRE(answers[t][i].result().isOk());
      CHECK(test::firstFloat(answers[t][i].result()->outputs[0]) == 2.0f * static_cast<float>(t * 1000 + i));
    }
  }
  CHECK(f.scheduler->stats()->snapshot("gate", "1").successCount == kThreads * kEach);
}

namespace {

// A scheduler over control_flow/while_loop.tflite on the real cpu device:
// its WHILE never ends for a negative input.
struct LoopFixture {
  std::unique_ptr<hal::Device> device = hal::createCpuDevice();
  std::unique_ptr<Scheduler> scheduler;

  explicit LoopFixture(std::chrono::milliseconds maxExecution) {
    auto model = engine::Model::load(test::testDataPath("control_flow/while_loop.tflite"));
    REQUIRE(model.isOk());
    SchedulerOptions o;
    o.model = "while_loop";
    o.maxExecution = maxExecution;
    auto s = Scheduler::create(model.value(), *device, o);
    REQUIRE(s.isOk());
    scheduler = std::move(s).value();
  }
  ~LoopFixture() { scheduler->stop(); }

  Status submit(float v, const Answer& answer, std::optional<int64_t> timeoutMicros = std::nullopt,
                std::shared_ptr<ipc::CancelToken> cancel = nullptr) {
    Job job;
    job.inputs.push_back(test::floatTensor("x", {1, 4}, {v, v, v, v}));
    job.outputs = {0, 1};
    job.timeoutMicros = timeoutMicros;
    job.cancel = std::move(cancel);
    job.done = answer.callback();
    return scheduler->submit(std::move(job));
  }
};

// After a stopped execution the worker is free: a normal request runs.
void requireWorkerFree(LoopFixture& f) {
  Answer next;
  REQUIRE(f.submit(0.5f, next).isOk());
  REQUIRE(next.wait(std::chrono::seconds(10)));
  REQUIRE(next.result().isOk());
}

}  // namespace

TEST_CASE("an execution past the model's max_execution_ms is stopped with DEADLINE_EXCEEDED", "[scheduler][cancel]") {
  LoopFixture f(std::chrono::milliseconds(200));
  Answer forever;
  const auto t0 = Clock::now();
  REQUIRE(f.submit(-1.f, forever).isOk());
  REQUIRE(forever.wait(std::chrono::seconds(10)));
  const auto took = Clock::now() - t0;
  CHECK(took >= std::chrono::milliseconds(200));
  CHECK(took < std::chrono::seconds(5));
  CHECK(forever.code() == StatusCode::kDeadlineExceeded);
  CHECK_THAT(forever.result().status().message(), Catch::Contains("max_execution_ms"));
  requireWorkerFree(f);
  const auto stats = f.scheduler->stats()->snapshot("while_loop", "1");
  CHECK(stats.failCount == 1);
}

TEST_CASE("a running execution past its request's timeout is stopped with DEADLINE_EXCEEDED", "[scheduler][cancel]") {
  LoopFixture f(std::chrono::milliseconds(0));  // no model limit
  Answer forever;
  const auto t0 = Clock::now();
  REQUIRE(f.submit(-1.f, forever, /*timeoutMicros=*/150000).isOk());
  REQUIRE(forever.wait(std::chrono::seconds(10)));
  CHECK(Clock::now() - t0 < std::chrono::seconds(5));
  CHECK(forever.code() == StatusCode::kDeadlineExceeded);
  CHECK_THAT(forever.result().status().message(), Catch::Contains("timeout of 150000 us"));
  requireWorkerFree(f);
}

TEST_CASE("close stops running executions when the grace period ends (CANCELLED)", "[scheduler][cancel]") {
  LoopFixture f(std::chrono::milliseconds(0));
  Answer forever, queued;
  REQUIRE(f.submit(-1.f, forever).isOk());
  REQUIRE(waitUntil([&] { return f.scheduler->running() == 1; }));
  REQUIRE(f.submit(0.5f, queued).isOk());
  const auto t0 = Clock::now();
  f.scheduler->close(Clock::now() + std::chrono::milliseconds(100));
  f.scheduler->join();  // returns: nothing runs forever
  CHECK(Clock::now() - t0 < std::chrono::seconds(5));
  REQUIRE(forever.answered());
  CHECK(forever.code() == StatusCode::kCancelled);
  REQUIRE(queued.answered());
  CHECK(queued.code() == StatusCode::kUnavailable);
}

TEST_CASE("requests of a client that went away are dropped from the queue and stopped when running",
          "[scheduler][cancel]") {
  LoopFixture f(std::chrono::milliseconds(0));  // no model limit: only the client can stop it
  auto runningClient = std::make_shared<ipc::CancelToken>();
  auto queuedClient = std::make_shared<ipc::CancelToken>();
  Answer forever, queued;
  REQUIRE(f.submit(-1.f, forever, std::nullopt, runningClient).isOk());
  REQUIRE(waitUntil([&] { return f.scheduler->running() == 1; }));
  // Queued behind the endless one; its client goes away first. The while
  // loop model would run it (input 0.5 ends), so a CANCELLED answer with
  // executionCount unchanged shows it never ran.
  REQUIRE(f.submit(0.5f, queued, std::nullopt, queuedClient).isOk());
  queuedClient->cancel();
  const auto t0 = Clock::now();
  runningClient->cancel();
  REQUIRE(forever.wait(std::chrono::seconds(10)));
  CHECK(Clock::now() - t0 < std::chrono::seconds(5));
  CHECK(forever.code() == StatusCode::kCancelled);
  CHECK_THAT(forever.result().status().message(), Catch::Contains("client went away"));
  REQUIRE(queued.wait(std::chrono::seconds(10)));
  CHECK(queued.code() == StatusCode::kCancelled);
  CHECK_THAT(queued.result().status().message(), Catch::Contains("was not run"));
  const auto stats = f.scheduler->stats()->snapshot("while_loop", "1");
  CHECK(stats.executionCount == 1);  // the endless one only
  requireWorkerFree(f);
}

TEST_CASE("a cancel token that fires after its request finished changes nothing", "[scheduler][cancel]") {
  LoopFixture f(std::chrono::milliseconds(0));
  auto client = std::make_shared<ipc::CancelToken>();
  Answer first;
  REQUIRE(f.submit(0.5f, first, std::nullopt, client).isOk());
  REQUIRE(first.wait(std::chrono::seconds(10)));
  REQUIRE(first.result().isOk());
  client->cancel();  // the worker unbound it: the next request must not see it
  requireWorkerFree(f);
}

TEST_CASE("overdue() measures how far a wedged execution runs past its stop time", "[scheduler][watchdog]") {
  Fixture f;
  CHECK(f.scheduler->overdue() == Clock::duration::zero());
  // The GATE kernel waits inside one operator, so the stop flag cannot take
  // effect: a stand-in for a kernel or driver that hangs.
  Gate::instance().close();
  Answer a;
  REQUIRE(f.submit(-1, a, std::nullopt, /*timeoutMicros=*/50000).isOk());
  REQUIRE(waitUntil([&] { return f.scheduler->running() == 1; }));
  CHECK(f.scheduler->overdue() < std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(f.scheduler->overdue() >= std::chrono::milliseconds(200));
  Gate::instance().open();
  REQUIRE(a.wait());  // its only operator finished: nothing was left to stop
  REQUIRE(waitUntil([&] { return f.scheduler->running() == 0; }));
  CHECK(f.scheduler->overdue() == Clock::duration::zero());
}
