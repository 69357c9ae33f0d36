// classify: a minimal libinferd-client program. Connects to inferd, prints
// a model's interface, runs it once on a constant input and prints the
// largest values of each output with their indices — the shape of an app
// that classifies a camera frame.
//
//   c++ -std=c++20 classify.cpp $(pkg-config --cflags --libs inferd-client)
//   ./a.out MODEL [--socket PATH] [--top K] [--fill VALUE]
#include <inferd/client/client.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

using namespace inferd::client;

namespace {

int usage() {
  std::fprintf(stderr, "usage: classify MODEL [--socket PATH] [--top K] [--fill VALUE]\n");
  return 2;
}

// The output's elements as doubles, whatever its datatype.
std::vector<double> valuesOf(const Tensor& t) {
  std::vector<double> v;
  auto take = [&](auto* p) {
    if (p == nullptr) return false;
    const size_t n = t.bytes.size() / sizeof(*p);
    for (size_t i = 0; i < n; ++i) v.push_back(static_cast<double>(p[i]));
    return true;
  };
  take(t.data<float>()) || take(t.data<double>()) || take(t.data<int8_t>()) || take(t.data<uint8_t>()) ||
      take(t.data<int16_t>()) || take(t.data<int32_t>()) || take(t.data<int64_t>());
  return v;
}

// Fills a tensor with `value` converted to its datatype.
void fill(Tensor& t, double value) {
  if (auto s = t.mutableSpan<float>()) std::fill(s->begin(), s->end(), static_cast<float>(value));
  if (auto s = t.mutableSpan<int8_t>()) std::fill(s->begin(), s->end(), static_cast<int8_t>(value));
  if (auto s = t.mutableSpan<uint8_t>()) std::fill(s->begin(), s->end(), static_cast<uint8_t>(value));
  if (auto s = t.mutableSpan<int32_t>()) std::fill(s->begin(), s->end(), static_cast<int32_t>(value));
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, socket;
  size_t top = 5;
  double fillValue = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) {
      socket = argv[++i];
    } else if (a == "--top" && i + 1 < argc) {
      top = static_cast<size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (a == "--fill" && i + 1 < argc) {
      fillValue = std::strtod(argv[++i], nullptr);
    } else if (model.empty() && a[0] != '-') {
      model = a;
    } else {
      return usage();
    }
  }
  if (model.empty()) return usage();

  auto client = Client::connect(socket);
  if (!client) {
    std::fprintf(stderr, "classify: %s\n", client.status().message().c_str());
    return 1;
  }
  auto meta = client->modelMetadata(model);
  if (!meta) {
    std::fprintf(stderr, "classify: %s\n", meta.status().toString().c_str());
    return 1;
  }
  std::printf("model %s (%s)\n", meta->name.c_str(), meta->platform.c_str());

  std::vector<Tensor> inputs;
  for (const TensorInfo& in : meta->inputs) {
    std::vector<int64_t> shape = in.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;  // dynamic dims: one
    Tensor t = Tensor::zeros(in.name, in.type, shape);
    fill(t, fillValue);
    std::printf("input  %s %s %s\n", in.name.c_str(), dataTypeName(in.type), shapeToString(shape).c_str());
    inputs.push_back(std::move(t));
  }

  auto result = client->infer(model, inputs);
  if (!result) {
    std::fprintf(stderr, "classify: %s\n", result.status().toString().c_str());
    return 1;
  }
  for (const Tensor& out : result->outputs) {
    std::printf("output %s %s %s\n", out.name.c_str(), dataTypeName(out.type), shapeToString(out.shape).c_str());
    const std::vector<double> v = valuesOf(out);
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(top, v.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) { return v[a] > v[b]; });
    for (size_t i = 0; i < k; ++i) std::printf("  #%zu index %zu value %.6g\n", i + 1, order[i], v[order[i]]);
  }
  return 0;
}
