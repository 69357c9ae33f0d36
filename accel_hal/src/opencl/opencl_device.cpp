// The `opencl` driver: enumeration of the ICD loader's platforms and devices,
// the checks that refuse a device (too old, unavailable, no compiler, a type
// the config excludes) and calibration with our own OpenCL C kernels.
// The operators it runs are in opencl_model.cpp.
#define CL_TARGET_OPENCL_VERSION 120
#include "opencl_device.h"

#include <CL/cl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <utility>

#include "../calibration.h"
#include "cl_util.h"
#include "opencl_model.h"

namespace inferd::hal {

namespace {

// "OpenCL 1.2 pocl ..." -> 12; 0 when unreadable.
int openClVersion(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "OpenCL %d.%d", &major, &minor) != 2) return 0;
  return major * 10 + minor;
}

const char* typeName(cl_device_type t) {
  if ((t & CL_DEVICE_TYPE_GPU) != 0) return "gpu";
  if ((t & CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
  if ((t & CL_DEVICE_TYPE_CPU) != 0) return "cpu";
  return "other";
}

DeviceKind kindOf(cl_device_type t) {
  if ((t & CL_DEVICE_TYPE_GPU) != 0) return DeviceKind::kGpu;
  if ((t & CL_DEVICE_TYPE_ACCELERATOR) != 0) return DeviceKind::kNpu;
  // PoCL's device: OpenCL on the host CPU, served by the opencl driver.
  return DeviceKind::kCpu;
}

// The calibration kernels. `conv3x3` is a direct NHWC convolution (OHWI
// filter, SAME padding, stride 1), one work item per output value; `nothing`
// measures what a launch costs.
constexpr const char* kCalibrationSource = R"CLC(
__kernel void conv3x3(__global const float* in, __global const float* filt, __global const float* bias,
                      __global float* out, int size, int channels) {
  const int oc = get_global_id(0);
  const int x = get_global_id(1);
  const int y = get_global_id(2);
  float acc = bias[oc];
  for (int ky = 0; ky < 3; ++ky) {
    const int iy = y + ky - 1;
    if (iy < 0 || iy >= size) continue;
    for (int kx = 0; kx < 3; ++kx) {
      const int ix = x + kx - 1;
      if (ix < 0 || ix >= size) continue;
      __global const float* ip = in + (iy * size + ix) * channels;
      __global const float* fp = filt + ((oc * 3 + ky) * 3 + kx) * channels;
      for (int ic = 0; ic < channels; ++ic) acc += ip[ic] * fp[ic];
    }
  }
  out[(y * size + x) * channels + oc] = acc;
}
__kernel void nothing(__global float* p) {}
)CLC";

class OpenClDevice : public Device {
 public:
  OpenClDevice(cl_platform_id platform, cl_device_id device, DeviceInfo info)
      : platform_(platform), device_(device), info_(std::move(info)) {}

  std::string name() const override { return info_.name; }
  DeviceKind kind() const override { return info_.kind; }
  std::string version() const override { return info_.driverVersion; }
  DeviceInfo info() const override {
    DeviceInfo out = info_;
    if (auto p = programInfo()) {
      out.details += p->fromCache ? fmt::format("; program loaded from the cache in {:.1f} ms", p->buildMs)
                                  : fmt::format("; program built in {:.1f} ms{}", p->buildMs,
                                                p->cacheFile.empty() ? "" : " (cached)");
      if (!p->cacheNote.empty()) out.details += " (" + p->cacheNote + ")";
    }
    return out;
  }

  std::vector<OpSupport> supportedOps(const engine::Model& model, int subgraph) const override {
    std::vector<OpSupport> out;
    if (subgraph < 0 || static_cast<size_t>(subgraph) >= model.subgraphs().size()) return out;
    const engine::Subgraph& sg = model.subgraphs()[static_cast<size_t>(subgraph)];
    for (size_t i = 0; i < sg.operators.size(); ++i) {
      OpSupport s;
      s.opIndex = static_cast<int>(i);
      s.reason = sg.operators[i].folded ? std::string() : openClWhyUnsupported(sg, sg.operators[i]);
      s.supported = s.reason.empty();
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<std::unique_ptr<PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                 const PrepareOptions& options) override {
    if (!model) return Status(StatusCode::kInvalidArgument, "no model given");
    std::shared_ptr<OpenClRuntime> rt;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!runtime_) {
        auto created = OpenClRuntime::create(platform_, device_, info_, options.cacheDir);
        if (!created) return created.status().withContext(fmt::format("device {}", info_.name));
        runtime_ = std::move(created).value();
      }
      rt = runtime_;
    }
    return prepareOnOpenCl(std::move(rt), std::move(model), options, info_.name);
  }

  // How the operator program was obtained (after the first prepare).
  std::optional<OpenClProgramInfo> programInfo() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!runtime_) return std::nullopt;
    return runtime_->programInfo();
  }

  Result<Calibration> calibrate() override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto start = CalibrationClock::now();
    cl_int err = CL_SUCCESS;
    const cl_context_properties props[] = {CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(platform_),
                                           0};
    ClContext ctx(clCreateContext(props, 1, &device_, nullptr, nullptr, &err));
    if (err != CL_SUCCESS) return clError(err, "clCreateContext");
    ClQueue queue(clCreateCommandQueue(ctx.get(), device_, 0, &err));
    if (err != CL_SUCCESS) return clError(err, "clCreateCommandQueue");
    const char* src = kCalibrationSource;
    ClProgram program(clCreateProgramWithSource(ctx.get(), 1, &src, nullptr, &err));
    if (err != CL_SUCCESS) return clError(err, "clCreateProgramWithSource");
    err = clBuildProgram(program.get(), 1, &device_, "-cl-std=CL1.2", nullptr, nullptr);
    if (err != CL_SUCCESS) {
      size_t size = 0;
      clGetProgramBuildInfo(program.get(), device_, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size);
      std::string log(size, '\0');
      clGetProgramBuildInfo(program.get(), device_, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr);
      return makeError(StatusCode::kInternal, "opencl: building the calibration kernels failed ({}): {}",
                       clErrorName(err), log.substr(0, 2000));
    }
    ClKernel conv(clCreateKernel(program.get(), "conv3x3", &err));
    if (err != CL_SUCCESS) return clError(err, "clCreateKernel(conv3x3)");
    ClKernel nothing(clCreateKernel(program.get(), "nothing", &err));
    if (err != CL_SUCCESS) return clError(err, "clCreateKernel(nothing)");

    const int size = kCalibrationSize;
    const int channels = kCalibrationChannels;
    std::vector<float> input(static_cast<size_t>(size) * size * channels);
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(static_cast<int>(i % 13) - 6) / 8.f;
    std::vector<float> filter(static_cast<size_t>(channels) * 9 * channels);
    for (size_t i = 0; i < filter.size(); ++i) filter[i] = static_cast<float>(static_cast<int>(i % 17) - 8) / 64.f;
    std::vector<float> bias(static_cast<size_t>(channels), 0.125f);
    std::vector<float> output(input.size());
    auto buffer = [&](cl_mem_flags flags, size_t bytes, void* host) -> Result<ClMem> {
      cl_int e = CL_SUCCESS;
      ClMem m(clCreateBuffer(ctx.get(), flags, bytes, host, &e));
      if (e != CL_SUCCESS) return clError(e, "clCreateBuffer");
      return m;
    };
    const cl_mem_flags ro = CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR;
    auto inBuf = buffer(ro, input.size() * sizeof(float), input.data());
    if (!inBuf) return inBuf.status();
    auto filterBuf = buffer(ro, filter.size() * sizeof(float), filter.data());
    if (!filterBuf) return filterBuf.status();
    auto biasBuf = buffer(ro, bias.size() * sizeof(float), bias.data());
    if (!biasBuf) return biasBuf.status();
    auto outBuf = buffer(CL_MEM_WRITE_ONLY, output.size() * sizeof(float), nullptr);
    if (!outBuf) return outBuf.status();
    const cl_mem args[] = {inBuf.value().get(), filterBuf.value().get(), biasBuf.value().get(),
                           outBuf.value().get()};
    for (cl_uint i = 0; i < 4; ++i) INFERD_CL_CHECK(clSetKernelArg(conv.get(), i, sizeof(cl_mem), &args[i]), "clSetKernelArg");
    INFERD_CL_CHECK(clSetKernelArg(conv.get(), 4, sizeof(int), &size), "clSetKernelArg");
    INFERD_CL_CHECK(clSetKernelArg(conv.get(), 5, sizeof(int), &channels), "clSetKernelArg");
    INFERD_CL_CHECK(clSetKernelArg(nothing.get(), 0, sizeof(cl_mem), &args[3]), "clSetKernelArg");

    Calibration c;
    const size_t global[3] = {static_cast<size_t>(channels), static_cast<size_t>(size), static_cast<size_t>(size)};
    std::vector<double> seconds;
    for (int r = 0; r <= 5; ++r) {
      const auto t0 = CalibrationClock::now();
      INFERD_CL_CHECK(clEnqueueNDRangeKernel(queue.get(), conv.get(), 3, nullptr, global, nullptr, 0, nullptr, nullptr),
                      "clEnqueueNDRangeKernel(conv3x3)");
      INFERD_CL_CHECK(clFinish(queue.get()), "clFinish");
      if (r > 0) seconds.push_back(secondsSince(t0));
    }
    c.convGflops = kCalibrationConvFlops / median(seconds) / 1e9;
    // The device must compute what it is timed on: check a sample of the
    // outputs against the host.
    INFERD_CL_CHECK(clEnqueueReadBuffer(queue.get(), outBuf.value().get(), CL_TRUE, 0, output.size() * sizeof(float),
                                        output.data(), 0, nullptr, nullptr),
                    "clEnqueueReadBuffer");
    for (size_t sample = 0; sample < output.size(); sample += 997) {
      const int oc = static_cast<int>(sample % static_cast<size_t>(channels));
      const int x = static_cast<int>((sample / static_cast<size_t>(channels)) % static_cast<size_t>(size));
      const int y = static_cast<int>(sample / (static_cast<size_t>(channels) * static_cast<size_t>(size)));
      double want = bias[static_cast<size_t>(oc)];
      double magnitude = std::fabs(want);
      for (int ky = 0; ky < 3; ++ky) {
        for (int kx = 0; kx < 3; ++kx) {
          const int iy = y + ky - 1, ix = x + kx - 1;
          if (iy < 0 || iy >= size || ix < 0 || ix >= size) continue;
          for (int ic = 0; ic < channels; ++ic) {
            const double p = static_cast<double>(input[static_cast<size_t>((iy * size + ix) * channels + ic)]) *
                             filter[static_cast<size_t>(((oc * 3 + ky) * 3 + kx) * channels + ic)];
            want += p;
            magnitude += std::fabs(p);
          }
        }
      }
      if (std::fabs(output[sample] - want) > 1e-5 * magnitude + 1e-6) {
        return makeError(StatusCode::kInternal,
                         "opencl: device {} computed the calibration convolution wrongly (output {}: {} instead of {})",
                         info_.name, sample, output[sample], want);
      }
    }

    std::vector<double> launches;
    const size_t one = 1;
    for (int r = 0; r <= 50; ++r) {
      const auto t0 = CalibrationClock::now();
      INFERD_CL_CHECK(clEnqueueNDRangeKernel(queue.get(), nothing.get(), 1, nullptr, &one, nullptr, 0, nullptr, nullptr),
                      "clEnqueueNDRangeKernel(nothing)");
      INFERD_CL_CHECK(clFinish(queue.get()), "clFinish");
      if (r > 0) launches.push_back(secondsSince(t0));
    }
    c.dispatchMicros = median(launches) * 1e6;

    auto from = buffer(CL_MEM_READ_WRITE, kCalibrationCopyBytes, nullptr);
    if (!from) return from.status();
    auto to = buffer(CL_MEM_READ_WRITE, kCalibrationCopyBytes, nullptr);
    if (!to) return to.status();
    const uint8_t pattern = 1;
    INFERD_CL_CHECK(clEnqueueFillBuffer(queue.get(), from.value().get(), &pattern, 1, 0, kCalibrationCopyBytes, 0,
                                        nullptr, nullptr),
                    "clEnqueueFillBuffer");
    INFERD_CL_CHECK(clFinish(queue.get()), "clFinish");
    std::vector<double> copies;
    for (int r = 0; r <= 5; ++r) {
      const auto t0 = CalibrationClock::now();
      INFERD_CL_CHECK(clEnqueueCopyBuffer(queue.get(), from.value().get(), to.value().get(), 0, 0,
                                          kCalibrationCopyBytes, 0, nullptr, nullptr),
                      "clEnqueueCopyBuffer");
      INFERD_CL_CHECK(clFinish(queue.get()), "clFinish");
      if (r > 0) copies.push_back(secondsSince(t0));
    }
    c.copyGBps = static_cast<double>(kCalibrationCopyBytes) / median(copies) / 1e9;
    c.measuredAt = utcNow();
    c.tookSeconds = secondsSince(start);
    return c;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<OpenClRuntime> runtime_;  // made by the first prepare
  cl_platform_id platform_;
  cl_device_id device_;
  DeviceInfo info_;
};

}  // namespace

