// Model repository discovery: both layouts, per-model config, ambiguity,
// names that are not file names.
#include <catch2/catch.hpp>

#include "daemon_test_util.h"
#include "inferd/daemon/model_repository.h"

using namespace inferd;
using namespace inferd::daemon;
using inferd::test::TempDir;

TEST_CASE("the repository finds <name>.tflite and <name>/model.tflite", "[repository]") {
  TempDir dir;
  test::writeGateModel(dir.file("flat.tflite"));
  test::writeGateModel(dir.file("nested/model.tflite"));
  dir.write("nested/config.pbtxt", "workers: 3\nqueue_size: 5\n");
  test::writeGateModel(dir.file("noconfig/model.tflite"));
  dir.write("README.txt", "not a model");
  dir.write("empty/notes.txt", "a folder without model.tflite");
  test::writeGateModel(dir.file(".hidden.tflite"));

  ModelRepository repo(dir.path());
  const auto models = repo.list();
  REQUIRE(models.size() == 3);
  CHECK(models[0].name == "flat");
  CHECK(models[0].modelPath == dir.file("flat.tflite"));
  CHECK(models[0].configPath.empty());
  CHECK(models[1].name == "nested");
  CHECK(models[1].modelPath == dir.file("nested/model.tflite"));
  CHECK(models[1].configPath == dir.file("nested/config.pbtxt"));
  CHECK(models[2].name == "noconfig");

  auto cfg = repo.modelConfig(models[1]);
  REQUIRE(cfg.isOk());
  REQUIRE(cfg->has_value());
  CHECK((*cfg)->workers() == 3);
  CHECK((*cfg)->queue_size() == 5);
  auto none = repo.modelConfig(models[0]);
  REQUIRE(none.isOk());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("the repository explains what it cannot find", "[repository]") {
  TempDir dir;
  test::writeGateModel(dir.file("both.tflite"));
  test::writeGateModel(dir.file("both/model.tflite"));
  dir.write("badcfg/model.tflite", "x");
  dir.write("badcfg/config.pbtxt", "workers: 1\nqueue_sizes: 3\n");
  ModelRepository repo(dir.path());

  auto missing = repo.find("ghost");
  REQUIRE_FALSE(missing.isOk());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("ghost.tflite") && Catch::Contains("ghost/model.tflite"));

  auto both = repo.find("both");
  REQUIRE_FALSE(both.isOk());
  CHECK_THAT(both.status().message(), Catch::Contains("ambiguous"));

  for (const char* bad : {"../etc", "a/b", "", ".", ".."}) {
    auto r = repo.find(bad);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }

  auto loc = repo.find("badcfg");
  REQUIRE(loc.isOk());
  auto cfg = repo.modelConfig(*loc);
  REQUIRE_FALSE(cfg.isOk());
  CHECK_THAT(cfg.status().message(), Catch::StartsWith(dir.file("badcfg/config.pbtxt") + ":2:") &&
                                         Catch::Contains("queue_sizes"));

  ModelRepository none;
  CHECK(none.list().empty());
  auto noDir = none.find("x");
  REQUIRE_FALSE(noDir.isOk());
  CHECK_THAT(noDir.status().message(), Catch::Contains("no model repository"));
}

TEST_CASE("the repository sees models added while it runs", "[repository]") {
  TempDir dir;
  ModelRepository repo(dir.path());
  CHECK(repo.list().empty());
  test::writeGateModel(dir.file("late.tflite"));
  REQUIRE(repo.list().size() == 1);
  CHECK(repo.find("late").isOk());
}
