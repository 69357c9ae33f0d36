// .npy reading and writing: round trips and malformed files.
#include <catch2/catch.hpp>

#include <cstring>

#include "inferd/engine/npy.h"

using namespace inferd::engine;

TEST_CASE("npy round trip keeps type, shape and data", "[npy]") {
  std::vector<float> values = {1.5f, -2.f, 3.25f, 0.f, 7.f, 8.f};
  auto bytes = serializeNpy(ElementType::kFloat32, {2, 3}, values.data(), values.size() * 4);
  CHECK((10 + static_cast<size_t>(bytes[8] | bytes[9] << 8)) % 64 == 0);
  auto arr = parseNpy(bytes.data(), bytes.size(), "mem");
  REQUIRE(arr.isOk());
  CHECK(arr->type == ElementType::kFloat32);
  CHECK(arr->dims == Dims{2, 3});
  CHECK(std::memcmp(arr->data.data(), values.data(), 24) == 0);

  int8_t s[] = {-1, 2};
  auto b2 = serializeNpy(ElementType::kInt8, {2}, s, 2);
  auto a2 = parseNpy(b2.data(), b2.size(), "mem");
  REQUIRE(a2.isOk());
  CHECK(a2->type == ElementType::kInt8);
  CHECK(a2->dims == Dims{2});

  const int32_t scalar = 42;
  auto b3 = serializeNpy(ElementType::kInt32, {}, &scalar, 4);
  auto a3 = parseNpy(b3.data(), b3.size(), "mem");
  REQUIRE(a3.isOk());
  CHECK(a3->dims.empty());
  CHECK(a3->numElements() == 1);
  CHECK(a3->as<int32_t>()[0] == 42);
}

TEST_CASE("npy parses the header numpy writes", "[npy]") {
  const std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
  std::string file = "\x93NUMPY";
  file += '\x01';
  file += '\x00';
  file += static_cast<char>(header.size());
  file += '\x00';
  file += header;
  int32_t v[] = {7, 8, 9};
  file.append(reinterpret_cast<const char*>(v), 12);
  std::vector<uint8_t> bytes(file.begin(), file.end());
  auto arr = parseNpy(bytes.data(), bytes.size(), "mem");
  REQUIRE(arr.isOk());
  CHECK(arr->as<int32_t>()[2] == 9);
}

TEST_CASE("malformed npy files are rejected", "[npy]") {
  float v[4] = {};
  auto good = serializeNpy(ElementType::kFloat32, {4}, v, 16);
  SECTION("truncated data") {
    auto r = parseNpy(good.data(), good.size() - 1, "x.npy");
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("x.npy") && Catch::Contains("needs 16 data bytes"));
  }
  SECTION("every truncation") {
    for (size_t n = 0; n < good.size(); ++n) CHECK_FALSE(parseNpy(good.data(), n, "x").isOk());
  }
  SECTION("bad magic") {
    auto b = good;
    b[1] = 'X';
    CHECK_FALSE(parseNpy(b.data(), b.size(), "x").isOk());
  }
  SECTION("big endian") {
    auto b = good;
    auto pos = std::string(b.begin(), b.end()).find("<f4");
    b[pos] = '>';
    auto r = parseNpy(b.data(), b.size(), "x");
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains("unsupported dtype"));
  }
  SECTION("missing file") { CHECK_FALSE(readNpy("/nonexistent.npy").isOk()); }
}
