// MetricsHttpServer: GET /metrics over a Unix socket (UnixListener) or TCP,
// on one Boost.Asio thread; one request per connection.
#include "inferd/ipc/metrics_http.h"

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "inferd/ipc/socket_path.h"
#include "inferd/ipc/unix_listener.h"
#include "log.h"

namespace inferd::ipc {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kMaxHeaderBytes = 8192;
constexpr const char* kUnixPrefix = "unix:";

struct Reply {
  Reply(int c, const char* r, std::string b, const char* type = "text/plain; charset=utf-8", std::string extra = "")
      : code(c), reason(r), body(std::move(b)), contentType(type), extraHeaders(std::move(extra)) {}
  int code;
  const char* reason;
  std::string body;
  const char* contentType;
  std::string extraHeaders;
};

// The request line of `head` ("GET /metrics HTTP/1.1") split in three;
// false when it is not one.
bool parseRequestLine(const std::string& head, std::string* method, std::string* target) {
  const size_t end = head.find("\r\n");
  const std::string line = head.substr(0, end);
  const size_t a = line.find(' ');
  if (a == std::string::npos || a == 0) return false;
  const size_t b = line.find(' ', a + 1);
  if (b == std::string::npos || b == a + 1) return false;
  *method = line.substr(0, a);
  *target = line.substr(a + 1, b - a - 1);
  const std::string version = line.substr(b + 1);
  return version.rfind("HTTP/1.", 0) == 0 && version.size() == 8;
}

}  // namespace

struct MetricsHttpServer::Impl {
  MetricsHttpOptions options;
  Render render;
  Authorize authorize;

  std::atomic<uint64_t> served{0}, denied{0}, bad{0}, refused{0};
  std::atomic<size_t> open{0};

  // Declared after the counters: pending handlers (holding connections that
  // decrement `open`) are destroyed with it.
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<UnixListener> unixListener;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
  std::string host;
  int port = 0;
  std::thread thread;
  std::mutex stopMu;
  bool stopped = false;

  Reply answer(const std::string& head, const Peer& peer);
  void acceptTcp();
};

namespace {

template <typename Socket>
class Connection : public std::enable_shared_from_this<Connection<Socket>> {
 public:
  Connection(MetricsHttpServer::Impl& impl, Socket socket, Peer peer)
      : impl_(impl), socket_(std::move(socket)), timer_(impl.io), peer_(std::move(peer)) {
    ++impl_.open;
  }
  ~Connection() { --impl_.open; }

  void start() {
    auto self = this->shared_from_this();
    armTimer();
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, kMaxHeaderBytes), "\r\n\r\n",
                           [self](const error_code& ec, size_t) { self->onRequest(ec); });
  }

 private:
  void armTimer() {
    auto self = this->shared_from_this();
    timer_.expires_after(impl_.options.requestTimeout);
    timer_.async_wait([self](const error_code& ec) {
      if (ec) return;  // cancelled: the step finished in time
      ++self->impl_.bad;  // before the close that the client sees
      error_code ignored;
      self->socket_.close(ignored);
    });
  }

  void onRequest(const error_code& ec) {
    timer_.cancel();
    if (ec == asio::error::not_found) {  // the buffer filled up before the headers ended
      ++impl_.bad;
      send(Reply{431, "Request Header Fields Too Large", "request headers are limited to 8192 bytes\n"}, false);
      return;
    }
    if (ec) return;  // closed, reset or timed out (counted by the timer): nobody to answer
    const bool head = in_.rfind("HEAD ", 0) == 0;
    send(impl_.answer(in_, peer_), head);
  }

  void send(Reply reply, bool headOnly) {
    out_ = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n", reply.code,
        reply.reason, reply.contentType, reply.body.size(), reply.extraHeaders);
    if (!headOnly) out_ += reply.body;
    auto self = this->shared_from_this();
    armTimer();  // a client that does not read its answer is dropped too
    asio::async_write(socket_, asio::buffer(out_), [self](const error_code&, size_t) {
      self->timer_.cancel();
      error_code ignored;
      self->socket_.shutdown(Socket::shutdown_both, ignored);
      self->socket_.close(ignored);
    });
  }

  MetricsHttpServer::Impl& impl_;
  Socket socket_;
  asio::steady_timer timer_;
  Peer peer_;
  std::string in_, out_;
};

}  // namespace

