// Multiple subgraphs: WHILE (static and growing shapes), IF, CALL_ONCE with
// resource variables, signatures, and the loader's checks of control-flow
// subgraph references (range, recursion). Models are built in memory.
#include <catch2/catch.hpp>

#include <cstring>

#include "op_test_util.h"

using namespace inferd;
using namespace inferd::engine;
using test::InputData;
using test::OpModelBuilder;
namespace fb = ::inferd::tflite;

namespace {

test::OptionsFn whileOptions(int cond, int body) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::WhileOptions, fb::CreateWhileOptions(b, cond, body).Union());
  };
}

test::OptionsFn ifOptions(int thenIndex, int elseIndex) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::IfOptions, fb::CreateIfOptions(b, thenIndex, elseIndex).Union());
  };
}

test::OptionsFn callOnceOptions(int init) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::CallOnceOptions, fb::CreateCallOnceOptions(b, init).Union());
  };
}

test::OptionsFn varHandleOptions(const char* name) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::VarHandleOptions,
                          fb::CreateVarHandleOptions(b, b.CreateString(""), b.CreateString(name)).Union());
  };
}

test::OptionsFn concatOptions(int axis) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::make_pair(fb::BuiltinOptions::ConcatenationOptions, fb::CreateConcatenationOptions(b, axis).Union());
  };
}

// cond subgraph: (i, x) -> i < limit.
void addLessThanCond(OpModelBuilder& m, int32_t limit, Dims xDims) {
  m.addSubgraph();
  const int i = m.addInput(ElementType::kInt32, {});
  m.addInput(ElementType::kFloat32, std::move(xDims));
  const int n = m.addConstant<int32_t>(ElementType::kInt32, {}, {limit});
  const int out = m.addOutput(ElementType::kBool, {});
  m.addOp(fb::BuiltinOperator::LESS, {i, n}, {out});
}

// while (i < 5) { i += 1; x = grow ? concat(x, x) : x + x; }
std::vector<uint8_t> whileModel(bool grow) {
  OpModelBuilder m;
  const int i = m.addInput(ElementType::kInt32, {});
  const int x = m.addInput(ElementType::kFloat32, {2});
  const int iOut = m.addOutput(ElementType::kInt32, {});
  const int xOut = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::WHILE, {i, x}, {iOut, xOut}, whileOptions(1, 2));
  addLessThanCond(m, 5, {2});
  m.addSubgraph();  // body
  const int bi = m.addInput(ElementType::kInt32, {});
  const int bx = m.addInput(ElementType::kFloat32, {2});
  const int one = m.addConstant<int32_t>(ElementType::kInt32, {}, {1});
  const int bi2 = m.addOutput(ElementType::kInt32, {});
  const int bx2 = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::ADD, {bi, one}, {bi2});
  if (grow) {
    m.addOp(fb::BuiltinOperator::CONCATENATION, {bx, bx}, {bx2}, concatOptions(0));
  } else {
    m.addOp(fb::BuiltinOperator::ADD, {bx, bx}, {bx2});
  }
  return m.finish();
}

struct WhileResult {
  int32_t count = -1;
  std::vector<float> x;
  Dims dims;
  std::string error;
};

WhileResult runWhile(const std::vector<uint8_t>& model, int32_t start, const std::vector<float>& x) {
  WhileResult r;
  auto out = test::runModel(model, {InputData::of(std::vector<int32_t>{start}), InputData::of(x)});
  if (!out) {
    r.error = out.status().toString();
    return r;
  }
  r.count = out.value()[0].values<int32_t>().at(0);
  r.x = out.value()[1].values<float>();
  r.dims = out.value()[1].dims;
  return r;
}

std::shared_ptr<const Model> load(const std::vector<uint8_t>& bytes) {
  auto m = Model::loadFromBuffer(bytes.data(), bytes.size(), "test");
  if (!m) FAIL(m.status().toString());
  return m.value();
}

}  // namespace

TEST_CASE("WHILE runs its body until the cond subgraph says stop", "[control_flow]") {
  const auto model = whileModel(false);
  // Loop-carried values: x doubles once per iteration, 5 - start times.
  for (int32_t start : {0, 3, 5, 7}) {
    INFO("start " << start);
    WhileResult r = runWhile(model, start, {1.5f, -2.f});
    REQUIRE(r.error.empty());
    const int iterations = std::max(0, 5 - start);
    CHECK(r.count == std::max(start, 5));
    const float factor = static_cast<float>(1 << iterations);
    CHECK(r.x == std::vector<float>{1.5f * factor, -2.f * factor});
    CHECK(r.dims == Dims{2});
  }
}

