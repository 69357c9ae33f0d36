// Config parsing and validation (text format, errors with line and column),
// command-line flags over the file, model config layering.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "daemon_test_util.h"
#include "inferd/daemon/access_policy.h"
#include "inferd/daemon/config.h"
#include "inferd/ipc/socket_path.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::TempDir;

namespace {

ParsedArgs parse(std::vector<std::string> args) {
  args.insert(args.begin(), "inferd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parseCommandLine(static_cast<int>(argv.size()), argv.data());
}

const char* kGoodConfig = R"(# a full daemon config
socket_path: "/run/inferd/inferd.sock"
socket_mode: 0660
listen: "127.0.0.1:8001"
model_dir: "/var/lib/inferd/models"
load_all_models: false
models { name: "face" }
models {
  name: "hand"
  config { workers: 3 queue_size: 7 }
}
log_level: "debug"
max_tensor_bytes: 1048576
model_defaults { workers: 2 default_priority: 5 preferred_device: "cpu" num_threads: 1 }
shutdown_grace_ms: 2500
)";

}  // namespace

TEST_CASE("a good config parses into every field", "[config]") {
  auto c = parseDaemonConfig(kGoodConfig, "inferd.conf");
  REQUIRE(c.isOk());
  CHECK(c->socket_path() == "/run/inferd/inferd.sock");
  CHECK(c->socket_mode() == 0660);  // text format reads the leading 0 as octal
  CHECK(c->listen() == "127.0.0.1:8001");
  CHECK(c->model_dir() == "/var/lib/inferd/models");
  CHECK(c->log_level() == "debug");
  CHECK(c->max_tensor_bytes() == 1048576u);
  CHECK(c->shutdown_grace_ms() == 2500u);
  REQUIRE(c->models_size() == 2);
  CHECK(c->models(1).name() == "hand");
  CHECK(c->models(1).config().workers() == 3);
  CHECK(listedModels(*c) == std::vector<std::string>{"face", "hand"});
}

TEST_CASE("defaults apply when a field is left out", "[config]") {
  auto c = parseDaemonConfig("", "empty.conf");
  REQUIRE(c.isOk());
  CHECK_FALSE(c->has_socket_path());
  CHECK(c->socket_mode() == 0660);
  CHECK(c->model_dir().empty());
  CHECK(c->log_level() == "info");
  CHECK(c->max_tensor_bytes() == 64u << 20);
  CHECK(c->model_defaults().workers() == 1);
  CHECK(c->model_defaults().queue_size() == 64);
}

