// The inferd executable over its gRPC API on a temporary Unix socket, every
// RPC and every error case, with answers compared byte for byte to the same
// model run in this process (local mode): health, reflection, metadata,
// raw and typed inference, requested outputs, repository load/unload,
// statistics, size limit, a full queue, queue timeouts, priorities, unload
// and reload under load, and 16 client threads over two models.
//
// Queue behaviour is provoked with bursts of hand_landmark_lite requests
// (the slowest model of tests/data) on one worker; checks only rely on what
// must hold whatever the timing (no timing assertions), and a burst that
// did not provoke the situation is repeated.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "../common/grpc_probe.h"
#include "inferd_api_util.h"

using namespace inferd;
using namespace inferd::test;
using GrpcCode = grpc::StatusCode;

namespace {

constexpr uint64_t kMaxTensorBytes = 700000;  // hand_landmark_lite's input fits, selfie_segmentation's does not

// A config block for one model loaded at start.
std::string modelEntry(const std::string& name, const std::string& config = "") {
  return "models { name: \"" + name + "\" config { " + config + " } }\n";
}

inference::ModelInferResponse inferOk(Stub& stub, const inference::ModelInferRequest& request) {
  inference::ModelInferResponse response;
  grpc::Status s = stub.ModelInfer(ctx().get(), request, &response);
  INFO(s.error_message());
  REQUIRE(s.ok());
  return response;
}

grpc::Status inferStatus(Stub& stub, const inference::ModelInferRequest& request) {
  inference::ModelInferResponse response;
  return stub.ModelInfer(ctx().get(), request, &response);
}

}  // namespace

