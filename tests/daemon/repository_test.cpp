// Model repository discovery: both layouts, per-model config, ambiguity,
// names that are not file names.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>

#include "daemon_test_util.h"
#include "inferd/daemon/model_repository.h"
#include "inferd/engine/model.h"

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
  // Named relative to the repository: errors reach clients, the daemon's
  // paths do not.
  CHECK_THAT(cfg.status().message(), Catch::StartsWith("badcfg/config.pbtxt:2:") && Catch::Contains("queue_sizes"));
  CHECK_THAT(missing.status().message(), !Catch::Contains(dir.path()));
  CHECK_THAT(both.status().message(), !Catch::Contains(dir.path()));

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

TEST_CASE("the repository does not follow symbolic links out of its directory", "[repository][confinement]") {
  TempDir outside, dir;
  test::writeGateModel(outside.file("real.tflite"));
  test::writeGateModel(outside.file("folder/model.tflite"));
  outside.write("folder/config.pbtxt", "workers: 1\n");
  test::writeGateModel(dir.file("good.tflite"));
  test::writeGateModel(dir.file("cfglink/model.tflite"));
  std::filesystem::create_directories(dir.file("filelink"));
  std::filesystem::create_symlink(outside.file("real.tflite"), dir.file("flatlink.tflite"));
  std::filesystem::create_symlink(outside.file("folder"), dir.file("dirlink"));
  std::filesystem::create_symlink(outside.file("real.tflite"), dir.file("filelink/model.tflite"));
  std::filesystem::create_symlink("/etc/passwd", dir.file("passwd.tflite"));
  std::filesystem::create_symlink(outside.file("folder/config.pbtxt"), dir.file("cfglink/config.pbtxt"));
  ModelRepository repo(dir.path());

  const auto models = repo.list();
  REQUIRE(models.size() == 2);  // links are not models
  CHECK(models[0].name == "cfglink");
  CHECK(models[1].name == "good");
  for (const char* name : {"flatlink", "dirlink", "filelink", "passwd"}) {
    INFO(name);
    auto r = repo.find(name);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kPermissionDenied);
    CHECK_THAT(r.status().message(), Catch::Contains("symbolic link") && !Catch::Contains(outside.path()) &&
                                         !Catch::Contains(dir.path()) && !Catch::Contains("root:"));
  }
  // A linked config is refused, not read.
  auto loc = repo.find("cfglink");
  REQUIRE(loc.isOk());
  auto cfg = repo.modelConfig(*loc);
  REQUIRE_FALSE(cfg.isOk());
  CHECK(cfg.status().code() == StatusCode::kPermissionDenied);

  // A link put in place after find() looked: the open refuses it.
  auto good = repo.find("good");
  REQUIRE(good.isOk());
  REQUIRE(repo.openModel(*good).isOk());
  std::filesystem::remove(dir.file("good.tflite"));
  std::filesystem::create_symlink(outside.file("real.tflite"), dir.file("good.tflite"));
  auto opened = repo.openModel(*good);
  REQUIRE_FALSE(opened.isOk());
  CHECK(opened.status().code() == StatusCode::kPermissionDenied);
  CHECK_THAT(opened.status().message(), !Catch::Contains(outside.path()) && !Catch::Contains(dir.path()));
}

TEST_CASE("a FIFO in place of a model file is refused without blocking", "[repository][confinement]") {
  TempDir dir;
  test::writeGateModel(dir.file("swapped.tflite"));
  ModelRepository repo(dir.path());
  auto loc = repo.find("swapped");
  REQUIRE(loc.isOk());
  // Replaced between the look and the open: opening a FIFO for reading
  // would wait for a writer forever.
  std::filesystem::remove(dir.file("swapped.tflite"));
  REQUIRE(::mkfifo(dir.file("swapped.tflite").c_str(), 0600) == 0);
  auto opened = std::async(std::launch::async, [&] { return repo.openModel(*loc); });
  REQUIRE(opened.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto r = opened.get();
  REQUIRE_FALSE(r.isOk());
  CHECK_THAT(r.status().message(), Catch::Contains("not a regular file"));
  auto found = repo.find("swapped");
  REQUIRE_FALSE(found.isOk());
  CHECK_THAT(found.status().message(), Catch::Contains("not a regular file"));
  CHECK(repo.list().empty());

  // The engine's own loader does not wait on one either.
  auto loaded = std::async(std::launch::async, [&] { return engine::Model::load(dir.file("swapped.tflite")); });
  REQUIRE(loaded.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto model = loaded.get();
  REQUIRE_FALSE(model.isOk());
  CHECK_THAT(model.status().message(), Catch::Contains("not a regular file"));
}
