// libinferd-client over gRPC: converts between the client's types and the
// Open Inference Protocol messages, and keeps one channel per Client that is
// rebuilt when the daemon went away, so the next call reconnects.
#include "inferd/client/client.h"

#include <grpcpp/grpcpp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "inference.grpc.pb.h"

namespace inferd::client {

namespace {

using Stub = inference::GRPCInferenceService::Stub;

// A channel and the stub on it; `generation` tells which channel a failed
// call used, so that concurrent failures rebuild it only once.
struct Connection {
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<Stub> stub;
  uint64_t generation = 0;
};

Status fromGrpc(const grpc::Status& s) {
  const int code = static_cast<int>(s.error_code());
  if (code < 0 || code > static_cast<int>(StatusCode::kUnauthenticated)) {
    return Status(StatusCode::kUnknown, s.error_message());
  }
  return Status(static_cast<StatusCode>(code), s.error_message());
}

std::chrono::system_clock::time_point deadlineAfter(std::chrono::microseconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

// Typed `contents` (as other OIP servers may send) into raw little-endian bytes.
template <typename Dst, typename Field>
std::vector<uint8_t> packContents(const Field& field) {
  std::vector<uint8_t> bytes(static_cast<size_t>(field.size()) * sizeof(Dst));
  for (int i = 0; i < field.size(); ++i) {
    const Dst v = static_cast<Dst>(field.Get(i));
    std::memcpy(bytes.data() + static_cast<size_t>(i) * sizeof(Dst), &v, sizeof(Dst));
  }
  return bytes;
}

Result<std::vector<uint8_t>> contentsToBytes(DataType type, const inference::InferTensorContents& c,
                                             const std::string& name) {
  switch (type) {
    case DataType::kBool: return packContents<uint8_t>(c.bool_contents());
    case DataType::kUInt8: return packContents<uint8_t>(c.uint_contents());
    case DataType::kUInt16: return packContents<uint16_t>(c.uint_contents());
    case DataType::kUInt32: return packContents<uint32_t>(c.uint_contents());
    case DataType::kUInt64: return packContents<uint64_t>(c.uint64_contents());
    case DataType::kInt8: return packContents<int8_t>(c.int_contents());
    case DataType::kInt16: return packContents<int16_t>(c.int_contents());
    case DataType::kInt32: return packContents<int32_t>(c.int_contents());
    case DataType::kInt64: return packContents<int64_t>(c.int64_contents());
    case DataType::kFP32: return packContents<float>(c.fp32_contents());
    case DataType::kFP64: return packContents<double>(c.fp64_contents());
    case DataType::kBytes: {
      // Triton's raw BYTES layout: a 4-byte little-endian length before each element.
      std::vector<uint8_t> bytes;
      for (const std::string& e : c.bytes_contents()) {
        const uint32_t n = static_cast<uint32_t>(e.size());
        const auto* p = reinterpret_cast<const uint8_t*>(&n);
        bytes.insert(bytes.end(), p, p + 4);
        bytes.insert(bytes.end(), e.begin(), e.end());
      }
      return bytes;
    }
    case DataType::kFP16: break;
  }
  return Status(StatusCode::kInternal, "output '" + name + "' is " + dataTypeName(type) +
                                           " but came without raw_output_contents");
}

Result<TensorInfo> tensorInfoFromProto(const inference::ModelMetadataResponse::TensorMetadata& t,
                                       const std::string& model) {
  auto type = dataTypeFromName(t.datatype());
  if (!type) {
    return Status(StatusCode::kInternal, "model '" + model + "': tensor '" + t.name() + "' has datatype '" +
                                             t.datatype() + "', which this client does not know");
  }
  return TensorInfo{t.name(), *type, {t.shape().begin(), t.shape().end()}};
}

Status buildInferRequest(const std::string& model, const std::vector<Tensor>& inputs, const InferOptions& options,
                         inference::ModelInferRequest* req) {
  req->set_model_name(model);
  req->set_model_version(options.modelVersion);
  req->set_id(options.id);
  if (options.timeoutMicros) (*req->mutable_parameters())["timeout"].set_int64_param(*options.timeoutMicros);
  if (options.priority) (*req->mutable_parameters())["priority"].set_int64_param(*options.priority);
  for (const Tensor& t : inputs) {
    Status s = t.validate();
    if (!s.isOk()) return Status(s.code(), "model '" + model + "': input " + s.message());
    auto* in = req->add_inputs();
    in->set_name(t.name);
    in->set_datatype(dataTypeName(t.type));
    for (int64_t d : t.shape) in->add_shape(d);
    req->add_raw_input_contents(t.bytes.data(), t.bytes.size());
  }
  for (const std::string& name : options.requestedOutputs) req->add_outputs()->set_name(name);
  return Status::ok();
}

Result<InferResult> parseInferResponse(const inference::ModelInferResponse& resp) {
  InferResult result;
  result.model = resp.model_name();
  result.version = resp.model_version();
  result.id = resp.id();
  const bool raw = resp.raw_output_contents_size() > 0;
  if (raw && resp.raw_output_contents_size() != resp.outputs_size()) {
    return Status(StatusCode::kInternal, "model '" + resp.model_name() + "': response has " +
                                             std::to_string(resp.outputs_size()) + " outputs but " +
                                             std::to_string(resp.raw_output_contents_size()) + " raw contents");
  }
  result.outputs.reserve(static_cast<size_t>(resp.outputs_size()));
  for (int i = 0; i < resp.outputs_size(); ++i) {
    const auto& o = resp.outputs(i);
    auto type = dataTypeFromName(o.datatype());
    if (!type) {
      return Status(StatusCode::kInternal, "model '" + resp.model_name() + "': output '" + o.name() +
                                               "' has datatype '" + o.datatype() + "', which this client does not know");
    }
    Tensor t;
    t.name = o.name();
    t.type = *type;
    t.shape.assign(o.shape().begin(), o.shape().end());
    if (raw) {
      const std::string& bytes = resp.raw_output_contents(i);
      t.bytes.assign(bytes.begin(), bytes.end());
    } else {
      auto bytes = contentsToBytes(*type, o.contents(), o.name());
      if (!bytes) return bytes.status();
      t.bytes = std::move(bytes).value();
    }
    Status s = t.validate();
    if (!s.isOk()) return Status(StatusCode::kInternal, "model '" + resp.model_name() + "': output " + s.message());
    result.outputs.push_back(std::move(t));
  }
  return result;
}

StatisticDuration duration(const inference::StatisticDuration& d) { return {d.count(), d.ns()}; }

}  // namespace

std::string defaultSocketPath() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  // Same rule as the daemon (ipc::defaultSocketPath): a relative
  // XDG_RUNTIME_DIR is invalid and ignored.
  if (runtime != nullptr && runtime[0] == '/') return std::string(runtime) + "/inferd/inferd.sock";
  return "/tmp/inferd-" + std::to_string(getuid()) + "/inferd.sock";
}

class __attribute__((visibility("hidden"))) Client::Impl {
 public:
  Impl(std::string path, ClientOptions options)
      : path_(std::move(path)), target_("unix:" + path_), options_(options) {
    conn_ = makeConnection(0);
  }

