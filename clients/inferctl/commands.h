// inferctl subcommands. Each returns the process exit code: 0 on success,
// 1 after printing a one-line reason to stderr.
#pragma once

#include <string>
#include <vector>

namespace inferd::inferctl {

struct InspectArgs {
  std::string model;
  bool listOps = false;  // list the registry's ops instead of a model
};

struct RunArgs {
  std::string model;
  bool local = false;
  std::vector<std::string> inputs;  // NAME=FILE.npy or FILE.npy
  std::string outputDir;
  int repeat = 1;
};

int inspectCommand(const InspectArgs& args);
int runCommand(const RunArgs& args);

// Prints "inferctl: error: <message>" to stderr and returns 1.
int fail(const std::string& message);

}  // namespace inferd::inferctl
