// GRPCInferenceService over an ipc::Backend: request validation and
// conversion, response building, and the RPC handlers.
#include "inferd/ipc/grpc_service.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include "inferd/ipc/status_map.h"
#include "inferd/ipc/unix_listener.h"
#include "log.h"

namespace inferd::ipc {
namespace {

// Strings a client sends come back in error messages: they are bounded
// here, before anything quotes them (a 1 MB name once came back as a
// RESOURCE_EXHAUSTED about gRPC's metadata size instead of this).
constexpr size_t kMaxModelNameBytes = 255;  // also the repository's limit
constexpr size_t kMaxClientStringBytes = 256;

// The first bytes of a client string, printable, for an error message.
std::string clipped(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 32; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (s.size() > 32) out += "...";
  return out;
}

// An empty or overlong string the client sent (`what` names it).
Status checkClientString(const char* rpc, const char* what, const std::string& s, size_t maxBytes,
                         bool mayBeEmpty) {
  if (s.empty() && !mayBeEmpty) return makeError(StatusCode::kInvalidArgument, "{}: {} is empty", rpc, what);
  if (s.size() > maxBytes) {
    return makeError(StatusCode::kInvalidArgument, "{}: {} '{}' is {} bytes long (at most {})", rpc, what, clipped(s),
                     s.size(), maxBytes);
  }
  return Status::ok();
}

Status checkModelName(const char* rpc, const std::string& name, const std::string& version,
                      const char* field = "model name") {
  INFERD_RETURN_IF_ERROR(checkClientString(rpc, field, name, kMaxModelNameBytes, false));
  return checkClientString(rpc, "model version", version, 64, true);
}

// Every string of an inference request that an error may quote.
Status checkInferStrings(const inference::ModelInferRequest& r) {
  INFERD_RETURN_IF_ERROR(checkModelName("ModelInfer", r.model_name(), r.model_version(), "model_name"));
  INFERD_RETURN_IF_ERROR(checkClientString("ModelInfer", "request id", r.id(), kMaxClientStringBytes, true));
  for (const auto& t : r.inputs()) {
    INFERD_RETURN_IF_ERROR(checkClientString("ModelInfer", "input name", t.name(), kMaxClientStringBytes, true));
    INFERD_RETURN_IF_ERROR(checkClientString("ModelInfer", "datatype", t.datatype(), 32, true));
  }
  for (const auto& t : r.outputs()) {
    INFERD_RETURN_IF_ERROR(checkClientString("ModelInfer", "output name", t.name(), kMaxClientStringBytes, true));
  }
  for (const auto& [key, value] : r.parameters()) {
    INFERD_RETURN_IF_ERROR(checkClientString("ModelInfer", "parameter name", key, 64, true));
    if (value.has_string_param()) {
      INFERD_RETURN_IF_ERROR(
          checkClientString("ModelInfer", "string parameter", value.string_param(), kMaxClientStringBytes, true));
    }
  }
  return Status::ok();
}

using inference::InferParameter;
using inference::InferTensorContents;

// Decodes a request message; a failure names the RPC and the message type
// (protobuf says no more than that it failed).
template <typename Req>
grpc::Status decode(const char* rpc, const grpc::ByteBuffer* in, Req* out) {
  grpc::ByteBuffer copy(*in);  // Deserialize consumes its buffer; this shares the slices
  const size_t bytes = copy.Length();
  if (grpc::SerializationTraits<Req>::Deserialize(&copy, out).ok()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("{}: cannot decode the request ({} bytes) as {}: the message is malformed or "
                                  "truncated, or a string field is not valid UTF-8",
                                  rpc, bytes, Req::descriptor()->full_name()));
}

// The model_name of an encoded ModelInferRequest without decoding it:
// protobuf writes fields in number order, so field 1 comes first. Sets
// *length to the name's length and returns at most its first 64 bytes;
// false when the message does not start with field 1.
bool peekModelName(const grpc::ByteBuffer& in, std::string* prefix, uint64_t* length) {
  std::vector<grpc::Slice> slices;
  if (!in.Dump(&slices).ok()) return false;
  std::string head;
  for (const grpc::Slice& sl : slices) {
    head.append(reinterpret_cast<const char*>(sl.begin()), std::min<size_t>(sl.size(), 96 - head.size()));
    if (head.size() >= 96) break;
  }
  if (head.empty() || static_cast<unsigned char>(head[0]) != 0x0a) return false;  // field 1, length-delimited
  uint64_t len = 0;
  size_t i = 1;
  for (int shift = 0; i < head.size() && shift < 64; shift += 7, ++i) {
    const auto b = static_cast<unsigned char>(head[i]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (i >= head.size()) return false;
  *length = len;
  *prefix = head.substr(i + 1, std::min<uint64_t>(len, 64));
  return true;
}

grpc::Status encode(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  bool own = false;
  return grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(message, out, &own);
}

std::string quotedList(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += "'" + n + "'";
  }
  return out.empty() ? "none" : out;
}

template <typename Range>
std::string shapeString(const Range& shape) {
  std::string out = "[";
  bool first = true;
  for (auto d : shape) {
    if (!first) out += ", ";
    out += std::to_string(d);
    first = false;
  }
  return out + "]";
}

std::vector<std::string> tensorNames(const std::vector<TensorMetadata>& tensors) {
  std::vector<std::string> names;
  names.reserve(tensors.size());
  for (const auto& t : tensors) names.push_back(t.name);
  return names;
}

// Reads an integer request parameter given as int64_param or uint64_param
// (tritonclient uses either depending on its version).
Result<int64_t> intParameter(const std::string& model, const std::string& key,
                             const InferParameter& p) {
  switch (p.parameter_choice_case()) {
    case InferParameter::kInt64Param:
      return static_cast<int64_t>(p.int64_param());
    case InferParameter::kUint64Param:
      if (p.uint64_param() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return makeError(StatusCode::kInvalidArgument,
                         "model '{}': parameter '{}' is {}, larger than the maximum {}", model, key,
                         p.uint64_param(), std::numeric_limits<int64_t>::max());
      }
      return static_cast<int64_t>(p.uint64_param());
    default:
      return makeError(StatusCode::kInvalidArgument,
                       "model '{}': parameter '{}' must be an int64_param or uint64_param", model,
                       key);
  }
}

// Field names of InferTensorContents with how many values each holds.
std::vector<std::pair<const char*, int>> contentsFields(const InferTensorContents& c) {
  return {{"bool_contents", c.bool_contents_size()},   {"int_contents", c.int_contents_size()},
          {"int64_contents", c.int64_contents_size()}, {"uint_contents", c.uint_contents_size()},
          {"uint64_contents", c.uint64_contents_size()}, {"fp32_contents", c.fp32_contents_size()},
          {"fp64_contents", c.fp64_contents_size()},   {"bytes_contents", c.bytes_contents_size()}};
}

// The InferTensorContents field that carries `type`; nullptr when the type
// has none (FP16 travels only as raw bytes).
const char* contentsFieldFor(ElementType type) {
  switch (type) {
    case ElementType::kBool: return "bool_contents";
    case ElementType::kInt8:
    case ElementType::kInt16:
    case ElementType::kInt32: return "int_contents";
    case ElementType::kInt64: return "int64_contents";
    case ElementType::kUInt8:
    case ElementType::kUInt16:
    case ElementType::kUInt32: return "uint_contents";
    case ElementType::kUInt64: return "uint64_contents";
    case ElementType::kFloat32: return "fp32_contents";
    case ElementType::kFloat64: return "fp64_contents";
    default: return nullptr;
  }
}

struct TensorContext {
  const std::string& model;
  const std::string& tensor;
  ElementType type;
};

// Copies typed values into little-endian element bytes, refusing values
// that do not fit the tensor's type (int_contents is int32 for INT8 too).
template <typename Dst, typename Field>
Status copyValues(const TensorContext& ctx, const Field& values, std::vector<uint8_t>& out) {
  out.resize(static_cast<size_t>(values.size()) * sizeof(Dst));
  for (int i = 0; i < values.size(); ++i) {
    auto v = values.Get(i);
    Dst d;
    if constexpr (std::is_same_v<Dst, uint8_t> && std::is_same_v<decltype(v), bool>) {
      d = v ? 1 : 0;
    } else if constexpr (std::is_integral_v<Dst>) {
      if (!std::in_range<Dst>(v)) {
        return makeError(StatusCode::kInvalidArgument,
                         "input '{}' of model '{}': value {} at index {} is out of range for {}",
                         ctx.tensor, ctx.model, v, i, datatypeName(ctx.type));
      }
      d = static_cast<Dst>(v);
    } else {
      d = static_cast<Dst>(v);
    }
    std::memcpy(out.data() + static_cast<size_t>(i) * sizeof(Dst), &d, sizeof(Dst));
  }
  return Status::ok();
}

Status convertTyped(const TensorContext& ctx, const InferTensorContents& c,
                    std::vector<uint8_t>& out) {
  switch (ctx.type) {
    case ElementType::kBool: return copyValues<uint8_t>(ctx, c.bool_contents(), out);
    case ElementType::kInt8: return copyValues<int8_t>(ctx, c.int_contents(), out);
    case ElementType::kInt16: return copyValues<int16_t>(ctx, c.int_contents(), out);
    case ElementType::kInt32: return copyValues<int32_t>(ctx, c.int_contents(), out);
    case ElementType::kInt64: return copyValues<int64_t>(ctx, c.int64_contents(), out);
    case ElementType::kUInt8: return copyValues<uint8_t>(ctx, c.uint_contents(), out);
    case ElementType::kUInt16: return copyValues<uint16_t>(ctx, c.uint_contents(), out);
    case ElementType::kUInt32: return copyValues<uint32_t>(ctx, c.uint_contents(), out);
    case ElementType::kUInt64: return copyValues<uint64_t>(ctx, c.uint64_contents(), out);
    case ElementType::kFloat32: return copyValues<float>(ctx, c.fp32_contents(), out);
    case ElementType::kFloat64: return copyValues<double>(ctx, c.fp64_contents(), out);
    default:
      return makeError(StatusCode::kInvalidArgument,
                       "input '{}' of model '{}': {} has no typed contents field; send it in "
                       "raw_input_contents",
                       ctx.tensor, ctx.model, datatypeName(ctx.type));
  }
}

// Checks the typed contents of one input: only the field of its datatype is
// used and it holds exactly `numElements` values.
Status checkTypedContents(const TensorContext& ctx, const InferTensorContents& c,
                          int64_t numElements, const std::string& shape) {
  const char* expected = contentsFieldFor(ctx.type);
  for (const auto& [field, count] : contentsFields(c)) {
    if (count == 0) continue;
    if (expected == nullptr) {
      return makeError(StatusCode::kInvalidArgument,
                       "input '{}' of model '{}': {} data must be sent in raw_input_contents, got "
                       "{} values in {}",
                       ctx.tensor, ctx.model, datatypeName(ctx.type), count, field);
    }
    if (std::strcmp(field, expected) != 0) {
      return makeError(StatusCode::kInvalidArgument,
                       "input '{}' of model '{}': datatype {} expects {}, got {} values in {}",
                       ctx.tensor, ctx.model, datatypeName(ctx.type), expected, count, field);
    }
  }
  if (expected == nullptr) {
    if (numElements == 0) return Status::ok();
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': {} data must be sent in raw_input_contents",
                     ctx.tensor, ctx.model, datatypeName(ctx.type));
  }
  for (const auto& [field, count] : contentsFields(c)) {
    if (std::strcmp(field, expected) == 0 && count != numElements) {
      return makeError(StatusCode::kInvalidArgument,
                       "input '{}' of model '{}': contents.{} holds {} values, expected {} for "
                       "shape {}",
                       ctx.tensor, ctx.model, field, count, numElements, shape);
    }
  }
  return Status::ok();
}

size_t findTensor(const std::vector<TensorMetadata>& tensors, const std::string& name) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == name) return i;
  }
  return tensors.size();
}