  const std::string& target() const { return target_; }

  // The channel to use for the next call. One that failed to connect is
  // replaced: gRPC would otherwise keep failing calls until its reconnect
  // backoff runs out, even after the daemon is back.
  Connection current() {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_.channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) replaceLocked();
    return conn_;
  }

  // After an UNAVAILABLE: true when the connection (not the daemon) failed,
  // in which case the channel is rebuilt for a retry.
  bool connectionFailed(const Connection& used) {
    if (used.channel->GetState(false) == GRPC_CHANNEL_READY) return false;  // the daemon said UNAVAILABLE
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_.generation == used.generation) replaceLocked();
    return true;
  }

  Status unreachable(const grpc::Status& s) const {
    return Status(StatusCode::kUnavailable, "cannot reach inferd at " + target_ + ": " + s.error_message());
  }

  // A unary call with the control timeout; a call that finds the connection
  // broken reconnects and is tried once more.
  template <typename Req, typename Resp>
  Status call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& req, Resp* resp,
              std::chrono::microseconds timeout) {
    for (int attempt = 0;; ++attempt) {
      Connection c = current();
      grpc::ClientContext ctx;
      if (timeout.count() > 0) ctx.set_deadline(deadlineAfter(timeout));
      grpc::Status s = ((*c.stub).*method)(&ctx, req, resp);
      if (s.ok()) return Status::ok();
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE || !connectionFailed(c)) return fromGrpc(s);
      if (attempt == 1) return unreachable(s);
      resp->Clear();
    }
  }

  template <typename Req, typename Resp>
  Status control(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& req, Resp* resp) {
    return call(method, req, resp, std::chrono::duration_cast<std::chrono::microseconds>(options_.controlTimeout));
  }

  // One asynchronous inference; owns everything gRPC needs until it answers.
  struct AsyncInfer {
    std::shared_ptr<Impl> impl;
    Connection conn;
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
    inference::ModelInferRequest req;
    inference::ModelInferResponse resp;
    grpc::Status status;
    std::chrono::microseconds callTimeout{0};
    InferCallback done;
    int attempt = 0;
  };

  static void start(std::unique_ptr<AsyncInfer> call);
  // Runs on the completion thread when the call has answered.
  static void finish(std::unique_ptr<AsyncInfer> call);

 private:
  // A new channel for the next calls (calls in flight keep the old one).
  void replaceLocked() { conn_ = makeConnection(conn_.generation + 1); }

  Connection makeConnection(uint64_t generation) const {
    grpc::ChannelArguments args;
    // A private subchannel, so a rebuilt channel really opens a new connection
    // instead of sharing the old one's reconnect backoff.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // A local daemon restarts in well under a second; don't back off for minutes.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Tensors (an image, a segmentation mask) easily pass gRPC's 4 MB default.
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    Connection c;
    c.channel = grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args);
    c.stub = std::shared_ptr<Stub>(inference::GRPCInferenceService::NewStub(c.channel));
    c.generation = generation;
    return c;
  }

  const std::string path_;
  const std::string target_;
  const ClientOptions options_;
  std::mutex mu_;
  Connection conn_;
};

