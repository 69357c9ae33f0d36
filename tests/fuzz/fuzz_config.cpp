// Fuzz target: config text. Parse and validate it as a daemon config and as
// a model config (protobuf text format, ranges, names, addresses, the
// access policy with its user and group lookups); print back what parses.
// Errors are fine; crashes, hangs and sanitizer reports are findings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "inferd/daemon/config.h"

using namespace inferd;
using namespace inferd::daemon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto c = parseDaemonConfig(text, "fuzz.conf")) {
    (void)configToText(*c, true);
    (void)listedModels(*c);
    (void)effectiveModelConfig(*c, "m", nullptr);
  }
  if (auto m = parseModelConfig(text, "config.pbtxt")) (void)configToText(*m, false);
  return 0;
}
