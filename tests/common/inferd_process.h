// The real `inferd` executable as a child process of a test: started with
// arguments, its stdout and stderr in a log file, ready once its Unix socket
// accepts connections, stopped with a signal and reaped within a time limit.
// It never outlives the test: the destructor kills it, and the kernel kills
// it when the test process dies (PR_SET_PDEATHSIG).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace inferd::test {

// $INFERD (set by meson), else the default build folder's binary.
inline std::string inferdExecutable() {
  const char* p = std::getenv("INFERD");
  return p && *p ? p : "build/daemon/inferd";
}

// True when something accepts connections on the Unix socket `path`.
inline bool unixSocketListening(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

class InferdProcess {
 public:
  InferdProcess() = default;
  // See start().
  InferdProcess(const std::vector<std::string>& args, const std::string& logPath) { start(args, logPath); }
  InferdProcess(const InferdProcess&) = delete;
  InferdProcess& operator=(const InferdProcess&) = delete;
  ~InferdProcess() { kill(); }

  // Forks and execs inferd with `args` (after the executable's name), its
  // stdout and stderr in `logPath` (appended to with `appendLog`), and
  // NOTIFY_SOCKET set when `notifySocket` is given, `extraEnv` entries
  // ("NAME=value") added, and, when `listenFd` >= 0, that socket passed as
  // systemd's socket activation does (fd 3, LISTEN_FDS=1, LISTEN_PID). False
  // if a process is already running or fork fails.
  bool start(const std::vector<std::string>& args, const std::string& logPath, bool appendLog = false,
             const std::string& notifySocket = "", const std::vector<std::string>& extraEnv = {},
             int listenFd = -1) {
    if (pid_ > 0) return false;
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the test died before prctl
      const int flags = O_WRONLY | O_CREAT | (appendLog ? O_APPEND : O_TRUNC);
      const int log = ::open(logPath.c_str(), flags, 0644);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      if (!notifySocket.empty()) ::setenv("NOTIFY_SOCKET", notifySocket.c_str(), 1);
      for (const std::string& e : extraEnv) {
        const size_t eq = e.find('=');
        ::setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
      }
      if (listenFd >= 0) {
        if (listenFd != 3) {
          ::dup2(listenFd, 3);
          ::close(listenFd);
        } else {
          ::fcntl(3, F_SETFD, 0);
        }
        ::setenv("LISTEN_FDS", "1", 1);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
      }
      std::vector<std::string> all{inferdExecutable()};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    exitCode_ = -1;
    return pid_ > 0;
  }

  pid_t pid() const { return pid_; }
  bool running() {
    poll();
    return pid_ > 0;
  }

  // Waits until `socket` accepts connections (inferd binds it only after the
  // configured models are loaded). False on a timeout or when inferd exits.
  bool waitListening(const std::string& socket, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (!running()) return false;
      if (unixSocketListening(socket)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // The exit code once it exits; -1 on a timeout or a death by signal.
  int wait(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!running()) return exitCode_;
      if (std::chrono::steady_clock::now() >= end) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // SIGTERM, then the exit code; SIGKILL and -1 when it takes longer than `timeout`.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (pid_ <= 0) return exitCode_;
    signal(SIGTERM);
    const int code = wait(timeout);
    if (pid_ > 0) kill();
    return code;
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    exitCode_ = -1;
  }

 private:
  void poll() {
    if (pid_ <= 0) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      pid_ = -1;
    }
  }

  pid_t pid_ = -1;
  int exitCode_ = -1;
};

}  // namespace inferd::test
