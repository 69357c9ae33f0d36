// inferd-soak: a soak test of the inferd executable. It starts inferd on a
// private socket with the given models, then for --seconds runs
//  - --clients threads (each its own connection, reconnecting now and then)
//    sending a mix of valid requests, requests with a wrong shape or
//    datatype, requests for unknown models, undecodable bytes, and requests
//    cancelled or timed out mid-flight;
//  - --killed inferctl bench processes, killed with SIGKILL at random and
//    started again (clients that die mid-request);
//  - one thread unloading and reloading a model every few seconds;
// and samples the daemon's RSS, heap in use (its Prometheus metrics,
// inferd_heap_bytes, on a metrics socket the run enables) and open fds. It
// prints requests, answers by kind and gRPC code, p50/p99 of the valid
// ones, the RSS/heap/fd timeline, and exits 1 when an answer was unexpected
// (e.g. INTERNAL, or UNAVAILABLE from a model that was never unloaded), the
// daemon died or did not stop cleanly on SIGTERM, the heap in use grew
// after the warm-up (a leak or an ever-growing table), or fds did not come
// back.
//
//   inferd-soak --inferd PATH --inferctl PATH --model-dir DIR --model NAME...
//               [--reload NAME] [--seconds 60] [--clients 64] [--killed 8] [--settle 12]
//               [--strict-rss]
// RSS growth after the warm-up is reported; it fails the run only with
// --strict-rss: RSS also grows by allocator fragmentation (glibc keeps
// freed memory in its arenas), which the heap-in-use check tells apart.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "inference.grpc.pb.h"
#include "inferd/ipc/metrics_http.h"

namespace {

using Clock = std::chrono::steady_clock;
using Stub = inference::GRPCInferenceService::Stub;

struct Options {
  std::string inferd, inferctl, modelDir, reload;
  std::vector<std::string> models;
  double seconds = 60;
  int clients = 64;
  int killed = 8;
  bool strictRss = false;
  // Seconds between the clients leaving and the "after" sample: the daemon
  // gives free heap back to the system every 10 s when it holds > 16 MiB.
  double settle = 12;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "inferd-soak: %s\nusage: inferd-soak --inferd PATH --inferctl PATH --model-dir DIR --model NAME... "
               "[--reload NAME] [--seconds S] [--clients N] [--killed N] [--settle S] [--strict-rss]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--inferd") o.inferd = value();
    else if (a == "--inferctl") o.inferctl = value();
    else if (a == "--model-dir") o.modelDir = value();
    else if (a == "--model") o.models.push_back(value());
    else if (a == "--reload") o.reload = value();
    else if (a == "--seconds") o.seconds = std::atof(value().c_str());
    else if (a == "--clients") o.clients = std::atoi(value().c_str());
    else if (a == "--killed") o.killed = std::atoi(value().c_str());
    else if (a == "--settle") o.settle = std::atof(value().c_str());
    else if (a == "--strict-rss") o.strictRss = true;
    else if (a == "-h" || a == "--help") usage("help");
    else usage(("unknown argument " + a).c_str());
  }
  if (o.inferd.empty() || o.inferctl.empty() || o.modelDir.empty() || o.models.empty()) {
    usage("--inferd, --inferctl, --model-dir and at least one --model are required");
  }
  if (o.reload.empty()) o.reload = o.models.back();
  if (o.seconds <= 0 || o.clients < 1 || o.killed < 0) usage("bad --seconds, --clients or --killed");
  return o;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& logPath) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    FILE* log = std::fopen(logPath.c_str(), "a");
    if (log != nullptr) {
      ::dup2(fileno(log), 1);
      ::dup2(fileno(log), 2);
    }
    std::vector<char*> args;
    for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// VmRSS (KiB) and the number of open fds of `pid`; -1 when gone.
std::pair<long, long> processSample(pid_t pid) {
  long rss = -1, fds = 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  return {rss, rss < 0 ? -1 : fds};
}

// The daemon's heap in use (KiB) from its metrics; -1 when unknown (no
// answer, or a sanitizer build that does not report it).
long heapInUse(const std::string& metricsAddress) {
  inferd::Result<std::string> text = inferd::ipc::httpGet(metricsAddress, "/metrics", std::chrono::seconds(2));
  if (!text) return -1;
  const std::string key = "inferd_heap_bytes{state=\"in_use\"} ";
  const size_t at = text->find("\n" + key);
  if (at == std::string::npos) return -1;
  return static_cast<long>(std::strtod(text->c_str() + at + 1 + key.size(), nullptr) / 1024);
}