TEST_CASE("inferd serves every RPC over its Unix socket", "[api]") {
  InferdFixture d("max_tensor_bytes: " + std::to_string(kMaxTensorBytes) + "\n" + modelEntry("seq_mlp") +
                  modelEntry("face_detection_short_range"));
  REQUIRE(d.started());
  Stub& stub = d.stub();
  const LocalModel seq("seq_mlp");

  SECTION("liveness, readiness and server metadata") {
    inference::ServerLiveResponse live;
    REQUIRE(stub.ServerLive(ctx().get(), {}, &live).ok());
    CHECK(live.live());
    inference::ServerReadyResponse ready;
    REQUIRE(stub.ServerReady(ctx().get(), {}, &ready).ok());
    CHECK(ready.ready());
    inference::ServerMetadataResponse md;
    REQUIRE(stub.ServerMetadata(ctx().get(), {}, &md).ok());
    CHECK(md.name() == "inferd");
    CHECK_FALSE(md.version().empty());
    std::vector<std::string> ext(md.extensions().begin(), md.extensions().end());
    CHECK(std::find(ext.begin(), ext.end(), "model_repository") != ext.end());
    CHECK(std::find(ext.begin(), ext.end(), "statistics") != ext.end());
  }

  SECTION("standard health service and server reflection") {
    auto channel = ownChannel(d.socket());
    CHECK(healthCheck(channel, "") == kHealthServing);
    CHECK(healthCheck(channel, "inference.GRPCInferenceService") == kHealthServing);
    CHECK(healthCheck(channel, "no.such.Service") == -static_cast<int>(GrpcCode::NOT_FOUND));
    const auto services = reflectionServices(channel);
    auto has = [&](const std::string& n) { return std::find(services.begin(), services.end(), n) != services.end(); };
    CHECK(has("inference.GRPCInferenceService"));
    CHECK(has("grpc.health.v1.Health"));
  }

  SECTION("model readiness and metadata match the model") {
    auto ready = [&](const std::string& name, const std::string& version = "") {
      inference::ModelReadyRequest req;
      req.set_name(name);
      req.set_version(version);
      inference::ModelReadyResponse resp;
      REQUIRE(stub.ModelReady(ctx().get(), req, &resp).ok());
      return resp.ready();
    };
    CHECK(ready("seq_mlp"));
    CHECK(ready("seq_mlp", "1"));
    CHECK_FALSE(ready("seq_mlp", "2"));
    CHECK_FALSE(ready("hand_landmark_lite"));  // in the repository, not loaded
    CHECK_FALSE(ready("nope"));

    inference::ModelMetadataRequest req;
    req.set_name("seq_mlp");
    inference::ModelMetadataResponse md;
    REQUIRE(stub.ModelMetadata(ctx().get(), req, &md).ok());
    CHECK(md.name() == "seq_mlp");
    CHECK(md.platform() == "tflite");
    REQUIRE(md.versions_size() == 1);
    CHECK(md.versions(0) == "1");
    auto same = [](const auto& wire, const std::vector<hal::TensorDesc>& local) {
      REQUIRE(wire.size() == static_cast<int>(local.size()));
      for (size_t i = 0; i < local.size(); ++i) {
        const auto& t = wire.Get(static_cast<int>(i));
        CHECK(t.name() == local[i].name);
        CHECK(t.datatype() == "FP32");
        CHECK(std::vector<int64_t>(t.shape().begin(), t.shape().end()) ==
              std::vector<int64_t>(local[i].dims.begin(), local[i].dims.end()));
      }
    };
    same(md.inputs(), seq.inputs());
    same(md.outputs(), seq.outputs());

    req.set_name("nope");
    checkError(stub.ModelMetadata(ctx().get(), req, &md), GrpcCode::NOT_FOUND, {"'nope'"});
    req.set_name("hand_landmark_lite");
    checkError(stub.ModelMetadata(ctx().get(), req, &md), GrpcCode::UNAVAILABLE,
               {"'hand_landmark_lite'", "not loaded"});
    req.set_name("seq_mlp");
    req.set_version("7");
    checkError(stub.ModelMetadata(ctx().get(), req, &md), GrpcCode::NOT_FOUND, {"'seq_mlp'", "'7'"});
  }

  SECTION("raw and typed inference and requested outputs equal local mode") {
    const auto inputs = seq.makeInputs(1);
    const auto expected = seq.run(inputs);
    REQUIRE(expected.size() == 2);

    auto raw = rawRequest("seq_mlp", inputs);
    raw.set_id("req-7");
    const auto r = inferOk(stub, raw);
    CHECK(r.model_name() == "seq_mlp");
    CHECK(r.model_version() == "1");
    CHECK(r.id() == "req-7");
    checkAllOutputs(r, seq, expected);

    checkAllOutputs(inferOk(stub, typedRequest("seq_mlp", inputs)), seq, expected);
    // Inputs in another order than the model's.
    checkAllOutputs(inferOk(stub, rawRequest("seq_mlp", {inputs[1], inputs[0]})), seq, expected);

    auto one = rawRequest("seq_mlp", inputs);
    one.add_outputs()->set_name(seq.outputs()[1].name);
    checkOutputs(inferOk(stub, one), seq, expected, {1});
    auto reversed = typedRequest("seq_mlp", inputs);
    reversed.add_outputs()->set_name(seq.outputs()[1].name);
    reversed.add_outputs()->set_name(seq.outputs()[0].name);
    checkOutputs(inferOk(stub, reversed), seq, expected, {1, 0});

    // A different input gives a different answer (the comparison can fail).
    const auto other = seq.run(seq.makeInputs(2));
    CHECK(other[0].data != expected[0].data);

    const LocalModel face("face_detection_short_range");
    const auto faceInputs = face.makeInputs(3);
    checkAllOutputs(inferOk(stub, rawRequest(face.name(), faceInputs)), face, face.run(faceInputs));
  }

  SECTION("every malformed request is refused with the model, tensor, expected and received value") {
    const auto inputs = seq.makeInputs(4);
    const std::string seqName = "'seq_mlp'";
    const std::string features = "'" + seq.inputs()[1].name + "'";
    REQUIRE(seq.inputs()[1].dims == engine::Dims{1, 10});

    checkError(inferStatus(stub, rawRequest("nope", inputs)), GrpcCode::NOT_FOUND, {"'nope'"});
    checkError(inferStatus(stub, rawRequest("hand_landmark_lite", inputs)), GrpcCode::UNAVAILABLE,
               {"'hand_landmark_lite'"});

    auto badName = inputs;
    badName[1].name = "bogus";
    checkError(inferStatus(stub, rawRequest("seq_mlp", badName)), GrpcCode::NOT_FOUND,
               {seqName, "'bogus'", features});

    auto badOutput = rawRequest("seq_mlp", inputs);
    badOutput.add_outputs()->set_name("bogus_out");
    checkError(inferStatus(stub, badOutput), GrpcCode::NOT_FOUND,
               {seqName, "'bogus_out'", "'" + seq.outputs()[0].name + "'"});

    auto badType = rawRequest("seq_mlp", inputs);
    badType.mutable_inputs(1)->set_datatype("INT32");
    checkError(inferStatus(stub, badType), GrpcCode::INVALID_ARGUMENT, {seqName, features, "FP32", "INT32"});

    auto badShape = inputs;
    badShape[1].shape = {1, 11};
    badShape[1].values.resize(11);
    checkError(inferStatus(stub, rawRequest("seq_mlp", badShape)), GrpcCode::INVALID_ARGUMENT,
               {seqName, features, "[1, 10]", "[1, 11]"});

    auto badBytes = rawRequest("seq_mlp", inputs);
    badBytes.mutable_raw_input_contents(1)->resize(36);
    checkError(inferStatus(stub, badBytes), GrpcCode::INVALID_ARGUMENT, {seqName, features, "36 bytes", "40"});

    auto badCount = typedRequest("seq_mlp", inputs);
    badCount.mutable_inputs(1)->mutable_contents()->mutable_fp32_contents()->RemoveLast();
    checkError(inferStatus(stub, badCount), GrpcCode::INVALID_ARGUMENT,
               {seqName, features, "9 values", "expected 10"});

    auto wrongField = typedRequest("seq_mlp", inputs);
    auto* c = wrongField.mutable_inputs(1)->mutable_contents();
    c->clear_fp32_contents();
    for (int i = 0; i < 10; ++i) c->add_int_contents(i);
    checkError(inferStatus(stub, wrongField), GrpcCode::INVALID_ARGUMENT,
               {seqName, features, "fp32_contents", "int_contents"});

    auto mixed = rawRequest("seq_mlp", inputs);
    for (float v : inputs[1].values) mixed.mutable_inputs(1)->mutable_contents()->add_fp32_contents(v);
    checkError(inferStatus(stub, mixed), GrpcCode::INVALID_ARGUMENT, {seqName, features, "raw_input_contents"});

    auto halfRaw = rawRequest("seq_mlp", inputs);
    halfRaw.mutable_raw_input_contents()->RemoveLast();
    checkError(inferStatus(stub, halfRaw), GrpcCode::INVALID_ARGUMENT, {seqName, "1 raw_input_contents", "2 inputs"});

    checkError(inferStatus(stub, rawRequest("seq_mlp", {inputs[0]})), GrpcCode::INVALID_ARGUMENT,
               {seqName, "missing input " + features});

    auto twice = rawRequest("seq_mlp", {inputs[0], inputs[1], inputs[1]});
    checkError(inferStatus(stub, twice), GrpcCode::INVALID_ARGUMENT, {seqName, features, "twice"});

    auto badVersion = rawRequest("seq_mlp", inputs);
    badVersion.set_model_version("3");
    checkError(inferStatus(stub, badVersion), GrpcCode::NOT_FOUND, {seqName, "'3'"});

    auto badTimeout = rawRequest("seq_mlp", inputs);
    setIntParameter(badTimeout, "timeout", -5);
    checkError(inferStatus(stub, badTimeout), GrpcCode::INVALID_ARGUMENT, {seqName, "timeout", "-5"});
    auto stringPriority = rawRequest("seq_mlp", inputs);
    (*stringPriority.mutable_parameters())["priority"].set_string_param("high");
    checkError(inferStatus(stub, stringPriority), GrpcCode::INVALID_ARGUMENT, {seqName, "priority"});

    // Client strings are bounded before any error quotes them: a 1 MB name
    // is INVALID_ARGUMENT with a short message (it once came back as
    // RESOURCE_EXHAUSTED about gRPC's metadata size).
    const std::string huge(1 << 20, 'n');
    checkError(inferStatus(stub, rawRequest(huge, inputs)), GrpcCode::INVALID_ARGUMENT,
               {"model_name", "1048576 bytes long"});
    CHECK(inferStatus(stub, rawRequest(huge, inputs)).error_message().size() < 200);
    // A name that long makes the request larger than seq_mlp's inputs take:
    // refused before it is decoded, without quoting it.
    auto hugeInput = inputs;
    hugeInput[1].name = huge;
    checkError(inferStatus(stub, rawRequest("seq_mlp", hugeInput)), GrpcCode::RESOURCE_EXHAUSTED,
               {"more than the inputs of any model"});
    CHECK(inferStatus(stub, rawRequest("seq_mlp", hugeInput)).error_message().size() < 200);
    // Within the margin, the string check answers.
    hugeInput[1].name = std::string(4096, 'n');
    checkError(inferStatus(stub, rawRequest("seq_mlp", hugeInput)), GrpcCode::INVALID_ARGUMENT,
               {"input name", "4096 bytes long"});
    auto hugeId = rawRequest("seq_mlp", inputs);
    hugeId.set_id(std::string(4096, 'i'));
    checkError(inferStatus(stub, hugeId), GrpcCode::INVALID_ARGUMENT, {"request id"});
    {
      grpc::ClientContext mdCtx;
      inference::ModelMetadataRequest mdReq;
      mdReq.set_name(huge);
      inference::ModelMetadataResponse mdRes;
      const grpc::Status s = stub.ModelMetadata(&mdCtx, mdReq, &mdRes);
      checkError(s, GrpcCode::INVALID_ARGUMENT, {"ModelMetadata", "model name"});
      CHECK(s.error_message().size() < 200);
    }
    // Control characters come back escaped.
    checkError(inferStatus(stub, rawRequest(std::string(300, '\x01'), inputs)), GrpcCode::INVALID_ARGUMENT,
               {"\\x01\\x01"});

    // Over max_tensor_bytes: the limit is checked from the shape, before
    // the data, for raw and typed contents alike.
    REQUIRE(loadModel(stub, "selfie_segmentation").ok());
    const LocalModel selfie("selfie_segmentation");
    const auto big = selfie.makeInputs(5);
    const std::string bigBytes = std::to_string(big[0].values.size() * sizeof(float));
    REQUIRE(big[0].values.size() * sizeof(float) > kMaxTensorBytes);
    for (const auto& request : {rawRequest(selfie.name(), big), typedRequest(selfie.name(), big)}) {
      checkError(inferStatus(stub, request), GrpcCode::INVALID_ARGUMENT,
                 {"'selfie_segmentation'", "'" + big[0].name + "'", bigBytes, std::to_string(kMaxTensorBytes)});
    }

    // None of these reached a worker; the daemon still serves.
    const auto stats = modelStats(stub, "seq_mlp");
    CHECK(stats.execution_count() == 0);
    checkAllOutputs(inferOk(stub, rawRequest("seq_mlp", inputs)), seq, seq.run(inputs));
  }

  SECTION("repository index, load and unload") {
    auto states = repositoryStates(stub);
    for (const char* m : kApiTestModels) CHECK(states.count(m) == 1);
    CHECK(states["seq_mlp"] == "READY");
    CHECK(states["face_detection_short_range"] == "READY");
    CHECK(states["hand_landmark_lite"] == "UNAVAILABLE");
    auto readyOnly = repositoryStates(stub, true);
    CHECK(readyOnly.size() == 2);
    CHECK(readyOnly.count("seq_mlp") == 1);

    REQUIRE(loadModel(stub, "hand_landmark_lite").ok());
    CHECK(repositoryStates(stub)["hand_landmark_lite"] == "READY");
    const LocalModel hand("hand_landmark_lite");
    const auto in = hand.makeInputs(6);
    checkAllOutputs(inferOk(stub, rawRequest(hand.name(), in)), hand, hand.run(in));

    checkError(loadModel(stub, "no_such_model"), GrpcCode::NOT_FOUND, {"'no_such_model'"});
    checkError(unloadModel(stub, "no_such_model"), GrpcCode::NOT_FOUND, {"'no_such_model'"});
    {
      inference::RepositoryModelLoadRequest req;
      req.set_model_name("hand_landmark_lite");
      (*req.mutable_parameters())["config"].set_string_param("{}");
      inference::RepositoryModelLoadResponse resp;
      checkError(stub.RepositoryModelLoad(ctx().get(), req, &resp), GrpcCode::INVALID_ARGUMENT,
                 {"'hand_landmark_lite'", "'config'"});
    }

    REQUIRE(unloadModel(stub, "hand_landmark_lite").ok());
    CHECK(repositoryStates(stub)["hand_landmark_lite"] == "UNAVAILABLE");
    checkError(inferStatus(stub, rawRequest(hand.name(), in)), GrpcCode::UNAVAILABLE, {"'hand_landmark_lite'"});
    CHECK(unloadModel(stub, "hand_landmark_lite").ok());  // not loaded: nothing to do
    CHECK(repositoryStates(stub)["seq_mlp"] == "READY");  // the others are untouched
  }
}

