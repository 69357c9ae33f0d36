// Model loading and verification: real MediaPipe models load, constants
// point into the mapping, fp16 weights are folded once, and malformed
// models are rejected with errors that name the problem.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "../common/test_data.h"
#include "inferd/engine/interpreter.h"
#include "inferd/engine/model.h"
#include "op_test_util.h"

using namespace inferd;
using namespace inferd::engine;
using inferd::test::OpModelBuilder;
namespace fb = inferd::tflite;

namespace {
std::string loadError(const std::vector<uint8_t>& bytes) {
  auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "bad");
  REQUIRE_FALSE(m.isOk());
  return m.status().message();
}

// A valid one-op model: out = in + const.
std::vector<uint8_t> addModel() {
  OpModelBuilder b;
  int in = b.addInput(ElementType::kFloat32, {1, 4});
  int c = b.addConstant<float>(ElementType::kFloat32, {1, 4}, {1, 2, 3, 4});
  int out = b.addOutput(ElementType::kFloat32, {1, 4});
  b.addOp(fb::BuiltinOperator::ADD, {in, c}, {out});
  return b.finish();
}
}  // namespace

TEST_CASE("reference models load, map and fold fp16 weights", "[model]") {
  for (const char* name : test::kReferenceModels) {
    INFO(name);
    auto m = Model::load(test::testDataPath(std::string("models/") + name + ".tflite"));
    REQUIRE(m.isOk());
    const Model& model = *m.value();
    CHECK(model.isMapped());
    CHECK(model.schemaVersion() == 3);
    const Subgraph& sg = model.mainSubgraph();
    size_t dequantize = 0, folded = 0;
    for (const OperatorInfo& op : sg.operators) {
      if (op.name() == "DEQUANTIZE") ++dequantize;
      folded += op.folded;
    }
    // Every MediaPipe DEQUANTIZE reads an fp16 constant: all are folded.
    CHECK(dequantize > 0);
    CHECK(folded == dequantize);
    CHECK(model.foldedBytes() > 0);
    // Unfolded constants point into the mapped file, not into copies.
    size_t inFile = 0, outside = 0;
    for (const TensorInfo& t : sg.tensors) {
      if (!t.isConstant) continue;
      const bool mapped = t.data >= model.fileData() && t.data < model.fileData() + model.fileBytes();
      if (t.type == ElementType::kFloat16 || t.type == ElementType::kInt32) {
        inFile += mapped;
      } else if (!mapped) {
        ++outside;
      }
    }
    CHECK(inFile > 0);
    CHECK(outside > 0);  // the folded fp32 copies
  }
}

TEST_CASE("folded constants are shared by all interpreters", "[model]") {
  auto m = Model::load(test::testDataPath("models/face_detection_short_range.tflite"));
  REQUIRE(m.isOk());
  auto a = Interpreter::create(m.value());
  auto b = Interpreter::create(m.value());
  REQUIRE(a.isOk());
  REQUIRE(b.isOk());
  size_t shared = 0;
  for (size_t i = 0; i < a.value()->tensors().size(); ++i) {
    const Tensor& ta = a.value()->tensors()[i];
    const Tensor& tb = b.value()->tensors()[i];
    if (ta.isConstant) {
      CHECK(ta.data == tb.data);
      shared += ta.info->type == ElementType::kFloat32;
    }
  }
  CHECK(shared > 50);
}

TEST_CASE("a valid built model loads and runs", "[model]") {
  auto bytes = addModel();
  std::string error;
  auto out = test::runFloat(bytes, {{10, 20, 30, 40}}, &error);
  INFO(error);
  CHECK(out == std::vector<float>{11, 22, 33, 44});
}

TEST_CASE("constant data stored after the FlatBuffer (Buffer.offset/size)", "[model]") {
  OpModelBuilder b;
  b.setExternalBuffers(true);
  int in = b.addInput(ElementType::kFloat32, {1, 4});
  int c = b.addConstant<float>(ElementType::kFloat32, {1, 4}, {1, 2, 3, 4});
  int out = b.addOutput(ElementType::kFloat32, {1, 4});
  b.addOp(fb::BuiltinOperator::MUL, {in, c}, {out});
  auto bytes = b.finish();
  auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "external");
  REQUIRE(m.isOk());
  const TensorInfo& t = m.value()->mainSubgraph().tensors[static_cast<size_t>(c)];
  CHECK(t.data == m.value()->fileData() + bytes.size() - 16);  // the last 16 bytes
  std::string error;
  CHECK(test::runFloat(bytes, {{1, 1, 2, -1}}, &error) == std::vector<float>{1, 2, 6, -4});
  INFO(error);
  SECTION("an offset past the end of the file is rejected") {
    auto cut = bytes;
    cut.resize(bytes.size() - 8);
    CHECK_THAT(loadError(cut), Catch::Contains("points at bytes"));
  }
}

