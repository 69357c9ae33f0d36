// The built-in `opencl` driver: one HAL device per OpenCL device the ICD
// loader finds (GPUs and accelerators on real hardware; PoCL's CPU device
// in tests).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inferd/hal/device.h"

namespace inferd::hal {

struct OpenClEnumeration {
  std::vector<std::unique_ptr<Device>> devices;  // usable, in platform and device order
  std::vector<DeviceInfo> refused;               // found (or looked for) and refused, with the reason
};

// OpenCL device types to use: any of "gpu", "accelerator", "cpu"
// (CL_DEVICE_TYPE_*). Devices of other types are listed as refused. Names:
// "opencl" for the first device, then "opencl1", "opencl2", ... (refused
// devices take a name too, so that the list is stable).
OpenClEnumeration enumerateOpenClDevices(const std::vector<std::string>& types);

// Whether this build has the OpenCL driver (meson feature `opencl`).
bool openClBuilt();

// The entry listed for an OpenCL device that is not there to use.
inline DeviceInfo refusedOpenClDevice(std::string name, std::string reason) {
  DeviceInfo info;
  info.name = std::move(name);
  info.kind = DeviceKind::kGpu;
  info.driver = "opencl";
  info.available = false;
  info.reason = std::move(reason);
  return info;
}

}  // namespace inferd::hal
