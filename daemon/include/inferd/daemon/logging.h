// Logging for the daemon: one spdlog logger per module ("inferd", "config",
// "registry", "backend", "ipc"), all writing to one stderr sink
// (the journal under systemd, with priorities), with one level set from
// --log-level.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "inferd/engine/status.h"

namespace inferd::daemon {

// The logger of `module`, created on first use at the current level.
std::shared_ptr<spdlog::logger> logger(const std::string& module);

// "trace", "debug", "info", "warn" (or "warning"), "error", "critical", "off".
Result<spdlog::level::level_enum> parseLogLevel(const std::string& name);

// True when stderr is the journal stream systemd gave the service
// (JOURNAL_STREAM matches): lines then start with their priority ("<3>"
// for errors) and carry no timestamp of their own.
bool stderrIsJournal();

// Sets the level of every module's logger, present and future.
void setLogLevel(spdlog::level::level_enum level);

}  // namespace inferd::daemon