TEST_CASE("malformed files give clear errors", "[model][bad]") {
  auto good = addModel();
  SECTION("empty") { CHECK_THAT(loadError({}), Catch::Contains("empty")); }
  SECTION("wrong identifier") {
    auto bytes = good;
    bytes[4] = 'X';
    CHECK_THAT(loadError(bytes), Catch::Contains("expected 'TFL3'"));
  }
  SECTION("truncated everywhere") {
    for (size_t cut = 0; cut < good.size(); cut += 7) {
      std::vector<uint8_t> bytes(good.begin(), good.begin() + static_cast<long>(cut));
      auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "cut");
      CHECK_FALSE(m.isOk());
    }
  }
  SECTION("random bytes") {
    std::vector<uint8_t> bytes(4096);
    uint32_t x = 12345;
    for (auto& v : bytes) v = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
    CHECK_FALSE(Model::loadFromBuffer(bytes.data(), bytes.size(), "rand").isOk());
  }
  SECTION("not a file") {
    auto m = Model::load("/nonexistent/model.tflite");
    REQUIRE_FALSE(m.isOk());
    CHECK(m.status().code() == StatusCode::kNotFound);
    CHECK_THAT(m.status().message(), Catch::Contains("/nonexistent/model.tflite"));
  }
}

TEST_CASE("semantic checks name the bad value", "[model][bad]") {
  SECTION("operator input index out of range") {
    OpModelBuilder b;
    int in = b.addInput(ElementType::kFloat32, {1, 4});
    int out = b.addOutput(ElementType::kFloat32, {1, 4});
    b.addOp(fb::BuiltinOperator::ADD, {in, 17}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("refers to tensor 17"));
  }
  SECTION("buffer size does not match shape") {
    OpModelBuilder b;
    int in = b.addInput(ElementType::kFloat32, {1, 4});
    int c = b.addConstant<float>(ElementType::kFloat32, {1, 5}, {1, 2, 3, 4});
    int out = b.addOutput(ElementType::kFloat32, {1, 4});
    b.addOp(fb::BuiltinOperator::ADD, {in, c}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("holds 16 bytes"));
  }
  SECTION("absurd shape") {
    OpModelBuilder b;
    int in = b.addInput(ElementType::kFloat32, {1 << 30, 1 << 30, 1 << 30});
    int out = b.addOutput(ElementType::kFloat32, {1, 4});
    b.addOp(fb::BuiltinOperator::RELU, {in}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("too large"));
  }
  SECTION("negative dimension") {
    OpModelBuilder b;
    int in = b.addInput(ElementType::kFloat32, {1, -4});
    int out = b.addOutput(ElementType::kFloat32, {1, 4});
    b.addOp(fb::BuiltinOperator::RELU, {in}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("negative dimension"));
  }
  SECTION("reading a tensor no one computed") {
    OpModelBuilder b;
    int in = b.addInput(ElementType::kFloat32, {1, 4});
    int orphan = b.addTensor(ElementType::kFloat32, {1, 4});
    int out = b.addOutput(ElementType::kFloat32, {1, 4});
    b.addOp(fb::BuiltinOperator::ADD, {in, orphan}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("neither a model input"));
  }
  SECTION("tensor names and signature names that are not UTF-8") {
    // Names reach clients in metadata; bytes that are not text break them.
    for (const std::string& bad : {std::string("in\xff"), std::string("\xc0\x80"), std::string("\xed\xa0\x80"),
                                  std::string("x\xe2\x82"), std::string("\xf4\x90\x80\x80")}) {
      OpModelBuilder b;
      int in = b.addInput(ElementType::kFloat32, {1, 4});
      int out = b.addOutput(ElementType::kFloat32, {1, 4});
      b.addOp(fb::BuiltinOperator::RELU, {in}, {out});
      b.setTensorName(in, bad);
      const std::string e = loadError(b.finish());
      CHECK_THAT(e, Catch::Contains("tensor 0 has a name that is not valid UTF-8"));
      CHECK(e.find(bad) == std::string::npos);  // not echoed
      OpModelBuilder s;
      in = s.addInput(ElementType::kFloat32, {1, 4});
      out = s.addOutput(ElementType::kFloat32, {1, 4});
      s.addOp(fb::BuiltinOperator::RELU, {in}, {out});
      s.addSignature("serving_default", 0, {{bad, in}}, {{"y", out}});
      CHECK_THAT(loadError(s.finish()), Catch::Contains("tensor name that is not valid UTF-8"));
    }
    // Valid multi-byte names load.
    OpModelBuilder ok;
    int in = ok.addInput(ElementType::kFloat32, {1, 4});
    int out = ok.addOutput(ElementType::kFloat32, {1, 4});
    ok.addOp(fb::BuiltinOperator::RELU, {in}, {out});
    ok.setTensorName(in, "entr\xc3\xa9" "e_\xe2\x82\xac_\xf0\x9f\x98\x80");
    const auto bytes = ok.finish();
    CHECK(engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "utf8").isOk());
  }
  SECTION("bad quantization scale") {
    OpModelBuilder b;
    QuantParams q;
    q.scale = {0.f};
    q.zeroPoint = {0};
    int in = b.addInput(ElementType::kInt8, {1, 4}, q);
    int out = b.addOutput(ElementType::kInt8, {1, 4});
    b.addOp(fb::BuiltinOperator::RELU, {in}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("scale 0"));
  }
  SECTION("zero point out of range") {
    OpModelBuilder b;
    QuantParams q;
    q.scale = {0.5f};
    q.zeroPoint = {300};
    int in = b.addInput(ElementType::kInt8, {1, 4}, q);
    int out = b.addOutput(ElementType::kInt8, {1, 4});
    b.addOp(fb::BuiltinOperator::RELU, {in}, {out});
    CHECK_THAT(loadError(b.finish()), Catch::Contains("zero point 300"));
  }
}