struct Sample {
  double t = 0;
  long rss = -1, heap = -1, fds = -1;
};

std::unique_ptr<grpc::ClientContext> ctx(std::chrono::milliseconds timeout) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

std::shared_ptr<grpc::Channel> newChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // its own connection
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

size_t elementBytes(const std::string& datatype) {
  static const std::map<std::string, size_t> kSizes = {
      {"BOOL", 1}, {"INT8", 1},  {"UINT8", 1},  {"INT16", 2}, {"UINT16", 2}, {"FP16", 2},
      {"INT32", 4}, {"UINT32", 4}, {"FP32", 4}, {"INT64", 8}, {"UINT64", 8}, {"FP64", 8}};
  auto it = kSizes.find(datatype);
  return it == kSizes.end() ? 0 : it->second;
}

// A valid request of zeros for a model's metadata (dynamic dims as 1).
inference::ModelInferRequest validRequest(const inference::ModelMetadataResponse& md) {
  inference::ModelInferRequest r;
  r.set_model_name(md.name());
  for (const auto& in : md.inputs()) {
    auto* t = r.add_inputs();
    t->set_name(in.name());
    t->set_datatype(in.datatype());
    size_t bytes = elementBytes(in.datatype());
    for (int64_t d : in.shape()) {
      t->add_shape(d < 0 ? 1 : d);
      bytes *= static_cast<size_t>(d < 0 ? 1 : d);
    }
    r.add_raw_input_contents(std::string(bytes, '\0'));
  }
  return r;
}

enum Kind { kValid, kBadShape, kBadType, kUnknownModel, kGarbage, kCancelled, kKinds };
const char* kKindNames[kKinds] = {"valid", "bad shape", "bad datatype", "unknown model", "undecodable",
                                  "cancelled/timed out"};

struct Tally {
  std::mutex mu;
  std::map<std::pair<int, int>, uint64_t> codes;  // (kind, grpc code) -> count
  std::vector<double> validUs;
  uint64_t unexpected = 0;
  std::vector<std::string> examples;
};

