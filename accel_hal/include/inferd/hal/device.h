// The accelerator HAL, modeled after NNAPI's: a Device says which ops it can
// run (with a reason when it cannot), prepares a model (or a partition of it)
// into a PreparedModel, and a PreparedModel executes requests with a
// deadline and reports timing. The built-in `cpu` device runs the engine's
// kernels; OpenCL and vendor-plugin devices implement the same interface.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"
#include "inferd/engine/status.h"
#include "inferd/engine/types.h"

namespace inferd::hal {

using engine::Dims;
using engine::ElementType;

enum class DeviceKind { kCpu, kGpu, kDsp, kNpu };
const char* deviceKindName(DeviceKind kind);

enum class Preference { kLowPower, kFastSingleAnswer, kSustainedSpeed };

struct PrepareOptions {
  Preference preference = Preference::kFastSingleAnswer;
  int priority = 0;
  std::string cacheDir;  // where a device may cache compiled artifacts
  // Threads one execution may use (the cpu device's kernel thread pool);
  // 1 runs on the calling thread.
  int numThreads = 1;
  // Run this signature of the model (its subgraph, its inputs and outputs
  // in its order and with its names); empty runs subgraph 0.
  std::string signature;
  // false (the default): every execution starts from the model's initial
  // state — variable tensors such as an LSTM's state are reset before each
  // run, so answers do not depend on earlier requests (of other clients).
  // true: they carry over from run to run, as in a bare TFLite interpreter.
  // Resource variables (VAR_HANDLE/ASSIGN_VARIABLE) always persist.
  bool keepState = false;
  // false: the device's portable reference kernels only (for comparisons;
  // the cpu device's InterpreterOptions::optimizedKernels).
  bool optimizedKernels = true;
  // Time every operator of every execution (PreparedModel::profile()).
  bool profile = false;
  // Largest arena one subgraph may take (engine::InterpreterOptions::
  // maxArenaBytes); 0: no limit.
  size_t maxArenaBytes = 0;
};

struct OpSupport {
  int opIndex = 0;
  bool supported = false;
  std::string reason;  // why not, when !supported
};

struct TensorDesc {
  std::string name;
  ElementType type = ElementType::kFloat32;
  Dims dims;
  engine::QuantParams quant;
};

// Input data passed to execute(); not owned.
struct TensorView {
  ElementType type = ElementType::kFloat32;
  Dims dims;
  const void* data = nullptr;
  size_t bytes = 0;
};

struct OwnedTensor {
  ElementType type = ElementType::kFloat32;
  Dims dims;
  std::vector<uint8_t> data;
};

// When an execution must end. `at` is checked before it starts (expired:
// DEADLINE_EXCEEDED, nothing run); `stop`, when given, is a flag the caller
// sets (from a timer at `at`, on unload, on shutdown) to stop a running
// execution at the next operator boundary: it then returns CANCELLED.
struct Deadline {
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* stop = nullptr;
  static Deadline none() { return {}; }
  static Deadline in(std::chrono::microseconds d) { return {std::chrono::steady_clock::now() + d}; }
  bool expired() const { return std::chrono::steady_clock::now() >= at; }
};

// One operator's share of the executions profiled so far
// (PrepareOptions::profile).
struct OpProfile {
  int opIndex = 0;       // in the prepared subgraph's operators
  std::string op;        // "CONV_2D" or the custom name
  std::string device;    // the device that ran it
  std::string variant;   // the kernel variant the device chose ("xnnpack", "reference", ...)
  uint64_t totalNs = 0;  // summed over the invocations
  uint64_t invocations = 0;
};

struct ExecutionTiming {
  uint64_t computeNs = 0;  // time spent running the graph
  uint64_t totalNs = 0;    // including input/output copies
};

// What one device did for a prepared model (PreparedModel::deviceCounters).
struct DeviceCounters {
  std::string device;
  uint64_t executions = 0;   // executions (of its partitions) it completed
  uint64_t failures = 0;     // prepares and executions it failed
  uint64_t fallbacks = 0;    // of those, run on the cpu instead
  bool retired = false;      // taken out of the plan after repeated failures
  std::string retiredReason;
};

class PreparedModel {
 public:
  virtual ~PreparedModel() = default;
  virtual const std::vector<TensorDesc>& inputs() const = 0;
  virtual const std::vector<TensorDesc>& outputs() const = 0;
  // Runs one request. Inputs are in the model's input order and must match
  // its types and byte sizes; outputs come back in the model's output order.
  // Thread-safe; concurrent calls on one PreparedModel are serialized.
  virtual Status execute(const std::vector<TensorView>& inputs, std::vector<OwnedTensor>* outputs,
                         Deadline deadline = Deadline::none(), ExecutionTiming* timing = nullptr) = 0;
  // Device memory for activations (bytes), for reporting.
  virtual size_t workingBytes() const = 0;
  virtual std::string deviceName() const = 0;
  // Per-operator timing of the executions since prepare or resetProfile(),
  // in run order; empty unless prepared with PrepareOptions::profile.
  virtual std::vector<OpProfile> profile() const { return {}; }
  virtual void resetProfile() {}
  // Per device that serves this model (a partitioned model: every device
  // of its plan); empty when the model runs on one device without fallback.
  virtual std::vector<DeviceCounters> deviceCounters() const { return {}; }
};

// What a device is (DeviceManager::devices() lists one per device, with its
// state).
struct DeviceInfo {
  std::string name;           // unique in the manager: "cpu", "opencl", "opencl1", ...
  DeviceKind kind = DeviceKind::kCpu;
  std::string driver;         // the built-in driver or plugin that serves it: "cpu", "opencl"
  std::string vendor;         // "GenuineIntel", "The pocl project", ...
  std::string hardware;       // the device's own name ("pthread-AMD EPYC ...", "Mali-G78")
  std::string deviceVersion;  // "OpenCL 1.2 PoCL ...", or the engine's version for the cpu
  std::string driverVersion;  // "3.1", ...
  std::string details;        // compute units, memory, extensions that matter
  bool available = true;
  std::string reason;         // why it is refused, when !available
};

// A device's measured capabilities (DeviceManager::calibration): what
// placement compares, instead of anything a driver claims.
struct Calibration {
  // A float 3x3 convolution, NHWC 1x28x28x64 -> 64 channels (57.8 MFLOP),
  // through the device's own convolution path: median GFLOP/s.
  double convGflops = 0;
  // Copying 32 MiB within the device's memory: median GB/s (read + write
  // counted once, as bytes copied per second).
  double copyGBps = 0;
  // Starting and waiting for the smallest unit of work the device runs
  // (an execution of a 1-element model, an empty kernel): median µs.
  double dispatchMicros = 0;
  std::string measuredAt;  // UTC, ISO 8601
  double tookSeconds = 0;  // how long the measurement took
  bool cached = false;     // read back from the state directory
};

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  virtual DeviceKind kind() const = 0;
  virtual std::string version() const = 0;
  // The description listed by the device manager (name, kind, vendor,
  // versions); the default fills name, kind and version.
  virtual DeviceInfo info() const;
  // Measures convGflops, copyGBps and dispatchMicros (takes up to about a
  // second; DeviceManager::calibration caches the result). The default
  // says the device cannot measure itself.
  virtual Result<Calibration> calibrate();
  // One entry per operator of the subgraph.
  virtual std::vector<OpSupport> supportedOps(const engine::Model& model, int subgraph = 0) const = 0;
  virtual Result<std::unique_ptr<PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                         const PrepareOptions& options = {}) = 0;
};

// The built-in CPU device. `resolver` (optional) adds custom ops; it must
// outlive the device.
std::unique_ptr<Device> createCpuDevice(const engine::OpResolver* resolver = nullptr);

// The interface a device serves for subgraph `sg` (or `signature`, when
// given): tensor indices and descriptions (signature names, file shapes)
// of its inputs and outputs, in order.
struct SubgraphInterface {
  std::vector<int32_t> inputIds, outputIds;
  std::vector<TensorDesc> inputs, outputs;
};
SubgraphInterface describeInterface(const engine::Subgraph& sg, const engine::Signature* signature);

// Checks `inputs` against the model's input descriptions; errors name the
// tensor, the expected and the received value.
Status validateInputs(const std::vector<TensorDesc>& expected, const std::vector<TensorView>& inputs);

}  // namespace inferd::hal
