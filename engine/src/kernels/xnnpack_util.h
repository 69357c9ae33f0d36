// Glue between the kernels and XNNPACK's operator API (the Feb 2022 snapshot
// Debian ships: xnn_create_* / xnn_setup_* / xnn_run_operator). A kernel
// whose prepare sees a case XNNPACK can run (constant weights, supported
// options) creates the operator once and keeps it in its KernelState; its
// eval sets it up with the current tensor pointers and runs it on the
// interpreter's thread pool. Anything XNNPACK refuses falls back to the
// reference kernel, which stays the oracle.
//
// XNNPACK may read up to XNN_EXTRA_BYTES past the end of an input (never
// write): the interpreter leaves that much slack after its arena and dynamic
// tensors, and constants read at eval time are copied into padded buffers
// (paddedCopy) because the model mapping may end right after them.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "kernel_util.h"

namespace inferd::engine::kernels::xnn {

// Initializes XNNPACK once per process (later calls return the first
// result). False when it cannot run here (e.g. unsupported hardware); the
// kernels then use their reference paths.
bool initialize();

// Whether this node may use XNNPACK: optimized kernels requested and
// XNNPACK initialized.
bool enabled(const OpContext& ctx);

// "invalid parameter", "unsupported parameter", ... for messages.
const char* statusName(xnn_status status);

// Owns an xnn_operator_t; deletes it with xnn_delete_operator.
class Operator {
 public:
  Operator() = default;
  ~Operator() { reset(); }
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;
  Operator(Operator&& other) noexcept : op_(std::exchange(other.op_, nullptr)) {}
  Operator& operator=(Operator&& other) noexcept {
    if (this != &other) {
      reset();
      op_ = std::exchange(other.op_, nullptr);
    }
    return *this;
  }

  xnn_operator_t get() const { return op_; }
  explicit operator bool() const { return op_ != nullptr; }
  void reset();
  // For xnn_create_*(..., op.out()): releases the current operator first.
  xnn_operator_t* out() {
    reset();
    return &op_;
  }

 private:
  xnn_operator_t op_ = nullptr;
};

// Keeps `op` when `status` is success, else leaves it empty so the kernel
// falls back to its reference path. A failed creation is not an error:
// XNNPACK declines cases the reference kernels handle.
bool created(xnn_status status, Operator& op);

// Operators created so far in this process (tests use it to check that an
// optimized run really went through XNNPACK).
uint64_t createdOperators();
// The same count for operators created on the calling thread.
uint64_t createdOperatorsOnThisThread();

inline pthreadpool_t threadPool(const OpContext& ctx) {
  return static_cast<pthreadpool_t>(ctx.threadPool());
}

// Work below which handing a job to the thread pool costs more than it
// saves (waking a worker and joining it again is a few microseconds even
// when the workers spin, ~20 us when they sleep): about 10 us on one core.
constexpr int64_t kMinParallelFlops = 400'000;

// The threshold threadPoolFor() uses; tests set 0 so that small cases run
// the multi-threaded code too.
int64_t minParallelFlops();
void setMinParallelFlops(int64_t flops);

// The interpreter's pool for an op of about `flops` floating-point
// operations (a multiply-add counts 2, an element-wise op 1 per element),
// nullptr (run on the calling thread) when the op is too small to gain.
inline pthreadpool_t threadPoolFor(const OpContext& ctx, int64_t flops) {
  return flops >= minParallelFlops() ? threadPool(ctx) : nullptr;
}

// Turns a failed setup into the op's error (eval cannot fall back once the
// reference path's state was not prepared).
Status check(const OpContext& ctx, xnn_status status, const char* what);

// Runs an operator that was set up with `pool` (threadPoolFor()).
Status run(const OpContext& ctx, const Operator& op, pthreadpool_t pool);

// Bound for XNNPACK's size_t-taking APIs and uint32 geometry.
inline bool fitsU32(int64_t v) { return v >= 0 && v <= UINT32_MAX; }

// Floats of `data` followed by XNN_EXTRA_BYTES of zeros, for constants that
// XNNPACK reads during eval.
std::vector<float> paddedCopy(const float* data, size_t count);

}  // namespace inferd::engine::kernels::xnn
