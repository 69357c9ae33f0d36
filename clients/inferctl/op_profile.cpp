// Per-operator profile tables (see op_profile.h). Arithmetic is counted for
// the ops that carry nearly all of a network's multiply-accumulates, from
// the shapes in the model file: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
// BATCH_MATMUL, TRANSPOSE_CONV and MediaPipe's Convolution2DTransposeBias;
// a rate is 2 operations per MAC over the op's mean time.
#include "op_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "report.h"

namespace inferd::inferctl {

namespace {

using engine::Dims;
using engine::ElementType;
using engine::OperatorInfo;
using engine::Subgraph;
using engine::TensorInfo;

const TensorInfo* tensorOf(const Subgraph& sg, const std::vector<int32_t>& list, size_t i) {
  if (i >= list.size() || list[i] < 0 || static_cast<size_t>(list[i]) >= sg.tensors.size()) return nullptr;
  return &sg.tensors[static_cast<size_t>(list[i])];
}

bool isIntegerType(ElementType t) {
  return t == ElementType::kInt8 || t == ElementType::kUInt8 || t == ElementType::kInt16 || t == ElementType::kInt4;
}

bool hasRank(const TensorInfo* t, size_t rank) { return t != nullptr && t->shape.size() == rank; }

uint64_t product(std::initializer_list<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values) {
    if (v <= 0) return 0;
    p *= v;
  }
  return static_cast<uint64_t>(p);
}

// What the profile knows about one operator's arithmetic.
struct OpShape {
  std::string type;
  bool integer = false;
  uint64_t macs = 0;
  std::string layerClass = "other";
};

OpShape describeOp(const Subgraph& sg, const OperatorInfo& op) {
  const std::string name = op.name();
  const bool transposeConv = name == "TRANSPOSE_CONV";
  const bool mediapipeTransposeConv = name == "Convolution2DTransposeBias";
  const bool counted = name == "CONV_2D" || name == "DEPTHWISE_CONV_2D" || name == "FULLY_CONNECTED" ||
                       name == "BATCH_MATMUL" || transposeConv || mediapipeTransposeConv;
  OpShape s;
  // The data input: TRANSPOSE_CONV's third; else the first that is not a
  // constant (SPLIT's axis, a constant first operand), else the first.
  const TensorInfo* data = tensorOf(sg, op.inputs, transposeConv ? 2 : 0);
  if (!counted) {
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const TensorInfo* t = tensorOf(sg, op.inputs, i);
      if (t != nullptr && !t->isConstant) {
        data = t;
        break;
      }
    }
  }
  const TensorInfo* weights = counted ? tensorOf(sg, op.inputs, 1) : nullptr;
  const TensorInfo* out = tensorOf(sg, op.outputs, 0);
  s.type = data != nullptr ? engine::elementTypeName(data->type) : "-";
  if (!counted || data == nullptr || weights == nullptr || out == nullptr) {
    // Conversions (QUANTIZE, DEQUANTIZE, CAST, comparisons) name both ends.
    if (data != nullptr && out != nullptr && out->type != data->type) s.type += "->" + engine::elementTypeName(out->type);
    return s;
  }
  const bool hybrid = weights->isConstant && weights->type != data->type && isIntegerType(weights->type);
  if (hybrid) s.type += "/" + engine::elementTypeName(weights->type);
  s.integer = isIntegerType(data->type) || hybrid;
  const Dims& w = weights->shape;
  const int64_t outElements = engine::numElements(out->shape);
  if (name == "CONV_2D" && hasRank(weights, 4) && hasRank(out, 4)) {
    // filter [out, kh, kw, in per group]
    s.macs = product({outElements, w[1], w[2], w[3]});
    s.layerClass = w[1] == 1 && w[2] == 1 ? "conv 1x1" : "conv kxk";
  } else if (name == "DEPTHWISE_CONV_2D" && hasRank(weights, 4) && hasRank(out, 4)) {
    // filter [1, kh, kw, channels]: one kh x kw window per output element
    s.macs = product({outElements, w[1], w[2]});
    s.layerClass = "depthwise";
  } else if (name == "FULLY_CONNECTED" && hasRank(weights, 2)) {
    // weights [units, input size]
    s.macs = product({outElements, w[1]});
    s.layerClass = "fully connected";
  } else if (name == "BATCH_MATMUL" && data->shape.size() >= 2 && out->shape.size() >= 2) {
    // out [..., M, N]; the data input is [..., M, K], or [..., K, M] with
    // adj_x: where its second-last dim is not M it is K (and when both are
    // M, K == M either way).
    const Dims& a = data->shape;
    const int64_t m = out->shape[out->shape.size() - 2];
    const int64_t k = a[a.size() - 2] == m ? a[a.size() - 1] : a[a.size() - 2];
    s.macs = product({outElements, k});
    s.layerClass = "batch matmul";
  } else if ((transposeConv || mediapipeTransposeConv) && hasRank(weights, 4) && hasRank(data, 4)) {
    // weights [out, kh, kw, in]: every input pixel scatters a kh x kw x out patch
    s.macs = product({engine::numElements(data->shape), w[0], w[1], w[2]});
    s.layerClass = "transpose conv";
  }
  return s;
}

