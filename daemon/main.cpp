// inferd: the on-device inference daemon. Reads the config (flags override
// it), loads the configured models, serves the Open Inference Protocol over
// gRPC on a Unix socket (and TCP when asked), and lives by signals:
// SIGTERM/SIGINT drain and exit 0, SIGHUP re-reads the config. Signals are
// blocked in every thread and taken with sigwaitinfo() on the main thread,
// so no work happens inside a signal handler.
#include <malloc.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "inferd/daemon/config.h"
#include "inferd/daemon/daemon.h"
#include "inferd/daemon/logging.h"
#include "inferd/daemon/metrics.h"
#include "inferd/ipc/metrics_http.h"
#include "inferd/ipc/server.h"
#include "inferd/ipc/socket_path.h"

#ifdef INFERD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace {

using namespace inferd;
using namespace inferd::daemon;

// Tells systemd (Type=notify) where we are; a no-op outside systemd.
void notify([[maybe_unused]] const std::string& state) {
#ifdef INFERD_HAVE_SYSTEMD
  sd_notify(0, state.c_str());
#endif
}

std::string monotonicUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::to_string(static_cast<uint64_t>(ts.tv_sec) * 1000000ull + static_cast<uint64_t>(ts.tv_nsec) / 1000);
}

// Raises the soft open-file limit to the hard one: every connection costs
// an fd, and running out must not be what caps the service. Returns the
// soft limit in force.
rlim_t raiseFdLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur;
}

// Returns the allocator's free memory to the system when it holds more than
// 16 MiB (malloc_trim also releases free pages inside its arenas).
// Sanitizer builds report no heap: nothing to do there.
void releaseFreeHeap(const std::shared_ptr<spdlog::logger>& log) {
  const struct mallinfo2 before = mallinfo2();
  constexpr size_t kKeep = size_t{16} << 20;
  if (before.fordblks <= kKeep) return;
  malloc_trim(0);
  const struct mallinfo2 after = mallinfo2();
  log->debug("heap: {} MiB free in the allocator, gave back {} MiB", before.fordblks >> 20,
             before.fordblks > after.fordblks ? (before.fordblks - after.fordblks) >> 20 : 0);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "inferd: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ParsedArgs args = parseCommandLine(argc, argv);
  if (args.exit) {
    std::fputs(args.message.c_str(), args.exitCode == 0 ? stdout : stderr);
    return args.exitCode;
  }
  const CommandLine& cl = args.commandLine;
  auto resolved = resolveConfig(cl);
  if (!resolved) return fail(resolved.status().message());
  config::DaemonConfig config = std::move(resolved).value();
  if (cl.checkConfig) {
    std::fputs(configToText(config, true).c_str(), stdout);
    return 0;
  }
  setLogLevel(*parseLogLevel(config.log_level()));
  auto log = logger("inferd");
  logger("ipc");  // the transports log through it

  // Before any thread starts, so that every thread inherits the mask and
  // the signals wait for sigwaitinfo() below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  log->info("inferd {} starting: socket {}{}{}, model_dir {}", INFERD_VERSION, config.socket_path(),
            config.listen().empty() ? "" : ", tcp ", config.listen(),
            config.model_dir().empty() ? "(none)" : config.model_dir());
  // Started by inferd.socket: systemd bound the socket (and owns its file).
  // Read before any thread starts (it clears the LISTEN_* variables).
  const int activatedFd = ipc::socketActivationFd();
  Daemon daemon(config);
  const auto failed = daemon.loadConfiguredModels();
  if (!failed.empty()) log->warn("{} configured model(s) failed to load; see the errors above", failed.size());

  const rlim_t fdLimit = raiseFdLimit();
  // Models, logs and gRPC's own fds need some room besides connections.
  constexpr rlim_t kSpareFds = 64;
  if (fdLimit != RLIM_INFINITY && fdLimit < config.max_connections() + kSpareFds) {
    log->warn("max_connections {} does not fit under the open-file limit {} (LimitNOFILE); connections beyond "
              "what the limit allows are refused",
              config.max_connections(), fdLimit);
  }
  ipc::ServerOptions so;
  so.listenFd = activatedFd;
  if (so.listenFd >= 0) {
    log->info("socket activation: serving the socket systemd passed (fd {})", so.listenFd);
  } else if (Status s = ipc::ensureSocketDir(config.socket_path()); !s) {
    return fail(s.message());
  }
  so.socketPath = config.socket_path();
  so.maxConnections = config.max_connections();
  so.socketMode = static_cast<mode_t>(config.socket_mode());
  so.tcpAddress = config.listen();
  so.allowNonLoopbackTcp = config.listen_allow_remote();
  // gRPC's own ceiling: a request carries at most a few tensors of
  // max_tensor_bytes (room for the envelope so that the size check, not
  // gRPC, answers oversize tensors), and never more than the in-flight
  // budget. Below it the service refuses, before decoding, what no loaded
  // model takes and what the budget cannot hold now.
  const uint64_t maxMessage = std::min<uint64_t>(
      {config.max_tensor_bytes() * 4 + (1u << 20), config.max_request_bytes_in_flight(), INT32_MAX});
  so.maxInflightBytes = static_cast<size_t>(config.max_request_bytes_in_flight());
  so.maxMessageBytes = static_cast<int>(maxMessage);
  ipc::GrpcServer server(daemon.backend(), so);
  if (Status s = server.start(); !s) {
    daemon.shutdown();
    return fail(s.message());
  }
  // Prometheus metrics, when configured: statistics of every client, so
  // a scraper needs the admin action.
  std::unique_ptr<ipc::MetricsHttpServer> metrics;
  if (!config.metrics_listen().empty()) {
    ipc::MetricsHttpOptions mo;
    mo.address = config.metrics_listen();
    mo.socketMode = static_cast<mode_t>(config.socket_mode());
    mo.allowNonLoopback = config.listen_allow_remote();
    auto started = ipc::MetricsHttpServer::start(
        mo,
        [&daemon, &server] {
          return renderMetrics(daemon.registry(), TransportCounters{server.listenerStats(), server.serviceStats()});
        },
        [&daemon](const ipc::Peer& peer) { return daemon.backend().authorize(peer, ipc::Action::kAdmin, ""); });
    if (!started) {
      server.shutdown(std::chrono::milliseconds(0));
      daemon.shutdown();
      return fail(started.status().message());
    }
    metrics = std::move(started).value();
    log->info("metrics: http://{}/metrics", metrics->address());
  }
  log->info("serving on {}{} ({} model(s) loaded)", server.target(),
            server.tcpPort() ? fmt::format(" and tcp port {}", server.tcpPort()) : "",
            daemon.registry().loadedModels().size());
  notify("READY=1\nSTATUS=serving on " + config.socket_path());

  // systemd's watchdog (WatchdogSec=): WATCHDOG=1 goes out only while no
  // worker is wedged, i.e. no execution has run on for half the watchdog
  // period past the time it was told to stop (its timeout or the model's
  // max_execution_ms; stopping happens at operator boundaries). A wedged
  // daemon is then restarted by systemd instead of hanging forever.
  uint64_t watchdogUsec = 0;
