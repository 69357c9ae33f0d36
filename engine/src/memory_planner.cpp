// Greedy-by-size arena planner (see memory_planner.h).
#include "memory_planner.h"

#include <algorithm>
#include <numeric>

namespace inferd::engine {

namespace {
size_t alignUp(size_t v) { return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
}  // namespace

ArenaPlan planArena(const std::vector<BufferRequest>& requests) {
  ArenaPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties broken by first use so plans are deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].firstUse < requests[b].firstUse;
  });

  struct Placed {
    size_t offset, end;
    int32_t first, last;
  };
  std::vector<Placed> placed;
  placed.reserve(requests.size());
  std::vector<Placed> live;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    plan.naiveBytes += alignUp(r.bytes);
    if (r.bytes == 0) continue;
    // Buffers alive at the same time as r, sorted by offset.
    live.clear();
    for (const Placed& p : placed) {
      if (p.first <= r.lastUse && r.firstUse <= p.last) live.push_back(p);
    }
    std::sort(live.begin(), live.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    const size_t need = alignUp(r.bytes);
    size_t candidate = 0;
    for (const Placed& p : live) {
      if (p.offset >= candidate + need) break;  // fits in the gap before p
      candidate = std::max(candidate, p.end);
    }
    placed.push_back({candidate, candidate + need, r.firstUse, r.lastUse});
    plan.offsets[idx] = candidate;
    plan.arenaBytes = std::max(plan.arenaBytes, candidate + need);
  }
  return plan;
}

}  // namespace inferd::engine