namespace {

// The completion queue and thread of every Client's asynchronous calls.
// Deliberately not gRPC's callback API: with it (gRPC 1.51) the last
// channel must never be dropped on one of gRPC's callback threads, which an
// answer that outlives its Client does (gRPC then joins the thread it runs
// on). Here user callbacks run on our own thread, where dropping anything
// is safe.
class CompletionThread {
 public:
  static CompletionThread& instance() {
    static CompletionThread thread;
    return thread;
  }

  grpc::CompletionQueue* queue() { return &queue_; }

  // Calls in flight, cancelled if the process exits with them unanswered.
  void add(grpc::ClientContext* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    inFlight_.insert(ctx);
  }
  void remove(grpc::ClientContext* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    inFlight_.erase(ctx);
  }

 private:
  CompletionThread() : thread_([this] { run(); }) {}
  ~CompletionThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (grpc::ClientContext* ctx : inFlight_) ctx->TryCancel();
    }
    queue_.Shutdown();
    thread_.join();
  }

  void run() {
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
      std::unique_ptr<Client::Impl::AsyncInfer> call(static_cast<Client::Impl::AsyncInfer*>(tag));
      remove(call->ctx.get());
      Client::Impl::finish(std::move(call));
    }
  }

  grpc::CompletionQueue queue_;
  std::mutex mu_;
  std::set<grpc::ClientContext*> inFlight_;
  std::thread thread_;
};

}  // namespace

void Client::Impl::start(std::unique_ptr<AsyncInfer> call) {
  CompletionThread& thread = CompletionThread::instance();
  call->conn = call->impl->current();
  call->ctx = std::make_unique<grpc::ClientContext>();
  if (call->callTimeout.count() > 0) call->ctx->set_deadline(deadlineAfter(call->callTimeout));
  call->reader = call->conn.stub->PrepareAsyncModelInfer(call->ctx.get(), call->req, thread.queue());
  call->reader->StartCall();
  thread.add(call->ctx.get());
  AsyncInfer* raw = call.release();
  raw->reader->Finish(&raw->resp, &raw->status, raw);
}

void Client::Impl::finish(std::unique_ptr<AsyncInfer> call) {
  const grpc::Status& s = call->status;
  const bool lost =
      !s.ok() && s.error_code() == grpc::StatusCode::UNAVAILABLE && call->impl->connectionFailed(call->conn);
  if (lost && call->attempt == 0) {
    call->attempt = 1;
    call->resp.Clear();
    call->reader.reset();
    start(std::move(call));
    return;
  }
  call->done(s.ok()  ? parseInferResponse(call->resp)
             : lost ? Result<InferResult>(call->impl->unreachable(s))
                    : Result<InferResult>(fromGrpc(s)));
}

Result<Client> Client::connect(const std::string& socketPath, ClientOptions options) {
  std::string path = socketPath.empty() ? defaultSocketPath() : socketPath;
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status(StatusCode::kInvalidArgument, "socket path '" + path + "' is " + std::to_string(path.size()) +
                                                    " bytes; a Unix socket path must be under " +
                                                    std::to_string(sizeof(sockaddr_un{}.sun_path)));
  }
  return Client(std::make_shared<Impl>(std::move(path), options));
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const std::string& Client::target() const { return impl_->target(); }

Result<bool> Client::serverLive() {
  inference::ServerLiveResponse resp;
  Status s = impl_->control(&Stub::ServerLive, inference::ServerLiveRequest(), &resp);
  if (!s.isOk()) return s;
  return resp.live();
}

Result<bool> Client::serverReady() {
  inference::ServerReadyResponse resp;
  Status s = impl_->control(&Stub::ServerReady, inference::ServerReadyRequest(), &resp);
  if (!s.isOk()) return s;
  return resp.ready();
}

Result<ServerMetadata> Client::serverMetadata() {
  inference::ServerMetadataResponse resp;
  Status s = impl_->control(&Stub::ServerMetadata, inference::ServerMetadataRequest(), &resp);
  if (!s.isOk()) return s;
  return ServerMetadata{resp.name(), resp.version(), {resp.extensions().begin(), resp.extensions().end()}};
}

