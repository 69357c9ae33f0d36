// `inferctl bench MODEL --local`: benchmark a .tflite file in this process on
// the HAL's cpu device, in the manner of TensorFlow Lite's benchmark_model:
// load time, first inference, warm-up mean, then statistics of the timed
// runs (the graph's compute time of each execution: Interpreter::invoke,
// without input and output copies) and peak memory. Long runs report
// progress on stderr; Ctrl-C stops and reports what was measured so far.
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <string>

#include "commands.h"
#include "local_model.h"
#include "op_profile.h"
#include "report.h"

namespace inferd::inferctl {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t gInterrupted = 0;

extern "C" void onInterrupt(int) { gInterrupted = 1; }

// Catches the first SIGINT for the lifetime of the object; a second one
// (SA_RESETHAND) ends the process as usual.
class InterruptGuard {
 public:
  InterruptGuard() {
    gInterrupted = 0;
    struct sigaction sa = {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, &previous_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  bool interrupted() const { return gInterrupted != 0; }

 private:
  struct sigaction previous_ = {};
};

// A "VmHWM:  12345 kB" line of /proc/self/status, in bytes; 0 if absent.
uint64_t procStatusBytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

// Prints a progress line on stderr at most once a second, once the
// benchmark has run for more than two seconds.
class Progress {
 public:
  explicit Progress(Clock::time_point start) : start_(start), last_(start) {}
  // `what()` (the text after the elapsed time) is only called to print.
  template <typename F>
  void update(F what) {
    const auto now = Clock::now();
    if (now - start_ <= std::chrono::seconds(2) || now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    fmt::print(stderr, "bench: {:.1f} s, {}\n", std::chrono::duration<double>(now - start_).count(), what());
  }

 private:
  Clock::time_point start_, last_;
};

std::string jsonNumber(double v, bool valid) { return valid ? fmt::format("{:.6f}", v) : "null"; }

}  // namespace

int benchLocalCommand(const BenchArgs& args) {
  LocalOptions options;
  options.model = args.model;
  options.threads = args.threads;
  options.optimizedKernels = !args.referenceKernels;
  options.profile = args.profile;
  options.device = args.device;
  options.strict = args.strict;
  auto opened = openLocalModel(options);
  if (!opened) return fail(opened.status().message());
  LocalModel& m = opened.value();
  hal::PreparedModel& pm = *m.prepared;
  auto inputs = localInputs(pm, args.inputs, args.fill == "zeros" ? InputFill::kZeros : InputFill::kRandom);
  if (!inputs) return fail(inputs.status().message());
  const std::vector<hal::TensorView> views = inputs->views();

  InterruptGuard interrupt;
  std::vector<hal::OwnedTensor> outputs;
  std::optional<Status> failure;
  const auto runOnce = [&](std::vector<double>* times) {
    hal::ExecutionTiming timing;
    Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
    if (!s.isOk()) {
      failure = s;
      return false;
    }
    times->push_back(static_cast<double>(timing.computeNs) / 1e6);
    return true;
  };

  const auto benchStart = Clock::now();
  Progress progress(benchStart);
  std::vector<double> warmup, timed;
  double timedSum = 0;
  // The first inference is the first warm-up run, as in benchmark_model.
  while (static_cast<int>(warmup.size()) < args.warmup && !interrupt.interrupted()) {
    if (!runOnce(&warmup)) break;
    progress.update([&] { return fmt::format("warm-up {}/{}", warmup.size(), args.warmup); });
  }
  pm.resetProfile();  // the profile covers the timed runs only
  const auto timedStart = Clock::now();
  const bool byDuration = args.durationSeconds > 0;
  const auto deadline = timedStart + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(byDuration ? args.durationSeconds : 0));
  while (!failure && !interrupt.interrupted()) {
    if (args.runs > 0 && static_cast<int>(timed.size()) >= args.runs) break;
    if (byDuration && !timed.empty() && Clock::now() >= deadline) break;
    if (!runOnce(&timed)) break;
    timedSum += timed.back();
    progress.update([&] {
      const double mean = timedSum / static_cast<double>(timed.size());
      return args.runs > 0 ? fmt::format("{}/{} runs, mean {:.3f} ms", timed.size(), args.runs, mean)
                           : fmt::format("{} runs, mean {:.3f} ms", timed.size(), mean);
    });
  }
  const double timedSeconds = std::chrono::duration<double>(Clock::now() - timedStart).count();
  const bool interrupted = interrupt.interrupted();
  if (failure) return fail(fmt::format("inference failed: {}", failure->message()));

  const Summary w = summarize(warmup);
  const Summary t = summarize(timed);
  const double firstMs = warmup.empty() ? 0 : warmup.front();
  const uint64_t peakRss = procStatusBytes("VmHWM");
  const size_t arena = pm.workingBytes();
  const std::string kernels = args.referenceKernels ? "reference" : "optimized";
  const std::string inputKind = args.inputs.empty() ? args.fill : "files";
  std::optional<OpProfileReport> profile;
  if (args.profile) profile = buildOpProfile(*m.model, m.subgraph, pm.profile(), timed.size());

  if (args.json) {
    const bool haveTimed = t.count > 0;
    std::string json = fmt::format(
        "{{\"model\": {}, \"device\": {}, \"threads\": {}, \"kernels\": {}, \"inputs\": {}, "
        "\"load_ms\": {:.6f}, \"model_load_ms\": {:.6f}, \"interpreter_create_ms\": {:.6f}, "
        "\"first_inference_ms\": {}, \"warmup_runs\": {}, \"warmup_mean_ms\": {}, "
        "\"count\": {}, \"mean_ms\": {}, \"std_ms\": {}, \"min_ms\": {}, \"p5_ms\": {}, \"median_ms\": {}, "
        "\"p95_ms\": {}, \"p99_ms\": {}, \"max_ms\": {}, \"timed_s\": {:.6f}, "
        "\"peak_rss_bytes\": {}, \"arena_bytes\": {}, \"interrupted\": {}, \"placement\": {}",
        jsonString(args.model), jsonString(pm.deviceName()), args.threads, jsonString(kernels), jsonString(inputKind),
        m.loadMs + m.prepareMs, m.loadMs, m.prepareMs, jsonNumber(firstMs, w.count > 0), w.count,
        jsonNumber(w.mean, w.count > 0), t.count, jsonNumber(t.mean, haveTimed), jsonNumber(t.std, haveTimed),
        jsonNumber(t.min, haveTimed), jsonNumber(t.p5, haveTimed), jsonNumber(t.median, haveTimed),
        jsonNumber(t.p95, haveTimed), jsonNumber(t.p99, haveTimed), jsonNumber(t.max, haveTimed), timedSeconds,
        peakRss, arena, interrupted ? "true" : "false", jsonString(m.plan.summary()));
    if (profile) json += ", \"profile\": " + opProfileJson(*profile);
    fmt::print("{}}}\n", json);
  } else {
    fmt::print("bench: {} on {} (local), {} thread{}, {} kernels, {} inputs\n", args.model, pm.deviceName(),
               args.threads, args.threads == 1 ? "" : "s", kernels, inputKind);
    if (!args.device.empty()) printPlan(m.plan, false, m.placement);
    fmt::print("load: {:.3f} ms (Model::load {:.3f} ms, prepare {:.3f} ms)\n", m.loadMs + m.prepareMs,
               m.loadMs, m.prepareMs);
    if (w.count > 0) {
      fmt::print("first inference: {:.3f} ms\n", firstMs);
      fmt::print("warm-up: {} run{}, mean {:.3f} ms\n", w.count, w.count == 1 ? "" : "s", w.mean);
    }
    fmt::print("timed runs (graph compute, ms): count {} in {:.3f} s\n", t.count, timedSeconds);
    if (t.count > 0) {
      fmt::print("  mean {:.3f}  std {:.3f}  min {:.3f}  p5 {:.3f}  median {:.3f}  p95 {:.3f}  p99 {:.3f}  max {:.3f}\n",
                 t.mean, t.std, t.min, t.p5, t.median, t.p95, t.p99, t.max);
    }
    fmt::print("memory: peak RSS (VmHWM) {:.1f} MiB, arena {:.2f} MiB ({} bytes)\n",
               static_cast<double>(peakRss) / (1 << 20), static_cast<double>(arena) / (1 << 20), arena);
    if (profile) printOpProfile(*profile, t.mean);
  }
  if (interrupted) {
    fmt::print(stderr, "bench: interrupted after {} warm-up and {} timed runs\n", w.count, t.count);
    return 130;  // 128 + SIGINT, as a shell reports a process Ctrl-C stopped
  }
  return 0;
}

}  // namespace inferd::inferctl
