// Lowering of TFLite operators to the opencl driver's kernels, and the
// kernels themselves (OpenCL C 1.2, fp32 storage). Every kernel indexes
// NHWC tensors; most run one work-item per output element. 1x1 convolutions
// with stride 1 and FULLY_CONNECTED run as one tiled GEMM (16x16 tiles in
// local memory); other convolutions, TRANSPOSE_CONV (as a gather over the
// taps that reach an output pixel) and pooling are direct.
// Semantics follow TensorFlow Lite's reference kernels: SAME padding puts
// the odd pixel after, average pooling divides by the taps inside the
// image, resize uses TFLite's coordinate formulas (the scales computed on
// the host in float, as the CPU kernels do).
#include "opencl_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "inferd/engine/types.h"
#include "tflite_generated.h"

namespace inferd::hal::clops {

namespace {
Arg makeArg(Arg::Type type) {
  Arg a;
  a.type = type;
  return a;
}
}  // namespace

Launch& Launch::tensor(int32_t t) {
  args.push_back(makeArg(Arg::Type::kTensor));
  args.back().tensor = t;
  return *this;
}
Launch& Launch::i(int32_t v) {
  args.push_back(makeArg(Arg::Type::kInt));
  args.back().i = v;
  return *this;
}
Launch& Launch::f(float v) {
  args.push_back(makeArg(Arg::Type::kFloat));
  args.back().f = v;
  return *this;
}
Launch& Launch::i4(int32_t x, int32_t y, int32_t z, int32_t w) {
  args.push_back(makeArg(Arg::Type::kInt4));
  cl_int4& v = args.back().i4;
  v.s[0] = x;
  v.s[1] = y;
  v.s[2] = z;
  v.s[3] = w;
  return *this;
}
Launch& Launch::host(std::vector<float> v) {
  args.push_back(makeArg(Arg::Type::kHostFloats));
  args.back().host = std::move(v);
  return *this;
}

namespace {

constexpr const char* kSource = R"CLC(
float activate(float v, int act) {
  switch (act) {
    case 1: return fmax(v, 0.0f);
    case 2: return fmin(fmax(v, -1.0f), 1.0f);
    case 3: return fmin(fmax(v, 0.0f), 6.0f);
    case 4: return tanh(v);
    default: return v;
  }
}

float clampTo(float v, float lo, float hi) { return fmin(fmax(v, lo), hi); }

// (n, h, w, c) of element i of an NHWC tensor of shape s.
int4 nhwcOf(int i, int4 s) {
  int4 at;
  at.w = i % s.w; i /= s.w;
  at.z = i % s.z; i /= s.z;
  at.y = i % s.y;
  at.x = i / s.y;
  return at;
}

// op: 0 ADD, 1 SUB, 2 MUL, 3 DIV, 4 MAXIMUM, 5 MINIMUM, 6 SQUARED_DIFFERENCE,
//     7 PRELU (b is alpha). A broadcast operand has stride 0 along the
//     dimensions it is broadcast in (shapes padded to 4 on the left).
__kernel void binary(__global const float* a, __global const float* b, __global float* out, int op, int act,
                     int4 shape, int4 sa, int4 sb) {
  const int i = get_global_id(0);
  int r = i;
  const int d3 = r % shape.w; r /= shape.w;
  const int d2 = r % shape.z; r /= shape.z;
  const int d1 = r % shape.y;
  const int d0 = r / shape.y;
  const float x = a[d0 * sa.x + d1 * sa.y + d2 * sa.z + d3 * sa.w];
  const float y = b[d0 * sb.x + d1 * sb.y + d2 * sb.z + d3 * sb.w];
  float v;
  switch (op) {
    case 0: v = x + y; break;
    case 1: v = x - y; break;
    case 2: v = x * y; break;
    case 3: v = x / y; break;
    case 4: v = fmax(x, y); break;
    case 5: v = fmin(x, y); break;
    case 6: v = (x - y) * (x - y); break;
    default: v = x >= 0.0f ? x : x * y; break;
  }
  out[i] = activate(v, act);
}

// op: 0 RELU, 1 RELU6, 2 RELU_N1_TO_1, 3 LOGISTIC, 4 TANH, 5 HARD_SWISH,
//     6 ABS, 7 NEG, 8 EXP, 9 SQRT, 10 RSQRT, 11 SQUARE, 12 LEAKY_RELU (alpha)
__kernel void unary(__global const float* in, __global float* out, int op, float alpha) {
  const int i = get_global_id(0);
  const float x = in[i];
  float v;
  switch (op) {
    case 0: v = fmax(x, 0.0f); break;
    case 1: v = fmin(fmax(x, 0.0f), 6.0f); break;
    case 2: v = fmin(fmax(x, -1.0f), 1.0f); break;
    case 3: v = 1.0f / (1.0f + exp(-x)); break;
    case 4: v = tanh(x); break;
    case 5: v = x * fmin(fmax(x + 3.0f, 0.0f), 6.0f) / 6.0f; break;
    case 6: v = fabs(x); break;
    case 7: v = -x; break;
    case 8: v = exp(x); break;
    case 9: v = sqrt(x); break;
    case 10: v = rsqrt(x); break;
    case 11: v = x * x; break;
    default: v = x > 0.0f ? x : x * alpha; break;
  }
  out[i] = v;
}

// out[m, n] = act(sum_k a[m, k] * w[n, k] + bias[n]): FULLY_CONNECTED, and
// 1x1 convolutions with stride 1 (m = pixel, k = input channel). 16x16
// work-groups; each stages a 16x16 tile of a and of w in local memory.
#define TS 16
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void gemm(__global const float* a, __global const float* w, __global const float* bias, __global float* out,
          int M, int N, int K, float lo, float hi) {
  const int n = get_global_id(0), m = get_global_id(1);
  const int ln = get_local_id(0), lm = get_local_id(1);
  const int n0 = get_group_id(0) * TS;
  __local float as[TS][TS + 1];
  __local float ws[TS][TS + 1];
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TS) {
    const int k = k0 + ln;
    as[lm][ln] = (m < M && k < K) ? a[m * K + k] : 0.0f;
    ws[lm][ln] = (n0 + lm < N && k < K) ? w[(n0 + lm) * K + k] : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kk = 0; kk < TS; ++kk) acc += as[lm][kk] * ws[ln][kk];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (m < M && n < N) out[m * N + n] = clampTo(acc + bias[n], lo, hi);
}

// CONV_2D: in [N,H,W,C], w [O,KH,KW,C], bias [O]; k = (kh, kw, sh, sw),
// p = (dh, dw, pad top, pad left).
__kernel void conv2d(__global const float* in, __global const float* w, __global const float* bias,
                     __global float* out, int4 is, int4 os, int4 k, int4 p, float lo, float hi) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, oy = at.y, ox = at.z, oc = at.w;
  const int iy0 = oy * k.z - p.z, ix0 = ox * k.w - p.w;
  float acc = bias[oc];
  for (int ky = 0; ky < k.x; ++ky) {
    const int iy = iy0 + ky * p.x;
    if (iy < 0 || iy >= is.y) continue;
    for (int kx = 0; kx < k.y; ++kx) {
      const int ix = ix0 + kx * p.y;
      if (ix < 0 || ix >= is.z) continue;
      __global const float* src = in + ((b * is.y + iy) * is.z + ix) * is.w;
      __global const float* wr = w + ((oc * k.x + ky) * k.y + kx) * is.w;
      for (int c = 0; c < is.w; ++c) acc += src[c] * wr[c];
    }
  }
  out[i] = clampTo(acc, lo, hi);
}

