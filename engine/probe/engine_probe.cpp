// engine_probe: the smallest program that uses the engine. It loads a
// .tflite model (map, verify, parse, fold constants), creates an interpreter
// (resolve kernels, prepare, plan the arena), fills the inputs with zeros and
// runs it once. scripts/size_report.py measures it linked with every kernel,
// with a selective build's kernels, and with none (engine_probe_core); the
// selective-build check in .ci/run runs it.
//
//   engine_probe MODEL.tflite
//
// Exit status 0 when the model ran, 1 with the error on stderr when loading
// or running it failed, 2 for a usage error.
#include <cstdio>
#include <cstring>

#include "inferd/engine/interpreter.h"
#include "inferd/engine/model.h"

int main(int argc, char** argv) {
  using namespace inferd::engine;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.tflite\n", argv[0]);
    return 2;
  }
  auto model = Model::load(argv[1]);
  if (!model) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return 1;
  }
  auto interpreter = Interpreter::create(model.value());
  if (!interpreter) {
    std::fprintf(stderr, "cannot run '%s': %s\n", argv[1], interpreter.status().message().c_str());
    return 1;
  }
  Interpreter& in = *interpreter.value();
  for (size_t i = 0; i < in.numInputs(); ++i) {
    Tensor& t = in.input(i);
    if (t.data != nullptr) std::memset(t.data, 0, t.bytes);
  }
  const inferd::Status run = in.invoke();
  if (!run.isOk()) {
    std::fprintf(stderr, "cannot run '%s': %s\n", argv[1], run.message().c_str());
    return 1;
  }
  std::printf("ran '%s': %zu ops, %zu inputs, %zu outputs, arena %zu bytes\n", argv[1],
              in.subgraph().operators.size(), in.numInputs(), in.numOutputs(), in.arenaBytes());
  return 0;
}
