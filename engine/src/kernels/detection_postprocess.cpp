// TFLite_Detection_PostProcess (custom op of SSD detectors): decodes box
// encodings against anchors and runs non-max suppression, with TFLite's
// semantics. Options come as a FlexBuffers map (custom options).
//
// Inputs: box encodings [1, N, >=4] (ycenter, xcenter, h, w relative to the
// anchor, divided by y/x/h/w_scale), class scores [1, N, C or C+1] (with a
// background class first when C+1), anchors [N, 4] (ycenter, xcenter, h, w).
// FLOAT32, or UINT8 / INT8 dequantized with their parameters.
// Outputs (FLOAT32): boxes [1, K, 4] (ymin, xmin, ymax, xmax), classes
// [1, K], scores [1, K], count [1], with K = max_detections *
// max_classes_per_detection; unused slots are zero.
//
// Fast NMS (use_regular_nms false): each box keeps its top
// max_classes_per_detection classes, one NMS over the boxes by their best
// score. Regular NMS: one NMS per class (up to detections_per_class boxes
// each), then the best max_detections of all classes.
#include <flatbuffers/flexbuffers.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernel_util.h"
#include "register.h"

namespace inferd::engine::kernels {

namespace {

struct DetectionOptions : KernelState {
  int maxDetections = 0;
  int maxClassesPerDetection = 1;
  int detectionsPerClass = 100;
  bool regularNms = false;
  float scoreThreshold = 0.f;
  float iouThreshold = 0.f;
  int numClasses = 0;
  float yScale = 0, xScale = 0, hScale = 0, wScale = 0;
  // Derived from the input shapes.
  int numBoxes = 0, boxLength = 0, scoreColumns = 0, labelOffset = 0;
};

struct Box {
  float ymin, xmin, ymax, xmax;
};

Status parseOptions(OpContext& ctx, DetectionOptions* o) {
  const OperatorInfo& op = ctx.op();
  if (op.customOptions == nullptr || op.customOptionsSize == 0) return ctx.error("has no options");
  if (!flexbuffers::VerifyBuffer(op.customOptions, op.customOptionsSize)) {
    return ctx.error("its options are not a valid FlexBuffer");
  }
  const flexbuffers::Reference root = flexbuffers::GetRoot(op.customOptions, op.customOptionsSize);
  if (!root.IsMap()) return ctx.error("its options are not a FlexBuffers map");
  const flexbuffers::Map m = root.AsMap();
  auto required = [&](const char* key, flexbuffers::Reference* out) -> Status {
    *out = m[key];
    if (out->IsNull()) return ctx.error("option '{}' is missing", key);
    return Status::ok();
  };
  flexbuffers::Reference r;
  INFERD_RETURN_IF_ERROR(required("max_detections", &r));
  o->maxDetections = r.AsInt32();
  INFERD_RETURN_IF_ERROR(required("num_classes", &r));
  o->numClasses = r.AsInt32();
  INFERD_RETURN_IF_ERROR(required("nms_score_threshold", &r));
  o->scoreThreshold = r.AsFloat();
  INFERD_RETURN_IF_ERROR(required("nms_iou_threshold", &r));
  o->iouThreshold = r.AsFloat();
  INFERD_RETURN_IF_ERROR(required("y_scale", &r));
  o->yScale = r.AsFloat();
  INFERD_RETURN_IF_ERROR(required("x_scale", &r));
  o->xScale = r.AsFloat();
  INFERD_RETURN_IF_ERROR(required("h_scale", &r));
  o->hScale = r.AsFloat();
  INFERD_RETURN_IF_ERROR(required("w_scale", &r));
  o->wScale = r.AsFloat();
  if (!m["max_classes_per_detection"].IsNull()) o->maxClassesPerDetection = m["max_classes_per_detection"].AsInt32();
  if (!m["detections_per_class"].IsNull()) o->detectionsPerClass = m["detections_per_class"].AsInt32();
  if (!m["use_regular_nms"].IsNull()) o->regularNms = m["use_regular_nms"].AsBool();

  if (o->maxDetections <= 0 || o->maxDetections > (1 << 16)) {
    return ctx.error("max_detections is {}, must be 1 to 65536", o->maxDetections);
  }
  if (o->maxClassesPerDetection <= 0 || o->maxClassesPerDetection > 1024) {
    return ctx.error("max_classes_per_detection is {}, must be 1 to 1024", o->maxClassesPerDetection);
  }
  if (o->detectionsPerClass <= 0) return ctx.error("detections_per_class is {}, must be > 0", o->detectionsPerClass);
  if (o->numClasses <= 0) return ctx.error("num_classes is {}, must be > 0", o->numClasses);
  if (!(o->iouThreshold > 0.f && o->iouThreshold <= 1.f)) {
    return ctx.error("nms_iou_threshold is {}, must be in (0, 1]", o->iouThreshold);
  }
  for (float s : {o->yScale, o->xScale, o->hScale, o->wScale}) {
    if (!std::isfinite(s) || s == 0.f) return ctx.error("y/x/h/w_scale must be finite and nonzero, one is {}", s);
  }
  return Status::ok();
}

Status checkValueType(const OpContext& ctx, const Tensor* t, const char* what) {
  switch (t->type) {
    case ElementType::kFloat32: return Status::ok();
    case ElementType::kUInt8:
    case ElementType::kInt8:
      if (t->quant().scale.size() != 1) return ctx.unsupported("{} must be quantized per tensor", what);
      return Status::ok();
    default:
      return ctx.unsupported("{} has type {}, expected FLOAT32, UINT8 or INT8", what, elementTypeName(t->type));
  }
}

// Element i of a float or (per-tensor) quantized tensor, as float.
float valueAt(const Tensor& t, int64_t i) {
  switch (t.type) {
    case ElementType::kUInt8:
      return (static_cast<float>(t.as<uint8_t>()[i]) - static_cast<float>(t.quant().zeroPoint[0])) * t.quant().scale[0];
    case ElementType::kInt8:
      return (static_cast<float>(t.as<int8_t>()[i]) - static_cast<float>(t.quant().zeroPoint[0])) * t.quant().scale[0];
    default: return t.as<float>()[i];
  }
}

Status prepareDetection(OpContext& ctx) {
  auto o = std::make_unique<DetectionOptions>();
  INFERD_RETURN_IF_ERROR(parseOptions(ctx, o.get()));
  const Tensor *boxes = nullptr, *scores = nullptr, *anchors = nullptr;
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 0, &boxes));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 1, &scores));
  INFERD_RETURN_IF_ERROR(requireInput(ctx, 2, &anchors));
  INFERD_RETURN_IF_ERROR(checkValueType(ctx, boxes, "box encodings (input 0)"));
  INFERD_RETURN_IF_ERROR(checkValueType(ctx, scores, "class scores (input 1)"));
  INFERD_RETURN_IF_ERROR(checkValueType(ctx, anchors, "anchors (input 2)"));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, boxes, 3, "box encodings (input 0)"));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, scores, 3, "class scores (input 1)"));
  INFERD_RETURN_IF_ERROR(checkRank(ctx, anchors, 2, "anchors (input 2)"));
  o->numBoxes = boxes->dim(1);
  o->boxLength = boxes->dim(2);
  o->scoreColumns = scores->dim(2);
  o->labelOffset = o->scoreColumns - o->numClasses;
  if (boxes->dim(0) != 1 || scores->dim(0) != 1) return ctx.unsupported("only batch size 1 is supported");
  if (o->boxLength < 4) return ctx.error("box encodings have {} values per box, need at least 4", o->boxLength);
  if (scores->dim(1) != o->numBoxes || anchors->dim(0) != o->numBoxes || anchors->dim(1) != 4) {
    return ctx.error("box encodings {}, class scores {} and anchors {} disagree on the number of boxes",
                     dimsToString(boxes->dims), dimsToString(scores->dims), dimsToString(anchors->dims));
  }
  if (o->labelOffset != 0 && o->labelOffset != 1) {
    return ctx.error("class scores have {} columns for {} classes; expected {} or {} (with background)",
                     o->scoreColumns, o->numClasses, o->numClasses, o->numClasses + 1);
  }
  const int k = o->maxDetections * o->maxClassesPerDetection;
  for (int i = 0; i < 4; ++i) INFERD_RETURN_IF_ERROR(checkType(ctx, ctx.output(i), ElementType::kFloat32, "an output"));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(0, {1, k, 4}));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(1, {1, k}));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(2, {1, k}));
  INFERD_RETURN_IF_ERROR(ctx.resizeOutput(3, {1}));
  ctx.setState(std::move(o));
  return Status::ok();
}