// DEPTHWISE_CONV_2D: w [1,KH,KW,O], output channel oc reads input channel
// oc / mult.
__kernel void depthwise(__global const float* in, __global const float* w, __global const float* bias,
                        __global float* out, int4 is, int4 os, int4 k, int4 p, int mult, float lo, float hi) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, oy = at.y, ox = at.z, oc = at.w;
  const int ic = oc / mult;
  const int iy0 = oy * k.z - p.z, ix0 = ox * k.w - p.w;
  float acc = bias[oc];
  for (int ky = 0; ky < k.x; ++ky) {
    const int iy = iy0 + ky * p.x;
    if (iy < 0 || iy >= is.y) continue;
    for (int kx = 0; kx < k.y; ++kx) {
      const int ix = ix0 + kx * p.y;
      if (ix < 0 || ix >= is.z) continue;
      acc += in[((b * is.y + iy) * is.z + ix) * is.w + ic] * w[(ky * k.y + kx) * os.w + oc];
    }
  }
  out[i] = clampTo(acc, lo, hi);
}

// TRANSPOSE_CONV / Convolution2DTransposeBias as a gather: input pixel iy
// reaches output row iy*s - pad + ky. w [O,KH,KW,C]; k = (kh, kw, sh, sw),
// p = (pad top, pad left, -, -).
__kernel void transpose_conv(__global const float* in, __global const float* w, __global const float* bias,
                             __global float* out, int4 is, int4 os, int4 k, int4 p, float lo, float hi) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, oy = at.y, ox = at.z, oc = at.w;
  float acc = bias[oc];
  for (int ky = 0; ky < k.x; ++ky) {
    const int ty = oy + p.x - ky;
    if (ty < 0 || ty % k.z != 0) continue;
    const int iy = ty / k.z;
    if (iy >= is.y) continue;
    for (int kx = 0; kx < k.y; ++kx) {
      const int tx = ox + p.y - kx;
      if (tx < 0 || tx % k.w != 0) continue;
      const int ix = tx / k.w;
      if (ix >= is.z) continue;
      __global const float* src = in + ((b * is.y + iy) * is.z + ix) * is.w;
      __global const float* wr = w + ((oc * k.x + ky) * k.y + kx) * is.w;
      for (int c = 0; c < is.w; ++c) acc += src[c] * wr[c];
    }
  }
  out[i] = clampTo(acc, lo, hi);
}

// AVERAGE_POOL_2D (isMax 0: the mean of the taps inside the image) and
// MAX_POOL_2D; k = (fh, fw, sh, sw), p = (pad top, pad left, -, -).
__kernel void pool(__global const float* in, __global float* out, int4 is, int4 os, int4 k, int4 p, int isMax,
                   float lo, float hi) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, oy = at.y, ox = at.z, c = at.w;
  const int iy0 = oy * k.z - p.x, ix0 = ox * k.w - p.y;
  float acc = isMax ? -FLT_MAX : 0.0f;
  int count = 0;
  for (int fy = 0; fy < k.x; ++fy) {
    const int iy = iy0 + fy;
    if (iy < 0 || iy >= is.y) continue;
    for (int fx = 0; fx < k.y; ++fx) {
      const int ix = ix0 + fx;
      if (ix < 0 || ix >= is.z) continue;
      const float v = in[((b * is.y + iy) * is.z + ix) * is.w + c];
      acc = isMax ? fmax(acc, v) : acc + v;
      ++count;
    }
  }
  if (!isMax) acc = count > 0 ? acc / (float)count : 0.0f;
  out[i] = clampTo(acc, lo, hi);
}

// MEAN (op 0), SUM (1), REDUCE_MAX (2), REDUCE_MIN (3) over the dimensions
// flagged in `red` of a shape padded to 4; one work-item per output.
__kernel void reduce(__global const float* in, __global float* out, int4 shape, int4 red, int op) {
  const int i = get_global_id(0);
  const int d[4] = {shape.x, shape.y, shape.z, shape.w};
  const int rm[4] = {red.x, red.y, red.z, red.w};
  int c[4];
  int r = i;
  int total = 1;
  for (int j = 3; j >= 0; --j) {
    const int size = rm[j] ? 1 : d[j];
    c[j] = r % size;
    r /= size;
    if (rm[j]) total *= d[j];
  }
  float acc = op == 2 ? -INFINITY : (op == 3 ? INFINITY : 0.0f);
  for (int t = 0; t < total; ++t) {
    int q = t;
    int idx[4];
    for (int j = 3; j >= 0; --j) {
      if (rm[j]) {
        idx[j] = q % d[j];
        q /= d[j];
      } else {
        idx[j] = c[j];
      }
    }
    const float v = in[((idx[0] * d[1] + idx[1]) * d[2] + idx[2]) * d[3] + idx[3]];
    acc = op == 2 ? fmax(acc, v) : (op == 3 ? fmin(acc, v) : acc + v);
  }
  if (op == 0) acc /= (float)total;
  out[i] = acc;
}

// PAD / PADV2: shapes padded to 4, `before` the leading padding per dim.
__kernel void pad(__global const float* in, __global float* out, int4 is, int4 os, int4 before, float value) {
  const int i = get_global_id(0);
  int r = i;
  const int c3 = r % os.w - before.w; r /= os.w;
  const int c2 = r % os.z - before.z; r /= os.z;
  const int c1 = r % os.y - before.y;
  const int c0 = r / os.y - before.x;
  const bool inside = c0 >= 0 && c0 < is.x && c1 >= 0 && c1 < is.y && c2 >= 0 && c2 < is.z && c3 >= 0 && c3 < is.w;
  out[i] = inside ? in[((c0 * is.y + c1) * is.z + c2) * is.w + c3] : value;
}

// One input of CONCATENATION: rows of rowIn values go to rows of rowOut at
// `offset`.
__kernel void concat_part(__global const float* in, __global float* out, int rowIn, int rowOut, int offset, float lo,
                          float hi) {
  const int i = get_global_id(0);
  out[(i / rowIn) * rowOut + offset + i % rowIn] = clampTo(in[i], lo, hi);
}

