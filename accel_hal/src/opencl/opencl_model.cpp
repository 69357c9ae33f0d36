// The opencl driver's runtime and prepared model. Every tensor of the
// prepared graph lives in a device buffer for the model's lifetime;
// constants are uploaded once at prepare; an execution writes the inputs,
// enqueues each operator's launches (opencl_ops.cpp lowers them) and reads
// the outputs back. Storage is fp32 (PoCL has no cl_khr_fp16).
#include "opencl_model.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <sstream>

#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"
#include "opencl_ops.h"

namespace inferd::hal {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

constexpr const char* kBuildOptions = "-cl-std=CL1.2";

std::string fnv1aHex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

bool makeDirs(const std::string& path) {
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/') cur = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += part + "/";
    if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

std::string buildLog(cl_program program, cl_device_id device) {
  size_t size = 0;
  clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size);
  std::string log(size, '\0');
  if (size > 0) clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr);
  return log.substr(0, 2000);
}

}  // namespace

std::string openClWhyUnsupported(const engine::Subgraph& sg, const engine::OperatorInfo& op) {
  return clops::lower(sg, op, nullptr);
}

Result<std::shared_ptr<OpenClRuntime>> OpenClRuntime::create(cl_platform_id platform, cl_device_id device,
                                                             const DeviceInfo& info, const std::string& cacheDir) {
  std::shared_ptr<OpenClRuntime> rt(new OpenClRuntime());
  rt->device_ = device;
  cl_int err = CL_SUCCESS;
  const cl_context_properties props[] = {CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(platform), 0};
  rt->context_ = clCreateContext(props, 1, &device, nullptr, nullptr, &err);
  if (err != CL_SUCCESS) return clError(err, "clCreateContext");
  rt->queue_ = clCreateCommandQueue(rt->context_, device, 0, &err);
  if (err != CL_SUCCESS) return clError(err, "clCreateCommandQueue");

  const auto start = Clock::now();
  // The cache key: what the binary depends on.
  const std::string key = fnv1aHex(fmt::format("v1|{}|{}|{}|{}|{}|{}", info.vendor, info.hardware, info.deviceVersion,
                                               info.driverVersion, kBuildOptions, clops::kernelSource()));
  std::string file;
  if (!cacheDir.empty()) {
    const std::string dir = cacheDir + "/opencl";
    file = dir + "/ops-" + key + ".bin";
    std::ifstream in(file, std::ios::binary);
    if (in) {
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const size_t size = bytes.size();
      const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
      cl_int status = CL_SUCCESS;
      cl_program p = clCreateProgramWithBinary(rt->context_, 1, &device, &size, &data, &status, &err);
      if (err == CL_SUCCESS && status == CL_SUCCESS &&
          clBuildProgram(p, 1, &device, kBuildOptions, nullptr, nullptr) == CL_SUCCESS) {
        rt->program_ = p;
        rt->programInfo_.fromCache = true;
      } else {
        if (p != nullptr) clReleaseProgram(p);
        rt->programInfo_.cacheNote = fmt::format("the cached binary {} was not accepted; rebuilt", file);
      }
    }
  }
  if (rt->program_ == nullptr) {
    const char* src = clops::kernelSource();
    rt->program_ = clCreateProgramWithSource(rt->context_, 1, &src, nullptr, &err);
    if (err != CL_SUCCESS) return clError(err, "clCreateProgramWithSource");
    err = clBuildProgram(rt->program_, 1, &device, kBuildOptions, nullptr, nullptr);
    if (err != CL_SUCCESS) {
      return makeError(StatusCode::kInternal, "opencl: building the operator kernels failed ({}): {}",
                       clErrorName(err), buildLog(rt->program_, device));
    }
    if (!file.empty()) {
      size_t size = 0;
      if (clGetProgramInfo(rt->program_, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, nullptr) == CL_SUCCESS &&
          size > 0) {
        std::string bytes(size, '\0');
        unsigned char* ptr = reinterpret_cast<unsigned char*>(bytes.data());
        if (clGetProgramInfo(rt->program_, CL_PROGRAM_BINARIES, sizeof ptr, &ptr, nullptr) == CL_SUCCESS &&
            makeDirs(cacheDir + "/opencl")) {
          // Written under a temporary name and renamed: a reader never sees half a file.
          const std::string tmp = file + fmt::format(".tmp{}", ::getpid());
          std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
          out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
          out.close();
          if (out && std::rename(tmp.c_str(), file.c_str()) == 0) {
            rt->programInfo_.cacheFile = file;
          } else {
            std::remove(tmp.c_str());
            rt->programInfo_.cacheNote = fmt::format("cannot write {}", file);
          }
        }
      }
    }
  } else {
    rt->programInfo_.cacheFile = file;
  }
  rt->programInfo_.buildMs = msSince(start);
  return rt;
}

