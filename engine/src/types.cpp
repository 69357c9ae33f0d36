// Element type tables and shape arithmetic with overflow checks.
#include "inferd/engine/types.h"

#include <fmt/format.h>

namespace inferd::engine {

namespace {
struct TypeRow {
  const char* name;
  const char* numpy;
  size_t size;
};

// RESOURCE tensors hold an int32 resource id (as in TFLite).
constexpr TypeRow kTypes[] = {
    {"FLOAT32", "<f4", 4}, {"FLOAT16", "<f2", 2},     {"INT32", "<i4", 4},  {"UINT8", "|u1", 1},
    {"INT64", "<i8", 8},   {"STRING", "", 0},         {"BOOL", "|b1", 1},   {"INT16", "<i2", 2},
    {"COMPLEX64", "<c8", 8}, {"INT8", "|i1", 1},      {"FLOAT64", "<f8", 8}, {"COMPLEX128", "<c16", 16},
    {"UINT64", "<u8", 8},  {"RESOURCE", "", 4},       {"VARIANT", "", 0},   {"UINT32", "<u4", 4},
    {"UINT16", "<u2", 2},  {"INT4", "", 0},
};
constexpr int kNumTypes = sizeof(kTypes) / sizeof(kTypes[0]);
}  // namespace

bool isKnownElementType(int value) { return value >= 0 && value < kNumTypes; }

std::string elementTypeName(ElementType type) {
  const int v = static_cast<int>(type);
  if (!isKnownElementType(v)) return fmt::format("UNKNOWN({})", v);
  return kTypes[v].name;
}

std::string elementTypeNumpy(ElementType type) {
  const int v = static_cast<int>(type);
  return isKnownElementType(v) ? kTypes[v].numpy : "";
}

size_t elementSize(ElementType type) {
  const int v = static_cast<int>(type);
  return isKnownElementType(v) ? kTypes[v].size : 0;
}

std::optional<int64_t> checkedNumElements(const Dims& dims) {
  int64_t n = 1;
  for (int32_t d : dims) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > INT64_MAX / d) return std::nullopt;
    n *= d;
  }
  return n;
}

int64_t numElements(const Dims& dims) {
  int64_t n = 1;
  for (int32_t d : dims) n *= d;
  return n;
}

std::string dimsToString(const Dims& dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

}  // namespace inferd::engine