float iou(const Box& a, const Box& b) {
  const float areaA = (a.ymax - a.ymin) * (a.xmax - a.xmin);
  const float areaB = (b.ymax - b.ymin) * (b.xmax - b.xmin);
  if (areaA <= 0 || areaB <= 0) return 0.f;
  const float h = std::max(std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin), 0.f);
  const float w = std::max(std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin), 0.f);
  const float inter = h * w;
  return inter / (areaA + areaB - inter);
}

// Indices of `values` by decreasing value; ties keep index order.
std::vector<int> decreasingOrder(const std::vector<float>& values) {
  std::vector<int> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values[static_cast<size_t>(a)] > values[static_cast<size_t>(b)]; });
  return order;
}

// Greedy NMS over boxes with scores >= the threshold, best first; a box is
// dropped when its IoU with a kept box exceeds the threshold. Returns at
// most `limit` box indices.
std::vector<int> nms(const DetectionOptions& o, const std::vector<Box>& boxes, const std::vector<float>& scores,
                     int limit) {
  std::vector<int> candidates;
  std::vector<float> kept;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] >= o.scoreThreshold) {
      candidates.push_back(static_cast<int>(i));
      kept.push_back(scores[i]);
    }
  }
  const std::vector<int> order = decreasingOrder(kept);
  std::vector<uint8_t> active(order.size(), 1);
  std::vector<int> selected;
  for (size_t i = 0; i < order.size() && static_cast<int>(selected.size()) < limit; ++i) {
    if (!active[i]) continue;
    const int box = candidates[static_cast<size_t>(order[i])];
    selected.push_back(box);
    for (size_t j = i + 1; j < order.size(); ++j) {
      if (active[j] &&
          iou(boxes[static_cast<size_t>(box)], boxes[static_cast<size_t>(candidates[static_cast<size_t>(order[j])])]) >
              o.iouThreshold) {
        active[j] = 0;
      }
    }
  }
  return selected;
}