TEST_CASE("WHILE whose body changes shapes sizes its outputs per iteration", "[control_flow]") {
  const auto model = whileModel(true);
  for (int32_t start : {0, 2, 6}) {
    INFO("start " << start);
    WhileResult r = runWhile(model, start, {4.f, 7.f});
    REQUIRE(r.error.empty());
    const int iterations = std::max(0, 5 - start);
    const size_t length = size_t{2} << iterations;
    REQUIRE(r.dims == Dims{static_cast<int32_t>(length)});
    for (size_t k = 0; k < length; ++k) CHECK(r.x[k] == (k % 2 == 0 ? 4.f : 7.f));
  }
  // The same interpreter again: the body's input shapes shrink back.
  auto interp = Interpreter::create(load(model));
  REQUIRE(interp.isOk());
  Interpreter& in = *interp.value();
  for (int32_t start : {1, 4, 0}) {
    *in.input(0).as<int32_t>() = start;
    in.input(1).as<float>()[0] = 1.f;
    in.input(1).as<float>()[1] = 2.f;
    REQUIRE(in.invoke().isOk());
    CHECK(in.output(1).dims == Dims{static_cast<int32_t>(2 << (5 - start))});
    CHECK(*in.output(0).as<int32_t>() == 5);
  }
}

TEST_CASE("IF runs the branch its condition picks", "[control_flow]") {
  OpModelBuilder m;
  const int c = m.addInput(ElementType::kBool, {});
  const int x = m.addInput(ElementType::kFloat32, {3});
  const int y = m.addOutput(ElementType::kFloat32, {3});
  m.addOp(fb::BuiltinOperator::IF, {c, x}, {y}, ifOptions(1, 2));
  for (auto op : {fb::BuiltinOperator::ADD, fb::BuiltinOperator::MUL}) {  // then: x + x, else: x * x
    m.addSubgraph();
    const int bx = m.addInput(ElementType::kFloat32, {3});
    const int by = m.addOutput(ElementType::kFloat32, {3});
    m.addOp(op, {bx, bx}, {by});
  }
  const auto model = m.finish();
  const std::vector<float> xs{3.f, -1.f, 0.5f};
  for (bool cond : {true, false}) {
    INFO("condition " << cond);
    auto out = test::runModel(model, {InputData::of(std::vector<uint8_t>{cond}), InputData::of(xs)});
    REQUIRE(out.isOk());
    std::vector<float> want;
    for (float v : xs) want.push_back(cond ? v + v : v * v);
    CHECK(out.value()[0].values<float>() == want);
  }
}

namespace {

// CALL_ONCE initializes variable "acc" to [10, 20]; every invoke adds x to
// it and returns the sum.
std::vector<uint8_t> accumulatorModel() {
  OpModelBuilder m;
  const int x = m.addInput(ElementType::kFloat32, {2});
  const int h = m.addTensor(ElementType::kResource, {});
  const int v = m.addTensor(ElementType::kFloat32, {2});
  const int sum = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::CALL_ONCE, {}, {}, callOnceOptions(1));
  m.addOp(fb::BuiltinOperator::VAR_HANDLE, {}, {h}, varHandleOptions("acc"));
  m.addOp(fb::BuiltinOperator::READ_VARIABLE, {h}, {v});
  m.addOp(fb::BuiltinOperator::ADD, {v, x}, {sum});
  m.addOp(fb::BuiltinOperator::ASSIGN_VARIABLE, {h, sum}, {});
  m.addSubgraph();  // init
  const int ih = m.addTensor(ElementType::kResource, {});
  const int init = m.addConstant<float>(ElementType::kFloat32, {2}, {10.f, 20.f});
  m.addOp(fb::BuiltinOperator::VAR_HANDLE, {}, {ih}, varHandleOptions("acc"));
  m.addOp(fb::BuiltinOperator::ASSIGN_VARIABLE, {ih, init}, {});
  return m.finish();
}

std::vector<float> step(Interpreter& in, std::vector<float> x) {
  std::memcpy(in.input(0).data, x.data(), 2 * sizeof(float));
  Status s = in.invoke();
  if (!s.isOk()) FAIL(s.toString());
  const float* o = in.output(0).as<float>();
  return {o[0], o[1]};
}

}  // namespace

