// AccessPolicy: the config's `access` section resolved (user and group
// names to ids) and evaluated for a caller the kernel identified.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "inferd_config.pb.h"
#include "inferd/engine/status.h"
#include "inferd/ipc/peer.h"

namespace inferd::daemon {

class AccessPolicy {
 public:
  // `owner`: the daemon's uid (always allowed everything, as is root);
  // `group`: the group the default rule lets infer and read metadata.
  // kInvalidArgument naming the rule for unknown users, groups, actions or
  // bad model patterns.
  static Result<AccessPolicy> fromConfig(const config::AccessPolicy& config, uid_t owner, gid_t group);
  // Allows everything (in-process use and tests).
  static AccessPolicy allowAll();

  // OK, or kPermissionDenied with the reason.
  Status check(const ipc::Peer& peer, ipc::Action action, const std::string& model) const;
  // One line per rule, for the log at start.
  std::string describe() const;

 private:
  struct Rule {
    bool anyUser = false;
    std::vector<uid_t> users;
    std::vector<gid_t> groups;
    unsigned actions = 0;  // bit per ipc::Action
    std::vector<std::string> models;  // exact names or "prefix*"; empty: all
    bool matches(const ipc::Peer& peer) const;
    bool coversModel(const std::string& model) const;
  };
  bool allowAll_ = false;
  uid_t owner_ = 0;
  std::vector<Rule> rules_;
  unsigned tcpActions_ = 0;
};

}  // namespace inferd::daemon
