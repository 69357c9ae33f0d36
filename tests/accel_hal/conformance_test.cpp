// Conformance suite against LiteRT: every case of the committed manifests
// (tests/data/conformance, made by tools/make_conformance.py: single ops and
// few-op graphs in fp32, full-integer int8 and dynamic-range forms; and
// tests/data/arch_models, made by tools/make_arch_models.py --commit-small:
// real architectures), run through the HAL's cpu device, must match LiteRT's
// outputs under the tolerance the manifest names per output (see
// tests/common/golden_check.h). A case whose model does not load or run
// (e.g. an op the engine lacks) fails; nothing is skipped.
//
// Environment:
//   INFERD_CONFORMANCE_FILTER  only cases whose name contains this substring
//   INFERD_CONFORMANCE_DIRS    ':'-separated folders with a manifest.tsv
//                              instead of the committed two, e.g. the cache
//                              of tools/make_arch_models.py (build/arch_models)
// Every run prints a per-case report (max diff, % equal, max quanta,
// pass/fail) and a summary of the failures grouped by reason.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "../common/golden_check.h"

using namespace inferd;
namespace fs = std::filesystem;

namespace {

struct ConformanceCase {
  std::string dir;  // folder holding manifest.tsv and <name>/
  std::string name;
  std::string form;
  std::vector<test::Tolerance> tolerances;
  std::string ops;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  return parts;
}

// Reads <dir>/manifest.tsv (written by the generators next to
// manifest.json): case, form, input count, tolerances, ops.
std::vector<ConformanceCase> readManifest(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "manifest.tsv");
  INFO("manifest " << dir << "/manifest.tsv");
  REQUIRE(in.good());
  std::vector<ConformanceCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split(line, '\t');
    INFO("line: " << line);
    REQUIRE(f.size() == 5);
    ConformanceCase c{dir, f[0], f[1], {}, f[4]};
    for (const std::string& t : split(f[3], ',')) {
      test::Tolerance tol;
      REQUIRE(test::Tolerance::parse(t, &tol));
      c.tolerances.push_back(tol);
    }
    cases.push_back(std::move(c));
  }
  REQUIRE(!cases.empty());
  return cases;
}

std::vector<std::string> manifestDirs() {
  if (const char* dirs = std::getenv("INFERD_CONFORMANCE_DIRS"); dirs && *dirs) return split(dirs, ':');
  return {test::testDataPath("conformance"), test::testDataPath("arch_models")};
}

// Failure reasons for grouping: the first line, without operator indices
// ("ADD (op 3): type INT8 ..." and "ADD (op 0): ..." are one group).
std::string reasonGroup(const std::string& reason) {
  std::string s = std::regex_replace(reason.substr(0, reason.find('\n')), std::regex(R"( \(op \d+\)|\bop \d+ )"), "");
  return s.substr(0, 160);
}

std::string mismatchReason(const test::OutputComparison& r, const test::Tolerance& tol) {
  if (!r.problem.empty()) return r.problem;
  switch (tol.kind) {
    case test::Tolerance::kFloat: return "float mismatch beyond tolerance";
    case test::Tolerance::kExact: return "integer/bool output not bit-exact";
    default: break;
  }
  if (r.maxQuanta > 1) return "mismatch of up to " + std::to_string(static_cast<long>(std::ceil(r.maxQuanta))) + " quanta";
  return "within 1 quantum but fewer than 99 % exactly equal";
}

}  // namespace