Status parseParameters(const inference::ModelInferRequest& request, InferRequest& out) {
  const std::string& model = request.model_name();
  // Parameters inferd does not know are ignored, as Triton passes unknown
  // parameters on to backends that may not look at them either.
  for (const auto& [key, value] : request.parameters()) {
    if (key == kPriorityParameter) {
      Result<int64_t> v = intParameter(model, key, value);
      if (!v) return v.status();
      out.priority = *v;
    } else if (key == kTimeoutParameter) {
      Result<int64_t> v = intParameter(model, key, value);
      if (!v) return v.status();
      if (*v < 0) {
        return makeError(StatusCode::kInvalidArgument,
                         "model '{}': parameter 'timeout' is {} microseconds, expected >= 0", model,
                         *v);
      }
      // As in Triton, 0 means "no timeout".
      if (*v > 0) out.timeoutMicros = *v;
    }
  }
  return Status::ok();
}

Status convertInput(const inference::ModelInferRequest& request, int index,
                    const TensorMetadata& spec, size_t maxTensorBytes, bool raw, Tensor& out) {
  const std::string& model = request.model_name();
  const auto& in = request.inputs(index);
  const std::string& name = in.name();

  if (raw && in.has_contents()) {
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': has typed contents while the request uses "
                     "raw_input_contents; send all inputs one way or the other",
                     name, model);
  }

  std::optional<ElementType> type = datatypeFromName(in.datatype());
  if (!type) {
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': unknown datatype '{}', expected {}", name, model,
                     in.datatype(), datatypeName(spec.type));
  }
  if (*type == ElementType::kString) {
    return makeError(StatusCode::kUnsupported,
                     "input '{}' of model '{}': datatype BYTES is not supported by inferd", name,
                     model);
  }
  if (*type != spec.type) {
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': datatype expected {}, got {}", name, model,
                     datatypeName(spec.type), in.datatype());
  }

  // Shape: same rank, each dimension equal unless the model leaves it dynamic.
  bool shapeOk = in.shape_size() == static_cast<int>(spec.shape.size());
  for (int d = 0; shapeOk && d < in.shape_size(); ++d) {
    int64_t got = in.shape(d);
    int64_t want = spec.shape[static_cast<size_t>(d)];
    if (got < 0 || got > std::numeric_limits<int32_t>::max() || (want >= 0 && got != want)) {
      shapeOk = false;
    }
  }
  if (!shapeOk) {
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': shape expected {}, got {}", name, model,
                     shapeString(spec.shape), shapeString(in.shape()));
  }
  Dims dims(in.shape().begin(), in.shape().end());
  std::optional<int64_t> numElements = engine::checkedNumElements(dims);
  const size_t elemSize = engine::elementSize(spec.type);
  if (!numElements || elemSize == 0 ||
      static_cast<uint64_t>(*numElements) > std::numeric_limits<size_t>::max() / elemSize) {
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': shape {} is too large", name, model,
                     shapeString(in.shape()));
  }
  const size_t byteSize = static_cast<size_t>(*numElements) * elemSize;
  if (byteSize > maxTensorBytes) {
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': {} bytes (shape {} of {}) exceeds the limit of {} "
                     "bytes per tensor",
                     name, model, byteSize, shapeString(in.shape()), in.datatype(),
                     maxTensorBytes);
  }

  out.name = name;
  out.type = spec.type;
  out.dims = std::move(dims);
  if (raw) {
    const std::string& bytes = request.raw_input_contents(index);
    if (bytes.size() != byteSize) {
      return makeError(StatusCode::kInvalidArgument,
                       "input '{}' of model '{}': raw_input_contents holds {} bytes, expected {} "
                       "(shape {} of {})",
                       name, model, bytes.size(), byteSize, shapeString(in.shape()),
                       in.datatype());
    }
    out.data.assign(bytes.begin(), bytes.end());
    return Status::ok();
  }
  TensorContext ctx{model, name, spec.type};
  if (!in.has_contents()) {
    if (*numElements == 0) return Status::ok();
    const char* field = contentsFieldFor(spec.type);
    return makeError(StatusCode::kInvalidArgument,
                     "input '{}' of model '{}': no data; expected {} bytes in "
                     "raw_input_contents{}",
                     name, model, byteSize,
                     field != nullptr
                         ? fmt::format(" or {} values in contents.{}", *numElements, field)
                         : std::string());
  }
  INFERD_RETURN_IF_ERROR(
      checkTypedContents(ctx, in.contents(), *numElements, shapeString(in.shape())));
  if (*numElements == 0) return Status::ok();
  return convertTyped(ctx, in.contents(), out.data);
}

}  // namespace

