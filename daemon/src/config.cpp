// Config files (protobuf text format), their validation with file:line:column
// in every error, and the command line that overrides them.
#include "inferd/daemon/config.h"
#include "inferd/hal/device_manager.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "inferd/daemon/access_policy.h"
#include "inferd/daemon/logging.h"
#include "inferd/ipc/socket_path.h"

#ifndef INFERD_VERSION
#define INFERD_VERSION "unknown"
#endif

namespace inferd::daemon {

namespace pb = google::protobuf;

namespace {

// Collects TextFormat's syntax errors with their position (1-based, as an
// editor shows them; protobuf reports 0-based).
class Collector : public pb::io::ErrorCollector {
 public:
  explicit Collector(std::string label) : label_(std::move(label)) {}
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (line < 0) {
      errors_.push_back(fmt::format("{}: {}", label_, message));
    } else {
      errors_.push_back(fmt::format("{}:{}:{}: {}", label_, line + 1, column + 1, message));
    }
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    logger("config")->warn("{}:{}:{}: {}", label_, line + 1, column + 1, message);
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string label_;
  std::vector<std::string> errors_;
};

// Names a field of a parsed message with the place it was written, so that
// a value out of range is reported like a syntax error. Without a parse tree
// (values from flags or code) it names the field only.
class Locator {
 public:
  Locator(std::string label, const pb::TextFormat::ParseInfoTree* tree, std::string prefix = "")
      : label_(std::move(label)), tree_(tree), prefix_(std::move(prefix)) {}

  std::string where(const pb::Message& m, const char* field, int index = -1) const {
    const pb::FieldDescriptor* fd = m.GetDescriptor()->FindFieldByName(field);
    std::string place = label_;
    if (tree_ != nullptr && fd != nullptr) {
      const auto loc = tree_->GetLocation(fd, index);
      if (loc.line >= 0) place = fmt::format("{}:{}:{}", label_, loc.line + 1, loc.column + 1);
    }
    return fmt::format("{}: {}{}{}", place, prefix_, field, index >= 0 ? fmt::format("[{}]", index) : "");
  }

  Locator nested(const pb::Message& m, const char* field, int index = -1) const {
    const pb::FieldDescriptor* fd = m.GetDescriptor()->FindFieldByName(field);
    const pb::TextFormat::ParseInfoTree* sub =
        (tree_ != nullptr && fd != nullptr) ? tree_->GetTreeForNested(fd, index) : nullptr;
    std::string prefix = prefix_ + field + (index >= 0 ? fmt::format("[{}]", index) : "") + ".";
    // Without a nested tree, fall back to the enclosing field's position.
    if (sub == nullptr && tree_ != nullptr && fd != nullptr) {
      const auto loc = tree_->GetLocation(fd, index);
      if (loc.line >= 0) {
        return Locator(fmt::format("{}:{}:{}", label_, loc.line + 1, loc.column + 1), nullptr, prefix);
      }
    }
    return Locator(label_, sub, prefix);
  }