#ifdef INFERD_HAVE_SYSTEMD
  if (sd_watchdog_enabled(0, &watchdogUsec) <= 0) watchdogUsec = 0;
#endif
  const auto watchdogTick = std::chrono::microseconds(watchdogUsec / 3);
  const auto wedgedAfter = std::chrono::microseconds(watchdogUsec / 2);
  bool withholding = false;
  auto watchdog = [&] {
    const auto [model, overdue] = daemon.registry().mostOverdue();
    if (overdue > wedgedAfter) {
      if (!withholding) {
        log->error("watchdog: model '{}' has an execution {} ms past the time it should have stopped; no longer "
                   "telling systemd that inferd is alive",
                   model, std::chrono::duration_cast<std::chrono::milliseconds>(overdue).count());
      }
      withholding = true;
      return;
    }
    if (withholding) log->info("watchdog: workers make progress again");
    withholding = false;
    notify("WATCHDOG=1");
  };
  if (watchdogUsec > 0) {
    log->info("watchdog: every {} ms", watchdogUsec / 1000);
    watchdog();
  }

  // Between signals, every tick: the watchdog (when systemd asked for one)
  // and giving the allocator's free memory back to the system after a
  // burst of requests (glibc keeps freed memory in its per-thread arenas;
  // without this RSS stays at the high-water mark of the busiest minute).
  const auto tick = watchdogUsec > 0 ? std::min<std::chrono::microseconds>(watchdogTick, std::chrono::seconds(10))
                                     : std::chrono::microseconds(std::chrono::seconds(10));
  for (;;) {
    siginfo_t info{};
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(tick);
    timespec ts{static_cast<time_t>(secs.count()),
                static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(tick - secs).count())};
    const int sig = sigtimedwait(&signals, &info, &ts);
    if (sig < 0 && errno == EAGAIN) {
      if (watchdogUsec > 0) watchdog();
      releaseFreeHeap(log);
      continue;
    }
    if (sig < 0) continue;  // EINTR
    if (sig == SIGHUP) {
      notify("RELOADING=1\nMONOTONIC_USEC=" + monotonicUsec());
      log->info("SIGHUP: re-reading {}", cl.configPath.empty() ? "the command line (no --config)" : cl.configPath);
      auto next = resolveConfig(cl);
      if (!next) {
        log->error("config not reloaded, keeping the current one: {}", next.status().message());
      } else {
        daemon.applyConfig(*next);
      }
      notify("READY=1");
      continue;
    }
    log->info("{}: stopping; answering the requests in flight (grace {} ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
              config.shutdown_grace_ms());
    break;
  }

  notify("STOPPING=1");
  const auto grace = std::chrono::milliseconds(config.shutdown_grace_ms());
  const auto deadline = Clock::now() + grace;
  // The gRPC service refuses new requests (UNAVAILABLE, "shutting down")
  // from here on; queued and running ones are still answered while the
  // server waits for its RPCs. Only then does the backend stop: a request
  // that got past the service's check just before the drain began still
  // finds its model ready and is answered, never "not ready".
  server.setServing(false);
  server.shutdown(std::chrono::system_clock::now() + grace);
  if (metrics) metrics->stop();
  daemon.shutdown(deadline);
  log->info("stopped");
  return 0;
}
