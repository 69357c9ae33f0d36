// Input matching and output writing shared by local and daemon `run`.
#include "tensor_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace inferd::inferctl {

namespace {

using namespace inferd::engine;

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", shape[i]);
  return s + "]";
}

bool shapeMatches(const Dims& dims, const std::vector<int64_t>& shape) {
  if (dims.size() != shape.size()) return false;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (shape[i] >= 0 && shape[i] != dims[i]) return false;
  }
  return true;
}

// Statistics of an output for the summary line.
std::string summarize(const OutputRef& t) {
  const size_t size = elementSize(t.type);
  const int64_t n = size ? static_cast<int64_t>(t.bytes / size) : 0;
  if (n == 0) return size ? "empty" : fmt::format("{} bytes", t.bytes);
  double mn = INFINITY, mx = -INFINITY, sum = 0;
  auto scan = [&](auto* p) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(p[i]);
      mn = std::min(mn, v);
      mx = std::max(mx, v);
      sum += v;
    }
  };
  switch (t.type) {
    case ElementType::kFloat32: scan(reinterpret_cast<const float*>(t.data)); break;
    case ElementType::kInt32: scan(reinterpret_cast<const int32_t*>(t.data)); break;
    case ElementType::kInt64: scan(reinterpret_cast<const int64_t*>(t.data)); break;
    case ElementType::kInt8: scan(reinterpret_cast<const int8_t*>(t.data)); break;
    case ElementType::kUInt8: scan(reinterpret_cast<const uint8_t*>(t.data)); break;
    default: return fmt::format("{} bytes", t.bytes);
  }
  return fmt::format("min {:.6g} max {:.6g} mean {:.6g}", mn, mx, sum / static_cast<double>(n));
}

}  // namespace

std::string describeInputs(const std::vector<TensorSpec>& inputs) {
  std::string s;
  for (const TensorSpec& d : inputs) {
    s += fmt::format("{}{} {} {}", s.empty() ? "" : ", ", d.name, elementTypeName(d.type), shapeString(d.shape));
  }
  return "the model expects: " + s;
}

Result<std::vector<NpyArray>> readInputs(const std::vector<std::string>& args, const std::vector<TensorSpec>& expected) {
  std::map<std::string, size_t> byName;
  for (size_t i = 0; i < expected.size(); ++i) byName[expected[i].name] = i;
  std::vector<std::string> files(expected.size());
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    size_t index = expected.size();
    std::string file = arg;
    if (eq != std::string::npos && byName.count(arg.substr(0, eq))) {
      index = byName[arg.substr(0, eq)];
      file = arg.substr(eq + 1);
    } else if (expected.size() == 1) {
      index = 0;
    } else if (eq != std::string::npos) {
      return makeError(StatusCode::kInvalidArgument, "the model has no input named '{}'; {}", arg.substr(0, eq),
                       describeInputs(expected));
    } else {
      return makeError(StatusCode::kInvalidArgument, "--input {} needs a NAME= prefix because the model has {} inputs; {}",
                       arg, expected.size(), describeInputs(expected));
    }
    if (!files[index].empty()) return makeError(StatusCode::kInvalidArgument, "input '{}' is given twice", expected[index].name);
    files[index] = file;
  }
  std::vector<NpyArray> arrays(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const TensorSpec& e = expected[i];
    if (files[i].empty()) {
      return makeError(StatusCode::kInvalidArgument, "missing input '{}'; {}", e.name, describeInputs(expected));
    }
    auto arr = readNpy(files[i]);
    if (!arr) return arr.status();
    arrays[i] = std::move(arr).value();
    if (arrays[i].type != e.type || !shapeMatches(arrays[i].dims, e.shape)) {
      return makeError(StatusCode::kInvalidArgument, "input '{}' from {} is {} {}, expected {} {}", e.name, files[i],
                       elementTypeName(arrays[i].type), dimsToString(arrays[i].dims), elementTypeName(e.type),
                       shapeString(e.shape));
    }
  }
  return arrays;
}

Status makeOutputDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return makeError(StatusCode::kInvalidArgument, "cannot create output directory '{}': {}", dir, ec.message());
  return Status::ok();
}

Status writeOutputs(const std::string& dir, const std::vector<OutputRef>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputRef& o = outputs[i];
    const std::string path = (std::filesystem::path(dir) / fmt::format("output_{}.npy", i)).string();
    INFERD_RETURN_IF_ERROR(writeNpy(path, o.type, o.dims, o.data, o.bytes));
    fmt::print("output {} '{}' {} {}: {} -> {}\n", i, o.name, elementTypeName(o.type), dimsToString(o.dims),
               summarize(o), path);
  }
  return Status::ok();
}

void printTimes(std::vector<double> millis) {
  if (millis.empty()) return;
  std::sort(millis.begin(), millis.end());
  if (millis.size() > 1) {
    // p99 by nearest rank: the smallest time that 99% of the runs do not exceed.
    const size_t rank99 = (millis.size() * 99 + 99) / 100;
    fmt::print("time: median {:.3f} ms, min {:.3f} ms, p99 {:.3f} ms over {} runs\n", millis[millis.size() / 2],
               millis.front(), millis[rank99 - 1], millis.size());
  } else {
    fmt::print("time: {:.3f} ms\n", millis.front());
  }
}

}  // namespace inferd::inferctl
