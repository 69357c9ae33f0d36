// `inferctl bench` against the daemon: N inference requests spread over C
// client threads, each with its own connection, like C independent apps;
// reports latency percentiles and throughput (--json for scripts).
// `bench --local` is bench_local.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <latch>
#include <mutex>
#include <thread>

#include "commands.h"
#include "daemon_client.h"
#include "report.h"
#include "tensor_io.h"

namespace inferd::inferctl {

namespace {

using Clock = std::chrono::steady_clock;

Result<std::vector<client::Tensor>> benchInputs(const BenchArgs& args, const client::ModelMetadata& meta) {
  std::vector<client::Tensor> inputs;
  if (!args.inputs.empty()) {
    auto expected = inputSpecs(meta);
    if (!expected) return expected.status();
    auto arrays = readInputs(args.inputs, *expected);
    if (!arrays) return arrays.status();
    for (size_t i = 0; i < arrays->size(); ++i) inputs.push_back(tensorFromNpy((*expected)[i].name, (*arrays)[i]));
    return inputs;
  }
  for (const client::TensorInfo& t : meta.inputs) {
    if (std::any_of(t.shape.begin(), t.shape.end(), [](int64_t d) { return d < 0; })) {
      return makeError(StatusCode::kInvalidArgument,
                       "input '{}' has a dynamic shape {}; give its data with --input {}=FILE.npy", t.name,
                       client::shapeToString(t.shape), t.name);
    }
    inputs.push_back(client::Tensor::zeros(t.name, t.type, t.shape));
  }
  return inputs;
}

}  // namespace

int benchCommand(const BenchArgs& args) {
  auto c = connectDaemon(args.socket);
  if (!c) return fail(c.status().message());
  auto meta = c->modelMetadata(args.model);
  if (!meta) return failStatus(meta.status());
  auto inputs = benchInputs(args, *meta);
  if (!inputs) return fail(inputs.status().message());
  const client::InferOptions options = inferOptions(args.request);

  // Each thread connects (and checks the daemon answers) before the clock
  // starts, so connection setup is not measured.
  std::vector<client::Client> clients;
  for (int i = 0; i < args.concurrency; ++i) {
    auto ci = connectDaemon(args.socket);
    if (!ci) return fail(ci.status().message());
    auto live = ci->serverLive();
    if (!live) return failStatus(live.status());
    clients.push_back(std::move(ci).value());
  }

  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<double> latencies;  // microseconds, successful requests
  int errors = 0;
  std::string firstError;
  std::latch start(args.concurrency + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < args.concurrency; ++i) {
    threads.emplace_back([&, i] {
      std::vector<double> mine;
      int myErrors = 0;
      std::string myFirst;
      start.arrive_and_wait();
      while (next.fetch_add(1) < args.requests) {
        const auto t0 = Clock::now();
        auto r = clients[static_cast<size_t>(i)].infer(args.model, *inputs, options);
        const auto t1 = Clock::now();
        if (r) {
          mine.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        } else {
          if (myErrors++ == 0) myFirst = r.status().toString();
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      if (errors == 0 && myErrors > 0) firstError = myFirst;
      errors += myErrors;
    });
  }
  const auto t0 = Clock::now();
  start.arrive_and_wait();
  for (std::thread& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();

  const Summary lat = summarize(latencies);
  const size_t count = lat.count;
  const double throughput = wall > 0 ? static_cast<double>(count) / wall : 0;

  if (args.json) {
    fmt::print(
        "{{\"model\": {}, \"target\": {}, \"requests\": {}, \"concurrency\": {}, \"count\": {}, \"errors\": {}, "
        "\"latency_us\": {{\"min\": {:.1f}, \"mean\": {:.1f}, \"p50\": {:.1f}, \"p95\": {:.1f}, \"p99\": {:.1f}, "
        "\"max\": {:.1f}}}, \"throughput_rps\": {:.2f}, \"wall_s\": {:.6f}, \"first_error\": {}}}\n",
        jsonString(args.model), jsonString(c->target()), args.requests, args.concurrency, count, errors, lat.min,
        lat.mean, lat.median, lat.p95, lat.p99, lat.max, throughput, wall, jsonString(firstError));
  } else {
    fmt::print("bench: model {} via inferd at {}, {} requests over {} concurrent clients\n", args.model, c->target(),
               args.requests, args.concurrency);
    fmt::print("count: {}, errors: {}\n", count, errors);
    fmt::print("latency ms: min {:.3f} mean {:.3f} p50 {:.3f} p95 {:.3f} p99 {:.3f} max {:.3f}\n", lat.min / 1e3,
               lat.mean / 1e3, lat.median / 1e3, lat.p95 / 1e3, lat.p99 / 1e3, lat.max / 1e3);
    fmt::print("throughput: {:.1f} requests/s over {:.3f} s\n", throughput, wall);
  }
  if (errors > 0) return fail(fmt::format("{} of {} requests failed; first: {}", errors, args.requests, firstError));
  return 0;
}

}  // namespace inferd::inferctl
