// `inferctl run`: feed .npy inputs to a model, write output_<i>.npy files,
// print a summary. --local runs in-process on the HAL's cpu device; without
// it the request goes to the daemon (daemon.cpp).
#include <fmt/format.h>

#include "commands.h"
#include "inferd/engine/model.h"
#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"
#include "tensor_io.h"

namespace inferd::inferctl {

namespace {

using namespace inferd::engine;

TensorSpec specOf(const hal::TensorDesc& d) { return {d.name, d.type, std::vector<int64_t>(d.dims.begin(), d.dims.end())}; }

int runLocal(const RunArgs& args) {
  if (args.outputDir.empty()) return fail("run needs --output-dir DIR");
  auto loaded = Model::load(args.model);
  if (!loaded) return fail(loaded.status().message());
  auto device = hal::createCpuDevice();
  hal::PrepareOptions options;
  options.numThreads = args.threads;
  options.signature = args.signature;
  auto prepared = device->prepare(loaded.value(), options);
  if (!prepared) return fail(fmt::format("cannot run '{}': {}", args.model, prepared.status().message()));
  hal::PreparedModel& pm = *prepared.value();

  std::vector<TensorSpec> expected;
  for (const hal::TensorDesc& d : pm.inputs()) expected.push_back(specOf(d));
  auto arrays = readInputs(args.inputs, expected);
  if (!arrays) return fail(arrays.status().message());
  std::vector<hal::TensorView> views;
  for (const NpyArray& a : arrays.value()) views.push_back({a.type, a.dims, a.data.data(), a.data.size()});

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
  std::vector<OutputRef> refs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const hal::OwnedTensor& o = outputs[i];
    refs.push_back({pm.outputs()[i].name, o.type, o.dims, o.data.data(), o.data.size()});
  }
  s = writeOutputs(args.outputDir, refs);
  if (!s.isOk()) return fail(s.message());
  printTimes(std::move(times));
  return 0;
}

}  // namespace

int runCommand(const RunArgs& args) {
  if (!args.local && args.threads != 1) {
    return fail("--threads applies to --local runs; the daemon's threads come from its configuration");
  }
  if (!args.local && !args.signature.empty()) return fail("--signature applies to --local runs");
  return args.local ? runLocal(args) : runDaemonCommand(args);
}

}  // namespace inferd::inferctl
