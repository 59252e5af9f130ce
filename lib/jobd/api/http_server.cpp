#include "jobd/api/http_server.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "jobd/log/logger.hpp"
#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::experimental::awaitable_operators::operator||;
using asio::ip::tcp;
using Local = asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;

// A keep-alive connection may sit idle this long; a started request must arrive this fast.
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// How long a refused (413) body is read and discarded before the close, see DrainAndClose.
constexpr auto kDrainTimeout = std::chrono::seconds(2);
// After a failed accept (EMFILE, ...), so a persistent error does not spin the io thread.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr auto kUnixSocketMode = std::filesystem::perms(0660);
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

spdlog::logger& Logger() {
    return log::Get(log::Subsystem::Api);
}

void LogFailure(std::string_view what, const std::exception_ptr& error) {
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        Logger().error("{} failed error=\"{}\"", what, e.what());
    }
}

std::string ToString(const tcp::endpoint& endpoint) {
    const std::string host = endpoint.address().to_string();
    const std::string port = std::to_string(endpoint.port());
    return endpoint.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

std::string Lowercase(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return lower;
}

std::map<std::string, std::string> Headers(const http::fields& fields) {
    std::map<std::string, std::string> headers;
    for (const auto& field : fields) {
        auto [entry, inserted] = headers.emplace(Lowercase(field.name_string()), field.value());
        if (!inserted) {
            entry->second.append(", ").append(field.value());
        }
    }
    return headers;
}

std::optional<unsigned> PeerUid(int fd) {
    ucred credentials{};
    socklen_t size = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
        return std::nullopt;
    }
    return credentials.uid;
}

http::response<http::string_body> ToMessage(HttpResponse response,
                                            unsigned version,
                                            bool keep_alive) {
    http::response<http::string_body> message(static_cast<http::status>(response.status), version);
    message.set(http::field::server, "jobd");
    if (!response.content_type.empty()) {
        message.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
        message.insert(name, value);
    }
    message.body() = std::move(response.body);
    message.keep_alive(keep_alive);
    message.prepare_payload();
    return message;
}

bool Expects100Continue(const http::request<http::string_body>& request) {
    return request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue");
}

Error ListenerError(const std::string& key, const std::string& where, const std::string& why) {
    return Error(ErrorKind::Unavailable,
                 Message(MessageId::ListenFailed, {{"address", where}, {"problem", why}}),
                 key);
}

Error ListenerError(const std::string& key, const std::string& where, MessageId why) {
    return Error(ErrorKind::Unavailable, Message(why, {{"address", where}}), key);
}

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
public:
    Impl(asio::io_context& io_context, const config::Api& api, Handler handler)
        : io_context_(io_context),
          strand_(asio::make_strand(io_context)),
          api_(api),
          handler_(std::move(handler)) {}

    void Start();
    void Stop(std::function<void()> on_stopped);

    const std::vector<std::string>& Endpoints() const { return endpoints_; }

private:
    // What Stop needs of a connection of either protocol.
    class Connection {
    public:
        virtual ~Connection() = default;
        // Closes the connection if it waits for a request; posts to its strand.
        virtual void CloseIfIdle() = 0;
    };

    template <class Protocol>
    class Session;

    using TcpAcceptor = tcp::acceptor;
    using LocalAcceptor = Local::acceptor;

    std::shared_ptr<TcpAcceptor> OpenTcp(const config::ListenAddress& address);
    std::shared_ptr<LocalAcceptor> OpenLocal(const std::filesystem::path& path);
    template <class Acceptor>
    asio::awaitable<void> AcceptLoop(std::shared_ptr<Acceptor> acceptor);
    template <class Protocol>
    void Spawn(typename Protocol::socket socket);
    template <class Acceptor>
    void SpawnAcceptLoop(std::shared_ptr<Acceptor> acceptor);
    void CloseAcceptors();

    bool Stopping() const;
    void Enter();
    void Leave();
    void Register(const std::shared_ptr<Connection>& connection);
    void Unregister(const Connection* connection);

    asio::io_context& io_context_;
    // Server strand only: the acceptors and their loops.
    asio::strand<asio::io_context::executor_type> strand_;
    std::vector<std::shared_ptr<TcpAcceptor>> tcp_acceptors_;
    std::shared_ptr<LocalAcceptor> local_acceptor_;
    // Written by Start() only, read-only afterwards.
    std::vector<std::string> endpoints_;
    // Immutable.
    const config::Api api_;
    const Handler handler_;

    // Guarded by mutex_: connections run on their own strands, possibly on several threads.
    mutable std::mutex mutex_;
    bool stopping_ = false;
    std::size_t active_ = 0;  // accept loops + connections + a Stop in progress (the gate)
    std::function<void()> on_stopped_;
    std::map<const Connection*, std::weak_ptr<Connection>> connections_;
};

