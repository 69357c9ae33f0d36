// GRPCInferenceService end to end: a real gRPC client stub over a Unix
// socket against GrpcServer + a scripted backend. Covers every RPC, every
// ModelInfer validation error (code and message), raw vs typed contents for
// each datatype, requested outputs and the priority/timeout parameters.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "fake_backend.h"
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/client_unary_call.h>

#include <condition_variable>
#include <future>
#include <thread>
#include <mutex>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "inferd/ipc/grpc_service.h"

using namespace inferd;
using namespace inferd::ipc;
using namespace inferd::ipc::test;
using inference::ModelInferRequest;
using inference::ModelInferResponse;

namespace {

// A valid raw request for model "add": a = {1,2,3,4}, b = {10,20,30,40}.
ModelInferRequest addRequest(const std::string& model = "add") {
  ModelInferRequest r = twoInputRequest(model, {1, 2, 3, 4}, {10, 20, 30, 40});
  r.set_id("req-42");
  return r;
}

// A request to echo_<datatype> with one input "x" of `shape` and no data.
ModelInferRequest echoRequest(const std::string& datatype, std::initializer_list<int64_t> shape) {
  ModelInferRequest r;
  r.set_model_name("echo_" + datatype);
  auto* in = r.add_inputs();
  in->set_name("x");
  in->set_datatype(datatype);
  for (int64_t d : shape) in->add_shape(d);
  return r;
}

// Same as addRequest but with typed fp32_contents.
ModelInferRequest addRequestTyped() {
  ModelInferRequest r = addRequest();
  r.clear_raw_input_contents();
  for (float v : {1.f, 2.f, 3.f, 4.f}) r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(v);
  for (float v : {10.f, 20.f, 30.f, 40.f}) {
    r.mutable_inputs(1)->mutable_contents()->add_fp32_contents(v);
  }
  return r;
}

struct Call {
  grpc::Status status;
  ModelInferResponse response;
};

Call infer(TestServer& s, const ModelInferRequest& request) {
  Call c;
  auto stub = s.stub();
  c.status = stub->ModelInfer(ctx().get(), request, &c.response);
  return c;
}

// Expects `request` to fail with `code` and a message containing each of
// `parts`, without the backend ever seeing it.
void expectRejected(TestServer& s, const ModelInferRequest& request, grpc::StatusCode code,
                    std::vector<std::string> parts) {
  size_t before = s.backend.requestCount();
  Call c = infer(s, request);
  INFO("message: " << c.status.error_message());
  CHECK(c.status.error_code() == code);
  for (const auto& p : parts) CHECK_THAT(c.status.error_message(), Catch::Contains(p));
  CHECK(s.backend.requestCount() == before);
}

}  // namespace

TEST_CASE("server liveness, readiness and metadata", "[ipc][grpc]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();

  inference::ServerLiveResponse live;
  REQUIRE(stub->ServerLive(ctx().get(), {}, &live).ok());
  CHECK(live.live());

  inference::ServerReadyResponse ready;
  REQUIRE(stub->ServerReady(ctx().get(), {}, &ready).ok());
  CHECK(ready.ready());
  s.backend.ready_ = false;
  REQUIRE(stub->ServerReady(ctx().get(), {}, &ready).ok());
  CHECK_FALSE(ready.ready());

  inference::ServerMetadataResponse md;
  REQUIRE(stub->ServerMetadata(ctx().get(), {}, &md).ok());
  CHECK(md.name() == "inferd");
  CHECK(md.version() == "0.1.0-test");
  REQUIRE(md.extensions_size() == 3);
  CHECK(md.extensions(0) == "model_repository");
  CHECK(md.extensions(1) == "statistics");
}