double rateOf(uint64_t macs, double ms) { return macs > 0 && ms > 0 ? 2.0 * static_cast<double>(macs) / (ms * 1e6) : 0; }

std::string rateText(double rate, bool integer) {
  if (rate <= 0) return "";
  return fmt::format("{:.1f} {}", rate, integer ? "GOP/s" : "GFLOP/s");
}

std::string rateJson(double rate) { return rate > 0 ? fmt::format("{:.3f}", rate) : "null"; }

}  // namespace

double OpProfileRow::rate() const { return rateOf(macs, ms); }
double LayerClassRow::rate() const { return rateOf(macs, ms); }

OpProfileReport buildOpProfile(const engine::Model& model, int subgraph, const std::vector<hal::OpProfile>& records,
                               uint64_t invokes) {
  OpProfileReport r;
  r.invokes = invokes;
  if (subgraph < 0 || static_cast<size_t>(subgraph) >= model.subgraphs().size()) return r;
  const Subgraph& sg = model.subgraphs()[static_cast<size_t>(subgraph)];
  const double perInvoke = invokes > 0 ? 1.0 / static_cast<double>(invokes) : 0;
  for (const hal::OpProfile& p : records) {
    if (p.opIndex < 0 || static_cast<size_t>(p.opIndex) >= sg.operators.size()) continue;
    const OpShape shape = describeOp(sg, sg.operators[static_cast<size_t>(p.opIndex)]);
    OpProfileRow row;
    row.index = p.opIndex;
    row.op = p.op;
    row.type = shape.type;
    row.device = p.device;
    row.variant = p.variant;
    row.invocations = p.invocations;
    row.ms = static_cast<double>(p.totalNs) / 1e6 * perInvoke;
    row.macs = shape.macs;
    row.integer = shape.integer;
    row.layerClass = shape.layerClass;
    r.totalMs += row.ms;
    r.ops.push_back(std::move(row));
  }
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    if (sg.operators[i].folded) r.foldedAtLoad.push_back(static_cast<int>(i));
  }
  const auto share = [&](double ms) { return r.totalMs > 0 ? 100.0 * ms / r.totalMs : 0; };

  std::map<std::string, OpTypeRow> types;
  std::map<std::pair<std::string, std::string>, LayerClassRow> classes;
  for (OpProfileRow& row : r.ops) {
    row.percent = share(row.ms);
    OpTypeRow& t = types[row.op];
    t.op = row.op;
    ++t.count;
    t.ms += row.ms;
    // Layers of one class but different arithmetic (float, int8) reach
    // different rates: keep them apart.
    const std::string classType = row.layerClass == "other" ? "-" : row.type;
    LayerClassRow& c = classes[{row.layerClass, classType}];
    c.layerClass = row.layerClass;
    c.type = classType;
    c.integer = row.integer;
    ++c.count;
    c.ms += row.ms;
    c.macs += row.macs;
  }
  for (auto& [name, t] : types) {
    t.percent = share(t.ms);
    r.byType.push_back(t);
  }
  for (auto& [key, c] : classes) {
    c.percent = share(c.ms);
    r.byClass.push_back(c);
  }
  std::stable_sort(r.byType.begin(), r.byType.end(), [](const OpTypeRow& a, const OpTypeRow& b) { return a.ms > b.ms; });
  std::stable_sort(r.byClass.begin(), r.byClass.end(), [](const LayerClassRow& a, const LayerClassRow& b) {
    if ((a.layerClass == "other") != (b.layerClass == "other")) return b.layerClass == "other";
    return a.ms > b.ms;
  });
  return r;
}

