// Runs a model through a HAL device on its committed golden inputs and
// compares every output with LiteRT's. Shared by the conformance tests.
// Tolerances (the issue's):
//   float    max|ours - ref| <= 1e-4 + 1e-3 * max|ref|
//   quant    integer (int8/uint8/int16) outputs: never more than 1 quantum
//            off, and >= 99 % of the elements exactly equal
//   dequant  float outputs of a DEQUANTIZE with scale S: as quant, with the
//            difference counted in units of S
//   exact    bit-exact (integer/bool outputs of non-quantized ops)
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"
#include "test_data.h"

namespace inferd::test {

struct Tolerance {
  enum Kind { kFloat, kQuant, kDequant, kExact } kind = kFloat;
  double quantum = 1;  // kDequant: the DEQUANTIZE scale

  // "float", "quant", "dequant:<scale>", "exact"; false on anything else.
  static bool parse(const std::string& text, Tolerance* out) {
    if (text == "float") *out = {kFloat, 1};
    else if (text == "quant") *out = {kQuant, 1};
    else if (text == "exact") *out = {kExact, 1};
    else if (text.rfind("dequant:", 0) == 0) {
      char* end = nullptr;
      const double s = std::strtod(text.c_str() + 8, &end);
      if (end == text.c_str() + 8 || *end != '\0' || !(s > 0)) return false;
      *out = {kDequant, s};
    } else {
      return false;
    }
    return true;
  }
  const char* name() const {
    switch (kind) {
      case kFloat: return "float";
      case kQuant: return "quant";
      case kDequant: return "dequant";
      case kExact: return "exact";
    }
    return "?";
  }
};

// Figures of one output comparison.
struct OutputComparison {
  bool pass = false;
  double maxDiff = 0;        // max|ours - ref| (in the output's own units)
  double maxRef = 0;         // max|ref|
  double limit = 0;          // the allowed max|diff| (float) or quanta (quant/dequant)
  double maxQuanta = 0;      // quant/dequant: max difference in quanta
  double fractionEqual = 0;  // elements exactly equal (dequant: same quantum)
  std::string problem;       // why it failed before any numbers (type, shape)
};

namespace golden_detail {

inline double elementAsDouble(engine::ElementType type, const uint8_t* data, int64_t i) {
  using engine::ElementType;
  switch (type) {
    case ElementType::kFloat32: { float v; std::memcpy(&v, data + i * 4, 4); return v; }
    case ElementType::kInt8: return static_cast<int8_t>(data[i]);
    case ElementType::kUInt8: return data[i];
    case ElementType::kInt16: { int16_t v; std::memcpy(&v, data + i * 2, 2); return v; }
    case ElementType::kInt32: { int32_t v; std::memcpy(&v, data + i * 4, 4); return v; }
    case ElementType::kInt64: { int64_t v; std::memcpy(&v, data + i * 8, 8); return static_cast<double>(v); }
    case ElementType::kBool: return data[i] ? 1 : 0;
    default: return NAN;
  }
}

}  // namespace golden_detail

inline OutputComparison compareOutput(const hal::OwnedTensor& ours, const engine::NpyArray& ref, const Tolerance& tol) {
  using engine::ElementType;
  OutputComparison c;
  if (ours.type != ref.type) {
    c.problem = "type " + engine::elementTypeName(ours.type) + ", LiteRT's is " + engine::elementTypeName(ref.type);
    return c;
  }
  if (ours.dims != ref.dims) {
    c.problem = "shape " + engine::dimsToString(ours.dims) + ", LiteRT's is " + engine::dimsToString(ref.dims);
    return c;
  }
  const bool isInteger = ref.type == ElementType::kInt8 || ref.type == ElementType::kUInt8 || ref.type == ElementType::kInt16;
  if ((tol.kind == Tolerance::kFloat || tol.kind == Tolerance::kDequant) && ref.type != ElementType::kFloat32) {
    c.problem = std::string(tol.name()) + " tolerance on a " + engine::elementTypeName(ref.type) + " output";
    return c;
  }
  if (tol.kind == Tolerance::kQuant && !isInteger) {
    c.problem = "quant tolerance on a " + engine::elementTypeName(ref.type) + " output";
    return c;
  }
  const int64_t n = ref.numElements();
  if (ours.data.size() != ref.data.size()) {
    c.problem = "output has " + std::to_string(ours.data.size()) + " bytes, LiteRT's " + std::to_string(ref.data.size());
    return c;
  }
  int64_t equal = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = golden_detail::elementAsDouble(ref.type, ours.data.data(), i);
    const double b = golden_detail::elementAsDouble(ref.type, ref.data.data(), i);
    const double d = std::fabs(a - b);
    c.maxRef = std::max(c.maxRef, std::fabs(b));
    c.maxDiff = std::isnan(d) ? INFINITY : std::max(c.maxDiff, d);
    if (tol.kind == Tolerance::kDequant ? d < 0.5 * tol.quantum : d == 0) ++equal;
  }
  if (tol.kind == Tolerance::kExact && ref.type == ElementType::kFloat32) {
    equal = std::memcmp(ours.data.data(), ref.data.data(), ref.data.size()) == 0 ? n : 0;  // bitwise
  }
  c.fractionEqual = n ? static_cast<double>(equal) / static_cast<double>(n) : 1.0;
  switch (tol.kind) {
    case Tolerance::kFloat:
      c.limit = 1e-4 + 1e-3 * c.maxRef;
      c.pass = c.maxDiff <= c.limit;
      break;
    case Tolerance::kQuant:
    case Tolerance::kDequant:
      // Dequantized values are exact multiples of the scale, up to float
      // rounding of scale * (q - zero_point).
      c.maxQuanta = tol.kind == Tolerance::kQuant ? c.maxDiff : std::round(c.maxDiff / tol.quantum * 1e3) / 1e3;
      c.limit = 1;
      c.pass = c.maxQuanta <= 1.0 && c.fractionEqual >= 0.99;
      break;
    case Tolerance::kExact:
      c.pass = c.fractionEqual == 1.0;
      break;
  }
  return c;
}