OpenClRuntime::~OpenClRuntime() {
  if (program_ != nullptr) clReleaseProgram(program_);
  if (queue_ != nullptr) clReleaseCommandQueue(queue_);
  if (context_ != nullptr) clReleaseContext(context_);
}

namespace {

// One operator: its launches, created at prepare.
struct ClLaunch {
  ClKernel kernel;  // empty for a copy
  cl_uint dims = 1;
  size_t global[2] = {0, 1};
  size_t local[2] = {0, 0};
  cl_mem copyFrom = nullptr, copyTo = nullptr;
  size_t copyBytes = 0;
};

struct ClStep {
  int opIndex = 0;
  std::string op;
  std::string variant;
  std::vector<ClLaunch> launches;
};

// Completion of the commands enqueued for one execution, signalled by the
// driver's event callback (the shared state outlives an execution that
// stopped waiting at its deadline).
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  cl_int status = CL_COMPLETE;
};

void CL_CALLBACK onComplete(cl_event, cl_int status, void* user) {
  auto* c = static_cast<std::shared_ptr<Completion>*>(user);
  {
    std::lock_guard<std::mutex> lock((*c)->mu);
    (*c)->done = true;
    (*c)->status = status;
  }
  (*c)->cv.notify_all();
  delete c;
}

class OpenClPreparedModel : public PreparedModel {
 public:
  OpenClPreparedModel(std::shared_ptr<OpenClRuntime> rt, std::string device, bool profile)
      : rt_(std::move(rt)), device_(std::move(device)), profile_(profile) {}
  ~OpenClPreparedModel() override {
    std::lock_guard<std::mutex> lock(rt_->queueMutex());
    clFinish(rt_->queue());
  }

  std::vector<TensorDesc> inputDescs, outputDescs;
  std::vector<int32_t> inputIds, outputIds;
  std::map<int32_t, ClMem> buffers;  // by tensor index
  std::vector<ClMem> hostBuffers;    // uploaded kernel arguments (zero biases)
  std::vector<ClStep> steps;
  size_t bytes = 0;

  const std::vector<TensorDesc>& inputs() const override { return inputDescs; }
  const std::vector<TensorDesc>& outputs() const override { return outputDescs; }
  size_t workingBytes() const override { return bytes; }
  std::string deviceName() const override { return device_; }

  std::vector<OpProfile> profile() const override {
    std::lock_guard<std::mutex> lock(profileMu_);
    return profile_ ? opProfile_ : std::vector<OpProfile>{};
  }
  void resetProfile() override {
    std::lock_guard<std::mutex> lock(profileMu_);
    for (OpProfile& p : opProfile_) p.totalNs = p.invocations = 0;
  }

  void initProfile() {
    for (const ClStep& s : steps) opProfile_.push_back({s.opIndex, s.op, device_, "opencl-" + s.variant, 0, 0});
  }

