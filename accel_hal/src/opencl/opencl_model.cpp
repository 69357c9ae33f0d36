// The opencl driver's operators and prepared model. Every tensor of the
// prepared graph lives in a device buffer for the model's lifetime;
// constants are uploaded once at prepare; an execution writes the inputs,
// enqueues one kernel (or copy) per operator and reads the outputs back.
// Float32 only (the devices in use, PoCL included, have no cl_khr_fp16
// need here: storage stays fp32).
#include "opencl_model.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"
#include "tflite_generated.h"

namespace inferd::hal {

namespace {

namespace fb = ::inferd::tflite;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Our OpenCL C 1.2 kernels. Elementwise ops index NHWC tensors of rank <= 4
// padded to 4 dimensions; a broadcast operand has stride 0 along the
// dimensions it is broadcast in.
constexpr const char* kOpsSource = R"CLC(
float activate(float v, int act) {
  switch (act) {
    case 1: return fmax(v, 0.0f);
    case 2: return fmin(fmax(v, -1.0f), 1.0f);
    case 3: return fmin(fmax(v, 0.0f), 6.0f);
    case 4: return tanh(v);
    default: return v;
  }
}

// op: 0 ADD, 1 SUB, 2 MUL, 3 DIV, 4 MAXIMUM, 5 MINIMUM, 6 SQUARED_DIFFERENCE
__kernel void binary(__global const float* a, __global const float* b, __global float* out, int op, int act,
                     int4 shape, int4 sa, int4 sb) {
  const int i = get_global_id(0);
  int r = i;
  const int d3 = r % shape.w; r /= shape.w;
  const int d2 = r % shape.z; r /= shape.z;
  const int d1 = r % shape.y;
  const int d0 = r / shape.y;
  const float x = a[d0 * sa.x + d1 * sa.y + d2 * sa.z + d3 * sa.w];
  const float y = b[d0 * sb.x + d1 * sb.y + d2 * sb.z + d3 * sb.w];
  float v;
  switch (op) {
    case 0: v = x + y; break;
    case 1: v = x - y; break;
    case 2: v = x * y; break;
    case 3: v = x / y; break;
    case 4: v = fmax(x, y); break;
    case 5: v = fmin(x, y); break;
    default: v = (x - y) * (x - y); break;
  }
  out[i] = activate(v, act);
}

// op: 0 RELU, 1 RELU6, 2 RELU_N1_TO_1, 3 LOGISTIC, 4 TANH, 5 HARD_SWISH,
//     6 ABS, 7 NEG, 8 EXP, 9 SQRT, 10 RSQRT, 11 SQUARE
__kernel void unary(__global const float* in, __global float* out, int op) {
  const int i = get_global_id(0);
  const float x = in[i];
  float v;
  switch (op) {
    case 0: v = fmax(x, 0.0f); break;
    case 1: v = fmin(fmax(x, 0.0f), 6.0f); break;
    case 2: v = fmin(fmax(x, -1.0f), 1.0f); break;
    case 3: v = 1.0f / (1.0f + exp(-x)); break;
    case 4: v = tanh(x); break;
    case 5: v = x * fmin(fmax(x + 3.0f, 0.0f), 6.0f) / 6.0f; break;
    case 6: v = fabs(x); break;
    case 7: v = -x; break;
    case 8: v = exp(x); break;
    case 9: v = sqrt(x); break;
    case 10: v = rsqrt(x); break;
    default: v = x * x; break;
  }
  out[i] = v;
}
)CLC";

constexpr const char* kBuildOptions = "-cl-std=CL1.2";

enum class Kind { kBinary, kUnary, kCopy };

struct OpForm {
  Kind kind;
  int code;  // the kernel's op number
};

bool formOf(int32_t builtin, OpForm* form) {
  using B = fb::BuiltinOperator;
  switch (static_cast<B>(builtin)) {
    case B::ADD: *form = {Kind::kBinary, 0}; return true;
    case B::SUB: *form = {Kind::kBinary, 1}; return true;
    case B::MUL: *form = {Kind::kBinary, 2}; return true;
    case B::DIV: *form = {Kind::kBinary, 3}; return true;
    case B::MAXIMUM: *form = {Kind::kBinary, 4}; return true;
    case B::MINIMUM: *form = {Kind::kBinary, 5}; return true;
    case B::SQUARED_DIFFERENCE: *form = {Kind::kBinary, 6}; return true;
    case B::RELU: *form = {Kind::kUnary, 0}; return true;
    case B::RELU6: *form = {Kind::kUnary, 1}; return true;
    case B::RELU_N1_TO_1: *form = {Kind::kUnary, 2}; return true;
    case B::LOGISTIC: *form = {Kind::kUnary, 3}; return true;
    case B::TANH: *form = {Kind::kUnary, 4}; return true;
    case B::HARD_SWISH: *form = {Kind::kUnary, 5}; return true;
    case B::ABS: *form = {Kind::kUnary, 6}; return true;
    case B::NEG: *form = {Kind::kUnary, 7}; return true;
    case B::EXP: *form = {Kind::kUnary, 8}; return true;
    case B::SQRT: *form = {Kind::kUnary, 9}; return true;
    case B::RSQRT: *form = {Kind::kUnary, 10}; return true;
    case B::SQUARE: *form = {Kind::kUnary, 11}; return true;
    case B::RESHAPE:
    case B::SQUEEZE:
    case B::EXPAND_DIMS: *form = {Kind::kCopy, 0}; return true;
    default: return false;
  }
}

int fusedActivation(const engine::OperatorInfo& op) {
  const auto* fop = static_cast<const fb::Operator*>(op.fbOperator);
  if (fop == nullptr) return 0;
  using B = fb::BuiltinOperator;
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  switch (static_cast<B>(op.builtinCode)) {
    case B::ADD:
      if (auto* o = fop->builtin_options_as_AddOptions()) act = o->fused_activation_function();
      break;
    case B::SUB:
      if (auto* o = fop->builtin_options_as_SubOptions()) act = o->fused_activation_function();
      break;
    case B::MUL:
      if (auto* o = fop->builtin_options_as_MulOptions()) act = o->fused_activation_function();
      break;
    case B::DIV:
      if (auto* o = fop->builtin_options_as_DivOptions()) act = o->fused_activation_function();
      break;
    default: break;
  }
  return static_cast<int>(act);
}

const engine::TensorInfo* tensorAt(const engine::Subgraph& sg, int32_t t) {
  if (t < 0 || static_cast<size_t>(t) >= sg.tensors.size()) return nullptr;
  return &sg.tensors[static_cast<size_t>(t)];
}

// Broadcast shape of a and b (rank <= 4), or false.
bool broadcastShape(const engine::Dims& a, const engine::Dims& b, engine::Dims* out) {
  const size_t rank = std::max(a.size(), b.size());
  out->assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    (*out)[i] = std::max(da, db);
  }
  return true;
}

