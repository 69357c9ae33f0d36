// Default socket path and its folder, shared by the daemon and clients.
#include "inferd/ipc/socket_path.h"

#include <fcntl.h>
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

// The socket's folder must be a real directory (not a link: O_NOFOLLOW),
// owned by the daemon's uid and writable by no one else; else another user
// could listen where clients look (e.g. a planted /tmp/inferd-<uid> ->
// /tmp, or a folder of theirs) or replace the socket. Reading and entering
// it may be allowed (the socket's own mode then decides who connects).
Status checkDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    struct stat lst {};
    if (::lstat(dir.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
      return makeError(StatusCode::kPermissionDenied,
                       "socket folder '{}' is a symbolic link; refusing to follow it (remove it, or choose "
                       "another socket path)",
                       dir);
    }
    if (err == ENOTDIR) {
      return makeError(StatusCode::kInvalidArgument, "socket folder '{}' exists but is not a directory", dir);
    }
    return makeError(StatusCode::kInternal, "cannot open socket folder '{}': {}", dir, std::strerror(err));
  }
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return makeError(StatusCode::kInternal, "cannot stat socket folder '{}': {}", dir, std::strerror(err));
  }
  if (st.st_uid != ::geteuid()) {
    return makeError(StatusCode::kPermissionDenied,
                     "socket folder '{}' is owned by uid {}, expected uid {}; "
                     "refusing to put the socket where another user controls it",
                     dir, st.st_uid, ::geteuid());
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return makeError(StatusCode::kPermissionDenied,
                     "socket folder '{}' has mode {:04o}: others may write to it and replace the socket; "
                     "refusing to use it (chmod go-w it)",
                     dir, static_cast<unsigned>(st.st_mode & 07777));
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

  struct stat lst {};
  if (::lstat(dir.c_str(), &lst) == 0) return checkDir(dir.string());

  // Ancestors get ordinary permissions; only the socket's own folder is
  // restricted.
  std::error_code ec;
  std::filesystem::path parent = dir.parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return makeError(StatusCode::kInternal, "cannot create folder '{}' for socket '{}': {}",
                       parent.string(), socketPath, ec.message());
    }
  }
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST) return checkDir(dir.string());  // lost a race: check it
    return makeError(StatusCode::kInternal, "cannot create socket folder '{}': {}", dir.string(),
                     std::strerror(errno));
  }
  // mkdir's mode is filtered through the umask; set exactly what was asked,
  // on the folder just made (not on whatever the name points to now).
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || ::fchmod(fd, mode) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return makeError(StatusCode::kInternal, "cannot set mode {:o} on socket folder '{}': {}",
                     static_cast<unsigned>(mode), dir.string(), std::strerror(err));
  }
  ::close(fd);
  return checkDir(dir.string());
}

bool isLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "ip6-localhost" ||
         host.rfind("127.", 0) == 0;
}

// Splits "host:port" / "[v6]:port"; the host without brackets.
bool splitHostPort(const std::string& address, std::string& host, std::string& port) {
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return false;
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  return !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace inferd::ipc