// SOFTMAX over the last dimension; one work-item per row.
__kernel void softmax(__global const float* in, __global float* out, int depth, float beta) {
  const int row = get_global_id(0);
  __global const float* x = in + row * depth;
  __global float* y = out + row * depth;
  float m = x[0];
  for (int j = 1; j < depth; ++j) m = fmax(m, x[j]);
  float sum = 0.0f;
  for (int j = 0; j < depth; ++j) {
    const float e = exp((x[j] - m) * beta);
    y[j] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
  for (int j = 0; j < depth; ++j) y[j] *= inv;
}

// RESIZE_BILINEAR with TFLite's source coordinates (scaleY/X computed on
// the host).
__kernel void resize_bilinear(__global const float* in, __global float* out, int4 is, int4 os, float scaleY,
                              float scaleX, int halfPixel) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, y = at.y, x = at.z, c = at.w;
  const float sy = halfPixel ? ((float)y + 0.5f) * scaleY - 0.5f : (float)y * scaleY;
  const float sx = halfPixel ? ((float)x + 0.5f) * scaleX - 0.5f : (float)x * scaleX;
  const int y0 = max((int)floor(sy), 0), y1 = min((int)ceil(sy), is.y - 1);
  const int x0 = max((int)floor(sx), 0), x1 = min((int)ceil(sx), is.z - 1);
  const float fy = sy - (float)y0, fx = sx - (float)x0;
  __global const float* base = in + b * is.y * is.z * is.w + c;
  const float p00 = base[(y0 * is.z + x0) * is.w], p01 = base[(y0 * is.z + x1) * is.w];
  const float p10 = base[(y1 * is.z + x0) * is.w], p11 = base[(y1 * is.z + x1) * is.w];
  out[i] = p00 * (1.0f - fy) * (1.0f - fx) + p10 * fy * (1.0f - fx) + p01 * (1.0f - fy) * fx + p11 * fy * fx;
}

int nearestIndex(int o, float scale, int alignCorners, int halfPixel, int size) {
  const float src = ((float)o + (halfPixel ? 0.5f : 0.0f)) * scale;
  int v = alignCorners ? (int)round(src) : (int)floor(src);
  v = min(v, size - 1);
  return halfPixel ? max(v, 0) : v;
}

__kernel void resize_nearest(__global const float* in, __global float* out, int4 is, int4 os, float scaleY,
                             float scaleX, int alignCorners, int halfPixel) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, y = at.y, x = at.z, c = at.w;
  const int sy = nearestIndex(y, scaleY, alignCorners, halfPixel, is.y);
  const int sx = nearestIndex(x, scaleX, alignCorners, halfPixel, is.z);
  out[i] = in[((b * is.y + sy) * is.z + sx) * is.w + c];
}

__kernel void depth_to_space(__global const float* in, __global float* out, int4 is, int4 os, int block) {
  const int i = get_global_id(0);
  const int4 at = nhwcOf(i, os);
  const int b = at.x, y = at.y, x = at.z, c = at.w;
  const int ic = ((y % block) * block + x % block) * os.w + c;
  out[i] = in[((b * is.y + y / block) * is.z + x / block) * is.w + ic];
}
)CLC";

namespace fb = ::inferd::tflite;
using B = fb::BuiltinOperator;
using engine::Dims;
using engine::TensorInfo;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr size_t kTile = 16;

#define INFERD_WHY(expr)                        \
  do {                                          \
    if (std::string why_ = (expr); !why_.empty()) \
      return why_;                              \
  } while (0)

const TensorInfo* tensorAt(const engine::Subgraph& sg, int32_t t) {
  if (t < 0 || static_cast<size_t>(t) >= sg.tensors.size()) return nullptr;
  return &sg.tensors[static_cast<size_t>(t)];
}

std::string checkFloat(const engine::Subgraph& sg, int32_t t, const std::string& role) {
  const TensorInfo* info = tensorAt(sg, t);
  if (info == nullptr) return fmt::format("its {} is missing", role);
  if (info->type != engine::ElementType::kFloat32) {
    return fmt::format("its {} '{}' is {}; the opencl driver runs FLOAT32 tensors only", role, info->name,
                       engine::elementTypeName(info->type));
  }
  if (info->isVariable) return fmt::format("its {} '{}' is a variable tensor", role, info->name);
  if (info->isSparse) return fmt::format("its {} '{}' is sparse", role, info->name);
  if (info->shape.size() > 4) return fmt::format("its {} '{}' has rank {} (at most 4)", role, info->name, info->shape.size());
  const int64_t n = engine::numElements(info->shape);
  if (n <= 0) return fmt::format("its {} '{}' is empty", role, info->name);
  if (n > (int64_t{1} << 30)) return fmt::format("its {} '{}' is too large", role, info->name);
  if (info->isConstant && (info->data == nullptr || info->bytes != static_cast<size_t>(n) * 4)) {
    return fmt::format("its {} '{}' is a constant without data of its size", role, info->name);
  }
  return {};
}

// A constant integer tensor (INT32 or INT64) read on the host.
std::string readInts(const engine::Subgraph& sg, int32_t t, const char* role, std::vector<int64_t>* out) {
  const TensorInfo* info = tensorAt(sg, t);
  if (info == nullptr) return fmt::format("its {} is missing", role);
  if (!info->isConstant || info->data == nullptr) return fmt::format("its {} '{}' is not a constant", role, info->name);
  const int64_t n = engine::numElements(info->shape);
  out->clear();
  if (info->type == engine::ElementType::kInt32 && info->bytes == static_cast<size_t>(n) * 4) {
    for (int64_t k = 0; k < n; ++k) {
      int32_t v;
      std::memcpy(&v, info->data + k * 4, 4);
      out->push_back(v);
    }
    return {};
  }
  if (info->type == engine::ElementType::kInt64 && info->bytes == static_cast<size_t>(n) * 8) {
    for (int64_t k = 0; k < n; ++k) {
      int64_t v;
      std::memcpy(&v, info->data + k * 8, 8);
      out->push_back(v);
    }
    return {};
  }
  return fmt::format("its {} '{}' is {}; INT32 or INT64 expected", role, info->name, engine::elementTypeName(info->type));
}

// Dims padded to 4 on the left.
std::array<int32_t, 4> pad4(const Dims& d) {
  std::array<int32_t, 4> out{1, 1, 1, 1};
  for (size_t k = 0; k < d.size() && k < 4; ++k) out[4 - d.size() + k] = d[k];
  return out;
}

bool activationRange(fb::ActivationFunctionType act, float* lo, float* hi) {
  switch (act) {
    case fb::ActivationFunctionType::NONE: *lo = -kInf; *hi = kInf; return true;
    case fb::ActivationFunctionType::RELU: *lo = 0; *hi = kInf; return true;
    case fb::ActivationFunctionType::RELU_N1_TO_1: *lo = -1; *hi = 1; return true;
    case fb::ActivationFunctionType::RELU6: *lo = 0; *hi = 6; return true;
    default: return false;
  }
}

struct Axis {
  int64_t out = 0;
  int64_t before = 0;
};

// TFLite's forward padding: SAME covers ceil(in/stride) outputs with the odd
// pixel of padding after.
Axis forwardAxis(fb::Padding padding, int64_t in, int64_t filter, int64_t stride, int64_t dilation) {
  const int64_t eff = (filter - 1) * dilation + 1;
  Axis a;
  a.out = padding == fb::Padding::SAME ? (in + stride - 1) / stride : (in - eff + stride) / stride;
  const int64_t total = std::max<int64_t>(0, (a.out - 1) * stride + eff - in);
  a.before = total / 2;
  return a;
}

