// The model repository: a directory where a model is `<dir>/<name>.tflite`
// or `<dir>/<name>/model.tflite`, the latter with an optional
// `<dir>/<name>/config.pbtxt` (a ModelConfig in text format). The directory
// is read on every call, so models added or removed while the daemon runs
// are seen without a restart.
//
// Confinement: entries are looked at and opened beneath the directory
// without following symbolic links (lstat, openat with O_NOFOLLOW), so a
// link planted in the directory cannot serve a file from elsewhere; model
// files are opened with O_NONBLOCK (a FIFO in their place is refused, not
// waited on) and checked on the opened descriptor. Errors name entries
// relative to the directory, never the daemon's absolute paths, since
// they reach clients.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inferd/engine/status.h"
#include "inferd_config.pb.h"

namespace inferd::daemon {

struct ModelLocation {
  std::string name;
  std::string modelPath;   // the .tflite file (for the daemon's own log)
  std::string configPath;  // <dir>/<name>/config.pbtxt when it exists, else empty
  bool nested = false;     // <name>/model.tflite rather than <name>.tflite
  // The model file relative to the directory: what errors call it.
  std::string relativeModelPath() const { return nested ? name + "/model.tflite" : name + ".tflite"; }
};

// An open file descriptor, closed with its owner.
class OpenFile {
 public:
  explicit OpenFile(int fd = -1) : fd_(fd) {}
  OpenFile(OpenFile&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  OpenFile& operator=(OpenFile&& o) noexcept;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile();
  int get() const { return fd_; }

 private:
  int fd_ = -1;
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
  // INVALID_ARGUMENT for a name that is not a plain file name, when both
  // `<name>.tflite` and `<name>/model.tflite` exist (which one is meant?),
  // and PERMISSION_DENIED when the entry is a symbolic link.
  Result<ModelLocation> find(const std::string& name) const;

  // The model file, opened beneath the directory without following links,
  // non-blocking, and checked to be a regular file.
  Result<OpenFile> openModel(const ModelLocation& location) const;

  // The model's config.pbtxt, parsed and validated; nullopt when it has none.
  Result<std::optional<config::ModelConfig>> modelConfig(const ModelLocation& location) const;

 private:
  std::string dir_;
};

}  // namespace inferd::daemon
