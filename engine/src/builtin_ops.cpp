// OpResolver::builtins(): every built-in kernel family registers its ops
// (only the selected ones in a selective build, see kernels/register.h).
// Kept apart from op_registry.cpp so that a program with no built-in
// kernels can link the registry without them (engine/probe).
#include "inferd/engine/kernel.h"
#include "kernels/register.h"

namespace inferd::engine {

const OpResolver& OpResolver::builtins() {
  static const OpResolver resolver = [] {
    OpResolver r;
    kernels::registerConvKernels(r);
    kernels::registerFullyConnectedKernels(r);
    kernels::registerPoolingKernels(r);
    kernels::registerReduceKernels(r);
    kernels::registerResizeKernels(r);
    kernels::registerElementwiseKernels(r);
    kernels::registerActivationKernels(r);
    kernels::registerShapeKernels(r);
    kernels::registerQuantizeKernels(r);
    kernels::registerArrayKernels(r);
    kernels::registerUnaryKernels(r);
    kernels::registerBinaryMiscKernels(r);
    kernels::registerGatherKernels(r);
    kernels::registerAxisKernels(r);
    kernels::registerMatMulKernels(r);
    kernels::registerSpaceBatchKernels(r);
    kernels::registerControlFlowKernels(r);
    kernels::registerLstmKernels(r);
    kernels::registerDetectionKernels(r);
    return r;
  }();
  return resolver;
}

OpResolver OpResolver::withBuiltins() { return builtins(); }

}  // namespace inferd::engine