TEST_CASE("inferd statistics count requests and accumulate queue and compute time", "[api][statistics]") {
  InferdFixture d(modelEntry("seq_mlp") + modelEntry("mobilenet_v2_035_96"));
  REQUIRE(d.started());
  Stub& stub = d.stub();
  const LocalModel net("mobilenet_v2_035_96");

  auto zero = modelStats(stub, net.name());
  CHECK(zero.name() == net.name());
  CHECK(zero.version() == "1");
  CHECK(zero.inference_count() == 0);
  CHECK(zero.last_inference() == 0);

  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  inference::ModelStatistics previous = zero;
  for (int round = 1; round <= 2; ++round) {
    for (int i = 0; i < 5; ++i) inferOk(stub, rawRequest(net.name(), net.makeInputs(static_cast<uint32_t>(i))));
    const auto s = modelStats(stub, net.name());
    const auto& is = s.inference_stats();
    const uint64_t n = 5u * static_cast<uint64_t>(round);
    INFO("round " << round);
    CHECK(s.inference_count() == n);
    CHECK(s.execution_count() == n);
    CHECK(is.success().count() == n);
    CHECK(is.fail().count() == 0);
    CHECK(is.queue().count() == n);
    CHECK(is.compute_infer().count() == n);
    // Cumulative: each round adds to the times of the one before.
    CHECK(is.compute_infer().ns() > previous.inference_stats().compute_infer().ns());
    CHECK(is.success().ns() > previous.inference_stats().success().ns());
    CHECK(is.queue().ns() >= previous.inference_stats().queue().ns());
    // A request's total time covers its queueing and its computation.
    CHECK(is.success().ns() >= is.queue().ns() + is.compute_infer().ns());
    CHECK(s.last_inference() >= static_cast<uint64_t>(before));
    previous = s;
  }
  // Other models keep their own counts; all models at once without a name.
  CHECK(modelStats(stub, "seq_mlp").inference_count() == 0);
  inference::ModelStatisticsResponse all;
  REQUIRE(stub.ModelStatistics(ctx().get(), {}, &all).ok());
  CHECK(all.model_stats_size() == 2);

  inference::ModelStatisticsRequest unknown;
  unknown.set_name("nope");
  checkError(stub.ModelStatistics(ctx().get(), unknown, &all), GrpcCode::NOT_FOUND, {"'nope'"});

  // Counts survive a reload.
  REQUIRE(loadModel(stub, net.name()).ok());
  CHECK(modelStats(stub, net.name()).inference_count() == 10);
}