 private:
  std::string label_;
  const pb::TextFormat::ParseInfoTree* tree_;
  std::string prefix_;
};

Status invalid(const std::string& where, const std::string& reason) {
  return Status(StatusCode::kInvalidArgument, where + ": " + reason);
}

template <typename T>
Status checkRange(const Locator& loc, const pb::Message& m, const char* field, T value, T lo, T hi) {
  if (value < lo || value > hi) {
    return invalid(loc.where(m, field), fmt::format("{} is out of range ({}..{})", value, lo, hi));
  }
  return Status::ok();
}

Status validateModel(const config::ModelConfig& c, const Locator& loc) {
  INFERD_RETURN_IF_ERROR(checkRange(loc, c, "workers", c.workers(), 1, 64));
  INFERD_RETURN_IF_ERROR(checkRange(loc, c, "queue_size", c.queue_size(), 1, 1000000));
  INFERD_RETURN_IF_ERROR(checkRange(loc, c, "num_threads", c.num_threads(), 1, 256));
  INFERD_RETURN_IF_ERROR(checkRange<uint32_t>(loc, c, "max_execution_ms", c.max_execution_ms(), 0, 86400000));
  const std::string& dev = c.preferred_device();
  const bool devOk = !dev.empty() && dev.size() <= 64 &&
                     dev.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") == std::string::npos;
  if (!devOk) {
    return invalid(loc.where(c, "preferred_device"),
                   fmt::format("'{}' is not a device name (lower-case letters, digits, '_', '-', '.')", dev));
  }
  const std::string& pin = c.device();
  const bool pinOk = pin.size() <= 64 &&
                     pin.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") == std::string::npos;
  if (!pinOk) {
    return invalid(loc.where(c, "device"),
                   fmt::format("'{}' is not a device name (lower-case letters, digits, '_', '-', '.')", pin));
  }
  return Status::ok();
}

Status validateListen(const std::string& text, bool allowRemote, const std::string& where) {
  auto addr = parseListenAddress(text);
  if (!addr) return invalid(where, addr.status().message());
  if (!addr->loopback && !allowRemote) {
    return invalid(where, fmt::format("'{}' is not a loopback address; the API has no authentication, so TCP "
                                      "listens on loopback only unless the config sets listen_allow_remote: true",
                                      text));
  }
  return Status::ok();
}

Status validateSocketPath(const std::string& path, const std::string& where) {
  if (path.empty()) return invalid(where, "the socket path is empty");
  if (path.size() > ipc::maxSocketPathLength()) {
    return invalid(where, fmt::format("'{}' is {} bytes long; a Unix socket path holds at most {}", path,
                                      path.size(), ipc::maxSocketPathLength()));
  }
  return Status::ok();
}

Status validateDaemon(const config::DaemonConfig& c, const Locator& loc) {
  if (c.has_socket_path()) INFERD_RETURN_IF_ERROR(validateSocketPath(c.socket_path(), loc.where(c, "socket_path")));
  if (c.socket_mode() > 0777) {
    return invalid(loc.where(c, "socket_mode"),
                   fmt::format("0{:o} has bits beyond the permission bits (0777); write it in octal, e.g. 0660",
                               c.socket_mode()));
  }
  if (c.has_listen() && !c.listen().empty()) {
    INFERD_RETURN_IF_ERROR(validateListen(c.listen(), c.listen_allow_remote(), loc.where(c, "listen")));
  }
  if (!c.metrics_listen().empty()) {
    const std::string& m = c.metrics_listen();
    if (m.rfind("unix:", 0) == 0) {
      const std::string path = m.substr(5);
      INFERD_RETURN_IF_ERROR(validateSocketPath(path, loc.where(c, "metrics_listen")));
      if (path.front() != '/') return invalid(loc.where(c, "metrics_listen"), "the socket path must be absolute");
      if (c.has_socket_path() && path == c.socket_path()) {
        return invalid(loc.where(c, "metrics_listen"), "is the API's socket_path; give metrics a socket of their own");
      }
    } else {
      INFERD_RETURN_IF_ERROR(validateListen(m, c.listen_allow_remote(), loc.where(c, "metrics_listen")));
    }
  }
  if (c.has_model_dir() && c.model_dir().empty()) return invalid(loc.where(c, "model_dir"), "the path is empty");
  if (c.has_state_dir() && (c.state_dir().empty() || c.state_dir().front() != '/')) {
    return invalid(loc.where(c, "state_dir"), "must be an absolute path");
  }
  for (const std::string& t : openClTypesOf(c)) {
    const auto& known = hal::openClDeviceTypeNames();
    if (std::find(known.begin(), known.end(), t) == known.end()) {
      return invalid(loc.where(c, "opencl_types"),
                     fmt::format("unknown type '{}' (use gpu, accelerator, cpu, comma-separated)", t));
    }
  }
  if (auto level = parseLogLevel(c.log_level()); !level) {
    return invalid(loc.where(c, "log_level"), level.status().message());
  }
  if (c.max_tensor_bytes() == 0) return invalid(loc.where(c, "max_tensor_bytes"), "must be greater than 0");
  if (c.max_connections() < 1 || c.max_connections() > 1000000) {
    return invalid(loc.where(c, "max_connections"), fmt::format("{} is outside 1..1000000", c.max_connections()));
  }
  if (c.max_request_bytes_in_flight() < (1u << 20)) {
    return invalid(loc.where(c, "max_request_bytes_in_flight"), "must be at least 1048576 (1 MiB)");
  }
  if (c.has_access()) {
    Result<AccessPolicy> policy = AccessPolicy::fromConfig(c.access(), ::geteuid(), ::getegid());
    if (!policy) return invalid(loc.where(c, "access"), policy.status().message());
  }
  if (c.has_model_defaults()) INFERD_RETURN_IF_ERROR(validateModel(c.model_defaults(), loc.nested(c, "model_defaults")));
  std::set<std::string> seen;
  for (int i = 0; i < c.models_size(); ++i) {
    const config::ModelEntry& e = c.models(i);
    const Locator entry = loc.nested(c, "models", i);
    if (Status s = validateModelName(e.name()); !s) return invalid(entry.where(e, "name"), s.message());
    if (!seen.insert(e.name()).second) {
      return invalid(entry.where(e, "name"), fmt::format("model '{}' is listed twice", e.name()));
    }
    if (e.has_config()) INFERD_RETURN_IF_ERROR(validateModel(e.config(), entry.nested(e, "config")));
  }
  return Status::ok();
}

template <typename M>
Result<M> parseText(const std::string& text, const std::string& label) {
  M message;
  Collector errors(label);
  pb::TextFormat::ParseInfoTree tree;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &message)) {
    std::string msg = errors.errors().empty() ? label + ": cannot parse the config" : errors.errors().front();
    // The first error is the one to fix; later ones are often consequences.
    if (errors.errors().size() > 1) msg += fmt::format(" (and {} more errors)", errors.errors().size() - 1);
    return Status(StatusCode::kInvalidArgument, msg);
  }
  Status s;
  if constexpr (std::is_same_v<M, config::DaemonConfig>) {
    s = validateDaemon(message, Locator(label, &tree));
  } else {
    s = validateModel(message, Locator(label, &tree));
  }
  if (!s) return s;
  return message;
}

