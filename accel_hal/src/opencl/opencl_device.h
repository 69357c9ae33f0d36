// The built-in `opencl` driver: one HAL device per OpenCL device the ICD
// loader finds (GPUs and accelerators on real hardware; PoCL's CPU device
// in tests).
#pragma once

#include <memory>
#include <string>
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

}  // namespace inferd::hal
