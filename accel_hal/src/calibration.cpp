// Device calibration: the measurements placement uses instead of what a
// driver claims. The cpu device is measured through its own prepare and
// execute on a one-operator CONV_2D model built here, so the figure is what
// a model's convolutions will get.
#include "calibration.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "tflite_generated.h"

namespace inferd::hal {

namespace fb = ::inferd::tflite;

std::vector<uint8_t> calibrationConvModel(int size, int channels, int kernel) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers{fb::CreateBuffer(b)};
  auto constant = [&](const std::vector<float>& values) {
    b.ForceVectorAlignment(values.size() * sizeof(float), 1, 16);
    auto data = b.CreateVector(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float));
    buffers.push_back(fb::CreateBuffer(b, data));
    return static_cast<uint32_t>(buffers.size() - 1);
  };
  // Small deterministic weights: the values do not matter for the timing,
  // but denormals or NaNs would.
  std::vector<float> filter(static_cast<size_t>(channels) * kernel * kernel * channels);
  for (size_t i = 0; i < filter.size(); ++i) filter[i] = static_cast<float>(static_cast<int>(i % 17) - 8) / 64.f;
  std::vector<float> bias(static_cast<size_t>(channels), 0.125f);
  const uint32_t filterBuffer = constant(filter);
  const uint32_t biasBuffer = constant(bias);

  auto tensor = [&](const char* name, std::vector<int32_t> shape, uint32_t buffer) {
    return fb::CreateTensor(b, b.CreateVector(shape), fb::TensorType::FLOAT32, buffer, b.CreateString(name));
  };
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors{
      tensor("input", {1, size, size, channels}, 0),
      tensor("filter", {channels, kernel, kernel, channels}, filterBuffer),
      tensor("bias", {channels}, biasBuffer),
      tensor("output", {1, size, size, channels}, 0),
  };
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes{
      fb::CreateOperatorCode(b, static_cast<int8_t>(fb::BuiltinOperator::CONV_2D), 0, 1, fb::BuiltinOperator::CONV_2D)};
  auto options = fb::CreateConv2DOptions(b, fb::Padding::SAME, 1, 1, fb::ActivationFunctionType::NONE);
  std::vector<int32_t> opInputs{0, 1, 2}, opOutputs{3}, graphInputs{0}, graphOutputs{3};
  std::vector<flatbuffers::Offset<fb::Operator>> ops{
      fb::CreateOperator(b, 0, b.CreateVector(opInputs), b.CreateVector(opOutputs),
                         fb::BuiltinOptions::Conv2DOptions, options.Union())};
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs{
      fb::CreateSubGraph(b, b.CreateVector(tensors), b.CreateVector(graphInputs), b.CreateVector(graphOutputs),
                         b.CreateVector(ops), b.CreateString("calibration"))};
  auto model = fb::CreateModel(b, 3, b.CreateVector(codes), b.CreateVector(subgraphs),
                               b.CreateString("inferd calibration"), b.CreateVector(buffers));
  fb::FinishModelBuffer(b, model);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {

// Median seconds of one execution of a model prepared on `device`
// (zeros as input), after one warm-up.
Result<double> timeModel(Device& device, const std::vector<uint8_t>& bytes, int runs) {
  auto model = engine::Model::loadFromBuffer(bytes.data(), bytes.size(), "calibration model");
  if (!model) return model.status();
  auto prepared = device.prepare(model.value());
  if (!prepared) return prepared.status();
  PreparedModel& pm = *prepared.value();
  const TensorDesc& in = pm.inputs().at(0);
  std::vector<uint8_t> zeros(static_cast<size_t>(engine::numElements(in.dims)) * engine::elementSize(in.type));
  const std::vector<TensorView> inputs{TensorView{in.type, in.dims, zeros.data(), zeros.size()}};
  std::vector<OwnedTensor> outputs;
  std::vector<double> seconds;
  for (int r = 0; r <= runs; ++r) {
    const auto t0 = CalibrationClock::now();
    INFERD_RETURN_IF_ERROR(pm.execute(inputs, &outputs));
    if (r > 0) seconds.push_back(secondsSince(t0));
  }
  return median(seconds);
}

}  // namespace

double secondsSince(CalibrationClock::time_point t) {
  return std::chrono::duration<double>(CalibrationClock::now() - t).count();
}

Result<Calibration> calibrateCpu(Device& cpu) {
  const auto start = CalibrationClock::now();
  Calibration c;
  auto conv = timeModel(cpu, calibrationConvModel(kCalibrationSize, kCalibrationChannels, 3), 9);
  if (!conv) return makeError(conv.status().code(), "cpu calibration: {}", conv.status().message());
  c.convGflops = kCalibrationConvFlops / conv.value() / 1e9;
  auto dispatch = timeModel(cpu, calibrationConvModel(1, 1, 1), 50);
  if (!dispatch) return makeError(dispatch.status().code(), "cpu calibration: {}", dispatch.status().message());
  c.dispatchMicros = dispatch.value() * 1e6;

  std::vector<uint8_t> from(kCalibrationCopyBytes, 1), to(kCalibrationCopyBytes, 0);
  std::vector<double> copies;
  for (int r = 0; r <= 5; ++r) {
    const auto t0 = CalibrationClock::now();
    std::memcpy(to.data(), from.data(), from.size());
    // Keep the copy observable so that it is not optimized away.
    from[static_cast<size_t>(r)] = static_cast<uint8_t>(to[from.size() - 1 - static_cast<size_t>(r)] + 1);
    if (r > 0) copies.push_back(secondsSince(t0));
  }
  c.copyGBps = static_cast<double>(kCalibrationCopyBytes) / median(copies) / 1e9;
  c.measuredAt = utcNow();
  c.tookSeconds = secondsSince(start);
  return c;
}

}  // namespace inferd::hal