inference::DataType configDataType(ElementType type) {
  switch (type) {
    case ElementType::kBool: return inference::TYPE_BOOL;
    case ElementType::kUInt8: return inference::TYPE_UINT8;
    case ElementType::kUInt16: return inference::TYPE_UINT16;
    case ElementType::kUInt32: return inference::TYPE_UINT32;
    case ElementType::kUInt64: return inference::TYPE_UINT64;
    case ElementType::kInt8: return inference::TYPE_INT8;
    case ElementType::kInt16: return inference::TYPE_INT16;
    case ElementType::kInt32: return inference::TYPE_INT32;
    case ElementType::kInt64: return inference::TYPE_INT64;
    case ElementType::kFloat16: return inference::TYPE_FP16;
    case ElementType::kFloat32: return inference::TYPE_FP32;
    case ElementType::kFloat64: return inference::TYPE_FP64;
    case ElementType::kString: return inference::TYPE_STRING;
    default: return inference::TYPE_INVALID;
  }
}

const std::vector<std::string>& defaultServerExtensions() {
  static const std::vector<std::string> kExtensions = {"model_repository", "statistics"};
  return kExtensions;
}

Result<InferRequest> buildInferRequest(const inference::ModelInferRequest& request,
                                       const ModelMetadata& metadata, size_t maxTensorBytes) {
  const std::string& model = request.model_name();
  InferRequest out;
  out.model = model;
  out.version = request.model_version();
  out.id = request.id();

  INFERD_RETURN_IF_ERROR(parseParameters(request, out));

  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return makeError(StatusCode::kInvalidArgument,
                     "model '{}': {} raw_input_contents entries for {} inputs; expected one per "
                     "input, in the order of 'inputs'",
                     model, request.raw_input_contents_size(), request.inputs_size());
  }

  // Inputs go to the backend in model order, whatever order they came in.
  std::vector<std::optional<Tensor>> inputs(metadata.inputs.size());
  for (int i = 0; i < request.inputs_size(); ++i) {
    const std::string& name = request.inputs(i).name();
    size_t j = findTensor(metadata.inputs, name);
    if (j == metadata.inputs.size()) {
      return makeError(StatusCode::kNotFound, "model '{}' has no input '{}' (inputs: {})", model,
                       name, quotedList(tensorNames(metadata.inputs)));
    }
    if (inputs[j]) {
      return makeError(StatusCode::kInvalidArgument, "input '{}' of model '{}' is given twice",
                       name, model);
    }
    Tensor t;
    INFERD_RETURN_IF_ERROR(convertInput(request, i, metadata.inputs[j], maxTensorBytes, raw, t));
    inputs[j] = std::move(t);
  }
  std::vector<std::string> missing;
  for (size_t j = 0; j < inputs.size(); ++j) {
    if (!inputs[j]) missing.push_back(metadata.inputs[j].name);
  }
  if (!missing.empty()) {
    return makeError(StatusCode::kInvalidArgument,
                     "model '{}': missing input {}; expected {} inputs ({}), got {}", model,
                     quotedList(missing), metadata.inputs.size(),
                     quotedList(tensorNames(metadata.inputs)), request.inputs_size());
  }
  out.inputs.reserve(inputs.size());
  for (auto& t : inputs) out.inputs.push_back(std::move(*t));

  for (const auto& requested : request.outputs()) {
    const std::string& name = requested.name();
    if (findTensor(metadata.outputs, name) == metadata.outputs.size()) {
      return makeError(StatusCode::kNotFound, "model '{}' has no output '{}' (outputs: {})", model,
                       name, quotedList(tensorNames(metadata.outputs)));
    }
    if (std::find(out.outputs.begin(), out.outputs.end(), name) != out.outputs.end()) {
      return makeError(StatusCode::kInvalidArgument, "output '{}' of model '{}' is requested twice",
                       name, model);
    }
    out.outputs.push_back(name);
  }
  return out;
}

