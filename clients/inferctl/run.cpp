// `inferctl run`: feed .npy inputs to a model, write output_<i>.npy files,
// print a summary. --local runs in-process on the HAL's cpu device
// (local_model.h; --profile adds the per-operator table of op_profile.h);
// without it the request goes to the daemon (daemon.cpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <fstream>

#include "commands.h"

#include "inferd/engine/interpreter.h"
#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"
#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"
#include "local_model.h"
#include "op_profile.h"
#include "report.h"
#include "tensor_io.h"

namespace inferd::inferctl {

namespace {

using namespace inferd::engine;

int runLocal(const RunArgs& args) {
  if (args.outputDir.empty()) return fail("run needs --output-dir DIR");
  LocalOptions options;
  options.model = args.model;
  options.threads = args.threads;
  options.signature = args.signature;
  options.profile = args.profile;
  options.device = args.device;
  options.strict = args.strict;
  auto opened = openLocalModel(options);
  if (!opened) return fail(opened.status().message());
  hal::PreparedModel& pm = *opened->prepared;
  if (!args.device.empty()) printPlan(opened->plan, false, opened->placement);
  auto inputs = localInputs(pm, args.inputs, InputFill::kRequired);
  if (!inputs) return fail(inputs.status().message());
  const std::vector<hal::TensorView> views = inputs->views();

  std::vector<hal::OwnedTensor> outputs;
  std::vector<double> times;
  for (int r = 0; r < args.repeat; ++r) {
    hal::ExecutionTiming timing;
    Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
    if (!s.isOk()) return fail(fmt::format("inference failed: {}", s.message()));
    times.push_back(static_cast<double>(timing.computeNs) / 1e6);
  }

  Status s = makeOutputDir(args.outputDir);
  if (!s.isOk()) return fail(s.message());
  fmt::print("model: {} on device {}, arena {} bytes\n", args.model, pm.deviceName(), pm.workingBytes());
  for (const hal::DeviceCounters& c : pm.deviceCounters()) {
    fmt::print("device {}: {} partition executions, {} failures, {} rerun on the cpu{}\n", c.device, c.executions,
               c.failures, c.fallbacks, c.retired ? ", out of the plan: " + c.retiredReason : "");
  }
  std::vector<OutputRef> refs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const hal::OwnedTensor& o = outputs[i];
    refs.push_back({pm.outputs()[i].name, o.type, o.dims, o.data.data(), o.data.size()});
  }
  s = writeOutputs(args.outputDir, refs);
  if (!s.isOk()) return fail(s.message());
  printTimes(times);
  if (args.profile) {
    printOpProfile(buildOpProfile(*opened->model, opened->subgraph, pm.profile(), times.size()),
                   summarize(times).mean);
  }
  return 0;
}

// --dump-tensors: runs the engine's interpreter directly with every tensor
// kept alive and writes each non-constant tensor of the subgraph as
// t<index>.npy (the model file's tensor index) plus tensors.tsv naming
// them and the op that wrote each, for layer-by-layer comparison with
// another runtime (tools/compare_layers.py).
int runDump(const RunArgs& args) {
  auto loaded = Model::load(args.model);
  if (!loaded) return fail(loaded.status().message());
  InterpreterOptions options;
  options.numThreads = args.threads;
  options.signature = args.signature;
  options.optimizedKernels = !args.referenceKernels;
  options.preserveAllTensors = true;
  auto created = Interpreter::create(loaded.value(), options);
  if (!created) return fail(fmt::format("cannot run '{}': {}", args.model, created.status().message()));
  Interpreter& in = *created.value();

  std::vector<TensorSpec> expected;
  for (size_t i = 0; i < in.numInputs(); ++i) {
    const Tensor& t = in.input(i);
    expected.push_back({in.inputName(i), t.type, std::vector<int64_t>(t.dims.begin(), t.dims.end())});
  }
  auto arrays = readInputs(args.inputs, expected);
  if (!arrays) return fail(arrays.status().message());
  for (size_t i = 0; i < in.numInputs(); ++i) {
    const NpyArray& a = arrays.value()[i];
    if (a.data.size() != in.input(i).bytes) return fail(fmt::format("input {} has the wrong size", i));
    std::memcpy(in.input(i).data, a.data.data(), a.data.size());
  }
  Status s = in.invoke();
  if (!s.isOk()) return fail(fmt::format("inference failed: {}", s.message()));

  s = makeOutputDir(args.dumpDir);
  if (!s.isOk()) return fail(s.message());
  const Subgraph& sg = in.subgraph();
  std::vector<int> producer(in.tensors().size(), -1);
  for (size_t n = 0; n < sg.operators.size(); ++n) {
    for (int32_t out : sg.operators[n].outputs) {
      if (out >= 0) producer[static_cast<size_t>(out)] = static_cast<int>(n);
    }
  }
  const std::string tsvPath = args.dumpDir + "/tensors.tsv";
  std::ofstream tsv(tsvPath);
  tsv << "index\tname\ttype\tshape\top_index\top\n";
  size_t written = 0;
  for (size_t i = 0; i < in.tensors().size(); ++i) {
    const Tensor& t = in.tensors()[i];
    if (t.isConstant || t.data == nullptr) continue;
    s = writeNpy(fmt::format("{}/t{}.npy", args.dumpDir, i), t.type, t.dims, t.data, t.bytes);
    if (!s.isOk()) return fail(s.message());
    const int n = producer[i];
    const std::string op = n < 0 ? "-" : sg.operators[static_cast<size_t>(n)].name();
    tsv << i << '\t' << t.info->name << '\t' << elementTypeName(t.type) << '\t'
        << fmt::format("[{}]", fmt::join(t.dims, ",")) << '\t' << n << '\t' << op << '\n';
    ++written;
  }
  if (!tsv.good()) return fail(fmt::format("cannot write {}", tsvPath));
  fmt::print("model: {}: {} tensors written to {} (index in {})\n", args.model, written, args.dumpDir, tsvPath);
  return 0;
}

}  // namespace

int runCommand(const RunArgs& args) {
  if (!args.local && args.threads != 1) {
    return fail("--threads applies to --local runs; the daemon's threads come from its configuration");
  }
  if (!args.local && !args.signature.empty()) return fail("--signature applies to --local runs");
  if (!args.local && (!args.dumpDir.empty() || args.referenceKernels)) {
    return fail("--dump-tensors and --reference-kernels apply to --local runs");
  }
  if (args.referenceKernels && args.dumpDir.empty()) return fail("--reference-kernels applies with --dump-tensors");
  if (!args.dumpDir.empty()) return runDump(args);
  return args.local ? runLocal(args) : runDaemonCommand(args);
}

}  // namespace inferd::inferctl
