// The model repository: a directory where a model is `<dir>/<name>.tflite`
// or `<dir>/<name>/model.tflite`, the latter with an optional
// `<dir>/<name>/config.pbtxt` (a ModelConfig in text format). The directory
// is read on every call, so models added or removed while the daemon runs
// are seen without a restart.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inferd/engine/status.h"
#include "inferd_config.pb.h"

namespace inferd::daemon {

struct ModelLocation {
  std::string name;
  std::string modelPath;   // the .tflite file
  std::string configPath;  // <dir>/<name>/config.pbtxt when it exists, else empty
};

class ModelRepository {
 public:
  // An empty `dir` is a repository without models (no model_dir configured).
  explicit ModelRepository(std::string dir = "") : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }

  // Every model in the directory, sorted by name. Entries that are not
  // models (other files, folders without model.tflite, bad names) are
  // skipped; a name present in both forms is reported by find() only.
  std::vector<ModelLocation> list() const;

  // NOT_FOUND (saying what was looked for) when there is no such model;
  // INVALID_ARGUMENT for a name that is not a plain file name, or when both
  // `<name>.tflite` and `<name>/model.tflite` exist (which one is meant?).
  Result<ModelLocation> find(const std::string& name) const;

  // The model's config.pbtxt, parsed and validated; nullopt when it has none.
  Result<std::optional<config::ModelConfig>> modelConfig(const ModelLocation& location) const;

 private:
  std::string dir_;
};

}  // namespace inferd::daemon
