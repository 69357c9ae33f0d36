// When the SIMD float kernels run (see dispatch.h).
#include "dispatch.h"

#include <atomic>

#include "kernels/optimized/cpu_features.h"

namespace inferd::engine::kernels::simd {
namespace {
std::atomic<bool> gDisabled{false};
std::atomic<uint64_t> gCreated{0};
std::atomic<bool> gPreferOwn{false};
}  // namespace

bool hasAvx512() {
  const opt::CpuFeatures& f = opt::cpuFeatures();
  return f.avx512vnni && f.avx2 && !gDisabled.load(std::memory_order_relaxed);
}

bool hasAvx2() { return opt::cpuFeatures().avx2 && !gDisabled.load(std::memory_order_relaxed); }

void setDisabled(bool disabled) { gDisabled.store(disabled, std::memory_order_relaxed); }

void setPreferOwnKernels(bool prefer) { gPreferOwn.store(prefer, std::memory_order_relaxed); }
bool preferOwnKernels() { return gPreferOwn.load(std::memory_order_relaxed); }

void countKernel() { gCreated.fetch_add(1, std::memory_order_relaxed); }
uint64_t createdKernels() { return gCreated.load(std::memory_order_relaxed); }

}  // namespace inferd::engine::kernels::simd