TEST_CASE("conformance cases match LiteRT", "[conformance]") {
  const char* filterEnv = std::getenv("INFERD_CONFORMANCE_FILTER");
  const std::string filter = filterEnv ? filterEnv : "";
  std::vector<ConformanceCase> cases;
  for (const std::string& dir : manifestDirs())
    for (ConformanceCase& c : readManifest(dir))
      if (c.name.find(filter) != std::string::npos) cases.push_back(std::move(c));
  INFO("INFERD_CONFORMANCE_FILTER='" << filter << "'");
  REQUIRE(!cases.empty());

  auto device = hal::createCpuDevice();
  std::map<std::string, std::vector<std::string>> failures;  // reason -> cases
  int passed = 0;
  std::printf("%-48s %-7s %-4s %s\n", "case", "form", "ok", "figures per output");
  for (const ConformanceCase& c : cases) {
    const std::string caseDir = (fs::path(c.dir) / c.name).string();
    std::vector<test::OutputComparison> results;
    const std::string error =
        test::runAgainstGolden(*device, caseDir + "/model.tflite", caseDir, c.tolerances, &results);
    std::string figures, reason = error;
    bool ok = error.empty() && results.size() == c.tolerances.size();
    if (error.empty() && results.size() != c.tolerances.size())
      reason = "manifest lists " + std::to_string(c.tolerances.size()) + " outputs, model has " +
               std::to_string(results.size());
    for (size_t o = 0; o < results.size() && o < c.tolerances.size(); ++o) {
      const test::OutputComparison& r = results[o];
      figures += (o ? "; " : "") + std::string(c.tolerances[o].name()) + " " + test::describe(r, c.tolerances[o]);
      if (!r.pass && reason.empty()) reason = mismatchReason(r, c.tolerances[o]);
      ok = ok && r.pass;
    }
    std::printf("%-48s %-7s %-4s %s\n", c.name.c_str(), c.form.c_str(), ok ? "PASS" : "FAIL",
                ok || !figures.empty() ? figures.c_str() : reason.c_str());
    if (ok) {
      ++passed;
    } else {
      failures[reasonGroup(reason)].push_back(c.name);
    }
    INFO(c.name << " (ops " << c.ops << "): " << (reason.empty() ? figures : reason + " " + figures));
    CHECK(ok);
  }
  std::printf("\n%d of %zu case(s) pass\n", passed, cases.size());
  for (const auto& [reason, names] : failures) {
    std::printf("FAIL (%zu): %s\n   ", names.size(), reason.c_str());
    for (const std::string& n : names) std::printf(" %s", n.c_str());
    std::printf("\n");
  }
  std::fflush(stdout);
}

TEST_CASE("conformance tolerances are parsed strictly", "[conformance]") {
  test::Tolerance t;
  CHECK(test::Tolerance::parse("dequant:0.25", &t));
  CHECK(t.kind == test::Tolerance::kDequant);
  CHECK(t.quantum == 0.25);
  CHECK_FALSE(test::Tolerance::parse("dequant:", &t));
  CHECK_FALSE(test::Tolerance::parse("dequant:-1", &t));
  CHECK_FALSE(test::Tolerance::parse("floaty", &t));
}

TEST_CASE("conformance comparison applies the issue's tolerances", "[conformance]") {
  using engine::ElementType;
  auto tensor = [](ElementType type, const std::vector<uint8_t>& bytes, int32_t n) {
    return hal::OwnedTensor{type, {n}, bytes};
  };
  auto npy = [](ElementType type, const std::vector<uint8_t>& bytes, int32_t n) {
    return engine::NpyArray{type, {n}, bytes};
  };
  auto floats = [](std::vector<float> v) {
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  };
  test::Tolerance quant{test::Tolerance::kQuant, 1}, flt{}, deq{test::Tolerance::kDequant, 0.5};
  // int8: 1 quantum off in 1 of 200 elements passes, 2 quanta never, 3 of 200 off fails (98.5 %).
  std::vector<uint8_t> ref(200, 10), one = ref, two = ref, many = ref;
  one[7] = 11;
  two[7] = 12;
  many[1] = many[2] = many[3] = 9;
  CHECK(test::compareOutput(tensor(ElementType::kInt8, one, 200), npy(ElementType::kInt8, ref, 200), quant).pass);
  CHECK_FALSE(test::compareOutput(tensor(ElementType::kInt8, two, 200), npy(ElementType::kInt8, ref, 200), quant).pass);
  CHECK_FALSE(test::compareOutput(tensor(ElementType::kInt8, many, 200), npy(ElementType::kInt8, ref, 200), quant).pass);
  // float: 1e-4 + 1e-3 * max|ref|.
  auto r = test::compareOutput(tensor(ElementType::kFloat32, floats({10.f, 1.0100f}), 2),
                               npy(ElementType::kFloat32, floats({10.f, 1.f}), 2), flt);
  CHECK(r.pass);
  CHECK_FALSE(test::compareOutput(tensor(ElementType::kFloat32, floats({10.f, 1.0103f}), 2),
                                  npy(ElementType::kFloat32, floats({10.f, 1.f}), 2), flt).pass);
  // dequant: differences counted in units of the scale.
  std::vector<float> base(100, 1.5f), off = base;
  off[3] = 2.0f;
  CHECK(test::compareOutput(tensor(ElementType::kFloat32, floats(off), 100), npy(ElementType::kFloat32, floats(base), 100), deq).pass);
  off[3] = 2.5f;
  CHECK_FALSE(test::compareOutput(tensor(ElementType::kFloat32, floats(off), 100), npy(ElementType::kFloat32, floats(base), 100), deq).pass);
  // A type mismatch is reported, not compared.
  auto t = test::compareOutput(tensor(ElementType::kUInt8, one, 200), npy(ElementType::kInt8, ref, 200), quant);
  CHECK_FALSE(t.pass);
  CHECK_THAT(t.problem, Catch::Contains("UINT8"));
}