TEST_CASE("zero-element tensors need no buffer data", "[model]") {
  // The converter writes an empty axis list as a [0] tensor with no data.
  OpModelBuilder b;
  int in = b.addInput(ElementType::kFloat32, {2, 2});
  int axis = b.addTensor(ElementType::kInt32, {0});
  int out = b.addOutput(ElementType::kFloat32, {2, 2});
  b.addOp(fb::BuiltinOperator::SUM, {in, axis}, {out});
  std::string error;
  CHECK(test::runFloat(b.finish(), {{1, 2, 3, 4}}, &error) == std::vector<float>{1, 2, 3, 4});
  INFO(error);
}

TEST_CASE("unsupported ops are reported by name and version", "[model][unsupported]") {
  OpModelBuilder b;
  int in = b.addInput(ElementType::kFloat32, {1, 4});
  int mid = b.addTensor(ElementType::kFloat32, {1, 4});
  int out = b.addOutput(ElementType::kFloat32, {1, 4});
  b.addCustomOp("MyFancyOp", {in}, {mid}, {});
  b.addOp(fb::BuiltinOperator::ADD, {mid, mid}, {out}, {}, 99);
  auto bytes = b.finish();
  auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "unsupported");
  REQUIRE(m.isOk());  // loading is fine; running is not
  auto unsupported = findUnsupportedOps(*m.value(), OpResolver::builtins());
  REQUIRE(unsupported.size() == 2);
  CHECK(unsupported[0].name == "MyFancyOp");
  CHECK_THAT(unsupported[1].reason, Catch::Contains("ADD version 99"));
  auto interp = Interpreter::create(m.value());
  REQUIRE_FALSE(interp.isOk());
  CHECK(interp.status().code() == StatusCode::kUnsupported);
  CHECK_THAT(interp.status().message(), Catch::Contains("MyFancyOp") && Catch::Contains("version 99"));
}

namespace {
struct DoubleState : KernelState {
  float factor = 2.f;
};
Status doublePrepare(OpContext& ctx) {
  ctx.setState(std::make_unique<DoubleState>());
  return ctx.resizeOutput(0, ctx.input(0)->dims);
}
Status doubleEval(OpContext& ctx) {
  const Tensor* in = ctx.input(0);
  Tensor* out = ctx.output(0);
  const float f = ctx.state<DoubleState>()->factor;
  for (int64_t i = 0; i < in->numElements(); ++i) out->as<float>()[i] = in->as<float>()[i] * f;
  return Status::ok();
}
}  // namespace

TEST_CASE("custom ops register by name", "[model][custom]") {
  OpModelBuilder b;
  int in = b.addInput(ElementType::kFloat32, {1, 3});
  int out = b.addOutput(ElementType::kFloat32, {1, 3});
  b.addCustomOp("Double", {in}, {out}, {});
  auto bytes = b.finish();
  auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "custom");
  REQUIRE(m.isOk());
  CHECK_FALSE(Interpreter::create(m.value()).isOk());

  OpResolver resolver = OpResolver::withBuiltins();
  KernelRegistration reg;
  reg.minInputs = reg.maxInputs = 1;
  reg.prepare = doublePrepare;
  reg.eval = doubleEval;
  reg.types = {ElementType::kFloat32};
  resolver.addCustom("Double", reg);
  InterpreterOptions opts;
  opts.resolver = &resolver;
  auto interp = Interpreter::create(m.value(), opts);
  REQUIRE(interp.isOk());
  float* x = interp.value()->input(0).as<float>();
  x[0] = 1;
  x[1] = -2;
  x[2] = 3.5f;
  REQUIRE(interp.value()->invoke().isOk());
  const float* y = interp.value()->output(0).as<float>();
  CHECK(y[0] == 2);
  CHECK(y[1] == -4);
  CHECK(y[2] == 7);
}
