// The device manager: enumerates the built-in drivers' devices (`cpu`, and
// `opencl` for each OpenCL device the ICD loader finds), keeps the ones it
// refused with the reason, and measures each device once (calibration),
// caching the figures in the state directory keyed by the device and its
// driver version.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "inferd/hal/device.h"

namespace inferd::hal {

struct DeviceManagerOptions {
  // Custom ops for the cpu device (must outlive the manager).
  const engine::OpResolver* resolver = nullptr;
  // Look for OpenCL devices at all.
  bool opencl = true;
  // Which OpenCL device types to use: "gpu", "accelerator", "cpu" (PoCL's
  // device is a "cpu" one). Others are listed as refused.
  std::vector<std::string> openclTypes = {"gpu", "accelerator", "cpu"};
  // Where calibrations are cached (<stateDir>/calibration/<device>.txt);
  // empty: measured on every calibration() call of a new manager.
  std::string stateDir;
};

// The OpenCL device types DeviceManagerOptions::openclTypes accepts.
const std::vector<std::string>& openClDeviceTypeNames();

class DeviceManager {
 public:
  explicit DeviceManager(DeviceManagerOptions options = {});
  ~DeviceManager();
  DeviceManager(const DeviceManager&) = delete;
  DeviceManager& operator=(const DeviceManager&) = delete;

  // Every device found, `cpu` first, refused ones included (available =
  // false, reason set).
  std::vector<DeviceInfo> devices() const;
  // The device of that name, or nullptr (unknown or refused).
  Device* find(const std::string& name) const;
  Device& cpu() const { return *cpu_; }
  // Why `name` cannot be used ("" if it can): refused with the reason, or
  // unknown with the names there are.
  std::string whyUnavailable(const std::string& name) const;

  // The device's measured figures: from the cache when one exists for this
  // device, hardware and driver version, else measured now (and cached).
  // `remeasure` ignores the cache.
  Result<Calibration> calibration(const std::string& name, bool remeasure = false);
  // The calibrations known without measuring (cached or measured earlier).
  std::map<std::string, Calibration> knownCalibrations() const;

  // Adds a device (a plugin driver's, or a test's); its name must be new.
  Status addDevice(std::unique_ptr<Device> device);
  // Every available device other than the cpu, in the order of devices().
  std::vector<Device*> accelerators() const;
  const std::string& stateDir() const { return options_.stateDir; }

 private:
  std::string cachePath(const DeviceInfo& info) const;

  DeviceManagerOptions options_;
  std::unique_ptr<Device> cpu_;
  std::vector<std::unique_ptr<Device>> devices_;  // cpu_ not included
  std::vector<DeviceInfo> refused_;
  mutable std::mutex mu_;
  std::map<std::string, Calibration> calibrations_;
};

}  // namespace inferd::hal
