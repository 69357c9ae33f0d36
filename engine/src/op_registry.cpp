// The op registry: kernels keyed by (builtin code or custom name, version
// range), the built-in resolver, and operator names.
#include <mutex>

#include "inferd/engine/kernel.h"
#include "kernels/register.h"
#include "tflite_generated.h"

namespace inferd::engine {

namespace fb = ::inferd::tflite;

namespace {
constexpr int32_t kCustom = static_cast<int32_t>(fb::BuiltinOperator::CUSTOM);

bool sameOp(const KernelRegistration& r, int32_t code, const std::string& custom) {
  if (r.builtinCode != code) return false;
  return code != kCustom || r.customName == custom;
}
}  // namespace

std::string builtinOperatorName(int32_t code) {
  if (code >= static_cast<int32_t>(fb::BuiltinOperator::MIN) && code <= static_cast<int32_t>(fb::BuiltinOperator::MAX)) {
    const char* name = fb::EnumNameBuiltinOperator(static_cast<fb::BuiltinOperator>(code));
    if (name != nullptr && name[0] != '\0') return name;
  }
  return fmt::format("UNKNOWN({})", code);
}

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

void OpResolver::add(KernelRegistration registration) {
  // A later registration for the same op replaces overlapping ones.
  std::erase_if(registrations_, [&](const KernelRegistration& r) {
    return sameOp(r, registration.builtinCode, registration.customName) &&
           r.minVersion >= registration.minVersion && r.maxVersion <= registration.maxVersion;
  });
  registrations_.push_back(std::move(registration));
}

void OpResolver::addCustom(const std::string& name, KernelRegistration registration) {
  registration.builtinCode = kCustom;
  registration.customName = name;
  add(std::move(registration));
}

const KernelRegistration* OpResolver::find(int32_t builtinCode, const std::string& customName,
                                           int32_t version) const {
  // Search from the back so later registrations override earlier ones.
  for (auto it = registrations_.rbegin(); it != registrations_.rend(); ++it) {
    if (sameOp(*it, builtinCode, customName) && version >= it->minVersion && version <= it->maxVersion) {
      return &*it;
    }
  }
  return nullptr;
}

std::string OpResolver::whyUnsupported(int32_t builtinCode, const std::string& customName, int32_t version) const {
  const std::string name = builtinCode == kCustom ? "custom op '" + customName + "'" : builtinOperatorName(builtinCode);
  std::string versions;
  for (const KernelRegistration& r : registrations_) {
    if (!sameOp(r, builtinCode, customName)) continue;
    if (!versions.empty()) versions += ", ";
    versions += r.minVersion == r.maxVersion ? fmt::format("{}", r.minVersion)
                                             : fmt::format("{}-{}", r.minVersion, r.maxVersion);
  }
  if (versions.empty()) return fmt::format("{} version {}: no kernel for this operator", name, version);
  return fmt::format("{} version {}: this version is not supported (supported: {})", name, version, versions);
}

}  // namespace inferd::engine
