// Catch2-side helpers shared by the kernel tests built on op_test_util.h:
// run a model and require success or failure, make builtin options from a
// lambda, and fill ascending test data.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "op_test_util.h"

namespace inferd::test {

// Runs and requires success; returns all outputs.
inline std::vector<OutputTensor> runOk(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs) {
  auto r = runModel(model, inputs);
  INFO((r.isOk() ? std::string("ok") : r.status().toString()));
  REQUIRE(r.isOk());
  return r.value();
}

// Runs and requires failure; returns the error message.
inline std::string runError(const std::vector<uint8_t>& model, const std::vector<InputData>& inputs) {
  auto r = runModel(model, inputs);
  REQUIRE_FALSE(r.isOk());
  return r.status().message();
}

// Builtin options from a lambda that builds the options table:
// opts(fb::BuiltinOptions::GatherOptions, [](auto& b) { return fb::CreateGatherOptions(b, 1, 0); })
template <typename Fn> OptionsFn opts(fb::BuiltinOptions type, Fn fn) {
  return [type, fn](flatbuffers::FlatBufferBuilder& b) { return std::make_pair(type, fn(b).Union()); };
}

// start, start+1, ... (n values).
template <typename T> std::vector<T> iota(size_t n, T start = T(0)) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(start + static_cast<T>(i));
  return v;
}

}  // namespace inferd::test
