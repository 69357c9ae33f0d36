// Code regions compiled for an instruction set the build does not assume
// (the caller checks the CPU at run time): INFERD_TARGET_BEGIN("avx2,fma")
// ... INFERD_TARGET_END. GCC's `#pragma GCC target` is not understood by
// clang (the fuzzing build), which has `#pragma clang attribute` instead.
#pragma once

#define INFERD_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define INFERD_TARGET_BEGIN(features) \
  INFERD_PRAGMA(clang attribute push(__attribute__((target(features))), apply_to = function))
#define INFERD_TARGET_END INFERD_PRAGMA(clang attribute pop)
#else
#define INFERD_TARGET_BEGIN(features) INFERD_PRAGMA(GCC push_options) INFERD_PRAGMA(GCC target(features))
#define INFERD_TARGET_END INFERD_PRAGMA(GCC pop_options)
#endif
