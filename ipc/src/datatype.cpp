// Open Inference Protocol datatype strings <-> engine ElementType.
#include <array>
#include <utility>

#include "inferd/ipc/backend.h"

namespace inferd::ipc {
namespace {

// BYTES maps to the engine's STRING type so that a model declaring string
// tensors is described correctly in metadata; the engine cannot run them
// and ModelInfer refuses BYTES tensors.
constexpr std::array<std::pair<ElementType, const char*>, 13> kNames = {{
    {ElementType::kBool, "BOOL"},
    {ElementType::kUInt8, "UINT8"},
    {ElementType::kUInt16, "UINT16"},
    {ElementType::kUInt32, "UINT32"},
    {ElementType::kUInt64, "UINT64"},
    {ElementType::kInt8, "INT8"},
    {ElementType::kInt16, "INT16"},
    {ElementType::kInt32, "INT32"},
    {ElementType::kInt64, "INT64"},
    {ElementType::kFloat16, "FP16"},
    {ElementType::kFloat32, "FP32"},
    {ElementType::kFloat64, "FP64"},
    {ElementType::kString, "BYTES"},
}};

}  // namespace

std::string datatypeName(ElementType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  // Not an OIP type (complex, int4, resource...): say what it is instead of
  // inventing a datatype a client would then try to use.
  return "UNSUPPORTED(" + engine::elementTypeName(type) + ")";
}

std::optional<ElementType> datatypeFromName(const std::string& name) {
  for (const auto& [t, n] : kNames) {
    if (name == n) return t;
  }
  return std::nullopt;
}

}  // namespace inferd::ipc
