// `inferctl inspect`: a model's interface, operators, support and memory.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "commands.h"
#include "local_model.h"
#include "inferd/engine/interpreter.h"
#include "inferd/engine/kernel.h"
#include "inferd/engine/model.h"

namespace inferd::inferctl {

namespace {

using namespace inferd::engine;

std::string quantText(const QuantParams& q) {
  if (q.empty()) return "";
  if (!q.perChannel()) return fmt::format("  scale={} zero_point={}", q.scale[0], q.zeroPoint[0]);
  return fmt::format("  per-channel: {} scales on dim {}", q.scale.size(), q.quantizedDimension);
}

void printTensors(const char* title, const Subgraph& sg, const std::vector<int32_t>& indices) {
  fmt::print("{}:\n", title);
  for (size_t i = 0; i < indices.size(); ++i) {
    const TensorInfo& t = sg.tensors[static_cast<size_t>(indices[i])];
    std::string sig;
    if (!t.shapeSignature.empty() && t.shapeSignature != t.shape) sig = " signature " + dimsToString(t.shapeSignature);
    fmt::print("  {:<2} {:<24} {:<8} {}{}{}\n", i, t.name.empty() ? "(unnamed)" : t.name, elementTypeName(t.type),
               dimsToString(t.shape), sig, quantText(t.quant));
  }
}

// " (run by subgraph 0 op 3 WHILE)" for subgraphs that control flow runs.
std::string calledBy(const Model& model, int32_t index) {
  std::string out;
  for (size_t s = 0; s < model.subgraphs().size(); ++s) {
    const auto& ops = model.subgraphs()[s].operators;
    for (size_t i = 0; i < ops.size(); ++i) {
      const auto& called = ops[i].calledSubgraphs;
      if (std::find(called.begin(), called.end(), index) == called.end()) continue;
      out += fmt::format("{}subgraph {} op {} {}", out.empty() ? "" : ", ", s, i, ops[i].name());
    }
  }
  return out.empty() ? "" : " (run by " + out + ")";
}

// "x=t0, y=t3"
std::string signatureTensors(const std::vector<SignatureTensor>& list) {
  std::string out;
  for (const SignatureTensor& t : list) out += fmt::format("{}{}=t{}", out.empty() ? "" : ", ", t.name, t.tensorIndex);
  return out.empty() ? "none" : out;
}

int listOps() {
  struct Row {
    std::string name, versions, types;
  };
  std::vector<Row> rows;
  for (const KernelRegistration& k : OpResolver::builtins().all()) {
    Row r;
    r.name = k.builtinCode == 32 ? k.customName + " (custom)" : builtinOperatorName(k.builtinCode);
    r.versions = k.minVersion == k.maxVersion ? fmt::format("{}", k.minVersion)
                                              : fmt::format("{}-{}", k.minVersion, k.maxVersion);
    for (ElementType t : k.types) r.types += (r.types.empty() ? "" : ",") + elementTypeName(t);
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
  size_t builtin = 0;
  for (const KernelRegistration& k : OpResolver::builtins().all()) builtin += k.builtinCode != 32;
  fmt::print("{:<34} {:<9} {}\n", "operator", "versions", "types");
  for (const Row& r : rows) fmt::print("{:<34} {:<9} {}\n", r.name, r.versions, r.types);
  fmt::print("{} kernels ({} builtin, {} custom)\n", rows.size(), builtin, rows.size() - builtin);
  return 0;
}

}  // namespace

int fail(const std::string& message) {
  fmt::print(stderr, "inferctl: error: {}\n", message);
  return 1;
}

// The plan for the model on --device, or measured over every available
// device, op by op.
static int printPlacement(const InspectArgs& args) {
  LocalOptions options;
  options.model = args.model;
  options.device = args.device.empty() ? "auto" : args.device;
  options.strict = args.strict;
  auto opened = openLocalModel(options);
  if (!opened) return fail(opened.status().message());
  printPlan(opened->plan, true, opened->placement);
  return 0;
}

int inspectCommand(const InspectArgs& args) {
  if (args.listOps) return listOps();
  auto loaded = Model::load(args.model);
  if (!loaded) return fail(loaded.status().message());
  const Model& model = *loaded.value();
  const Subgraph& sg = model.mainSubgraph();

  fmt::print("model: {} ({} bytes, schema v{}{})\n", model.label(), model.fileBytes(), model.schemaVersion(),
             model.description().empty() ? "" : ", \"" + model.description() + "\"");
  fmt::print("subgraphs: {}, signatures: {}\n", model.subgraphs().size(), model.signatures().size());
  if (model.subgraphs().size() > 1) {
    for (size_t i = 0; i < model.subgraphs().size(); ++i) {
      const Subgraph& s = model.subgraphs()[i];
      fmt::print("  subgraph {} '{}': {} inputs, {} outputs, {} operators{}\n", i, s.name, s.inputs.size(),
                 s.outputs.size(), s.operators.size(), calledBy(model, static_cast<int32_t>(i)));
    }
  }
  for (const Signature& s : model.signatures()) {
    fmt::print("  signature '{}' -> subgraph {}: inputs {}; outputs {}\n", s.key, s.subgraphIndex,
               signatureTensors(s.inputs), signatureTensors(s.outputs));
  }
  printTensors("inputs", sg, sg.inputs);
  printTensors("outputs", sg, sg.outputs);

  std::map<std::string, std::pair<int, std::string>> histogram;  // name -> (count, versions)
  size_t folded = 0;
  for (const OperatorInfo& op : sg.operators) {
    auto& [count, versions] = histogram[op.name()];
    ++count;
    const std::string v = fmt::format("v{}", op.version);
    if (versions.find(v) == std::string::npos) versions += (versions.empty() ? "" : ",") + v;
    folded += op.folded;
  }
  fmt::print("operators: {} ({} folded into constants at load)\n", sg.operators.size(), folded);
  std::vector<std::pair<std::string, std::pair<int, std::string>>> sorted(histogram.begin(), histogram.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  for (const auto& [name, cv] : sorted) fmt::print("  {:<34} {:>5}  {}\n", name, cv.first, cv.second);

  std::vector<std::string> unsupported;
  for (size_t s = 0; s < model.subgraphs().size(); ++s) {
    for (const UnsupportedOp& u : findUnsupportedOps(model, OpResolver::builtins(), static_cast<int>(s))) {
      unsupported.push_back(s == 0 ? fmt::format("op {}: {}", u.opIndex, u.reason)
                                   : fmt::format("subgraph {} op {}: {}", s, u.opIndex, u.reason));
    }
  }
  if (unsupported.empty()) {
    fmt::print("unsupported operators: none\n");
  } else {
    fmt::print("unsupported operators: {}\n", unsupported.size());
    for (const std::string& u : unsupported) fmt::print("  {}\n", u);
  }
  fmt::print("constant bytes: {} (of which {} folded at load, e.g. fp16 -> fp32)\n", model.constantBytes(),
             model.foldedBytes());
  if (!unsupported.empty()) {
    fmt::print("arena bytes: n/a (the model has unsupported operators)\n");
    return 0;
  }
  auto interp = Interpreter::create(loaded.value());
  if (!interp) {
    fmt::print("arena bytes: n/a ({})\n", interp.status().message());
    return fail(interp.status().message());
  }
  fmt::print("arena bytes: {} (without lifetime sharing: {})\n", interp.value()->arenaBytes(),
             interp.value()->arenaNaiveBytes());
  if (args.placement) return printPlacement(args);
  return 0;
}

}  // namespace inferd::inferctl
