// Fuzz target: the bytes of a ModelInferRequest as a client sends them.
// Decode (protobuf), then the service's validation and conversion
// (buildInferRequest) against the models of a scripted repository: FP32
// [1, 4] inputs a and b, and x of every datatype with a dynamic shape; then
// a response built back from the converted request. Errors are fine;
// crashes and sanitizer reports are findings.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "inference.pb.h"
#include "inferd/ipc/backend.h"
#include "inferd/ipc/grpc_service.h"

using namespace inferd;
using namespace inferd::ipc;

namespace {

std::vector<ModelMetadata> models() {
  std::vector<ModelMetadata> out;
  ModelMetadata add;
  add.name = "add";
  add.versions = {"1"};
  add.inputs = {{"a", ElementType::kFloat32, {1, 4}}, {"b", ElementType::kFloat32, {1, 4}}};
  add.outputs = {{"sum", ElementType::kFloat32, {1, 4}}};
  out.push_back(add);
  for (ElementType t : {ElementType::kFloat32, ElementType::kFloat16, ElementType::kInt8, ElementType::kUInt8,
                        ElementType::kInt16, ElementType::kInt32, ElementType::kInt64, ElementType::kBool,
                        ElementType::kFloat64, ElementType::kUInt32, ElementType::kUInt64}) {
    ModelMetadata echo;
    echo.name = "echo";
    echo.versions = {"1"};
    echo.inputs = {{"x", t, {-1, -1}}};
    echo.outputs = {{"y", t, {-1, -1}}};
    out.push_back(echo);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Protobuf logs a line per string that is not UTF-8; not a finding.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)quiet;
  static const std::vector<ModelMetadata> kModels = models();
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  for (const ModelMetadata& md : kModels) {
    Result<InferRequest> built = buildInferRequest(request, md, /*maxTensorBytes=*/1 << 20);
    if (!built) continue;
    // Echo the inputs back as outputs, as a backend would answer.
    InferResponse response;
    for (const Tensor& t : built->inputs) {
      Tensor o = t;
      o.name = md.outputs[0].name;
      response.outputs.push_back(std::move(o));
      break;
    }
    inference::ModelInferResponse out;
    (void)fillInferResponse(*built, std::move(response), &out);
  }
  return 0;
}
