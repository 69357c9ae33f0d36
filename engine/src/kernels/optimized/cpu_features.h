// The instruction sets the optimized kernels may use on this CPU, read once
// from libcpuinfo. INFERD_CPU_ISA=reference|avx2|avx512vnni caps them (for
// tests of the slower paths and for comparisons); it never enables an
// instruction set the CPU lacks.
#pragma once

namespace inferd::engine::kernels::opt {

enum class Isa { kReference, kAvx2, kAvx512Vnni };

struct CpuFeatures {
  bool avx2 = false;
  bool avx512vnni = false;  // AVX-512 F, BW, VL, DQ and VNNI together
  bool avx512vbmi = false;  // and VBMI (byte permutes: 256-entry table lookups)
  Isa best = Isa::kReference;
};

const CpuFeatures& cpuFeatures();

const char* isaName(Isa isa);

}  // namespace inferd::engine::kernels::opt
