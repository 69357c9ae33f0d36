// `inferctl run`: feed .npy inputs to a model, write output_<i>.npy files,
// print a summary. --local runs in-process on the HAL's cpu device.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "commands.h"
#include "inferd/engine/model.h"
#include "inferd/engine/npy.h"
#include "inferd/hal/device.h"

namespace inferd::inferctl {

namespace {

using namespace inferd::engine;

std::string describeInputs(const std::vector<hal::TensorDesc>& inputs) {
  std::string s;
  for (const hal::TensorDesc& d : inputs) {
    s += fmt::format("{}{} {} {}", s.empty() ? "" : ", ", d.name, elementTypeName(d.type), dimsToString(d.dims));
  }
  return "the model expects: " + s;
}

// Statistics of an output for the summary line.
std::string summarize(const hal::OwnedTensor& t) {
  const int64_t n = numElements(t.dims);
  if (n == 0) return "empty";
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
    case ElementType::kFloat32: scan(reinterpret_cast<const float*>(t.data.data())); break;
    case ElementType::kInt32: scan(reinterpret_cast<const int32_t*>(t.data.data())); break;
    case ElementType::kInt64: scan(reinterpret_cast<const int64_t*>(t.data.data())); break;
    case ElementType::kInt8: scan(reinterpret_cast<const int8_t*>(t.data.data())); break;
    case ElementType::kUInt8: scan(reinterpret_cast<const uint8_t*>(t.data.data())); break;
    default: return fmt::format("{} bytes", t.data.size());
  }
  return fmt::format("min {:.6g} max {:.6g} mean {:.6g}", mn, mx, sum / static_cast<double>(n));
}

}  // namespace

int runCommand(const RunArgs& args) {
  if (!args.local) {
    return fail("run without --local needs the inferd daemon, which is not part of this build yet; add --local");
  }
  if (args.outputDir.empty()) return fail("run needs --output-dir DIR");
  auto loaded = Model::load(args.model);
  if (!loaded) return fail(loaded.status().message());
  auto device = hal::createCpuDevice();
  auto prepared = device->prepare(loaded.value());
  if (!prepared) return fail(fmt::format("cannot run '{}': {}", args.model, prepared.status().message()));
  hal::PreparedModel& pm = *prepared.value();
  const auto& expected = pm.inputs();

  // Match --input arguments to model inputs by name.
  std::map<std::string, size_t> byName;
  for (size_t i = 0; i < expected.size(); ++i) byName[expected[i].name] = i;
  std::vector<std::string> files(expected.size());
  for (const std::string& arg : args.inputs) {
    const size_t eq = arg.find('=');
    size_t index = expected.size();
    std::string file = arg;
    if (eq != std::string::npos && byName.count(arg.substr(0, eq))) {
      index = byName[arg.substr(0, eq)];
      file = arg.substr(eq + 1);
    } else if (expected.size() == 1) {
      index = 0;
    } else if (eq != std::string::npos) {
      return fail(fmt::format("the model has no input named '{}'; {}", arg.substr(0, eq), describeInputs(expected)));
    } else {
      return fail(fmt::format("--input {} needs a NAME= prefix because the model has {} inputs; {}", arg,
                              expected.size(), describeInputs(expected)));
    }
    if (!files[index].empty()) return fail(fmt::format("input '{}' is given twice", expected[index].name));
    files[index] = file;
  }
  std::vector<NpyArray> arrays(expected.size());
  std::vector<hal::TensorView> views(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const hal::TensorDesc& e = expected[i];
    if (files[i].empty()) return fail(fmt::format("missing input '{}'; {}", e.name, describeInputs(expected)));
    auto arr = readNpy(files[i]);
    if (!arr) return fail(arr.status().message());
    arrays[i] = std::move(arr).value();
    if (arrays[i].type != e.type || arrays[i].dims != e.dims) {
      return fail(fmt::format("input '{}' from {} is {} {}, expected {} {}", e.name, files[i],
                              elementTypeName(arrays[i].type), dimsToString(arrays[i].dims), elementTypeName(e.type),
                              dimsToString(e.dims)));
    }
    views[i] = {arrays[i].type, arrays[i].dims, arrays[i].data.data(), arrays[i].data.size()};
  }

  std::vector<hal::OwnedTensor> outputs;
  std::vector<double> times;
  for (int r = 0; r < args.repeat; ++r) {
    hal::ExecutionTiming timing;
    Status s = pm.execute(views, &outputs, hal::Deadline::none(), &timing);
    if (!s.isOk()) return fail(fmt::format("inference failed: {}", s.message()));
    times.push_back(static_cast<double>(timing.computeNs) / 1e6);
  }
  std::sort(times.begin(), times.end());

  std::error_code ec;
  std::filesystem::create_directories(args.outputDir, ec);
  if (ec) return fail(fmt::format("cannot create output directory '{}': {}", args.outputDir, ec.message()));
  fmt::print("model: {} on device {}, arena {} bytes\n", args.model, pm.deviceName(), pm.workingBytes());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string path = (std::filesystem::path(args.outputDir) / fmt::format("output_{}.npy", i)).string();
    const hal::OwnedTensor& o = outputs[i];
    Status s = writeNpy(path, o.type, o.dims, o.data.data(), o.data.size());
    if (!s.isOk()) return fail(s.message());
    fmt::print("output {} '{}' {} {}: {} -> {}\n", i, pm.outputs()[i].name, elementTypeName(o.type),
               dimsToString(o.dims), summarize(o), path);
  }
  if (args.repeat > 1) {
    fmt::print("time: median {:.3f} ms, min {:.3f} ms over {} runs\n", times[times.size() / 2], times.front(),
               times.size());
  } else {
    fmt::print("time: {:.3f} ms\n", times.front());
  }
  return 0;
}

}  // namespace inferd::inferctl