// One line of figures: "max|diff| 1e-05 (limit 2e-04), 97.1 % equal, 1 quanta".
inline std::string describe(const OutputComparison& c, const Tolerance& tol) {
  if (!c.problem.empty()) return c.problem;
  char buf[160];
  switch (tol.kind) {
    case Tolerance::kFloat:
      std::snprintf(buf, sizeof buf, "max|diff| %.3g (limit %.3g, max|ref| %.3g)", c.maxDiff, c.limit, c.maxRef);
      break;
    case Tolerance::kQuant:
    case Tolerance::kDequant:
      std::snprintf(buf, sizeof buf, "max %g quanta, %.2f %% equal", c.maxQuanta, 100 * c.fractionEqual);
      break;
    case Tolerance::kExact:
      std::snprintf(buf, sizeof buf, "%.2f %% equal (exact)", 100 * c.fractionEqual);
      break;
  }
  return buf;
}

// Runs `modelPath` on <goldenDir>/input_<i>.npy and compares each output
// with <goldenDir>/output_<o>.npy under tolerances[o] (float when the list
// is shorter). Returns an error message (empty on success) when the model
// cannot run or the goldens do not fit; `results` gets one entry per output.
inline std::string runAgainstGolden(hal::Device& device, const std::string& modelPath, const std::string& goldenDir,
                                    const std::vector<Tolerance>& tolerances, std::vector<OutputComparison>* results,
                                    const hal::PrepareOptions& options = {}, std::string* timingNote = nullptr) {
  using namespace inferd::engine;
  namespace fs = std::filesystem;
  results->clear();
  auto model = Model::load(modelPath);
  if (!model.isOk()) return model.status().toString();
  auto prepared = device.prepare(model.value(), options);
  if (!prepared.isOk()) return prepared.status().toString();
  hal::PreparedModel& pm = *prepared.value();

  std::vector<NpyArray> inputs;
  std::vector<hal::TensorView> views;
  for (size_t i = 0; i < pm.inputs().size(); ++i) {
    auto arr = readNpy((fs::path(goldenDir) / ("input_" + std::to_string(i) + ".npy")).string());
    if (!arr.isOk()) return arr.status().toString();
    inputs.push_back(std::move(arr).value());
  }
  for (const NpyArray& a : inputs) views.push_back({a.type, a.dims, a.data.data(), a.data.size()});
  // The golden folder must not hold more outputs than the model has.
  if (fs::exists(fs::path(goldenDir) / ("output_" + std::to_string(pm.outputs().size()) + ".npy")))
    return "golden folder " + goldenDir + " has more outputs than the model's " + std::to_string(pm.outputs().size());

  std::vector<hal::OwnedTensor> outputs;
  hal::ExecutionTiming timing;
  Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
  if (!s.isOk()) return s.toString();
  if (outputs.size() != pm.outputs().size()) return "execute returned a wrong number of outputs";
  for (size_t o = 0; o < outputs.size(); ++o) {
    auto ref = readNpy((fs::path(goldenDir) / ("output_" + std::to_string(o) + ".npy")).string());
    if (!ref.isOk()) return ref.status().toString();
    results->push_back(compareOutput(outputs[o], ref.value(), o < tolerances.size() ? tolerances[o] : Tolerance{}));
  }
  if (timingNote) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "arena %zu bytes, compute %.2f ms", pm.workingBytes(),
                  static_cast<double>(timing.computeNs) / 1e6);
    *timingNote = buf;
  }
  return {};
}

// Catch2 wrapper for float models: `goldenDir` is relative to the test data
// root and ends with '/'.
inline void checkAgainstGolden(hal::Device& device, const std::string& modelPath, const std::string& goldenDir,
                               const std::string& label, const hal::PrepareOptions& options = {}) {
  std::vector<OutputComparison> results;
  std::string timing;
  const std::string error = runAgainstGolden(device, modelPath, testDataPath(goldenDir), {}, &results, options, &timing);
  if (!error.empty()) FAIL(label << ": " << error);
  for (size_t o = 0; o < results.size(); ++o) {
    INFO(label << " output " << o);
    std::printf("%-28s output %zu: %s\n", label.c_str(), o, describe(results[o], Tolerance{}).c_str());
    CHECK(results[o].problem == "");
    CHECK(results[o].pass);
  }
  std::printf("%-28s %s\n", label.c_str(), timing.c_str());
}

}  // namespace inferd::test
