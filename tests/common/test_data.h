// Locates the committed test data (tests/data): INFERD_TEST_DATA, set by
// meson for every test.
#pragma once

#include <cstdlib>
#include <string>

namespace inferd::test {

inline std::string testDataPath(const std::string& relative) {
  const char* root = std::getenv("INFERD_TEST_DATA");
  return std::string(root ? root : "tests/data") + "/" + relative;
}

inline const char* const kReferenceModels[] = {"face_detection_short_range", "hand_landmark_lite",
                                               "selfie_segmentation"};

}  // namespace inferd::test
