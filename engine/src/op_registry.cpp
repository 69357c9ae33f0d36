// The op registry: kernels keyed by (builtin code or custom name, version
// range) and operator names. The built-in resolver is in builtin_ops.cpp.
#include <algorithm>

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

std::string opsSelectedAtBuildTime() {
  if (kernels::selection::kAllOps) return "";
  std::string names;
  for (const fb::BuiltinOperator op : kernels::selection::kBuiltins) {
    names += (names.empty() ? "" : ", ") + builtinOperatorName(static_cast<int32_t>(op));
  }
  for (const std::string_view custom : kernels::selection::kCustom) {
    names += (names.empty() ? "" : ", ") + std::string(custom);
  }
  return names;
}

bool opNotSelectedAtBuildTime(int32_t builtinCode, const std::string& customName) {
  namespace sel = kernels::selection;
  if (sel::kAllOps) return false;
  // Custom ops an application registers itself were never in the build.
  if (builtinCode == kCustom) {
    return std::find(sel::kKnownCustom.begin(), sel::kKnownCustom.end(), customName) != sel::kKnownCustom.end() &&
           std::find(sel::kCustom.begin(), sel::kCustom.end(), customName) == sel::kCustom.end();
  }
  return std::find(sel::kBuiltins.begin(), sel::kBuiltins.end(), static_cast<fb::BuiltinOperator>(builtinCode)) ==
         sel::kBuiltins.end();
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
  if (versions.empty()) {
    if (opNotSelectedAtBuildTime(builtinCode, customName)) {
      return fmt::format("{} version {}: no kernel for this operator: it was not selected at build time "
                         "(meson -Dops / -Dops_from)",
                         name, version);
    }
    return fmt::format("{} version {}: no kernel for this operator", name, version);
  }
  return fmt::format("{} version {}: this version is not supported (supported: {})", name, version, versions);
}

}  // namespace inferd::engine