// MediaPipe's Convolution2DTransposeBias padding: SAME pads
// max(0, k - (in-1) % s - 1) in total, half before.
Axis mediapipeAxis(bool same, int64_t in, int64_t filter, int64_t stride) {
  const int64_t total = same ? std::max<int64_t>(0, filter - (in - 1) % stride - 1) : 0;
  Axis a;
  a.out = stride * (in - 1) + filter - total;
  a.before = total / 2;
  return a;
}

bool fitsInt(int64_t v) { return v >= 0 && v <= std::numeric_limits<int32_t>::max(); }

// What every lowering checks first: the inputs it reads as float, the one
// output (float, not a constant).
class OpCheck {
 public:
  OpCheck(const engine::Subgraph& sg, const engine::OperatorInfo& op)
      : sg_(sg), op_(op), fop_(static_cast<const fb::Operator*>(op.fbOperator)) {}

  const fb::Operator* fop() const { return fop_; }
  const engine::OperatorInfo& op() const { return op_; }
  const engine::Subgraph& sg() const { return sg_; }
  bool has(size_t input) const { return input < op_.inputs.size() && op_.inputs[input] >= 0; }
  int32_t id(size_t input) const { return op_.inputs[input]; }
  const TensorInfo& in(size_t input) const { return *tensorAt(sg_, op_.inputs[input]); }
  const TensorInfo& out() const { return *tensorAt(sg_, op_.outputs[0]); }
  int32_t outId() const { return op_.outputs[0]; }

  // `minInputs`..`maxInputs` inputs, one output; inputs listed in `floats`
  // (those present) are float tensors.
  std::string basics(size_t minInputs, size_t maxInputs, std::initializer_list<size_t> floats) const {
    if (op_.inputs.size() < minInputs || op_.inputs.size() > maxInputs || op_.outputs.size() != 1) {
      return fmt::format("it has {} inputs and {} outputs; the opencl kernel takes {}{} and 1", op_.inputs.size(),
                         op_.outputs.size(), minInputs, maxInputs > minInputs ? fmt::format("-{}", maxInputs) : "");
    }
    for (size_t k : floats) {
      if (k < minInputs || has(k)) INFERD_WHY(checkFloat(sg_, op_.inputs[k], fmt::format("input {}", k)));
    }
    INFERD_WHY(checkFloat(sg_, op_.outputs[0], "output"));
    if (out().isConstant) return "its output is a constant";
    return {};
  }

  std::string rank(size_t input, size_t want) const {
    if (in(input).shape.size() != want) {
      return fmt::format("input {} has rank {}, the opencl kernel takes rank {}", input, in(input).shape.size(), want);
    }
    return {};
  }

  std::string outShape(const Dims& want) const {
    if (out().shape != want) {
      return fmt::format("its output shape {} is not the computed {}", engine::dimsToString(out().shape),
                         engine::dimsToString(want));
    }
    return {};
  }

  std::string activation(fb::ActivationFunctionType act, float* lo, float* hi) const {
    if (!activationRange(act, lo, hi)) {
      return fmt::format("fused activation {} is not supported", fb::EnumNameActivationFunctionType(act));
    }
    return {};
  }

  // The bias argument: input `k` when present (float, [channels]), else zeros.
  std::string bias(size_t k, int64_t channels, Launch* l) const {
    if (!has(k)) {
      if (l != nullptr) l->host(std::vector<float>(static_cast<size_t>(channels), 0.0f));
      return {};
    }
    if (engine::numElements(in(k).shape) != channels) {
      return fmt::format("its bias has {} values for {} output channels", engine::numElements(in(k).shape), channels);
    }
    if (l != nullptr) l->tensor(id(k));
    return {};
  }

 private:
  const engine::Subgraph& sg_;
  const engine::OperatorInfo& op_;
  const fb::Operator* fop_;
};

size_t roundUp(size_t v, size_t m) { return (v + m - 1) / m * m; }

Launch elementwise(const char* kernel, int64_t elements) {
  Launch l;
  l.kernel = kernel;
  l.global[0] = static_cast<size_t>(elements);
  return l;
}

Launch gemmLaunch(int32_t a, int32_t w, int64_t m, int64_t n) {
  Launch l;
  l.kernel = "gemm";
  l.dims = 2;
  l.global[0] = roundUp(static_cast<size_t>(n), kTile);
  l.global[1] = roundUp(static_cast<size_t>(m), kTile);
  l.local[0] = l.local[1] = kTile;
  l.tensor(a).tensor(w);
  return l;
}

// --- elementwise ----------------------------------------------------------

int binaryCode(B b) {
  switch (b) {
    case B::ADD: return 0;
    case B::SUB: return 1;
    case B::MUL: return 2;
    case B::DIV: return 3;
    case B::MAXIMUM: return 4;
    case B::MINIMUM: return 5;
    case B::SQUARED_DIFFERENCE: return 6;
    case B::PRELU: return 7;
    default: return -1;
  }
}

int unaryCode(B b) {
  switch (b) {
    case B::RELU: return 0;
    case B::RELU6: return 1;
    case B::RELU_N1_TO_1: return 2;
    case B::LOGISTIC: return 3;
    case B::TANH: return 4;
    case B::HARD_SWISH: return 5;
    case B::ABS: return 6;
    case B::NEG: return 7;
    case B::EXP: return 8;
    case B::SQRT: return 9;
    case B::RSQRT: return 10;
    case B::SQUARE: return 11;
    case B::LEAKY_RELU: return 12;
    default: return -1;
  }
}

fb::ActivationFunctionType binaryActivation(const OpCheck& c) {
  const fb::Operator* fop = c.fop();
  if (fop == nullptr) return fb::ActivationFunctionType::NONE;
  switch (static_cast<B>(c.op().builtinCode)) {
    case B::ADD:
      if (auto* o = fop->builtin_options_as_AddOptions()) return o->fused_activation_function();
      break;
    case B::SUB:
      if (auto* o = fop->builtin_options_as_SubOptions()) return o->fused_activation_function();
      break;
    case B::MUL:
      if (auto* o = fop->builtin_options_as_MulOptions()) return o->fused_activation_function();
      break;
    case B::DIV:
      if (auto* o = fop->builtin_options_as_DivOptions()) return o->fused_activation_function();
      break;
    default: break;
  }
  return fb::ActivationFunctionType::NONE;
}

bool broadcastShape(const Dims& a, const Dims& b, Dims* out) {
  const size_t rank = std::max(a.size(), b.size());
  out->assign(rank, 1);
  for (size_t k = 0; k < rank; ++k) {
    const int32_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    const int32_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    (*out)[k] = std::max(da, db);
  }
  return true;
}

// Strides of `d` broadcast into `shape`: 0 where d is 1 and shape is not.
std::array<int32_t, 4> broadcastStrides(const Dims& d, const std::array<int32_t, 4>& shape) {
  const std::array<int32_t, 4> p = pad4(d);
  std::array<int32_t, 4> strides{};
  int32_t s = 1;
  for (int k = 3; k >= 0; --k) {
    const auto u = static_cast<size_t>(k);
    strides[u] = (p[u] == 1 && shape[u] != 1) ? 0 : s;
    s *= p[u];
  }
  return strides;
}