void printOpProfile(const OpProfileReport& r, double invokeMeanMs) {
  size_t opWidth = 2, typeWidth = 4, variantWidth = 7, deviceWidth = 6;
  for (const OpProfileRow& row : r.ops) {
    opWidth = std::max(opWidth, row.op.size());
    typeWidth = std::max(typeWidth, row.type.size());
    variantWidth = std::max(variantWidth, row.variant.size());
    deviceWidth = std::max(deviceWidth, row.device.size());
  }
  fmt::print("\noperator profile: mean per invoke over {} runs (GFLOP/s, GOP/s for integer arithmetic: 2 x MACs / time)\n",
             r.invokes);
  fmt::print("{:>5}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>9}  {:>6}  {}\n", "index", "op", opWidth, "type", typeWidth,
             "device", deviceWidth, "variant", variantWidth, "ms", "%", "rate");
  for (const OpProfileRow& row : r.ops) {
    fmt::print("{:>5}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>9.4f}  {:>5.1f}%  {}\n", row.index, row.op, opWidth,
               row.type, typeWidth, row.device, deviceWidth, row.variant, variantWidth, row.ms, row.percent,
               rateText(row.rate(), row.integer));
  }
  fmt::print("operators: {} run, {:.4f} ms per invoke in all (graph mean {:.4f} ms)", r.ops.size(), r.totalMs,
             invokeMeanMs);
  if (!r.foldedAtLoad.empty()) fmt::print("; {} folded at load (never run)", r.foldedAtLoad.size());
  fmt::print("\n");

  size_t typeOpWidth = 7;
  for (const OpTypeRow& t : r.byType) typeOpWidth = std::max(typeOpWidth, t.op.size());
  fmt::print("\nby op type:\n{:<{}}  {:>5}  {:>9}  {:>6}\n", "op type", typeOpWidth, "count", "ms", "%");
  for (const OpTypeRow& t : r.byType) {
    fmt::print("{:<{}}  {:>5}  {:>9.4f}  {:>5.1f}%\n", t.op, typeOpWidth, t.count, t.ms, t.percent);
  }

  size_t classTypeWidth = 4;
  for (const LayerClassRow& c : r.byClass) classTypeWidth = std::max(classTypeWidth, c.type.size());
  fmt::print("\nby layer class:\n{:<15}  {:<{}}  {:>5}  {:>9}  {:>6}  {}\n", "class", "type", classTypeWidth, "count",
             "ms", "%", "rate");
  for (const LayerClassRow& c : r.byClass) {
    fmt::print("{:<15}  {:<{}}  {:>5}  {:>9.4f}  {:>5.1f}%  {}\n", c.layerClass, c.type, classTypeWidth, c.count, c.ms,
               c.percent, rateText(c.rate(), c.integer));
  }
}

std::string opProfileJson(const OpProfileReport& r) {
  std::string s = fmt::format("{{\"runs\": {}, \"total_ms\": {:.6f}, \"ops\": [", r.invokes, r.totalMs);
  for (size_t i = 0; i < r.ops.size(); ++i) {
    const OpProfileRow& row = r.ops[i];
    s += fmt::format(
        "{}{{\"index\": {}, \"op\": {}, \"type\": {}, \"device\": {}, \"variant\": {}, \"invocations\": {}, "
        "\"ms\": {:.6f}, \"percent\": {:.3f}, \"macs\": {}, \"rate\": {}, \"rate_unit\": {}, \"class\": {}}}",
        i ? ", " : "", row.index, jsonString(row.op), jsonString(row.type), jsonString(row.device),
        jsonString(row.variant), row.invocations, row.ms, row.percent, row.macs, rateJson(row.rate()),
        jsonString(row.integer ? "GOP/s" : "GFLOP/s"), jsonString(row.layerClass));
  }
  s += "], \"by_type\": [";
  for (size_t i = 0; i < r.byType.size(); ++i) {
    const OpTypeRow& t = r.byType[i];
    s += fmt::format("{}{{\"op\": {}, \"count\": {}, \"ms\": {:.6f}, \"percent\": {:.3f}}}", i ? ", " : "",
                     jsonString(t.op), t.count, t.ms, t.percent);
  }
  s += "], \"by_class\": [";
  for (size_t i = 0; i < r.byClass.size(); ++i) {
    const LayerClassRow& c = r.byClass[i];
    s += fmt::format(
        "{}{{\"class\": {}, \"type\": {}, \"count\": {}, \"ms\": {:.6f}, \"percent\": {:.3f}, \"macs\": {}, "
        "\"rate\": {}, \"rate_unit\": {}}}",
        i ? ", " : "", jsonString(c.layerClass), jsonString(c.type), c.count, c.ms, c.percent, c.macs,
        rateJson(c.rate()), jsonString(c.integer ? "GOP/s" : "GFLOP/s"));
  }
  s += "], \"folded_at_load\": [";
  for (size_t i = 0; i < r.foldedAtLoad.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", r.foldedAtLoad[i]);
  return s + "]}";
}

}  // namespace inferd::inferctl
