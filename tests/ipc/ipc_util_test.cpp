// The ipc helpers without a server: status mapping, OIP datatype names and
// the default socket path / socket folder.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fake_backend.h"
#include "inferd/ipc/backend.h"
#include "inferd/ipc/socket_path.h"
#include "inferd/ipc/status_map.h"

using namespace inferd;
using namespace inferd::ipc;

TEST_CASE("every inferd status code maps to its gRPC code", "[ipc][status]") {
  using G = grpc::StatusCode;
  CHECK(toGrpcCode(StatusCode::kOk) == G::OK);
  CHECK(toGrpcCode(StatusCode::kInvalidArgument) == G::INVALID_ARGUMENT);
  CHECK(toGrpcCode(StatusCode::kInvalidModel) == G::INVALID_ARGUMENT);
  CHECK(toGrpcCode(StatusCode::kNotFound) == G::NOT_FOUND);
  CHECK(toGrpcCode(StatusCode::kUnsupported) == G::INVALID_ARGUMENT);
  CHECK(toGrpcCode(StatusCode::kResourceExhausted) == G::RESOURCE_EXHAUSTED);
  CHECK(toGrpcCode(StatusCode::kDeadlineExceeded) == G::DEADLINE_EXCEEDED);
  CHECK(toGrpcCode(StatusCode::kPermissionDenied) == G::PERMISSION_DENIED);
  CHECK(toGrpcCode(StatusCode::kUnavailable) == G::UNAVAILABLE);
  CHECK(toGrpcCode(StatusCode::kInternal) == G::INTERNAL);
  CHECK(toGrpcCode(StatusCode::kCancelled) == G::CANCELLED);

  grpc::Status g = toGrpcStatus(Status(StatusCode::kNotFound, "no model 'x'"));
  CHECK(g.error_code() == G::NOT_FOUND);
  CHECK(g.error_message() == "no model 'x'");
  CHECK(toGrpcStatus(Status::ok()).ok());

  // Messages travel as gRPC metadata: long ones are cut (not inside a
  // UTF-8 character) and say how much is missing.
  const std::string longMessage = std::string(2047, 'a') + "\xc3\xa9" + std::string(5000, 'b');
  g = toGrpcStatus(Status(StatusCode::kInvalidArgument, longMessage));
  CHECK(g.error_code() == G::INVALID_ARGUMENT);
  CHECK(g.error_message().size() < 2100);
  CHECK_THAT(g.error_message(), Catch::StartsWith(std::string(2047, 'a') + "...") && Catch::Contains("5002 more bytes"));
}

TEST_CASE("gRPC codes map back for clients", "[ipc][status]") {
  using G = grpc::StatusCode;
  // Round trip for every code the server sends.
  for (StatusCode c : {StatusCode::kInvalidArgument, StatusCode::kNotFound,
                       StatusCode::kResourceExhausted, StatusCode::kDeadlineExceeded,
                       StatusCode::kPermissionDenied, StatusCode::kUnavailable,
                       StatusCode::kInternal, StatusCode::kCancelled}) {
    CHECK(fromGrpcCode(toGrpcCode(c)) == c);
  }
  CHECK(fromGrpcCode(G::UNIMPLEMENTED) == StatusCode::kUnsupported);
  CHECK(fromGrpcCode(G::ABORTED) == StatusCode::kUnavailable);
  CHECK(fromGrpcCode(G::UNKNOWN) == StatusCode::kInternal);
  Status s = fromGrpcStatus(grpc::Status(G::RESOURCE_EXHAUSTED, "queue full"));
  CHECK(s.code() == StatusCode::kResourceExhausted);
  CHECK(s.message() == "queue full");
  CHECK(fromGrpcStatus(grpc::Status::OK).isOk());
}

TEST_CASE("OIP datatype names", "[ipc][datatype]") {
  using engine::ElementType;
  const std::vector<std::pair<ElementType, std::string>> table = {
      {ElementType::kFloat32, "FP32"}, {ElementType::kFloat16, "FP16"},
      {ElementType::kFloat64, "FP64"}, {ElementType::kInt8, "INT8"},
      {ElementType::kUInt8, "UINT8"},  {ElementType::kInt16, "INT16"},
      {ElementType::kUInt16, "UINT16"}, {ElementType::kInt32, "INT32"},
      {ElementType::kUInt32, "UINT32"}, {ElementType::kInt64, "INT64"},
      {ElementType::kUInt64, "UINT64"}, {ElementType::kBool, "BOOL"},
      {ElementType::kString, "BYTES"}};
  for (const auto& [type, name] : table) {
    CHECK(datatypeName(type) == name);
    REQUIRE(datatypeFromName(name).has_value());
    CHECK(*datatypeFromName(name) == type);
  }
  CHECK_FALSE(datatypeFromName("FLOAT32").has_value());
  CHECK_FALSE(datatypeFromName("fp32").has_value());
  CHECK_FALSE(datatypeFromName("").has_value());
  CHECK_THAT(datatypeName(ElementType::kComplex64), Catch::StartsWith("UNSUPPORTED"));
}

