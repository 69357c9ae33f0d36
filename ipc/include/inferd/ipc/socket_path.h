// Where the daemon's Unix socket lives by default, and making its folder.
#pragma once

#include <sys/types.h>

#include <string>

#include "inferd/engine/status.h"

namespace inferd::ipc {

// $XDG_RUNTIME_DIR/inferd/inferd.sock when XDG_RUNTIME_DIR is set (and
// absolute), else /tmp/inferd-<uid>/inferd.sock. Used by the daemon and the
// clients alike so that both agree without configuration.
std::string defaultSocketPath();

// Makes sure the folder holding `socketPath` exists: creates missing folders,
// the last one with `mode` (default 0700, so only this user reaches the
// socket). The folder, new or existing, must be a directory and not a
// symbolic link, owned by this process's uid and writable by no other
// user or group; otherwise another user could have planted it (e.g. in
// /tmp) and would see or replace our socket -> kPermissionDenied (a
// file in its place: kInvalidArgument).
Status ensureSocketDir(const std::string& socketPath, mode_t mode = 0700);

// Longest path a sockaddr_un can hold (without the terminating NUL).
size_t maxSocketPathLength();

// TCP addresses ("host:port", "[v6]:port"): splits one (the host without
// brackets; false when there is no numeric port) and tells whether a host
// is a loopback one (localhost, 127.x, ::1).
bool splitHostPort(const std::string& address, std::string& host, std::string& port);
bool isLoopbackHost(const std::string& host);

}  // namespace inferd::ipc
