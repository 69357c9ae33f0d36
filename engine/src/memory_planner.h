// Arena planning: place buffers with known sizes and lifetimes in one block,
// sharing bytes between buffers whose lifetimes do not overlap. Greedy by
// size (largest first), each at the lowest offset that does not collide with
// an already placed buffer alive at the same time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace inferd::engine {

struct BufferRequest {
  size_t bytes = 0;
  int32_t firstUse = 0;  // step that writes it first
  int32_t lastUse = 0;   // last step that reads it (inclusive)
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // one per request
  size_t arenaBytes = 0;        // total size needed
  size_t naiveBytes = 0;        // sum of all sizes (no reuse), for reporting
};

constexpr size_t kArenaAlignment = 64;

ArenaPlan planArena(const std::vector<BufferRequest>& requests);

}  // namespace inferd::engine