Status fillInferResponse(const InferRequest& request, InferResponse response,
                         inference::ModelInferResponse* out) {
  out->set_model_name(request.model);
  out->set_model_version(response.version.empty() ? request.version : response.version);
  out->set_id(request.id);

  std::vector<Tensor*> order;
  if (request.outputs.empty()) {
    for (auto& t : response.outputs) order.push_back(&t);
  } else {
    for (const auto& name : request.outputs) {
      auto it = std::find_if(response.outputs.begin(), response.outputs.end(),
                             [&](const Tensor& t) { return t.name == name; });
      if (it == response.outputs.end()) {
        return makeError(StatusCode::kInternal,
                         "model '{}': the backend returned no output '{}' although it was "
                         "requested",
                         request.model, name);
      }
      order.push_back(&*it);
    }
  }
  for (Tensor* t : order) {
    std::optional<int64_t> n = engine::checkedNumElements(t->dims);
    const size_t expected = n ? static_cast<size_t>(*n) * engine::elementSize(t->type) : 0;
    if (!n || t->data.size() != expected) {
      return makeError(StatusCode::kInternal,
                       "model '{}': output '{}' has {} bytes, expected {} for shape {} of {}",
                       request.model, t->name, t->data.size(), expected,
                       engine::dimsToString(t->dims), datatypeName(t->type));
    }
    auto* o = out->add_outputs();
    o->set_name(t->name);
    o->set_datatype(datatypeName(t->type));
    for (int32_t d : t->dims) o->add_shape(d);
    out->add_raw_output_contents(reinterpret_cast<const char*>(t->data.data()), t->data.size());
    // Release each output as soon as it is copied: large outputs would
    // otherwise be held twice until the response is sent.
    std::vector<uint8_t>().swap(t->data);
  }
  return Status::ok();
}