  Status execute(const std::vector<TensorView>& in, std::vector<OwnedTensor>* out, Deadline deadline,
                 ExecutionTiming* timing) override {
    const auto start = Clock::now();
    INFERD_RETURN_IF_ERROR(validateInputs(inputDescs, in));
    std::lock_guard<std::mutex> lock(rt_->queueMutex());
    if (deadline.expired()) return Status(StatusCode::kDeadlineExceeded, "deadline expired before execution started");
    cl_command_queue q = rt_->queue();
    for (size_t i = 0; i < in.size(); ++i) {
      INFERD_CL_CHECK(clEnqueueWriteBuffer(q, buffers.at(inputIds[i]).get(), CL_TRUE, 0, in[i].bytes, in[i].data, 0,
                                           nullptr, nullptr),
                      "clEnqueueWriteBuffer");
    }
    const auto computeStart = Clock::now();
    for (size_t k = 0; k < steps.size(); ++k) {
      if (deadline.stop != nullptr && deadline.stop->load(std::memory_order_relaxed)) {
        return Status(StatusCode::kCancelled, "execution stopped");
      }
      if (deadline.expired()) return Status(StatusCode::kDeadlineExceeded, "deadline expired during execution");
      const auto t0 = Clock::now();
      for (const ClLaunch& l : steps[k].launches) {
        if (l.kernel) {
          INFERD_CL_CHECK(clEnqueueNDRangeKernel(q, l.kernel.get(), l.dims, nullptr, l.global,
                                                 l.local[0] != 0 ? l.local : nullptr, 0, nullptr, nullptr),
                          "clEnqueueNDRangeKernel");
        } else {
          INFERD_CL_CHECK(clEnqueueCopyBuffer(q, l.copyFrom, l.copyTo, 0, 0, l.copyBytes, 0, nullptr, nullptr),
                          "clEnqueueCopyBuffer");
        }
      }
      if (profile_) {
        INFERD_CL_CHECK(clFinish(q), "clFinish");
        std::lock_guard<std::mutex> plock(profileMu_);
        opProfile_[k].totalNs += static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
        opProfile_[k].invocations += 1;
      }
    }
    INFERD_RETURN_IF_ERROR(waitForDevice(q, deadline));
    const auto computeNs = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - computeStart).count());
    out->resize(outputIds.size());
    for (size_t i = 0; i < outputIds.size(); ++i) {
      OwnedTensor& o = (*out)[i];
      o.type = outputDescs[i].type;
      o.dims = outputDescs[i].dims;
      o.data.resize(static_cast<size_t>(engine::numElements(o.dims)) * engine::elementSize(o.type));
      INFERD_CL_CHECK(clEnqueueReadBuffer(q, buffers.at(outputIds[i]).get(), CL_TRUE, 0, o.data.size(),
                                          o.data.data(), 0, nullptr, nullptr),
                      "clEnqueueReadBuffer");
    }
    if (timing != nullptr) {
      timing->computeNs = computeNs;
      timing->totalNs = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    }
    return Status::ok();
  }

 private:
  // Waits for the enqueued commands. Without a deadline or stop flag that is
  // clFinish; with one, the wait ends at the deadline (or on stop) even
  // though OpenCL cannot abort kernels already queued: they complete in the
  // background, and the next execution's commands queue behind them on the
  // in-order queue.
  Status waitForDevice(cl_command_queue q, const Deadline& deadline) {
    const bool bounded = deadline.at != Clock::time_point::max() || deadline.stop != nullptr;
    if (!bounded) {
      INFERD_CL_CHECK(clFinish(q), "clFinish");
      return Status::ok();
    }
    cl_event ev = nullptr;
    INFERD_CL_CHECK(clEnqueueMarkerWithWaitList(q, 0, nullptr, &ev), "clEnqueueMarkerWithWaitList");
    auto done = std::make_shared<Completion>();
    auto* ref = new std::shared_ptr<Completion>(done);
    const cl_int err = clSetEventCallback(ev, CL_COMPLETE, onComplete, ref);
    if (err != CL_SUCCESS) {
      delete ref;
      clReleaseEvent(ev);
      INFERD_CL_CHECK(clFinish(q), "clFinish");
      return Status::ok();
    }
    clFlush(q);
    clReleaseEvent(ev);
    std::unique_lock<std::mutex> lock(done->mu);
    while (!done->done) {
      auto until = deadline.at;
      if (deadline.stop != nullptr) until = std::min(until, Clock::now() + std::chrono::milliseconds(2));
      done->cv.wait_until(lock, until);
      if (done->done) break;
      if (deadline.expired()) {
        return Status(StatusCode::kDeadlineExceeded,
                      "deadline expired during execution (the queued kernels finish in the background)");
      }
      if (deadline.stop != nullptr && deadline.stop->load(std::memory_order_relaxed)) {
        return Status(StatusCode::kCancelled, "execution stopped");
      }
    }
    if (done->status < 0) return clError(done->status, "executing the kernels");
    return Status::ok();
  }

  std::shared_ptr<OpenClRuntime> rt_;
  std::string device_;
  const bool profile_;
  mutable std::mutex profileMu_;
  std::vector<OpProfile> opProfile_;
};

