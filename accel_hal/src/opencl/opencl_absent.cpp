// The `opencl` driver when the build has none (meson -Dopencl=disabled, or
// no OpenCL ICD loader found): the device is listed as refused, with why.
#include "opencl_device.h"

namespace inferd::hal {

bool openClBuilt() { return false; }

OpenClEnumeration enumerateOpenClDevices(const std::vector<std::string>&) {
  OpenClEnumeration out;
  out.refused.push_back(refusedOpenClDevice(
      "opencl", "this build has no OpenCL driver (built with -Dopencl=disabled, or without the OpenCL ICD loader)"));
  return out;
}

}  // namespace inferd::hal