TEST_CASE("model metadata and readiness", "[ipc][grpc]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();

  inference::ModelMetadataRequest req;
  req.set_name("add");
  inference::ModelMetadataResponse md;
  REQUIRE(stub->ModelMetadata(ctx().get(), req, &md).ok());
  CHECK(md.name() == "add");
  CHECK(md.platform() == "tflite");
  REQUIRE(md.versions_size() == 1);
  CHECK(md.versions(0) == "1");
  REQUIRE(md.inputs_size() == 2);
  CHECK(md.inputs(0).name() == "a");
  CHECK(md.inputs(0).datatype() == "FP32");
  CHECK(std::vector<int64_t>(md.inputs(0).shape().begin(), md.inputs(0).shape().end()) ==
        std::vector<int64_t>{1, 4});
  REQUIRE(md.outputs_size() == 2);
  CHECK(md.outputs(1).name() == "diff");

  req.set_name("echo_INT8");
  REQUIRE(stub->ModelMetadata(ctx().get(), req, &md).ok());
  CHECK(md.inputs(0).datatype() == "INT8");
  CHECK(md.inputs(0).shape(0) == -1);

  req.set_name("nope");
  grpc::Status st = stub->ModelMetadata(ctx().get(), req, &md);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("'nope'"));

  req.set_name("add");
  req.set_version("7");
  st = stub->ModelMetadata(ctx().get(), req, &md);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("'7'"));

  req.set_name("");
  req.set_version("");
  st = stub->ModelMetadata(ctx().get(), req, &md);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  inference::ModelReadyRequest rr;
  inference::ModelReadyResponse ready;
  rr.set_name("add");
  REQUIRE(stub->ModelReady(ctx().get(), rr, &ready).ok());
  CHECK(ready.ready());
  rr.set_name("loading");
  REQUIRE(stub->ModelReady(ctx().get(), rr, &ready).ok());
  CHECK_FALSE(ready.ready());
  rr.set_name("nope");
  REQUIRE(stub->ModelReady(ctx().get(), rr, &ready).ok());
  CHECK_FALSE(ready.ready());
}

TEST_CASE("ModelInfer with raw and typed contents", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());

  for (bool typed : {false, true}) {
    INFO("typed contents: " << typed);
    Call c = infer(s, typed ? addRequestTyped() : addRequest());
    REQUIRE(c.status.ok());
    CHECK(c.response.model_name() == "add");
    CHECK(c.response.model_version() == "1");
    CHECK(c.response.id() == "req-42");
    REQUIRE(c.response.outputs_size() == 2);
    REQUIRE(c.response.raw_output_contents_size() == 2);
    CHECK(c.response.outputs(0).name() == "sum");
    CHECK(c.response.outputs(0).datatype() == "FP32");
    CHECK(std::vector<int64_t>(c.response.outputs(0).shape().begin(),
                               c.response.outputs(0).shape().end()) == std::vector<int64_t>{1, 4});
    CHECK_FALSE(c.response.outputs(0).has_contents());
    CHECK(valuesOf<float>(c.response.raw_output_contents(0)) ==
          std::vector<float>{11, 22, 33, 44});
    CHECK(c.response.outputs(1).name() == "diff");
    CHECK(valuesOf<float>(c.response.raw_output_contents(1)) ==
          std::vector<float>{-9, -18, -27, -36});

    InferRequest seen = s.backend.lastRequest();
    REQUIRE(seen.inputs.size() == 2);
    CHECK(seen.inputs[0].name == "a");
    CHECK(seen.inputs[0].dims == Dims{1, 4});
    CHECK(seen.inputs[0].data.size() == 16);
    CHECK(seen.id == "req-42");
    CHECK(seen.outputs.empty());
  }
}

TEST_CASE("ModelInfer hands inputs to the backend in model order", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  ModelInferRequest r = addRequest();
  r.mutable_inputs()->SwapElements(0, 1);
  r.mutable_raw_input_contents()->SwapElements(0, 1);
  Call c = infer(s, r);
  REQUIRE(c.status.ok());
  InferRequest seen = s.backend.lastRequest();
  CHECK(seen.inputs[0].name == "a");
  CHECK(valuesOf<float>(std::string(seen.inputs[0].data.begin(), seen.inputs[0].data.end())) ==
        std::vector<float>{1, 2, 3, 4});
  CHECK(valuesOf<float>(c.response.raw_output_contents(1)) ==
        std::vector<float>{-9, -18, -27, -36});
}

TEST_CASE("ModelInfer honours requested outputs in the requested order", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());

  ModelInferRequest r = addRequest();
  r.add_outputs()->set_name("diff");
  Call c = infer(s, r);
  REQUIRE(c.status.ok());
  REQUIRE(c.response.outputs_size() == 1);
  REQUIRE(c.response.raw_output_contents_size() == 1);
  CHECK(c.response.outputs(0).name() == "diff");
  CHECK(valuesOf<float>(c.response.raw_output_contents(0)) ==
        std::vector<float>{-9, -18, -27, -36});
  CHECK(s.backend.lastRequest().outputs == std::vector<std::string>{"diff"});

  r.add_outputs()->set_name("sum");
  c = infer(s, r);
  REQUIRE(c.status.ok());
  REQUIRE(c.response.outputs_size() == 2);
  CHECK(c.response.outputs(0).name() == "diff");
  CHECK(c.response.outputs(1).name() == "sum");
  CHECK(valuesOf<float>(c.response.raw_output_contents(1)) ==
        std::vector<float>{11, 22, 33, 44});
  CHECK(s.backend.lastRequest().outputs == std::vector<std::string>{"diff", "sum"});
}

