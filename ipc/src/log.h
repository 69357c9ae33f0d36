// The logger ipc writes to: "ipc" when the daemon registered it (its shared
// sink, level and pattern), else spdlog's default logger.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

namespace inferd::ipc {

inline std::shared_ptr<spdlog::logger> ipcLog() {
  if (auto l = spdlog::get("ipc")) return l;
  return spdlog::default_logger();
}

// At most one line per `every` for an event that can repeat at the rate
// clients send requests; the lines skipped are counted into the next one.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds every) : every_(every) {}
  // True when a line may be written now; then *suppressed is the number of
  // lines skipped since the last one written.
  bool allow(uint64_t* suppressed) {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (written_ && now - last_ < every_) {
      ++skipped_;
      return false;
    }
    written_ = true;
    last_ = now;
    *suppressed = skipped_;
    skipped_ = 0;
    return true;
  }
  // " (N more since the last one)" or "".
  static std::string suffix(uint64_t suppressed);

 private:
  std::mutex mu_;
  std::chrono::milliseconds every_;
  std::chrono::steady_clock::time_point last_{};
  bool written_ = false;
  uint64_t skipped_ = 0;
};

// Sends protobuf's own log lines (e.g. one per request with a string that
// is not UTF-8) to ipcLog(), throttled. Process-wide; idempotent.
void routeProtobufLogs();

}  // namespace inferd::ipc
