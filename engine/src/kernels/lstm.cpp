// UNIDIRECTIONAL_SEQUENCE_LSTM: float, and "hybrid" (int8 weights with one
// scale each, float activations) as dynamic-range quantization writes it.
//
// Inputs (TFLite order): 0 input; 1-4 input-to-{input, forget, cell, output}
// weights (input gate optional: CIFG couples it as 1 - forget); 5-8
// recurrent-to-{i, f, c, o} weights; 9-11 peephole cell-to-{i, f, o}
// (optional); 12-15 gate biases; 16-17 projection weights and bias
// (optional); 18 output state and 19 cell state (variable tensors: they keep
// their value across invokes, as in TFLite); 20-23 layer-norm coefficients
// (not supported).
//
// Per time step, with x the input row and h, c the states:
//   i = sigmoid(Wxi x + Whi h + pi.c + bi)   (or 1 - f with CIFG)
//   f = sigmoid(Wxf x + Whf h + pf.c + bf)
//   g = act(Wxc x + Whc h + bc)
//   c = clip(f.c + i.g, cell_clip)
//   o = sigmoid(Wxo x + Who h + po.c + bo)
//   m = o.act(c);  h = clip(Wproj m + bproj, proj_clip) or m
// Hybrid matmuls quantize each float row to int8 first (symmetric, or
// asymmetric with asymmetric_quantize_inputs), like TFLite's hybrid kernel,
// so results match it closely.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {

namespace {

constexpr int kGateI = 0, kGateF = 1, kGateC = 2, kGateO = 3;
enum : int {
  kInput = 0,
  kInputWeights = 1,      // 1..4: i, f, c, o
  kRecurrentWeights = 5,  // 5..8
  kPeephole = 9,          // 9..11: i, f, o
  kBias = 12,             // 12..15
  kProjWeights = 16,
  kProjBias = 17,
  kOutputState = 18,
  kCellState = 19,
  kLayerNorm = 20,  // 20..23
};

// A weight matrix [rows, cols], float or int8 with one scale.
struct Weights {
  const float* f = nullptr;
  const int8_t* q = nullptr;
  float scale = 1.f;
  std::vector<int32_t> rowSums;  // hybrid: sum of each row (asymmetric inputs)
  int rows = 0, cols = 0;
  bool present() const { return f != nullptr || q != nullptr; }
};

// Float rows quantized to int8 for hybrid matmuls.
struct QuantizedRows {
  int8_t* q = nullptr;
  float* scale = nullptr;
  int32_t* zeroPoint = nullptr;
};

struct LstmState : KernelState {
  bool hybrid = false;
  bool asymmetric = false;
  bool cifg = false;
  bool timeMajor = false;
  int steps = 0, batch = 0, nInput = 0, nCell = 0, nOutput = 0;
  Weights input[4], recurrent[4], projection;
  std::vector<float> peephole[3];  // dequantized; empty when absent
  fb::ActivationFunctionType activation = fb::ActivationFunctionType::TANH;
  float cellClip = 0, projClip = 0;
  int scratchGates = -1, scratchRow = -1, scratchQ = -1, scratchScale = -1, scratchZp = -1;
};

Status readWeights(OpContext& ctx, int index, int rows, int cols, bool hybrid, Weights* w) {
  const Tensor* t = ctx.input(index);
  if (t == nullptr) return Status::ok();
  if (t->rank() != 2 || t->dim(0) != rows || t->dim(1) != cols) {
    return ctx.error("weights (input {}) have shape {}, expected [{}, {}]", index, dimsToString(t->dims), rows, cols);
  }
  if (!t->isConstant) return ctx.unsupported("weights (input {}) must be constant", index);
  w->rows = rows;
  w->cols = cols;
  if (!hybrid) {
    INFERD_RETURN_IF_ERROR(checkType(ctx, t, ElementType::kFloat32, "a weight tensor of a float LSTM"));
    w->f = t->as<float>();
    return Status::ok();
  }
  if (t->type != ElementType::kInt8) {
    return ctx.unsupported("hybrid LSTM weights (input {}) must be INT8, are {}", index, elementTypeName(t->type));
  }
  const QuantParams& q = t->quant();
  if (q.scale.size() != 1 || q.zeroPoint[0] != 0) {
    return ctx.unsupported("hybrid LSTM weights (input {}) need one scale and zero point 0", index);
  }
  w->q = t->as<int8_t>();
  w->scale = q.scale[0];
  w->rowSums.assign(static_cast<size_t>(rows), 0);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) w->rowSums[static_cast<size_t>(r)] += w->q[static_cast<int64_t>(r) * cols + c];
  }
  return Status::ok();
}