TEST_CASE("ModelInfer passes priority and timeout parameters", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();
  auto run = [&](const ModelInferRequest& r) {
    ModelInferResponse resp;
    grpc::ClientContext c;  // no gRPC deadline: only the parameter counts
    return stub->ModelInfer(&c, r, &resp);
  };

  SECTION("none given") {
    REQUIRE(run(addRequest()).ok());
    CHECK_FALSE(s.backend.lastRequest().priority.has_value());
    CHECK_FALSE(s.backend.lastRequest().timeoutMicros.has_value());
  }
  SECTION("int64 values") {
    ModelInferRequest r = addRequest();
    (*r.mutable_parameters())["priority"].set_int64_param(-3);
    (*r.mutable_parameters())["timeout"].set_int64_param(1500);
    REQUIRE(run(r).ok());
    CHECK(s.backend.lastRequest().priority == std::optional<int64_t>(-3));
    CHECK(s.backend.lastRequest().timeoutMicros == std::optional<int64_t>(1500));
  }
  SECTION("uint64 values, as newer tritonclient sends them") {
    ModelInferRequest r = addRequest();
    (*r.mutable_parameters())["priority"].set_uint64_param(2);
    (*r.mutable_parameters())["timeout"].set_uint64_param(250000);
    REQUIRE(run(r).ok());
    CHECK(s.backend.lastRequest().priority == std::optional<int64_t>(2));
    CHECK(s.backend.lastRequest().timeoutMicros == std::optional<int64_t>(250000));
  }
  SECTION("timeout 0 means no timeout; unknown parameters are ignored") {
    ModelInferRequest r = addRequest();
    (*r.mutable_parameters())["timeout"].set_int64_param(0);
    (*r.mutable_parameters())["sequence_id"].set_int64_param(5);
    REQUIRE(run(r).ok());
    CHECK_FALSE(s.backend.lastRequest().timeoutMicros.has_value());
  }
  SECTION("a gRPC deadline bounds the timeout") {
    ModelInferRequest r = addRequest();
    (*r.mutable_parameters())["timeout"].set_int64_param(60'000'000);
    ModelInferResponse resp;
    REQUIRE(stub->ModelInfer(ctx(std::chrono::seconds(2)).get(), r, &resp).ok());
    auto t = s.backend.lastRequest().timeoutMicros;
    REQUIRE(t.has_value());
    CHECK(*t <= 2'100'000);  // the server's deadline is the client's plus transit
    CHECK(*t > 1'000'000);
  }
  SECTION("bad parameter values") {
    ModelInferRequest r = addRequest();
    (*r.mutable_parameters())["priority"].set_string_param("high");
    expectRejected(s, r, grpc::StatusCode::INVALID_ARGUMENT, {"'priority'", "int64_param"});
    r = addRequest();
    (*r.mutable_parameters())["timeout"].set_int64_param(-1);
    expectRejected(s, r, grpc::StatusCode::INVALID_ARGUMENT, {"'timeout'", "-1"});
    r = addRequest();
    (*r.mutable_parameters())["priority"].set_uint64_param(std::numeric_limits<uint64_t>::max());
    expectRejected(s, r, grpc::StatusCode::INVALID_ARGUMENT, {"'priority'", "18446744073709551615"});
  }
}

