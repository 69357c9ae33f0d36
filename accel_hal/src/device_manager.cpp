#include "inferd/hal/device_manager.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "calibration.h"
#include "opencl/opencl_device.h"
#include "state_file.h"

namespace inferd::hal {

namespace {

constexpr const char* kCacheVersion = "1";

// A file name for a device: its name is [a-z0-9]+ already, but keep it safe.
std::string fileSafe(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') ? c : '_';
  return out.empty() ? "device" : out;
}

// What the cached figures depend on: the driver, the hardware and both
// versions. A different value means measuring again.
std::string cacheKey(const DeviceInfo& i) {
  return fmt::format("v{}|{}|{}|{}|{}|{}", kCacheVersion, i.driver, i.vendor, i.hardware, i.deviceVersion,
                     i.driverVersion);
}

bool parseDouble(const std::map<std::string, std::string>& kv, const char* key, double* out) {
  const auto it = kv.find(key);
  if (it == kv.end()) return false;
  char* end = nullptr;
  *out = std::strtod(it->second.c_str(), &end);
  return end != it->second.c_str() && *end == '\0' && *out >= 0;
}

std::string procCpuInfo(const char* field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return {};
}

}  // namespace

const std::vector<std::string>& openClDeviceTypeNames() {
  static const std::vector<std::string> names{"gpu", "accelerator", "cpu"};
  return names;
}

DeviceInfo Device::info() const {
  DeviceInfo i;
  i.name = name();
  i.kind = kind();
  i.driver = name();
  i.driverVersion = version();
  return i;
}

Result<Calibration> Device::calibrate() {
  return makeError(StatusCode::kUnsupported, "device {} cannot measure itself", name());
}

// The cpu device with its description; calibrated through its own
// prepare/execute.
class DescribedCpuDevice : public Device {
 public:
  explicit DescribedCpuDevice(const engine::OpResolver* resolver) : inner_(createCpuDevice(resolver)) {
    info_.name = "cpu";
    info_.kind = DeviceKind::kCpu;
    info_.driver = "cpu";
    info_.vendor = procCpuInfo("vendor_id");
    info_.hardware = procCpuInfo("model name");
    info_.deviceVersion = "inferd engine (own kernels and XNNPACK)";
    info_.driverVersion = inner_->version();
    info_.details = fmt::format("{} hardware threads", std::max(1u, std::thread::hardware_concurrency()));
  }
  std::string name() const override { return inner_->name(); }
  DeviceKind kind() const override { return inner_->kind(); }
  std::string version() const override { return inner_->version(); }
  DeviceInfo info() const override { return info_; }
  std::vector<OpSupport> supportedOps(const engine::Model& model, int subgraph) const override {
    return inner_->supportedOps(model, subgraph);
  }
  Result<std::unique_ptr<PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                 const PrepareOptions& options) override {
    return inner_->prepare(std::move(model), options);
  }
  Result<Calibration> calibrate() override { return calibrateCpu(*inner_); }

 private:
  std::unique_ptr<Device> inner_;
  DeviceInfo info_;
};

DeviceManager::DeviceManager(DeviceManagerOptions options)
    : options_(std::move(options)), cpu_(std::make_unique<DescribedCpuDevice>(options_.resolver)) {
  if (options_.opencl) {
    OpenClEnumeration cl = enumerateOpenClDevices(options_.openclTypes);
    devices_ = std::move(cl.devices);
    refused_ = std::move(cl.refused);
  } else {
    refused_.push_back(
        refusedOpenClDevice("opencl", "OpenCL devices are turned off (no OpenCL device types configured)"));
  }
}

DeviceManager::~DeviceManager() = default;

std::vector<DeviceInfo> DeviceManager::devices() const {
  std::vector<DeviceInfo> out{cpu_->info()};
  for (const auto& d : devices_) out.push_back(d->info());
  out.insert(out.end(), refused_.begin(), refused_.end());
  // cpu first, then by name ("opencl" before "opencl1"), so that the list
  // does not depend on which devices were refused.
  std::stable_sort(out.begin() + 1, out.end(), [](const DeviceInfo& a, const DeviceInfo& b) {
    return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
  });
  return out;
}

Device* DeviceManager::find(const std::string& name) const {
  if (name == cpu_->name()) return cpu_.get();
  for (const auto& d : devices_) {
    if (d->name() == name) return d.get();
  }
  return nullptr;
}