Status readVector(OpContext& ctx, int index, int size, bool allowInt8, std::vector<float>* out) {
  out->clear();
  const Tensor* t = ctx.input(index);
  if (t == nullptr) return Status::ok();
  if (t->numElements() != size || t->rank() != 1) {
    return ctx.error("input {} has shape {}, expected [{}]", index, dimsToString(t->dims), size);
  }
  if (!t->isConstant) return ctx.unsupported("input {} must be constant", index);
  if (t->type == ElementType::kFloat32) {
    out->assign(t->as<float>(), t->as<float>() + size);
  } else if (allowInt8 && t->type == ElementType::kInt8 && t->quant().scale.size() == 1) {
    for (int i = 0; i < size; ++i) out->push_back(static_cast<float>(t->as<int8_t>()[i]) * t->quant().scale[0]);
  } else {
    return ctx.unsupported("input {} has type {}", index, elementTypeName(t->type));
  }
  return Status::ok();
}

Status checkFloatTensor(OpContext& ctx, int index, const Dims& dims, bool required) {
  const Tensor* t = ctx.input(index);
  if (t == nullptr) {
    if (required) return ctx.error("input {} is required but missing", index);
    return Status::ok();
  }
  INFERD_RETURN_IF_ERROR(checkType(ctx, t, ElementType::kFloat32, "a bias or state tensor"));
  if (t->dims != dims) {
    return ctx.error("input {} has shape {}, expected {}", index, dimsToString(t->dims), dimsToString(dims));
  }
  return Status::ok();
}