// One connection: a coroutine on its own strand reading requests until the peer closes, the
// idle timeout or Stop.
template <class Protocol>
class HttpServer::Impl::Session : public HttpServer::Impl::Connection,
                                  public std::enable_shared_from_this<Session<Protocol>> {
public:
    Session(typename Protocol::socket socket,
            std::shared_ptr<Impl> server,
            std::string peer,
            std::optional<unsigned> peer_uid)
        : stream_(std::move(socket)),
          server_(std::move(server)),
          peer_(std::move(peer)),
          peer_uid_(peer_uid) {}

    asio::any_io_executor Executor() { return stream_.get_executor(); }

    asio::awaitable<void> Run() {
        // Not `while (co_await A() && co_await B())`: g++ 12 evaluates both operands of a
        // co_await in a short-circuit expression.
        for (;;) {
            if (!co_await WaitForRequest()) {
                break;
            }
            if (!co_await Serve()) {
                break;
            }
        }
        beast::error_code ignored;
        stream_.socket().shutdown(Protocol::socket::shutdown_both, ignored);
        stream_.close();
    }

    void CloseIfIdle() override {
        // The posted handler keeps the session alive until it has run.
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            if (self->idle_) {
                beast::error_code ignored;
                self->stream_.socket().cancel(ignored);
            }
        });
    }

private:
    // True once a request's first bytes are there. While waiting the session is idle: Stop may
    // cancel the wait, but never a request that has begun to arrive.
    asio::awaitable<bool> WaitForRequest() {
        if (buffer_.size() > 0) {
            co_return true;  // pipelined
        }
        if (server_->Stopping()) {
            co_return false;
        }
        asio::steady_timer timer(co_await asio::this_coro::executor, kIdleTimeout);
        idle_ = true;
        const auto result =
            co_await (stream_.socket().async_wait(Protocol::socket::wait_read, kAsTuple) ||
                      timer.async_wait(kAsTuple));
        idle_ = false;
        co_return result.index() == 0 && !std::get<0>(std::get<0>(result));
    }

    // Reads, answers; true when the connection stays open for another request.
    asio::awaitable<bool> Serve() {
        http::request_parser<http::string_body> parser;
        parser.body_limit(server_->api_.max_body_bytes);
        stream_.expires_after(kReadTimeout);
        auto [ec, unused] = co_await http::async_read_header(stream_, buffer_, parser, kAsTuple);
        if (!ec && Expects100Continue(parser.get())) {
            ec = co_await WriteContinue(parser.get().version());
        }
        if (!ec && !parser.is_done()) {
            std::tie(ec, unused) = co_await http::async_read(stream_, buffer_, parser, kAsTuple);
        }
        if (ec == http::error::body_limit) {
            co_await AnswerTooLarge(parser.get());
            co_return false;
        }
        if (ec) {
            Logger().debug("request not read peer={} error=\"{}\"", peer_, ec.message());
            co_return false;
        }
        http::request<http::string_body> message = parser.release();
        const bool keep_alive = message.keep_alive();
        // Named, not a temporary: g++ 12 destroys temporaries of a co_await expression twice.
        HttpRequest request = ToRequest(message, std::move(message.body()));
        HttpResponse response = co_await CallHandler(std::move(request));
        const bool keep_open = keep_alive && !server_->Stopping();
        const bool written = co_await Write(std::move(response), message.version(), keep_open);
        co_return written&& keep_open;
    }

    HttpRequest ToRequest(const http::request<http::string_body>& message, std::string body) {
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.headers = Headers(message);
        request.body = std::move(body);
        request.peer = peer_;
        request.peer_uid = peer_uid_;
        return request;
    }

    asio::awaitable<HttpResponse> CallHandler(HttpRequest request) {
        stream_.expires_never();  // the handler's own work (the database) is bounded elsewhere
        const auto started = Clock::now();
        const std::string method = request.method;
        const std::string target = request.target;
        HttpResponse response;
        try {
            response = co_await server_->handler_(std::move(request));
        } catch (const std::exception& e) {
            Logger().error(
                "handler failed method={} target={} error=\"{}\"", method, target, e.what());
            response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n", {}};
        }
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        Logger().debug("request method={} target={} peer={} status={} duration_ms={}",
                       method,
                       target,
                       peer_,
                       response.status,
                       elapsed.count());
        co_return response;
    }

    // The header is all there is of a request whose body is over the limit: the handler picks
    // the fault's encoding from its target.
    asio::awaitable<void> AnswerTooLarge(const http::request<http::string_body>& message) {
        HttpRequest request = ToRequest(message, {});
        request.body_too_large = true;
        HttpResponse response = co_await CallHandler(std::move(request));
        const bool written = co_await Write(std::move(response), message.version(), false);
        if (written) {
            co_await DrainAndClose();
        }
    }

    // Closing with unread request bytes makes the kernel reset the connection, which can
    // destroy the answer before the client reads it (RFC 9112 §9.6): half-close, then discard
    // what the client still sends for a bounded time.
    asio::awaitable<void> DrainAndClose() {
        beast::error_code ec;
        stream_.socket().shutdown(Protocol::socket::shutdown_send, ec);
        stream_.expires_after(kDrainTimeout);
        std::array<char, 4096> discard;
        while (!ec) {
            std::size_t unused = 0;
            std::tie(ec, unused) =
                co_await stream_.async_read_some(asio::buffer(discard), kAsTuple);
        }
    }

    asio::awaitable<beast::error_code> WriteContinue(unsigned version) {
        http::response<http::empty_body> message(http::status::continue_, version);
        stream_.expires_after(kWriteTimeout);
        const auto [ec, unused] = co_await http::async_write(stream_, message, kAsTuple);
        co_return ec;
    }

    asio::awaitable<bool> Write(HttpResponse response, unsigned version, bool keep_alive) {
        http::response<http::string_body> message =
            ToMessage(std::move(response), version, keep_alive);
        stream_.expires_after(kWriteTimeout);
        const auto [ec, unused] = co_await http::async_write(stream_, message, kAsTuple);
        if (ec) {
            Logger().debug("response not written peer={} error=\"{}\"", peer_, ec.message());
        }
        co_return !ec;
    }

    // Session strand only.
    beast::basic_stream<Protocol> stream_;
    beast::flat_buffer buffer_;
    bool idle_ = false;
    // Fixed at accept.
    const std::shared_ptr<Impl> server_;
    const std::string peer_;
    const std::optional<unsigned> peer_uid_;
};

