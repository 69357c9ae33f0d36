// Default socket path and its folder, shared by the daemon and clients.
#include "inferd/ipc/socket_path.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace inferd::ipc {

std::string defaultSocketPath() {
  const char* runtimeDir = std::getenv("XDG_RUNTIME_DIR");
  // A relative XDG_RUNTIME_DIR is invalid per the XDG spec; ignore it rather
  // than putting the socket somewhere that depends on the working directory.
  if (runtimeDir != nullptr && runtimeDir[0] == '/') {
    return std::string(runtimeDir) + "/inferd/inferd.sock";
  }
  return "/tmp/inferd-" + std::to_string(::getuid()) + "/inferd.sock";
}

size_t maxSocketPathLength() { return sizeof(sockaddr_un{}.sun_path) - 1; }

namespace {

Status checkExistingDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return makeError(StatusCode::kInternal, "cannot stat socket folder '{}': {}", dir,
                     std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return makeError(StatusCode::kInvalidArgument,
                     "socket folder '{}' exists but is not a directory", dir);
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return makeError(StatusCode::kPermissionDenied,
                     "socket folder '{}' is owned by uid {}, expected uid {} (or root); "
                     "refusing to put the socket where another user controls it",
                     dir, st.st_uid, ::geteuid());
  }
  return Status::ok();
}

}  // namespace

Status ensureSocketDir(const std::string& socketPath, mode_t mode) {
  if (socketPath.empty()) {
    return Status(StatusCode::kInvalidArgument, "socket path is empty");
  }
  std::filesystem::path dir = std::filesystem::path(socketPath).parent_path();
  if (dir.empty()) return Status::ok();  // relative name in the working directory

  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) return checkExistingDir(dir.string());

  // Ancestors get ordinary permissions; only the socket's own folder is
  // restricted.
  std::filesystem::path parent = dir.parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return makeError(StatusCode::kInternal, "cannot create folder '{}' for socket '{}': {}",
                       parent.string(), socketPath, ec.message());
    }
  }
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST) return checkExistingDir(dir.string());  // lost a race: check it
    return makeError(StatusCode::kInternal, "cannot create socket folder '{}': {}", dir.string(),
                     std::strerror(errno));
  }
  // mkdir's mode is filtered through the umask; set exactly what was asked.
  if (::chmod(dir.c_str(), mode) != 0) {
    return makeError(StatusCode::kInternal, "cannot set mode {:o} on socket folder '{}': {}",
                     static_cast<unsigned>(mode), dir.string(), std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace inferd::ipc
