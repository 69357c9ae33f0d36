// Model loading: mmap the .tflite file, run the FlatBuffers verifier, check
// the graph's semantics (indices, sizes, overflow, topological order,
// quantization parameters), build the immutable graph, and fold constant
// DEQUANTIZE/DENSIFY ops once so every interpreter shares the result.
#include "inferd/engine/model.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>

#include "graph_exec.h"
#include "inferd/engine/kernel.h"
#include "tflite_generated.h"

namespace inferd::engine {

namespace fb = ::inferd::tflite;

namespace {

// Tensors above this size are refused: an embedded device cannot hold them
// and absurd shapes in corrupted files must not turn into huge allocations.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 32;
constexpr int kMaxRank = 16;

// The offset of the first byte that breaks UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF included), or npos.
size_t invalidUtf8At(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const uint32_t minimum = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string::npos;
}

bool readFully(int fd, uint8_t* dst, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, dst + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

class ModelLoader {
 public:
  ModelLoader(Model& model, const LoadOptions& options) : m_(model), options_(options) {}

  Status load() {
    INFERD_RETURN_IF_ERROR(verifyFlatBuffer());
    INFERD_RETURN_IF_ERROR(parseModel());
    if (options_.foldConstants) INFERD_RETURN_IF_ERROR(foldConstants());
    m_.hasHybridOps_ = findHybridOps();
    return Status::ok();
  }

 private:
  template <typename... Args>
  Status invalid(fmt::format_string<Args...> format, Args&&... args) {
    return Status(StatusCode::kInvalidModel, fmt::format(format, std::forward<Args>(args)...));
  }

  Status verifyFlatBuffer() {
    if (m_.size_ < 8) return invalid("file is {} bytes, too small to be a .tflite model", m_.size_);
    if (!fb::ModelBufferHasIdentifier(m_.base_)) {
      std::string id(reinterpret_cast<const char*>(m_.base_) + 4, 4);
      for (char& c : id) {
        if (c < 32 || c > 126) c = '?';
      }
      return invalid("not a TensorFlow Lite file: file identifier is '{}', expected 'TFL3'", id);
    }
    // The FlatBuffer part is below 2 GiB; larger files keep their buffers
    // past it, which we read through Buffer.offset.
    const size_t fbSize = std::min<size_t>(m_.size_, FLATBUFFERS_MAX_BUFFER_SIZE - 1);
    flatbuffers::Verifier verifier(m_.base_, fbSize, /*max_depth=*/64, /*max_tables=*/10'000'000);
    if (!fb::VerifyModelBuffer(verifier)) {
      return invalid("FlatBuffers verification failed: the file is truncated or corrupted");
    }
    fbModel_ = fb::GetModel(m_.base_);
    return Status::ok();
  }

  // Data of buffer `index`, either inside the FlatBuffer or past it.
  Status bufferData(uint32_t index, const uint8_t** data, size_t* size) {
    *data = nullptr;
    *size = 0;
    const auto* buffers = fbModel_->buffers();
    const uint32_t count = buffers ? buffers->size() : 0;
    if (index >= count) return invalid("buffer index {} is out of range ({} buffers)", index, count);
    const fb::Buffer* b = buffers->Get(index);
    if (b == nullptr) return Status::ok();
    if (b->offset() > 1) {
      const uint64_t off = b->offset(), sz = b->size();
      if (off > m_.size_ || sz > m_.size_ - off) {
        return invalid("buffer {} points at bytes [{}, {}) but the file has {} bytes", index, off,
                       off + sz, m_.size_);
      }
      *data = m_.base_ + off;
      *size = static_cast<size_t>(sz);
    } else if (b->data() != nullptr && b->data()->size() > 0) {
      *data = b->data()->data();
      *size = b->data()->size();
    }
    return Status::ok();
  }

  Status parseModel() {
    m_.version_ = fbModel_->version();
    if (m_.version_ != 3) {
      return invalid("schema version is {}, only version 3 is supported", m_.version_);
    }
    if (fbModel_->description()) m_.description_ = fbModel_->description()->str();
    const auto* subgraphs = fbModel_->subgraphs();
    if (subgraphs == nullptr || subgraphs->size() == 0) return invalid("the model has no subgraphs");
    if (fbModel_->buffers() == nullptr || fbModel_->buffers()->size() == 0) {
      return invalid("the model has no buffers table");
    }
    INFERD_RETURN_IF_ERROR(parseOperatorCodes());
    for (uint32_t s = 0; s < subgraphs->size(); ++s) {
      Subgraph sg;
      Status st = parseSubgraph(subgraphs->Get(s), &sg);
      if (!st.isOk()) return st.withContext(fmt::format("subgraph {}", s));
      m_.subgraphs_.push_back(std::move(sg));
    }
    INFERD_RETURN_IF_ERROR(checkSubgraphCalls());
    return parseSignatures();
  }

  // The subgraphs a control-flow op runs, from its options.
  Status calledSubgraphs(const fb::Operator* fop, OperatorInfo* op) {
    auto expect = [&](const void* options, const char* table) -> Status {
      if (options == nullptr) return invalid("{} has no {}", op->name(), table);
      return Status::ok();
    };
    switch (static_cast<fb::BuiltinOperator>(op->builtinCode)) {
      case fb::BuiltinOperator::WHILE: {
        const auto* o = fop->builtin_options_as_WhileOptions();
        INFERD_RETURN_IF_ERROR(expect(o, "WhileOptions"));
        op->calledSubgraphs = {o->cond_subgraph_index(), o->body_subgraph_index()};
        break;
      }
      case fb::BuiltinOperator::IF: {
        const auto* o = fop->builtin_options_as_IfOptions();
        INFERD_RETURN_IF_ERROR(expect(o, "IfOptions"));
        op->calledSubgraphs = {o->then_subgraph_index(), o->else_subgraph_index()};
        break;
      }
      case fb::BuiltinOperator::CALL_ONCE: {
        const auto* o = fop->builtin_options_as_CallOnceOptions();
        INFERD_RETURN_IF_ERROR(expect(o, "CallOnceOptions"));
        op->calledSubgraphs = {o->init_subgraph_index()};
        break;
      }
      default: break;
    }
    const auto n = static_cast<int32_t>(fbModel_->subgraphs()->size());
    for (int32_t s : op->calledSubgraphs) {
      if (s < 0 || s >= n) return invalid("{} refers to subgraph {} but the model has {}", op->name(), s, n);
    }
    return Status::ok();
  }

  // Control flow must not recurse: the call graph between subgraphs is
  // acyclic (depth-first search).
  Status checkSubgraphCalls() {
    const size_t n = m_.subgraphs_.size();
    enum : uint8_t { kNew, kActive, kDone };
    std::vector<uint8_t> state(n, kNew);
    std::vector<int32_t> path;
    auto visit = [&](auto& self, size_t s) -> Status {
      state[s] = kActive;
      path.push_back(static_cast<int32_t>(s));
      for (const OperatorInfo& op : m_.subgraphs_[s].operators) {
        for (int32_t c : op.calledSubgraphs) {
          const auto cs = static_cast<size_t>(c);
          if (state[cs] == kActive) {
            std::string cycle;
            for (auto it = std::find(path.begin(), path.end(), c); it != path.end(); ++it) {
              cycle += fmt::format("{} -> ", *it);
            }
            return invalid("control flow recurses: subgraph cycle {}{}", cycle, c);
          }
          if (state[cs] == kNew) INFERD_RETURN_IF_ERROR(self(self, cs));
        }
      }
      path.pop_back();
      state[s] = kDone;
      return Status::ok();
    };
    for (size_t s = 0; s < n; ++s) {
      if (state[s] == kNew) INFERD_RETURN_IF_ERROR(visit(visit, s));
    }
    return Status::ok();
  }

  struct OpCode {
    int32_t builtin;
    std::string custom;
    int32_t version;
  };

  Status parseOperatorCodes() {
    const auto* codes = fbModel_->operator_codes();
    if (codes == nullptr) return Status::ok();
    for (uint32_t i = 0; i < codes->size(); ++i) {
      const fb::OperatorCode* c = codes->Get(i);
      OpCode oc;
      oc.builtin = std::max<int32_t>(c->deprecated_builtin_code(),
                                     static_cast<int32_t>(c->builtin_code()));
      if (oc.builtin < 0) return invalid("operator code {} has negative builtin code {}", i, oc.builtin);
      if (c->custom_code()) oc.custom = c->custom_code()->str();
      oc.version = c->version();
      if (oc.version < 1) return invalid("operator code {} has version {}", i, oc.version);
      if (oc.builtin == static_cast<int32_t>(fb::BuiltinOperator::CUSTOM) && oc.custom.empty()) {
        return invalid("operator code {} is CUSTOM without a custom_code name", i);
      }
      opcodes_.push_back(std::move(oc));
    }
    return Status::ok();
  }

  Status parseQuant(const fb::QuantizationParameters* q, TensorInfo* tp, uint32_t index) {
    if (q == nullptr) return Status::ok();
    TensorInfo& ti = *tp;
    const TensorInfo& t = *tp;
    if (q->scale()) ti.quant.scale.assign(q->scale()->begin(), q->scale()->end());
    if (const auto* zp = q->zero_point()) {
      // The verifier checks a vector's 4-byte length alignment, not that of
      // 8-byte elements: a damaged file can place them anywhere. Copy the
      // little-endian bytes instead of loading int64s from them.
      ti.quant.zeroPoint.resize(zp->size());
      if (zp->size() > 0) std::memcpy(ti.quant.zeroPoint.data(), zp->Data(), zp->size() * sizeof(int64_t));
    }
    ti.quant.quantizedDimension = q->quantized_dimension();
    if (ti.quant.scale.empty()) {
      ti.quant.zeroPoint.clear();
      return Status::ok();
    }
    const auto& sc = ti.quant.scale;
    if (ti.quant.zeroPoint.empty()) ti.quant.zeroPoint.assign(sc.size(), 0);
    if (ti.quant.zeroPoint.size() != sc.size()) {
      return invalid("tensor {} '{}' has {} quantization scales but {} zero points", index, t.name,
                     sc.size(), ti.quant.zeroPoint.size());
    }
    for (size_t i = 0; i < sc.size(); ++i) {
      if (!std::isfinite(sc[i]) || sc[i] <= 0.f) {
        return invalid("tensor {} '{}' has quantization scale {} (index {}); scales must be finite and > 0",
                       index, t.name, sc[i], i);
      }
    }
    if (sc.size() > 1) {
      const int32_t qd = ti.quant.quantizedDimension;
      if (qd < 0 || qd >= static_cast<int32_t>(t.shape.size())) {
        return invalid("tensor {} '{}' has quantized_dimension {} but rank {}", index, t.name, qd,
                       t.shape.size());
      }
      if (static_cast<int64_t>(sc.size()) != t.shape[static_cast<size_t>(qd)]) {
        return invalid("tensor {} '{}' has {} per-channel scales but dimension {} has size {}", index,
                       t.name, sc.size(), qd, t.shape[static_cast<size_t>(qd)]);
      }
    }
    // Zero points must fit the stored type.
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    switch (t.type) {
      case ElementType::kInt8: lo = -128; hi = 127; break;
      case ElementType::kUInt8: lo = 0; hi = 255; break;
      case ElementType::kInt16: lo = 0; hi = 0; break;  // TFLite's int16 quantization is symmetric
      case ElementType::kInt4: lo = -8; hi = 7; break;
      default: break;
    }
    for (int64_t zp : ti.quant.zeroPoint) {
      if (zp < lo || zp > hi) {
        return invalid("tensor {} '{}' of type {} has zero point {} outside [{}, {}]", index, t.name,
                       elementTypeName(t.type), zp, lo, hi);
      }
    }
    return Status::ok();
  }

  Status parseTensor(const fb::Tensor* ft, uint32_t index, TensorInfo* t) {
    if (ft == nullptr) return invalid("tensor {} is null", index);
    t->fbTensor = ft;
    if (ft->name()) t->name = ft->name()->str();
    // Names reach clients (metadata, errors): text, never arbitrary bytes.
    if (const size_t bad = invalidUtf8At(t->name); bad != std::string::npos) {
      return invalid("tensor {} has a name that is not valid UTF-8 (byte {} of {})", index, bad, t->name.size());
    }
    const int type = static_cast<int>(ft->type());
    if (!isKnownElementType(type)) return invalid("tensor {} '{}' has unknown type {}", index, t->name, type);
    t->type = static_cast<ElementType>(type);
    if (ft->shape()) {
      if (ft->shape()->size() > kMaxRank) {
        return invalid("tensor {} '{}' has rank {}, more than {}", index, t->name, ft->shape()->size(), kMaxRank);
      }
      t->shape.assign(ft->shape()->begin(), ft->shape()->end());
    }
    if (ft->shape_signature()) {
      t->shapeSignature.assign(ft->shape_signature()->begin(), ft->shape_signature()->end());
    }
    for (int32_t d : t->shape) {
      if (d < 0) {
        return invalid("tensor {} '{}' has negative dimension {} in shape {}", index, t->name, d,
                       dimsToString(t->shape));
      }
    }
    auto count = checkedNumElements(t->shape);
    const size_t esize = elementSize(t->type);
    if (!count || (esize > 0 && *count > kMaxTensorBytes / static_cast<int64_t>(esize))) {
      return invalid("tensor {} '{}' with shape {} of {} is too large", index, t->name,
                     dimsToString(t->shape), elementTypeName(t->type));
    }
    t->isVariable = ft->is_variable();
    t->isSparse = ft->sparsity() != nullptr;
    t->bufferIndex = static_cast<int32_t>(ft->buffer());
    const uint8_t* data = nullptr;
    size_t size = 0;
    Status st = bufferData(ft->buffer(), &data, &size);
    if (!st.isOk()) return st.withContext(fmt::format("tensor {} '{}'", index, t->name));
    if (data != nullptr) {
      if (!t->isSparse && esize > 0 && static_cast<uint64_t>(*count) * esize != size) {
        return invalid("tensor {} '{}' has shape {} of {} ({} bytes) but its buffer {} holds {} bytes", index,
                       t->name, dimsToString(t->shape), elementTypeName(t->type),
                       static_cast<uint64_t>(*count) * esize, ft->buffer(), size);
      }
      // Kernels read constants as typed arrays; copy the rare misaligned one.
      const size_t align = std::max<size_t>(esize, 1);
      if (reinterpret_cast<uintptr_t>(data) % align != 0) {
        auto copy = std::make_unique<uint8_t[]>(size);
        std::memcpy(copy.get(), data, size);
        data = copy.get();
        m_.owned_.push_back(std::move(copy));
      }
      t->data = data;
      t->bytes = size;
      t->isConstant = true;
    }
    return parseQuant(ft->quantization(), t, index);
  }

  Status checkIndexList(const flatbuffers::Vector<int32_t>* list, size_t numTensors, bool allowOmitted,
                        const char* what, std::vector<int32_t>* out) {
    if (list == nullptr) return Status::ok();
    for (uint32_t i = 0; i < list->size(); ++i) {
      const int32_t idx = list->Get(i);
      if (allowOmitted && idx == -1) {
        out->push_back(idx);
        continue;
      }
      if (idx < 0 || static_cast<size_t>(idx) >= numTensors) {
        return invalid("{} {} refers to tensor {} but there are {} tensors", what, i, idx, numTensors);
      }
      out->push_back(idx);
    }
    return Status::ok();
  }

  Status parseSubgraph(const fb::SubGraph* fsg, Subgraph* sg) {
    if (fsg == nullptr) return invalid("subgraph is null");
    if (fsg->name()) sg->name = fsg->name()->str();
    const auto* tensors = fsg->tensors();
    const uint32_t nt = tensors ? tensors->size() : 0;
    sg->tensors.resize(nt);
    for (uint32_t i = 0; i < nt; ++i) INFERD_RETURN_IF_ERROR(parseTensor(tensors->Get(i), i, &sg->tensors[i]));
    INFERD_RETURN_IF_ERROR(checkIndexList(fsg->inputs(), nt, false, "input", &sg->inputs));
    INFERD_RETURN_IF_ERROR(checkIndexList(fsg->outputs(), nt, false, "output", &sg->outputs));

    // Which tensors hold values before the first op runs, and which have
    // been written (model inputs, op outputs). Zero-element tensors (an
    // empty axis list, say) need no data: TFLite files leave their buffer empty.
    std::vector<uint8_t> available(nt, 0), written(nt, 0);
    for (uint32_t i = 0; i < nt; ++i) {
      const TensorInfo& t = sg->tensors[i];
      if (t.isConstant || t.isVariable || numElements(t.shape) == 0) available[i] = 1;
    }
    for (int32_t in : sg->inputs) available[static_cast<size_t>(in)] = written[static_cast<size_t>(in)] = 1;

    const auto* ops = fsg->operators();
    const uint32_t no = ops ? ops->size() : 0;
    for (uint32_t i = 0; i < no; ++i) {
      const fb::Operator* fop = ops->Get(i);
      OperatorInfo op;
      op.fbOperator = fop;
      if (fop == nullptr) return invalid("operator {} is null", i);
      if (fop->opcode_index() >= opcodes_.size()) {
        return invalid("operator {} uses opcode index {} but there are {} operator codes", i,
                       fop->opcode_index(), opcodes_.size());
      }
      const OpCode& oc = opcodes_[fop->opcode_index()];
      op.builtinCode = oc.builtin;
      op.customName = oc.custom;
      op.version = oc.version;
      const std::string where = fmt::format("operator {} ({})", i, op.name());
      Status st = checkIndexList(fop->inputs(), nt, true, "input", &op.inputs);
      if (st.isOk()) st = checkIndexList(fop->outputs(), nt, false, "output", &op.outputs);
      if (st.isOk()) st = checkIndexList(fop->intermediates(), nt, false, "intermediate", &op.intermediates);
      if (st.isOk()) st = calledSubgraphs(fop, &op);
      if (!st.isOk()) return st.withContext(where);
      if (fop->large_custom_options_offset() > 1) {
        const uint64_t off = fop->large_custom_options_offset(), sz = fop->large_custom_options_size();
        if (off > m_.size_ || sz > m_.size_ - off) {
          return invalid("{}: custom options at bytes [{}, {}) lie outside the {}-byte file", where, off,
                         off + sz, m_.size_);
        }
        op.customOptions = m_.base_ + off;
        op.customOptionsSize = static_cast<size_t>(sz);
      } else if (fop->custom_options()) {
        op.customOptions = fop->custom_options()->data();
        op.customOptionsSize = fop->custom_options()->size();
      }
      for (int32_t in : op.inputs) {
        if (in >= 0 && !available[static_cast<size_t>(in)]) {
          return invalid("{} reads tensor {} '{}', which is neither a model input, a constant, nor an output of an earlier operator",
                         where, in, sg->tensors[static_cast<size_t>(in)].name);
        }
      }
      for (int32_t out : op.outputs) {
        const TensorInfo& t = sg->tensors[static_cast<size_t>(out)];
        if (t.isConstant) return invalid("{} writes tensor {} '{}', which is a constant", where, out, t.name);
        if (written[static_cast<size_t>(out)] && !t.isVariable) {
          return invalid("{} writes tensor {} '{}', which already has a value (a model input or another op's output)",
                         where, out, t.name);
        }
        available[static_cast<size_t>(out)] = written[static_cast<size_t>(out)] = 1;
      }
      sg->operators.push_back(std::move(op));
    }
    for (int32_t out : sg->outputs) {
      if (!available[static_cast<size_t>(out)]) {
        return invalid("model output tensor {} '{}' is never computed", out, sg->tensors[static_cast<size_t>(out)].name);
      }
    }
    return Status::ok();
  }

  Status parseSignatures() {
    const auto* sigs = fbModel_->signature_defs();
    if (sigs == nullptr) return Status::ok();
    for (uint32_t i = 0; i < sigs->size(); ++i) {
      const fb::SignatureDef* s = sigs->Get(i);
      Signature sig;
      if (s->signature_key()) sig.key = s->signature_key()->str();
      if (const size_t bad = invalidUtf8At(sig.key); bad != std::string::npos) {
        return invalid("signature {} has a key that is not valid UTF-8 (byte {} of {})", i, bad, sig.key.size());
      }
      if (s->subgraph_index() >= m_.subgraphs_.size()) {
        return invalid("signature {} '{}' refers to subgraph {} of {}", i, sig.key, s->subgraph_index(),
                       m_.subgraphs_.size());
      }
      sig.subgraphIndex = static_cast<int32_t>(s->subgraph_index());
      const size_t nt = m_.subgraphs_[s->subgraph_index()].tensors.size();
      auto readMaps = [&](const flatbuffers::Vector<flatbuffers::Offset<fb::TensorMap>>* maps,
                          std::vector<SignatureTensor>* out) -> Status {
        if (maps == nullptr) return Status::ok();
        for (uint32_t j = 0; j < maps->size(); ++j) {
          const fb::TensorMap* tm = maps->Get(j);
          SignatureTensor st;
          if (tm->name()) st.name = tm->name()->str();
          if (const size_t bad = invalidUtf8At(st.name); bad != std::string::npos) {
            return invalid("signature '{}' has a tensor name that is not valid UTF-8 (byte {} of {})", sig.key, bad,
                           st.name.size());
          }
          if (tm->tensor_index() >= nt) {
            return invalid("signature '{}' maps '{}' to tensor {} of {}", sig.key, st.name, tm->tensor_index(), nt);
          }
          st.tensorIndex = static_cast<int32_t>(tm->tensor_index());
          out->push_back(std::move(st));
        }
        return Status::ok();
      };
      INFERD_RETURN_IF_ERROR(readMaps(s->inputs(), &sig.inputs));
      INFERD_RETURN_IF_ERROR(readMaps(s->outputs(), &sig.outputs));
      m_.signatures_.push_back(std::move(sig));
    }
    return Status::ok();
  }

  // DEQUANTIZE (fp16/int8 weights) and DENSIFY (sparse weights) of constants
  // are evaluated once here, so interpreters share float constants.
  // A hybrid op reads a float activation (its first input) and a constant
  // int8 weight tensor and writes float; DEQUANTIZE does that exactly and
  // is not one.
  bool findHybridOps() const {
    constexpr int32_t kDequantize = 6;
    for (const Subgraph& sg : m_.subgraphs_) {
      for (const OperatorInfo& op : sg.operators) {
        if (op.folded || op.builtinCode == kDequantize || op.inputs.empty() || op.inputs[0] < 0) continue;
        const auto tensor = [&](int32_t i) -> const TensorInfo& { return sg.tensors[static_cast<size_t>(i)]; };
        if (tensor(op.inputs[0]).type != ElementType::kFloat32) continue;
        for (size_t i = 1; i < op.inputs.size(); ++i) {
          const int32_t t = op.inputs[i];
          if (t >= 0 && tensor(t).isConstant && tensor(t).type == ElementType::kInt8) return true;
        }
      }
    }
    return false;
  }

  Status foldConstants() {
    const OpResolver& resolver = options_.resolver ? *options_.resolver : OpResolver::builtins();
    for (size_t s = 0; s < m_.subgraphs_.size(); ++s) {
      Subgraph& sg = m_.subgraphs_[s];
      for (size_t i = 0; i < sg.operators.size(); ++i) {
        OperatorInfo& op = sg.operators[i];
        const bool foldable = op.builtinCode == static_cast<int32_t>(fb::BuiltinOperator::DEQUANTIZE) ||
                              op.builtinCode == static_cast<int32_t>(fb::BuiltinOperator::DENSIFY);
        if (!foldable || op.inputs.empty() || op.outputs.size() != 1) continue;
        bool allConstant = true;
        for (int32_t in : op.inputs) {
          if (in < 0 || !sg.tensors[static_cast<size_t>(in)].isConstant) allConstant = false;
        }
        if (!allConstant) continue;
        const KernelRegistration* k = resolver.find(op.builtinCode, op.customName, op.version);
        if (k == nullptr) continue;  // reported as unsupported when an interpreter is created
        auto folded = evalConstantOp(sg, op, static_cast<int>(i), *k);
        if (!folded.isOk()) return folded.status().withContext(fmt::format("subgraph {}", s));
        FoldedOutput& out = folded.value().front();
        TensorInfo& t = sg.tensors[static_cast<size_t>(op.outputs[0])];
        t.shape = out.dims;
        t.data = out.data.get();
        t.bytes = out.bytes;
        t.isConstant = true;
        m_.foldedBytes_ += out.bytes;
        m_.owned_.push_back(std::move(out.data));
        op.folded = true;
      }
    }
    return Status::ok();
  }

  Model& m_;
  const LoadOptions& options_;
  const fb::Model* fbModel_ = nullptr;
  std::vector<OpCode> opcodes_;
};

std::string OperatorInfo::name() const {
  if (builtinCode == static_cast<int32_t>(fb::BuiltinOperator::CUSTOM)) return customName;
  return builtinOperatorName(builtinCode);
}

const Signature* Model::findSignature(const std::string& key) const {
  for (const Signature& s : signatures_) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::shared_ptr<const void> Model::sharedDerived(const void* constant, const std::string& form,
                                                 const DeriveFn& make) const {
  // A slice's constants are its parent's: pack them once for both.
  if (parent_) return parent_->sharedDerived(constant, form, make);
  // Held while making, so two interpreters preparing at once make it once.
  std::lock_guard<std::mutex> lock(derivedMutex_);
  auto& slot = derived_[{constant, form}];
  if (slot == nullptr) {
    size_t bytes = 0;
    slot = make(&bytes);
    derivedBytes_ += bytes;
  }
  return slot;
}

size_t Model::derivedBytes() const {
  if (parent_) return parent_->derivedBytes();
  std::lock_guard<std::mutex> lock(derivedMutex_);
  return derivedBytes_;
}

Model::~Model() {
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
}

size_t Model::constantBytes() const {
  size_t total = 0;
  std::vector<uint8_t> used(mainSubgraph().tensors.size(), 0);
  for (const OperatorInfo& op : mainSubgraph().operators) {
    if (op.folded) continue;
    for (int32_t in : op.inputs) {
      if (in >= 0) used[static_cast<size_t>(in)] = 1;
    }
  }
  for (size_t i = 0; i < used.size(); ++i) {
    const TensorInfo& t = mainSubgraph().tensors[i];
    if (used[i] && t.isConstant) total += t.bytes;
  }
  return total;
}

GraphSlice sliceBoundary(const Subgraph& sg, std::vector<int32_t> ops) {
  GraphSlice out;
  const size_t nt = sg.tensors.size();
  std::vector<uint8_t> inSlice(sg.operators.size(), 0);
  for (int32_t o : ops) {
    if (o >= 0 && static_cast<size_t>(o) < sg.operators.size() && !sg.operators[static_cast<size_t>(o)].folded) {
      inSlice[static_cast<size_t>(o)] = 1;
      out.ops.push_back(o);
    }
  }
  auto isBoundaryCandidate = [&](int32_t t) {
    if (t < 0 || static_cast<size_t>(t) >= nt) return false;
    const TensorInfo& info = sg.tensors[static_cast<size_t>(t)];
    return !info.isConstant && !info.isVariable;
  };
  std::vector<uint8_t> produced(nt, 0), isInput(nt, 0), isOutput(nt, 0);
  std::vector<int32_t> producedOrder;
  for (int32_t o : out.ops) {
    const OperatorInfo& op = sg.operators[static_cast<size_t>(o)];
    for (int32_t t : op.inputs) {
      if (!isBoundaryCandidate(t) || produced[static_cast<size_t>(t)] || isInput[static_cast<size_t>(t)]) continue;
      isInput[static_cast<size_t>(t)] = 1;
      out.inputs.push_back(t);
    }
    for (int32_t t : op.outputs) {
      if (!isBoundaryCandidate(t) || produced[static_cast<size_t>(t)]) continue;
      produced[static_cast<size_t>(t)] = 1;
      producedOrder.push_back(t);
    }
  }
  std::vector<uint8_t> neededOutside(nt, 0);
  for (int32_t t : sg.outputs) {
    if (t >= 0 && static_cast<size_t>(t) < nt) neededOutside[static_cast<size_t>(t)] = 1;
  }
  for (size_t o = 0; o < sg.operators.size(); ++o) {
    if (inSlice[o] || sg.operators[o].folded) continue;
    for (int32_t t : sg.operators[o].inputs) {
      if (t >= 0 && static_cast<size_t>(t) < nt) neededOutside[static_cast<size_t>(t)] = 1;
    }
  }
  for (int32_t t : producedOrder) {
    if (neededOutside[static_cast<size_t>(t)]) out.outputs.push_back(t);
  }
  return out;
}

Result<std::shared_ptr<const Model>> Model::slice(std::shared_ptr<const Model> parent, int subgraph,
                                                  const GraphSlice& slice, const std::map<int32_t, Dims>& shapes) {
  if (!parent) return Status(StatusCode::kInvalidArgument, "no model given");
  if (subgraph < 0 || static_cast<size_t>(subgraph) >= parent->subgraphs_.size()) {
    return makeError(StatusCode::kInvalidArgument, "subgraph {} does not exist (model has {})", subgraph,
                     parent->subgraphs_.size());
  }
  const Subgraph& from = parent->subgraphs_[static_cast<size_t>(subgraph)];
  auto checkTensors = [&](const std::vector<int32_t>& list, const char* what) -> Status {
    for (int32_t t : list) {
      if (t < 0 || static_cast<size_t>(t) >= from.tensors.size()) {
        return makeError(StatusCode::kInvalidArgument, "slice {} tensor {} does not exist", what, t);
      }
    }
    return Status::ok();
  };
  INFERD_RETURN_IF_ERROR(checkTensors(slice.inputs, "input"));
  INFERD_RETURN_IF_ERROR(checkTensors(slice.outputs, "output"));
  std::shared_ptr<Model> m(new Model());
  m->label_ = parent->label_;
  m->description_ = parent->description_;
  m->version_ = parent->version_;
  m->base_ = parent->base_;
  m->size_ = parent->size_;
  m->hasHybridOps_ = parent->hasHybridOps_;
  m->subgraphs_ = parent->subgraphs_;
  Subgraph sg;
  sg.name = from.name;
  sg.tensors = from.tensors;
  for (int32_t o : slice.ops) {
    if (o < 0 || static_cast<size_t>(o) >= from.operators.size()) {
      return makeError(StatusCode::kInvalidArgument, "slice operator {} does not exist (subgraph {} has {})", o,
                       subgraph, from.operators.size());
    }
    const OperatorInfo& op = from.operators[static_cast<size_t>(o)];
    for (int32_t called : op.calledSubgraphs) {
      // The slice takes subgraph 0's place.
      if (called == 0) {
        return makeError(StatusCode::kUnsupported, "operator {} calls subgraph 0, which a slice replaces", o);
      }
    }
    sg.operators.push_back(op);
  }
  sg.inputs = slice.inputs;
  sg.outputs = slice.outputs;
  for (const auto& [t, dims] : shapes) {
    if (t >= 0 && static_cast<size_t>(t) < sg.tensors.size()) sg.tensors[static_cast<size_t>(t)].shape = dims;
  }
  m->subgraphs_[0] = std::move(sg);
  m->parent_ = parent->parent_ ? parent->parent_ : parent;
  return std::shared_ptr<const Model>(std::move(m));
}

Result<std::shared_ptr<const Model>> Model::load(const std::string& path, const LoadOptions& options) {
  // O_NONBLOCK: opening a FIFO (or a device) put where the model was must
  // not wait for a writer; fstat then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    return Status(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                  fmt::format("failed to load model '{}': {}", path, std::strerror(errno)));
  }
  auto model = loadFromFd(fd, path, options);
  ::close(fd);
  return model;
}

Result<std::shared_ptr<const Model>> Model::loadFromFd(int fd, const std::string& label, const LoadOptions& options) {
  auto fail = [&](StatusCode code, const std::string& why) {
    return Status(code, fmt::format("failed to load model '{}': {}", label, why));
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(StatusCode::kInvalidArgument, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(StatusCode::kInvalidArgument, "not a regular file");
  if (st.st_size == 0) return fail(StatusCode::kInvalidModel, "the file is empty");
  if (static_cast<uint64_t>(st.st_size) > kMaxModelBytes) {
    return fail(StatusCode::kInvalidModel, fmt::format("the file has {} bytes, more than the {} a .tflite can have",
                                                       st.st_size, kMaxModelBytes));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::shared_ptr<Model> model(new Model());
  model->label_ = label;
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    // Some filesystems cannot mmap; fall back to reading the file.
    model->copy_.resize(size);
    if (!readFully(fd, model->copy_.data(), size)) {
      return fail(StatusCode::kInvalidArgument, std::string("read failed: ") + std::strerror(errno));
    }
    model->base_ = model->copy_.data();
  } else {
    model->mapping_ = map;
    model->base_ = static_cast<const uint8_t*>(map);
  }
  model->size_ = size;
  ModelLoader loader(*model, options);
  Status s = loader.load();
  if (!s.isOk()) return Status(s.code(), fmt::format("failed to load model '{}': {}", label, s.message()));
  return std::shared_ptr<const Model>(std::move(model));
}

Result<std::shared_ptr<const Model>> Model::loadFromBuffer(const void* data, size_t size, const std::string& label,
                                                           const LoadOptions& options) {
  std::shared_ptr<Model> model(new Model());
  model->label_ = label;
  // FlatBuffers needs the root aligned; a vector's storage is suitably aligned.
  model->copy_.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  model->base_ = model->copy_.data();
  model->size_ = size;
  if (size == 0) {
    return Status(StatusCode::kInvalidModel, fmt::format("failed to load model '{}': the buffer is empty", label));
  }
  ModelLoader loader(*model, options);
  Status s = loader.load();
  if (!s.isOk()) return Status(s.code(), fmt::format("failed to load model '{}': {}", label, s.message()));
  return std::shared_ptr<const Model>(std::move(model));
}

}  // namespace inferd::engine
