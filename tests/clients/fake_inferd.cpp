// fake_inferd SOCKET: serves the tests' FakeBackend on a Unix socket with
// the real gRPC server until SIGTERM or SIGINT, for tests that need a
// daemon in another process (the installed-library example test).
#include <signal.h>

#include <cstdio>

#include "fake_backend.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fake_inferd SOCKET\n");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before gRPC starts its threads

  inferd::test::FakeServer server(argv[1], 50);
  inferd::Status s = server.start();
  if (!s.isOk()) {
    std::fprintf(stderr, "fake_inferd: %s\n", s.toString().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  return 0;
}