void GrpcInferenceService::callStarted() {
  std::lock_guard lock(mutex_);
  ++inFlight_;
  lastStart_ = std::chrono::steady_clock::now();
}

void GrpcInferenceService::callEnded() {
  std::lock_guard lock(mutex_);
  if (--inFlight_ == 0) idle_.notify_all();
}

void GrpcInferenceService::beginDrain() {
  std::lock_guard lock(mutex_);
  draining_ = true;
}

bool GrpcInferenceService::draining() const {
  std::lock_guard lock(mutex_);
  return draining_;
}

bool GrpcInferenceService::waitIdle(std::chrono::system_clock::time_point deadline,
                                    std::chrono::milliseconds quiet) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.wait_until(lock, deadline, [&] { return inFlight_ == 0; })) return false;
    const auto since = std::chrono::steady_clock::now() - lastStart_;
    if (since >= quiet) return true;
    // A call started a moment ago: more may still be arriving (a large
    // request takes a while to cross the transport), and they are answered
    // "shutting down" only while the server still runs.
    if (std::chrono::system_clock::now() >= deadline) return false;
    idle_.wait_for(lock, quiet - since);
  }
}

int GrpcInferenceService::inFlight() const {
  std::lock_guard lock(mutex_);
  return inFlight_;
}

Status GrpcInferenceService::drainingError(const char* rpc) const {
  return makeError(StatusCode::kUnavailable, "{}: the server is shutting down", rpc);
}

Peer GrpcInferenceService::peerOf(const grpc::ServerContextBase& context) const {
  const std::string address = context.peer();
  const int fd = fdFromGrpcPeer(address);
  if (fd >= 0 && listener_ != nullptr) {
    if (std::optional<Peer> peer = listener_->peerOf(fd)) return *peer;
  }
  Peer peer;
  peer.address = address;
  // Connections gRPC accepted itself are TCP ones; anything else (an fd the
  // listener no longer knows) gets no identity, so only the health RPCs.
  peer.transport = address.rfind("ipv4:", 0) == 0 || address.rfind("ipv6:", 0) == 0 ? Peer::Transport::kTcp
                                                                                      : Peer::Transport::kUnix;
  return peer;
}

Status GrpcInferenceService::authorize(const char* rpc, const grpc::ServerContextBase& context, Action action,
                                       const std::string& model, Peer* peerOut) const {
  Peer peer = peerOf(context);
  Status s = backend_.authorize(peer, action, model);
  if (s) {
    if (peerOut != nullptr) *peerOut = std::move(peer);
    return s;
  }
  denied_[static_cast<size_t>(action)].fetch_add(1, std::memory_order_relaxed);
  // Denials can come in floods: at most one line a second.
  static LogThrottle throttle(std::chrono::seconds(1));
  uint64_t skipped = 0;
  if (throttle.allow(&skipped)) {
    ipcLog()->warn("denied: {} ({}) on model '{}' for {}: {}{}", rpc, actionName(action), clipped(model),
                   peer.describe(), s.message(), LogThrottle::suffix(skipped));
  }
  return makeError(StatusCode::kPermissionDenied, "{}: permission denied: {} may not '{}'{}", rpc,
                   peer.transport == Peer::Transport::kTcp ? "a TCP client" : "this user", actionName(action),
                   model.empty() ? "" : fmt::format(" model '{}'", clipped(model)));
}

// ModelInfer's reactor: counts the call in flight until gRPC reports it
// done (the answer handed to the transport), not merely until Finish.
class GrpcInferenceService::InferReactor final : public grpc::ServerUnaryReactor {
 public:
  InferReactor(GrpcInferenceService& service, grpc::ByteBuffer* out)
      : service_(service), out_(out), cancel_(std::make_shared<CancelToken>()) {
    service_.callStarted();
  }
  // Encodes the response (on success) and answers.
  void finish(grpc::Status status) {
    if (status.ok()) status = encode(response, out_);
    Finish(status);
  }
  void OnDone() override {
    service_.release(reserved);
    service_.callEnded();
    delete this;
  }
  // The client went away (or its deadline passed): the scheduler drops the
  // request if still queued, stops it if running; it still answers, and
  // Finish is then a no-op.
  void OnCancel() override { cancel_->cancel(); }
  const std::shared_ptr<CancelToken>& cancelToken() const { return cancel_; }

  inference::ModelInferRequest request;
  inference::ModelInferResponse response;
  size_t reserved = 0;  // bytes of the in-flight budget this call holds

 private:
  GrpcInferenceService& service_;
  grpc::ByteBuffer* out_;
  std::shared_ptr<CancelToken> cancel_;
};

GrpcInferenceService::GrpcInferenceService(Backend& backend) : backend_(backend) {
  // Indices are the methods' order in inference.proto's service (the
  // generated code's order); every RPC test goes through this table.
  using S = GrpcInferenceService;
  addUnary(0, "ServerLive", &S::serverLive);
  addUnary(1, "ServerReady", &S::serverReady);
  addUnary(2, "ModelReady", &S::modelReady);
  addUnary(3, "ServerMetadata", &S::serverMetadata);
  addUnary(4, "ModelMetadata", &S::modelMetadata);
  addModelInfer(5);
  addUnary(6, "ModelConfig", &S::modelConfig);
  addUnary(7, "ModelStatistics", &S::modelStatistics);
  addUnary(8, "RepositoryIndex", &S::repositoryIndex);
  // Loading can take seconds: not on a gRPC thread.
  addUnary(9, "RepositoryModelLoad", &S::repositoryModelLoad, true);
  addUnary(10, "RepositoryModelUnload", &S::repositoryModelUnload, true);
}