Status setArg(cl_kernel k, cl_uint index, size_t size, const void* value) {
  INFERD_CL_CHECK(clSetKernelArg(k, index, size, value), "clSetKernelArg");
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<PreparedModel>> prepareOnOpenCl(std::shared_ptr<OpenClRuntime> runtime,
                                                       std::shared_ptr<const engine::Model> model,
                                                       const PrepareOptions& options, const std::string& deviceName) {
  int sgIndex = 0;
  const engine::Signature* sig = nullptr;
  if (!options.signature.empty()) {
    sig = model->findSignature(options.signature);
    if (sig == nullptr) return makeError(StatusCode::kInvalidArgument, "the model has no signature '{}'", options.signature);
    sgIndex = sig->subgraphIndex;
  }
  const engine::Subgraph& sg = model->subgraphs()[static_cast<size_t>(sgIndex)];
  std::vector<std::string> refused;
  std::vector<std::pair<size_t, clops::Lowered>> lowered;
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    const engine::OperatorInfo& op = sg.operators[i];
    if (op.folded) continue;
    clops::Lowered l;
    if (std::string why = clops::lower(sg, op, &l); !why.empty()) {
      refused.push_back(fmt::format("op {} ({}): {}", i, op.name(), why));
    } else {
      lowered.emplace_back(i, std::move(l));
    }
  }
  if (!refused.empty()) {
    return makeError(StatusCode::kUnsupported, "device {} cannot run {} operator(s): {}", deviceName, refused.size(),
                     fmt::join(refused, "; "));
  }
  auto pm = std::make_unique<OpenClPreparedModel>(runtime, deviceName, options.profile);
  {
    SubgraphInterface io = describeInterface(sg, sig);
    pm->inputIds = std::move(io.inputIds);
    pm->outputIds = std::move(io.outputIds);
    pm->inputDescs = std::move(io.inputs);
    pm->outputDescs = std::move(io.outputs);
  }
  for (const TensorDesc& d : pm->inputDescs) {
    if (d.type != engine::ElementType::kFloat32) {
      return makeError(StatusCode::kUnsupported, "device {}: input '{}' is {}; FLOAT32 only", deviceName, d.name,
                       engine::elementTypeName(d.type));
    }
  }
  // One device buffer per tensor the graph touches.
  auto bufferFor = [&](int32_t t) -> Result<cl_mem> {
    auto it = pm->buffers.find(t);
    if (it != pm->buffers.end()) return it->second.get();
    if (t < 0 || static_cast<size_t>(t) >= sg.tensors.size()) {
      return makeError(StatusCode::kInvalidModel, "tensor {} does not exist", t);
    }
    const engine::TensorInfo& info = sg.tensors[static_cast<size_t>(t)];
    if (info.type != engine::ElementType::kFloat32) {
      return makeError(StatusCode::kUnsupported, "device {}: tensor '{}' is {}; FLOAT32 only", deviceName, info.name,
                       engine::elementTypeName(info.type));
    }
    const size_t bytes = static_cast<size_t>(engine::numElements(info.shape)) * sizeof(float);
    cl_int err = CL_SUCCESS;
    cl_mem m = info.isConstant
                   ? clCreateBuffer(runtime->context(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                                    const_cast<uint8_t*>(info.data), &err)
                   : clCreateBuffer(runtime->context(), CL_MEM_READ_WRITE, std::max<size_t>(bytes, 4), nullptr, &err);
    if (err != CL_SUCCESS) return clError(err, "clCreateBuffer");
    pm->bytes += bytes;
    pm->buffers.emplace(t, ClMem(m));
    return m;
  };
  for (int32_t t : pm->inputIds) {
    auto b = bufferFor(t);
    if (!b) return b.status();
  }
  for (auto& [opIndex, low] : lowered) {
    ClStep step;
    step.opIndex = static_cast<int>(opIndex);
    step.op = sg.operators[opIndex].name();
    step.variant = low.variant;
    for (const clops::Launch& l : low.launches) {
      ClLaunch cl;
      if (l.kernel.empty()) {
        auto from = bufferFor(l.copyFrom);
        if (!from) return from.status();
        auto to = bufferFor(l.copyTo);
        if (!to) return to.status();
        cl.copyFrom = from.value();
        cl.copyTo = to.value();
        cl.copyBytes = l.copyBytes;
        step.launches.push_back(std::move(cl));
        continue;
      }
      cl_int err = CL_SUCCESS;
      cl.kernel = ClKernel(clCreateKernel(runtime->program(), l.kernel.c_str(), &err));
      if (err != CL_SUCCESS) return clError(err, "clCreateKernel");
      cl.dims = l.dims;
      cl.global[0] = l.global[0];
      cl.global[1] = l.global[1];
      cl.local[0] = l.local[0];
      cl.local[1] = l.local[1];
      cl_kernel k = cl.kernel.get();
      for (size_t a = 0; a < l.args.size(); ++a) {
        const clops::Arg& arg = l.args[a];
        const auto index = static_cast<cl_uint>(a);
        switch (arg.type) {
          case clops::Arg::Type::kTensor: {
            auto m = bufferFor(arg.tensor);
            if (!m) return m.status();
            const cl_mem mem = m.value();
            INFERD_RETURN_IF_ERROR(setArg(k, index, sizeof(cl_mem), &mem));
            break;
          }
          case clops::Arg::Type::kHostFloats: {
            cl_mem mem = clCreateBuffer(runtime->context(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                        arg.host.size() * sizeof(float), const_cast<float*>(arg.host.data()), &err);
            if (err != CL_SUCCESS) return clError(err, "clCreateBuffer");
            pm->hostBuffers.emplace_back(mem);
            pm->bytes += arg.host.size() * sizeof(float);
            INFERD_RETURN_IF_ERROR(setArg(k, index, sizeof(cl_mem), &mem));
            break;
          }
          case clops::Arg::Type::kInt: INFERD_RETURN_IF_ERROR(setArg(k, index, sizeof(cl_int), &arg.i)); break;
          case clops::Arg::Type::kFloat: INFERD_RETURN_IF_ERROR(setArg(k, index, sizeof(cl_float), &arg.f)); break;
          case clops::Arg::Type::kInt4: INFERD_RETURN_IF_ERROR(setArg(k, index, sizeof(cl_int4), &arg.i4)); break;
        }
      }
      step.launches.push_back(std::move(cl));
    }
    pm->steps.push_back(std::move(step));
  }
  for (int32_t t : pm->outputIds) {
    if (pm->buffers.find(t) == pm->buffers.end()) {
      return makeError(StatusCode::kUnsupported, "device {}: output tensor {} is produced by no operator", deviceName,
                       t);
    }
    if (sg.tensors[static_cast<size_t>(t)].isConstant) {
      return makeError(StatusCode::kUnsupported, "device {}: output tensor {} is a constant", deviceName, t);
    }
  }
  pm->initProfile();
  return std::unique_ptr<PreparedModel>(std::move(pm));
}

}  // namespace inferd::hal
