// Status names, datatypes and Tensor checks of libinferd-client.
#include "inferd/client/status.h"
#include "inferd/client/tensor.h"

namespace inferd::client {

const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

namespace {
struct TypeInfo {
  DataType type;
  const char* name;
  size_t size;
};
constexpr TypeInfo kTypes[] = {
    {DataType::kBool, "BOOL", 1},     {DataType::kUInt8, "UINT8", 1},   {DataType::kUInt16, "UINT16", 2},
    {DataType::kUInt32, "UINT32", 4}, {DataType::kUInt64, "UINT64", 8}, {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2},   {DataType::kInt32, "INT32", 4},   {DataType::kInt64, "INT64", 8},
    {DataType::kFP16, "FP16", 2},     {DataType::kFP32, "FP32", 4},     {DataType::kFP64, "FP64", 8},
    {DataType::kBytes, "BYTES", 0},
};
}  // namespace

const char* dataTypeName(DataType type) {
  for (const TypeInfo& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "INVALID";
}

std::optional<DataType> dataTypeFromName(std::string_view name) {
  for (const TypeInfo& t : kTypes) {
    if (name == t.name) return t.type;
  }
  return std::nullopt;
}

size_t dataTypeSize(DataType type) {
  for (const TypeInfo& t : kTypes) {
    if (t.type == type) return t.size;
  }
  return 0;
}

std::string shapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor Tensor::zeros(std::string name, DataType type, std::vector<int64_t> shape) {
  Tensor t;
  t.name = std::move(name);
  t.type = type;
  t.shape = std::move(shape);
  const int64_t n = t.elementCount();
  if (n > 0) t.bytes.assign(static_cast<size_t>(n) * dataTypeSize(type), 0);
  return t;
}

int64_t Tensor::elementCount() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > INT64_MAX / d) return -1;
    n *= d;
  }
  return n;
}

Status Tensor::validate() const {
  if (type == DataType::kBytes) return Status::ok();
  const int64_t n = elementCount();
  if (n < 0) {
    return Status(StatusCode::kInvalidArgument,
                  "tensor '" + name + "' has an invalid shape " + shapeToString(shape));
  }
  const size_t size = dataTypeSize(type);
  if (static_cast<uint64_t>(n) > SIZE_MAX / size) {
    return Status(StatusCode::kInvalidArgument,
                  "tensor '" + name + "' shape " + shapeToString(shape) + " is too large");
  }
  if (bytes.size() != static_cast<size_t>(n) * size) {
    return Status(StatusCode::kInvalidArgument,
                  "tensor '" + name + "' " + dataTypeName(type) + " " + shapeToString(shape) + " needs " +
                      std::to_string(static_cast<uint64_t>(n) * size) + " bytes but has " +
                      std::to_string(bytes.size()));
  }
  return Status::ok();
}

Status Tensor::checkView(DataType wanted, size_t elementSize) const {
  if (wanted != type) {
    return Status(StatusCode::kInvalidArgument, "tensor '" + name + "' is " + dataTypeName(type) +
                                                    ", not " + dataTypeName(wanted));
  }
  if (bytes.size() % elementSize != 0) {
    return Status(StatusCode::kInvalidArgument, "tensor '" + name + "' has " + std::to_string(bytes.size()) +
                                                    " bytes, not a whole number of " + dataTypeName(type) +
                                                    " elements");
  }
  return Status::ok();
}

}  // namespace inferd::client
