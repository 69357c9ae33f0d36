// inferctl commands that talk to a running inferd: models, load, unload,
// status, and `run` without --local.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <map>

#include "commands.h"
#include "daemon_client.h"
#include "tensor_io.h"

namespace inferd::inferctl {

namespace {

double avgMs(const client::StatisticDuration& d) {
  return d.count ? static_cast<double>(d.ns) / static_cast<double>(d.count) / 1e6 : 0.0;
}

}  // namespace

int modelsCommand(const ModelsArgs& args) {
  auto c = connectDaemon(args.socket);
  if (!c) return fail(c.status().message());
  auto models = c->listModels(args.readyOnly);
  if (!models) return failStatus(models.status());
  if (models->empty()) {
    fmt::print("no models{} in the repository of inferd at {}\n", args.readyOnly ? " ready" : "", c->target());
    return 0;
  }
  size_t width = 5;
  for (const auto& m : *models) width = std::max(width, m.name.size());
  fmt::print("{:<{}}  {:<7}  {:<11}  {}\n", "MODEL", width, "VERSION", "STATE", "REASON");
  for (const auto& m : *models) {
    fmt::print("{:<{}}  {:<7}  {:<11}  {}\n", m.name, width, m.version.empty() ? "-" : m.version, m.state, m.reason);
  }
  return 0;
}

int loadCommand(const ModelArgs& args) {
  auto c = connectDaemon(args.socket);
  if (!c) return fail(c.status().message());
  client::Status s = c->loadModel(args.model);
  if (!s.isOk()) return failStatus(s);
  fmt::print("loaded model '{}'\n", args.model);
  return 0;
}

int unloadCommand(const ModelArgs& args) {
  auto c = connectDaemon(args.socket);
  if (!c) return fail(c.status().message());
  client::Status s = c->unloadModel(args.model);
  if (!s.isOk()) return failStatus(s);
  fmt::print("unloaded model '{}'\n", args.model);
  return 0;
}

int statusCommand(const StatusArgs& args) {
  auto c = connectDaemon(args.socket);
  if (!c) return fail(c.status().message());
  auto live = c->serverLive();
  if (!live) return failStatus(live.status());
  auto ready = c->serverReady();
  if (!ready) return failStatus(ready.status());
  auto meta = c->serverMetadata();
  if (!meta) return failStatus(meta.status());
  fmt::print("server: {} {} at {}\n", meta->name, meta->version, c->target());
  fmt::print("live: {}, ready: {}\n", *live ? "yes" : "no", *ready ? "yes" : "no");

  auto stats = c->statistics(args.model);
  if (!stats) return failStatus(stats.status());
  std::map<std::string, std::string> states;
  if (auto models = c->listModels(false)) {
    for (const auto& m : *models) states[m.name] = m.state;
  }
  if (stats->empty()) {
    fmt::print("no model statistics\n");
    return 0;
  }
  size_t width = 5;
  for (const auto& m : *stats) width = std::max(width, m.name.size());
  fmt::print("{:<{}}  {:<7}  {:<11}  {:>10}  {:>8}  {:>6}  {:>12}  {:>14}\n", "MODEL", width, "VERSION", "STATE",
             "INFERENCES", "SUCCESS", "FAIL", "QUEUE_AVG_MS", "COMPUTE_AVG_MS");
  for (const auto& m : *stats) {
    const auto it = states.find(m.name);
    fmt::print("{:<{}}  {:<7}  {:<11}  {:>10}  {:>8}  {:>6}  {:>12.3f}  {:>14.3f}\n", m.name, width,
               m.version.empty() ? "-" : m.version, it == states.end() ? "-" : it->second, m.inferenceCount,
               m.success.count, m.fail.count, avgMs(m.queue), avgMs(m.computeInfer));
  }
  return 0;
}

int runDaemonCommand(const RunArgs& args) {
  if (args.outputDir.empty()) return fail("run needs --output-dir DIR");
  auto c = connectDaemon(args.socket);
  if (!c) return fail(c.status().message());
  auto meta = c->modelMetadata(args.model);
  if (!meta) return failStatus(meta.status());
  auto expected = inputSpecs(*meta);
  if (!expected) return fail(expected.status().message());
  auto arrays = readInputs(args.inputs, *expected);
  if (!arrays) return fail(arrays.status().message());
  std::vector<client::Tensor> inputs;
  for (size_t i = 0; i < arrays->size(); ++i) inputs.push_back(tensorFromNpy((*expected)[i].name, (*arrays)[i]));

  const client::InferOptions options = inferOptions(args.request);
  client::InferResult result;
  std::vector<double> times;
  for (int r = 0; r < args.repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto out = c->infer(args.model, inputs, options);
    const auto end = std::chrono::steady_clock::now();
    if (!out) return failStatus(out.status());
    result = std::move(out).value();
    times.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }

  std::vector<OutputRef> refs;
  for (const client::Tensor& t : result.outputs) {
    auto type = toElementType(t.type);
    if (!type) return fail(fmt::format("output '{}' is {}, which cannot be written as .npy", t.name, client::dataTypeName(t.type)));
    engine::Dims dims;
    for (int64_t d : t.shape) {
      if (d < 0 || d > INT32_MAX) return fail(fmt::format("output '{}' has shape {}", t.name, client::shapeToString(t.shape)));
      dims.push_back(static_cast<int32_t>(d));
    }
    refs.push_back({t.name, *type, dims, t.bytes.data(), t.bytes.size()});
  }
  Status s = makeOutputDir(args.outputDir);
  if (!s.isOk()) return fail(s.message());
  fmt::print("model: {} version {} via inferd at {}\n", args.model, result.version.empty() ? "-" : result.version,
             c->target());
  s = writeOutputs(args.outputDir, refs);
  if (!s.isOk()) return fail(s.message());
  printTimes(std::move(times));
  return 0;
}

}  // namespace inferd::inferctl