namespace {

// Sets or clears an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~EnvVar() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

mode_t dirMode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("default socket path", "[ipc][socket]") {
  {
    EnvVar xdg("XDG_RUNTIME_DIR", "/run/user/1234");
    CHECK(defaultSocketPath() == "/run/user/1234/inferd/inferd.sock");
  }
  {
    EnvVar xdg("XDG_RUNTIME_DIR", nullptr);
    CHECK(defaultSocketPath() == "/tmp/inferd-" + std::to_string(::getuid()) + "/inferd.sock");
  }
  {
    EnvVar xdg("XDG_RUNTIME_DIR", "relative/dir");  // invalid per the XDG spec
    CHECK(defaultSocketPath() == "/tmp/inferd-" + std::to_string(::getuid()) + "/inferd.sock");
  }
}

TEST_CASE("ensureSocketDir creates a private folder", "[ipc][socket]") {
  ipc::test::TempDir dir;
  std::string sock = dir.path() + "/run/inferd/inferd.sock";
  REQUIRE(ensureSocketDir(sock).isOk());
  CHECK(std::filesystem::is_directory(dir.path() + "/run/inferd"));
  CHECK(dirMode(dir.path() + "/run/inferd") == 0700);
  // Existing folder of ours: fine, mode left as it is.
  ::chmod((dir.path() + "/run/inferd").c_str(), 0750);
  REQUIRE(ensureSocketDir(sock).isOk());
  CHECK(dirMode(dir.path() + "/run/inferd") == 0750);

  // A group folder must not be group-writable: 0750 for the socket's group.
  std::string custom = dir.path() + "/shared/inferd.sock";
  REQUIRE(ensureSocketDir(custom, 0750).isOk());
  CHECK(dirMode(dir.path() + "/shared") == 0750);

  // A file where the folder should be.
  { std::ofstream(dir.path() + "/file") << "x"; }
  Status st = ensureSocketDir(dir.path() + "/file/inferd.sock");
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("not a directory"));

  CHECK(ensureSocketDir("").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ensureSocketDir refuses folders another user could control", "[ipc][socket]") {
  ipc::test::TempDir dir;
  // A planted link (/tmp/inferd-<uid> -> /tmp): not followed, even to a
  // folder of ours.
  std::filesystem::create_directories(dir.path() + "/target");
  ::chmod((dir.path() + "/target").c_str(), 0700);
  std::filesystem::create_directory_symlink(dir.path() + "/target", dir.path() + "/link");
  Status st = ensureSocketDir(dir.path() + "/link/inferd.sock");
  CHECK(st.code() == StatusCode::kPermissionDenied);
  CHECK_THAT(st.message(), Catch::Contains("symbolic link"));

  // Writable by the group or by everyone: others could replace the socket.
  for (mode_t mode : {0770, 0777, 0703, 01777}) {
    const std::string folder = dir.path() + "/open" + std::to_string(mode);
    std::filesystem::create_directories(folder);
    ::chmod(folder.c_str(), mode);
    INFO("mode " << std::oct << mode);
    st = ensureSocketDir(folder + "/inferd.sock");
    CHECK(st.code() == StatusCode::kPermissionDenied);
    CHECK_THAT(st.message(), Catch::Contains("others may write"));
  }
  // Readable and enterable by others is fine (the socket's mode decides).
  std::filesystem::create_directories(dir.path() + "/shared");
  ::chmod((dir.path() + "/shared").c_str(), 0755);
  CHECK(ensureSocketDir(dir.path() + "/shared/inferd.sock").isOk());

  // Owned by someone else, root included (only root can make one here).
  if (::geteuid() == 0) {
    std::filesystem::create_directories(dir.path() + "/theirs");
    ::chmod((dir.path() + "/theirs").c_str(), 0700);
    REQUIRE(::chown((dir.path() + "/theirs").c_str(), 4242, 4242) == 0);
    st = ensureSocketDir(dir.path() + "/theirs/inferd.sock");
    CHECK(st.code() == StatusCode::kPermissionDenied);
    CHECK_THAT(st.message(), Catch::Contains("owned by uid 4242"));
  }

}
