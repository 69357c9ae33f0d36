// Prometheus metrics of the daemon (text exposition format 0.0.4): per
// model request counts and durations in Triton's metric names where Triton
// has one (nv_inference_request_success, nv_inference_queue_duration_us,
// ...), latency histograms, and inferd's own figures: executions per
// device, loaded models and their memory, connections, refusals and
// denials, the process's resident memory and open fds. Rendered at each
// scrape from the counters the daemon keeps anyway (nothing is counted
// twice on the request path).
#pragma once

#include <optional>
#include <string>

#include "inferd/daemon/model_registry.h"
#include "inferd/ipc/server.h"

namespace inferd::daemon {

// What the transports counted (absent parts are left out of the text).
struct TransportCounters {
  std::optional<ipc::ListenerStats> listener;  // the API's Unix socket
  ipc::ServiceStats service;
};

std::string renderMetrics(const ModelRegistry& registry, const TransportCounters& transports);

}  // namespace inferd::daemon
