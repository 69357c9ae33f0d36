// inferctl: the command-line client of inferd. Local mode runs models
// in-process through the HAL's cpu device; the other commands talk to a
// running inferd over its Unix socket through libinferd-client.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "commands.h"

namespace {

// --timeout-us and --priority, shared by run and bench.
void addRequestOptions(CLI::App* cmd, inferd::inferctl::RequestArgs* request, CLI::Option** timeout,
                       CLI::Option** priority) {
  *timeout = cmd->add_option("--timeout-us", request->timeoutMicros,
                             "Fail a request still queued in the daemon after this many microseconds")
                 ->check(CLI::NonNegativeNumber);
  *priority = cmd->add_option("--priority", request->priority, "Request priority (lower runs first)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace inferd::inferctl;
  CLI::App app{"inferctl - inspect and run TensorFlow Lite models with inferd"};
  app.require_subcommand(1);
  app.fallthrough();  // --socket may come after the subcommand too
  app.set_version_flag("--version", "inferctl 0.1.0");
  std::string socket;
  app.add_option("--socket", socket,
                 "inferd's Unix socket (default: $XDG_RUNTIME_DIR/inferd/inferd.sock, else "
                 "/tmp/inferd-<uid>/inferd.sock)")
      ->envname("INFERD_SOCKET")
      ->type_name("PATH");

  InspectArgs inspect;
  auto* inspectCmd = app.add_subcommand(
      "inspect", "Show a model's inputs, outputs, operators, constant bytes and planned arena size");
  inspectCmd->add_option("model", inspect.model, "Path to a .tflite file");
  inspectCmd->add_flag("--ops", inspect.listOps, "List every operator the engine supports (types, versions)");
  inspectCmd->add_flag("--placement", inspect.placement,
                       "Print the execution plan op by op: device, partition, and why an op stays on the cpu");
  auto* inspectDevice = inspectCmd->add_option(
      "--device", inspect.device, "With --placement: plan for this device (default: every available device)");
  auto* inspectStrict =
      inspectCmd->add_flag("--strict", inspect.strict, "With --placement --device: fail unless the device runs every op");

  RunArgs run;
  CLI::Option *runTimeout = nullptr, *runPriority = nullptr;
  auto* runCmd = app.add_subcommand(
      "run", "Run a model on inputs from .npy files and write its outputs as .npy (in inferd, or --local)");
  runCmd->add_option("model", run.model, "Model name in inferd, or path to a .tflite file with --local")->required();
  runCmd->add_flag("--local", run.local, "Run in this process on the cpu device (no daemon)");
  runCmd->add_option("-i,--input", run.inputs,
                     "NAME=FILE.npy for each model input (FILE.npy alone for a single-input model)")
      ->take_all();
  runCmd->add_option("-o,--output-dir", run.outputDir, "Directory for output_<i>.npy (created if missing)");
  runCmd->add_option("--repeat", run.repeat, "Invoke N times and report the median time")
      ->check(CLI::Range(1, 100000));
  runCmd->add_option("--threads", run.threads, "With --local: threads the kernels may use (default 1)")
      ->check(CLI::Range(1, 256));
  runCmd->add_option("--signature", run.signature,
                     "With --local: run this signature of the model (see inspect) instead of subgraph 0");
  runCmd->add_option("--dump-tensors", run.dumpDir,
                     "With --local: keep every intermediate tensor and write each as DIR/t<index>.npy, "
                     "listed in DIR/tensors.tsv (for layer-by-layer comparison, tools/compare_layers.py)");
  runCmd->add_flag("--reference-kernels", run.referenceKernels,
                   "With --dump-tensors: use the portable reference kernels instead of the optimized ones");
  auto* runDevice = runCmd->add_option("--device", run.device,
                                       "With --local: run on this device (see devices --local); ops it lacks run "
                                       "on the cpu");
  auto* runStrict = runCmd->add_flag("--strict", run.strict,
                                     "With --local --device: fail, listing the ops and reasons, unless the device "
                                     "runs the whole model");
  runCmd->add_flag("--profile", run.profile,
                   "With --local: print a per-operator time table (mean over the --repeat runs)");
  addRequestOptions(runCmd, &run.request, &runTimeout, &runPriority);
  runCmd->footer(
      "Output i (in the model's output order) is written to DIR/output_<i>.npy.\n"
      "Examples: inferctl run face_detection_short_range --input input=img.npy --output-dir out/\n"
      "          inferctl run face.tflite --local --input input=img.npy --output-dir out/");

  ModelsArgs models;
  auto* modelsCmd = app.add_subcommand("models", "List the models in inferd's repository and their state");
  modelsCmd->add_flag("--ready", models.readyOnly, "Only models that are loaded and ready");

  ModelArgs load, unload;
  auto* loadCmd = app.add_subcommand("load", "Load a model of the repository into inferd");
  loadCmd->add_option("model", load.model, "Model name")->required();
  auto* unloadCmd = app.add_subcommand("unload", "Unload a model from inferd (requests in flight finish)");
  unloadCmd->add_option("model", unload.model, "Model name")->required();

  StatusArgs status;
  auto* statusCmd = app.add_subcommand("status", "Show whether inferd is live and ready, and per-model statistics");
  statusCmd->add_option("model", status.model, "Only this model's statistics");

  DevicesArgs devices;
  auto* devicesCmd = app.add_subcommand(
      "devices", "List the HAL's devices (cpu, opencl, ...), their state and measured speed (--local: this process)");
  devicesCmd->add_flag("--local", devices.local, "The devices this process finds (no daemon)");
  devicesCmd->add_flag("!--no-calibrate", devices.calibrate,
                       "Do not measure the devices (list them only; cached figures are not shown either)");
  devicesCmd->add_flag("--remeasure", devices.remeasure, "Measure again even where cached figures exist");
  devicesCmd->add_flag("--no-cache", devices.noCache, "Neither read nor write cached figures");
  devicesCmd->add_flag("--json", devices.json, "Print one JSON object instead of text");
  auto* devicesTypes = devicesCmd->add_option(
      "--opencl-types", devices.openclTypes,
      "OpenCL device types to use, comma-separated: gpu, accelerator, cpu (default all; '' turns OpenCL off)");
  devicesTypes->type_name("LIST");
  devicesCmd->add_option("--state-dir", devices.stateDir,
                         "Where measured figures are cached (default $XDG_CACHE_HOME/inferd, else ~/.cache/inferd)")
      ->type_name("DIR");
  devicesCmd->footer(
      "Each available device is measured once (a float 3x3 convolution, a 32 MiB copy, the cost of one\n"
      "dispatch) and the figures are cached by device and driver version; placement uses them.\n"
      "Examples: inferctl devices --local\n"
      "          inferctl devices --local --opencl-types gpu --json");

  BenchArgs bench;
  CLI::Option *benchTimeout = nullptr, *benchPriority = nullptr;
  auto* benchCmd = app.add_subcommand(
      "bench",
      "Send N requests from C concurrent clients to inferd and print latency percentiles and throughput; "
      "with --local, benchmark a .tflite file in this process (load, first inference, warm-up, timing statistics, "
      "memory, --profile per operator)");
  benchCmd->add_option("model", bench.model, "Model name in inferd, or path to a .tflite file with --local")
      ->required();
  benchCmd->add_option("-i,--input", bench.inputs,
                       "NAME=FILE.npy per input, as for run (default: zeros; with --local see --fill)")
      ->take_all();
  auto* benchRequests = benchCmd->add_option("-n,--requests", bench.requests, "Number of requests")
                            ->check(CLI::Range(1, 100000000))
                            ->capture_default_str();
  auto* benchConcurrency =
      benchCmd->add_option("-c,--concurrency", bench.concurrency, "Concurrent clients, each with its own connection")
          ->check(CLI::Range(1, 1024))
          ->capture_default_str();
  benchCmd->add_flag("--json", bench.json, "Print one JSON object instead of text");
  addRequestOptions(benchCmd, &bench.request, &benchTimeout, &benchPriority);
  benchCmd->add_flag("--local", bench.local, "Run in this process on the cpu device (no daemon)");
  auto* benchThreads = benchCmd->add_option("--threads", bench.threads, "With --local: kernel threads (default 1)")
                           ->check(CLI::Range(1, 256));
  auto* benchRuns = benchCmd->add_option("--runs", bench.runs, "With --local: timed runs (default 50)")
                        ->check(CLI::Range(1, 100000000));
  auto* benchWarmup =
      benchCmd->add_option("--warmup", bench.warmup, "With --local: warm-up runs, the first one reported (default 1)")
          ->check(CLI::Range(1, 100000000));
  auto* benchDuration =
      benchCmd->add_option("--duration", bench.durationSeconds,
                           "With --local: time runs for S seconds instead (with --runs: whichever ends first)")
          ->check(CLI::PositiveNumber)
          ->type_name("S");
  auto* benchFill =
      benchCmd
          ->add_option("--fill", bench.fill,
                       "With --local and no --input: random (the same values every run: floats in [-1, 1), 8/16-bit "
                       "integers over their range, INT32/INT64 zero) or zeros (default random)")
          ->check(CLI::IsMember({"random", "zeros"}));
  auto* benchReference = benchCmd->add_flag("--reference-kernels", bench.referenceKernels,
                                            "With --local: the portable reference kernels only");
  auto* benchDevice = benchCmd->add_option("--device", bench.device,
                                           "With --local: run on this device; ops it lacks run on the cpu");
  auto* benchStrict =
      benchCmd->add_flag("--strict", bench.strict, "With --local --device: fail unless the device runs every op");
  auto* benchProfile = benchCmd->add_flag("--profile", bench.profile,
                                          "With --local: per-operator table (mean over the timed runs), sums by op "
                                          "type and by layer class with GFLOP/s");
  benchCmd->footer(
      "Examples: inferctl bench face_detection_short_range -n 1000 -c 4\n"
      "          inferctl bench face.tflite --local --threads 2 --runs 100 --profile\n"
      "          inferctl bench face.tflite --local --duration 10 --json");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (inspectCmd->parsed()) {
    if (!inspect.listOps && inspect.model.empty()) return fail("inspect needs a MODEL path (or --ops)");
    if (!inspect.placement && (inspectDevice->count() > 0 || inspectStrict->count() > 0)) {
      return fail("--device and --strict go with inspect --placement");
    }
    if (inspect.strict && inspect.device.empty()) return fail("--strict needs --device NAME");
    return inspectCommand(inspect);
  }
  if (devicesCmd->parsed()) {
    devices.socket = socket;
    return devicesCommand(devices);
  }
  if (runCmd->parsed()) {
    run.socket = socket;
    run.request.hasTimeout = runTimeout->count() > 0;
    run.request.hasPriority = runPriority->count() > 0;
    if (run.local && (run.request.hasTimeout || run.request.hasPriority)) {
      return fail("--timeout-us and --priority are for the daemon's queue; drop them with --local");
    }
    if (run.profile && !run.local) return fail("--profile applies to --local runs");
    if (run.profile && !run.dumpDir.empty()) return fail("--profile and --dump-tensors do not go together");
    if (!run.local && (runDevice->count() > 0 || runStrict->count() > 0)) {
      return fail("--device and --strict apply to --local runs (the daemon places models by their config)");
    }
    if (run.strict && run.device.empty()) return fail("--strict needs --device NAME");
    if (!run.device.empty() && !run.dumpDir.empty()) return fail("--dump-tensors runs on the cpu; drop --device");
    return runCommand(run);
  }
  if (modelsCmd->parsed()) {
    models.socket = socket;
    return modelsCommand(models);
  }
  if (loadCmd->parsed()) {
    load.socket = socket;
    return loadCommand(load);
  }
  if (unloadCmd->parsed()) {
    unload.socket = socket;
    return unloadCommand(unload);
  }
  if (statusCmd->parsed()) {
    status.socket = socket;
    return statusCommand(status);
  }
  if (benchCmd->parsed()) {
    bench.socket = socket;
    bench.request.hasTimeout = benchTimeout->count() > 0;
    bench.request.hasPriority = benchPriority->count() > 0;
    if (bench.local) {
      if (benchRequests->count() > 0 || benchConcurrency->count() > 0 || bench.request.hasTimeout ||
          bench.request.hasPriority) {
        return fail("-n, -c, --timeout-us and --priority are for bench against the daemon; with --local use "
                    "--runs, --duration and --threads");
      }
      if (benchDuration->count() > 0 && benchRuns->count() == 0) bench.runs = 0;  // the duration decides
      if (bench.strict && bench.device.empty()) return fail("--strict needs --device NAME");
      return benchLocalCommand(bench);
    }
    for (const CLI::Option* o : {benchThreads, benchRuns, benchWarmup, benchDuration, benchFill, benchReference,
                                benchProfile, benchDevice, benchStrict}) {
      if (o->count() > 0) return fail(fmt::format("{} applies to bench --local", o->get_name()));
    }
    return benchCommand(bench);
  }
  return 1;
}
