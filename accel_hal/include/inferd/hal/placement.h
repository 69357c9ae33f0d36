// Placement: which plan runs a model. Pinned (the config or the caller names
// a device) or measured: the all-cpu plan and, for each other available
// device that supports enough of the model to get a partition, its plan are
// prepared and timed on the model's real shapes (the same inputs,
// alternating, median), and the fastest wins. The decision is cached in the
// device manager's state directory, keyed by the model's bytes, the
// signature, the thread count and every candidate device with its driver
// and versions, so that it is measured again when any of them changes.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inferd/hal/device_manager.h"
#include "inferd/hal/partition.h"

namespace inferd::hal {

struct PlacementRequest {
  // "" or "auto": measured over the available devices; else the device to
  // pin the model to (ops it lacks run on the cpu unless `strict`).
  std::string device;
  bool strict = false;
  PartitionOptions partition;  // its signature and strict are set from here
  PrepareOptions prepare;
  PlanRuntimeOptions runtime;
  int runs = 5;          // timed executions per candidate (after one warm-up)
  bool useCache = true;  // read and write the cached decision
};

struct Placement {
  ExecutionPlan plan;
  std::unique_ptr<PreparedModel> prepared;  // the plan, prepared with the request's options
  // How it was decided: "pinned to opencl", "measured: cpu 0.023 ms,
  // opencl+cpu 0.310 ms", "cached (...)", "only the cpu runs any of it".
  std::string how;
  bool fromCache = false;
  // The candidates timed now (plan's device list -> median ms); empty when
  // pinned or cached.
  std::vector<std::pair<std::string, double>> measuredMs;
};

Result<Placement> placeModel(DeviceManager& manager, std::shared_ptr<const engine::Model> model,
                             const PlacementRequest& request);

}  // namespace inferd::hal