TEST_CASE("a syntax error names the file, line, column and reason", "[config]") {
  SECTION("unknown field") {
    auto c = parseDaemonConfig("socket_path: \"/x\"\n\nmodel_dirr: \"/m\"\n", "bad.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK(c.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(c.status().message(), Catch::StartsWith("bad.conf:3:"));
    CHECK_THAT(c.status().message(), Catch::Contains("model_dirr"));
  }
  SECTION("wrong value type") {
    auto c = parseDaemonConfig("log_level: \"info\"\nmodel_defaults {\n  workers: \"two\"\n}\n", "bad.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::StartsWith("bad.conf:3:"));
    CHECK_THAT(c.status().message(), Catch::Contains("integer") && Catch::Contains("two"));
  }
  SECTION("unterminated message") {
    auto c = parseDaemonConfig("models {\n  name: \"a\"\n", "bad.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::StartsWith("bad.conf:"));
  }
}

TEST_CASE("a value out of range names the line where it was written", "[config]") {
  SECTION("workers") {
    auto c = parseDaemonConfig("log_level: \"info\"\nmodel_defaults {\n  queue_size: 4\n  workers: 0\n}\n",
                               "inferd.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK(c.status().message() == "inferd.conf:4:3: model_defaults.workers: 0 is out of range (1..64)");
  }
  SECTION("per-model override") {
    auto c = parseDaemonConfig("models { name: \"a\" }\nmodels {\n  name: \"b\"\n  config { queue_size: -1 }\n}\n",
                               "inferd.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::StartsWith("inferd.conf:4:12: models[1].config.queue_size: -1"));
  }
  SECTION("log level") {
    auto c = parseDaemonConfig("\nlog_level: \"loud\"\n", "inferd.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::StartsWith("inferd.conf:2:1: log_level: unknown log level 'loud'"));
  }
  SECTION("socket mode beyond permission bits") {
    auto c = parseDaemonConfig("socket_mode: 660\n", "inferd.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::StartsWith("inferd.conf:1:1: socket_mode: 01224"));
  }
  SECTION("non-loopback listen without listen_allow_remote") {
    auto c = parseDaemonConfig("listen: \"0.0.0.0:8001\"\n", "inferd.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::Contains("not a loopback address"));
    CHECK(parseDaemonConfig("listen: \"0.0.0.0:8001\"\nlisten_allow_remote: true\n", "x").isOk());
  }
  SECTION("metrics_listen: a Unix socket of its own or a loopback port") {
    CHECK(parseDaemonConfig("metrics_listen: \"unix:/run/inferd/metrics.sock\"\n", "x").isOk());
    CHECK(parseDaemonConfig("metrics_listen: \"127.0.0.1:9464\"\n", "x").isOk());
    auto remote = parseDaemonConfig("metrics_listen: \"0.0.0.0:9464\"\n", "inferd.conf");
    REQUIRE_FALSE(remote.isOk());
    CHECK_THAT(remote.status().message(),
               Catch::StartsWith("inferd.conf:1:1: metrics_listen:") && Catch::Contains("not a loopback address"));
    auto relative = parseDaemonConfig("metrics_listen: \"unix:metrics.sock\"\n", "inferd.conf");
    REQUIRE_FALSE(relative.isOk());
    CHECK_THAT(relative.status().message(), Catch::Contains("must be absolute"));
    auto same = parseDaemonConfig("socket_path: \"/run/i.sock\"\nmetrics_listen: \"unix:/run/i.sock\"\n", "x");
    REQUIRE_FALSE(same.isOk());
    CHECK_THAT(same.status().message(), Catch::Contains("socket of their own"));
    CHECK_FALSE(parseDaemonConfig("metrics_listen: \"9464\"\n", "x").isOk());
  }
  SECTION("bad model name and duplicates") {
    auto c = parseDaemonConfig("models { name: \"../etc\" }\n", "inferd.conf");
    REQUIRE_FALSE(c.isOk());
    CHECK_THAT(c.status().message(), Catch::StartsWith("inferd.conf:1:10: models[0].name:"));
    auto d = parseDaemonConfig("models { name: \"a\" }\nmodels { name: \"a\" }\n", "inferd.conf");
    REQUIRE_FALSE(d.isOk());
    CHECK_THAT(d.status().message(), Catch::Contains("inferd.conf:2:10") && Catch::Contains("listed twice"));
  }
}

TEST_CASE("config files: read errors and relative paths", "[config]") {
  TempDir dir;
  auto missing = readDaemonConfigFile(dir.file("nope.conf"));
  REQUIRE_FALSE(missing.isOk());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("nope.conf"));

  const std::string bad = dir.write("bad.conf", "socket_path: \"/x\"\nworkers: 3\n");
  CommandLine cl;
  cl.configPath = bad;
  auto r = resolveConfig(cl);
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::StartsWith(bad + ":2:") && Catch::Contains("no field named \"workers\""));

  // Paths in a file are relative to the file's folder.
  const std::string rel = dir.write("etc/inferd.conf", "model_dir: \"models\"\nsocket_path: \"run/s.sock\"\n");
  cl.configPath = rel;
  auto ok = resolveConfig(cl);
  REQUIRE(ok.isOk());
  CHECK(ok->model_dir() == dir.path() + "/etc/models");
  CHECK(ok->socket_path() == dir.path() + "/etc/run/s.sock");
}

TEST_CASE("command-line flags override the config file", "[config][flags]") {
  TempDir dir;
  const std::string file = dir.write("inferd.conf", kGoodConfig);
  ParsedArgs args = parse({"--config", file, "--socket", dir.file("s.sock"), "--model-dir", "/srv/models",
                           "--listen", "[::1]:9000", "--log-level", "warn", "--model", "extra", "--model", "face"});
  REQUIRE_FALSE(args.exit);
  auto c = resolveConfig(args.commandLine);
  REQUIRE(c.isOk());
  CHECK(c->socket_path() == dir.file("s.sock"));
  CHECK(c->model_dir() == "/srv/models");
  CHECK(c->listen() == "[::1]:9000");
  CHECK(c->log_level() == "warn");
  // What the flags do not touch stays as in the file.
  CHECK(c->max_tensor_bytes() == 1048576u);
  CHECK(c->socket_mode() == 0660);
  CHECK(listedModels(*c) == std::vector<std::string>{"face", "hand", "extra"});

  SECTION("a bad flag value is rejected naming the flag") {
    ParsedArgs bad = parse({"--config", file, "--listen", "10.1.2.3:80"});
    REQUIRE_FALSE(bad.exit);
    auto r = resolveConfig(bad.commandLine);
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::StartsWith("--listen:"));
    ParsedArgs level = parse({"--log-level", "chatty"});
    auto l = resolveConfig(level.commandLine);
    REQUIRE_FALSE(l.isOk());
    CHECK_THAT(l.status().message(), Catch::StartsWith("--log-level: unknown log level 'chatty'"));
  }
}

TEST_CASE("without a config the defaults work for an ordinary user", "[config][flags]") {
  ParsedArgs args = parse({});
  REQUIRE_FALSE(args.exit);
  auto c = resolveConfig(args.commandLine);
  REQUIRE(c.isOk());
  CHECK(c->socket_path() == ipc::defaultSocketPath());
  CHECK_FALSE(c->has_model_dir());
  CHECK(c->models_size() == 0);
  CHECK(c->log_level() == "info");
}

TEST_CASE("--help and usage errors end the program with a message", "[config][flags]") {
  ParsedArgs help = parse({"--help"});
  CHECK(help.exit);
  CHECK(help.exitCode == 0);
  CHECK_THAT(help.message, Catch::Contains("--config") && Catch::Contains("--socket") &&
                               Catch::Contains("--model-dir") && Catch::Contains("--listen") &&
                               Catch::Contains("--log-level") && Catch::Contains("SIGHUP"));
  ParsedArgs bad = parse({"--no-such-flag"});
  CHECK(bad.exit);
  CHECK(bad.exitCode != 0);
  CHECK_THAT(bad.message, Catch::Contains("--no-such-flag"));
  ParsedArgs version = parse({"--version"});
  CHECK(version.exit);
  CHECK(version.exitCode == 0);
  CHECK_THAT(version.message, Catch::StartsWith("inferd "));
}

TEST_CASE("model settings layer: defaults < model_defaults < config.pbtxt < models entry", "[config]") {
  auto daemon = parseDaemonConfig(
      "model_defaults { workers: 2 queue_size: 10 default_priority: 3 }\n"
      "models { name: \"m\" config { queue_size: 99 } }\n",
      "d.conf");
  REQUIRE(daemon.isOk());
  auto file = parseModelConfig("workers: 4\nqueue_size: 20\n", "m/config.pbtxt");
  REQUIRE(file.isOk());
  const config::ModelConfig m = effectiveModelConfig(*daemon, "m", &*file);
  CHECK(m.workers() == 4);            // config.pbtxt over model_defaults
  CHECK(m.queue_size() == 99);        // the daemon's models entry over config.pbtxt
  CHECK(m.default_priority() == 3);   // model_defaults
  CHECK(m.num_threads() == 1);        // schema default
  const config::ModelConfig other = effectiveModelConfig(*daemon, "other", nullptr);
  CHECK(other.workers() == 2);
  CHECK(other.queue_size() == 10);

  auto badModel = parseModelConfig("workers: 1\nnum_threads: 0\n", "m/config.pbtxt");
  REQUIRE_FALSE(badModel.isOk());
  CHECK(badModel.status().message() == "m/config.pbtxt:2:1: num_threads: 0 is out of range (1..256)");
}

TEST_CASE("listen addresses", "[config]") {
  auto v4 = parseListenAddress("127.0.0.1:8001");
  REQUIRE(v4.isOk());
  CHECK(v4->loopback);
  CHECK(v4->port == 8001);
  auto v6 = parseListenAddress("[::1]:8001");
  REQUIRE(v6.isOk());
  CHECK(v6->loopback);
  CHECK(v6->toString() == "[::1]:8001");
  CHECK(parseListenAddress("localhost:1")->loopback);
  CHECK_FALSE(parseListenAddress("0.0.0.0:80")->loopback);
  CHECK_FALSE(parseListenAddress("127.0.0.1").isOk());
  CHECK(parseListenAddress("127.0.0.1:0")->port == 0);  // any free port
  CHECK_FALSE(parseListenAddress("127.0.0.1:x").isOk());
  CHECK_FALSE(parseListenAddress("127.0.0.1:65536").isOk());
  CHECK_FALSE(parseListenAddress(":80").isOk());
  CHECK_FALSE(parseListenAddress("::1:80").isOk());
}

TEST_CASE("the printed effective config parses back to the same config", "[config]") {
  auto c = parseDaemonConfig(kGoodConfig, "inferd.conf");
  REQUIRE(c.isOk());
  const std::string text = configToText(*c, true);
  CHECK_THAT(text, Catch::Contains("socket_mode: 0660"));
  auto again = parseDaemonConfig(text, "printed");
  REQUIRE(again.isOk());
  CHECK(configToText(*again, true) == text);
  CHECK(again->socket_mode() == 0660);
  CHECK(again->models(1).config().workers() == 3);
}

TEST_CASE("the shipped configs are valid", "[config]") {
  const std::string root = inferd::test::testDataPath("../..");
  auto system = readDaemonConfigFile(root + "/configs/inferd.conf");
  REQUIRE(system.isOk());
  CHECK(system->socket_path() == "/run/inferd/inferd.sock");
  CHECK(system->model_dir() == "/var/lib/inferd/models");
  CHECK(system->socket_mode() == 0660);
  auto model = readModelConfigFile(root + "/configs/model.conf.example");
  REQUIRE(model.isOk());
}

namespace {

ipc::Peer unixPeer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  ipc::Peer p;
  p.transport = ipc::Peer::Transport::kUnix;
  p.hasCredentials = true;
  p.uid = uid;
  p.gid = gid;
  p.pid = 1234;
  p.groups = std::move(groups);
  return p;
}

AccessPolicy policyFrom(const std::string& text) {
  auto c = parseDaemonConfig(text, "test.conf");
  REQUIRE(c.isOk());
  auto p = AccessPolicy::fromConfig(c->access(), /*owner=*/500, /*group=*/600);
  REQUIRE(p.isOk());
  return std::move(p).value();
}

}  // namespace

TEST_CASE("the default access policy: owner and root everything, the group infer and metadata", "[config][access]") {
  const AccessPolicy p = policyFrom("");
  using ipc::Action;
  for (Action a : {Action::kInfer, Action::kMetadata, Action::kLoad, Action::kAdmin}) {
    CHECK(p.check(unixPeer(0, 0), a, "m").isOk());
    CHECK(p.check(unixPeer(500, 500), a, "m").isOk());
  }
  // In the group as primary or supplementary group.
  CHECK(p.check(unixPeer(1000, 600), Action::kInfer, "m").isOk());
  CHECK(p.check(unixPeer(1000, 1000, {20, 600}), Action::kMetadata, "m").isOk());
  CHECK(p.check(unixPeer(1000, 600), Action::kLoad, "m").code() == StatusCode::kPermissionDenied);
  CHECK(p.check(unixPeer(1000, 600), Action::kAdmin, "").code() == StatusCode::kPermissionDenied);
  // Outside the group: nothing.
  CHECK(p.check(unixPeer(1000, 1000, {20}), Action::kInfer, "m").code() == StatusCode::kPermissionDenied);
  // No credentials: nothing, not even for uid 0's default value.
  ipc::Peer unknown;
  unknown.transport = ipc::Peer::Transport::kUnix;
  unknown.uid = 0;
  CHECK(p.check(unknown, Action::kMetadata, "m").code() == StatusCode::kPermissionDenied);
  // TCP: metadata only.
  ipc::Peer tcp;
  tcp.transport = ipc::Peer::Transport::kTcp;
  tcp.address = "ipv4:127.0.0.1:4000";
  CHECK(p.check(tcp, Action::kMetadata, "m").isOk());
  CHECK(p.check(tcp, Action::kInfer, "m").code() == StatusCode::kPermissionDenied);
}

TEST_CASE("access rules grant actions per user, group and model pattern", "[config][access]") {
  const AccessPolicy p = policyFrom(
      "access {\n"
      "  rules { users: \"1000\" actions: \"infer\" actions: \"metadata\" models: \"face_*\" }\n"
      "  rules { groups: \"700\" actions: \"*\" models: \"lab\" }\n"
      "  tcp_actions: \"infer\" tcp_actions: \"metadata\"\n"
      "}\n");
  using ipc::Action;
  CHECK(p.check(unixPeer(1000, 1000), Action::kInfer, "face_detection").isOk());
  CHECK(p.check(unixPeer(1000, 1000), Action::kInfer, "hand").code() == StatusCode::kPermissionDenied);
  CHECK(p.check(unixPeer(1000, 1000), Action::kLoad, "face_detection").code() == StatusCode::kPermissionDenied);
  CHECK(p.check(unixPeer(2000, 2000, {700}), Action::kLoad, "lab").isOk());
  CHECK(p.check(unixPeer(2000, 2000, {700}), Action::kLoad, "lab2").code() == StatusCode::kPermissionDenied);
  // Rules replace the default group rule.
  CHECK(p.check(unixPeer(3000, 600), Action::kInfer, "face_x").code() == StatusCode::kPermissionDenied);
  ipc::Peer tcp;
  tcp.transport = ipc::Peer::Transport::kTcp;
  CHECK(p.check(tcp, Action::kInfer, "m").isOk());
  CHECK(p.check(tcp, Action::kLoad, "m").code() == StatusCode::kPermissionDenied);
  CHECK_THAT(p.check(tcp, Action::kLoad, "m").message(), Catch::Contains("tcp_actions"));
}

TEST_CASE("bad access rules are refused with the rule and the reason", "[config][access]") {
  auto bad = [](const std::string& text) {
    auto c = parseDaemonConfig(text, "test.conf");
    REQUIRE_FALSE(c.isOk());
    return c.status().message();
  };
  CHECK_THAT(bad("access { rules { users: \"no-such-user-xyz\" actions: \"infer\" } }"),
             Catch::Contains("access.rules[0]") && Catch::Contains("unknown user 'no-such-user-xyz'"));
  CHECK_THAT(bad("access { rules { groups: \"no-such-group-xyz\" actions: \"infer\" } }"),
             Catch::Contains("unknown group"));
  CHECK_THAT(bad("access { rules { users: \"1\" actions: \"fly\" } }"), Catch::Contains("unknown action 'fly'"));
  CHECK_THAT(bad("access { rules { actions: \"infer\" } }"), Catch::Contains("no users and no groups"));
  CHECK_THAT(bad("access { rules { users: \"1\" actions: \"infer\" models: \"a*b\" } }"),
             Catch::Contains("model pattern 'a*b'"));
  CHECK_THAT(bad("access { tcp_actions: \"everything\" }"), Catch::Contains("access.tcp_actions"));
  CHECK_THAT(bad("max_connections: 0"), Catch::Contains("max_connections"));
  // Names resolve through the system's user database.
  CHECK(parseDaemonConfig("access { rules { users: \"root\" groups: \"root\" actions: \"infer\" } }", "t").isOk());
  CHECK(parseDaemonConfig("access { tcp_actions: \"none\" }", "t").isOk());
}
