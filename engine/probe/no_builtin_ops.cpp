// OpResolver::builtins() with no kernel at all, for engine_probe_core: the
// engine core (loader and verifier, constant folding, graph rewrite, memory
// planner, interpreter, op registry, XNNPACK thread-pool glue) linked without
// any kernel family, so that scripts/size_report.py can measure it. An
// application that registers all of its kernels itself would link the same.
#include "graph_fusion.h"
#include "inferd/engine/kernel.h"

namespace inferd::engine {

const OpResolver& OpResolver::builtins() {
  static const OpResolver resolver;
  return resolver;
}

OpResolver OpResolver::withBuiltins() { return builtins(); }

namespace kernels {
// The graph rewrite only fuses ops whose kernel is the built-in one, and
// there are none here: never called, but graph_fusion.cpp names them.
const KernelRegistration& swishKernel() {
  static const KernelRegistration none;
  return none;
}
const KernelRegistration& swish8Kernel() { return swishKernel(); }
}  // namespace kernels

}  // namespace inferd::engine
