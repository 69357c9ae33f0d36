// UnixListener: the daemon's own accept loop on its Unix socket. gRPC's
// listener (1.51) stops accepting for good after one EMFILE and gives a
// handler no way to learn who connected; this one keeps accepting after
// any error, caps the number of connections, reads each connection's
// kernel credentials (SO_PEERCRED, SO_PEERGROUPS) and hands the connected
// socket to gRPC (grpc::AddInsecureChannelFromFd), where handlers look the
// credentials up again by the connection's fd (peerOf).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "inferd/engine/status.h"
#include "inferd/ipc/peer.h"

namespace inferd::ipc {

struct ListenerStats {
  uint64_t accepted = 0;       // connections handed on
  uint64_t refusedCap = 0;     // closed at once: max_connections were open
  uint64_t fdExhausted = 0;    // accept() failed with EMFILE/ENFILE (pending connection shed)
  size_t open = 0;             // connections open now (as of the last sweep)
};

class UnixListener {
 public:
  // Binds a new socket at `path` with file mode `mode`. A socket file left
  // by a dead process is replaced; one a live server listens on is
  // kUnavailable; any other file there is kInvalidArgument.
  static Result<std::unique_ptr<UnixListener>> bind(const std::string& path, mode_t mode);
  // Adopts a listening AF_UNIX socket (socket activation); it is not
  // unlinked at stop. kInvalidArgument if `fd` is not one.
  static Result<std::unique_ptr<UnixListener>> adopt(int fd);
  ~UnixListener();  // stop()
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Starts the accept thread. Each connection (credentials recorded, under
  // the cap) is passed to `handOff`, which takes ownership of the fd.
  void start(size_t maxConnections, std::function<void(int fd)> handOff);
  // Stops accepting and closes the listening socket (connections handed on
  // stay with their owner); removes the socket file if it is still ours.
  void stop();

  // The credentials recorded for connection `fd`, if `fd` is still that
  // connection (same socket inode); nullopt otherwise.
  std::optional<Peer> peerOf(int fd) const;
  ListenerStats stats() const;
  const std::string& path() const { return path_; }

 private:
  UnixListener(int fd, std::string path, bool owned);
  void acceptLoop();
  void handle(int conn);
  // Forgets connections whose fd is closed or now another file.
  void sweepLocked() const;

  struct Connection {
    Peer peer;
    ino_t inode = 0;
    dev_t dev = 0;
  };

  int fd_ = -1;
  int wakeFd_ = -1;    // eventfd: stop() wakes the accept thread
  int reserveFd_ = -1; // kept open to shed a connection when out of fds
  std::string path_;
  bool owned_ = true;  // we bound it: unlink at stop
  ino_t inode_ = 0;
  size_t maxConnections_ = 0;
  std::function<void(int)> handOff_;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::map<int, Connection> connections_;
  mutable ListenerStats stats_;
  std::atomic<bool> stopped_{false};
};

// The fd of a gRPC peer string for a connection added from an fd ("fd:7"),
// or -1.
int fdFromGrpcPeer(const std::string& peer);

// Socket activation (sd_listen_fds without libsystemd): the first fd systemd
// passed (3) when LISTEN_PID is this process and LISTEN_FDS >= 1, else -1.
// Clears the variables so that children do not inherit them.
int socketActivationFd();

}  // namespace inferd::ipc
