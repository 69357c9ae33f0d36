// Element types, shapes and quantization parameters shared by the engine,
// the HAL and the clients. Type values equal TFLite's TensorType values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inferd::engine {

enum class ElementType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
  kComplex128 = 11,
  kUInt64 = 12,
  kResource = 13,
  kVariant = 14,
  kUInt32 = 15,
  kUInt16 = 16,
  kInt4 = 17,
};

// TFLite spelling: "FLOAT32", "INT8", ...; "UNKNOWN(n)" for others.
std::string elementTypeName(ElementType type);
// numpy dtype letter code ("<f4", "|i1"), empty if none.
std::string elementTypeNumpy(ElementType type);
// Bytes per element; 0 for types without a fixed size (STRING, VARIANT, INT4).
// RESOURCE elements are int32 resource ids (4 bytes).
size_t elementSize(ElementType type);
bool isKnownElementType(int value);

using Dims = std::vector<int32_t>;

// Product of dims; nullopt on a negative dim or int64 overflow.
std::optional<int64_t> checkedNumElements(const Dims& dims);
// Product of dims, assuming they were validated (no overflow, no negatives).
int64_t numElements(const Dims& dims);
// "[1, 224, 224, 3]"
std::string dimsToString(const Dims& dims);

// Affine quantization: real = scale * (q - zero_point). Per-tensor when
// scale has one element, per-channel along quantizedDimension otherwise.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zeroPoint;
  int32_t quantizedDimension = 0;

  bool empty() const { return scale.empty(); }
  bool perChannel() const { return scale.size() > 1; }
};

}  // namespace inferd::engine
