// TFLite_Detection_PostProcess on hand-made boxes whose decoding, overlaps
// and NMS results are worked out by hand below (fast and regular NMS, with
// and without a background class, uint8 scores, option errors).
//
// Anchors (ycenter, xcenter, h, w) and decoded boxes (ymin, xmin, ymax, xmax)
// with y/x_scale 10, h/w_scale 5:
//   A (0.5, 0.5, 0.2, 0.2), encoding 0              -> (0.4, 0.4, 0.6, 0.6)
//   B (0.51, 0.5, 0.2, 0.2), encoding 0             -> (0.41, 0.4, 0.61, 0.6)
//       IoU(A, B) = 0.038 / 0.042 = 0.905
//   C (0.2, 0.2, 0.1, 0.1), encoding 0              -> (0.15, 0.15, 0.25, 0.25)
//   D (0.8, 0.8, 0.2, 0.2), encoding (1, -2, 5 ln 2, 0):
//       ycenter 0.8 + 0.1 * 0.2, xcenter 0.8 - 0.2 * 0.2,
//       half h 0.5 * 2 * 0.2, half w 0.5 * 0.2       -> (0.62, 0.66, 1.02, 0.86)
// Scores (class 0, class 1): A (0.9, 0.3), B (0.8, 0.7), C (0.1, 0.6),
// D (0.05, 0.2); score threshold 0.25, IoU threshold 0.5.
#include <catch2/catch.hpp>

#include <flatbuffers/flexbuffers.h>

#include <cmath>

#include "op_test_util.h"

using namespace inferd;
using namespace inferd::engine;
using test::OpModelBuilder;

namespace {

struct Options {
  int maxDetections = 3;
  int maxClassesPerDetection = 1;
  int detectionsPerClass = 2;
  bool regular = false;
  float iou = 0.5f;
  bool omitNumClasses = false;
};

std::vector<uint8_t> flexOptions(const Options& o) {
  flexbuffers::Builder b;
  b.Map([&] {
    b.Int("max_detections", o.maxDetections);
    b.Int("max_classes_per_detection", o.maxClassesPerDetection);
    b.Int("detections_per_class", o.detectionsPerClass);
    b.Bool("use_regular_nms", o.regular);
    b.Float("nms_score_threshold", 0.25f);
    b.Float("nms_iou_threshold", o.iou);
    if (!o.omitNumClasses) b.Int("num_classes", 2);
    b.Float("y_scale", 10.f);
    b.Float("x_scale", 10.f);
    b.Float("h_scale", 5.f);
    b.Float("w_scale", 5.f);
  });
  b.Finish();
  return b.GetBuffer();
}

const std::vector<float> kEncodings = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -2, 5 * std::log(2.f), 0};
const std::vector<float> kAnchors = {0.5f, 0.5f, 0.2f, 0.2f, 0.51f, 0.5f, 0.2f, 0.2f,
                                     0.2f, 0.2f, 0.1f, 0.1f, 0.8f,  0.8f, 0.2f, 0.2f};
const std::vector<float> kScores = {0.9f, 0.3f, 0.8f, 0.7f, 0.1f, 0.6f, 0.05f, 0.2f};
const std::vector<std::vector<float>> kBoxes = {
    {0.4f, 0.4f, 0.6f, 0.6f}, {0.41f, 0.4f, 0.61f, 0.6f}, {0.15f, 0.15f, 0.25f, 0.25f}, {0.62f, 0.66f, 1.02f, 0.86f}};
enum { A, B, C, D, kNone };

// With a background column first unless `background` is false.
std::vector<float> scoresWithBackground(bool background) {
  if (!background) return kScores;
  std::vector<float> s;
  for (size_t i = 0; i < kScores.size(); i += 2) s.insert(s.end(), {0.95f, kScores[i], kScores[i + 1]});
  return s;
}

struct Detections {
  std::vector<float> boxes, classes, scores;
  float count = -1;
  std::string error;
};