std::string lowerBinary(const OpCheck& c, int code, Lowered* out) {
  INFERD_WHY(c.basics(2, 2, {0, 1}));
  Dims shape;
  if (!broadcastShape(c.in(0).shape, c.in(1).shape, &shape)) {
    return fmt::format("shapes {} and {} do not broadcast", engine::dimsToString(c.in(0).shape),
                       engine::dimsToString(c.in(1).shape));
  }
  INFERD_WHY(c.outShape(shape));
  const fb::ActivationFunctionType act = binaryActivation(c);
  if (act > fb::ActivationFunctionType::TANH || act < fb::ActivationFunctionType::NONE) {
    return fmt::format("fused activation {} is not supported", fb::EnumNameActivationFunctionType(act));
  }
  if (out == nullptr) return {};
  const std::array<int32_t, 4> s = pad4(shape);
  const std::array<int32_t, 4> sa = broadcastStrides(c.in(0).shape, s);
  const std::array<int32_t, 4> sb = broadcastStrides(c.in(1).shape, s);
  Launch l = elementwise("binary", engine::numElements(shape));
  l.tensor(c.id(0)).tensor(c.id(1)).tensor(c.outId()).i(code).i(static_cast<int32_t>(act));
  l.i4(s[0], s[1], s[2], s[3]).i4(sa[0], sa[1], sa[2], sa[3]).i4(sb[0], sb[1], sb[2], sb[3]);
  out->launches.push_back(std::move(l));
  out->variant = "elementwise";
  return {};
}

std::string lowerUnary(const OpCheck& c, int code, Lowered* out) {
  INFERD_WHY(c.basics(1, 1, {0}));
  INFERD_WHY(c.outShape(c.in(0).shape));
  float alpha = 0;
  if (code == 12) {
    const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_LeakyReluOptions() : nullptr;
    if (o == nullptr) return "its LeakyReluOptions are missing";
    alpha = o->alpha();
  }
  if (out == nullptr) return {};
  Launch l = elementwise("unary", engine::numElements(c.out().shape));
  l.tensor(c.id(0)).tensor(c.outId()).i(code).f(alpha);
  out->launches.push_back(std::move(l));
  out->variant = "elementwise";
  return {};
}

// RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape.
std::string lowerCopy(const OpCheck& c, Lowered* out) {
  if (c.op().inputs.empty() || c.op().outputs.size() != 1) return "it needs an input and one output";
  INFERD_WHY(checkFloat(c.sg(), c.id(0), "input 0"));
  INFERD_WHY(checkFloat(c.sg(), c.outId(), "output"));
  if (c.out().isConstant) return "its output is a constant";
  if (engine::numElements(c.in(0).shape) != engine::numElements(c.out().shape)) {
    return fmt::format("output shape {} has another element count than input shape {}",
                       engine::dimsToString(c.out().shape), engine::dimsToString(c.in(0).shape));
  }
  if (out == nullptr) return {};
  Launch l;
  l.copyFrom = c.id(0);
  l.copyTo = c.outId();
  l.copyBytes = static_cast<size_t>(engine::numElements(c.out().shape)) * sizeof(float);
  out->launches.push_back(std::move(l));
  out->variant = "copy";
  return {};
}

// --- convolutions ---------------------------------------------------------

std::string checkGeometry(int32_t strideH, int32_t strideW, int32_t dilH, int32_t dilW, fb::Padding padding) {
  if (strideH <= 0 || strideW <= 0) return fmt::format("strides {}x{} are not positive", strideH, strideW);
  if (dilH <= 0 || dilW <= 0) return fmt::format("dilations {}x{} are not positive", dilH, dilW);
  if (padding != fb::Padding::SAME && padding != fb::Padding::VALID) return "its padding is neither SAME nor VALID";
  return {};
}

// What CONV_2D and DEPTHWISE_CONV_2D share: rank-4 input and filter, the
// options' geometry and activation, and the output shape they compute
// (`outC` output channels).
struct ConvWindow {
  Axis h, w;
  float lo = -kInf, hi = kInf;
  int32_t strideH = 1, strideW = 1, dilH = 1, dilW = 1;
};

template <typename Options>
std::string convWindow(const OpCheck& c, const Options* o, const char* optionsName, int32_t outC, ConvWindow* win) {
  if (o == nullptr) return fmt::format("its {} are missing", optionsName);
  win->strideH = o->stride_h();
  win->strideW = o->stride_w();
  win->dilH = o->dilation_h_factor();
  win->dilW = o->dilation_w_factor();
  INFERD_WHY(checkGeometry(win->strideH, win->strideW, win->dilH, win->dilW, o->padding()));
  INFERD_WHY(c.activation(o->fused_activation_function(), &win->lo, &win->hi));
  const Dims& is = c.in(0).shape;
  const Dims& ws = c.in(1).shape;
  win->h = forwardAxis(o->padding(), is[1], ws[1], win->strideH, win->dilH);
  win->w = forwardAxis(o->padding(), is[2], ws[2], win->strideW, win->dilW);
  if (win->h.out <= 0 || win->w.out <= 0) return "its output would be empty";
  return c.outShape({is[0], static_cast<int32_t>(win->h.out), static_cast<int32_t>(win->w.out), outC});
}

// The direct kernels' shape and geometry arguments.
void windowArgs(const OpCheck& c, const ConvWindow& win, Launch* l) {
  const Dims& is = c.in(0).shape;
  const Dims& ws = c.in(1).shape;
  const Dims& os = c.out().shape;
  l->i4(is[0], is[1], is[2], is[3]).i4(os[0], os[1], os[2], os[3]);
  l->i4(ws[1], ws[2], win.strideH, win.strideW);
  l->i4(win.dilH, win.dilW, static_cast<int32_t>(win.h.before), static_cast<int32_t>(win.w.before));
}

std::string lowerConv(const OpCheck& c, Lowered* out) {
  INFERD_WHY(c.basics(2, 3, {0, 1, 2}));
  INFERD_WHY(c.rank(0, 4));
  INFERD_WHY(c.rank(1, 4));
  const Dims& is = c.in(0).shape;
  const Dims& ws = c.in(1).shape;
  if (ws[3] != is[3]) {
    return fmt::format("its filter has {} input channels and its input {} (grouped convolutions are not supported)",
                       ws[3], is[3]);
  }
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_Conv2DOptions() : nullptr;
  ConvWindow win;
  INFERD_WHY(convWindow(c, o, "Conv2DOptions", ws[0], &win));
  const bool pointwise = ws[1] == 1 && ws[2] == 1 && win.strideH == 1 && win.strideW == 1;
  const int64_t pixels = engine::numElements(is) / is[3];
  Launch l = pointwise ? gemmLaunch(c.id(0), c.id(1), pixels, ws[0])
                       : elementwise("conv2d", engine::numElements(c.out().shape));
  if (!pointwise) l.tensor(c.id(0)).tensor(c.id(1));
  INFERD_WHY(c.bias(2, ws[0], &l));
  if (out == nullptr) return {};
  l.tensor(c.outId());
  if (pointwise) {
    l.i(static_cast<int32_t>(pixels)).i(ws[0]).i(is[3]);
  } else {
    windowArgs(c, win, &l);
  }
  l.f(win.lo).f(win.hi);
  out->launches.push_back(std::move(l));
  out->variant = pointwise ? "gemm" : "conv2d";
  return {};
}

