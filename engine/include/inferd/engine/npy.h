// Reading and writing NumPy .npy files (format versions 1.0-3.0, C order,
// little-endian), the tensor interchange format of inferctl and the tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inferd/engine/status.h"
#include "inferd/engine/types.h"

namespace inferd::engine {

struct NpyArray {
  ElementType type = ElementType::kFloat32;
  Dims dims;
  std::vector<uint8_t> data;

  template <typename T> const T* as() const { return reinterpret_cast<const T*>(data.data()); }
  int64_t numElements() const { return engine::numElements(dims); }
};

// Parses .npy bytes; `label` names the source in errors.
Result<NpyArray> parseNpy(const uint8_t* bytes, size_t size, const std::string& label);
Result<NpyArray> readNpy(const std::string& path);
std::vector<uint8_t> serializeNpy(ElementType type, const Dims& dims, const void* data, size_t bytes);
Status writeNpy(const std::string& path, ElementType type, const Dims& dims, const void* data, size_t bytes);

}  // namespace inferd::engine