TEST_CASE("CALL_ONCE initializes resource variables once per interpreter", "[control_flow][variables]") {
  const auto model = load(accumulatorModel());
  auto a = Interpreter::create(model);
  auto b = Interpreter::create(model);
  REQUIRE(a.isOk());
  REQUIRE(b.isOk());
  CHECK(step(*a.value(), {1.f, 2.f}) == std::vector<float>{11.f, 22.f});
  CHECK(step(*a.value(), {1.f, 2.f}) == std::vector<float>{12.f, 24.f});  // init did not run again
  // Another interpreter has its own variables.
  CHECK(step(*b.value(), {0.5f, 0.f}) == std::vector<float>{10.5f, 20.f});
  CHECK(step(*a.value(), {-12.f, 0.f}) == std::vector<float>{0.f, 24.f});
}

TEST_CASE("reading a variable before any assignment is an error", "[control_flow][variables]") {
  OpModelBuilder m;
  m.addInput(ElementType::kFloat32, {1});
  const int h = m.addTensor(ElementType::kResource, {});
  const int v = m.addOutput(ElementType::kFloat32, {1});
  m.addOp(fb::BuiltinOperator::VAR_HANDLE, {}, {h}, varHandleOptions("never"));
  m.addOp(fb::BuiltinOperator::READ_VARIABLE, {h}, {v});
  auto out = test::runModel(m.finish(), {InputData::of(std::vector<float>{1.f})});
  REQUIRE_FALSE(out.isOk());
  CHECK_THAT(out.status().message(), Catch::Contains("READ_VARIABLE") && Catch::Contains("never assigned"));
}

namespace {

// Subgraph 0: out = a - b; subgraph 1: y = x * 3. Signatures name them.
std::vector<uint8_t> twoSignatureModel() {
  OpModelBuilder m;
  const int a = m.addInput(ElementType::kFloat32, {2});
  const int b = m.addInput(ElementType::kFloat32, {2});
  const int out = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::SUB, {a, b}, {out});
  m.addSubgraph();
  const int x = m.addInput(ElementType::kFloat32, {2});
  const int three = m.addConstant<float>(ElementType::kFloat32, {1}, {3.f});
  const int y = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::MUL, {x, three}, {y});
  // "sub" lists its inputs in the other order than the subgraph does.
  m.addSignature("sub", 0, {{"second", b}, {"first", a}}, {{"difference", out}});
  m.addSignature("triple", 1, {{"x", x}}, {{"y", y}});
  return m.finish();
}

}  // namespace

TEST_CASE("signatures map names to a subgraph's inputs and outputs", "[signatures]") {
  const auto model = load(twoSignatureModel());
  REQUIRE(model->subgraphs().size() == 2);
  REQUIRE(model->signatures().size() == 2);
  const Signature* sub = model->findSignature("sub");
  REQUIRE(sub != nullptr);
  CHECK(sub->subgraphIndex == 0);
  CHECK(sub->inputs[0].name == "second");
  CHECK(sub->inputs[0].tensorIndex == 1);
  CHECK(model->findSignature("nope") == nullptr);

  InterpreterOptions options;
  options.signature = "sub";
  auto in = Interpreter::create(model, options);
  REQUIRE(in.isOk());
  Interpreter& s = *in.value();
  REQUIRE(s.numInputs() == 2);
  CHECK(s.inputName(0) == "second");
  CHECK(s.outputName(0) == "difference");
  CHECK(s.inputIndices() == std::vector<int32_t>{1, 0});
  s.input(0).as<float>()[0] = 1.f;  // second
  s.input(0).as<float>()[1] = 2.f;
  s.input(1).as<float>()[0] = 10.f;  // first
  s.input(1).as<float>()[1] = 20.f;
  REQUIRE(s.invoke().isOk());
  CHECK(s.output(0).as<float>()[0] == 9.f);
  CHECK(s.output(0).as<float>()[1] == 18.f);

  options.signature = "triple";
  auto t = Interpreter::create(model, options);
  REQUIRE(t.isOk());
  CHECK(t.value()->subgraphIndex() == 1);
  CHECK(t.value()->inputName(0) == "x");
  t.value()->input(0).as<float>()[0] = 2.f;
  t.value()->input(0).as<float>()[1] = -1.f;
  REQUIRE(t.value()->invoke().isOk());
  CHECK(t.value()->output(0).as<float>()[0] == 6.f);
  CHECK(t.value()->output(0).as<float>()[1] == -3.f);

  options.signature = "missing";
  auto bad = Interpreter::create(model, options);
  REQUIRE_FALSE(bad.isOk());
  CHECK_THAT(bad.status().message(), Catch::Contains("no signature 'missing'") && Catch::Contains("'triple'"));
}