template <typename Req, typename Resp>
void GrpcInferenceService::addUnary(int index, const char* rpc,
                                    grpc::Status (GrpcInferenceService::*handler)(grpc::ServerContextBase*,
                                                                                  const Req*, Resp*),
                                    bool ownThread) {
  MarkMethodRawCallback(
      index, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                 [this, rpc, handler, ownThread](grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                                 grpc::ByteBuffer* out) {
                   grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                   auto request = std::make_shared<Req>();
                   if (grpc::Status st = decode(rpc, in, request.get()); !st.ok()) {
                     undecodable_.fetch_add(1, std::memory_order_relaxed);
                     reactor->Finish(st);
                     return reactor;
                   }
                   auto run = [this, context, handler, request, out, reactor] {
                     Resp response;
                     grpc::Status st = (this->*handler)(context, request.get(), &response);
                     if (st.ok()) st = encode(response, out);
                     reactor->Finish(st);
                   };
                   if (ownThread) {
                     std::thread(run).detach();
                   } else {
                     run();
                   }
                   return reactor;
                 }));
}

Status GrpcInferenceService::admit(const grpc::ByteBuffer& in, InferReactor* reactor) {
  const size_t bytes = in.Length();
  // maxRequestBytes() walks the loaded models and is never below 64 KiB:
  // small requests, the common case, skip the walk.
  constexpr size_t kAlwaysSmallEnough = 64 * 1024;
  const size_t largest = bytes <= kAlwaysSmallEnough ? kAlwaysSmallEnough : backend_.maxRequestBytes();
  if (bytes > largest) {
    // Say what is wrong with the model named, if anything, before blaming
    // the size (a request for a model that is not loaded is sized for it).
    std::string name;
    uint64_t nameLength = 0;
    if (peekModelName(in, &name, &nameLength)) {
      if (nameLength > kMaxModelNameBytes) {
        return makeError(StatusCode::kInvalidArgument, "ModelInfer: model_name '{}' is {} bytes long (at most {})",
                         clipped(name), nameLength, kMaxModelNameBytes);
      }
      if (Result<ipc::ModelMetadata> md = backend_.modelMetadata(name, ""); !md) return md.status();
      if (!backend_.modelReady(name, "")) {
        return makeError(StatusCode::kUnavailable, "model '{}' is not ready; load it first", name);
      }
    }
    tooLarge_.fetch_add(1, std::memory_order_relaxed);
    return makeError(StatusCode::kResourceExhausted,
                     "ModelInfer: the request is {} bytes, more than the inputs of any model served take ({} bytes "
                     "with the envelope)",
                     bytes, largest);
  }
  size_t now = inflightBytes_.load();
  do {
    if (now + bytes > inflightBudget_) {
      overBudget_.fetch_add(1, std::memory_order_relaxed);
      return makeError(StatusCode::kResourceExhausted,
                       "ModelInfer: {} bytes of requests are in flight and this one ({} bytes) would pass the "
                       "budget of {} bytes (max_request_bytes_in_flight); retry later",
                       now, bytes, inflightBudget_);
    }
  } while (!inflightBytes_.compare_exchange_weak(now, now + bytes));
  reactor->reserved = bytes;
  return Status::ok();
}

ServiceStats GrpcInferenceService::stats() const {
  ServiceStats s;
  for (size_t i = 0; i < denied_.size(); ++i) s.denied[i] = denied_[i].load(std::memory_order_relaxed);
  s.undecodable = undecodable_.load(std::memory_order_relaxed);
  s.invalid = invalid_.load(std::memory_order_relaxed);
  s.tooLarge = tooLarge_.load(std::memory_order_relaxed);
  s.overBudget = overBudget_.load(std::memory_order_relaxed);
  s.inflightBytes = inflightBytes_.load();
  s.inFlight = inFlight();
  return s;
}

void GrpcInferenceService::release(size_t bytes) {
  if (bytes > 0) inflightBytes_.fetch_sub(bytes);
}

void GrpcInferenceService::addModelInfer(int index) {
  MarkMethodRawCallback(
      index, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                 [this](grpc::CallbackServerContext* context, const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
                   auto* reactor = new InferReactor(*this, out);
                   // Memory first: refuse what no model takes, and what
                   // the budget of requests in flight cannot hold, before
                   // decoding makes another copy.
                   if (Status s = admit(*in, reactor); !s) {
                     reactor->Finish(toGrpcStatus(s));
                     return static_cast<grpc::ServerUnaryReactor*>(reactor);
                   }
                   if (grpc::Status st = decode("ModelInfer", in, &reactor->request); !st.ok()) {
                     undecodable_.fetch_add(1, std::memory_order_relaxed);
                     reactor->Finish(st);
                     return static_cast<grpc::ServerUnaryReactor*>(reactor);
                   }
                   modelInfer(context, &reactor->request, &reactor->response, reactor->cancelToken(),
                              [reactor](grpc::Status st) { reactor->finish(std::move(st)); });
                   return static_cast<grpc::ServerUnaryReactor*>(reactor);
                 }));
}

