// Whether the AVX-512 float kernels in this folder may run. The answer comes
// from the one CPU probe of the optimized kernels (optimized/cpu_features.h,
// libcpuinfo), so INFERD_CPU_ISA=reference|avx2 turns these kernels off too;
// kernels choose their implementation at prepare and keep it in the node's
// state, with XNNPACK and the portable reference kernels as the fallback.
#pragma once

#include <cstdint>

namespace inferd::engine::kernels::simd {

// AVX-512 F, VL, DQ and BW with FMA, as cpuFeatures() reports them (its
// avx512vnni level, which implies them, and avx2, which includes FMA).
bool hasAvx512();

// AVX2 with FMA (cpuFeatures().avx2): the element-wise post-ops have an
// 8-lane version for CPUs without AVX-512.
bool hasAvx2();

// Tests: while set, hasAvx512() and hasAvx2() answer false (the XNNPACK and reference
// paths run instead) without touching the int8 kernels' choice.
void setDisabled(bool disabled);

// Tests: while set, the SIMD kernels run wherever they apply, also where a
// measured policy prefers XNNPACK (the AVX2 depthwise on layers without a
// fused post-op).
void setPreferOwnKernels(bool prefer);
bool preferOwnKernels();

// Kernels created so far in this process from this folder (tests use it to
// check that an optimized run really took a SIMD kernel).
void countKernel();
uint64_t createdKernels();

}  // namespace inferd::engine::kernels::simd