TEST_CASE("a signature input that is not a subgraph input is refused", "[signatures]") {
  OpModelBuilder m;
  const int a = m.addInput(ElementType::kFloat32, {2});
  const int out = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::ADD, {a, a}, {out});
  m.addSignature("bad", 0, {{"a", out}}, {{"out", out}});
  InterpreterOptions options;
  options.signature = "bad";
  auto in = Interpreter::create(load(m.finish()), options);
  REQUIRE_FALSE(in.isOk());
  CHECK_THAT(in.status().message(), Catch::Contains("not a input of subgraph 0"));
}

TEST_CASE("the loader checks control-flow subgraph references", "[control_flow][model]") {
  SECTION("index out of range") {
    OpModelBuilder m;
    const int i = m.addInput(ElementType::kInt32, {});
    const int o = m.addOutput(ElementType::kInt32, {});
    m.addOp(fb::BuiltinOperator::WHILE, {i}, {o}, whileOptions(1, 7));
    m.addSubgraph();
    const int ci = m.addInput(ElementType::kInt32, {});
    const int co = m.addOutput(ElementType::kBool, {});
    m.addOp(fb::BuiltinOperator::LESS, {ci, ci}, {co});
    const auto bytes = m.finish();
    auto model = Model::loadFromBuffer(bytes.data(), bytes.size(), "t");
    REQUIRE_FALSE(model.isOk());
    CHECK_THAT(model.status().message(), Catch::Contains("WHILE refers to subgraph 7 but the model has 2"));
  }
  SECTION("recursion") {
    // Subgraph 1's IF runs subgraph 2, whose IF runs subgraph 1 again.
    OpModelBuilder m;
    const int c = m.addInput(ElementType::kBool, {});
    const int o = m.addOutput(ElementType::kBool, {});
    m.addOp(fb::BuiltinOperator::IF, {c, c}, {o}, ifOptions(1, 1));
    for (int target : {2, 1}) {
      m.addSubgraph();
      const int sc = m.addInput(ElementType::kBool, {});
      const int so = m.addOutput(ElementType::kBool, {});
      m.addOp(fb::BuiltinOperator::IF, {sc, sc}, {so}, ifOptions(target, target));
    }
    const auto bytes = m.finish();
    auto model = Model::loadFromBuffer(bytes.data(), bytes.size(), "t");
    REQUIRE_FALSE(model.isOk());
    CHECK_THAT(model.status().message(), Catch::Contains("recurses") && Catch::Contains("1 -> 2 -> 1"));
  }
  SECTION("missing options") {
    OpModelBuilder m;
    const int c = m.addInput(ElementType::kBool, {});
    const int o = m.addOutput(ElementType::kBool, {});
    m.addOp(fb::BuiltinOperator::IF, {c, c}, {o});
    const auto bytes = m.finish();
    auto model = Model::loadFromBuffer(bytes.data(), bytes.size(), "t");
    REQUIRE_FALSE(model.isOk());
    CHECK_THAT(model.status().message(), Catch::Contains("IF has no IfOptions"));
  }
}

TEST_CASE("an unsupported op in a child subgraph is reported with its subgraph", "[control_flow]") {
  OpModelBuilder m;
  const int c = m.addInput(ElementType::kBool, {});
  const int x = m.addInput(ElementType::kFloat32, {2});
  const int y = m.addOutput(ElementType::kFloat32, {2});
  m.addOp(fb::BuiltinOperator::IF, {c, x}, {y}, ifOptions(1, 1));
  m.addSubgraph();
  const int bx = m.addInput(ElementType::kFloat32, {2});
  const int by = m.addOutput(ElementType::kFloat32, {2});
  m.addCustomOp("NoSuchOp", {bx}, {by}, {});
  auto in = Interpreter::create(load(m.finish()));
  REQUIRE_FALSE(in.isOk());
  CHECK_THAT(in.status().message(), Catch::Contains("subgraph 1") && Catch::Contains("NoSuchOp"));
}
