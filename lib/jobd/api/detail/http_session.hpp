#pragma once
// One HTTP/1.1 connection of HttpServer, over any stream: included by http_server.cpp (plain TCP
// and the unix socket) and tls_session.cpp (HTTPS) only, as it pulls in Beast.
//
// A Transport supplies what differs between the streams:
//   using Stream;                                        the stream the session owns
//   static beast::basic_stream<…>& Lowest(Stream&);      its TCP or unix stream (timeouts)
//   static awaitable<bool> Open(Stream&, const std::string& peer);  false: close at once
//   static bool HasBufferedInput(Stream&);               request bytes below Beast's buffer
//   static void HalfClose(Stream&);                      stop sending, keep reading
//   static awaitable<void> Close(Stream&);               the orderly end of an opened stream
// Threads: a session runs as a coroutine on its stream's strand; everything here is used there.

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "jobd/api/http_server.hpp"
#include "jobd/log/logger.hpp"

namespace jobd::api::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A keep-alive connection may sit idle this long; a started request must arrive this fast.
inline constexpr auto kIdleTimeout = std::chrono::seconds(30);
inline constexpr auto kReadTimeout = std::chrono::seconds(30);
inline constexpr auto kWriteTimeout = std::chrono::seconds(30);
// How long a refused (413) body is read and discarded before the close, see DrainAndClose.
inline constexpr auto kDrainTimeout = std::chrono::seconds(2);
inline constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

inline spdlog::logger& Logger() {
    return log::Get(log::Subsystem::Api);
}

inline void LogFailure(std::string_view what, const std::exception_ptr& error) {
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        Logger().error("{} failed error=\"{}\"", what, e.what());
    }
}

// What Stop needs of a connection of any transport.
class Connection {
public:
    virtual ~Connection() = default;
    // Closes the connection if it waits for a request; posts to its strand.
    virtual void CloseIfIdle() = 0;
};

// What a session needs of the server; implemented by HttpServer's Impl, which sessions keep
// alive through their shared_ptr. Every method may be called from any session's strand.
class SessionHost {
public:
    virtual ~SessionHost() = default;
    virtual bool Stopping() const = 0;
    virtual std::size_t MaxBodyBytes() const = 0;
    virtual const Handler& RequestHandler() const = 0;
    // The gate of Stop: a registered connection is waited for.
    virtual void Register(const std::shared_ptr<Connection>& connection) = 0;
    virtual void Unregister(const Connection* connection) = 0;
};

inline std::string Lowercase(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return lower;
}

inline std::map<std::string, std::string> Headers(const http::fields& fields) {
    std::map<std::string, std::string> headers;
    for (const auto& field : fields) {
        auto [entry, inserted] = headers.emplace(Lowercase(field.name_string()), field.value());
        if (!inserted) {
            entry->second.append(", ").append(field.value());
        }
    }
    return headers;
}

inline http::response<http::string_body> ToMessage(HttpResponse response,
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

inline bool Expects100Continue(const http::request<http::string_body>& request) {
    return request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue");
}

// One connection: a coroutine on its own strand reading requests until the peer closes, the
// idle timeout or Stop.
template <class Transport>
class Session : public Connection, public std::enable_shared_from_this<Session<Transport>> {
public:
    using Stream = typename Transport::Stream;

    // `keep_alive` is held for the session's life (the TLS context of an HTTPS connection).
    Session(Stream stream,
            std::shared_ptr<SessionHost> server,
            std::string peer,
            std::optional<unsigned> peer_uid,
            std::shared_ptr<const void> keep_alive)
        : stream_(std::move(stream)),
          server_(std::move(server)),
          peer_(std::move(peer)),
          peer_uid_(peer_uid),
          keep_alive_(std::move(keep_alive)) {}

    asio::any_io_executor Executor() { return stream_.get_executor(); }

    asio::awaitable<void> Run() {
        if (!co_await Transport::Open(stream_, peer_)) {
            beast::error_code ignored;
            Socket().shutdown(asio::socket_base::shutdown_both, ignored);
            Transport::Lowest(stream_).close();
            co_return;
        }
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
        co_await Transport::Close(stream_);
    }

    void CloseIfIdle() override {
        // The posted handler keeps the session alive until it has run.
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            if (self->idle_) {
                beast::error_code ignored;
                self->Socket().cancel(ignored);
            }
        });
    }