std::string lowerDepthwise(const OpCheck& c, Lowered* out) {
  INFERD_WHY(c.basics(2, 3, {0, 1, 2}));
  INFERD_WHY(c.rank(0, 4));
  INFERD_WHY(c.rank(1, 4));
  const Dims& is = c.in(0).shape;
  const Dims& ws = c.in(1).shape;
  if (ws[0] != 1 || is[3] <= 0 || ws[3] % is[3] != 0) {
    return fmt::format("filter shape {} does not fit {} input channels", engine::dimsToString(ws), is[3]);
  }
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_DepthwiseConv2DOptions() : nullptr;
  ConvWindow win;
  INFERD_WHY(convWindow(c, o, "DepthwiseConv2DOptions", ws[3], &win));
  Launch l = elementwise("depthwise", engine::numElements(c.out().shape));
  l.tensor(c.id(0)).tensor(c.id(1));
  INFERD_WHY(c.bias(2, ws[3], &l));
  if (out == nullptr) return {};
  l.tensor(c.outId());
  windowArgs(c, win, &l);
  l.i(ws[3] / is[3]).f(win.lo).f(win.hi);
  out->launches.push_back(std::move(l));
  out->variant = "depthwise";
  return {};
}

std::string lowerFullyConnected(const OpCheck& c, Lowered* out) {
  INFERD_WHY(c.basics(2, 3, {0, 1, 2}));
  INFERD_WHY(c.rank(1, 2));
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_FullyConnectedOptions() : nullptr;
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  if (o != nullptr) {
    if (o->weights_format() != fb::FullyConnectedOptionsWeightsFormat::DEFAULT) return "its weights are shuffled";
    act = o->fused_activation_function();
  }
  float lo = -kInf, hi = kInf;
  INFERD_WHY(c.activation(act, &lo, &hi));
  const int64_t n = c.in(1).shape[0], k = c.in(1).shape[1];
  const int64_t total = engine::numElements(c.in(0).shape);
  if (k <= 0 || total % k != 0) {
    return fmt::format("input shape {} does not split into rows of {}", engine::dimsToString(c.in(0).shape), k);
  }
  const int64_t m = total / k;
  if (engine::numElements(c.out().shape) != m * n || c.out().shape.empty() || c.out().shape.back() != n) {
    return fmt::format("its output shape {} is not {} rows of {}", engine::dimsToString(c.out().shape), m, n);
  }
  Launch l = gemmLaunch(c.id(0), c.id(1), m, n);
  INFERD_WHY(c.bias(2, n, &l));
  if (out == nullptr) return {};
  l.tensor(c.outId()).i(static_cast<int32_t>(m)).i(static_cast<int32_t>(n)).i(static_cast<int32_t>(k)).f(lo).f(hi);
  out->launches.push_back(std::move(l));
  out->variant = "gemm";
  return {};
}

int32_t readLe32(const uint8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
}

// TRANSPOSE_CONV (inputs output_shape, weights, input[, bias]) and
// MediaPipe's Convolution2DTransposeBias (input, weights, bias; custom
// options padding, stride_w, stride_h as little-endian int32).
std::string lowerTransposeConv(const OpCheck& c, bool mediapipe, Lowered* out) {
  const size_t inIdx = mediapipe ? 0 : 2, wIdx = 1, bIdx = mediapipe ? 2 : 3;
  INFERD_WHY(mediapipe ? c.basics(3, 3, {0, 1, 2}) : c.basics(3, 4, {1, 2, 3}));
  INFERD_WHY(c.rank(inIdx, 4));
  INFERD_WHY(c.rank(wIdx, 4));
  const Dims& is = c.in(inIdx).shape;
  const Dims& ws = c.in(wIdx).shape;
  if (ws[3] != is[3]) return fmt::format("its filter has {} input channels and its input {}", ws[3], is[3]);
  int32_t strideH = 1, strideW = 1;
  float lo = -kInf, hi = kInf;
  Dims os;
  Axis ah, aw;
  if (mediapipe) {
    const engine::OperatorInfo& op = c.op();
    if (op.customOptions == nullptr || op.customOptionsSize < 12) return "its custom options are not 12 bytes";
    const int32_t padding = readLe32(op.customOptions);
    strideW = readLe32(op.customOptions + 4);
    strideH = readLe32(op.customOptions + 8);
    if (padding < 1 || padding > 2) return fmt::format("padding {} is not supported", padding);
    INFERD_WHY(checkGeometry(strideH, strideW, 1, 1, fb::Padding::SAME));
    ah = mediapipeAxis(padding == 1, is[1], ws[1], strideH);
    aw = mediapipeAxis(padding == 1, is[2], ws[2], strideW);
    if (ah.out <= 0 || aw.out <= 0 || !fitsInt(ah.out) || !fitsInt(aw.out)) return "its output size is out of range";
    os = {is[0], static_cast<int32_t>(ah.out), static_cast<int32_t>(aw.out), ws[0]};
  } else {
    const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_TransposeConvOptions() : nullptr;
    if (o == nullptr) return "its TransposeConvOptions are missing";
    strideH = o->stride_h();
    strideW = o->stride_w();
    INFERD_WHY(checkGeometry(strideH, strideW, 1, 1, o->padding()));
    INFERD_WHY(c.activation(o->fused_activation_function(), &lo, &hi));
    std::vector<int64_t> shape;
    INFERD_WHY(readInts(c.sg(), c.id(0), "output_shape", &shape));
    if (shape.size() != 4 || shape[0] != is[0] || shape[3] != ws[0] || shape[1] <= 0 || shape[2] <= 0 ||
        !fitsInt(shape[1]) || !fitsInt(shape[2])) {
      return "its output_shape does not fit its input and filter";
    }
    os = {is[0], static_cast<int32_t>(shape[1]), static_cast<int32_t>(shape[2]), ws[0]};
    ah.before = forwardAxis(o->padding(), os[1], ws[1], strideH, 1).before;
    aw.before = forwardAxis(o->padding(), os[2], ws[2], strideW, 1).before;
  }
  INFERD_WHY(c.outShape(os));
  Launch l = elementwise("transpose_conv", engine::numElements(os));
  l.tensor(c.id(inIdx)).tensor(c.id(wIdx));
  INFERD_WHY(c.bias(bIdx, ws[0], &l));
  if (out == nullptr) return {};
  l.tensor(c.outId()).i4(is[0], is[1], is[2], is[3]).i4(os[0], os[1], os[2], os[3]);
  l.i4(ws[1], ws[2], strideH, strideW).i4(static_cast<int32_t>(ah.before), static_cast<int32_t>(aw.before), 0, 0);
  l.f(lo).f(hi);
  out->launches.push_back(std::move(l));
  out->variant = "transpose_conv";
  return {};
}

