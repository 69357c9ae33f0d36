// inferctl's glue to libinferd-client: connection, errors, type mapping.
#include "daemon_client.h"

#include <fmt/format.h>

#include <climits>

namespace inferd::inferctl {

namespace {

using client::DataType;
using engine::ElementType;

struct TypePair {
  DataType client;
  ElementType engine;
};
constexpr TypePair kTypePairs[] = {
    {DataType::kBool, ElementType::kBool},       {DataType::kUInt8, ElementType::kUInt8},
    {DataType::kUInt16, ElementType::kUInt16},   {DataType::kUInt32, ElementType::kUInt32},
    {DataType::kUInt64, ElementType::kUInt64},   {DataType::kInt8, ElementType::kInt8},
    {DataType::kInt16, ElementType::kInt16},     {DataType::kInt32, ElementType::kInt32},
    {DataType::kInt64, ElementType::kInt64},     {DataType::kFP16, ElementType::kFloat16},
    {DataType::kFP32, ElementType::kFloat32},    {DataType::kFP64, ElementType::kFloat64},
};

}  // namespace

Result<client::Client> connectDaemon(const std::string& socket) {
  auto c = client::Client::connect(socket);
  if (!c) return Status(StatusCode::kInvalidArgument, c.status().message());
  return std::move(c).value();
}

int failStatus(const client::Status& status) {
  if (status.code() == client::StatusCode::kUnavailable && status.message().rfind("cannot reach inferd", 0) == 0) {
    return fail(status.message());
  }
  return fail(status.toString());
}

std::optional<ElementType> toElementType(DataType type) {
  for (const TypePair& p : kTypePairs) {
    if (p.client == type) return p.engine;
  }
  return std::nullopt;
}

std::optional<DataType> toDataType(ElementType type) {
  for (const TypePair& p : kTypePairs) {
    if (p.engine == type) return p.client;
  }
  return std::nullopt;
}

Result<std::vector<TensorSpec>> inputSpecs(const client::ModelMetadata& metadata) {
  std::vector<TensorSpec> specs;
  for (const client::TensorInfo& t : metadata.inputs) {
    auto type = toElementType(t.type);
    if (!type) {
      return makeError(StatusCode::kUnsupported, "model '{}': input '{}' is {}, which inferctl cannot read from .npy",
                       metadata.name, t.name, client::dataTypeName(t.type));
    }
    specs.push_back({t.name, *type, t.shape});
  }
  return specs;
}

client::Tensor tensorFromNpy(const std::string& name, const engine::NpyArray& array) {
  client::Tensor t;
  t.name = name;
  t.type = toDataType(array.type).value_or(DataType::kBytes);
  t.shape.assign(array.dims.begin(), array.dims.end());
  t.bytes = array.data;
  return t;
}

client::InferOptions inferOptions(const RequestArgs& args) {
  client::InferOptions o;
  if (args.hasTimeout) o.timeoutMicros = args.timeoutMicros;
  if (args.hasPriority) o.priority = args.priority;
  return o;
}

}  // namespace inferd::inferctl