TEST_CASE("ModelInfer validation errors", "[ipc][grpc][infer][errors]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  using grpc::StatusCode;

  SECTION("unknown model") {
    expectRejected(s, addRequest("nope"), StatusCode::NOT_FOUND, {"'nope'"});
  }
  SECTION("empty model name") {
    expectRejected(s, addRequest(""), StatusCode::INVALID_ARGUMENT, {"model_name"});
  }
  SECTION("unknown version") {
    ModelInferRequest r = addRequest();
    r.set_model_version("3");
    expectRejected(s, r, StatusCode::NOT_FOUND, {"'add'", "'3'"});
  }
  SECTION("model not ready") {
    expectRejected(s, addRequest("loading"), StatusCode::UNAVAILABLE, {"'loading'", "not ready"});
  }
  SECTION("unknown input name") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(1)->set_name("c");
    expectRejected(s, r, StatusCode::NOT_FOUND, {"model 'add'", "input 'c'", "'a', 'b'"});
  }
  SECTION("unknown requested output") {
    ModelInferRequest r = addRequest();
    r.add_outputs()->set_name("product");
    expectRejected(s, r, StatusCode::NOT_FOUND, {"model 'add'", "output 'product'", "'sum', 'diff'"});
  }
  SECTION("output requested twice") {
    ModelInferRequest r = addRequest();
    r.add_outputs()->set_name("sum");
    r.add_outputs()->set_name("sum");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"output 'sum'", "twice"});
  }
  SECTION("missing input") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs()->RemoveLast();
    r.mutable_raw_input_contents()->RemoveLast();
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"model 'add'", "missing input 'b'", "expected 2 inputs", "got 1"});
  }
  SECTION("input given twice") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(1)->set_name("a");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'a'", "twice"});
  }
  SECTION("wrong datatype") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(1)->set_datatype("INT32");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'b'", "model 'add'", "expected FP32", "got INT32"});
  }
  SECTION("unknown datatype") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(0)->set_datatype("FLOAT32");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'a'", "'FLOAT32'", "FP32"});
  }
  SECTION("BYTES is refused") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(0)->set_datatype("BYTES");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'a'", "BYTES", "not supported"});
  }
  SECTION("wrong shape") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(0)->set_shape(1, 5);
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'a'", "model 'add'", "expected [1, 4]", "got [1, 5]"});
  }
  SECTION("wrong rank") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(0)->clear_shape();
    r.mutable_inputs(0)->add_shape(4);
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"expected [1, 4]", "got [4]"});
  }
  SECTION("negative dimension") {
    ModelInferRequest r = echoRequest("FP32", {-2});
    r.add_raw_input_contents("");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'x'", "got [-2]"});
  }
  SECTION("wrong raw byte size") {
    ModelInferRequest r = addRequest();
    r.set_raw_input_contents(1, bytesOf(std::vector<float>{1, 2, 3}));
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'b'", "model 'add'", "12 bytes", "expected 16"});
  }
  SECTION("raw_input_contents count does not match inputs") {
    ModelInferRequest r = addRequest();
    r.mutable_raw_input_contents()->RemoveLast();
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"model 'add'", "1 raw_input_contents", "2 inputs"});
  }
  SECTION("raw and typed contents mixed") {
    ModelInferRequest r = addRequest();
    r.mutable_inputs(1)->mutable_contents()->add_fp32_contents(1.f);
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'b'", "typed contents", "raw_input_contents"});
  }
  SECTION("no data at all") {
    ModelInferRequest r = addRequest();
    r.clear_raw_input_contents();
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'a'", "no data", "16 bytes", "4 values in contents.fp32_contents"});
  }
  SECTION("typed contents with the wrong count") {
    ModelInferRequest r = addRequestTyped();
    r.mutable_inputs(0)->mutable_contents()->mutable_fp32_contents()->RemoveLast();
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'a'", "fp32_contents holds 3 values", "expected 4", "[1, 4]"});
  }
  SECTION("typed contents present but empty") {
    ModelInferRequest r = addRequestTyped();
    r.mutable_inputs(0)->mutable_contents()->clear_fp32_contents();
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'a'", "holds 0 values"});
  }
  SECTION("typed contents in the wrong field") {
    ModelInferRequest r = addRequestTyped();
    auto* contents = r.mutable_inputs(1)->mutable_contents();
    contents->clear_fp32_contents();
    for (int v : {1, 2, 3, 4}) contents->add_int_contents(v);
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'b'", "FP32 expects fp32_contents", "int_contents"});
  }
  SECTION("typed value out of range for INT8") {
    ModelInferRequest r = echoRequest("INT8", {2});
    auto* contents = r.mutable_inputs(0)->mutable_contents();
    contents->add_int_contents(5);
    contents->add_int_contents(300);
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'x'", "model 'echo_INT8'", "300", "index 1", "out of range for INT8"});
  }
  SECTION("FP16 cannot use typed contents") {
    ModelInferRequest r = echoRequest("FP16", {1});
    r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.f);
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'x'", "FP16", "raw_input_contents"});
  }
  SECTION("tensor over the size limit") {
    s.backend.maxTensorBytes_ = 64;
    ModelInferRequest r = echoRequest("FP32", {17});
    r.add_raw_input_contents(bytesOf(std::vector<float>(17, 1.f)));
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT,
                   {"input 'x'", "model 'echo_FP32'", "68 bytes", "limit of 64 bytes"});
    // Exactly at the limit is fine.
    r.mutable_inputs(0)->set_shape(0, 16);
    r.set_raw_input_contents(0, bytesOf(std::vector<float>(16, 1.f)));
    CHECK(infer(s, r).status.ok());
  }
  SECTION("shape too large to count") {
    ModelInferRequest r = echoRequest("FP32", {int64_t{1} << 40});
    r.add_raw_input_contents("");
    expectRejected(s, r, StatusCode::INVALID_ARGUMENT, {"input 'x'", "1099511627776"});
  }
}