bool expected(Kind kind, grpc::StatusCode code, bool reloadModel) {
  using C = grpc::StatusCode;
  switch (kind) {
    case kValid:
      return code == C::OK || code == C::RESOURCE_EXHAUSTED || (reloadModel && code == C::UNAVAILABLE);
    case kBadShape:
    case kBadType:
      return code == C::INVALID_ARGUMENT || (reloadModel && code == C::UNAVAILABLE);
    case kUnknownModel:
      return code == C::NOT_FOUND;
    case kGarbage:
      return code == C::INVALID_ARGUMENT || code == C::NOT_FOUND || code == C::RESOURCE_EXHAUSTED ||
             code == C::UNAVAILABLE;
    case kCancelled:
      return code == C::CANCELLED || code == C::DEADLINE_EXCEEDED || code == C::OK ||
             code == C::RESOURCE_EXHAUSTED || (reloadModel && code == C::UNAVAILABLE);
    default:
      return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/inferd-soak-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) usage("mkdtemp failed");
  const std::string dir = tmpl;
  const std::string socket = dir + "/run/inferd.sock";
  const std::string target = "unix:" + socket;
  const std::string metricsAddress = "unix:" + dir + "/run/metrics.sock";
  {
    std::ofstream conf(dir + "/inferd.conf");
    conf << "socket_path: \"" << socket << "\"\nmodel_dir: \"" << std::filesystem::absolute(o.modelDir).string()
         << "\"\nmax_connections: 4096\nmodel_defaults { workers: 2 queue_size: 512 }\nshutdown_grace_ms: 10000\n"
         << "metrics_listen: \"" << metricsAddress << "\"\n";
    for (const auto& m : o.models) conf << "models { name: \"" << m << "\" }\n";
  }
  const std::string daemonLog = dir + "/inferd.log";
  const pid_t daemon = spawn({o.inferd, "--config", dir + "/inferd.conf", "--log-level", "warn"}, daemonLog);
  auto control = Stub(newChannel(target));
  bool ready = false;
  for (auto end = Clock::now() + std::chrono::seconds(60); Clock::now() < end && !ready;) {
    inference::ServerReadyResponse r;
    ready = control.ServerReady(ctx(std::chrono::seconds(1)).get(), {}, &r).ok() && r.ready();
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!ready) {
    std::fprintf(stderr, "inferd-soak: inferd did not become ready; its log: %s\n", daemonLog.c_str());
    ::kill(daemon, SIGKILL);
    return 1;
  }
  std::map<std::string, inference::ModelInferRequest> templates;
  for (const auto& m : o.models) {
    inference::ModelMetadataRequest req;
    req.set_name(m);
    inference::ModelMetadataResponse md;
    grpc::Status s = control.ModelMetadata(ctx(std::chrono::seconds(10)).get(), req, &md);
    if (!s.ok()) {
      std::fprintf(stderr, "inferd-soak: metadata of '%s': %s\n", m.c_str(), s.error_message().c_str());
      ::kill(daemon, SIGKILL);
      return 1;
    }
    templates[m] = validRequest(md);
  }
  const auto baseline = processSample(daemon);
  const long startHeap = heapInUse(metricsAddress);
  std::printf("inferd-soak: %zu models, %d client threads, %d killed clients, reloading '%s', %.0f s; baseline "
              "RSS %ld KiB, heap in use %ld KiB, %ld fds\n",
              o.models.size(), o.clients, o.killed, o.reload.c_str(), o.seconds, baseline.first,
              startHeap, baseline.second);
  std::fflush(stdout);

  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> requests{0}, reloads{0}, reloadFailures{0}, kills{0};
  Tally tally;

  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(1000 + c);
      auto channel = newChannel(target);
      auto stub = inference::GRPCInferenceService::NewStub(channel);
      grpc::GenericStub generic(channel);
      for (int n = 0; !stop.load(); ++n) {
        if (n % 200 == 199) {  // hang up and connect again
          channel = newChannel(target);
          stub = inference::GRPCInferenceService::NewStub(channel);
          generic = grpc::GenericStub(channel);
        }
        const auto& model = o.models[rng() % o.models.size()];
        const int roll = static_cast<int>(rng() % 100);
        const Kind kind = roll < 70   ? kValid
                          : roll < 78 ? kBadShape
                          : roll < 84 ? kBadType
                          : roll < 89 ? kUnknownModel
                          : roll < 94 ? kGarbage
                                      : kCancelled;
        inference::ModelInferRequest req = templates[model];
        req.set_id(std::to_string(c) + "-" + std::to_string(n));
        if (kind == kBadShape) req.mutable_inputs(0)->add_shape(3);
        if (kind == kBadType) req.mutable_inputs(0)->set_datatype(req.inputs(0).datatype() == "INT8" ? "FP32" : "INT8");
        if (kind == kUnknownModel) req.set_model_name("no_such_model_" + std::to_string(rng() % 4));
        inference::ModelInferResponse resp;
        grpc::Status st;
        const auto t0 = Clock::now();
        if (kind == kGarbage) {
          std::string bytes(1 + rng() % 256, '\0');
          for (auto& ch : bytes) ch = static_cast<char>(rng());
          grpc::Slice slice(bytes);
          grpc::ByteBuffer in(&slice, 1), out;
          grpc::ClientContext gc;
          gc.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
          std::mutex m;
          std::condition_variable cv;
          bool done = false;
          generic.UnaryCall(&gc, "/inference.GRPCInferenceService/ModelInfer", grpc::StubOptions(), &in, &out,
                            [&](grpc::Status s) {
                              std::lock_guard lock(m);
                              st = s;
                              done = true;
                              cv.notify_one();
                            });
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return done; });
        } else if (kind == kCancelled) {
          st = stub->ModelInfer(ctx(std::chrono::milliseconds(1 + rng() % 5)).get(), req, &resp);
        } else {
          st = stub->ModelInfer(ctx(std::chrono::seconds(30)).get(), req, &resp);
        }
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        ++requests;
        const bool ok = expected(kind, st.error_code(), model == o.reload);
        std::lock_guard lock(tally.mu);
        ++tally.codes[{kind, static_cast<int>(st.error_code())}];
        if (kind == kValid && st.ok()) tally.validUs.push_back(us);
        if (!ok) {
          ++tally.unexpected;
          if (tally.examples.size() < 10) {
            tally.examples.push_back(std::string(kKindNames[kind]) + " to '" + model + "': code " +
                                     std::to_string(st.error_code()) + ": " + st.error_message());
          }
        }
      }
    });
  }

  // Clients that die mid-request: inferctl bench processes killed at random.
  threads.emplace_back([&] {
    std::mt19937 rng(7);
    std::vector<pid_t> procs(static_cast<size_t>(o.killed), -1);
    const std::string benchLog = dir + "/bench.log";
    while (!stop.load()) {
      for (auto& p : procs) {
        if (p > 0 && ::waitpid(p, nullptr, WNOHANG) == p) p = -1;
        if (p < 0) {
          p = spawn({o.inferctl, "--socket", socket, "bench", o.models[rng() % o.models.size()], "-n", "100000000",
                     "-c", "2"},
                    benchLog);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
      if (!procs.empty()) {
        pid_t& victim = procs[rng() % procs.size()];
        if (victim > 0) {
          ::kill(victim, SIGKILL);
          ::waitpid(victim, nullptr, 0);
          victim = -1;
          ++kills;
        }
      }
    }
    for (pid_t p : procs) {
      if (p > 0) {
        ::kill(p, SIGKILL);
        ::waitpid(p, nullptr, 0);
      }
    }
  });

  // Unload and load one model again and again.
  threads.emplace_back([&] {
    auto stub = Stub(newChannel(target));
    while (!stop.load()) {
      for (int i = 0; i < 30 && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stop.load()) break;
      inference::RepositoryModelUnloadRequest u;
      u.set_model_name(o.reload);
      inference::RepositoryModelUnloadResponse ur;
      grpc::Status s1 = stub.RepositoryModelUnload(ctx(std::chrono::seconds(30)).get(), u, &ur);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      inference::RepositoryModelLoadRequest l;
      l.set_model_name(o.reload);
      inference::RepositoryModelLoadResponse lr;
      grpc::Status s2 = stub.RepositoryModelLoad(ctx(std::chrono::seconds(60)).get(), l, &lr);
      ++reloads;
      if (!s1.ok() || !s2.ok()) ++reloadFailures;
    }
  });

  // The daemon's memory and fds over time.
  std::vector<Sample> timeline;
  bool died = false;
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max<long>(200, static_cast<long>(o.seconds * 50))));
    const auto [rss, fds] = processSample(daemon);
    Sample s;
    s.t = std::chrono::duration<double>(Clock::now() - start).count();
    s.rss = rss;
    s.fds = fds;
    if (rss < 0) {
      died = true;
      break;
    }
    s.heap = heapInUse(metricsAddress);
    timeline.push_back(s);
  }
  stop = true;
  for (auto& t : threads) t.join();
  // With every client gone, what the daemon still holds.
  std::this_thread::sleep_for(std::chrono::duration<double>(o.settle));
  const auto settled = processSample(daemon);
  const long settledHeap = died ? -1 : heapInUse(metricsAddress);
  int exitStatus = -1;
  if (!died) {
    ::kill(daemon, SIGTERM);
    int status = 0;
    for (auto until = Clock::now() + std::chrono::seconds(30); Clock::now() < until;) {
      if (::waitpid(daemon, &status, WNOHANG) == daemon) {
        exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (exitStatus < 0) ::kill(daemon, SIGKILL);
  }

  // Report.
  std::printf("requests: %llu in %.1f s (%.0f/s); reloads of '%s': %llu (%llu failed); clients killed: %llu\n",
              static_cast<unsigned long long>(requests.load()), o.seconds, requests.load() / o.seconds,
              o.reload.c_str(), static_cast<unsigned long long>(reloads.load()),
              static_cast<unsigned long long>(reloadFailures.load()), static_cast<unsigned long long>(kills.load()));
  std::printf("%-22s %s\n", "kind", "answers by gRPC code");
  for (int k = 0; k < kKinds; ++k) {
    std::ostringstream line;
    for (const auto& [key, n] : tally.codes) {
      if (key.first == k) line << " code " << key.second << ": " << n << ";";
    }
    std::printf("%-22s%s\n", kKindNames[k], line.str().c_str());
  }
  auto& v = tally.validUs;
  std::sort(v.begin(), v.end());
  if (!v.empty()) {
    std::printf("valid answered OK: %zu, p50 %.0f us, p99 %.0f us\n", v.size(), v[v.size() / 2],
                v[std::min(v.size() - 1, v.size() * 99 / 100)]);
  }
  std::printf("daemon RSS / heap in use (KiB) / fds over time:");
  for (const Sample& s : timeline) std::printf(" %.0fs:%ld/%ld/%ld", s.t, s.rss, s.heap, s.fds);
  std::printf("\n%.0f s after the clients left: RSS %ld KiB, heap in use %ld KiB, %ld fds (baseline %ld KiB, %ld fds)\n",
              o.settle, settled.first, settledHeap, settled.second, baseline.first, baseline.second);

  std::vector<std::string> failures;
  if (died) failures.push_back("the daemon died (log: " + daemonLog + ")");
  if (!died && exitStatus != 0) failures.push_back("SIGTERM: exit status " + std::to_string(exitStatus));
  if (tally.unexpected > 0) failures.push_back(std::to_string(tally.unexpected) + " unexpected answers");
  if (reloadFailures.load() > 0) failures.push_back(std::to_string(reloadFailures.load()) + " failed reloads");
  if (v.empty()) failures.push_back("no valid request was answered");
  // Flat after warm-up: the first quarter of the run warms caches, pools
  // and arenas. After it, the median of the second half may not be well
  // above the median of the second quarter (heap in use; RSS too with
  // --strict-rss). Medians, not maxima: a reload holds two copies of a
  // model and 64 clients' tensors for a moment (spikes of 60 MB were seen
  // in CI), while a leak raises the level for good. Once the clients are
  // gone the fds must be back near the baseline.
  if (timeline.size() >= 4) {
    auto medianOf = [&](size_t from, size_t to, long Sample::*field) {
      std::vector<long> v;
      for (size_t i = from; i < to; ++i) v.push_back(timeline[i].*field);
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const size_t warm = timeline.size() / 4, half = timeline.size() / 2;
    const long warmHeap = medianOf(warm, half, &Sample::heap);
    const long lateHeap = medianOf(half, timeline.size(), &Sample::heap);
    if (warmHeap > 0 && lateHeap > 0) {
      const long allowedHeap = warmHeap + std::max<long>(16 * 1024, warmHeap / 4);
      std::printf("heap in use after warm-up (median): %ld KiB in %.0f-%.0fs, %ld KiB in the second half (allowed %ld)\n",
                  warmHeap, timeline[warm].t, timeline[half - 1].t, lateHeap, allowedHeap);
      if (lateHeap > allowedHeap) failures.push_back("the heap in use grew after the warm-up");
    } else {
      std::printf("heap in use: not reported (a sanitizer build?); not checked\n");
    }
    const long warmRss = medianOf(warm, half, &Sample::rss);
    const long lateRss = medianOf(half, timeline.size(), &Sample::rss);
    const long allowed = warmRss + std::max<long>(32 * 1024, warmRss / 4);
    std::printf("RSS after warm-up (median): %ld KiB in %.0f-%.0fs, %ld KiB in the second half (allowed %ld)\n",
                warmRss, timeline[warm].t, timeline[half - 1].t, lateRss, allowed);
    if (lateRss > allowed) {
      if (o.strictRss) {
        failures.push_back("RSS grew after the warm-up");
      } else {
        std::printf("inferd-soak: WARNING: RSS grew after the warm-up (fails only with --strict-rss; %s)\n",
                    warmHeap > 0 ? "the heap in use stayed flat: allocator fragmentation, not a leak"
                                 : "a sanitizer's allocator (quarantine) holds freed memory");
      }
    }
  }
  // With the clients gone the heap in use must come back near where it
  // started: what stays is a leak or a table that only grows.
  const long baselineHeap = timeline.empty() ? -1 : startHeap;
  if (baselineHeap > 0 && settledHeap > 0) {
    const long allowedHeap = baselineHeap + std::max<long>(4 * 1024, baselineHeap / 2);
    std::printf("heap in use after the clients left: %ld KiB (baseline %ld KiB, allowed %ld)\n", settledHeap,
                baselineHeap, allowedHeap);
    if (settledHeap > allowedHeap) failures.push_back("the heap in use did not come back after the clients left");
  }
  if (settled.second >= 0 && settled.second > baseline.second + 8) {
    failures.push_back("fds: " + std::to_string(settled.second) + " open after the clients left, baseline " +
                       std::to_string(baseline.second));
  }
  for (const auto& e : tally.examples) std::printf("unexpected: %s\n", e.c_str());
  if (failures.empty()) {
    std::printf("inferd-soak: PASS\n");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return 0;
  }
  for (const auto& f : failures) std::printf("inferd-soak: FAIL: %s\n", f.c_str());
  std::printf("inferd-soak: logs kept in %s\n", dir.c_str());
  return 1;
}