Result<std::string> readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(StatusCode::kNotFound, "cannot read {} '{}': {}", what, path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError(StatusCode::kNotFound, "cannot read {} '{}': read error", what, path);
  return ss.str();
}

// Paths in a config file are relative to the file's folder, so a config
// means the same thing whatever the daemon's working directory is.
std::string relativeTo(const std::string& base, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base).parent_path() / path).lexically_normal().string();
}

}  // namespace

ParsedArgs parseCommandLine(int argc, const char* const* argv) {
  ParsedArgs out;
  CommandLine& cl = out.commandLine;
  CLI::App app{"inferd - on-device inference daemon: serves TensorFlow Lite models to every app on the device\n"
               "through the Open Inference Protocol (KServe v2) gRPC API on a Unix socket."};
  app.set_version_flag("--version", "inferd " INFERD_VERSION);
  std::string socket, modelDir, listen, logLevel;
  app.add_option("-c,--config", cl.configPath,
                 "Daemon config in protobuf text format (schema: inferd.config.DaemonConfig in "
                 "inferd_config.proto). Without it, built-in defaults apply")
      ->type_name("FILE");
  auto* socketOpt = app.add_option("-s,--socket", socket,
                                   "Unix socket to listen on. Default: the config's socket_path, else "
                                   "$XDG_RUNTIME_DIR/inferd/inferd.sock, else /tmp/inferd-<uid>/inferd.sock")
                        ->type_name("PATH");
  auto* modelDirOpt =
      app.add_option("-m,--model-dir", modelDir,
                     "Model repository: <DIR>/<name>.tflite or <DIR>/<name>/model.tflite (+ optional "
                     "<DIR>/<name>/config.pbtxt). Default: the config's model_dir, else none (no models)")
          ->type_name("DIR");
  auto* listenOpt = app.add_option("--listen", listen,
                                   "Also listen on TCP at HOST:PORT (e.g. 127.0.0.1:8001). Loopback only "
                                   "unless the config sets listen_allow_remote: true")
                        ->type_name("HOST:PORT");
  auto* logLevelOpt = app.add_option("--log-level", logLevel,
                                     "trace, debug, info, warn, error, critical or off. Default: the config's "
                                     "log_level, else info")
                          ->type_name("LEVEL");
  app.add_option("--model", cl.models, "Load model NAME at start, in addition to the config's models (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  app.add_flag("--load-all", cl.loadAll, "Load every model in the repository at start (load_all_models)");
  app.add_flag("--check-config", cl.checkConfig,
               "Check the config and the flags, print the effective config and exit (0: valid)");
  app.footer(
      "Signals: SIGTERM/SIGINT stop accepting requests, answer those in flight and exit 0; SIGHUP re-reads the\n"
      "config: newly listed models load, models no longer listed unload, the others keep running.\n"
      "Exit codes: 0 clean stop; 1 a config or start-up error (one line on stderr); 100 and up, usage errors.\n"
      "Example: inferd --model-dir /var/lib/inferd/models --model face_detection_short_range");
  // CLI11 reports through exceptions; they stay inside this function.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, err;
    out.exit = true;
    out.exitCode = app.exit(e, o, err);
    out.message = out.exitCode == 0 ? o.str() : err.str();
    return out;
  }
  if (socketOpt->count() > 0) cl.socketPath = socket;
  if (modelDirOpt->count() > 0) cl.modelDir = modelDir;
  if (listenOpt->count() > 0) cl.listen = listen;
  if (logLevelOpt->count() > 0) cl.logLevel = logLevel;
  return out;
}