private:
    auto& Socket() { return Transport::Lowest(stream_).socket(); }

    // True once a request's first bytes are there. While waiting the session is idle: Stop may
    // cancel the wait, but never a request that has begun to arrive.
    asio::awaitable<bool> WaitForRequest() {
        using asio::experimental::awaitable_operators::operator||;
        if (buffer_.size() > 0 || Transport::HasBufferedInput(stream_)) {
            co_return true;  // pipelined
        }
        if (server_->Stopping()) {
            co_return false;
        }
        asio::steady_timer timer(co_await asio::this_coro::executor, kIdleTimeout);
        idle_ = true;
        const auto result = co_await (Socket().async_wait(asio::socket_base::wait_read, kAsTuple) ||
                                      timer.async_wait(kAsTuple));
        idle_ = false;
        co_return result.index() == 0 && !std::get<0>(std::get<0>(result));
    }

    // Reads, answers; true when the connection stays open for another request.
    asio::awaitable<bool> Serve() {
        http::request_parser<http::string_body> parser;
        parser.body_limit(server_->MaxBodyBytes());
        Transport::Lowest(stream_).expires_after(kReadTimeout);
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
        // The handler's own work (the database) is bounded elsewhere.
        Transport::Lowest(stream_).expires_never();
        const auto started = std::chrono::steady_clock::now();
        const std::string method = request.method;
        const std::string target = request.target;
        HttpResponse response;
        try {
            response = co_await server_->RequestHandler()(std::move(request));
        } catch (const std::exception& e) {
            Logger().error(
                "handler failed method={} target={} error=\"{}\"", method, target, e.what());
            response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n", {}};
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
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
        Transport::HalfClose(stream_);
        Transport::Lowest(stream_).expires_after(kDrainTimeout);
        std::array<char, 4096> discard;
        beast::error_code ec;
        while (!ec) {
            std::size_t unused = 0;
            std::tie(ec, unused) =
                co_await stream_.async_read_some(asio::buffer(discard), kAsTuple);
        }
    }

    asio::awaitable<beast::error_code> WriteContinue(unsigned version) {
        http::response<http::empty_body> message(http::status::continue_, version);
        Transport::Lowest(stream_).expires_after(kWriteTimeout);
        const auto [ec, unused] = co_await http::async_write(stream_, message, kAsTuple);
        co_return ec;
    }

    asio::awaitable<bool> Write(HttpResponse response, unsigned version, bool keep_alive) {
        http::response<http::string_body> message =
            ToMessage(std::move(response), version, keep_alive);
        Transport::Lowest(stream_).expires_after(kWriteTimeout);
        const auto [ec, unused] = co_await http::async_write(stream_, message, kAsTuple);
        if (ec) {
            Logger().debug("response not written peer={} error=\"{}\"", peer_, ec.message());
        }
        co_return !ec;
    }

    // Session strand only.
    Stream stream_;
    beast::flat_buffer buffer_;
    bool idle_ = false;
    // Fixed at accept.
    const std::shared_ptr<SessionHost> server_;
    const std::string peer_;
    const std::optional<unsigned> peer_uid_;
    const std::shared_ptr<const void> keep_alive_;
};

// Registers a session with the server's gate and runs it on its stream's strand.
template <class Transport>
void SpawnSession(typename Transport::Stream stream,
                  std::shared_ptr<SessionHost> server,
                  std::string peer,
                  std::optional<unsigned> peer_uid,
                  std::shared_ptr<const void> keep_alive = nullptr) {
    auto session = std::make_shared<Session<Transport>>(
        std::move(stream), server, std::move(peer), peer_uid, std::move(keep_alive));
    server->Register(session);
    // The handler's copy of `session` keeps it alive while Run() uses `this`.
    asio::co_spawn(
        session->Executor(), session->Run(), [server, session](std::exception_ptr error) {
            LogFailure("connection", error);
            server->Unregister(session.get());
        });
}

}  // namespace jobd::api::detail
