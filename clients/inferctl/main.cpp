// inferctl: the command-line client of inferd. Local mode runs models
// in-process through the HAL's cpu device; daemon mode arrives with inferd.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace inferd::inferctl;
  CLI::App app{"inferctl - inspect and run TensorFlow Lite models with inferd"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "inferctl 0.1.0");

  InspectArgs inspect;
  auto* inspectCmd = app.add_subcommand(
      "inspect", "Show a model's inputs, outputs, operators, constant bytes and planned arena size");
  inspectCmd->add_option("model", inspect.model, "Path to a .tflite file");
  inspectCmd->add_flag("--ops", inspect.listOps, "List every operator the engine supports (types, versions)");

  RunArgs run;
  auto* runCmd = app.add_subcommand("run", "Run a model on inputs from .npy files and write its outputs as .npy");
  runCmd->add_option("model", run.model, "Path to a .tflite file")->required();
  runCmd->add_flag("--local", run.local, "Run in this process on the cpu device (no daemon)");
  runCmd->add_option("-i,--input", run.inputs,
                     "NAME=FILE.npy for each model input (FILE.npy alone for a single-input model)")
      ->take_all();
  runCmd->add_option("-o,--output-dir", run.outputDir, "Directory for output_<i>.npy (created if missing)");
  runCmd->add_option("--repeat", run.repeat, "Invoke N times and report the median time")
      ->check(CLI::Range(1, 100000));
  runCmd->footer(
      "Output i (in the model's output order) is written to DIR/output_<i>.npy.\n"
      "Example: inferctl run face.tflite --local --input input=img.npy --output-dir out/");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (inspectCmd->parsed()) {
    if (!inspect.listOps && inspect.model.empty()) return fail("inspect needs a MODEL path (or --ops)");
    return inspectCommand(inspect);
  }
  if (runCmd->parsed()) return runCommand(run);
  return 1;
}