Reply MetricsHttpServer::Impl::answer(const std::string& head, const Peer& peer) {
  std::string method, target;
  if (!parseRequestLine(head, &method, &target)) {
    ++bad;
    return Reply{400, "Bad Request", "not an HTTP/1.x request line\n"};
  }
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    ++bad;
    return Reply{404, "Not Found", "inferd serves Prometheus metrics at /metrics only\n"};
  }
  if (method != "GET" && method != "HEAD") {
    ++bad;
    return Reply{405, "Method Not Allowed", "use GET or HEAD\n", "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n"};
  }
  if (Status s = authorize(peer); !s) {
    ++denied;
    static LogThrottle throttle(std::chrono::seconds(1));
    uint64_t skipped = 0;
    if (throttle.allow(&skipped)) {
      ipcLog()->warn("metrics: denied for {}: {}{}", peer.describe(), s.message(), LogThrottle::suffix(skipped));
    }
    return Reply{403, "Forbidden", s.message() + "\n"};
  }
  ++served;
  return Reply{200, "OK", render(), "text/plain; version=0.0.4; charset=utf-8"};
}

void MetricsHttpServer::Impl::acceptTcp() {
  acceptor->async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      if (open.load() >= options.maxConnections) {
        ++refused;
        error_code ignored;
        socket.close(ignored);
      } else {
        Peer peer;
        peer.transport = Peer::Transport::kTcp;
        error_code e;
        const auto remote = socket.remote_endpoint(e);
        peer.address = e ? "tcp" : fmt::format("ipv{}:{}:{}", remote.address().is_v4() ? 4 : 6,
                                               remote.address().to_string(), remote.port());
        std::make_shared<Connection<asio::ip::tcp::socket>>(*this, std::move(socket), std::move(peer))->start();
      }
    }
    // EMFILE and friends: accept again after a pause instead of spinning.
    if (ec) {
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](const error_code&) { acceptTcp(); });
      return;
    }
    acceptTcp();
  });
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() { stop(); }

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::start(MetricsHttpOptions options, Render render,
                                                                    Authorize authorize) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->render = std::move(render);
  impl->authorize = std::move(authorize);
  const std::string& address = impl->options.address;
  if (address.rfind(kUnixPrefix, 0) == 0) {
    const std::string path = address.substr(std::char_traits<char>::length(kUnixPrefix));
    if (path.empty() || path.front() != '/') {
      return makeError(StatusCode::kInvalidArgument, "metrics address '{}': the socket path must be absolute",
                       address);
    }
    auto listener = UnixListener::bind(path, impl->options.socketMode);
    if (!listener) return listener.status().withContext("metrics socket");
    impl->unixListener = std::move(listener).value();
  } else {
    std::string host, port;
    if (!splitHostPort(address, host, port)) {
      return makeError(StatusCode::kInvalidArgument,
                       "metrics address '{}' is neither unix:/PATH nor HOST:PORT", address);
    }
    if (!impl->options.allowNonLoopback && !isLoopbackHost(host)) {
      return makeError(StatusCode::kInvalidArgument,
                       "metrics address '{}' is not a loopback address (listen_allow_remote is off)", address);
    }
    error_code ec;
    asio::ip::tcp::resolver resolver(impl->io);
    const auto endpoints = resolver.resolve(host, port, ec);
    if (ec || endpoints.empty()) {
      return makeError(StatusCode::kInvalidArgument, "metrics address '{}': cannot resolve '{}': {}", address, host,
                       ec.message());
    }
    const asio::ip::tcp::endpoint endpoint = *endpoints.begin();
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(impl->io);
    if (acceptor->open(endpoint.protocol(), ec); !ec) {
      acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      acceptor->bind(endpoint, ec);
    }
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return makeError(StatusCode::kUnavailable, "cannot listen for metrics on {}: {}", address, ec.message());
    }
    impl->host = endpoint.address().to_string();
    impl->port = acceptor->local_endpoint().port();
    impl->acceptor = std::move(acceptor);
  }

  Impl* raw = impl.get();
  raw->work.emplace(asio::make_work_guard(raw->io));
  if (raw->acceptor) raw->acceptTcp();
  if (raw->unixListener) {
    UnixListener* listener = raw->unixListener.get();
    listener->start(raw->options.maxConnections, [raw, listener](int fd) {
      Peer peer;
      if (std::optional<Peer> p = listener->peerOf(fd)) peer = *p;
      peer.transport = Peer::Transport::kUnix;
      asio::local::stream_protocol::socket socket(raw->io);
      error_code ec;
      socket.assign(asio::local::stream_protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        return;
      }
      auto conn = std::make_shared<Connection<asio::local::stream_protocol::socket>>(*raw, std::move(socket),
                                                                                    std::move(peer));
      asio::post(raw->io, [conn] { conn->start(); });
    });
  }
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(impl)));
}

