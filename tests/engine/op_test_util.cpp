// Implementation of the in-memory model builder used by kernel tests.
#include "op_test_util.h"

#include <algorithm>
#include <cmath>

#include "kernels/simd/dispatch.h"
#include "kernels/xnnpack_util.h"

namespace inferd::test {

int OpModelBuilder::addTensorDef(TensorDef t) {
  cur().tensors.push_back(std::move(t));
  return static_cast<int>(cur().tensors.size()) - 1;
}

int OpModelBuilder::addVariable(ElementType type, Dims dims) {
  TensorDef t{type, std::move(dims), {}, {}, false, {}};
  t.variable = true;
  return addTensorDef(std::move(t));
}

int OpModelBuilder::addSubgraph() {
  subgraphs_.emplace_back();
  current_ = static_cast<int>(subgraphs_.size()) - 1;
  return current_;
}

void OpModelBuilder::addSignature(const std::string& key, int subgraph,
                                  std::vector<std::pair<std::string, int>> inputs,
                                  std::vector<std::pair<std::string, int>> outputs) {
  signatures_.push_back({key, subgraph, std::move(inputs), std::move(outputs)});
}

int OpModelBuilder::addInput(ElementType type, Dims dims, QuantParams quant) {
  int i = addTensorDef({type, std::move(dims), std::move(quant), {}, false, {}});
  cur().inputs.push_back(i);
  return i;
}

int OpModelBuilder::addConstantBytes(ElementType type, Dims dims, const void* data, size_t bytes, QuantParams quant,
                                     SparsityFn sparsity) {
  std::vector<uint8_t> d(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + bytes);
  return addTensorDef({type, std::move(dims), std::move(quant), std::move(d), true, std::move(sparsity)});
}

int OpModelBuilder::addOutput(ElementType type, Dims dims, QuantParams quant) {
  int i = addTensorDef({type, std::move(dims), std::move(quant), {}, false, {}});
  cur().outputs.push_back(i);
  return i;
}

int OpModelBuilder::addTensor(ElementType type, Dims dims, QuantParams quant) {
  return addTensorDef({type, std::move(dims), std::move(quant), {}, false, {}});
}

void OpModelBuilder::addOp(fb::BuiltinOperator op, std::vector<int> inputs, std::vector<int> outputs,
                           OptionsFn options, int version) {
  cur().ops.push_back(
      {static_cast<int32_t>(op), "", version, std::move(inputs), std::move(outputs), std::move(options), {}});
}

void OpModelBuilder::addCustomOp(const std::string& name, std::vector<int> inputs, std::vector<int> outputs,
                                 std::vector<uint8_t> customOptions, int version) {
  cur().ops.push_back({static_cast<int32_t>(fb::BuiltinOperator::CUSTOM), name, version, std::move(inputs),
                       std::move(outputs), {}, std::move(customOptions)});
}

std::vector<uint8_t> OpModelBuilder::finish() {
  if (!externalBuffers_) return build(nullptr);
  // Pass 1 sizes the FlatBuffer (offset values do not change its size),
  // pass 2 writes the real offsets; the data follows, 16-byte aligned.
  // Offsets are per tensor, numbered across all subgraphs.
  std::vector<const TensorDef*> all;
  for (const SubgraphDef& sg : subgraphs_) {
    for (const TensorDef& t : sg.tensors) all.push_back(&t);
  }
  std::vector<uint64_t> offsets(all.size(), 2);
  const size_t fbSize = build(&offsets).size();
  uint64_t at = (fbSize + 15) / 16 * 16;
  for (size_t i = 0; i < all.size(); ++i) {
    offsets[i] = at;
    if (all[i]->constant) at = (at + all[i]->data.size() + 15) / 16 * 16;
  }
  std::vector<uint8_t> out = build(&offsets);
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i]->constant) continue;
    out.resize(offsets[i], 0);
    out.insert(out.end(), all[i]->data.begin(), all[i]->data.end());
  }
  return out;
}

