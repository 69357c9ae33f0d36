// inferctl devices --local: the devices of the HAL's device manager in this
// process (cpu, and opencl for each OpenCL device the ICD loader finds),
// their state and their measured figures.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "inferd/hal/device_manager.h"
#include "report.h"

namespace inferd::inferctl {

// $XDG_CACHE_HOME/inferd, else ~/.cache/inferd; empty when neither is known.
std::string defaultStateDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && x[0] == '/') return std::string(x) + "/inferd";
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] == '/') return std::string(h) + "/.cache/inferd";
  return {};
}

namespace {


std::string figures(const hal::Calibration& c) {
  return fmt::format("conv {:.1f} GFLOP/s, copy {:.1f} GB/s, dispatch {:.1f} us ({} {})", c.convGflops, c.copyGBps,
                     c.dispatchMicros, c.cached ? "cached, measured" : "measured", c.measuredAt);
}

}  // namespace

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int devicesCommand(const DevicesArgs& args) {
  if (!args.local) {
    return fail(
        "listing the daemon's devices is not served yet (the daemon runs every model on its cpu device); "
        "use inferctl devices --local");
  }
  hal::DeviceManagerOptions options;
  if (args.openclTypes) {
    options.openclTypes = splitList(*args.openclTypes);
    for (const std::string& t : options.openclTypes) {
      bool known = false;
      for (const std::string& n : hal::openClDeviceTypeNames()) known = known || n == t;
      if (!known) return fail(fmt::format("--opencl-types: unknown type '{}' (gpu, accelerator, cpu)", t));
    }
    options.opencl = !options.openclTypes.empty();
  }
  options.stateDir = args.stateDir.empty() ? defaultStateDir() : args.stateDir;
  if (args.noCache) options.stateDir.clear();
  hal::DeviceManager manager(options);

  const std::vector<hal::DeviceInfo> devices = manager.devices();
  std::vector<std::string> calibrated(devices.size()), errors(devices.size());
  std::vector<hal::Calibration> figs(devices.size());
  for (size_t i = 0; i < devices.size(); ++i) {
    if (!devices[i].available || !args.calibrate) continue;
    if (!args.json) std::fprintf(stderr, "measuring %s ...\n", devices[i].name.c_str());
    auto c = manager.calibration(devices[i].name, args.remeasure);
    if (c) {
      figs[i] = c.value();
      calibrated[i] = figures(c.value());
    } else {
      errors[i] = c.status().message();
    }
  }

  if (args.json) {
    std::string out = "{\"devices\": [";
    for (size_t i = 0; i < devices.size(); ++i) {
      const hal::DeviceInfo& d = devices[i];
      out += fmt::format(
          "{}{{\"name\": {}, \"kind\": {}, \"driver\": {}, \"state\": {}, \"reason\": {}, \"vendor\": {}, "
          "\"hardware\": {}, \"device_version\": {}, \"driver_version\": {}, \"details\": {}",
          i == 0 ? "" : ", ", jsonString(d.name), jsonString(hal::deviceKindName(d.kind)), jsonString(d.driver),
          jsonString(d.available ? "available" : "refused"), jsonString(d.reason), jsonString(d.vendor),
          jsonString(d.hardware), jsonString(d.deviceVersion), jsonString(d.driverVersion), jsonString(d.details));
      if (!calibrated[i].empty()) {
        const hal::Calibration& c = figs[i];
        out += fmt::format(
            ", \"calibration\": {{\"conv_gflops\": {:.3f}, \"copy_gbps\": {:.3f}, \"dispatch_us\": {:.3f}, "
            "\"measured_at\": {}, \"cached\": {}}}",
            c.convGflops, c.copyGBps, c.dispatchMicros, jsonString(c.measuredAt), c.cached ? "true" : "false");
      } else if (!errors[i].empty()) {
        out += fmt::format(", \"calibration_error\": {}", jsonString(errors[i]));
      }
      out += "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    for (const std::string& e : errors) {
      if (!e.empty()) return 1;
    }
    return 0;
  }

  for (size_t i = 0; i < devices.size(); ++i) {
    const hal::DeviceInfo& d = devices[i];
    std::printf("%-8s %-5s %-9s driver %s\n", d.name.c_str(), hal::deviceKindName(d.kind),
                d.available ? "available" : "refused", d.driver.c_str());
    if (!d.available) std::printf("    reason:   %s\n", d.reason.c_str());
    if (!d.hardware.empty() || !d.vendor.empty()) {
      std::printf("    hardware: %s%s%s\n", d.hardware.c_str(), d.vendor.empty() ? "" : ", vendor ",
                  d.vendor.c_str());
    }
    if (!d.deviceVersion.empty() || !d.driverVersion.empty()) {
      std::printf("    version:  %s, driver %s\n", d.deviceVersion.c_str(), d.driverVersion.c_str());
    }
    if (!d.details.empty()) std::printf("    details:  %s\n", d.details.c_str());
    if (!calibrated[i].empty()) std::printf("    measured: %s\n", calibrated[i].c_str());
    if (!errors[i].empty()) std::printf("    measured: failed: %s\n", errors[i].c_str());
  }
  if (!options.stateDir.empty() && args.calibrate) {
    std::printf("(figures cached in %s/calibration; --remeasure measures again)\n", options.stateDir.c_str());
  }
  for (const std::string& e : errors) {
    if (!e.empty()) return 1;  // a device that cannot be measured is not usable for placement
  }
  return 0;
}

}  // namespace inferd::inferctl
