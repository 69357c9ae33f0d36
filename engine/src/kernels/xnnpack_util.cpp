// XNNPACK glue: one-time initialization, operator ownership and status
// messages (see xnnpack_util.h).
#include "xnnpack_util.h"

#include <atomic>
#include <cstring>
#include <mutex>

namespace inferd::engine::kernels::xnn {

bool initialize() {
  // XNNPACK keeps process-wide state (its microkernel tables, cpuinfo) for
  // the life of the process; xnn_deinitialize is never called because any
  // interpreter, in any thread, may still hold operators.
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = xnn_initialize(nullptr) == xnn_status_success; });
  return ok;
}

bool enabled(const OpContext& ctx) { return ctx.optimizedKernels() && initialize(); }

const char* statusName(xnn_status status) {
  switch (status) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "XNNPACK is not initialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown XNNPACK status";
}

namespace {
std::atomic<uint64_t> gCreated{0};
// Per thread: the interpreter tells from it whether a node's prepare (which
// runs on the calling thread) created an operator, for its kernel variant.
thread_local uint64_t tCreated = 0;
std::atomic<int64_t> gMinParallelFlops{kMinParallelFlops};
}  // namespace

int64_t minParallelFlops() { return gMinParallelFlops.load(std::memory_order_relaxed); }
void setMinParallelFlops(int64_t flops) { gMinParallelFlops.store(flops, std::memory_order_relaxed); }

bool created(xnn_status status, Operator& op) {
  if (status != xnn_status_success) {
    op.reset();
    return false;
  }
  gCreated.fetch_add(1, std::memory_order_relaxed);
  ++tCreated;
  return static_cast<bool>(op);
}

uint64_t createdOperators() { return gCreated.load(std::memory_order_relaxed); }
uint64_t createdOperatorsOnThisThread() { return tCreated; }

void Operator::reset() {
  if (op_ != nullptr) {
    xnn_delete_operator(op_);
    op_ = nullptr;
  }
}

Status check(const OpContext& ctx, xnn_status status, const char* what) {
  if (status == xnn_status_success) return Status::ok();
  const StatusCode code =
      status == xnn_status_out_of_memory ? StatusCode::kResourceExhausted : StatusCode::kInternal;
  return ctx.errorMessage(code, fmt::format("XNNPACK {} failed: {} (status {})", what,
                                            statusName(status), static_cast<int>(status)));
}

Status run(const OpContext& ctx, const Operator& op, pthreadpool_t pool) {
  return check(ctx, xnn_run_operator(op.get(), pool), "run");
}

std::vector<float> paddedCopy(const float* data, size_t count) {
  constexpr size_t kExtraFloats = (XNN_EXTRA_BYTES + sizeof(float) - 1) / sizeof(float);
  std::vector<float> v(count + kExtraFloats, 0.f);
  if (count > 0) std::memcpy(v.data(), data, count * sizeof(float));
  return v;
}

}  // namespace inferd::engine::kernels::xnn