std::vector<uint8_t> OpModelBuilder::build(const std::vector<uint64_t>* offsets) {
  flatbuffers::FlatBufferBuilder b;
  // Buffer 0 is the empty sentinel.
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers{fb::CreateBuffer(b)};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes;
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs;
  size_t globalTensor = 0;
  for (size_t s = 0; s < subgraphs_.size(); ++s) {
    const SubgraphDef& def = subgraphs_[s];
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (size_t i = 0; i < def.tensors.size(); ++i, ++globalTensor) {
      const TensorDef& t = def.tensors[i];
      uint32_t bufferIndex = 0;
      if (t.constant && offsets != nullptr) {
        buffers.push_back(fb::CreateBuffer(b, 0, (*offsets)[globalTensor], t.data.size()));
        bufferIndex = static_cast<uint32_t>(buffers.size() - 1);
      } else if (t.constant) {
        b.ForceVectorAlignment(t.data.size(), 1, 16);
        auto data = b.CreateVector(t.data);
        buffers.push_back(fb::CreateBuffer(b, data));
        bufferIndex = static_cast<uint32_t>(buffers.size() - 1);
      }
      flatbuffers::Offset<fb::QuantizationParameters> q;
      if (!t.quant.empty()) {
        q = fb::CreateQuantizationParameters(b, 0, 0, b.CreateVector(t.quant.scale),
                                             b.CreateVector(t.quant.zeroPoint), fb::QuantizationDetails::NONE, 0,
                                             t.quant.quantizedDimension);
      }
      flatbuffers::Offset<fb::SparsityParameters> sparsity;
      if (t.sparsity) sparsity = t.sparsity(b);
      auto shape = b.CreateVector(t.dims);
      auto name = b.CreateString(t.name.empty() ? "t" + std::to_string(i) : t.name);
      fb::TensorBuilder tb(b);
      tb.add_shape(shape);
      tb.add_type(static_cast<fb::TensorType>(t.type));
      tb.add_buffer(bufferIndex);
      tb.add_name(name);
      if (!t.quant.empty()) tb.add_quantization(q);
      if (t.sparsity) tb.add_sparsity(sparsity);
      if (t.variable) tb.add_is_variable(true);
      tensors.push_back(tb.Finish());
    }
    std::vector<flatbuffers::Offset<fb::Operator>> ops;
    for (const OpDef& o : def.ops) {
      const auto deprecated = static_cast<int8_t>(std::min<int32_t>(o.code, 127));
      codes.push_back(fb::CreateOperatorCode(b, deprecated, o.custom.empty() ? 0 : b.CreateString(o.custom),
                                             o.version, static_cast<fb::BuiltinOperator>(o.code)));
      auto opts = o.options ? o.options(b) : std::make_pair(fb::BuiltinOptions::NONE, flatbuffers::Offset<void>());
      auto custom = o.customOptions.empty() ? 0 : b.CreateVector(o.customOptions);
      ops.push_back(fb::CreateOperator(b, static_cast<uint32_t>(codes.size() - 1), b.CreateVector(o.inputs),
                                       b.CreateVector(o.outputs), opts.first, opts.second, custom));
    }
    subgraphs.push_back(fb::CreateSubGraph(b, b.CreateVector(tensors), b.CreateVector(def.inputs),
                                           b.CreateVector(def.outputs), b.CreateVector(ops),
                                           b.CreateString(s == 0 ? "main" : "subgraph" + std::to_string(s))));
  }
  std::vector<flatbuffers::Offset<fb::SignatureDef>> signatures;
  for (const SignatureDef& sig : signatures_) {
    auto maps = [&](const std::vector<std::pair<std::string, int>>& list) {
      std::vector<flatbuffers::Offset<fb::TensorMap>> v;
      for (const auto& [name, index] : list) {
        v.push_back(fb::CreateTensorMap(b, b.CreateString(name), static_cast<uint32_t>(index)));
      }
      return b.CreateVector(v);
    };
    auto in = maps(sig.inputs);
    auto out = maps(sig.outputs);
    signatures.push_back(
        fb::CreateSignatureDef(b, in, out, b.CreateString(sig.key), static_cast<uint32_t>(sig.subgraph)));
  }
  auto model = fb::CreateModel(b, 3, b.CreateVector(codes), b.CreateVector(subgraphs), b.CreateString("test"),
                               b.CreateVector(buffers), 0, 0, signatures.empty() ? 0 : b.CreateVector(signatures));
  fb::FinishModelBuffer(b, model);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

Result<std::vector<OutputTensor>> runModel(const std::vector<uint8_t>& bytes, const std::vector<InputData>& inputs,
                                           const engine::InterpreterOptions& options) {
  auto model = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "test-model");
  if (!model) return model.status();
  auto interp = engine::Interpreter::create(model.value(), options);
  if (!interp) return interp.status();
  engine::Interpreter& in = *interp.value();
  if (inputs.size() != in.numInputs()) {
    return makeError(StatusCode::kInvalidArgument, "model has {} inputs, test gave {}", in.numInputs(), inputs.size());
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].dims.empty()) INFERD_RETURN_IF_ERROR(in.resizeInput(i, inputs[i].dims));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    engine::Tensor& t = in.input(i);
    if (t.bytes != inputs[i].bytes.size()) {
      return makeError(StatusCode::kInvalidArgument, "input {} needs {} bytes, test gave {}", i, t.bytes,
                       inputs[i].bytes.size());
    }
    if (t.bytes > 0) std::memcpy(t.data, inputs[i].bytes.data(), t.bytes);
  }
  INFERD_RETURN_IF_ERROR(in.invoke());
  std::vector<OutputTensor> out;
  for (size_t i = 0; i < in.numOutputs(); ++i) {
    const engine::Tensor& t = in.output(i);
    out.push_back({t.type, t.dims, std::vector<uint8_t>(t.data, t.data + t.bytes)});
  }
  return out;
}

