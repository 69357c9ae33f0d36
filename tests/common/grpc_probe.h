// The standard gRPC services inferd registers, called by hand over any
// channel (no generated health or reflection stubs are installed):
// grpc.health.v1.Health/Check and the server reflection's list_services.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/sync_stream.h>

namespace inferd::test {

inline grpc::ByteBuffer toByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

inline std::string fromByteBuffer(const grpc::ByteBuffer& buffer) {
  grpc::Slice slice;
  REQUIRE(buffer.DumpToSingleSlice(&slice).ok());
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

// grpc.health.v1.Health/Check: HealthCheckRequest{service = 1},
// HealthCheckResponse{status = 1}. Returns the status enum (1 SERVING,
// 2 NOT_SERVING) or -(gRPC code).
inline constexpr int kHealthServing = 1;
inline constexpr int kHealthNotServing = 2;

inline int healthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::ByteBuffer response;
  grpc::Status st = grpc::internal::BlockingUnaryCall(
      channel.get(), grpc::internal::RpcMethod("/grpc.health.v1.Health/Check", grpc::internal::RpcMethod::NORMAL_RPC),
      &c, toByteBuffer(request), &response);
  if (!st.ok()) return -static_cast<int>(st.error_code());
  std::string bytes = fromByteBuffer(response);
  google::protobuf::UnknownFieldSet fields;
  REQUIRE(fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == 1) return static_cast<int>(fields.field(i).varint());
  }
  return 0;  // UNKNOWN (proto3 default is omitted on the wire)
}

// grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with
// list_services (field 7); returns the service names of
// list_services_response (field 6) -> service (1) -> name (1).
inline std::vector<std::string> reflectionServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                    grpc::internal::RpcMethod::BIDI_STREAMING),
          &c));
  REQUIRE(stream->Write(toByteBuffer(std::string("\x3a\x01*", 3))));
  stream->WritesDone();
  grpc::ByteBuffer reply;
  std::vector<std::string> names;
  if (stream->Read(&reply)) {
    std::string bytes = fromByteBuffer(reply);
    google::protobuf::UnknownFieldSet top;
    REQUIRE(top.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    for (int i = 0; i < top.field_count(); ++i) {
      if (top.field(i).number() != 6) continue;
      google::protobuf::UnknownFieldSet list;
      const std::string& l = top.field(i).length_delimited();
      REQUIRE(list.ParseFromArray(l.data(), static_cast<int>(l.size())));
      for (int j = 0; j < list.field_count(); ++j) {
        google::protobuf::UnknownFieldSet svc;
        const std::string& sv = list.field(j).length_delimited();
        REQUIRE(svc.ParseFromArray(sv.data(), static_cast<int>(sv.size())));
        for (int k = 0; k < svc.field_count(); ++k) {
          if (svc.field(k).number() == 1) names.push_back(svc.field(k).length_delimited());
        }
      }
    }
  }
  CHECK(stream->Finish().ok());
  return names;
}

}  // namespace inferd::test
