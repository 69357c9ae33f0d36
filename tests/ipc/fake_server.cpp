// A GrpcServer over the tests' FakeBackend as its own process, for clients
// that cannot run in the test binary (Python tritonclient). Usage:
//   ipc_fake_server SOCKET_PATH
// Prints "READY" once serving; stops (graceful drain) when stdin closes.
#include <cstdio>
#include <iostream>
#include <string>

#include "fake_backend.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]);
    return 2;
  }
  inferd::ipc::test::FakeBackend backend;
  inferd::ipc::ServerOptions options;
  options.socketPath = argv[1];
  inferd::ipc::GrpcServer server(backend, options);
  inferd::Status st = server.start();
  if (!st.isOk()) {
    std::fprintf(stderr, "ipc_fake_server: %s\n", st.toString().c_str());
    return 1;
  }
  std::printf("READY\n");
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server.shutdown(std::chrono::seconds(5));
  return 0;
}