// --- pooling, reductions, layout ------------------------------------------

std::string lowerPool(const OpCheck& c, bool isMax, Lowered* out) {
  INFERD_WHY(c.basics(1, 1, {0}));
  INFERD_WHY(c.rank(0, 4));
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_Pool2DOptions() : nullptr;
  if (o == nullptr) return "its Pool2DOptions are missing";
  INFERD_WHY(checkGeometry(o->stride_h(), o->stride_w(), 1, 1, o->padding()));
  if (o->filter_height() <= 0 || o->filter_width() <= 0) return "its filter is empty";
  float lo = -kInf, hi = kInf;
  INFERD_WHY(c.activation(o->fused_activation_function(), &lo, &hi));
  const Dims& is = c.in(0).shape;
  const Axis ah = forwardAxis(o->padding(), is[1], o->filter_height(), o->stride_h(), 1);
  const Axis aw = forwardAxis(o->padding(), is[2], o->filter_width(), o->stride_w(), 1);
  if (ah.out <= 0 || aw.out <= 0) return "its output would be empty";
  INFERD_WHY(c.outShape({is[0], static_cast<int32_t>(ah.out), static_cast<int32_t>(aw.out), is[3]}));
  if (out == nullptr) return {};
  const Dims& os = c.out().shape;
  Launch l = elementwise("pool", engine::numElements(os));
  l.tensor(c.id(0)).tensor(c.outId()).i4(is[0], is[1], is[2], is[3]).i4(os[0], os[1], os[2], os[3]);
  l.i4(o->filter_height(), o->filter_width(), o->stride_h(), o->stride_w());
  l.i4(static_cast<int32_t>(ah.before), static_cast<int32_t>(aw.before), 0, 0).i(isMax ? 1 : 0).f(lo).f(hi);
  out->launches.push_back(std::move(l));
  out->variant = isMax ? "max_pool" : "average_pool";
  return {};
}

std::string lowerReduce(const OpCheck& c, int code, Lowered* out) {
  INFERD_WHY(c.basics(2, 2, {0}));
  std::vector<int64_t> axes;
  INFERD_WHY(readInts(c.sg(), c.id(1), "axis", &axes));
  const Dims& is = c.in(0).shape;
  const auto rank = static_cast<int64_t>(is.size());
  std::array<int32_t, 4> red{0, 0, 0, 0};
  for (int64_t a : axes) {
    const int64_t axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank) return fmt::format("axis {} is out of range for rank {}", a, rank);
    red[static_cast<size_t>(4 - rank + axis)] = 1;
  }
  int64_t kept = 1;
  const std::array<int32_t, 4> s = pad4(is);
  for (size_t k = 0; k < 4; ++k) kept *= red[k] ? 1 : s[k];
  if (engine::numElements(c.out().shape) != kept) {
    return fmt::format("its output shape {} does not hold the {} kept values", engine::dimsToString(c.out().shape),
                       kept);
  }
  if (out == nullptr) return {};
  Launch l = elementwise("reduce", kept);
  l.tensor(c.id(0)).tensor(c.outId()).i4(s[0], s[1], s[2], s[3]).i4(red[0], red[1], red[2], red[3]).i(code);
  out->launches.push_back(std::move(l));
  out->variant = "reduce";
  return {};
}

std::string lowerPad(const OpCheck& c, bool v2, Lowered* out) {
  INFERD_WHY(v2 ? c.basics(2, 3, {0}) : c.basics(2, 2, {0}));
  const Dims& is = c.in(0).shape;
  std::vector<int64_t> p;
  INFERD_WHY(readInts(c.sg(), c.id(1), "paddings", &p));
  if (p.size() != is.size() * 2) return fmt::format("its paddings hold {} values for rank {}", p.size(), is.size());
  float value = 0;
  if (v2 && c.has(2)) {
    INFERD_WHY(checkFloat(c.sg(), c.id(2), "constant_values"));
    const TensorInfo& cv = c.in(2);
    if (!cv.isConstant || engine::numElements(cv.shape) != 1) return "its constant_values is not a constant scalar";
    std::memcpy(&value, cv.data, sizeof value);
  }
  Dims os(is.size());
  std::array<int32_t, 4> before{0, 0, 0, 0};
  const size_t lead = 4 - is.size();
  for (size_t k = 0; k < is.size(); ++k) {
    if (p[2 * k] < 0 || p[2 * k + 1] < 0 || !fitsInt(is[k] + p[2 * k] + p[2 * k + 1])) {
      return "its paddings are negative or too large";
    }
    os[k] = static_cast<int32_t>(is[k] + p[2 * k] + p[2 * k + 1]);
    before[lead + k] = static_cast<int32_t>(p[2 * k]);
  }
  INFERD_WHY(c.outShape(os));
  if (out == nullptr) return {};
  const std::array<int32_t, 4> s = pad4(is), t = pad4(os);
  Launch l = elementwise("pad", engine::numElements(os));
  l.tensor(c.id(0)).tensor(c.outId()).i4(s[0], s[1], s[2], s[3]).i4(t[0], t[1], t[2], t[3]);
  l.i4(before[0], before[1], before[2], before[3]).f(value);
  out->launches.push_back(std::move(l));
  out->variant = "pad";
  return {};
}

std::string lowerConcat(const OpCheck& c, Lowered* out) {
  const size_t n = c.op().inputs.size();
  if (n == 0 || c.op().outputs.size() != 1) return "it needs inputs and one output";
  for (size_t k = 0; k < n; ++k) INFERD_WHY(checkFloat(c.sg(), c.id(k), fmt::format("input {}", k)));
  INFERD_WHY(c.basics(n, n, {}));
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_ConcatenationOptions() : nullptr;
  if (o == nullptr) return "its ConcatenationOptions are missing";
  float lo = -kInf, hi = kInf;
  INFERD_WHY(c.activation(o->fused_activation_function(), &lo, &hi));
  const Dims& os = c.out().shape;
  const auto rank = static_cast<int64_t>(os.size());
  const int64_t axis = o->axis() < 0 ? o->axis() + rank : o->axis();
  if (axis < 0 || axis >= rank) return fmt::format("axis {} is out of range for rank {}", o->axis(), rank);
  int64_t inner = 1;
  for (int64_t k = axis + 1; k < rank; ++k) inner *= os[static_cast<size_t>(k)];
  int64_t offset = 0;
  std::vector<Launch> parts;
  for (size_t k = 0; k < n; ++k) {
    const Dims& d = c.in(k).shape;
    bool fits = static_cast<int64_t>(d.size()) == rank;
    for (int64_t j = 0; fits && j < rank; ++j) {
      fits = j == axis || d[static_cast<size_t>(j)] == os[static_cast<size_t>(j)];
    }
    if (!fits) {
      return fmt::format("input {} shape {} does not concatenate into {} along axis {}", k, engine::dimsToString(d),
                         engine::dimsToString(os), axis);
    }
    const int64_t rowIn = d[static_cast<size_t>(axis)] * inner;
    Launch l = elementwise("concat_part", engine::numElements(d));
    l.tensor(c.id(k)).tensor(c.outId());
    l.i(static_cast<int32_t>(rowIn)).i(static_cast<int32_t>(os[static_cast<size_t>(axis)] * inner));
    l.i(static_cast<int32_t>(offset)).f(lo).f(hi);
    parts.push_back(std::move(l));
    offset += rowIn;
  }
  if (offset != os[static_cast<size_t>(axis)] * inner) return "its inputs do not fill its output";
  if (out == nullptr) return {};
  for (Launch& l : parts) out->launches.push_back(std::move(l));
  out->variant = "concat";
  return {};
}

