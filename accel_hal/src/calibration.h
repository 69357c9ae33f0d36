// Shared by the devices' calibrate(): the problem sizes every device is
// measured on, and small timing helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "inferd/hal/device.h"

namespace inferd::hal {

// The calibration convolution: NHWC 1 x size x size x channels, 3x3 filter,
// SAME padding, stride 1, `channels` outputs.
constexpr int kCalibrationSize = 28;
constexpr int kCalibrationChannels = 64;
constexpr double kCalibrationConvFlops =
    2.0 * kCalibrationSize * kCalibrationSize * kCalibrationChannels * kCalibrationChannels * 9;
constexpr size_t kCalibrationCopyBytes = size_t{32} << 20;

using CalibrationClock = std::chrono::steady_clock;

// A .tflite model of one float CONV_2D (kernel x kernel, SAME) with input
// "input" and output "output".
std::vector<uint8_t> calibrationConvModel(int size, int channels, int kernel);

double secondsSince(CalibrationClock::time_point t);
double median(std::vector<double> v);
std::string utcNow();

// The cpu device's calibrate().
Result<Calibration> calibrateCpu(Device& cpu);

}  // namespace inferd::hal
