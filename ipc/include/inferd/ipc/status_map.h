// The one place where inferd's internal StatusCode becomes a gRPC status
// code (and back, for the client library). Nothing else in the project may
// pick a grpc::StatusCode by itself.
#pragma once

#include <grpcpp/support/status.h>

#include "inferd/engine/status.h"

namespace inferd::ipc {

// kInvalidArgument, kInvalidModel -> INVALID_ARGUMENT
// kNotFound                       -> NOT_FOUND
// kUnsupported                    -> INVALID_ARGUMENT (see status_map.cpp)
// kResourceExhausted              -> RESOURCE_EXHAUSTED
// kDeadlineExceeded               -> DEADLINE_EXCEEDED
// kPermissionDenied               -> PERMISSION_DENIED
// kUnavailable                    -> UNAVAILABLE
// kInternal                       -> INTERNAL
grpc::StatusCode toGrpcCode(StatusCode code);

// The gRPC status for `status`, message kept verbatim.
grpc::Status toGrpcStatus(const Status& status);

// Reverse mapping for clients: the inferd code a gRPC status stands for.
// Codes inferd never sends map to the nearest meaning (CANCELLED and
// connection failures -> kUnavailable, UNIMPLEMENTED -> kUnsupported,
// everything else unknown -> kInternal).
StatusCode fromGrpcCode(grpc::StatusCode code);
Status fromGrpcStatus(const grpc::Status& status);

}  // namespace inferd::ipc
