// AccessPolicy: resolving the config's rules and checking callers.
#include "inferd/daemon/access_policy.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace inferd::daemon {
namespace {

constexpr unsigned bit(ipc::Action a) { return 1u << static_cast<unsigned>(a); }
constexpr unsigned kAllActions =
    bit(ipc::Action::kInfer) | bit(ipc::Action::kMetadata) | bit(ipc::Action::kLoad) | bit(ipc::Action::kAdmin);

bool numeric(const std::string& s) {
  return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

Result<uid_t> resolveUser(const std::string& name) {
  if (numeric(name)) return static_cast<uid_t>(std::strtoul(name.c_str(), nullptr, 10));
  passwd pw{};
  passwd* found = nullptr;
  char buf[4096];
  if (::getpwnam_r(name.c_str(), &pw, buf, sizeof(buf), &found) != 0 || found == nullptr) {
    return makeError(StatusCode::kInvalidArgument, "unknown user '{}'", name);
  }
  return found->pw_uid;
}

Result<gid_t> resolveGroup(const std::string& name) {
  if (numeric(name)) return static_cast<gid_t>(std::strtoul(name.c_str(), nullptr, 10));
  group gr{};
  group* found = nullptr;
  char buf[16384];
  if (::getgrnam_r(name.c_str(), &gr, buf, sizeof(buf), &found) != 0 || found == nullptr) {
    return makeError(StatusCode::kInvalidArgument, "unknown group '{}'", name);
  }
  return found->gr_gid;
}

Result<unsigned> resolveActions(const google::protobuf::RepeatedPtrField<std::string>& names, bool allowNone) {
  unsigned mask = 0;
  for (const std::string& n : names) {
    ipc::Action a;
    if (n == "*") {
      mask |= kAllActions;
    } else if (allowNone && n == "none") {
      continue;
    } else if (ipc::actionFromName(n, &a)) {
      mask |= bit(a);
    } else {
      return makeError(StatusCode::kInvalidArgument,
                       "unknown action '{}' (expected infer, metadata, load, admin or *{})", n,
                       allowNone ? ", or none" : "");
    }
  }
  return mask;
}

std::string actionList(unsigned mask) {
  std::string out;
  for (ipc::Action a : {ipc::Action::kInfer, ipc::Action::kMetadata, ipc::Action::kLoad, ipc::Action::kAdmin}) {
    if ((mask & bit(a)) == 0) continue;
    if (!out.empty()) out += ",";
    out += ipc::actionName(a);
  }
  return out.empty() ? "nothing" : out;
}

}  // namespace

bool AccessPolicy::Rule::matches(const ipc::Peer& peer) const {
  if (!peer.hasCredentials) return false;
  if (anyUser) return true;
  if (std::find(users.begin(), users.end(), peer.uid) != users.end()) return true;
  return std::any_of(groups.begin(), groups.end(), [&](gid_t g) { return peer.inGroup(g); });
}

bool AccessPolicy::Rule::coversModel(const std::string& model) const {
  if (models.empty()) return true;
  for (const std::string& m : models) {
    if (!m.empty() && m.back() == '*') {
      if (model.compare(0, m.size() - 1, m, 0, m.size() - 1) == 0 && model.size() >= m.size() - 1) return true;
    } else if (m == model) {
      return true;
    }
  }
  return false;
}

Result<AccessPolicy> AccessPolicy::fromConfig(const config::AccessPolicy& config, uid_t owner, gid_t group) {
  AccessPolicy p;
  p.owner_ = owner;
  for (int i = 0; i < config.rules_size(); ++i) {
    const config::AccessRule& r = config.rules(i);
    auto fail = [i](const Status& s) {
      return makeError(StatusCode::kInvalidArgument, "access.rules[{}]: {}", i, s.message());
    };
    Rule rule;
    for (const std::string& u : r.users()) {
      if (u == "*") {
        rule.anyUser = true;
        continue;
      }
      Result<uid_t> uid = resolveUser(u);
      if (!uid) return fail(uid.status());
      rule.users.push_back(*uid);
    }
    for (const std::string& g : r.groups()) {
      Result<gid_t> gid = resolveGroup(g);
      if (!gid) return fail(gid.status());
      rule.groups.push_back(*gid);
    }
    if (!rule.anyUser && rule.users.empty() && rule.groups.empty()) {
      return fail(Status(StatusCode::kInvalidArgument, "names no users and no groups"));
    }
    Result<unsigned> actions = resolveActions(r.actions(), false);
    if (!actions) return fail(actions.status());
    if (*actions == 0) return fail(Status(StatusCode::kInvalidArgument, "grants no actions"));
    rule.actions = *actions;
    for (const std::string& m : r.models()) {
      if (m.empty() || (m.find('*') != std::string::npos && m.find('*') != m.size() - 1)) {
        return fail(makeError(StatusCode::kInvalidArgument,
                              "model pattern '{}' must be a name or a prefix followed by one '*'", m));
      }
      rule.models.push_back(m);
    }
    p.rules_.push_back(std::move(rule));
  }
  if (p.rules_.empty()) {
    Rule rule;
    rule.groups = {group};
    rule.actions = bit(ipc::Action::kInfer) | bit(ipc::Action::kMetadata);
    p.rules_.push_back(rule);
  }
  if (config.tcp_actions_size() == 0) {
    p.tcpActions_ = bit(ipc::Action::kMetadata);
  } else {
    Result<unsigned> actions = resolveActions(config.tcp_actions(), true);
    if (!actions) return makeError(StatusCode::kInvalidArgument, "access.tcp_actions: {}", actions.status().message());
    p.tcpActions_ = *actions;
  }
  return p;
}

AccessPolicy AccessPolicy::allowAll() {
  AccessPolicy p;
  p.allowAll_ = true;
  return p;
}

Status AccessPolicy::check(const ipc::Peer& peer, ipc::Action action, const std::string& model) const {
  if (allowAll_ || peer.transport == ipc::Peer::Transport::kInProcess) return Status::ok();
  if (peer.transport == ipc::Peer::Transport::kTcp) {
    if ((tcpActions_ & bit(action)) != 0) return Status::ok();
    return makeError(StatusCode::kPermissionDenied, "TCP clients may do {} (access.tcp_actions)",
                     actionList(tcpActions_));
  }
  if (!peer.hasCredentials) {
    return Status(StatusCode::kPermissionDenied, "the connection's credentials are unknown");
  }
  if (peer.uid == 0 || peer.uid == owner_) return Status::ok();
  for (const Rule& r : rules_) {
    if ((r.actions & bit(action)) != 0 && r.coversModel(model) && r.matches(peer)) return Status::ok();
  }
  return makeError(StatusCode::kPermissionDenied, "no access rule grants '{}' to uid {}", ipc::actionName(action),
                   peer.uid);
}

std::string AccessPolicy::describe() const {
  if (allowAll_) return "everything allowed";
  std::string out = fmt::format("root and uid {}: everything", owner_);
  for (const Rule& r : rules_) {
    std::string who;
    if (r.anyUser) who = "every user";
    for (uid_t u : r.users) who += (who.empty() ? "uid " : ", uid ") + std::to_string(u);
    for (gid_t g : r.groups) who += (who.empty() ? "gid " : ", gid ") + std::to_string(g);
    std::string models;
    for (const std::string& m : r.models) models += (models.empty() ? "" : ",") + m;
    out += fmt::format("; {}: {} on {}", who, actionList(r.actions), models.empty() ? "every model" : models);
  }
  out += fmt::format("; TCP: {}", actionList(tcpActions_));
  return out;
}

}  // namespace inferd::daemon