grpc::Status GrpcInferenceService::serverLive(grpc::ServerContextBase*,
                                              const inference::ServerLiveRequest*,
                                              inference::ServerLiveResponse* response) {
  CallGuard guard(*this);
  response->set_live(backend_.live());
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::serverReady(grpc::ServerContextBase*,
                                               const inference::ServerReadyRequest*,
                                               inference::ServerReadyResponse* response) {
  CallGuard guard(*this);
  response->set_ready(backend_.ready());
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::modelReady(grpc::ServerContextBase* context,
                                              const inference::ModelReadyRequest* request,
                                              inference::ModelReadyResponse* response) {
  CallGuard guard(*this);
  if (Status s = checkModelName("ModelReady", request->name(), request->version()); !s) return toGrpcStatus(s);
  if (Status s = authorize("ModelReady", *context, Action::kMetadata, request->name()); !s) return toGrpcStatus(s);
  // An unknown model is simply not ready (as in Triton), not an error.
  response->set_ready(backend_.modelReady(request->name(), request->version()));
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::serverMetadata(grpc::ServerContextBase*,
                                                  const inference::ServerMetadataRequest*,
                                                  inference::ServerMetadataResponse* response) {
  CallGuard guard(*this);
  ServerInfo info = backend_.serverInfo();
  response->set_name(info.name);
  response->set_version(info.version);
  const auto& extensions = info.extensions.empty() ? defaultServerExtensions() : info.extensions;
  for (const auto& e : extensions) response->add_extensions(e);
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::modelMetadata(grpc::ServerContextBase* context,
                                                 const inference::ModelMetadataRequest* request,
                                                 inference::ModelMetadataResponse* response) {
  CallGuard guard(*this);
  if (Status s = checkModelName("ModelMetadata", request->name(), request->version()); !s) return toGrpcStatus(s);
  if (Status s = authorize("ModelMetadata", *context, Action::kMetadata, request->name()); !s) return toGrpcStatus(s);
  Result<ipc::ModelMetadata> md = backend_.modelMetadata(request->name(), request->version());
  if (!md) return toGrpcStatus(md.status());
  response->set_name(md->name);
  for (const auto& v : md->versions) response->add_versions(v);
  response->set_platform(md->platform);
  auto fill = [](const TensorMetadata& t, inference::ModelMetadataResponse::TensorMetadata* o) {
    o->set_name(t.name);
    o->set_datatype(datatypeName(t.type));
    for (int64_t d : t.shape) o->add_shape(d);
  };
  for (const auto& t : md->inputs) fill(t, response->add_inputs());
  for (const auto& t : md->outputs) fill(t, response->add_outputs());
  return grpc::Status::OK;
}

void GrpcInferenceService::modelInfer(grpc::CallbackServerContext* context, const inference::ModelInferRequest* request,
                                      inference::ModelInferResponse* response,
                                      const std::shared_ptr<CancelToken>& cancel,
                                      std::function<void(grpc::Status)> finish) {
  auto fail = [&finish](const Status& status) { finish(toGrpcStatus(status)); };
  if (draining()) return fail(drainingError("ModelInfer"));

  const std::string& model = request->model_name();
  if (Status s = checkInferStrings(*request); !s) return fail(s);
  if (Status s = authorize("ModelInfer", *context, Action::kInfer, model); !s) return fail(s);
  Result<ipc::ModelMetadata> md = backend_.modelMetadata(model, request->model_version());
  if (!md) return fail(md.status());
  if (!backend_.modelReady(model, request->model_version())) {
    return fail(makeError(StatusCode::kUnavailable,
                          "model '{}' (version '{}') is not ready; load it first", model,
                          request->model_version().empty() ? "latest" : request->model_version()));
  }
  Result<InferRequest> built = buildInferRequest(*request, *md, backend_.maxTensorBytes());
  if (!built) {
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return fail(built.status());
  }
  InferRequest inferRequest = std::move(built).value();
  inferRequest.cancel = cancel;

  // A client that stops waiting at its gRPC deadline gains nothing from a
  // request that runs later: let the scheduler drop it like a timeout.
  const auto deadline = context->deadline();
  const auto now = std::chrono::system_clock::now();
  if (deadline < now + std::chrono::hours(24 * 365)) {
    const int64_t remaining = std::max<int64_t>(
        1, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count());
    if (!inferRequest.timeoutMicros || *inferRequest.timeoutMicros > remaining) {
      inferRequest.timeoutMicros = remaining;
    }
  }

  // What the response needs from the request, kept apart because the
  // request itself (with its input bytes) moves into the backend.
  InferRequest echo;
  echo.model = inferRequest.model;
  echo.version = inferRequest.version;
  echo.id = inferRequest.id;
  echo.outputs = inferRequest.outputs;

  backend_.infer(std::move(inferRequest),
                 [finish = std::move(finish), response, echo = std::move(echo)](Result<InferResponse> result) {
                   if (!result) {
                     finish(toGrpcStatus(result.status()));
                     return;
                   }
                   Status s = fillInferResponse(echo, std::move(result).value(), response);
                   finish(toGrpcStatus(s));
                 });
}

grpc::Status GrpcInferenceService::modelConfig(grpc::ServerContextBase* context,
                                               const inference::ModelConfigRequest* request,
                                               inference::ModelConfigResponse* response) {
  CallGuard guard(*this);
  if (Status s = checkModelName("ModelConfig", request->name(), request->version()); !s) return toGrpcStatus(s);
  if (Status s = authorize("ModelConfig", *context, Action::kMetadata, request->name()); !s) return toGrpcStatus(s);
  Result<ipc::ModelMetadata> md = backend_.modelMetadata(request->name(), request->version());
  if (!md) return toGrpcStatus(md.status());
  auto* config = response->mutable_config();
  config->set_name(md->name);
  config->set_platform(md->platform);
  config->set_backend(md->platform);
  // TFLite shapes already carry their batch dimension and inferd does not
  // batch requests together: Triton's way to say so is max_batch_size 0.
  config->set_max_batch_size(0);
  for (const auto& t : md->inputs) {
    auto* in = config->add_input();
    in->set_name(t.name);
    in->set_data_type(configDataType(t.type));
    for (int64_t d : t.shape) in->add_dims(d);
  }
  for (const auto& t : md->outputs) {
    auto* out = config->add_output();
    out->set_name(t.name);
    out->set_data_type(configDataType(t.type));
    for (int64_t d : t.shape) out->add_dims(d);
  }
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::modelStatistics(
    grpc::ServerContextBase* context, const inference::ModelStatisticsRequest* request,
    inference::ModelStatisticsResponse* response) {
  CallGuard guard(*this);
  // An empty name asks for every model.
  if (!request->name().empty()) {
    if (Status s = checkModelName("ModelStatistics", request->name(), request->version()); !s) return toGrpcStatus(s);
  }
  // Statistics count every client's requests: an admin action.
  if (Status s = authorize("ModelStatistics", *context, Action::kAdmin, request->name()); !s) return toGrpcStatus(s);
  Result<std::vector<ipc::ModelStatistics>> stats =
      backend_.statistics(request->name(), request->version());
  if (!stats) return toGrpcStatus(stats.status());
  for (const auto& s : *stats) {
    auto* m = response->add_model_stats();
    m->set_name(s.name);
    m->set_version(s.version);
    m->set_last_inference(s.lastInferenceMs);
    m->set_inference_count(s.inferenceCount);
    m->set_execution_count(s.executionCount);
    auto* is = m->mutable_inference_stats();
    auto set = [](inference::StatisticDuration* d, uint64_t count, uint64_t ns) {
      d->set_count(count);
      d->set_ns(ns);
    };
    set(is->mutable_success(), s.successCount, s.successNs);
    set(is->mutable_fail(), s.failCount, s.failNs);
    set(is->mutable_queue(), s.queueCount, s.queueNs);
    set(is->mutable_compute_infer(), s.computeCount, s.computeNs);
    // Inputs are copied before the request is queued and outputs after it
    // ran, so the separate input/output phases Triton reports take no time
    // of their own here; present but zero keeps clients that read them happy.
    set(is->mutable_compute_input(), 0, 0);
    set(is->mutable_compute_output(), 0, 0);
    if (s.executionCount > 0) {
      // inferd runs requests one by one (no dynamic batching): batch size 1.
      auto* b = m->add_batch_stats();
      b->set_batch_size(1);
      set(b->mutable_compute_infer(), s.computeCount, s.computeNs);
      set(b->mutable_compute_input(), 0, 0);
      set(b->mutable_compute_output(), 0, 0);
    }
  }
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::repositoryIndex(grpc::ServerContextBase* context,
                                                   const inference::RepositoryIndexRequest* request,
                                                   inference::RepositoryIndexResponse* response) {
  CallGuard guard(*this);
  // inferd serves one repository; repository_name is accepted and ignored.
  if (Status s = authorize("RepositoryIndex", *context, Action::kMetadata, ""); !s) return toGrpcStatus(s);
  for (const auto& e : backend_.repositoryIndex(request->ready())) {
    auto* m = response->add_models();
    m->set_name(e.name);
    m->set_version(e.version);
    m->set_state(e.state);
    m->set_reason(e.reason);
  }
  return grpc::Status::OK;
}

grpc::Status GrpcInferenceService::repositoryModelLoad(
    grpc::ServerContextBase* context, const inference::RepositoryModelLoadRequest* request,
    inference::RepositoryModelLoadResponse*) {
  CallGuard guard(*this);
  if (draining()) return toGrpcStatus(drainingError("RepositoryModelLoad"));
  if (Status s = checkModelName("RepositoryModelLoad", request->model_name(), "", "model_name"); !s) return toGrpcStatus(s);
  // Triton's "config" (a JSON config override) and "file:<path>" (model files
  // in the request) change what gets loaded; silently ignoring them would
  // load something other than what the client asked for.
  for (const auto& [key, value] : request->parameters()) {
    if (key == "config" || key.rfind("file:", 0) == 0) {
      return toGrpcStatus(makeError(StatusCode::kUnsupported,
                                    "RepositoryModelLoad of model '{}': parameter '{}' is not "
                                    "supported by inferd; models load from the model directory",
                                    request->model_name(), clipped(key)));
    }
  }
  Peer peer;
  if (Status s = authorize("RepositoryModelLoad", *context, Action::kLoad, request->model_name(), &peer); !s) {
    return toGrpcStatus(s);
  }
  Status s = backend_.loadModel(request->model_name());
  ipcLog()->info("load of model '{}' asked by {}: {}", request->model_name(), peer.describe(),
                 s ? "done" : s.message());
  return toGrpcStatus(s);
}

grpc::Status GrpcInferenceService::repositoryModelUnload(
    grpc::ServerContextBase* context, const inference::RepositoryModelUnloadRequest* request,
    inference::RepositoryModelUnloadResponse*) {
  CallGuard guard(*this);
  if (draining()) return toGrpcStatus(drainingError("RepositoryModelUnload"));
  if (Status s = checkModelName("RepositoryModelUnload", request->model_name(), "", "model_name"); !s) return toGrpcStatus(s);
  // "unload_dependents" (sent by tritonclient on every unload) concerns
  // ensembles, which inferd does not have: nothing to do for it.
  Peer peer;
  if (Status s = authorize("RepositoryModelUnload", *context, Action::kLoad, request->model_name(), &peer); !s) {
    return toGrpcStatus(s);
  }
  Status s = backend_.unloadModel(request->model_name());
  ipcLog()->info("unload of model '{}' asked by {}: {}", request->model_name(), peer.describe(),
                 s ? "done" : s.message());
  return toGrpcStatus(s);
}

}  // namespace inferd::ipc
