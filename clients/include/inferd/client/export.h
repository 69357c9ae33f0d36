// Symbol visibility for libinferd-client: the library is built with hidden
// visibility so that only this API (and none of the gRPC or protobuf code
// linked into it) is exported.
#pragma once

#if defined(INFERD_CLIENT_BUILDING)
#define INFERD_CLIENT_API __attribute__((visibility("default")))
#else
#define INFERD_CLIENT_API
#endif