Result<config::DaemonConfig> parseDaemonConfig(const std::string& text, const std::string& label) {
  return parseText<config::DaemonConfig>(text, label);
}

Result<config::ModelConfig> parseModelConfig(const std::string& text, const std::string& label) {
  return parseText<config::ModelConfig>(text, label);
}

Result<config::DaemonConfig> readDaemonConfigFile(const std::string& path) {
  auto text = readFile(path, "config");
  if (!text) return text.status();
  return parseDaemonConfig(*text, path);
}

Result<config::ModelConfig> readModelConfigFile(const std::string& path) {
  auto text = readFile(path, "model config");
  if (!text) return text.status();
  return parseModelConfig(*text, path);
}

Status validateModelConfig(const config::ModelConfig& config, const std::string& label) {
  return validateModel(config, Locator(label, nullptr));
}

Status validateDaemonConfig(const config::DaemonConfig& config, const std::string& label) {
  return validateDaemon(config, Locator(label, nullptr));
}

Status applyCommandLine(const CommandLine& cl, config::DaemonConfig* config) {
  if (cl.socketPath) {
    INFERD_RETURN_IF_ERROR(validateSocketPath(*cl.socketPath, "--socket"));
    config->set_socket_path(*cl.socketPath);
  }
  if (cl.modelDir) {
    if (cl.modelDir->empty()) return invalid("--model-dir", "the path is empty");
    config->set_model_dir(*cl.modelDir);
  }
  if (cl.listen) {
    if (!cl.listen->empty()) {
      INFERD_RETURN_IF_ERROR(validateListen(*cl.listen, config->listen_allow_remote(), "--listen"));
    }
    config->set_listen(*cl.listen);
  }
  if (cl.logLevel) {
    if (auto level = parseLogLevel(*cl.logLevel); !level) return invalid("--log-level", level.status().message());
    config->set_log_level(*cl.logLevel);
  }
  for (const std::string& name : cl.models) {
    if (Status s = validateModelName(name); !s) return invalid("--model", s.message());
    bool listed = false;
    for (const auto& e : config->models()) listed = listed || e.name() == name;
    if (!listed) config->add_models()->set_name(name);
  }
  if (cl.loadAll) config->set_load_all_models(true);
  return Status::ok();
}

Result<config::DaemonConfig> resolveConfig(const CommandLine& cl) {
  config::DaemonConfig config;
  if (!cl.configPath.empty()) {
    auto file = readDaemonConfigFile(cl.configPath);
    if (!file) return file.status();
    config = std::move(file).value();
    if (config.has_model_dir()) config.set_model_dir(relativeTo(cl.configPath, config.model_dir()));
    if (config.has_socket_path()) config.set_socket_path(relativeTo(cl.configPath, config.socket_path()));
  }
  INFERD_RETURN_IF_ERROR(applyCommandLine(cl, &config));
  if (!config.has_socket_path()) config.set_socket_path(ipc::defaultSocketPath());
  INFERD_RETURN_IF_ERROR(validateDaemonConfig(config, "effective config"));
  return config;
}

namespace {

// Sets every unset optional scalar to its schema default, so the printed
// config shows the values in force, not only those written down. Nested
// model_defaults are filled too; `models { config }` entries are not: they
// are overrides, and their unset fields mean "from the lower layers".
void fillDefaults(pb::Message* m) {
  const pb::Reflection* r = m->GetReflection();
  const pb::Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) continue;
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->name() == "model_defaults") fillDefaults(r->MutableMessage(m, f));
      continue;
    }
    if (r->HasField(*m, f) || !f->has_default_value()) continue;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT32: r->SetInt32(m, f, f->default_value_int32()); break;
      case pb::FieldDescriptor::CPPTYPE_INT64: r->SetInt64(m, f, f->default_value_int64()); break;
      case pb::FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(m, f, f->default_value_uint32()); break;
      case pb::FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(m, f, f->default_value_uint64()); break;
      case pb::FieldDescriptor::CPPTYPE_BOOL: r->SetBool(m, f, f->default_value_bool()); break;
      case pb::FieldDescriptor::CPPTYPE_STRING: r->SetString(m, f, f->default_value_string()); break;
      default: break;
    }
  }
}

