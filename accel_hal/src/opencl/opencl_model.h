// The opencl driver's operators: which ones it runs (a check shared by
// supportedOps and prepare, so that what it claims it prepares), the
// per-device runtime (context, queue, the compiled program, cached on disk
// by device, driver version, source hash and build options) and the
// prepared model that keeps every tensor of a partition in device memory.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "cl_util.h"
#include "inferd/hal/device.h"

namespace inferd::hal {

// How the device's program was obtained.
struct OpenClProgramInfo {
  bool fromCache = false;  // loaded as a binary from the cache
  double buildMs = 0;      // compile (or load) time
  std::string cacheFile;   // empty when not cached
  std::string cacheNote;   // why the cache was not used, when it was not
};

class OpenClRuntime {
 public:
  // Creates the context and queue and builds (or loads from
  // <cacheDir>/opencl/) the operator program.
  static Result<std::shared_ptr<OpenClRuntime>> create(cl_platform_id platform, cl_device_id device,
                                                       const DeviceInfo& info, const std::string& cacheDir);
  ~OpenClRuntime();
  cl_context context() const { return context_; }
  cl_command_queue queue() const { return queue_; }
  cl_program program() const { return program_; }
  cl_device_id device() const { return device_; }
  const OpenClProgramInfo& programInfo() const { return programInfo_; }
  // Serializes use of the queue by this device's prepared models.
  std::mutex& queueMutex() { return queueMu_; }

 private:
  OpenClRuntime() = default;
  cl_device_id device_ = nullptr;
  cl_context context_ = nullptr;
  cl_command_queue queue_ = nullptr;
  cl_program program_ = nullptr;
  OpenClProgramInfo programInfo_;
  std::mutex queueMu_;
};

// "" when the opencl driver runs operator `op` of `sg`, else why not.
std::string openClWhyUnsupported(const engine::Subgraph& sg, const engine::OperatorInfo& op);

// Prepares subgraph 0 (or the signature's subgraph) of `model`; every
// operator must pass openClWhyUnsupported.
Result<std::unique_ptr<PreparedModel>> prepareOnOpenCl(std::shared_ptr<OpenClRuntime> runtime,
                                                       std::shared_ptr<const engine::Model> model,
                                                       const PrepareOptions& options, const std::string& deviceName);

}  // namespace inferd::hal
