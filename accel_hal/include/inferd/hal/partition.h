// Partitioned execution: an execution plan puts each operator of a model on
// a device (the first in a preference order whose supportedOps says yes),
// groups maximal runs of operators on one device into partitions, and
// leaves runs too small to pay for their boundary, and runs beyond a
// maximum count, to the cpu. preparePlan() prepares every partition on its
// device (the engine runs a slice of the graph: engine::Model::slice) and
// gives one PreparedModel that runs them in order, handing the boundary
// tensors from one to the next, and that finishes on the cpu whatever a
// device fails to prepare or to execute.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "inferd/hal/device.h"

namespace inferd::hal {

struct PartitionOptions {
  // A run of fewer operators than this on a device other than the cpu goes
  // to the cpu instead (each boundary costs a copy and a dispatch).
  int minOpsPerPartition = 2;
  // At most this many partitions on devices other than the cpu (the
  // largest runs are kept).
  int maxPartitions = 4;
  // Every operator must run on the first device: a plan that would put any
  // on another device is an error that lists them with the reasons.
  bool strict = false;
  // The subgraph the plan is for (that of PrepareOptions::signature).
  std::string signature;
};

struct OpPlacement {
  int opIndex = 0;
  std::string op;         // "CONV_2D" or the custom name
  std::string device;     // where it runs; "" for ops folded at load
  int partition = -1;     // index in ExecutionPlan::partitions; -1: folded at load
  std::string reason;     // why it is not on the first device (empty when it is)
};

struct PlannedPartition {
  std::string device;
  engine::GraphSlice slice;  // operators and boundary tensors, in the subgraph's indices
};

struct ExecutionPlan {
  int subgraph = 0;
  std::vector<std::string> devices;  // the preference order it was made for
  std::vector<OpPlacement> ops;      // one per operator of the subgraph
  std::vector<PlannedPartition> partitions;
  // True when one partition runs the whole subgraph.
  bool wholeOnOneDevice() const { return partitions.size() <= 1; }
  // "opencl: 1 partition, 57 ops; cpu: 2 partitions, 3 ops".
  std::string summary() const;
};

// Plans `model` for `devices` in order of preference; the cpu device
// `cpu` takes whatever none of them supports (it need not be listed).
Result<ExecutionPlan> planExecution(const engine::Model& model, const std::vector<Device*>& devices, Device& cpu,
                                    const PartitionOptions& options = {});

struct PlanRuntimeOptions {
  // Consecutive execution failures of a device after which its partitions
  // run on the cpu for good.
  int retireAfterFailures = 3;
  // Told about prepare failures, execution failures and retirements
  // (for the daemon's log); may be empty.
  std::function<void(const std::string&)> onEvent;
};

// Prepares the plan's partitions on their devices (found by name in
// `devices`, or `cpu`). A partition whose device fails to prepare it runs
// on the cpu (counted as a failure and a fallback, reported to onEvent).
// A plan with one cpu partition gives the cpu's own PreparedModel.
Result<std::unique_ptr<PreparedModel>> preparePlan(std::shared_ptr<const engine::Model> model,
                                                   const ExecutionPlan& plan, const std::vector<Device*>& devices,
                                                   Device& cpu, const PrepareOptions& options = {},
                                                   const PlanRuntimeOptions& runtime = {});

}  // namespace inferd::hal