TEST_CASE("inferd refuses requests beyond a full queue with RESOURCE_EXHAUSTED and never runs them",
          "[api][queue]") {
  InferdFixture d(modelEntry("hand_landmark_lite", "workers: 1 queue_size: 1"));
  REQUIRE(d.started());
  Stub& stub = d.stub();
  const LocalModel hand("hand_landmark_lite");
  const auto in = hand.makeInputs(7);
  const auto expected = hand.run(in);
  const auto request = rawRequest(hand.name(), in);

  int ok = 0, exhausted = 0;
  // One worker and room for one waiting request: a burst of 16 sent at once
  // overflows the queue unless every request finishes before the next one
  // arrives; a burst where that happened is repeated.
  for (int burst = 0; burst < 5 && exhausted == 0; ++burst) {
    AsyncCalls calls(stub);
    for (int i = 0; i < 16; ++i) calls.send(request);
    REQUIRE(calls.waitAll(std::chrono::seconds(120)));
    for (size_t i = 0; i < calls.size(); ++i) {
      const auto& c = calls[i];
      if (c.status.ok()) {
        ++ok;
        checkAllOutputs(c.response, hand, expected);
      } else {
        ++exhausted;
        checkError(c.status, GrpcCode::RESOURCE_EXHAUSTED, {"'hand_landmark_lite'", "queue is full", "queue_size 1"});
      }
    }
  }
  INFO("ok " << ok << ", refused " << exhausted);
  CHECK(exhausted > 0);
  CHECK(ok > 0);
  // Refused requests count as failures and never reached a worker.
  const auto s = modelStats(stub, hand.name());
  CHECK(s.inference_stats().success().count() == static_cast<uint64_t>(ok));
  CHECK(s.execution_count() == static_cast<uint64_t>(ok));
  CHECK(s.inference_stats().fail().count() == static_cast<uint64_t>(exhausted));
}

