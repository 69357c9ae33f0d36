// Local mode, shared by `run --local` and `bench --local`: load a .tflite
// file, prepare it on the HAL's cpu device (in this process, no daemon) and
// build its inputs from .npy files or zero-filled.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "inferd/engine/model.h"
#include "inferd/engine/npy.h"
#include "inferd/engine/status.h"
#include "inferd/hal/device.h"
#include "inferd/hal/device_manager.h"
#include "inferd/hal/partition.h"

namespace inferd::inferctl {

struct LocalOptions {
  std::string model;      // .tflite path
  int threads = 1;        // the cpu device's kernel threads
  std::string signature;  // empty: subgraph 0
  bool optimizedKernels = true;
  bool profile = false;   // per-operator timing (PreparedModel::profile())
  // A device of the device manager to run on ("" or "cpu": the cpu
  // device): the model is planned for it, with what it cannot run on the
  // cpu, unless `strict`, which fails on any op it cannot run. "auto":
  // measured placement over every available device (hal::placeModel).
  std::string device;
  bool strict = false;
};

struct LocalModel {
  std::shared_ptr<const engine::Model> model;
  std::unique_ptr<hal::DeviceManager> manager;  // owns the devices
  hal::ExecutionPlan plan;                       // where each op runs
  std::string placement;                         // how the plan was chosen
  std::unique_ptr<hal::PreparedModel> prepared;
  int subgraph = 0;       // the subgraph the prepared model runs
  double loadMs = 0;      // engine::Model::load
  double prepareMs = 0;   // Device::prepare, i.e. engine::Interpreter::create
};

// Errors are one line naming the model.
Result<LocalModel> openLocalModel(const LocalOptions& options);

// The plan for `model` on `device` (see LocalOptions::device) with the
// devices of `manager`; an unknown or refused device is an error naming
// the ones there are.
Result<hal::ExecutionPlan> planOnDevice(const engine::Model& model, hal::DeviceManager& manager,
                                        const std::string& device, bool strict, const std::string& signature);

// "placement: opencl: 1 partition, 12 ops; cpu: 2 partitions, 3 ops" and,
// when `perOp`, one line per operator (index, op, device, partition, why
// it is not on the first device).
void printPlan(const hal::ExecutionPlan& plan, bool perOp, const std::string& how = "");

struct LocalInputs {
  std::vector<engine::NpyArray> arrays;  // in the model's input order
  // Views of `arrays` for PreparedModel::execute (valid while they live).
  std::vector<hal::TensorView> views() const;
};

// What fills the inputs when no NAME=FILE.npy argument is given.
enum class InputFill {
  kRequired,  // none: the files are required (run)
  kZeros,     // every byte 0
  // The same pseudo-random values on every call (fixed seed): floats uniform
  // in [-1, 1), INT8/UINT8/INT16 over their whole range, BOOL 0 or 1;
  // INT32/INT64 (often indices or sizes) and other types stay 0.
  kRandom,
};

// The inputs from NAME=FILE.npy arguments (see readInputs), or, when `args`
// is empty, as `fill` says.
Result<LocalInputs> localInputs(const hal::PreparedModel& prepared, const std::vector<std::string>& args,
                                InputFill fill);

}  // namespace inferd::inferctl