Detections run(const Options& o, bool background = true, bool uint8Scores = false) {
  OpModelBuilder m;
  const int columns = background ? 3 : 2;
  const int enc = m.addInput(ElementType::kFloat32, {1, 4, 4});
  QuantParams q;
  if (uint8Scores) {
    q.scale = {0.01f};
    q.zeroPoint = {0};
  }
  const int scores = m.addInput(uint8Scores ? ElementType::kUInt8 : ElementType::kFloat32, {1, 4, columns}, q);
  const int anchors = m.addConstant<float>(ElementType::kFloat32, {4, 4}, kAnchors);
  const int k = o.maxDetections * o.maxClassesPerDetection;
  const int boxes = m.addOutput(ElementType::kFloat32, {1, k, 4});
  const int classes = m.addOutput(ElementType::kFloat32, {1, k});
  const int outScores = m.addOutput(ElementType::kFloat32, {1, k});
  const int count = m.addOutput(ElementType::kFloat32, {1});
  m.addCustomOp("TFLite_Detection_PostProcess", {enc, scores, anchors}, {boxes, classes, outScores, count},
                flexOptions(o));
  std::vector<test::InputData> inputs{test::InputData::of(kEncodings)};
  const std::vector<float> s = scoresWithBackground(background);
  if (uint8Scores) {
    std::vector<uint8_t> qs;
    for (float v : s) qs.push_back(static_cast<uint8_t>(std::lround(v * 100)));
    inputs.push_back(test::InputData::of(qs));
  } else {
    inputs.push_back(test::InputData::of(s));
  }
  Detections d;
  auto r = test::runModel(m.finish(), inputs);
  if (!r) {
    d.error = r.status().toString();
    return d;
  }
  d.boxes = r.value()[0].values<float>();
  d.classes = r.value()[1].values<float>();
  d.scores = r.value()[2].values<float>();
  d.count = r.value()[3].values<float>().at(0);
  return d;
}

// Slot by slot: (box, class, score); kNone slots must be all zero.
void expect(const Detections& d, const std::vector<std::tuple<int, int, float>>& slots, float count) {
  REQUIRE(d.error.empty());
  CHECK(d.count == count);
  REQUIRE(d.classes.size() == slots.size());
  for (size_t s = 0; s < slots.size(); ++s) {
    const auto [box, cls, score] = slots[s];
    INFO("slot " << s);
    for (int c = 0; c < 4; ++c) {
      const float want = box == kNone ? 0.f : kBoxes[static_cast<size_t>(box)][static_cast<size_t>(c)];
      CHECK(d.boxes[s * 4 + static_cast<size_t>(c)] == Approx(want).margin(1e-6));
    }
    CHECK(d.classes[s] == static_cast<float>(cls));
    CHECK(d.scores[s] == Approx(score).margin(1e-6));
  }
}

}  // namespace

TEST_CASE("detection post-processing, fast NMS", "[detection]") {
  Options o;
  SECTION("one class per box: B is suppressed by A, D is under the score threshold") {
    expect(run(o), {{A, 0, 0.9f}, {C, 1, 0.6f}, {kNone, 0, 0.f}}, 2);
  }
  SECTION("without a background column") { expect(run(o, false), {{A, 0, 0.9f}, {C, 1, 0.6f}, {kNone, 0, 0.f}}, 2); }
  SECTION("two classes per box, best first") {
    o.maxClassesPerDetection = 2;
    o.maxDetections = 2;
    expect(run(o), {{A, 0, 0.9f}, {A, 1, 0.3f}, {C, 1, 0.6f}, {C, 0, 0.1f}}, 2);
  }
  SECTION("a loose IoU threshold keeps B") {
    o.iou = 0.95f;
    expect(run(o), {{A, 0, 0.9f}, {B, 0, 0.8f}, {C, 1, 0.6f}}, 3);
  }
  SECTION("uint8 scores are dequantized") {
    expect(run(o, true, true), {{A, 0, 0.9f}, {C, 1, 0.6f}, {kNone, 0, 0.f}}, 2);
  }
}

TEST_CASE("detection post-processing, regular NMS", "[detection]") {
  Options o;
  o.regular = true;
  // Class 0 keeps A (B overlaps it); class 1 keeps B and C (A overlaps B,
  // and detections_per_class is 2); all of them by score.
  SECTION("three detections") { expect(run(o), {{A, 0, 0.9f}, {B, 1, 0.7f}, {C, 1, 0.6f}}, 3); }
  SECTION("max_detections cuts the merged list") {
    o.maxDetections = 2;
    expect(run(o), {{A, 0, 0.9f}, {B, 1, 0.7f}}, 2);
  }
  SECTION("one detection per class") {
    o.detectionsPerClass = 1;
    expect(run(o), {{A, 0, 0.9f}, {B, 1, 0.7f}, {kNone, 0, 0.f}}, 2);
  }
}

TEST_CASE("detection post-processing rejects bad options", "[detection]") {
  Options o;
  o.omitNumClasses = true;
  CHECK_THAT(run(o).error, Catch::Contains("option 'num_classes' is missing"));
  o = Options{};
  o.iou = 0.f;
  CHECK_THAT(run(o).error, Catch::Contains("nms_iou_threshold"));
}
