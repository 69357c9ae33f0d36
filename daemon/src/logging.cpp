// One stderr sink shared by every module's logger; the pattern carries the
// module name so a line in the journal says which part of the daemon wrote it.
#include "inferd/daemon/logging.h"

#include <atomic>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace inferd::daemon {

namespace {

std::mutex gMu;
std::atomic<int> gLevel{static_cast<int>(spdlog::level::info)};

spdlog::sink_ptr sharedSink() {
  static spdlog::sink_ptr sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    return s;
  }();
  return sink;
}

}  // namespace

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
