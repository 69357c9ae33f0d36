// One stderr sink shared by every module's logger; the pattern carries the
// module name so a line in the journal says which part of the daemon wrote it.
#include "inferd/daemon/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace inferd::daemon {

namespace {

std::mutex gMu;
std::atomic<int> gLevel{static_cast<int>(spdlog::level::info)};

// "%*": the syslog priority of the line as journald reads it at the start
// of a line ("<3>" for errors, sd-daemon.h's SD_ERR).
class JournalPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const char* p = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: p = "<7>"; break;
      case spdlog::level::info: p = "<6>"; break;
      case spdlog::level::warn: p = "<4>"; break;
      case spdlog::level::err: p = "<3>"; break;
      case spdlog::level::critical: p = "<2>"; break;
      default: break;
    }
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriority>(); }
};

spdlog::sink_ptr sharedSink() {
  static spdlog::sink_ptr sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    if (stderrIsJournal()) {
      // journald stamps each line itself; the prefix gives it the priority.
      auto f = std::make_unique<spdlog::pattern_formatter>();
      f->add_flag<JournalPriority>('*').set_pattern("%*[%n] %v");
      s->set_formatter(std::move(f));
    } else {
      s->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    }
    return s;
  }();
  return sink;
}

}  // namespace

bool stderrIsJournal() {
  // systemd sets JOURNAL_STREAM to "<dev>:<inode>" of the stream it gave
  // the service as stdout/stderr; a match means stderr goes to journald.
  const char* js = std::getenv("JOURNAL_STREAM");
  if (js == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

std::shared_ptr<spdlog::logger> logger(const std::string& module) {
  std::lock_guard<std::mutex> lock(gMu);
  if (auto existing = spdlog::get(module)) return existing;
  auto log = std::make_shared<spdlog::logger>(module, sharedSink());
  log->set_level(static_cast<spdlog::level::level_enum>(gLevel.load()));
  // Errors are rare and matter: make sure they reach the journal at once.
  log->flush_on(spdlog::level::warn);
  spdlog::register_logger(log);
  return log;
}

Result<spdlog::level::level_enum> parseLogLevel(const std::string& name) {
  static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},  {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
      {"critical", spdlog::level::critical}, {"off", spdlog::level::off}};
  for (const auto& [n, level] : kLevels) {
    if (name == n) return level;
  }
  return makeError(StatusCode::kInvalidArgument,
                   "unknown log level '{}' (expected trace, debug, info, warn, error, critical or off)", name);
}

void setLogLevel(spdlog::level::level_enum level) {
  std::lock_guard<std::mutex> lock(gMu);
  gLevel = static_cast<int>(level);
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

}  // namespace inferd::daemon