struct Detection {
  int box;
  int cls;
  float score;
};

Status evalDetection(OpContext& ctx) {
  const DetectionOptions& o = *ctx.state<DetectionOptions>();
  const Tensor& enc = *ctx.input(0);
  const Tensor& cls = *ctx.input(1);
  const Tensor& anc = *ctx.input(2);
  const auto n = static_cast<size_t>(o.numBoxes);
  std::vector<Box> boxes(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t e = static_cast<int64_t>(i) * o.boxLength, a = static_cast<int64_t>(i) * 4;
    const double ay = valueAt(anc, a), ax = valueAt(anc, a + 1), ah = valueAt(anc, a + 2), aw = valueAt(anc, a + 3);
    const double yc = valueAt(enc, e) / static_cast<double>(o.yScale) * ah + ay;
    const double xc = valueAt(enc, e + 1) / static_cast<double>(o.xScale) * aw + ax;
    const double hh = 0.5 * std::exp(valueAt(enc, e + 2) / static_cast<double>(o.hScale)) * ah;
    const double hw = 0.5 * std::exp(valueAt(enc, e + 3) / static_cast<double>(o.wScale)) * aw;
    Box& b = boxes[i];
    b = {static_cast<float>(yc - hh), static_cast<float>(xc - hw), static_cast<float>(yc + hh),
         static_cast<float>(xc + hw)};
    if (!(b.ymin <= b.ymax && b.xmin <= b.xmax)) {
      return ctx.error("box {} decodes to an invalid box (ymin {}, xmin {}, ymax {}, xmax {})", i, b.ymin, b.xmin,
                       b.ymax, b.xmax);
    }
  }
  auto score = [&](size_t box, int c) {
    return valueAt(cls, static_cast<int64_t>(box) * o.scoreColumns + o.labelOffset + c);
  };

  std::vector<Detection> out;  // in output order
  int slotsPerBox = 1;         // output slots each entry of `count` covers
  int count = 0;
  if (!o.regularNms) {
    const int perBox = std::min(o.maxClassesPerDetection, o.numClasses);
    std::vector<std::vector<int>> topClasses(n);
    std::vector<float> best(n);
    std::vector<float> row(static_cast<size_t>(o.numClasses));
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < o.numClasses; ++c) row[static_cast<size_t>(c)] = score(i, c);
      topClasses[i] = decreasingOrder(row);
      topClasses[i].resize(static_cast<size_t>(perBox));
      best[i] = row[static_cast<size_t>(topClasses[i][0])];
    }
    slotsPerBox = o.maxClassesPerDetection;
    for (int box : nms(o, boxes, best, o.maxDetections)) {
      for (int c : topClasses[static_cast<size_t>(box)]) out.push_back({box, c, score(static_cast<size_t>(box), c)});
      for (int pad = perBox; pad < slotsPerBox; ++pad) out.push_back({-1, 0, 0.f});
      ++count;
    }
  } else {
    std::vector<Detection> all;
    std::vector<float> classScores(n);
    for (int c = 0; c < o.numClasses; ++c) {
      for (size_t i = 0; i < n; ++i) classScores[i] = score(i, c);
      for (int box : nms(o, boxes, classScores, o.detectionsPerClass)) {
        all.push_back({box, c, classScores[static_cast<size_t>(box)]});
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
    if (static_cast<int>(all.size()) > o.maxDetections) all.resize(static_cast<size_t>(o.maxDetections));
    out = std::move(all);
    count = static_cast<int>(out.size());
  }

  auto* outBoxes = ctx.output(0)->as<float>();
  auto* outClasses = ctx.output(1)->as<float>();
  auto* outScores = ctx.output(2)->as<float>();
  const int64_t slots = ctx.output(1)->numElements();
  std::fill(outBoxes, outBoxes + slots * 4, 0.f);
  std::fill(outClasses, outClasses + slots, 0.f);
  std::fill(outScores, outScores + slots, 0.f);
  for (size_t s = 0; s < out.size() && static_cast<int64_t>(s) < slots; ++s) {
    const Detection& d = out[s];
    if (d.box < 0) continue;
    const Box& b = boxes[static_cast<size_t>(d.box)];
    float* dst = outBoxes + static_cast<int64_t>(s) * 4;
    dst[0] = b.ymin;
    dst[1] = b.xmin;
    dst[2] = b.ymax;
    dst[3] = b.xmax;
    outClasses[s] = static_cast<float>(d.cls);
    outScores[s] = d.score;
  }
  ctx.output(3)->as<float>()[0] = static_cast<float>(count);
  return Status::ok();
}

}  // namespace

void registerDetectionKernels(OpResolver& r) {
  if constexpr (customOpSelected("TFLite_Detection_PostProcess")) {
    KernelRegistration k;
    k.minInputs = 3;
    k.maxInputs = 3;
    k.minOutputs = 4;
    k.maxOutputs = 4;
    k.prepare = prepareDetection;
    k.eval = evalDetection;
    k.types = {ElementType::kFloat32, ElementType::kUInt8, ElementType::kInt8};
    r.addCustom("TFLite_Detection_PostProcess", std::move(k));
  }
}

}  // namespace inferd::engine::kernels
