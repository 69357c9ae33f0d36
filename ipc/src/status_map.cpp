// inferd StatusCode <-> gRPC status code, in one place.
#include "inferd/ipc/status_map.h"

namespace inferd::ipc {

grpc::StatusCode toGrpcCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidModel:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kUnsupported:
      // INVALID_ARGUMENT, not UNIMPLEMENTED: the RPC exists and works, it is
      // the request's content (a model with an op we cannot run, the BYTES
      // datatype, a load parameter) that we refuse. Clients use UNIMPLEMENTED
      // to detect that a whole RPC or protocol extension is missing, and
      // must not mistake a per-request refusal for that.
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kDeadlineExceeded:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kPermissionDenied:
      return grpc::StatusCode::PERMISSION_DENIED;
    case StatusCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kInternal:
      return grpc::StatusCode::INTERNAL;
    case StatusCode::kCancelled:
      return grpc::StatusCode::CANCELLED;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::Status toGrpcStatus(const Status& status) {
  if (status.isOk()) return grpc::Status::OK;
  // A backstop under the per-field bounds of the service: a message travels
  // as gRPC metadata, whose size is limited (8 KiB by default).
  constexpr size_t kMaxMessageBytes = 2048;
  const std::string& m = status.message();
  if (m.size() <= kMaxMessageBytes) return grpc::Status(toGrpcCode(status.code()), m);
  size_t cut = kMaxMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(m[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return grpc::Status(toGrpcCode(status.code()),
                      m.substr(0, cut) + fmt::format("... ({} more bytes)", m.size() - cut));
}

StatusCode fromGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return StatusCode::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return StatusCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return StatusCode::kNotFound;
    case grpc::StatusCode::UNIMPLEMENTED:
      return StatusCode::kUnsupported;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StatusCode::kResourceExhausted;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return StatusCode::kPermissionDenied;
    case grpc::StatusCode::CANCELLED:
      return StatusCode::kCancelled;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::ABORTED:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

Status fromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return Status::ok();
  return Status(fromGrpcCode(status.error_code()), status.error_message());
}

}  // namespace inferd::ipc
