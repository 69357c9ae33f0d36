// Model discovery in the repository directory.
#include "inferd/daemon/model_repository.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "inferd/daemon/config.h"

namespace inferd::daemon {

namespace fs = std::filesystem;

OpenFile& OpenFile::operator=(OpenFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

OpenFile::~OpenFile() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// What a directory entry is, without following a link.
enum class Entry { kMissing, kFile, kDir, kLink, kOther };

Entry entryAt(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return Entry::kMissing;
  if (S_ISLNK(st.st_mode)) return Entry::kLink;
  if (S_ISREG(st.st_mode)) return Entry::kFile;
  if (S_ISDIR(st.st_mode)) return Entry::kDir;
  return Entry::kOther;
}

// The nested layout's file: <dir>/<name> a real folder, model.tflite in it
// not a link either.
Entry nestedEntry(const fs::path& dir, const std::string& name) {
  const Entry folder = entryAt(dir / name);
  if (folder == Entry::kLink) return Entry::kLink;
  if (folder != Entry::kDir) return Entry::kMissing;
  return entryAt(dir / name / "model.tflite");
}

// The error of an open*() that failed with errno `err` on `what`.
Status openError(int err, const std::string& what) {
  if (err == ELOOP) {
    return makeError(StatusCode::kPermissionDenied,
                     "'{}' is a symbolic link; the daemon does not follow links in the model directory", what);
  }
  return makeError(err == ENOENT ? StatusCode::kNotFound : StatusCode::kInternal, "cannot open '{}': {}", what,
                   std::strerror(err));
}

// Opens `file` in `dirFd` without following a link; a regular file only.
Result<OpenFile> openRegularAt(int dirFd, const std::string& file, const std::string& what) {
  OpenFile f(::openat(dirFd, file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (f.get() < 0) return openError(errno, what);
  struct stat st {};
  if (::fstat(f.get(), &st) != 0) return openError(errno, what);
  if (!S_ISREG(st.st_mode)) {
    return makeError(StatusCode::kInvalidArgument, "'{}' is not a regular file", what);
  }
  return f;
}

// Opens <name>/<file> (nested) or <file> beneath `dir`, no links followed.
Result<OpenFile> openBeneath(const std::string& dir, const ModelLocation& location, const std::string& file) {
  OpenFile root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return openError(errno, "the model directory");
  if (!location.nested) return openRegularAt(root.get(), file, file);
  const std::string what = location.name + "/" + file;
  OpenFile folder(::openat(root.get(), location.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (folder.get() < 0) return openError(errno == ENOTDIR ? ENOENT : errno, location.name);
  return openRegularAt(folder.get(), file, what);
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
    if (p.extension() == ".tflite" && entryAt(p) == Entry::kFile) {
      name = p.stem().string();
    } else if (nestedEntry(dir_, p.filename().string()) == Entry::kFile) {
      name = p.filename().string();
    } else {
      continue;  // also links: find() would refuse them
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
  const std::string flatName = name + ".tflite", nestedName = name + "/model.tflite";
  const Entry flat = entryAt(fs::path(dir_) / flatName);
  const Entry nested = nestedEntry(dir_, name);
  if (flat == Entry::kLink || nested == Entry::kLink) {
    return makeError(StatusCode::kPermissionDenied,
                     "model '{}': '{}' is a symbolic link; the daemon does not follow links in the model directory",
                     name, flat == Entry::kLink ? flatName : nested == Entry::kLink ? nestedName : name);
  }
  const bool hasFlat = flat == Entry::kFile, hasNested = nested == Entry::kFile;
  if (hasFlat && hasNested) {
    return makeError(StatusCode::kInvalidArgument, "model '{}' is ambiguous: both '{}' and '{}' exist; remove one",
                     name, flatName, nestedName);
  }
  if (!hasFlat && !hasNested) {
    if (flat == Entry::kOther || nested == Entry::kOther) {
      return makeError(StatusCode::kInvalidArgument, "model '{}': '{}' is not a regular file", name,
                       flat == Entry::kOther ? flatName : nestedName);
    }
    return makeError(StatusCode::kNotFound,
                     "unknown model '{}': the model directory has neither '{}' nor '{}'", name, flatName, nestedName);
  }
  ModelLocation loc;
  loc.name = name;
  loc.nested = hasNested;
  loc.modelPath = (fs::path(dir_) / (hasFlat ? flatName : nestedName)).string();
  if (hasNested) {
    const fs::path cfg = fs::path(dir_) / name / "config.pbtxt";
    const Entry c = entryAt(cfg);
    // A linked config is still reported (and refused by modelConfig()).
    if (c == Entry::kFile || c == Entry::kLink) loc.configPath = cfg.string();
  }
  return loc;
}

Result<OpenFile> ModelRepository::openModel(const ModelLocation& location) const {
  auto f = openBeneath(dir_, location, location.nested ? "model.tflite" : location.name + ".tflite");
  if (!f) return f.status().withContext(fmt::format("model '{}'", location.name));
  return f;
}

Result<std::optional<config::ModelConfig>> ModelRepository::modelConfig(const ModelLocation& location) const {
  if (location.configPath.empty()) return std::optional<config::ModelConfig>();
  const std::string label = location.name + "/config.pbtxt";
  auto f = openBeneath(dir_, location, "config.pbtxt");
  if (!f) return f.status();
  std::string text;
  char buf[4096];
  constexpr size_t kMaxConfigBytes = 1 << 20;
  for (;;) {
    const ssize_t n = ::read(f->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(StatusCode::kInternal, "cannot read '{}': {}", label, std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      return makeError(StatusCode::kInvalidArgument, "'{}' is larger than {} bytes", label, kMaxConfigBytes);
    }
  }
  auto c = parseModelConfig(text, label);
  if (!c) return c.status();
  return std::optional<config::ModelConfig>(std::move(c).value());
}

}  // namespace inferd::daemon