TEST_CASE("a request still queued when its timeout expires gets DEADLINE_EXCEEDED and is not run",
          "[api][timeout]") {
  InferdFixture d(modelEntry("hand_landmark_lite", "workers: 1 queue_size: 1000"));
  REQUIRE(d.started());
  Stub& stub = d.stub();
  const LocalModel hand("hand_landmark_lite");
  const auto in = hand.makeInputs(8);
  const auto expected = hand.run(in);

  // A 1 us timeout expires before any worker can pick the request up.
  auto quick = rawRequest(hand.name(), in);
  quick.set_id("quick");
  setIntParameter(quick, "timeout", 1);
  checkError(inferStatus(stub, quick), GrpcCode::DEADLINE_EXCEEDED,
             {"'hand_landmark_lite'", "quick", "timeout of 1 us", "not run"});
  auto s = modelStats(stub, hand.name());
  CHECK(s.execution_count() == 0);
  CHECK(s.inference_stats().fail().count() == 1);

  // timeout 0 means none; a generous one does not fire.
  auto none = rawRequest(hand.name(), in);
  setIntParameter(none, "timeout", 0);
  checkAllOutputs(inferOk(stub, none), hand, expected);
  auto generous = rawRequest(hand.name(), in);
  (*generous.mutable_parameters())["timeout"].set_uint64_param(60'000'000);
  checkAllOutputs(inferOk(stub, generous), hand, expected);

  // Behind a queue of slow requests: 5 ms timeouts expire while waiting.
  int ok = 2, expired = 0;
  for (int burst = 0; burst < 5 && expired == 0; ++burst) {
    AsyncCalls calls(stub);
    for (int i = 0; i < 12; ++i) calls.send(rawRequest(hand.name(), in));
    for (int i = 0; i < 6; ++i) {
      auto r = rawRequest(hand.name(), in);
      setIntParameter(r, "timeout", 5000);
      calls.send(std::move(r));
    }
    REQUIRE(calls.waitAll(std::chrono::seconds(120)));
    for (size_t i = 0; i < calls.size(); ++i) {
      const auto& c = calls[i];
      if (i < 12) REQUIRE(c.status.ok());
      if (c.status.ok()) {
        ++ok;
        checkAllOutputs(c.response, hand, expected);
      } else {
        ++expired;
        checkError(c.status, GrpcCode::DEADLINE_EXCEEDED, {"'hand_landmark_lite'", "timeout of 5000 us", "not run"});
      }
    }
  }
  CHECK(expired > 0);
  s = modelStats(stub, hand.name());
  CHECK(s.execution_count() == static_cast<uint64_t>(ok));
  CHECK(s.inference_stats().success().count() == static_cast<uint64_t>(ok));
  CHECK(s.inference_stats().fail().count() == static_cast<uint64_t>(expired + 1));
}

