// Helpers for the inferctl commands that talk to the daemon through
// libinferd-client: connecting, reporting client errors in inferctl's
// one-line style, and converting between the client's and the engine's
// tensor types (the .npy code speaks the engine's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "inferd/client/client.h"
#include "inferd/engine/npy.h"
#include "inferd/engine/status.h"
#include "tensor_io.h"

namespace inferd::inferctl {

// A client for --socket PATH (empty = the default socket).
Result<client::Client> connectDaemon(const std::string& socket);

// Prints a client error (with its code, except for an unreachable daemon,
// whose message already says where it looked) and returns 1.
int failStatus(const client::Status& status);

std::optional<engine::ElementType> toElementType(client::DataType type);
std::optional<client::DataType> toDataType(engine::ElementType type);

// The model's inputs as TensorSpecs; fails for datatypes .npy cannot hold.
Result<std::vector<TensorSpec>> inputSpecs(const client::ModelMetadata& metadata);

// A client Tensor holding a copy of an .npy array.
client::Tensor tensorFromNpy(const std::string& name, const engine::NpyArray& array);

client::InferOptions inferOptions(const RequestArgs& args);

}  // namespace inferd::inferctl