void MetricsHttpServer::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->stopMu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  if (impl_->unixListener) impl_->unixListener->stop();
  asio::post(impl_->io, [impl = impl_.get()] {
    if (impl->acceptor) {
      error_code ignored;
      impl->acceptor->close(ignored);
    }
    impl->work.reset();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string MetricsHttpServer::address() const {
  if (impl_->unixListener) return kUnixPrefix + impl_->unixListener->path();
  if (impl_->host.find(':') != std::string::npos) return fmt::format("[{}]:{}", impl_->host, impl_->port);
  return fmt::format("{}:{}", impl_->host, impl_->port);
}

int MetricsHttpServer::tcpPort() const { return impl_->port; }

MetricsHttpStats MetricsHttpServer::stats() const {
  MetricsHttpStats s;
  s.served = impl_->served.load();
  s.denied = impl_->denied.load();
  s.bad = impl_->bad.load();
  s.refused = impl_->refused.load();
  if (impl_->unixListener) s.refused += impl_->unixListener->stats().refusedCap;
  return s;
}

namespace {

template <typename Socket>
Result<std::string> getOver(asio::io_context& io, Socket& socket, const std::string& address, const std::string& path,
                            std::chrono::milliseconds timeout) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  std::string response;
  error_code result = asio::error::timed_out;
  asio::async_write(socket, asio::buffer(request), [&](const error_code& ec, size_t) {
    if (ec) {
      result = ec;
      return;
    }
    asio::async_read(socket, asio::dynamic_buffer(response), [&](const error_code& rec, size_t) {
      result = rec == asio::error::eof ? error_code() : rec;
    });
  });
  io.run_for(timeout);
  if (result) return makeError(StatusCode::kUnavailable, "GET {} from {}: {}", path, address, result.message());
  const std::string status = response.substr(0, response.find("\r\n"));
  const size_t bodyAt = response.find("\r\n\r\n");
  if (status.rfind("HTTP/1.1 200", 0) != 0 || bodyAt == std::string::npos) {
    return makeError(status.find(" 403 ") != std::string::npos ? StatusCode::kPermissionDenied : StatusCode::kInternal,
                     "GET {} from {}: {}", path, address, status.empty() ? "no answer" : status);
  }
  return response.substr(bodyAt + 4);
}

}  // namespace

Result<std::string> httpGet(const std::string& address, const std::string& path, std::chrono::milliseconds timeout) {
  asio::io_context io;
  error_code ec;
  if (address.rfind(kUnixPrefix, 0) == 0) {
    asio::local::stream_protocol::socket socket(io);
    socket.connect(asio::local::stream_protocol::endpoint(address.substr(5)), ec);
    if (ec) return makeError(StatusCode::kUnavailable, "cannot connect to {}: {}", address, ec.message());
    return getOver(io, socket, address, path, timeout);
  }
  std::string host, port;
  if (!splitHostPort(address, host, port)) {
    return makeError(StatusCode::kInvalidArgument, "'{}' is neither unix:/PATH nor HOST:PORT", address);
  }
  asio::ip::tcp::socket socket(io);
  asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, port, ec);
  if (!ec) asio::connect(socket, endpoints, ec);
  if (ec) return makeError(StatusCode::kUnavailable, "cannot connect to {}: {}", address, ec.message());
  return getOver(io, socket, address, path, timeout);
}

}  // namespace inferd::ipc
