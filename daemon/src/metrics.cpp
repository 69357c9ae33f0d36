// renderMetrics: the registry's and the transports' counters as Prometheus
// metric families, serialized by prometheus-cpp.
#include "inferd/daemon/metrics.h"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace inferd::daemon {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<std::pair<std::string, std::string>>;

class Families {
 public:
  MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
    auto [it, added] = index_.emplace(name, families_.size());
    if (added) families_.push_back(MetricFamily{name, help, type, {}});
    return families_[it->second];
  }

  void add(const std::string& name, const std::string& help, MetricType type, const Labels& labels, double value) {
    ClientMetric m = metric(labels);
    if (type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    family(name, help, type).metric.push_back(std::move(m));
  }
  void counter(const std::string& name, const std::string& help, const Labels& labels, double value) {
    add(name, help, MetricType::Counter, labels, value);
  }
  void gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
    add(name, help, MetricType::Gauge, labels, value);
  }
  void histogram(const std::string& name, const std::string& help, const Labels& labels, const LatencyHistogram& h) {
    ClientMetric m = metric(labels);
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = static_cast<double>(h.sumNs) * 1e-9;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
      cumulative += h.counts[i];
      m.histogram.bucket.push_back({cumulative, LatencyHistogram::kBounds[i]});
    }
    // The serializer adds le="+Inf" with the sample count.
    family(name, help, MetricType::Histogram).metric.push_back(std::move(m));
  }

  std::string text() const { return prometheus::TextSerializer().Serialize(families_); }

 private:
  static ClientMetric metric(const Labels& labels) {
    ClientMetric m;
    for (const auto& [k, v] : labels) m.label.push_back({k, v});
    return m;
  }
  std::vector<MetricFamily> families_;
  std::map<std::string, size_t> index_;
};

double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// Resident set size (bytes) and open fds of this process; -1 when unknown.
long long residentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return resident * static_cast<long long>(sysconf(_SC_PAGESIZE));
}

long long openFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  long long n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory's own fd
}

}  // namespace