TEST_CASE("inferd runs queued requests of a model by priority", "[api][priority]") {
  InferdFixture d(modelEntry("hand_landmark_lite", "workers: 1 queue_size: 1000 default_priority: 10"));
  REQUIRE(d.started());
  Stub& stub = d.stub();
  const LocalModel hand("hand_landmark_lite");
  const auto in = hand.makeInputs(9);
  const auto expected = hand.run(in);

  // 24 requests at the default priority 10 keep the one worker busy; then
  // one at priority 1 (runs next) and one at 20 (runs after all of them).
  constexpr int kLow = 24;
  bool checked = false;
  for (int attempt = 0; attempt < 3 && !checked; ++attempt) {
    AsyncCalls calls(stub);
    for (int i = 0; i < kLow; ++i) calls.send(rawRequest(hand.name(), in));
    REQUIRE(calls.waitAnswers(1, std::chrono::seconds(60)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the burst arrive
    auto high = rawRequest(hand.name(), in);
    (*high.mutable_parameters())["priority"].set_uint64_param(1);
    auto low = rawRequest(hand.name(), in);
    setIntParameter(low, "priority", 20);
    const int answeredBefore = calls.answered();
    const size_t h = calls.send(high);
    const size_t l = calls.send(low);
    REQUIRE(calls.waitAll(std::chrono::seconds(120)));
    int lastDefault = -1;
    for (int i = 0; i < kLow + 2; ++i) {
      const auto& c = calls[static_cast<size_t>(i)];
      REQUIRE(c.status.ok());
      checkAllOutputs(c.response, hand, expected);
      if (i < kLow) lastDefault = std::max(lastDefault, c.order);
    }
    // Only meaningful if several default-priority requests were still
    // waiting when the two arrived.
    if (answeredBefore > kLow - 4) continue;
    checked = true;
    INFO("answered before: " << answeredBefore << ", high #" << calls[h].order << ", low #" << calls[l].order
                             << ", last default #" << lastDefault);
    CHECK(calls[h].order < lastDefault);
    CHECK(calls[l].order > lastDefault);
  }
  CHECK(checked);
}

TEST_CASE("unload and reload while requests run: requests in flight finish on their instance", "[api][unload]") {
  InferdFixture d(modelEntry("hand_landmark_lite", "workers: 1 queue_size: 1000") + modelEntry("seq_mlp"));
  REQUIRE(d.started());
  Stub& stub = d.stub();
  const LocalModel hand("hand_landmark_lite");
  const auto in = hand.makeInputs(10);
  const auto expected = hand.run(in);
  constexpr int kBurst = 16;
  int ok = 0;

  // Reload: the new instance takes new requests, the old one answers its own.
  {
    AsyncCalls calls(stub);
    for (int i = 0; i < kBurst; ++i) calls.send(rawRequest(hand.name(), in));
    REQUIRE(calls.waitAnswers(1, std::chrono::seconds(60)));
    REQUIRE(loadModel(stub, hand.name()).ok());
    for (int i = 0; i < kBurst; ++i) calls.send(rawRequest(hand.name(), in));
    REQUIRE(calls.waitAll(std::chrono::seconds(120)));
    for (size_t i = 0; i < calls.size(); ++i) {
      INFO("request " << i << ": " << calls[i].status.error_message());
      REQUIRE(calls[i].status.ok());
      checkAllOutputs(calls[i].response, hand, expected);
      ++ok;
    }
  }
  CHECK_THAT(d.log(), !Catch::Contains("error"));

  // Unload: requests already queued are still run; later ones are refused.
  {
    AsyncCalls calls(stub);
    for (int i = 0; i < kBurst; ++i) calls.send(rawRequest(hand.name(), in));
    REQUIRE(calls.waitAnswers(1, std::chrono::seconds(60)));
    const int answeredBefore = calls.answered();
    REQUIRE(unloadModel(stub, hand.name()).ok());
    // The unload returns once the queued requests are answered.
    const int answeredAtUnload = calls.answered();
    const size_t late = calls.send(rawRequest(hand.name(), in));
    REQUIRE(calls.waitAll(std::chrono::seconds(120)));
    int okHere = 0;
    for (size_t i = 0; i < calls.size(); ++i) {
      const auto& c = calls[i];
      if (c.status.ok()) {
        ++okHere;
        checkAllOutputs(c.response, hand, expected);
      } else {
        // Refused because it came after the unload, not dropped from the queue.
        checkError(c.status, GrpcCode::UNAVAILABLE, {"'hand_landmark_lite'"});
        CHECK_THAT(c.status.error_message(), !Catch::Contains("before this request ran"));
      }
    }
    INFO("answered before the unload " << answeredBefore << ", when it returned " << answeredAtUnload << ", ok "
                                       << okHere);
    CHECK_FALSE(calls[late].status.ok());
    CHECK(okHere >= 1);
    // Requests that were waiting in the queue when the unload came still ran.
    CHECK(okHere > answeredBefore);
    ok += okHere;
  }
  CHECK(repositoryStates(stub)["hand_landmark_lite"] == "UNAVAILABLE");
  CHECK(repositoryStates(stub)["seq_mlp"] == "READY");
  // Statistics follow the model across instances.
  REQUIRE(loadModel(stub, hand.name()).ok());
  CHECK(modelStats(stub, hand.name()).inference_stats().success().count() == static_cast<uint64_t>(ok));
}

TEST_CASE("16 client threads x 100 requests over two models answer exactly as local mode", "[api][concurrency]") {
  InferdFixture d(modelEntry("seq_mlp", "workers: 2") + modelEntry("face_detection_short_range", "workers: 2"));
  REQUIRE(d.started());
  const LocalModel seq("seq_mlp"), face("face_detection_short_range");
  const LocalModel* models[] = {&seq, &face};
  // Eight different inputs per model, so that mixed-up answers show.
  constexpr int kInputs = 8, kThreads = 16, kRequests = 100;
  std::vector<inference::ModelInferRequest> requests[2];
  std::vector<std::vector<hal::OwnedTensor>> expected[2];
  for (int m = 0; m < 2; ++m) {
    for (int k = 0; k < kInputs; ++k) {
      const auto in = models[m]->makeInputs(static_cast<uint32_t>(100 * m + k));
      requests[m].push_back(rawRequest(models[m]->name(), in));
      expected[m].push_back(models[m]->run(in));
    }
  }

  std::mutex mu;
  std::vector<std::string> failures;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = inference::GRPCInferenceService::NewStub(ownChannel(d.socket()));
      for (int i = 0; i < kRequests; ++i) {
        const int m = (t + i) % 2, k = (t * 3 + i) % kInputs;
        auto request = requests[m][static_cast<size_t>(k)];
        request.set_id(std::to_string(t) + "/" + std::to_string(i));
        inference::ModelInferResponse response;
        const grpc::Status s = stub->ModelInfer(ctx(std::chrono::seconds(120)).get(), request, &response);
        std::string problem;
        const auto& want = expected[m][static_cast<size_t>(k)];
        if (!s.ok()) {
          problem = s.error_message();
        } else if (response.id() != request.id() || response.model_name() != models[m]->name() ||
                   response.raw_output_contents_size() != static_cast<int>(want.size())) {
          problem = "wrong response envelope";
        } else {
          for (size_t o = 0; o < want.size(); ++o) {
            const std::string& got = response.raw_output_contents(static_cast<int>(o));
            if (got.size() != want[o].data.size() || std::memcmp(got.data(), want[o].data.data(), got.size()) != 0) {
              problem = "output " + std::to_string(o) + " differs from local mode";
            }
          }
        }
        if (problem.empty()) {
          ++good;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(request.id() + " " + models[m]->name() + ": " + problem);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(good.load() == kThreads * kRequests);
  Stub& stub = d.stub();
  const uint64_t kPerModel = kThreads * kRequests / 2;
  CHECK(modelStats(stub, "seq_mlp").inference_stats().success().count() == kPerModel);
  CHECK(modelStats(stub, "face_detection_short_range").inference_stats().success().count() == kPerModel);
  CHECK(d.process().stop(std::chrono::seconds(60)) == 0);
}