// File modes read best in octal, as in chmod.
class OctalModePrinter : public pb::TextFormat::FastFieldValuePrinter {
 public:
  void PrintUInt32(uint32_t value, pb::TextFormat::BaseTextGenerator* generator) const override {
    generator->PrintString(fmt::format("0{:o}", value));
  }
};

}  // namespace

std::string configToText(const pb::Message& config, bool withDefaults) {
  std::unique_ptr<pb::Message> copy(config.New());
  copy->CopyFrom(config);
  if (withDefaults) fillDefaults(copy.get());
  std::string text;
  pb::TextFormat::Printer printer;
  if (const pb::FieldDescriptor* mode = copy->GetDescriptor()->FindFieldByName("socket_mode")) {
    printer.RegisterFieldValuePrinter(mode, new OctalModePrinter);
  }
  printer.PrintToString(*copy, &text);
  return text;
}

std::string stateDirOf(const config::DaemonConfig& c) {
  if (c.has_state_dir()) return c.state_dir();
  const char* env = std::getenv("STATE_DIRECTORY");
  if (env == nullptr || env[0] != '/') return {};
  const std::string all = env;
  return all.substr(0, all.find(':'));
}

std::vector<std::string> openClTypesOf(const config::DaemonConfig& c) {
  std::vector<std::string> out;
  std::string item;
  for (char ch : c.opencl_types() + ",") {
    if (ch == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else if (ch != ' ') {
      item += ch;
    }
  }
  return out;
}

config::ModelConfig effectiveModelConfig(const config::DaemonConfig& daemon, const std::string& model,
                                         const config::ModelConfig* modelFile) {
  // proto2 presence makes MergeFrom copy exactly the fields a layer sets.
  config::ModelConfig c;
  if (daemon.has_model_defaults()) c.MergeFrom(daemon.model_defaults());
  if (modelFile != nullptr) c.MergeFrom(*modelFile);
  for (const auto& e : daemon.models()) {
    if (e.name() == model && e.has_config()) c.MergeFrom(e.config());
  }
  return c;
}

std::vector<std::string> listedModels(const config::DaemonConfig& config) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& e : config.models()) {
    if (seen.insert(e.name()).second) names.push_back(e.name());
  }
  return names;
}

Status validateModelName(const std::string& name) {
  if (name.empty()) return Status(StatusCode::kInvalidArgument, "the model name is empty");
  if (name.size() > 255) {
    return makeError(StatusCode::kInvalidArgument, "model name '{}...' is {} bytes long (at most 255)",
                     name.substr(0, 32), name.size());
  }
  if (name.front() == '.') {
    return makeError(StatusCode::kInvalidArgument, "model name '{}' starts with '.'", name);
  }
  const size_t bad = name.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
  if (bad != std::string::npos) {
    return makeError(StatusCode::kInvalidArgument,
                     "model name '{}' has the character '{}' at {} (allowed: letters, digits, '.', '_', '-')", name,
                     name[bad], bad);
  }
  return Status::ok();
}

std::string ListenAddress::toString() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

Result<ListenAddress> parseListenAddress(const std::string& text) {
  ListenAddress addr;
  std::string portText;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return makeError(StatusCode::kInvalidArgument, "'{}' is not HOST:PORT (IPv6: [ADDR]:PORT)", text);
    }
    addr.host = text.substr(1, close - 1);
    portText = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return makeError(StatusCode::kInvalidArgument, "'{}' is not HOST:PORT (IPv6: [ADDR]:PORT)", text);
    }
    addr.host = text.substr(0, colon);
    portText = text.substr(colon + 1);
  }
  if (addr.host.empty()) return makeError(StatusCode::kInvalidArgument, "'{}' has no host", text);
  if (portText.empty() || portText.size() > 5 || portText.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(portText) > 65535) {
    return makeError(StatusCode::kInvalidArgument, "'{}': port '{}' is not a number from 0 to 65535", text,
                     portText);
  }
  addr.port = static_cast<uint16_t>(std::stoi(portText));
  in_addr v4{};
  in6_addr v6{};
  if (addr.host == "localhost") {
    addr.loopback = true;
  } else if (inet_pton(AF_INET, addr.host.c_str(), &v4) == 1) {
    addr.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (inet_pton(AF_INET6, addr.host.c_str(), &v6) == 1) {
    addr.loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  } else if (addr.host.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") !=
             std::string::npos) {
    return makeError(StatusCode::kInvalidArgument, "'{}': '{}' is neither an IP address nor a host name", text,
                     addr.host);
  }
  return addr;
}

}  // namespace inferd::daemon
