// inferctl subcommands. Each returns the process exit code: 0 on success,
// 1 after printing a one-line reason to stderr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inferd::inferctl {

struct InspectArgs {
  std::string model;
  bool listOps = false;  // list the registry's ops instead of a model
  bool placement = false;  // the execution plan op by op
  std::string device;      // with placement: plan for this device (default: every available one)
  bool strict = false;     // with placement: fail unless `device` runs every op
};

// Per-request options sent to the daemon (run, bench).
struct RequestArgs {
  bool hasTimeout = false;
  int64_t timeoutMicros = 0;
  bool hasPriority = false;
  int64_t priority = 0;
};

struct RunArgs {
  std::string model;  // a .tflite path with --local, a model name otherwise
  bool local = false;
  std::vector<std::string> inputs;  // NAME=FILE.npy or FILE.npy
  std::string outputDir;
  int repeat = 1;
  int threads = 1;  // --local: threads of the cpu device's kernel pool
  std::string signature;  // --local: run this signature instead of subgraph 0
  std::string dumpDir;  // --local: write every tensor here (t<index>.npy + tensors.tsv)
  bool referenceKernels = false;  // with dumpDir: portable reference kernels only
  bool profile = false;  // --local: per-operator timing table over the runs
  std::string device;    // --local: run on this device (partitions, cpu for the rest)
  bool strict = false;   // --local with device: fail unless it runs every op
  std::string socket;  // daemon mode; empty = the default socket
  RequestArgs request;
};

struct ModelsArgs {
  std::string socket;
  bool readyOnly = false;
};

struct ModelArgs {  // load, unload
  std::string socket;
  std::string model;
};

struct StatusArgs {
  std::string socket;
  std::string model;  // empty = every model
};

struct BenchArgs {
  std::string socket;
  std::string model;  // a model name in the daemon, or a .tflite path with --local
  std::vector<std::string> inputs;  // as for run; none = zero-filled (daemon) or `fill` (--local)
  bool json = false;
  // Against the daemon:
  int requests = 100;
  int concurrency = 1;
  RequestArgs request;
  // --local (bench_local.cpp):
  bool local = false;
  int threads = 1;
  int warmup = 1;              // warm-up runs; the first is the "first inference"
  int runs = 50;               // timed runs; 0 = as many as durationSeconds allows
  double durationSeconds = 0;  // > 0: stop the timed runs after this long (and at `runs`, if set)
  std::string fill = "random";  // without --input: "random" (fixed seed) or "zeros"
  bool referenceKernels = false;
  bool profile = false;
  std::string device;   // as for run --local
  bool strict = false;
};

struct DevicesArgs {
  std::string socket;
  bool local = false;
  bool calibrate = true;   // measure (or read the cached figures of) each available device
  bool remeasure = false;  // ignore cached figures
  bool noCache = false;    // neither read nor write the cache
  bool json = false;
  std::optional<std::string> openclTypes;  // "gpu,accelerator,cpu"; "" turns OpenCL off
  std::string stateDir;  // where figures are cached; empty: $XDG_CACHE_HOME/inferd or ~/.cache/inferd
};

int inspectCommand(const InspectArgs& args);
int devicesCommand(const DevicesArgs& args);
// Where local mode caches device figures and compiled device programs:
// $XDG_CACHE_HOME/inferd, else ~/.cache/inferd; empty when neither is known.
std::string defaultStateDir();
// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> splitList(const std::string& s);
int runCommand(const RunArgs& args);
int runDaemonCommand(const RunArgs& args);
int modelsCommand(const ModelsArgs& args);
int loadCommand(const ModelArgs& args);
int unloadCommand(const ModelArgs& args);
int statusCommand(const StatusArgs& args);
int benchCommand(const BenchArgs& args);
int benchLocalCommand(const BenchArgs& args);

// Prints "inferctl: error: <message>" to stderr and returns 1.
int fail(const std::string& message);

}  // namespace inferd::inferctl
