// The `opencl` driver when the build has none (meson -Dopencl=disabled, or
// no OpenCL ICD loader found): the device is listed as refused, with why.
#include "opencl_device.h"

namespace inferd::hal {

bool openClBuilt() { return false; }

OpenClEnumeration enumerateOpenClDevices(const std::vector<std::string>&) {
  OpenClEnumeration out;
  DeviceInfo info;
  info.name = "opencl";
  info.kind = DeviceKind::kGpu;
  info.driver = "opencl";
  info.available = false;
  info.reason = "this build has no OpenCL driver (built with -Dopencl=disabled, or without the OpenCL ICD loader)";
  out.refused.push_back(std::move(info));
  return out;
}

}  // namespace inferd::hal