// Dims padded to 4 on the left.
std::array<int32_t, 4> pad4(const engine::Dims& d) {
  std::array<int32_t, 4> out{1, 1, 1, 1};
  for (size_t i = 0; i < d.size(); ++i) out[4 - d.size() + i] = d[i];
  return out;
}

// Strides of `d` (broadcast into `shape`): 0 where d is 1 and shape is not.
cl_int4 broadcastStrides(const engine::Dims& d, const std::array<int32_t, 4>& shape) {
  const std::array<int32_t, 4> p = pad4(d);
  std::array<int32_t, 4> strides{};
  int32_t s = 1;
  for (int i = 3; i >= 0; --i) {
    strides[static_cast<size_t>(i)] = (p[static_cast<size_t>(i)] == 1 && shape[static_cast<size_t>(i)] != 1) ? 0 : s;
    s *= p[static_cast<size_t>(i)];
  }
  cl_int4 v;
  for (int i = 0; i < 4; ++i) v.s[i] = strides[static_cast<size_t>(i)];
  return v;
}

std::string checkFloatTensor(const engine::Subgraph& sg, int32_t t, const char* role) {
  const engine::TensorInfo* info = tensorAt(sg, t);
  if (info == nullptr) return fmt::format("its {} is missing", role);
  if (info->type != engine::ElementType::kFloat32) {
    return fmt::format("its {} '{}' is {}; the opencl driver runs FLOAT32 tensors only", role, info->name,
                       engine::elementTypeName(info->type));
  }
  if (info->isVariable) return fmt::format("its {} '{}' is a variable tensor", role, info->name);
  if (info->isSparse) return fmt::format("its {} '{}' is sparse", role, info->name);
  if (info->shape.size() > 4) return fmt::format("its {} '{}' has rank {} (at most 4)", role, info->name, info->shape.size());
  if (engine::numElements(info->shape) <= 0) return fmt::format("its {} '{}' is empty", role, info->name);
  if (engine::numElements(info->shape) > (int64_t{1} << 30)) return fmt::format("its {} '{}' is too large", role, info->name);
  if (info->isConstant && (info->data == nullptr || info->bytes != static_cast<size_t>(engine::numElements(info->shape)) * 4)) {
    return fmt::format("its {} '{}' is a constant without data of its size", role, info->name);
  }
  return {};
}

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
  OpForm form{};
  if (!op.customName.empty() || !formOf(op.builtinCode, &form)) {
    return fmt::format("the opencl driver has no kernel for {}", op.name());
  }
  if (!op.calledSubgraphs.empty()) return "it calls subgraphs";
  const size_t wantInputs = form.kind == Kind::kBinary ? 2 : 1;
  const size_t haveInputs = form.kind == Kind::kCopy ? std::min<size_t>(op.inputs.size(), 1) : op.inputs.size();
  if (haveInputs != wantInputs || op.outputs.size() != 1) {
    return fmt::format("it has {} inputs and {} outputs, the opencl kernel takes {} and 1", op.inputs.size(),
                       op.outputs.size(), wantInputs);
  }
  for (size_t i = 0; i < wantInputs; ++i) {
    if (std::string why = checkFloatTensor(sg, op.inputs[i], "input"); !why.empty()) return why;
  }
  if (std::string why = checkFloatTensor(sg, op.outputs[0], "output"); !why.empty()) return why;
  const engine::TensorInfo& out = *tensorAt(sg, op.outputs[0]);
  if (out.isConstant) return "its output is a constant";
  const engine::TensorInfo& a = *tensorAt(sg, op.inputs[0]);
  switch (form.kind) {
    case Kind::kBinary: {
      const engine::TensorInfo& b = *tensorAt(sg, op.inputs[1]);
      engine::Dims shape;
      if (!broadcastShape(a.shape, b.shape, &shape)) {
        return fmt::format("shapes {} and {} do not broadcast", engine::dimsToString(a.shape),
                           engine::dimsToString(b.shape));
      }
      if (shape != out.shape) {
        return fmt::format("its output shape {} is not the broadcast shape {}", engine::dimsToString(out.shape),
                           engine::dimsToString(shape));
      }
      const int act = fusedActivation(op);
      if (act < 0 || act > 4) return fmt::format("fused activation {} is not supported", act);
      break;
    }
    case Kind::kUnary:
      if (a.shape != out.shape) {
        return fmt::format("output shape {} differs from input shape {}", engine::dimsToString(out.shape),
                           engine::dimsToString(a.shape));
      }
      break;
    case Kind::kCopy:
      if (engine::numElements(a.shape) != engine::numElements(out.shape)) {
        return fmt::format("output shape {} has another element count than input shape {}",
                           engine::dimsToString(out.shape), engine::dimsToString(a.shape));
      }
      break;
  }
  return {};
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
                                               info.driverVersion, kBuildOptions, kOpsSource));
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
    const char* src = kOpsSource;
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

