// The per-operator profile of `inferctl bench --local --profile` and
// `run --local --profile`, after TensorFlow Lite benchmark_model's op
// profiling: one row per operator in run order (type, device, kernel
// variant, mean ms per invoke, share of the total, GFLOP/s or GOP/s where
// the op's arithmetic is known), the same summed by op type, and by layer
// class (conv 1x1, conv kxk, depthwise, ...) with the achieved rate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inferd/engine/model.h"
#include "inferd/hal/device.h"

namespace inferd::inferctl {

struct OpProfileRow {
  int index = 0;
  std::string op;
  std::string type;        // the data input's element type; "FLOAT32/INT8" for int8 weights on float
                           // data, "FLOAT32->INT8" where the output has another type
  std::string device;
  std::string variant;
  uint64_t invocations = 0;
  double ms = 0;           // mean per invoke
  double percent = 0;      // of the sum over all operators
  uint64_t macs = 0;       // multiply-accumulates per invoke; 0 when not counted
  bool integer = false;    // integer arithmetic: the rate is GOP/s, else GFLOP/s
  std::string layerClass;  // "conv 1x1", "conv kxk", "depthwise", ...; "other"
  double rate() const;     // G(FL)OP/s: 2 * macs per invoke over ms; 0 when unknown
};

struct OpTypeRow {
  std::string op;
  int count = 0;
  double ms = 0;
  double percent = 0;
};

struct LayerClassRow {
  std::string layerClass;
  std::string type;
  bool integer = false;
  int count = 0;
  double ms = 0;
  double percent = 0;
  uint64_t macs = 0;
  double rate() const;
};

struct OpProfileReport {
  uint64_t invokes = 0;    // the executions the means are over
  double totalMs = 0;      // sum of the rows' ms: operator time per invoke
  std::vector<OpProfileRow> ops;          // run order
  std::vector<OpTypeRow> byType;          // most time first
  std::vector<LayerClassRow> byClass;     // most time first; "other" last
  std::vector<int> foldedAtLoad;          // operators evaluated once at load, never run
};

// Builds the report from a prepared model's records over `invokes`
// executions of subgraph `subgraph` of `model` (shapes and types from the
// model file).
OpProfileReport buildOpProfile(const engine::Model& model, int subgraph, const std::vector<hal::OpProfile>& records,
                               uint64_t invokes);

// The three tables as text on stdout; `invokeMeanMs` (the mean graph time
// of the same executions) is printed beside the operators' sum.
void printOpProfile(const OpProfileReport& report, double invokeMeanMs);

// The report as one JSON object.
std::string opProfileJson(const OpProfileReport& report);

}  // namespace inferd::inferctl