Result<bool> Client::modelReady(const std::string& model, const std::string& version) {
  inference::ModelReadyRequest req;
  req.set_name(model);
  req.set_version(version);
  inference::ModelReadyResponse resp;
  Status s = impl_->control(&Stub::ModelReady, req, &resp);
  if (!s.isOk()) return s;
  return resp.ready();
}

Result<ModelMetadata> Client::modelMetadata(const std::string& model, const std::string& version) {
  inference::ModelMetadataRequest req;
  req.set_name(model);
  req.set_version(version);
  inference::ModelMetadataResponse resp;
  Status s = impl_->control(&Stub::ModelMetadata, req, &resp);
  if (!s.isOk()) return s;
  ModelMetadata m;
  m.name = resp.name();
  m.versions.assign(resp.versions().begin(), resp.versions().end());
  m.platform = resp.platform();
  for (const auto& t : resp.inputs()) {
    auto info = tensorInfoFromProto(t, resp.name());
    if (!info) return info.status();
    m.inputs.push_back(std::move(info).value());
  }
  for (const auto& t : resp.outputs()) {
    auto info = tensorInfoFromProto(t, resp.name());
    if (!info) return info.status();
    m.outputs.push_back(std::move(info).value());
  }
  return m;
}

Result<std::vector<ModelIndexEntry>> Client::listModels(bool readyOnly) {
  inference::RepositoryIndexRequest req;
  req.set_ready(readyOnly);
  inference::RepositoryIndexResponse resp;
  Status s = impl_->control(&Stub::RepositoryIndex, req, &resp);
  if (!s.isOk()) return s;
  std::vector<ModelIndexEntry> models;
  for (const auto& m : resp.models()) models.push_back({m.name(), m.version(), m.state(), m.reason()});
  return models;
}

Status Client::loadModel(const std::string& model) {
  inference::RepositoryModelLoadRequest req;
  req.set_model_name(model);
  inference::RepositoryModelLoadResponse resp;
  return impl_->control(&Stub::RepositoryModelLoad, req, &resp);
}

Status Client::unloadModel(const std::string& model) {
  inference::RepositoryModelUnloadRequest req;
  req.set_model_name(model);
  inference::RepositoryModelUnloadResponse resp;
  return impl_->control(&Stub::RepositoryModelUnload, req, &resp);
}

Result<std::vector<ModelStatistics>> Client::statistics(const std::string& model, const std::string& version) {
  inference::ModelStatisticsRequest req;
  req.set_name(model);
  req.set_version(version);
  inference::ModelStatisticsResponse resp;
  Status s = impl_->control(&Stub::ModelStatistics, req, &resp);
  if (!s.isOk()) return s;
  std::vector<ModelStatistics> out;
  for (const auto& m : resp.model_stats()) {
    ModelStatistics st;
    st.name = m.name();
    st.version = m.version();
    st.lastInferenceMs = m.last_inference();
    st.inferenceCount = m.inference_count();
    st.executionCount = m.execution_count();
    const auto& is = m.inference_stats();
    st.success = duration(is.success());
    st.fail = duration(is.fail());
    st.queue = duration(is.queue());
    st.computeInput = duration(is.compute_input());
    st.computeInfer = duration(is.compute_infer());
    st.computeOutput = duration(is.compute_output());
    out.push_back(std::move(st));
  }
  return out;
}

Result<InferResult> Client::infer(const std::string& model, const std::vector<Tensor>& inputs,
                                  const InferOptions& options) {
  inference::ModelInferRequest req;
  Status s = buildInferRequest(model, inputs, options, &req);
  if (!s.isOk()) return s;
  inference::ModelInferResponse resp;
  s = impl_->call(&Stub::ModelInfer, req, &resp, options.callTimeout);
  if (!s.isOk()) return s;
  return parseInferResponse(resp);
}

void Client::inferAsync(const std::string& model, const std::vector<Tensor>& inputs, const InferOptions& options,
                        InferCallback done) {
  auto call = std::make_unique<Impl::AsyncInfer>();
  Status s = buildInferRequest(model, inputs, options, &call->req);
  if (!s.isOk()) {
    done(s);
    return;
  }
  call->impl = impl_;
  call->callTimeout = options.callTimeout;
  call->done = std::move(done);
  Impl::start(std::move(call));
}

std::future<Result<InferResult>> Client::inferAsync(const std::string& model, const std::vector<Tensor>& inputs,
                                                    const InferOptions& options) {
  auto promise = std::make_shared<std::promise<Result<InferResult>>>();
  std::future<Result<InferResult>> future = promise->get_future();
  inferAsync(model, inputs, options, [promise](Result<InferResult> r) { promise->set_value(std::move(r)); });
  return future;
}

}  // namespace inferd::client