struct ClStep {
  int opIndex = 0;
  std::string op;
  ClKernel kernel;  // nullptr for a copy
  size_t global = 0;
  cl_mem copyFrom = nullptr, copyTo = nullptr;
  size_t copyBytes = 0;
};

class OpenClPreparedModel : public PreparedModel {
 public:
  OpenClPreparedModel(std::shared_ptr<OpenClRuntime> rt, std::string device, bool profile)
      : rt_(std::move(rt)), device_(std::move(device)), profile_(profile) {}

  std::vector<TensorDesc> inputDescs, outputDescs;
  std::vector<int32_t> inputIds, outputIds;
  std::map<int32_t, ClMem> buffers;  // by tensor index
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
    for (const ClStep& s : steps) {
      opProfile_.push_back({s.opIndex, s.op, device_, s.kernel ? "opencl" : "opencl-copy", 0, 0});
    }
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
      const ClStep& s = steps[k];
      if (deadline.stop != nullptr && deadline.stop->load(std::memory_order_relaxed)) {
        clFinish(q);
        return Status(StatusCode::kCancelled, "execution stopped");
      }
      const auto t0 = Clock::now();
      if (s.kernel) {
        INFERD_CL_CHECK(clEnqueueNDRangeKernel(q, s.kernel.get(), 1, nullptr, &s.global, nullptr, 0, nullptr, nullptr),
                        "clEnqueueNDRangeKernel");
      } else {
        INFERD_CL_CHECK(clEnqueueCopyBuffer(q, s.copyFrom, s.copyTo, 0, 0, s.copyBytes, 0, nullptr, nullptr),
                        "clEnqueueCopyBuffer");
      }
      if (profile_) {
        INFERD_CL_CHECK(clFinish(q), "clFinish");
        std::lock_guard<std::mutex> plock(profileMu_);
        opProfile_[k].totalNs += static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
        opProfile_[k].invocations += 1;
      }
    }
    INFERD_CL_CHECK(clFinish(q), "clFinish");
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
  std::shared_ptr<OpenClRuntime> rt_;
  std::string device_;
  const bool profile_;
  mutable std::mutex profileMu_;
  std::vector<OpProfile> opProfile_;
};

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
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    const engine::OperatorInfo& op = sg.operators[i];
    if (op.folded) continue;
    if (std::string why = openClWhyUnsupported(sg, op); !why.empty()) {
      refused.push_back(fmt::format("op {} ({}): {}", i, op.name(), why));
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
    const engine::TensorInfo* info = tensorAt(sg, t);
    if (info == nullptr) return makeError(StatusCode::kInvalidModel, "tensor {} does not exist", t);
    if (info->type != engine::ElementType::kFloat32) {
      return makeError(StatusCode::kUnsupported, "device {}: tensor '{}' is {}; FLOAT32 only", deviceName, info->name,
                       engine::elementTypeName(info->type));
    }
    const size_t bytes = static_cast<size_t>(engine::numElements(info->shape)) * sizeof(float);
    cl_int err = CL_SUCCESS;
    cl_mem m = info->isConstant
                   ? clCreateBuffer(runtime->context(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                                    const_cast<uint8_t*>(info->data), &err)
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
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    const engine::OperatorInfo& op = sg.operators[i];
    if (op.folded) continue;
    OpForm form{};
    formOf(op.builtinCode, &form);
    ClStep step;
    step.opIndex = static_cast<int>(i);
    step.op = op.name();
    const engine::TensorInfo& outInfo = *tensorAt(sg, op.outputs[0]);
    step.global = static_cast<size_t>(engine::numElements(outInfo.shape));
    auto a = bufferFor(op.inputs[0]);
    if (!a) return a.status();
    auto o = bufferFor(op.outputs[0]);
    if (!o) return o.status();
    cl_int err = CL_SUCCESS;
    if (form.kind == Kind::kCopy) {
      step.copyFrom = a.value();
      step.copyTo = o.value();
      step.copyBytes = step.global * sizeof(float);
    } else {
      step.kernel = ClKernel(clCreateKernel(runtime->program(), form.kind == Kind::kBinary ? "binary" : "unary", &err));
      if (err != CL_SUCCESS) return clError(err, "clCreateKernel");
      cl_kernel k = step.kernel.get();
      const cl_mem am = a.value(), om = o.value();
      if (form.kind == Kind::kBinary) {
        auto b = bufferFor(op.inputs[1]);
        if (!b) return b.status();
        const cl_mem bm = b.value();
        const int act = fusedActivation(op);
        const std::array<int32_t, 4> shape = pad4(outInfo.shape);
        cl_int4 shape4;
        for (int d = 0; d < 4; ++d) shape4.s[d] = shape[static_cast<size_t>(d)];
        const cl_int4 sa = broadcastStrides(tensorAt(sg, op.inputs[0])->shape, shape);
        const cl_int4 sb = broadcastStrides(tensorAt(sg, op.inputs[1])->shape, shape);
        INFERD_CL_CHECK(clSetKernelArg(k, 0, sizeof(cl_mem), &am), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 1, sizeof(cl_mem), &bm), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 2, sizeof(cl_mem), &om), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 3, sizeof(int), &form.code), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 4, sizeof(int), &act), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 5, sizeof(cl_int4), &shape4), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 6, sizeof(cl_int4), &sa), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 7, sizeof(cl_int4), &sb), "clSetKernelArg");
      } else {
        INFERD_CL_CHECK(clSetKernelArg(k, 0, sizeof(cl_mem), &am), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 1, sizeof(cl_mem), &om), "clSetKernelArg");
        INFERD_CL_CHECK(clSetKernelArg(k, 2, sizeof(int), &form.code), "clSetKernelArg");
      }
    }
    pm->steps.push_back(std::move(step));
  }
  for (int32_t t : pm->outputIds) {
    if (pm->buffers.find(t) == pm->buffers.end()) {
      return makeError(StatusCode::kUnsupported, "device {}: output tensor {} is produced by no operator", deviceName,
                       t);
    }
    if (tensorAt(sg, t)->isConstant) {
      return makeError(StatusCode::kUnsupported, "device {}: output tensor {} is a constant", deviceName, t);
    }
  }
  pm->initProfile();
  return std::unique_ptr<PreparedModel>(std::move(pm));
}

}  // namespace inferd::hal