std::vector<float> runFloat(const std::vector<uint8_t>& model, const std::vector<std::vector<float>>& inputs,
                            std::string* error, int outputIndex, Dims* outDims,
                            const engine::InterpreterOptions& options) {
  std::vector<InputData> in;
  for (const auto& v : inputs) in.push_back(InputData::of(v));
  auto r = runModel(model, in, options);
  if (!r) {
    if (error) *error = r.status().toString();
    return {};
  }
  if (error) error->clear();
  const OutputTensor& o = r.value().at(static_cast<size_t>(outputIndex));
  if (outDims) *outDims = o.dims;
  return o.values<float>();
}

engine::InterpreterOptions kernelPathOptions(KernelPath path) {
  engine::InterpreterOptions options;
  options.optimizedKernels = path != KernelPath::kReference;
  options.numThreads = path == KernelPath::kOptimized2Threads ? 2 : 1;
  engine::kernels::xnn::setMinParallelFlops(path == KernelPath::kOptimized2Threads
                                                ? 0
                                                : engine::kernels::xnn::kMinParallelFlops);
  return options;
}

BothPaths runBothPaths(const std::vector<uint8_t>& model, const std::vector<std::vector<float>>& inputs,
                       int outputIndex) {
  BothPaths r;
  std::string error;
  r.reference = runFloat(model, inputs, &error, outputIndex, &r.referenceDims,
                         kernelPathOptions(KernelPath::kReference));
  if (!error.empty()) r.error = "reference kernels: " + error;
  auto created = [] {
    return engine::kernels::xnn::createdOperators() + engine::kernels::simd::createdKernels();
  };
  const uint64_t before = created();
  r.optimized = runFloat(model, inputs, &error, outputIndex, &r.optimizedDims,
                         kernelPathOptions(KernelPath::kOptimized2Threads));
  r.optimizedKernels = created() - before;
  if (!error.empty()) r.error += (r.error.empty() ? "" : "; ") + ("optimized kernels: " + error);
  return r;
}

double maxScaledDiff(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]) / (1.0 + std::fabs(want[i]));
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

const char* kernelPathName(KernelPath path) {
  switch (path) {
    case KernelPath::kReference: return "reference";
    case KernelPath::kOptimized: return "optimized, 1 thread";
    case KernelPath::kOptimized2Threads: return "optimized, 2 threads";
  }
  return "?";
}

}  // namespace inferd::test