Status prepareLstm(OpContext& ctx) {
  const auto* o = options<fb::UnidirectionalSequenceLSTMOptions>(ctx);
  auto st = std::make_unique<LstmState>();
  if (o != nullptr) {
    st->activation = o->fused_activation_function();
    st->cellClip = o->cell_clip();
    st->projClip = o->proj_clip();
    st->timeMajor = o->time_major();
    st->asymmetric = o->asymmetric_quantize_inputs();
    if (o->diagonal_recurrent_tensors()) return ctx.unsupported("diagonal recurrent weights are not supported");
  }
  switch (st->activation) {
    case fb::ActivationFunctionType::NONE: case fb::ActivationFunctionType::RELU:
    case fb::ActivationFunctionType::RELU_N1_TO_1: case fb::ActivationFunctionType::RELU6:
    case fb::ActivationFunctionType::TANH: break;
    default:
      return ctx.unsupported("activation {} is not supported",
                             fb::EnumNameActivationFunctionType(st->activation));
  }
  if (st->cellClip < 0 || st->projClip < 0) return ctx.error("cell_clip and proj_clip must be >= 0");
  for (int i = kLayerNorm; i < std::min(ctx.numInputs(), kLayerNorm + 4); ++i) {
    if (ctx.input(i) != nullptr) return ctx.unsupported("layer-normalized LSTMs are not supported");
  }
  const Tensor* in = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, kInput, &in));
  INFERD_RETURN_IF_ERROR(checkType(ctx, in, ElementType::kFloat32, "input"));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, in, 3, "input"));
  st->steps = in->dim(st->timeMajor ? 0 : 1);
  st->batch = in->dim(st->timeMajor ? 1 : 0);
  st->nInput = in->dim(2);
  const Tensor *toOutput = nullptr, *recToOutput = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, kInputWeights + kGateO, &toOutput));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, kRecurrentWeights + kGateO, &recToOutput));
  if (toOutput->rank() != 2 || recToOutput->rank() != 2) return ctx.error("weights must have rank 2");
  st->nCell = toOutput->dim(0);
  st->nOutput = recToOutput->dim(1);
  st->hybrid = toOutput->type != ElementType::kFloat32;
  st->cifg = ctx.input(kInputWeights + kGateI) == nullptr;
  if (st->cifg && ctx.input(kRecurrentWeights + kGateI) != nullptr) {
    return ctx.error("has recurrent-to-input weights but no input-to-input weights");
  }
  for (int g = 0; g < 4; ++g) {
    const bool needed = g != kGateI || !st->cifg;
    if (needed && (ctx.input(kInputWeights + g) == nullptr || ctx.input(kRecurrentWeights + g) == nullptr)) {
      return ctx.error("gate {} weights (inputs {} and {}) are required", g, kInputWeights + g, kRecurrentWeights + g);
    }
    INFERD_RETURN_IF_ERROR(readWeights(ctx, kInputWeights + g, st->nCell, st->nInput, st->hybrid, &st->input[g]));
    INFERD_RETURN_IF_ERROR(
        readWeights(ctx, kRecurrentWeights + g, st->nCell, st->nOutput, st->hybrid, &st->recurrent[g]));
    INFERD_RETURN_IF_ERROR(checkFloatTensor(ctx, kBias + g, {st->nCell}, needed));
  }
  for (int p = 0; p < 3; ++p) {
    if (p == 0 && st->cifg) continue;
    INFERD_RETURN_IF_ERROR(readVector(ctx, kPeephole + p, st->nCell, st->hybrid, &st->peephole[p]));
  }
  if (ctx.input(kProjWeights) != nullptr) {
    INFERD_RETURN_IF_ERROR(readWeights(ctx, kProjWeights, st->nOutput, st->nCell, st->hybrid, &st->projection));
    INFERD_RETURN_IF_ERROR(checkFloatTensor(ctx, kProjBias, {st->nOutput}, false));
  } else if (st->nOutput != st->nCell) {
    return ctx.error("output size {} differs from cell size {} but there are no projection weights", st->nOutput,
                     st->nCell);
  }
  for (int s : {kOutputState, kCellState}) {
    INFERD_RETURN_IF_ERROR(
        checkFloatTensor(ctx, s, {st->batch, s == kOutputState ? st->nOutput : st->nCell}, true));
    if (ctx.input(s)->isConstant) {
      return ctx.unsupported("state (input {}) is a constant; LSTM states must be variable tensors", s);
    }
  }
  INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(0), ElementType::kFloat32, "output"));
  const Dims outDims = st->timeMajor ? Dims{st->steps, st->batch, st->nOutput} : Dims{st->batch, st->steps, st->nOutput};
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, outDims));

  const auto b = static_cast<size_t>(st->batch);
  const size_t widest = static_cast<size_t>(std::max({st->nInput, st->nOutput, st->nCell}));
  st->scratchGates = ctx.requestScratch(4 * b * static_cast<size_t>(st->nCell) * sizeof(float));
  st->scratchRow = ctx.requestScratch(b * widest * sizeof(float));
  if (st->hybrid) {
    st->scratchQ = ctx.requestScratch(b * widest);
    st->scratchScale = ctx.requestScratch(b * sizeof(float));
    st->scratchZp = ctx.requestScratch(b * sizeof(int32_t));
  }
  ctx.setState(std::move(st));
  return Status::ok();
}

// Quantizes `rows` rows of `cols` floats to int8, one scale (and zero
// point, when asymmetric) per row; an all-zero row gets scale 1.
void quantizeRows(const float* x, int rows, int cols, bool asymmetric, QuantizedRows* out) {
  for (int r = 0; r < rows; ++r) {
    const float* v = x + static_cast<int64_t>(r) * cols;
    int8_t* q = out->q + static_cast<int64_t>(r) * cols;
    const auto [lo, hi] = std::minmax_element(v, v + cols);
    float mn = cols > 0 ? *lo : 0.f, mx = cols > 0 ? *hi : 0.f;
    out->zeroPoint[r] = 0;
    if (!asymmetric) {
      const float range = std::max(std::fabs(mn), std::fabs(mx));
      if (range == 0.f) {
        std::memset(q, 0, static_cast<size_t>(cols));
        out->scale[r] = 1.f;
        continue;
      }
      out->scale[r] = range / 127.f;
      const float inv = 127.f / range;
      for (int c = 0; c < cols; ++c) {
        q[c] = static_cast<int8_t>(std::clamp(static_cast<int32_t>(std::round(v[c] * inv)), -127, 127));
      }
      continue;
    }
    mn = std::min(mn, 0.f);
    mx = std::max(mx, 0.f);
    if (mn == mx) {
      std::memset(q, 0, static_cast<size_t>(cols));
      out->scale[r] = 1.f;
      continue;
    }
    // The zero point from whichever end has the smaller rounding error.
    const double qmin = -128, qmax = 127;
    const double scale = (static_cast<double>(mx) - mn) / (qmax - qmin);
    const double zpFromMin = qmin - mn / scale, zpFromMax = qmax - mx / scale;
    const double zpDouble =
        std::fabs(qmin) + std::fabs(mn / scale) < std::fabs(qmax) + std::fabs(mx / scale) ? zpFromMin : zpFromMax;
    const auto zp = static_cast<int32_t>(std::round(std::clamp(zpDouble, qmin, qmax)));
    out->scale[r] = static_cast<float>(scale);
    out->zeroPoint[r] = zp;
    const float inv = static_cast<float>(1.0 / scale);
    for (int c = 0; c < cols; ++c) {
      q[c] = static_cast<int8_t>(std::clamp(static_cast<int32_t>(std::round(static_cast<float>(zp) + v[c] * inv)),
                                            -128, 127));
    }
  }
}