std::string renderMetrics(const ModelRegistry& registry, const TransportCounters& transports) {
  Families f;
  std::map<std::string, uint64_t> executionsByDevice;
  const std::vector<std::string> loaded = registry.loadedModels();
  for (const std::string& name : loaded) {
    Result<std::shared_ptr<ModelInstance>> got = registry.get(name);
    if (!got) continue;  // unloaded since the list was taken
    const ModelInstance& inst = **got;
    const Scheduler& sched = inst.scheduler();
    const ModelMetrics m = sched.stats()->metrics(name, inst.version());
    const Labels labels = {{"model", name}, {"version", inst.version()}};
    const ipc::ModelStatistics& s = m.stats;

    f.counter("nv_inference_request_success", "Number of successful inference requests", labels,
              static_cast<double>(s.successCount));
    for (size_t r = 0; r < kFailureReasons; ++r) {
      Labels withReason = labels;
      withReason.emplace_back("reason", failureReasonName(static_cast<FailureReason>(r)));
      f.counter("nv_inference_request_failure",
                "Number of failed inference requests, by reason (REJECTED: refused before running; CANCELED; "
                "BACKEND: failed while executing; OTHER)",
                withReason, static_cast<double>(m.failures[r]));
    }
    f.counter("nv_inference_count", "Number of inferences performed (no batching: one per request)", labels,
              static_cast<double>(s.inferenceCount));
    f.counter("nv_inference_exec_count", "Number of model executions performed", labels,
              static_cast<double>(s.executionCount));
    f.counter("nv_inference_request_duration_us",
              "Cumulative duration of successful inference requests, arrival to answer (microseconds)", labels,
              us(s.successNs));
    f.counter("nv_inference_queue_duration_us",
              "Cumulative time successful requests waited in the queue (microseconds)", labels, us(s.queueNs));
    f.counter("nv_inference_compute_infer_duration_us",
              "Cumulative execution time of successful requests (microseconds)", labels, us(s.computeNs));
    f.gauge("nv_inference_pending_request_count", "Requests waiting in the model's queue", labels,
            static_cast<double>(sched.queued()));
    f.histogram("inferd_request_duration_seconds", "Successful inference requests, arrival to answer", labels,
                m.request);
    f.histogram("inferd_queue_duration_seconds", "Time successful requests waited in the queue", labels, m.queue);
    f.histogram("inferd_compute_duration_seconds", "Execution time of successful requests", labels, m.compute);
    f.gauge("inferd_model_running_requests", "Requests executing now", labels, static_cast<double>(sched.running()));
    f.gauge("inferd_model_workers", "Worker threads of the model (each with its own arena)", labels,
            sched.workerCount());
    Labels file = labels, working = labels;
    file.emplace_back("kind", "file");
    working.emplace_back("kind", "working");
    const char* memoryHelp =
        "Memory of the model: file = the mapped .tflite (shared by all workers and clients), working = the "
        "activation arenas of all workers";
    f.gauge("inferd_model_memory_bytes", memoryHelp, file, static_cast<double>(inst.model()->fileBytes()));
    f.gauge("inferd_model_memory_bytes", memoryHelp, working, static_cast<double>(sched.workingBytes()));
    f.counter("inferd_model_loads_total", "Times the model was loaded (first load and reloads)", {{"model", name}},
              static_cast<double>(registry.loadCount(name)));
    executionsByDevice[sched.deviceName()] += s.executionCount;
  }
  f.gauge("inferd_models_loaded", "Models loaded and serving", {}, static_cast<double>(loaded.size()));
  if (executionsByDevice.empty()) executionsByDevice[registry.device().name()] = 0;
  for (const auto& [device, n] : executionsByDevice) {
    f.counter("inferd_device_executions_total", "Model executions by device (of the models loaded now)",
              {{"device", device}}, static_cast<double>(n));
  }

  if (transports.listener) {
    const ipc::ListenerStats& l = *transports.listener;
    f.gauge("inferd_connections", "Connections open on the API's Unix socket", {}, static_cast<double>(l.open));
    f.counter("inferd_connections_accepted_total", "Connections accepted on the API's Unix socket", {},
              static_cast<double>(l.accepted));
    const char* refusedHelp =
        "Connections closed at accept: limit = max_connections were open, fd_exhausted = the open-file limit was "
        "reached";
    f.counter("inferd_connections_refused_total", refusedHelp, {{"reason", "limit"}},
              static_cast<double>(l.refusedCap));
    f.counter("inferd_connections_refused_total", refusedHelp, {{"reason", "fd_exhausted"}},
              static_cast<double>(l.fdExhausted));
  }
  const ipc::ServiceStats& svc = transports.service;
  for (size_t a = 0; a < svc.denied.size(); ++a) {
    f.counter("inferd_requests_denied_total", "Requests answered PERMISSION_DENIED, by the action refused",
              {{"action", ipc::actionName(static_cast<ipc::Action>(a))}}, static_cast<double>(svc.denied[a]));
  }
  const char* refusedHelp =
      "Inference requests refused before they reached a model: undecodable, invalid (does not fit the model: "
      "names, types, shapes, sizes), too_large (larger than any loaded model takes), memory (the in-flight budget "
      "was full)";
  f.counter("inferd_requests_refused_total", refusedHelp, {{"reason", "undecodable"}},
            static_cast<double>(svc.undecodable));
  f.counter("inferd_requests_refused_total", refusedHelp, {{"reason", "invalid"}},
            static_cast<double>(svc.invalid));
  f.counter("inferd_requests_refused_total", refusedHelp, {{"reason", "too_large"}},
            static_cast<double>(svc.tooLarge));
  f.counter("inferd_requests_refused_total", refusedHelp, {{"reason", "memory"}},
            static_cast<double>(svc.overBudget));
  f.gauge("inferd_request_bytes_in_flight", "Encoded inference requests being served now (bytes)", {},
          static_cast<double>(svc.inflightBytes));
  f.gauge("inferd_rpcs_in_flight", "gRPC calls being served now", {}, svc.inFlight);

  if (const long long rss = residentBytes(); rss >= 0) {
    f.gauge("process_resident_memory_bytes", "Resident memory size in bytes", {}, static_cast<double>(rss));
  }
  // glibc's view of the heap: what the program holds (in_use, including
  // mmapped blocks) and what the allocator keeps free in its arenas.
  // RSS growing while in_use stays flat is fragmentation, not a leak.
  // (Sanitizer builds replace malloc and report zeros: left out.)
  const struct mallinfo2 heap = mallinfo2();
  if (heap.uordblks + heap.hblkhd > 0) {
    const char* heapHelp = "malloc heap bytes: in_use = allocated by the program, free = kept by the allocator";
    f.gauge("inferd_heap_bytes", heapHelp, {{"state", "in_use"}}, static_cast<double>(heap.uordblks + heap.hblkhd));
    f.gauge("inferd_heap_bytes", heapHelp, {{"state", "free"}}, static_cast<double>(heap.fordblks));
  }
  if (const long long fds = openFds(); fds >= 0) {
    f.gauge("process_open_fds", "Number of open file descriptors", {}, static_cast<double>(fds));
  }
  return f.text();
}

}  // namespace inferd::daemon