bool openClBuilt() { return true; }

OpenClEnumeration enumerateOpenClDevices(const std::vector<std::string>& types) {
  OpenClEnumeration out;
  int index = 0;
  auto nextName = [&] { return index++ == 0 ? std::string("opencl") : fmt::format("opencl{}", index - 1); };
  cl_uint numPlatforms = 0;
  const cl_int err = clGetPlatformIDs(0, nullptr, &numPlatforms);
  if (err != CL_SUCCESS || numPlatforms == 0) {
    out.refused.push_back(refusedOpenClDevice(
        nextName(), err != CL_SUCCESS ? fmt::format("no OpenCL platform (clGetPlatformIDs: {} {}; is an ICD "
                                                    "installed in /etc/OpenCL/vendors?)",
                                                    clErrorName(err), err)
                                      : "no OpenCL platform (the ICD loader found none)"));
    return out;
  }
  std::vector<cl_platform_id> platforms(numPlatforms);
  clGetPlatformIDs(numPlatforms, platforms.data(), nullptr);
  for (cl_platform_id p : platforms) {
    cl_uint numDevices = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &numDevices) != CL_SUCCESS || numDevices == 0) continue;
    std::vector<cl_device_id> devices(numDevices);
    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, numDevices, devices.data(), nullptr);
    const std::string platformName = platformString(p, CL_PLATFORM_NAME);
    for (cl_device_id d : devices) {
      DeviceInfo info;
      info.name = nextName();
      const auto type = deviceValue<cl_device_type>(d, CL_DEVICE_TYPE);
      info.kind = kindOf(type);
      info.driver = "opencl";
      info.vendor = deviceString(d, CL_DEVICE_VENDOR);
      info.hardware = deviceString(d, CL_DEVICE_NAME);
      info.deviceVersion = deviceString(d, CL_DEVICE_VERSION);
      info.driverVersion = deviceString(d, CL_DRIVER_VERSION);
      const auto units = deviceValue<cl_uint>(d, CL_DEVICE_MAX_COMPUTE_UNITS);
      const auto memory = deviceValue<cl_ulong>(d, CL_DEVICE_GLOBAL_MEM_SIZE);
      const std::string extensions = deviceString(d, CL_DEVICE_EXTENSIONS);
      const bool fp16 = extensions.find("cl_khr_fp16") != std::string::npos;
      info.details = fmt::format("platform {}, type {}, {} compute units, {} MiB global memory, fp16 {}",
                                 platformName, typeName(type), units, memory >> 20, fp16 ? "yes" : "no");
      const std::string t = typeName(type);
      if (std::find(types.begin(), types.end(), t) == types.end()) {
        info.available = false;
        info.reason = fmt::format("device type {} is not among the OpenCL device types in use ({})", t,
                                  fmt::join(types, ", "));
      } else if (openClVersion(info.deviceVersion) < 12) {
        info.available = false;
        info.reason = fmt::format("needs OpenCL 1.2, the device reports '{}'", info.deviceVersion);
      } else if (deviceValue<cl_bool>(d, CL_DEVICE_AVAILABLE) == CL_FALSE) {
        info.available = false;
        info.reason = "the driver reports the device unavailable";
      } else if (deviceValue<cl_bool>(d, CL_DEVICE_COMPILER_AVAILABLE) == CL_FALSE) {
        info.available = false;
        info.reason = "the driver has no OpenCL C compiler for the device";
      }
      if (info.available) {
        out.devices.push_back(std::make_unique<OpenClDevice>(p, d, std::move(info)));
      } else {
        out.refused.push_back(std::move(info));
      }
    }
  }
  if (out.devices.empty() && out.refused.empty()) {
    out.refused.push_back(
        refusedOpenClDevice(nextName(), fmt::format("the {} OpenCL platform(s) have no devices", numPlatforms)));
  }
  return out;
}

}  // namespace inferd::hal
