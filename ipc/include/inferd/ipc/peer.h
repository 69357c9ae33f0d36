// Who is calling: the identity the kernel gives a connection (never one a
// request claims), the actions an access policy grants, and the token that
// tells the scheduler a client went away.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace inferd::ipc {

struct Peer {
  enum class Transport { kUnix, kTcp, kInProcess };
  Transport transport = Transport::kInProcess;
  // Set for Unix-socket connections: SO_PEERCRED (uid, gid, pid at connect
  // time) and SO_PEERGROUPS (the supplementary groups).
  bool hasCredentials = false;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
  std::vector<gid_t> groups;
  std::string address;  // TCP: "ipv4:127.0.0.1:5678"; Unix: the socket path

  bool inGroup(gid_t g) const;
  // "uid 1000 pid 4242", "tcp ipv4:127.0.0.1:5678" or "in-process": for logs.
  std::string describe() const;
};

// What a policy grants, per model where a model is named.
enum class Action {
  kInfer,     // ModelInfer
  kMetadata,  // ModelReady/Metadata/Config, RepositoryIndex
  kLoad,      // RepositoryModelLoad and RepositoryModelUnload
  kAdmin,     // statistics (of every client), shared memory
};
const char* actionName(Action action);  // "infer", "metadata", "load", "admin"
// The action for its name; false for an unknown name.
bool actionFromName(const std::string& name, Action* action);

// Set once when the client of a request goes away (its RPC was cancelled).
// A worker running the request binds its stop flag, so that cancel() stops
// the execution at the next operator; a queued request is dropped when it
// is dequeued.
class CancelToken {
 public:
  void cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // While bound, cancel() also sets *flag (at once if already cancelled).
  void bind(std::atomic<bool>* flag);
  void unbind();

 private:
  std::mutex mu_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool>* bound_ = nullptr;
};

}  // namespace inferd::ipc
