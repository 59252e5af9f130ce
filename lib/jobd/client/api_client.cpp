#include "jobd/client/api_client.hpp"

#include <cstdint>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "jobd/model/error.hpp"

namespace jobd::client {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// getJobLogDetails pages hold at most 1000 details of at most a few KiB each.
constexpr std::uint64_t kMaxAnswerBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxReasonBytes = 200;

std::string ComposeMessage(const std::string& fault,
                           int code,
                           const std::string& reason,
                           int http_status) {
    if (fault.empty()) {
        return "HTTP " + std::to_string(http_status) + ": " + reason;
    }
    return fault + " " + std::to_string(code) + ": " + reason;
}

// `stream` lives in the caller's frame, which awaits this coroutine at once.
template <typename Stream>
asio::awaitable<Response> Exchange(Stream& stream, Request request) {
    co_await http::async_write(stream, request, asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBytes);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    co_return parser.release();
}

asio::awaitable<Response> OverTcp(std::string host, std::string port, Request request) {
    const auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    const auto addresses = co_await resolver.async_resolve(host, port, asio::use_awaitable);
    asio::ip::tcp::socket socket(executor);
    co_await asio::async_connect(socket, addresses, asio::use_awaitable);
    co_return co_await Exchange(socket, std::move(request));
}

// A client context checking the server's certificate against --cacert or the system's CAs.
ssl::context ClientContext(const TlsOptions& tls) {
    ssl::context context(ssl::context::tls_client);
    if (tls.insecure) {
        context.set_verify_mode(ssl::verify_none);
        return context;
    }
    context.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (tls.ca_file.empty()) {
        context.set_default_verify_paths(ec);
    } else {
        context.load_verify_file(tls.ca_file, ec);
    }
    if (ec) {
        const std::string source =
            tls.ca_file.empty() ? "the system's CA certificates" : tls.ca_file;
        throw Error(
            ErrorKind::InvalidParameter,
            Message(MessageId::CliCaCertUnreadable, {{"source", source}, {"error", ec.message()}}),
            "--cacert");
    }
    return context;
}

// OpenSSL's own check of the name in the URL: a DNS name (also sent as SNI) or an IP address.
void ExpectHost(SSL* handle, const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    if (ec) {
        SSL_set_tlsext_host_name(handle, host.c_str());
        SSL_set1_host(handle, host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), host.c_str());
    }
}

// `context` lives in the caller's frame, which runs this coroutine to its end. `where` names
// the URL in a certificate error.
asio::awaitable<Response> OverHttps(
    ssl::context& context, std::string host, std::string port, std::string where, Request request) {
    const auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    const auto addresses = co_await resolver.async_resolve(host, port, asio::use_awaitable);
    ssl::stream<asio::ip::tcp::socket> stream(executor, context);
    ExpectHost(stream.native_handle(), host);
    co_await asio::async_connect(stream.next_layer(), addresses, asio::use_awaitable);
    const auto [ec] = co_await stream.async_handshake(ssl::stream_base::client,
                                                      asio::as_tuple(asio::use_awaitable));
    const long verified = SSL_get_verify_result(stream.native_handle());
    if (ec && verified != X509_V_OK) {
        throw TransportError(
            "request to " + where + " failed: the server's certificate is not " +
            "trusted: " + X509_verify_cert_error_string(verified) +
            " (give its CA with --cacert FILE, or skip the check with --insecure)");
    }
    if (ec) {
        throw boost::system::system_error(ec);
    }
    co_return co_await Exchange(stream, std::move(request));
}

asio::awaitable<Response> OverUnix(std::string path, Request request) {
    const auto executor = co_await asio::this_coro::executor;
    asio::local::stream_protocol::socket socket(executor);
    co_await socket.async_connect(asio::local::stream_protocol::endpoint(path),
                                  asio::use_awaitable);
    co_return co_await Exchange(socket, std::move(request));
}

