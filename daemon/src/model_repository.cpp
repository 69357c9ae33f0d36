// Model discovery in the repository directory.
#include "inferd/daemon/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "inferd/daemon/config.h"

namespace inferd::daemon {

namespace fs = std::filesystem;

namespace {

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

std::vector<ModelLocation> ModelRepository::list() const {
  std::vector<ModelLocation> out;
  if (dir_.empty()) return out;
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name;
    if (p.extension() == ".tflite" && isFile(p)) {
      name = p.stem().string();
    } else if (isFile(p / "model.tflite")) {
      name = p.filename().string();
    } else {
      continue;
    }
    if (validateModelName(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) {
    auto loc = find(name);
    if (loc) out.push_back(std::move(loc).value());
  }
  return out;
}

Result<ModelLocation> ModelRepository::find(const std::string& name) const {
  INFERD_RETURN_IF_ERROR(validateModelName(name));
  if (dir_.empty()) {
    return makeError(StatusCode::kNotFound,
                     "unknown model '{}': no model repository is configured (model_dir or --model-dir)", name);
  }
  const fs::path flat = fs::path(dir_) / (name + ".tflite");
  const fs::path nested = fs::path(dir_) / name / "model.tflite";
  const bool hasFlat = isFile(flat), hasNested = isFile(nested);
  if (hasFlat && hasNested) {
    return makeError(StatusCode::kInvalidArgument, "model '{}' is ambiguous: both '{}' and '{}' exist; remove one",
                     name, flat.string(), nested.string());
  }
  if (!hasFlat && !hasNested) {
    return makeError(StatusCode::kNotFound, "unknown model '{}': neither '{}' nor '{}' exists", name, flat.string(),
                     nested.string());
  }
  ModelLocation loc;
  loc.name = name;
  loc.modelPath = hasFlat ? flat.string() : nested.string();
  if (hasNested) {
    const fs::path cfg = fs::path(dir_) / name / "config.pbtxt";
    if (isFile(cfg)) loc.configPath = cfg.string();
  }
  return loc;
}

Result<std::optional<config::ModelConfig>> ModelRepository::modelConfig(const ModelLocation& location) const {
  if (location.configPath.empty()) return std::optional<config::ModelConfig>();
  auto c = readModelConfigFile(location.configPath);
  if (!c) return c.status();
  return std::optional<config::ModelConfig>(std::move(c).value());
}

}  // namespace inferd::daemon