// out[b][r] += W[r] . x[b] for `batch` rows of x (float), or of qx (int8,
// for int8 weights).
void matmulAccumulate(const Weights& w, const float* x, const QuantizedRows& qx, int batch, float* out) {
  for (int b = 0; b < batch; ++b) {
    float* o = out + static_cast<int64_t>(b) * w.rows;
    if (w.f != nullptr) {
      const float* xb = x + static_cast<int64_t>(b) * w.cols;
      for (int r = 0; r < w.rows; ++r) {
        const float* row = w.f + static_cast<int64_t>(r) * w.cols;
        float acc = 0.f;
        for (int c = 0; c < w.cols; ++c) acc += row[c] * xb[c];
        o[r] += acc;
      }
      continue;
    }
    const int8_t* xb = qx.q + static_cast<int64_t>(b) * w.cols;
    const float scale = qx.scale[b] * w.scale;
    for (int r = 0; r < w.rows; ++r) {
      const int8_t* row = w.q + static_cast<int64_t>(r) * w.cols;
      int32_t acc = 0;
      for (int c = 0; c < w.cols; ++c) acc += static_cast<int32_t>(row[c]) * xb[c];
      acc -= qx.zeroPoint[b] * w.rowSums[static_cast<size_t>(r)];
      o[r] += static_cast<float>(acc) * scale;
    }
  }
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

float activate(fb::ActivationFunctionType act, float x) {
  switch (act) {
    case fb::ActivationFunctionType::RELU: return std::max(x, 0.f);
    case fb::ActivationFunctionType::RELU_N1_TO_1: return std::clamp(x, -1.f, 1.f);
    case fb::ActivationFunctionType::RELU6: return std::clamp(x, 0.f, 6.f);
    case fb::ActivationFunctionType::TANH: return std::tanh(x);
    default: return x;
  }
}

float clipTo(float x, float limit) { return limit > 0.f ? std::clamp(x, -limit, limit) : x; }

Status evalLstm(OpContext& ctx) {
  const LstmState& st = *ctx.state<LstmState>();
  const int B = st.batch, nCell = st.nCell, nOut = st.nOutput, nIn = st.nInput;
  const float* input = ctx.input(kInput)->as<float>();
  float* hState = const_cast<Tensor*>(ctx.input(kOutputState))->as<float>();
  float* cState = const_cast<Tensor*>(ctx.input(kCellState))->as<float>();
  float* output = ctx.output(0)->as<float>();
  auto* gates = static_cast<float*>(ctx.scratch(st.scratchGates));
  auto* row = static_cast<float*>(ctx.scratch(st.scratchRow));
  QuantizedRows qx;
  if (st.hybrid) {
    qx.q = static_cast<int8_t*>(ctx.scratch(st.scratchQ));
    qx.scale = static_cast<float*>(ctx.scratch(st.scratchScale));
    qx.zeroPoint = static_cast<int32_t*>(ctx.scratch(st.scratchZp));
  }
  const float* bias[4];
  for (int g = 0; g < 4; ++g) bias[g] = ctx.input(kBias + g) ? ctx.input(kBias + g)->as<float>() : nullptr;
  const float* projBias = ctx.input(kProjBias) ? ctx.input(kProjBias)->as<float>() : nullptr;
  auto gate = [&](int g) { return gates + static_cast<int64_t>(g) * B * nCell; };
  // Adds W x to the gates for the float rows x (quantized first if hybrid).
  auto accumulate = [&](const Weights* w, const float* x, int cols) {
    if (st.hybrid) quantizeRows(x, B, cols, st.asymmetric, &qx);
    for (int g = 0; g < 4; ++g) {
      if (w[g].present()) matmulAccumulate(w[g], x, qx, B, gate(g));
    }
  };

  for (int t = 0; t < st.steps; ++t) {
    // This step's input rows, contiguous [B, nIn].
    for (int b = 0; b < B; ++b) {
      const int64_t at = st.timeMajor ? (static_cast<int64_t>(t) * B + b) : (static_cast<int64_t>(b) * st.steps + t);
      std::memcpy(row + static_cast<int64_t>(b) * nIn, input + at * nIn, static_cast<size_t>(nIn) * sizeof(float));
    }
    for (int g = 0; g < 4; ++g) {
      for (int b = 0; b < B; ++b) {
        float* dst = gate(g) + static_cast<int64_t>(b) * nCell;
        if (bias[g] != nullptr) {
          std::memcpy(dst, bias[g], static_cast<size_t>(nCell) * sizeof(float));
        } else {
          std::fill(dst, dst + nCell, 0.f);
        }
      }
    }
    accumulate(st.input, row, nIn);
    accumulate(st.recurrent, hState, nOut);
    for (int b = 0; b < B; ++b) {
      float* c = cState + static_cast<int64_t>(b) * nCell;
      float* gi = gate(kGateI) + static_cast<int64_t>(b) * nCell;
      float* gf = gate(kGateF) + static_cast<int64_t>(b) * nCell;
      float* gc = gate(kGateC) + static_cast<int64_t>(b) * nCell;
      float* go = gate(kGateO) + static_cast<int64_t>(b) * nCell;
      float* m = row + static_cast<int64_t>(b) * nCell;  // the input rows are consumed
      for (int k = 0; k < nCell; ++k) {
        const auto kk = static_cast<size_t>(k);
        float f = gf[k] + (st.peephole[1].empty() ? 0.f : st.peephole[1][kk] * c[k]);
        f = sigmoid(f);
        const float i = st.cifg ? 1.f - f : sigmoid(gi[k] + (st.peephole[0].empty() ? 0.f : st.peephole[0][kk] * c[k]));
        const float cNew = clipTo(f * c[k] + i * activate(st.activation, gc[k]), st.cellClip);
        c[k] = cNew;
        const float o = sigmoid(go[k] + (st.peephole[2].empty() ? 0.f : st.peephole[2][kk] * cNew));
        m[k] = o * activate(st.activation, cNew);
      }
    }
    if (st.projection.present()) {
      for (int b = 0; b < B; ++b) {
        float* h = hState + static_cast<int64_t>(b) * nOut;
        for (int k = 0; k < nOut; ++k) h[k] = projBias != nullptr ? projBias[k] : 0.f;
      }
      if (st.hybrid) quantizeRows(row, B, nCell, st.asymmetric, &qx);
      matmulAccumulate(st.projection, row, qx, B, hState);
      for (int64_t k = 0; k < static_cast<int64_t>(B) * nOut; ++k) hState[k] = clipTo(hState[k], st.projClip);
    } else {
      std::memcpy(hState, row, static_cast<size_t>(B) * static_cast<size_t>(nOut) * sizeof(float));
    }
    for (int b = 0; b < B; ++b) {
      const int64_t at = st.timeMajor ? (static_cast<int64_t>(t) * B + b) : (static_cast<int64_t>(b) * st.steps + t);
      std::memcpy(output + at * nOut, hState + static_cast<int64_t>(b) * nOut,
                  static_cast<size_t>(nOut) * sizeof(float));
    }
  }
  return Status::ok();
}

}  // namespace

void registerLstmKernels(OpResolver& r) {
  if constexpr (opSelected(fb::BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM)) {
    KernelRegistration k;
    k.builtinCode = static_cast<int32_t>(fb::BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM);
    k.maxVersion = 4;
    k.minInputs = 20;
    k.maxInputs = 24;
    k.prepare = prepareLstm;
    k.eval = evalLstm;
    k.types = {ElementType::kFloat32};
    r.add(std::move(k));
  }
}

}  // namespace inferd::engine::kernels