TEST_CASE("ModelInfer: backend errors reach the client through the status map",
          "[ipc][grpc][infer][errors]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());

  Call c = infer(s, addRequest("fail"));
  CHECK(c.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(c.status.error_message() == "queue of model 'fail' is full (4 of 4)");

  s.backend.failStatus = Status(StatusCode::kDeadlineExceeded, "request 7 waited 2 ms > 1 ms");
  c = infer(s, addRequest("fail"));
  CHECK(c.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);

  s.backend.failStatus = Status(StatusCode::kUnavailable, "model 'fail' is unloading");
  c = infer(s, addRequest("fail"));
  CHECK(c.status.error_code() == grpc::StatusCode::UNAVAILABLE);

  // The backend answered without a requested output: a bug, reported as such.
  ModelInferRequest r = addRequest("lossy");
  r.add_outputs()->set_name("q");
  c = infer(s, r);
  CHECK(c.status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK_THAT(c.status.error_message(), Catch::Contains("'q'"));
}

namespace {

template <typename T>
void addTypedValues(inference::InferTensorContents* c, const std::vector<T>& values,
                    const std::string& datatype) {
  for (T v : values) {
    if (datatype == "BOOL") c->add_bool_contents(v != 0);
    else if (datatype == "INT8" || datatype == "INT16" || datatype == "INT32") c->add_int_contents(static_cast<int32_t>(v));
    else if (datatype == "INT64") c->add_int64_contents(static_cast<int64_t>(v));
    else if (datatype == "UINT8" || datatype == "UINT16" || datatype == "UINT32") c->add_uint_contents(static_cast<uint32_t>(v));
    else if (datatype == "UINT64") c->add_uint64_contents(static_cast<uint64_t>(v));
    else if (datatype == "FP32") c->add_fp32_contents(static_cast<float>(v));
    else if (datatype == "FP64") c->add_fp64_contents(static_cast<double>(v));
  }
}

// Sends `values` as typed contents and as raw bytes to echo_<datatype>;
// both must arrive as the same little-endian element bytes.
template <typename T>
void checkEcho(TestServer& s, const std::string& datatype, const std::vector<T>& values) {
  INFO("datatype " << datatype);
  for (bool typed : {true, false}) {
    INFO("typed " << typed);
    ModelInferRequest r = echoRequest(datatype, {static_cast<int64_t>(values.size())});
    if (typed) {
      addTypedValues(r.mutable_inputs(0)->mutable_contents(), values, datatype);
    } else {
      r.add_raw_input_contents(bytesOf(values));
    }
    Call c = infer(s, r);
    REQUIRE(c.status.ok());
    REQUIRE(c.response.outputs_size() == 1);
    CHECK(c.response.outputs(0).datatype() == datatype);
    CHECK(c.response.outputs(0).shape(0) == static_cast<int64_t>(values.size()));
    CHECK(c.response.raw_output_contents(0) == bytesOf(values));
    InferRequest seen = s.backend.lastRequest();
    CHECK(seen.inputs[0].type == *datatypeFromName(datatype));
  }
}

}  // namespace

TEST_CASE("typed contents are converted for every datatype", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  checkEcho<float>(s, "FP32", {1.5f, -2.25f, 0.f, 3.4e38f});
  checkEcho<double>(s, "FP64", {1.5, -1e300, 0.1});
  checkEcho<int8_t>(s, "INT8", {-128, -1, 0, 127});
  checkEcho<int16_t>(s, "INT16", {-32768, 5, 32767});
  checkEcho<int32_t>(s, "INT32", {std::numeric_limits<int32_t>::min(), 7, 2147483647});
  checkEcho<int64_t>(s, "INT64", {std::numeric_limits<int64_t>::min(), -1, int64_t{1} << 40});
  checkEcho<uint8_t>(s, "UINT8", {0, 128, 255});
  checkEcho<uint16_t>(s, "UINT16", {0, 40000, 65535});
  checkEcho<uint32_t>(s, "UINT32", {0, 4000000000u});
  checkEcho<uint64_t>(s, "UINT64", {0, std::numeric_limits<uint64_t>::max()});
  checkEcho<uint8_t>(s, "BOOL", {1, 0, 1, 1});
}

TEST_CASE("FP16 travels as raw bytes", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  std::vector<uint16_t> halfs = {0x3c00, 0xc000, 0x7bff};  // 1.0, -2.0, 65504
  ModelInferRequest r = echoRequest("FP16", {3});
  r.add_raw_input_contents(bytesOf(halfs));
  Call c = infer(s, r);
  REQUIRE(c.status.ok());
  CHECK(c.response.outputs(0).datatype() == "FP16");
  CHECK(valuesOf<uint16_t>(c.response.raw_output_contents(0)) == halfs);
}

TEST_CASE("zero-element tensors need no data", "[ipc][grpc][infer]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  ModelInferRequest r = echoRequest("FP32", {0});
  Call c = infer(s, r);
  REQUIRE(c.status.ok());
  CHECK(c.response.outputs(0).shape(0) == 0);
  CHECK(c.response.raw_output_contents(0).empty());
}

TEST_CASE("repository index, load and unload", "[ipc][grpc][repository]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();

  inference::RepositoryIndexRequest ir;
  inference::RepositoryIndexResponse index;
  REQUIRE(stub->RepositoryIndex(ctx().get(), ir, &index).ok());
  bool sawLoading = false;
  for (const auto& m : index.models()) {
    if (m.name() == "loading") {
      sawLoading = true;
      CHECK(m.state() == "UNAVAILABLE");
      CHECK(m.reason() == "still loading");
    }
    if (m.name() == "add") {
      CHECK(m.state() == "READY");
      CHECK(m.version() == "1");
    }
  }
  CHECK(sawLoading);
  const int all = index.models_size();
  ir.set_ready(true);
  REQUIRE(stub->RepositoryIndex(ctx().get(), ir, &index).ok());
  CHECK(index.models_size() == all - 1);
  for (const auto& m : index.models()) CHECK(m.state() == "READY");

  inference::RepositoryModelLoadRequest load;
  inference::RepositoryModelLoadResponse loaded;
  load.set_model_name("add");
  CHECK(stub->RepositoryModelLoad(ctx().get(), load, &loaded).ok());
  load.set_model_name("missing");
  grpc::Status st = stub->RepositoryModelLoad(ctx().get(), load, &loaded);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("'missing'"));
  load.set_model_name("broken");
  st = stub->RepositoryModelLoad(ctx().get(), load, &loaded);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(st.error_message(), Catch::Contains("bad magic"));
  CHECK(s.backend.loads() == std::vector<std::string>{"add", "missing", "broken"});

  load.set_model_name("");
  CHECK(stub->RepositoryModelLoad(ctx().get(), load, &loaded).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  load.set_model_name("add");
  (*load.mutable_parameters())["config"].set_string_param("{}");
  st = stub->RepositoryModelLoad(ctx().get(), load, &loaded);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(st.error_message(), Catch::Contains("'config'"));
  CHECK(s.backend.loads().size() == 3);  // refused before reaching the backend

  inference::RepositoryModelUnloadRequest unload;
  inference::RepositoryModelUnloadResponse unloaded;
  unload.set_model_name("add");
  // tritonclient always sends unload_dependents.
  (*unload.mutable_parameters())["unload_dependents"].set_bool_param(false);
  CHECK(stub->RepositoryModelUnload(ctx().get(), unload, &unloaded).ok());
  unload.set_model_name("ghost");
  st = stub->RepositoryModelUnload(ctx().get(), unload, &unloaded);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("'ghost'"));
  CHECK(s.backend.unloads() == std::vector<std::string>{"add", "ghost"});
}

TEST_CASE("model statistics", "[ipc][grpc][statistics]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();

  inference::ModelStatisticsRequest req;
  inference::ModelStatisticsResponse resp;
  req.set_name("add");
  REQUIRE(stub->ModelStatistics(ctx().get(), req, &resp).ok());
  REQUIRE(resp.model_stats_size() == 1);
  const auto& m = resp.model_stats(0);
  CHECK(m.name() == "add");
  CHECK(m.version() == "1");
  CHECK(m.last_inference() == 1700000000123u);
  CHECK(m.inference_count() == 7);
  CHECK(m.execution_count() == 7);
  CHECK(m.inference_stats().success().count() == 7);
  CHECK(m.inference_stats().success().ns() == 7000);
  CHECK(m.inference_stats().fail().count() == 2);
  CHECK(m.inference_stats().fail().ns() == 300);
  CHECK(m.inference_stats().queue().count() == 9);
  CHECK(m.inference_stats().queue().ns() == 900);
  CHECK(m.inference_stats().compute_infer().count() == 7);
  CHECK(m.inference_stats().compute_infer().ns() == 5600);
  REQUIRE(m.batch_stats_size() == 1);
  CHECK(m.batch_stats(0).batch_size() == 1);

  req.set_name("");
  REQUIRE(stub->ModelStatistics(ctx().get(), req, &resp).ok());
  CHECK(resp.model_stats_size() == 2);

  req.set_name("nope");
  grpc::Status st = stub->ModelStatistics(ctx().get(), req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("'nope'"));
}

TEST_CASE("model config for Triton clients", "[ipc][grpc]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();
  inference::ModelConfigRequest req;
  inference::ModelConfigResponse resp;
  req.set_name("add");
  REQUIRE(stub->ModelConfig(ctx().get(), req, &resp).ok());
  const auto& c = resp.config();
  CHECK(c.name() == "add");
  CHECK(c.platform() == "tflite");
  CHECK(c.max_batch_size() == 0);
  REQUIRE(c.input_size() == 2);
  CHECK(c.input(0).name() == "a");
  CHECK(c.input(0).data_type() == inference::TYPE_FP32);
  CHECK(std::vector<int64_t>(c.input(0).dims().begin(), c.input(0).dims().end()) ==
        std::vector<int64_t>{1, 4});
  REQUIRE(c.output_size() == 2);
  CHECK(c.output(1).name() == "diff");

  req.set_name("echo_UINT16");
  REQUIRE(stub->ModelConfig(ctx().get(), req, &resp).ok());
  CHECK(resp.config().input(0).data_type() == inference::TYPE_UINT16);
  CHECK(resp.config().input(0).dims(0) == -1);

  req.set_name("nope");
  grpc::Status st = stub->ModelConfig(ctx().get(), req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("'nope'"));
}

TEST_CASE("RPCs inferd does not serve answer UNIMPLEMENTED", "[ipc][grpc]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  // Not in our proto: call them by name as tritonclient does.
  auto channel = s.channel();
  for (const char* method : {"/inference.GRPCInferenceService/SystemSharedMemoryStatus",
                             "/inference.GRPCInferenceService/ModelStreamInfer"}) {
    INFO(method);
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    inference::ModelMetadataRequest req;  // any message: the server never parses it
    inference::ModelMetadataResponse resp;
    grpc::Status st = grpc::internal::BlockingUnaryCall(
        channel.get(),
        grpc::internal::RpcMethod(method, grpc::internal::RpcMethod::NORMAL_RPC), &c, req, &resp);
    CHECK(st.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }
}

namespace {

// Sends `bytes` as the request message of `method` (no protobuf on the
// client side: anything, decodable or not).
grpc::Status rawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes) {
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::GenericStub generic(channel);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&c, method, grpc::StubOptions(), &request, &response, [&](grpc::Status st) {
    std::lock_guard lock(mu);
    status = st;
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  return status;
}

}  // namespace

TEST_CASE("undecodable requests answer INVALID_ARGUMENT with a message", "[ipc][grpc][errors]") {
  // Capture what ipc logs (protobuf's own lines are routed there).
  std::ostringstream logged;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  auto previous = spdlog::get("ipc");
  spdlog::drop("ipc");
  spdlog::register_logger(std::make_shared<spdlog::logger>("ipc", sink));
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto channel = s.channel();
  // Field 1 (model_name) as a length-delimited string that is not UTF-8.
  const std::string badUtf8 = std::string("\x0a\x02\xff\xfe", 4);
  // A length prefix running past the end of the message.
  const std::string truncated = std::string("\x0a\x50", 2) + "abc";
  for (const char* method : {"/inference.GRPCInferenceService/ModelInfer",
                             "/inference.GRPCInferenceService/ModelMetadata",
                             "/inference.GRPCInferenceService/RepositoryModelLoad"}) {
    for (const std::string* bytes : {&badUtf8, &truncated}) {
      INFO(method << (bytes == &badUtf8 ? " invalid UTF-8" : " truncated"));
      grpc::Status st = rawCall(channel, method, *bytes);
      CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK_THAT(st.error_message(), Catch::Contains("cannot decode"));
    }
  }
  CHECK(s.backend.requestCount() == 0);
  CHECK(s.backend.loads().empty());
  // Protobuf writes a line per string that is not UTF-8: a flood of such
  // requests must not flood the log.
  for (int i = 0; i < 30; ++i) {
    CHECK(rawCall(channel, "/inference.GRPCInferenceService/ModelMetadata", badUtf8).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }
  const std::string text = logged.str();
  size_t lines = 0;
  for (size_t at = text.find("invalid UTF-8"); at != std::string::npos; at = text.find("invalid UTF-8", at + 1)) {
    ++lines;
  }
  CHECK(lines <= 2);
  spdlog::drop("ipc");
  if (previous) spdlog::register_logger(previous);
}

TEST_CASE("a client that goes away cancels its request's token", "[ipc][grpc][infer][cancel]") {
  TestServer s;
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();
  grpc::ClientContext c;
  inference::ModelInferRequest req = twoInputRequest("slow", {1, 2, 3, 4}, {1, 1, 1, 1});
  inference::ModelInferResponse resp;
  std::promise<grpc::Status> answered;
  stub->async()->ModelInfer(&c, &req, &resp, [&](grpc::Status st) { answered.set_value(st); });
  REQUIRE(s.backend.waitParked(1));
  const InferRequest parked = s.backend.lastRequest();
  REQUIRE(parked.cancel != nullptr);
  CHECK_FALSE(parked.cancel->cancelled());
  c.TryCancel();
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!parked.cancel->cancelled() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(parked.cancel->cancelled());
  auto st = answered.get_future();
  REQUIRE(st.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(st.get().error_code() == grpc::StatusCode::CANCELLED);
  s.backend.release();  // the backend still answers; gRPC drops it
}

TEST_CASE("requests in flight are bounded by a memory budget, and by what the models take",
          "[ipc][grpc][infer][memory]") {
  const inference::ModelInferRequest req = twoInputRequest("slow", {1, 2, 3, 4}, {1, 1, 1, 1});
  const size_t size = req.ByteSizeLong();
  ServerOptions o;
  o.maxInflightBytes = 2 * size + size / 2;  // room for two
  TestServer s(o);
  REQUIRE(s.startStatus.isOk());
  auto stub = s.stub();
  struct Call {
    grpc::ClientContext c;
    inference::ModelInferResponse resp;
    std::promise<grpc::Status> done;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < 2; ++i) {
    calls.push_back(std::make_unique<Call>());
    Call& c = *calls.back();
    stub->async()->ModelInfer(&c.c, &req, &c.resp, [&c](grpc::Status st) { c.done.set_value(st); });
  }
  REQUIRE(s.backend.waitParked(2));
  // A third would pass the budget: refused at once, not queued.
  inference::ModelInferResponse resp;
  grpc::Status st = stub->ModelInfer(ctx().get(), req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK_THAT(st.error_message(), Catch::Contains("max_request_bytes_in_flight"));
  CHECK(s.backend.requestCount() == 2);
  s.backend.release();
  for (auto& c : calls) {
    auto f = c->done.get_future();
    REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(f.get().ok());
  }
  // Budget returned: the same request fits again.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.server && std::chrono::steady_clock::now() < end) {
    inference::ModelInferRequest add = twoInputRequest("add", {1, 2, 3, 4}, {1, 1, 1, 1});
    if (stub->ModelInfer(ctx().get(), add, &resp).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(resp.outputs_size() == 2);

  // Larger than the inputs of any model served: refused before decoding
  // (the bound is never below 64 KiB, so the request is larger than that).
  inference::ModelInferRequest big;
  big.set_model_name("echo_FP32");
  auto* x = big.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  x->add_shape(20000);
  big.add_raw_input_contents(std::string(20000 * sizeof(float), '\0'));
  s.backend.maxRequestBytes_ = big.ByteSizeLong() - 1;
  st = stub->ModelInfer(ctx().get(), big, &resp);
  CHECK(st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK_THAT(st.error_message(), Catch::Contains("more than the inputs of any model"));
}
