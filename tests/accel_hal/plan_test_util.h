// Shared by the HAL's plan tests: the conformance manifests' cases, and a
// device that runs whatever it prepares through an execution plan over
// {accelerator, cpu}, so that golden checks run partitioned.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../common/golden_check.h"
#include "inferd/hal/partition.h"

namespace inferd::test {

// A device whose prepare plans the model over {accelerator, cpu} and
// prepares the plan: runs anything the golden checks run, partitioned.
class PlannedDevice : public hal::Device {
 public:
  PlannedDevice(hal::Device& accel, hal::Device& cpu, hal::PartitionOptions options)
      : accel_(accel), cpu_(cpu), options_(std::move(options)) {}
  std::string name() const override { return "planned"; }
  hal::DeviceKind kind() const override { return hal::DeviceKind::kCpu; }
  std::string version() const override { return "1"; }
  std::vector<hal::OpSupport> supportedOps(const engine::Model& m, int sg) const override {
    return cpu_.supportedOps(m, sg);
  }
  Result<std::unique_ptr<hal::PreparedModel>> prepare(std::shared_ptr<const engine::Model> model,
                                                      const hal::PrepareOptions& options) override {
    hal::PartitionOptions po = options_;
    po.signature = options.signature;
    auto plan = hal::planExecution(*model, {&accel_}, cpu_, po);
    if (!plan) return plan.status();
    lastPlan = plan.value();
    return hal::preparePlan(std::move(model), plan.value(), {&accel_}, cpu_, options);
  }
  hal::ExecutionPlan lastPlan;

 private:
  hal::Device& accel_;
  hal::Device& cpu_;
  hal::PartitionOptions options_;
};

struct ManifestCase {
  std::string dir, name, form;
  std::vector<Tolerance> tolerances;
};

inline std::vector<ManifestCase> manifestCases(const std::string& dir) {
  std::vector<ManifestCase> out;
  std::ifstream in(std::filesystem::path(dir) / "manifest.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string part;
    while (std::getline(ss, part, '\t')) f.push_back(part);
    if (f.size() != 5) continue;
    ManifestCase c{dir, f[0], f[1], {}};
    std::stringstream ts(f[3]);
    while (std::getline(ts, part, ',')) {
      Tolerance t;
      if (Tolerance::parse(part, &t)) c.tolerances.push_back(t);
    }
    out.push_back(std::move(c));
  }
  return out;
}

inline std::vector<ManifestCase> allManifestCases() {
  std::vector<ManifestCase> out;
  for (const char* d : {"conformance", "arch_models"}) {
    for (ManifestCase& c : manifestCases(testDataPath(d))) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace inferd::test
