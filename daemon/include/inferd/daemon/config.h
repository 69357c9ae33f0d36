// The daemon's configuration: the DaemonConfig/ModelConfig schema lives in
// daemon/proto/inferd_config.proto; files are protobuf text format, parsed
// with TextFormat. A bad file is rejected with "FILE:LINE:COLUMN: reason",
// both for syntax errors and for values out of range. Command-line flags
// override the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inferd/engine/status.h"
#include "inferd_config.pb.h"

namespace inferd::daemon {

// What was given on the command line; unset fields leave the file's value.
struct CommandLine {
  std::string configPath;  // --config; empty: built-in defaults only
  std::optional<std::string> socketPath;  // --socket
  std::optional<std::string> modelDir;    // --model-dir
  std::optional<std::string> listen;      // --listen
  std::optional<std::string> logLevel;    // --log-level
  std::vector<std::string> models;        // --model (repeatable), added to the config's list
  bool loadAll = false;                   // --load-all
  bool checkConfig = false;               // --check-config: print the effective config and exit
};

// The outcome of parsing argv: either a CommandLine to run with, or an exit
// (--help, --version, a usage error) with the text to print and the code.
struct ParsedArgs {
  CommandLine commandLine;
  bool exit = false;
  int exitCode = 0;
  std::string message;  // for stdout when exitCode == 0, stderr otherwise
};

ParsedArgs parseCommandLine(int argc, const char* const* argv);

// Parses and validates text-format configs. `label` (usually the file path)
// starts every error message: "inferd.conf:3:12: ...".
Result<config::DaemonConfig> parseDaemonConfig(const std::string& text, const std::string& label);
Result<config::ModelConfig> parseModelConfig(const std::string& text, const std::string& label);
// Same, from a file; NOT_FOUND when it cannot be read.
Result<config::DaemonConfig> readDaemonConfigFile(const std::string& path);
Result<config::ModelConfig> readModelConfigFile(const std::string& path);

// Semantic checks (ranges, names, addresses). `label` prefixes the errors.
Status validateModelConfig(const config::ModelConfig& config, const std::string& label);
Status validateDaemonConfig(const config::DaemonConfig& config, const std::string& label);

// Applies the flags to `config` and validates the values they brought in.
Status applyCommandLine(const CommandLine& commandLine, config::DaemonConfig* config);

// The effective config: the file named by --config (or none), the flags on
// top, and the defaults that depend on the environment (the socket path).
Result<config::DaemonConfig> resolveConfig(const CommandLine& commandLine);

// The config as text format (for --check-config and the log); with
// `withDefaults`, unset fields appear with their schema defaults.
std::string configToText(const google::protobuf::Message& config, bool withDefaults = false);

// The settings a model runs with: the schema defaults, then the daemon's
// model_defaults, then the model's own config.pbtxt (if any), then the
// daemon config's `models { name config }` entry (if any).
// DaemonConfig::state_dir, else $STATE_DIRECTORY (its first entry), else "".
std::string stateDirOf(const config::DaemonConfig& c);

// DaemonConfig::opencl_types as a list ("gpu, cpu" -> {"gpu", "cpu"}).
std::vector<std::string> openClTypesOf(const config::DaemonConfig& c);

config::ModelConfig effectiveModelConfig(const config::DaemonConfig& daemon, const std::string& model,
                                         const config::ModelConfig* modelFile);

// Names of the models the daemon config lists (in order, no duplicates).
std::vector<std::string> listedModels(const config::DaemonConfig& config);

// A model name usable as a file name in the repository: [A-Za-z0-9._-],
// not starting with '.', at most 255 bytes.
Status validateModelName(const std::string& name);

struct ListenAddress {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  bool loopback = false;
  // "host:port" for gRPC ("[::1]:8001" for IPv6).
  std::string toString() const;
};
// "127.0.0.1:8001", "[::1]:8001", "localhost:8001", "0.0.0.0:8001". Port 0
// asks for a free port (the daemon logs the one it got).
Result<ListenAddress> parseListenAddress(const std::string& text);

}  // namespace inferd::daemon
