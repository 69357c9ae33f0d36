// libcpuinfo probe behind cpuFeatures() (see cpu_features.h).
#include "cpu_features.h"

#include <cpuinfo.h>

#include <cstdlib>
#include <cstring>

namespace inferd::engine::kernels::opt {
namespace {

CpuFeatures probe() {
  CpuFeatures f;
#if defined(__x86_64__)
  if (cpuinfo_initialize()) {
    f.avx2 = cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3();
    f.avx512vnni = cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() &&
                   cpuinfo_has_x86_avx512vl() && cpuinfo_has_x86_avx512dq() &&
                   cpuinfo_has_x86_avx512vnni();
    f.avx512vbmi = f.avx512vnni && cpuinfo_has_x86_avx512vbmi();
  }
#endif
  f.best = f.avx512vnni ? Isa::kAvx512Vnni : f.avx2 ? Isa::kAvx2 : Isa::kReference;
  if (const char* cap = std::getenv("INFERD_CPU_ISA"); cap != nullptr) {
    if (std::strcmp(cap, "reference") == 0) {
      f.best = Isa::kReference;
    } else if (std::strcmp(cap, "avx2") == 0 && f.avx2) {
      f.best = Isa::kAvx2;
    }
  }
  if (f.best != Isa::kAvx512Vnni) f.avx512vnni = f.avx512vbmi = false;
  if (f.best == Isa::kReference) f.avx2 = false;
  return f;
}

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = probe();
  return features;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kAvx2: return "avx2";
    case Isa::kReference: break;
  }
  return "reference";
}

}  // namespace inferd::engine::kernels::opt