void HttpServer::Impl::Start() {
    for (const config::ListenAddress& address : api_.listen) {
        tcp_acceptors_.push_back(OpenTcp(address));
        endpoints_.push_back(ToString(tcp_acceptors_.back()->local_endpoint()));
        Logger().info("listening endpoint={}", endpoints_.back());
    }
    if (!api_.unix_socket.empty()) {
        local_acceptor_ = OpenLocal(api_.unix_socket);
        Logger().info("listening unix_socket={}", api_.unix_socket.string());
    }
    for (const auto& acceptor : tcp_acceptors_) {
        SpawnAcceptLoop(acceptor);
    }
    if (local_acceptor_) {
        SpawnAcceptLoop(local_acceptor_);
    }
}

std::shared_ptr<HttpServer::Impl::TcpAcceptor> HttpServer::Impl::OpenTcp(
    const config::ListenAddress& address) {
    const std::string where = address.host + ":" + std::to_string(address.port);
    boost::system::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(address.host, ec), address.port);
    if (ec) {
        throw ListenerError("api.listen", where, MessageId::ListenHostNotIp);
    }
    auto acceptor = std::make_shared<TcpAcceptor>(strand_);
    try {
        acceptor->open(endpoint.protocol());
        acceptor->set_option(asio::socket_base::reuse_address(true));
        acceptor->bind(endpoint);
        acceptor->listen(asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
        throw ListenerError("api.listen", where, e.code().message());
    }
    return acceptor;
}

std::shared_ptr<HttpServer::Impl::LocalAcceptor> HttpServer::Impl::OpenLocal(
    const std::filesystem::path& path) {
    std::error_code fs_ec;
    const std::filesystem::file_status status = std::filesystem::symlink_status(path, fs_ec);
    if (std::filesystem::exists(status) && !std::filesystem::is_socket(status)) {
        throw ListenerError("api.unix_socket", path.string(), MessageId::ListenPathNotSocket);
    }
    std::filesystem::remove(path, fs_ec);  // a stale socket of a previous run
    auto acceptor = std::make_shared<LocalAcceptor>(strand_);
    try {
        const Local::endpoint endpoint(path.string());
        acceptor->open(endpoint.protocol());
        acceptor->bind(endpoint);
        acceptor->listen(asio::socket_base::max_listen_connections);
        std::filesystem::permissions(path, kUnixSocketMode);
    } catch (const boost::system::system_error& e) {
        throw ListenerError("api.unix_socket", path.string(), e.code().message());
    } catch (const std::filesystem::filesystem_error& e) {
        throw ListenerError("api.unix_socket", path.string(), e.code().message());
    }
    return acceptor;
}

