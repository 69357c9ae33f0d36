// Status and Result<T>: how fallible engine functions report errors.
// No exceptions cross module boundaries; a Status carries a code and a
// message that says what failed, with which value, and why.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace inferd {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad input from the caller (tensor, shape, option)
  kNotFound,          // unknown model, tensor, file
  kInvalidModel,      // a model file that fails verification
  kUnsupported,       // valid model, but an op/type/version we cannot run
  kResourceExhausted, // queue full, out of memory
  kDeadlineExceeded,
  kPermissionDenied,
  kUnavailable,
  kInternal,
  kCancelled,         // stopped before it finished (invoke's stop flag, unload, shutdown)
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string toString() const;

  // Returns a copy with "context: " prepended to the message.
  Status withContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status makeError(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  const Status& status() const {
    static const Status kOkStatus;
    return isOk() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace inferd

// Propagates a failed Status out of the current function.
#define INFERD_RETURN_IF_ERROR(expr)             \
  do {                                           \
    ::inferd::Status inferd_status_ = (expr);    \
    if (!inferd_status_.isOk()) return inferd_status_; \
  } while (0)
