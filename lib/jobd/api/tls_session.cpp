#include "jobd/api/detail/tls_session.hpp"

#include <array>
#include <optional>
#include <utility>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include "jobd/api/detail/http_session.hpp"

namespace jobd::api::detail {
namespace {

namespace ssl = asio::ssl;
using asio::ip::tcp;

// A TLS connection opens with a handshake record (RFC 8446 §5.1, content type 22).
constexpr unsigned char kTlsHandshakeRecord = 22;
// The close_notify at the end is sent, not awaited; this bounds its write.
constexpr auto kShutdownTimeout = std::chrono::seconds(2);

constexpr std::string_view kPlainHttpBody =
    "This port speaks HTTPS: use an https:// URL (the certificate is api.tls.cert_file).\n";

struct TlsTransport {
    using Stream = beast::ssl_stream<beast::tcp_stream>;

    static beast::tcp_stream& Lowest(Stream& stream) { return beast::get_lowest_layer(stream); }

    static asio::awaitable<bool> Open(Stream& stream, const std::string& peer) {
        if (!co_await LooksLikeTls(stream, peer)) {
            co_return false;
        }
        Lowest(stream).expires_after(kReadTimeout);
        const auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kAsTuple);
        if (ec) {
            Logger().debug("tls handshake failed peer={} error=\"{}\"", peer, ec.message());
            co_return false;
        }
        co_return true;
    }

    // OpenSSL may hold a decrypted pipelined request that the socket no longer signals.
    static bool HasBufferedInput(Stream& stream) { return SSL_pending(stream.native_handle()) > 0; }

    // A TCP half-close would cut the TLS session; the 413 drain just reads on.
    static void HalfClose(Stream&) {}

    // Sends close_notify without waiting for the peer's (RFC 8446 §6.1 allows it), so a client
    // that never answers cannot hold up the drain of SIGTERM.
    static asio::awaitable<void> Close(Stream& stream) {
        SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
        Lowest(stream).expires_after(kShutdownTimeout);
        co_await stream.async_shutdown(kAsTuple);
        beast::error_code ignored;
        Lowest(stream).socket().shutdown(asio::socket_base::shutdown_both, ignored);
        Lowest(stream).close();
    }

private:
    // False when the peer closed, timed out, or spoke plain HTTP (answered here with a 400).
    static asio::awaitable<bool> LooksLikeTls(Stream& stream, const std::string& peer) {
        using asio::experimental::awaitable_operators::operator||;
        tcp::socket& socket = Lowest(stream).socket();
        asio::steady_timer timer(co_await asio::this_coro::executor, kReadTimeout);
        const auto ready = co_await (socket.async_wait(asio::socket_base::wait_read, kAsTuple) ||
                                     timer.async_wait(kAsTuple));
        if (ready.index() != 0 || std::get<0>(std::get<0>(ready))) {
            co_return false;
        }
        std::array<unsigned char, 1> first{};
        boost::system::error_code ec;
        const std::size_t size = socket.receive(asio::buffer(first), tcp::socket::message_peek, ec);
        if (ec || size == 0) {
            co_return false;
        }
        if (first[0] == kTlsHandshakeRecord) {
            co_return true;
        }
        Logger().debug("plain http on an https listener peer={}", peer);
        co_await AnswerPlainHttp(Lowest(stream));
        co_return false;
    }

    // A fixed 400 like nginx's, then the half-close and drain that let the client read it.
    static asio::awaitable<void> AnswerPlainHttp(beast::tcp_stream& stream) {
        const std::string answer =
            "HTTP/1.1 400 Bad Request\r\nServer: jobd\r\nContent-Type: text/plain; "
            "charset=utf-8\r\nConnection: close\r\nContent-Length: " +
            std::to_string(kPlainHttpBody.size()) + "\r\n\r\n" + std::string(kPlainHttpBody);
        stream.expires_after(kWriteTimeout);
        auto [ec, unused] = co_await asio::async_write(stream, asio::buffer(answer), kAsTuple);
        if (ec) {
            co_return;
        }
        stream.socket().shutdown(asio::socket_base::shutdown_send, ec);
        stream.expires_after(kDrainTimeout);
        std::array<char, 4096> discard;
        while (!ec) {
            std::tie(ec, unused) = co_await stream.async_read_some(asio::buffer(discard), kAsTuple);
        }
    }
};

}  // namespace

void SpawnTlsSession(tcp::socket socket,
                     std::shared_ptr<ssl::context> context,
                     std::shared_ptr<SessionHost> server,
                     std::string peer) {
    TlsTransport::Stream stream(beast::tcp_stream(std::move(socket)), *context);
    SpawnSession<TlsTransport>(
        std::move(stream), std::move(server), std::move(peer), std::nullopt, std::move(context));
}

}  // namespace jobd::api::detail