std::string lowerSoftmax(const OpCheck& c, Lowered* out) {
  INFERD_WHY(c.basics(1, 1, {0}));
  INFERD_WHY(c.outShape(c.in(0).shape));
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_SoftmaxOptions() : nullptr;
  if (o == nullptr) return "its SoftmaxOptions are missing";
  const Dims& is = c.in(0).shape;
  const int32_t depth = is.empty() ? 1 : is.back();
  if (out == nullptr) return {};
  Launch l = elementwise("softmax", engine::numElements(is) / depth);
  l.tensor(c.id(0)).tensor(c.outId()).i(depth).f(o->beta());
  out->launches.push_back(std::move(l));
  out->variant = "softmax";
  return {};
}

float resizeScale(int32_t in, int32_t out, bool alignCorners) {
  if (alignCorners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

std::string lowerResize(const OpCheck& c, bool bilinear, Lowered* out) {
  INFERD_WHY(c.basics(2, 2, {0}));
  INFERD_WHY(c.rank(0, 4));
  std::vector<int64_t> size;
  INFERD_WHY(readInts(c.sg(), c.id(1), "size", &size));
  if (size.size() != 2 || size[0] <= 0 || size[1] <= 0 || !fitsInt(size[0]) || !fitsInt(size[1])) {
    return "its size is not two positive values";
  }
  bool align = false, half = false;
  if (bilinear) {
    const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_ResizeBilinearOptions() : nullptr;
    if (o != nullptr) align = o->align_corners(), half = o->half_pixel_centers();
  } else {
    const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_ResizeNearestNeighborOptions() : nullptr;
    if (o != nullptr) align = o->align_corners(), half = o->half_pixel_centers();
  }
  const Dims& is = c.in(0).shape;
  const Dims os{is[0], static_cast<int32_t>(size[0]), static_cast<int32_t>(size[1]), is[3]};
  INFERD_WHY(c.outShape(os));
  if (out == nullptr) return {};
  Launch l = elementwise(bilinear ? "resize_bilinear" : "resize_nearest", engine::numElements(os));
  l.tensor(c.id(0)).tensor(c.outId()).i4(is[0], is[1], is[2], is[3]).i4(os[0], os[1], os[2], os[3]);
  l.f(resizeScale(is[1], os[1], align)).f(resizeScale(is[2], os[2], align));
  if (!bilinear) l.i(align ? 1 : 0);
  l.i(half ? 1 : 0);
  out->launches.push_back(std::move(l));
  out->variant = bilinear ? "resize_bilinear" : "resize_nearest";
  return {};
}

std::string lowerDepthToSpace(const OpCheck& c, Lowered* out) {
  INFERD_WHY(c.basics(1, 1, {0}));
  INFERD_WHY(c.rank(0, 4));
  const auto* o = c.fop() != nullptr ? c.fop()->builtin_options_as_DepthToSpaceOptions() : nullptr;
  if (o == nullptr) return "its DepthToSpaceOptions are missing";
  const int64_t bs = o->block_size();
  const Dims& is = c.in(0).shape;
  if (bs <= 0 || is[3] % (bs * bs) != 0) return fmt::format("block size {} does not divide {} channels", bs, is[3]);
  if (!fitsInt(is[1] * bs) || !fitsInt(is[2] * bs)) return "its output is too large";
  const Dims os{is[0], static_cast<int32_t>(is[1] * bs), static_cast<int32_t>(is[2] * bs),
                static_cast<int32_t>(is[3] / (bs * bs))};
  INFERD_WHY(c.outShape(os));
  if (out == nullptr) return {};
  Launch l = elementwise("depth_to_space", engine::numElements(os));
  l.tensor(c.id(0)).tensor(c.outId()).i4(is[0], is[1], is[2], is[3]).i4(os[0], os[1], os[2], os[3]);
  l.i(static_cast<int32_t>(bs));
  out->launches.push_back(std::move(l));
  out->variant = "depth_to_space";
  return {};
}

}  // namespace

const char* kernelSource() { return kSource; }

std::string lower(const engine::Subgraph& sg, const engine::OperatorInfo& op, Lowered* out) {
  if (!op.calledSubgraphs.empty()) return "it calls subgraphs";
  for (int32_t t : op.outputs) {
    if (tensorAt(sg, t) == nullptr) return "an output tensor is missing";
  }
  for (int32_t t : op.inputs) {
    if (t >= 0 && tensorAt(sg, t) == nullptr) return "an input tensor is missing";
  }
  const OpCheck c(sg, op);
  if (!op.customName.empty()) {
    if (op.customName == "Convolution2DTransposeBias") return lowerTransposeConv(c, true, out);
    return fmt::format("the opencl driver has no kernel for {}", op.name());
  }
  const auto b = static_cast<B>(op.builtinCode);
  if (const int code = binaryCode(b); code >= 0) return lowerBinary(c, code, out);
  if (const int code = unaryCode(b); code >= 0) return lowerUnary(c, code, out);
  switch (b) {
    case B::RESHAPE:
    case B::SQUEEZE:
    case B::EXPAND_DIMS: return lowerCopy(c, out);
    case B::CONV_2D: return lowerConv(c, out);
    case B::DEPTHWISE_CONV_2D: return lowerDepthwise(c, out);
    case B::FULLY_CONNECTED: return lowerFullyConnected(c, out);
    case B::TRANSPOSE_CONV: return lowerTransposeConv(c, false, out);
    case B::AVERAGE_POOL_2D: return lowerPool(c, false, out);
    case B::MAX_POOL_2D: return lowerPool(c, true, out);
    case B::MEAN: return lowerReduce(c, 0, out);
    case B::SUM: return lowerReduce(c, 1, out);
    case B::REDUCE_MAX: return lowerReduce(c, 2, out);
    case B::REDUCE_MIN: return lowerReduce(c, 3, out);
    case B::PAD: return lowerPad(c, false, out);
    case B::PADV2: return lowerPad(c, true, out);
    case B::CONCATENATION: return lowerConcat(c, out);
    case B::SOFTMAX: return lowerSoftmax(c, out);
    case B::RESIZE_BILINEAR: return lowerResize(c, true, out);
    case B::RESIZE_NEAREST_NEIGHBOR: return lowerResize(c, false, out);
    case B::DEPTH_TO_SPACE: return lowerDepthToSpace(c, out);
    default: return fmt::format("the opencl driver has no kernel for {}", op.name());
  }
}

}  // namespace inferd::hal::clops