template <class Acceptor>
void HttpServer::Impl::SpawnAcceptLoop(std::shared_ptr<Acceptor> acceptor) {
    Enter();
    // The handler's copy of `self` keeps the server alive while the loop runs.
    asio::co_spawn(strand_,
                   AcceptLoop(std::move(acceptor)),
                   [self = shared_from_this()](std::exception_ptr error) {
                       LogFailure("accept loop", error);
                       self->Leave();
                   });
}

template <class Acceptor>
asio::awaitable<void> HttpServer::Impl::AcceptLoop(std::shared_ptr<Acceptor> acceptor) {
    using Protocol = typename Acceptor::protocol_type;
    for (;;) {
        // Named, not a temporary: g++ 12 destroys temporaries of a co_await expression twice.
        asio::any_io_executor strand = asio::make_strand(io_context_);
        auto [ec, socket] = co_await acceptor->async_accept(strand, kAsTuple);
        if (!acceptor->is_open()) {
            co_return;  // Stop closed it
        }
        if (ec) {
            Logger().warn("accept failed error=\"{}\"", ec.message());
            asio::steady_timer delay(strand_, kAcceptRetryDelay);
            co_await delay.async_wait(kAsTuple);
            continue;
        }
        Spawn<Protocol>(std::move(socket));
    }
}

template <class Protocol>
void HttpServer::Impl::Spawn(typename Protocol::socket socket) {
    std::string peer = "?";
    std::optional<unsigned> uid;
    if constexpr (std::is_same_v<Protocol, Local>) {
        uid = PeerUid(socket.native_handle());
        peer = "unix:uid=" + (uid ? std::to_string(*uid) : peer);
    } else {
        boost::system::error_code ec;
        const tcp::endpoint endpoint = socket.remote_endpoint(ec);
        peer = ec ? peer : ToString(endpoint);
    }
    auto session = std::make_shared<Session<Protocol>>(
        std::move(socket), shared_from_this(), std::move(peer), uid);
    Register(session);
    // The handler's copy of `session` keeps it alive while Run() uses `this`.
    asio::co_spawn(session->Executor(),
                   session->Run(),
                   [self = shared_from_this(), session](std::exception_ptr error) {
                       LogFailure("connection", error);
                       self->Unregister(session.get());
                   });
}

void HttpServer::Impl::Stop(std::function<void()> on_stopped) {
    Enter();  // so an empty server completes through Leave() like any other
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        on_stopped_ = std::move(on_stopped);
    }
    // The acceptors belong to the server strand.
    asio::post(strand_, [self = shared_from_this()] {
        self->CloseAcceptors();
        self->Leave();
    });
}

void HttpServer::Impl::CloseAcceptors() {
    beast::error_code ignored;
    for (const auto& acceptor : tcp_acceptors_) {
        acceptor->close(ignored);
    }
    if (local_acceptor_) {
        local_acceptor_->close(ignored);
        std::filesystem::remove(api_.unix_socket, ignored);
    }
    std::vector<std::shared_ptr<Connection>> connections;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [key, weak] : connections_) {
            if (auto connection = weak.lock()) {
                connections.push_back(std::move(connection));
            }
        }
    }
    for (const auto& connection : connections) {
        connection->CloseIfIdle();
    }
}

bool HttpServer::Impl::Stopping() const {
    const std::lock_guard lock(mutex_);
    return stopping_;
}

void HttpServer::Impl::Enter() {
    const std::lock_guard lock(mutex_);
    ++active_;
}

void HttpServer::Impl::Leave() {
    std::function<void()> on_stopped;
    {
        const std::lock_guard lock(mutex_);
        --active_;
        if (active_ == 0 && stopping_) {
            on_stopped = std::move(on_stopped_);
            on_stopped_ = nullptr;
        }
    }
    if (on_stopped) {
        asio::post(io_context_, std::move(on_stopped));
    }
}

void HttpServer::Impl::Register(const std::shared_ptr<Connection>& connection) {
    const std::lock_guard lock(mutex_);
    ++active_;
    connections_.emplace(connection.get(), connection);
}

void HttpServer::Impl::Unregister(const Connection* connection) {
    {
        const std::lock_guard lock(mutex_);
        connections_.erase(connection);
    }
    Leave();
}

HttpServer::HttpServer(asio::io_context& io_context, const config::Api& api, Handler handler)
    : impl_(std::make_shared<Impl>(io_context, api, std::move(handler))) {}

HttpServer::~HttpServer() = default;

void HttpServer::Start() {
    impl_->Start();
}

std::vector<std::string> HttpServer::Endpoints() const {
    return impl_->Endpoints();
}

void HttpServer::Stop(std::function<void()> on_stopped) {
    impl_->Stop(std::move(on_stopped));
}

}  // namespace jobd::api
