// Tensors as libinferd-client sends and receives them: a name, an Open
// Inference Protocol datatype, a shape and the raw little-endian bytes
// (C order). Typed access goes through data<T>() / span<T>(), which check
// that T matches the datatype, so an INT8 output is never read as floats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferd/client/export.h"
#include "inferd/client/status.h"

namespace inferd::client {

// The Open Inference Protocol datatypes (wire names "FP32", "INT8", ...).
enum class DataType {
  kBool,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFP16,
  kFP32,
  kFP64,
  kBytes,  // variable-length strings; no fixed element size
};

// "FP32", "INT8", ...
INFERD_CLIENT_API const char* dataTypeName(DataType type);
// The DataType for a wire name ("FP32"); nullopt for names it does not know.
INFERD_CLIENT_API std::optional<DataType> dataTypeFromName(std::string_view name);
// Bytes per element; 0 for BYTES.
INFERD_CLIENT_API size_t dataTypeSize(DataType type);
// "[1, 224, 224, 3]"; -1 stands for a dynamic dimension.
INFERD_CLIENT_API std::string shapeToString(const std::vector<int64_t>& shape);

// The DataType of a C++ element type; FP16 has none (use the raw bytes).
template <typename T> struct DataTypeOf;
template <> struct DataTypeOf<bool> { static constexpr DataType value = DataType::kBool; };
template <> struct DataTypeOf<uint8_t> { static constexpr DataType value = DataType::kUInt8; };
template <> struct DataTypeOf<uint16_t> { static constexpr DataType value = DataType::kUInt16; };
template <> struct DataTypeOf<uint32_t> { static constexpr DataType value = DataType::kUInt32; };
template <> struct DataTypeOf<uint64_t> { static constexpr DataType value = DataType::kUInt64; };
template <> struct DataTypeOf<int8_t> { static constexpr DataType value = DataType::kInt8; };
template <> struct DataTypeOf<int16_t> { static constexpr DataType value = DataType::kInt16; };
template <> struct DataTypeOf<int32_t> { static constexpr DataType value = DataType::kInt32; };
template <> struct DataTypeOf<int64_t> { static constexpr DataType value = DataType::kInt64; };
template <> struct DataTypeOf<float> { static constexpr DataType value = DataType::kFP32; };
template <> struct DataTypeOf<double> { static constexpr DataType value = DataType::kFP64; };

struct INFERD_CLIENT_API Tensor {
  std::string name;
  DataType type = DataType::kFP32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // elementCount() * dataTypeSize(type) bytes

  // A tensor of the given shape filled with zero bytes.
  static Tensor zeros(std::string name, DataType type, std::vector<int64_t> shape);

  // A tensor holding a copy of `values`; the datatype follows T.
  template <typename T>
  static Tensor fromValues(std::string name, std::vector<int64_t> shape, std::span<const T> values) {
    Tensor t;
    t.name = std::move(name);
    t.type = DataTypeOf<T>::value;
    t.shape = std::move(shape);
    t.bytes.resize(values.size_bytes());
    if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), values.size_bytes());
    return t;
  }
  template <typename T>
  static Tensor fromValues(std::string name, std::vector<int64_t> shape, const std::vector<T>& values) {
    return fromValues<T>(std::move(name), std::move(shape), std::span<const T>(values));
  }

  // Product of the shape; -1 when a dimension is negative or it overflows.
  int64_t elementCount() const;

  // True when T is this tensor's element type.
  template <typename T> bool is() const { return DataTypeOf<T>::value == type; }

  // The elements as T, or nullptr when T is not the tensor's datatype or the
  // byte count is not a whole number of elements.
  template <typename T> const T* data() const { return viewable<T>() ? reinterpret_cast<const T*>(bytes.data()) : nullptr; }
  template <typename T> T* mutableData() { return viewable<T>() ? reinterpret_cast<T*>(bytes.data()) : nullptr; }

  // The elements as a span, or INVALID_ARGUMENT naming the tensor and both
  // datatypes when T does not match.
  template <typename T> Result<std::span<const T>> span() const {
    Status s = checkView(DataTypeOf<T>::value, sizeof(T));
    if (!s.isOk()) return s;
    return std::span<const T>(reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T));
  }
  template <typename T> Result<std::span<T>> mutableSpan() {
    Status s = checkView(DataTypeOf<T>::value, sizeof(T));
    if (!s.isOk()) return s;
    return std::span<T>(reinterpret_cast<T*>(bytes.data()), bytes.size() / sizeof(T));
  }

  // Checks that the byte count matches shape x element size (BYTES tensors
  // are not checked); the error names the tensor and both sizes.
  Status validate() const;

 private:
  template <typename T> bool viewable() const { return is<T>() && bytes.size() % sizeof(T) == 0; }
  Status checkView(DataType wanted, size_t elementSize) const;
};

}  // namespace inferd::client