std::string DeviceManager::whyUnavailable(const std::string& name) const {
  if (find(name) != nullptr) return {};
  for (const DeviceInfo& r : refused_) {
    if (r.name == name) return fmt::format("device {} is refused: {}", name, r.reason);
  }
  std::vector<std::string> names;
  for (const DeviceInfo& i : devices()) names.push_back(i.available ? i.name : i.name + " (refused)");
  return fmt::format("no device named '{}' (devices: {})", name, fmt::join(names, ", "));
}

Status DeviceManager::addDevice(std::unique_ptr<Device> device) {
  if (!device) return Status(StatusCode::kInvalidArgument, "no device given");
  const std::string name = device->name();
  bool taken = name.empty() || find(name) != nullptr;
  for (const DeviceInfo& r : refused_) taken = taken || r.name == name;
  if (taken) return makeError(StatusCode::kInvalidArgument, "a device named '{}' exists already", name);
  devices_.push_back(std::move(device));
  return Status::ok();
}

std::vector<Device*> DeviceManager::accelerators() const {
  std::vector<Device*> out;
  for (const DeviceInfo& i : devices()) {
    if (!i.available || i.name == cpu_->name()) continue;
    if (Device* d = find(i.name)) out.push_back(d);
  }
  return out;
}

std::string DeviceManager::cachePath(const DeviceInfo& info) const {
  if (options_.stateDir.empty()) return {};
  return (std::filesystem::path(options_.stateDir) / "calibration" / (fileSafe(info.name) + ".txt")).string();
}

namespace {

bool readCached(const std::string& path, const DeviceInfo& info, Calibration* c) {
  if (path.empty()) return false;
  const auto kv = readKeyValues(path);
  const auto key = kv.find("key");
  if (key == kv.end() || key->second != cacheKey(info)) return false;
  if (!parseDouble(kv, "conv_gflops", &c->convGflops) || !parseDouble(kv, "copy_gbps", &c->copyGBps) ||
      !parseDouble(kv, "dispatch_us", &c->dispatchMicros)) {
    return false;
  }
  parseDouble(kv, "took_seconds", &c->tookSeconds);
  if (auto it = kv.find("measured_at"); it != kv.end()) c->measuredAt = it->second;
  c->cached = true;
  return true;
}

// Written to a temporary file and renamed, so that a reader never sees half
// a file. A cache that cannot be written is not an error: the figures are
// measured again next time.
void writeCache(const std::string& path, const DeviceInfo& info, const Calibration& c) {
  writeAtomically(path, fmt::format("# inferd device calibration (delete to measure again)\nkey={}\n"
                                    "conv_gflops={:.6g}\ncopy_gbps={:.6g}\ndispatch_us={:.6g}\n"
                                    "measured_at={}\ntook_seconds={:.3f}\n",
                                    cacheKey(info), c.convGflops, c.copyGBps, c.dispatchMicros, c.measuredAt,
                                    c.tookSeconds));
}

}  // namespace

Result<Calibration> DeviceManager::calibration(const std::string& name, bool remeasure) {
  Device* device = find(name);
  if (device == nullptr) return Status(StatusCode::kNotFound, whyUnavailable(name));
  const DeviceInfo info = device->info();
  const std::string path = cachePath(info);
  std::lock_guard<std::mutex> lock(mu_);
  if (!remeasure) {
    if (auto it = calibrations_.find(name); it != calibrations_.end()) return it->second;
    Calibration cached;
    if (readCached(path, info, &cached)) {
      calibrations_[name] = cached;
      return cached;
    }
  }
  auto measured = device->calibrate();
  if (!measured) return measured.status();
  writeCache(path, info, measured.value());
  calibrations_[name] = measured.value();
  return measured.value();
}

std::map<std::string, Calibration> DeviceManager::knownCalibrations() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, Calibration> out = calibrations_;
  auto consider = [&](const Device& d) {
    if (out.count(d.name()) != 0) return;
    const DeviceInfo info = d.info();
    Calibration c;
    if (readCached(cachePath(info), info, &c)) out[d.name()] = c;
  };
  consider(*cpu_);
  for (const auto& d : devices_) consider(*d);
  return out;
}

}  // namespace inferd::hal