// Runs the exchange on a private io_context; whatever is unfinished at the deadline is
// abandoned with the io_context (closing its socket), which is how the timeout cancels.
Response RunWithDeadline(asio::awaitable<Response> exchange, const ClientOptions& options) {
    asio::io_context io;
    std::optional<Response> response;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(exchange), [&](std::exception_ptr error, Response answer) {
        failure = error;
        response = std::move(answer);
    });
    io.run_for(options.timeout);
    const std::string& where = options.endpoint.display;
    if (!failure && !response) {
        throw TransportError("no answer from " + where + " within " +
                             std::to_string(options.timeout.count()) + " ms");
    }
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const boost::system::system_error& error) {
            throw TransportError("request to " + where + " failed: " + error.code().message());
        }
    }
    return std::move(*response);
}

std::string HostHeader(const Endpoint& endpoint) {
    if (endpoint.transport == Transport::Unix) {
        return "localhost";
    }
    const bool ipv6 = endpoint.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + endpoint.port;
}

std::optional<ClientError> FaultIn(const json::object& answer, int http_status) {
    const json::value* fault = answer.if_contains("fault");
    if (fault == nullptr || !fault->is_string()) {
        return std::nullopt;
    }
    const json::value* code = answer.if_contains("code");
    const json::value* reason = answer.if_contains("reason");
    return ClientError(
        std::string(fault->get_string()),
        code != nullptr && code->is_int64() ? static_cast<int>(code->get_int64()) : 0,
        reason != nullptr && reason->is_string() ? std::string(reason->get_string())
                                                 : std::string(),
        http_status);
}

// The first line of a non-JSON error body (a proxy's HTML title, a plain-text message).
std::string ReasonWithoutFault(std::string_view body) {
    const std::string_view first_line = body.substr(0, body.find_first_of("\r\n"));
    if (first_line.empty()) {
        return "no fault in the answer";
    }
    return std::string(first_line.substr(0, kMaxReasonBytes));
}

}  // namespace

ClientError::ClientError(std::string fault, int code, std::string reason, int http_status)
    : std::runtime_error(ComposeMessage(fault, code, reason, http_status)),
      fault_(std::move(fault)),
      code_(code),
      reason_(std::move(reason)),
      http_status_(http_status) {}

ApiClient::ApiClient(ClientOptions options) : options_(std::move(options)) {}

json::object ApiClient::Call(std::string_view operation, const json::object& params) const {
    const Endpoint& endpoint = options_.endpoint;
    Request request{http::verb::post, TargetFor(endpoint, operation), 11};
    request.set(http::field::host, HostHeader(endpoint));
    request.set(http::field::user_agent, "jobctl");
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "application/json");
    request.keep_alive(false);
    if (endpoint.transport != Transport::Unix) {
        if (const auto authorization = AuthorizationFor(options_.credentials)) {
            request.set(http::field::authorization, *authorization);
        }
    }
    request.body() = json::serialize(params);
    request.prepare_payload();

    Response response;
    switch (endpoint.transport) {
        case Transport::Http:
            response = RunWithDeadline(OverTcp(endpoint.host, endpoint.port, std::move(request)),
                                       options_);
            break;
        case Transport::Unix:
            response =
                RunWithDeadline(OverUnix(endpoint.socket_path, std::move(request)), options_);
            break;
        case Transport::Https: {
            ssl::context context = ClientContext(options_.tls);
            response = RunWithDeadline(
                OverHttps(
                    context, endpoint.host, endpoint.port, endpoint.display, std::move(request)),
                options_);
            break;
        }
    }
    return ParseAnswer(static_cast<int>(response.result_int()), response.body());
}

json::object ParseAnswer(int http_status, std::string_view body) {
    const bool ok = http_status >= 200 && http_status < 300;
    if (ok && body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return {};  // an empty answer is an empty return element (stopJob and friends)
    }
    boost::system::error_code error;
    json::value value = json::parse(body, error);
    json::object* answer = error ? nullptr : value.if_object();
    if (ok) {
        if (answer == nullptr) {
            throw ClientError({}, 0, "the answer is not a JSON object", http_status);
        }
        return std::move(*answer);
    }
    if (answer != nullptr) {
        if (auto fault = FaultIn(*answer, http_status)) {
            throw std::move(*fault);
        }
    }
    throw ClientError({}, 0, ReasonWithoutFault(body), http_status);
}

}  // namespace jobd::client
