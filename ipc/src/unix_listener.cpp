// UnixListener: bind/adopt, the accept loop (cap, EMFILE, credentials) and
// the credential table; also Peer, Action names and CancelToken.
#include "inferd/ipc/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <google/protobuf/stubs/logging.h>

#include "inferd/ipc/socket_path.h"
#include "log.h"

namespace inferd::ipc {

bool Peer::inGroup(gid_t g) const {
  if (!hasCredentials) return false;
  if (gid == g) return true;
  for (gid_t x : groups) {
    if (x == g) return true;
  }
  return false;
}

std::string Peer::describe() const {
  switch (transport) {
    case Transport::kUnix:
      if (hasCredentials) return fmt::format("uid {} gid {} pid {}", uid, gid, pid);
      return "unix (no credentials)";
    case Transport::kTcp:
      return "tcp " + address;
    case Transport::kInProcess:
      break;
  }
  return "in-process";
}

const char* actionName(Action action) {
  switch (action) {
    case Action::kInfer: return "infer";
    case Action::kMetadata: return "metadata";
    case Action::kLoad: return "load";
    case Action::kAdmin: return "admin";
  }
  return "?";
}

bool actionFromName(const std::string& name, Action* action) {
  for (Action a : {Action::kInfer, Action::kMetadata, Action::kLoad, Action::kAdmin}) {
    if (name == actionName(a)) {
      *action = a;
      return true;
    }
  }
  return false;
}

void CancelToken::cancel() {
  std::lock_guard lock(mu_);
  cancelled_.store(true, std::memory_order_release);
  if (bound_ != nullptr) bound_->store(true);
}

void CancelToken::bind(std::atomic<bool>* flag) {
  std::lock_guard lock(mu_);
  bound_ = flag;
  if (cancelled_.load() && flag != nullptr) flag->store(true);
}

void CancelToken::unbind() {
  std::lock_guard lock(mu_);
  bound_ = nullptr;
}

namespace {

// Refuses an over-long path, a missing folder, a live server's socket and
// any non-socket; removes a socket file left behind by a process that died
// (never one a live server still listens on).
Status prepareSocketPath(const std::string& path) {
  if (path.size() > maxSocketPathLength()) {
    return makeError(StatusCode::kInvalidArgument,
                     "socket path '{}' is {} characters, longer than the {} a Unix socket allows", path,
                     path.size(), maxSocketPathLength());
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return makeError(StatusCode::kNotFound, "folder '{}' of socket '{}' does not exist", parent.string(), path);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::ok();
    return makeError(StatusCode::kInternal, "cannot stat socket path '{}': {}", path, std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return makeError(StatusCode::kInvalidArgument, "'{}' exists and is not a socket; refusing to replace it", path);
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError(StatusCode::kInternal, "socket(AF_UNIX) failed: {}", std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  ::close(fd);
  if (rc == 0) {
    return makeError(StatusCode::kUnavailable,
                     "another process is already listening on socket '{}' (is inferd already running?)", path);
  }
  if (err != ECONNREFUSED) {
    return makeError(StatusCode::kPermissionDenied, "cannot check whether socket '{}' is in use: {}", path,
                     std::strerror(err));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return makeError(StatusCode::kPermissionDenied, "cannot remove stale socket '{}': {}", path,
                     std::strerror(errno));
  }
  return Status::ok();
}

constexpr int kBacklog = 256;

}  // namespace

UnixListener::UnixListener(int fd, std::string path, bool owned) : fd_(fd), path_(std::move(path)), owned_(owned) {
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  reserveFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (owned_ && ::lstat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
}

Result<std::unique_ptr<UnixListener>> UnixListener::bind(const std::string& path, mode_t mode) {
  INFERD_RETURN_IF_ERROR(prepareSocketPath(path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return makeError(StatusCode::kInternal, "socket(AF_UNIX) failed: {}", std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // Bind with no permissions for anyone, then open up to `mode`: nobody can
  // connect in between, whatever the umask.
  const mode_t oldMask = ::umask(0777);
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::umask(oldMask);
  if (rc != 0) {
    ::close(fd);
    return makeError(err == EACCES ? StatusCode::kPermissionDenied : StatusCode::kUnavailable,
                     "cannot bind socket '{}': {}", path, std::strerror(err));
  }
  if (::chmod(path.c_str(), mode) != 0 || ::listen(fd, kBacklog) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return makeError(StatusCode::kPermissionDenied, "cannot set mode {:o} on / listen on socket '{}': {}",
                     static_cast<unsigned>(mode), path, std::strerror(e));
  }
  return std::unique_ptr<UnixListener>(new UnixListener(fd, path, true));
}

Result<std::unique_ptr<UnixListener>> UnixListener::adopt(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  int listening = 0;
  socklen_t optLen = sizeof(listening);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sun_family != AF_UNIX ||
      ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optLen) != 0 || listening == 0) {
    return makeError(StatusCode::kInvalidArgument,
                     "fd {} passed by the service manager is not a listening Unix stream socket", fd);
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string path;
  if (len > offsetof(sockaddr_un, sun_path) && addr.sun_path[0] != '\0') path = addr.sun_path;
  return std::unique_ptr<UnixListener>(new UnixListener(fd, path, false));
}

UnixListener::~UnixListener() {
  stop();
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (reserveFd_ >= 0) ::close(reserveFd_);
}

void UnixListener::start(size_t maxConnections, std::function<void(int)> handOff) {
  maxConnections_ = maxConnections;
  handOff_ = std::move(handOff);
  thread_ = std::thread([this] { acceptLoop(); });
}

void UnixListener::stop() {
  if (stopped_.exchange(true)) return;
  if (wakeFd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (owned_ && !path_.empty()) {
    // Only the socket file we bound: a successor may have replaced it.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == inode_) ::unlink(path_.c_str());
  }
}

void UnixListener::acceptLoop() {
  LogThrottle fdLog(std::chrono::seconds(10));
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ipcLog()->error("socket '{}': poll failed: {}; accepting stops", path_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn >= 0) {
      handle(conn);
      continue;
    }
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
    if (err == EMFILE || err == ENFILE) {
      // Out of fds: shed the pending connection (with the spare fd) so that
      // its client gets an error instead of hanging in the backlog, and
      // keep accepting; when connections close, fds come back.
      {
        std::lock_guard lock(mu_);
        ++stats_.fdExhausted;
      }
      if (reserveFd_ >= 0) {
        ::close(reserveFd_);
        reserveFd_ = -1;
        const int shed = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (shed >= 0) ::close(shed);
        reserveFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      } else {
        ::usleep(10000);  // no spare fd yet: do not spin
      }
      uint64_t skipped = 0;
      if (fdLog.allow(&skipped)) {
        ipcLog()->warn("socket '{}': out of file descriptors ({}); a connection was refused{}", path_,
                     std::strerror(err), LogThrottle::suffix(skipped));
      }
      continue;
    }
    ipcLog()->warn("socket '{}': accept failed: {}", path_, std::strerror(err));
    ::usleep(10000);
  }
}

void UnixListener::handle(int conn) {
  Connection c;
  c.peer.transport = Peer::Transport::kUnix;
  c.peer.address = path_;
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    c.peer.hasCredentials = true;
    c.peer.uid = cred.uid;
    c.peer.gid = cred.gid;
    c.peer.pid = cred.pid;
    gid_t groups[256];
    socklen_t glen = sizeof(groups);
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
      c.peer.groups.assign(groups, groups + glen / sizeof(gid_t));
    }
  }
  struct stat st {};
  ::fstat(conn, &st);
  c.inode = st.st_ino;
  c.dev = st.st_dev;
  {
    std::lock_guard lock(mu_);
    if (connections_.size() >= maxConnections_) sweepLocked();
    if (connections_.size() >= maxConnections_) {
      ++stats_.refusedCap;
      static LogThrottle capLog(std::chrono::seconds(10));
      uint64_t skipped = 0;
      if (capLog.allow(&skipped)) {
        ipcLog()->warn("socket '{}': refused a connection from {}: {} connections are open (max_connections){}",
                     path_, c.peer.describe(), connections_.size(), LogThrottle::suffix(skipped));
      }
      ::close(conn);
      return;
    }
    connections_[conn] = c;
    ++stats_.accepted;
  }
  handOff_(conn);
}

void UnixListener::sweepLocked() const {
  for (auto it = connections_.begin(); it != connections_.end();) {
    struct stat st {};
    if (::fstat(it->first, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino != it->second.inode ||
        st.st_dev != it->second.dev) {
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Peer> UnixListener::peerOf(int fd) const {
  std::lock_guard lock(mu_);
  auto it = connections_.find(fd);
  if (it == connections_.end()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_ino != it->second.inode || st.st_dev != it->second.dev) return std::nullopt;
  return it->second.peer;
}

ListenerStats UnixListener::stats() const {
  std::lock_guard lock(mu_);
  sweepLocked();
  ListenerStats s = stats_;
  s.open = connections_.size();
  return s;
}

std::string LogThrottle::suffix(uint64_t suppressed) {
  return suppressed == 0 ? std::string() : fmt::format(" ({} more since the last one)", suppressed);
}

void routeProtobufLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel level, const char* file, int line,
                                       const std::string& message) {
      static LogThrottle throttle(std::chrono::seconds(10));
      uint64_t skipped = 0;
      if (level < google::protobuf::LOGLEVEL_WARNING || !throttle.allow(&skipped)) return;
      ipcLog()->warn("protobuf ({}:{}): {}{}", file, line, message, LogThrottle::suffix(skipped));
    });
  });
}

int fdFromGrpcPeer(const std::string& peer) {
  if (peer.rfind("fd:", 0) != 0 || peer.size() < 4 || peer.size() > 13) return -1;
  int fd = 0;
  for (size_t i = 3; i < peer.size(); ++i) {
    if (peer[i] < '0' || peer[i] > '9') return -1;
    fd = fd * 10 + (peer[i] - '0');
  }
  return fd;
}

int socketActivationFd() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  int fd = -1;
  if (pid != nullptr && fds != nullptr && std::strtol(pid, nullptr, 10) == ::getpid() &&
      std::strtol(fds, nullptr, 10) >= 1) {
    fd = 3;  // SD_LISTEN_FDS_START
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return fd;
}

}  // namespace inferd::ipc
