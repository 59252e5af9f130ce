#include "jobd/api/http_server.hpp"

#include <chrono>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "jobd/api/detail/http_session.hpp"
#include "jobd/api/detail/tls_session.hpp"
#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

using detail::kAsTuple;
using detail::LogFailure;
using detail::Logger;
using detail::asio::ip::tcp;
using Local = detail::asio::local::stream_protocol;
namespace asio = detail::asio;
namespace beast = detail::beast;

// After a failed accept (EMFILE, ...), so a persistent error does not spin the io thread.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr auto kUnixSocketMode = std::filesystem::perms(0660);

std::string ToString(const tcp::endpoint& endpoint) {
    const std::string host = endpoint.address().to_string();
    const std::string port = std::to_string(endpoint.port());
    return endpoint.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

std::optional<unsigned> PeerUid(int fd) {
    ucred credentials{};
    socklen_t size = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
        return std::nullopt;
    }
    return credentials.uid;
}

// Plain HTTP over TCP or the unix socket (see detail/http_session.hpp for the members' meaning).
template <class Protocol>
struct PlainTransport {
    using Stream = beast::basic_stream<Protocol>;

    static Stream& Lowest(Stream& stream) { return stream; }

    static asio::awaitable<bool> Open(Stream&, const std::string&) { co_return true; }

    static bool HasBufferedInput(Stream&) { return false; }

    static void HalfClose(Stream& stream) {
        beast::error_code ignored;
        stream.socket().shutdown(asio::socket_base::shutdown_send, ignored);
    }

    static asio::awaitable<void> Close(Stream& stream) {
        beast::error_code ignored;
        stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
        stream.close();
        co_return;
    }
};

Error ListenerError(const std::string& key, const std::string& where, const std::string& why) {
    return Error(ErrorKind::Unavailable,
                 Message(MessageId::ListenFailed, {{"address", where}, {"problem", why}}),
                 key);
}

Error ListenerError(const std::string& key, const std::string& where, MessageId why) {
    return Error(ErrorKind::Unavailable, Message(why, {{"address", where}}), key);
}

}  // namespace

class HttpServer::Impl : public detail::SessionHost,
                         public std::enable_shared_from_this<HttpServer::Impl> {
public:
    Impl(asio::io_context& io_context,
         const config::Api& api,
         Handler handler,
         std::shared_ptr<asio::ssl::context> tls)
        : io_context_(io_context),
          strand_(asio::make_strand(io_context)),
          api_(api),
          handler_(std::move(handler)),
          tls_(std::move(tls)) {}

    void Start();
    void Stop(std::function<void()> on_stopped);
    void SetTlsContext(std::shared_ptr<asio::ssl::context> tls);

    const std::vector<std::string>& Endpoints() const { return endpoints_; }

    bool Stopping() const override;

    std::size_t MaxBodyBytes() const override { return api_.max_body_bytes; }

    const Handler& RequestHandler() const override { return handler_; }

    void Register(const std::shared_ptr<detail::Connection>& connection) override;
    void Unregister(const detail::Connection* connection) override;

private:
    using TcpAcceptor = tcp::acceptor;
    using LocalAcceptor = Local::acceptor;

    std::shared_ptr<TcpAcceptor> OpenTcp(const config::ListenAddress& address);
    std::shared_ptr<LocalAcceptor> OpenLocal(const std::filesystem::path& path);
    template <class Acceptor>
    asio::awaitable<void> AcceptLoop(std::shared_ptr<Acceptor> acceptor, bool tls);
    template <class Protocol>
    void Spawn(typename Protocol::socket socket, bool tls);
    template <class Acceptor>
    void SpawnAcceptLoop(std::shared_ptr<Acceptor> acceptor, bool tls);
    void CloseAcceptors();
    std::shared_ptr<asio::ssl::context> TlsContext() const;

    void Enter();
    void Leave();

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
    std::shared_ptr<asio::ssl::context> tls_;  // for connections accepted from now on
    bool stopping_ = false;
    std::size_t active_ = 0;  // accept loops + connections + a Stop in progress (the gate)
    std::function<void()> on_stopped_;
    std::map<const detail::Connection*, std::weak_ptr<detail::Connection>> connections_;
};

void HttpServer::Impl::Start() {
    for (const config::ListenAddress& address : api_.listen) {
        tcp_acceptors_.push_back(OpenTcp(address));
        const tcp::endpoint endpoint = tcp_acceptors_.back()->local_endpoint();
        endpoints_.push_back((address.tls ? "https://" : "") + ToString(endpoint));
        Logger().info("listening endpoint={}", endpoints_.back());
        if (!address.tls && !endpoint.address().is_loopback()) {
            Logger().warn(
                "listening without tls on a non-loopback address, credentials cross the "
                "network in clear endpoint={}",
                endpoints_.back());
        }
    }
    if (!api_.unix_socket.empty()) {
        local_acceptor_ = OpenLocal(api_.unix_socket);
        Logger().info("listening unix_socket={}", api_.unix_socket.string());
    }
    for (std::size_t i = 0; i < tcp_acceptors_.size(); ++i) {
        SpawnAcceptLoop(tcp_acceptors_[i], api_.listen[i].tls);
    }
    if (local_acceptor_) {
        SpawnAcceptLoop(local_acceptor_, false);
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
    if (address.tls && !TlsContext()) {
        throw ListenerError("api.listen", where, "HTTPS needs api.tls");
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
void HttpServer::Impl::SpawnAcceptLoop(std::shared_ptr<Acceptor> acceptor, bool tls) {
    Enter();
    // The handler's copy of `self` keeps the server alive while the loop runs.
    asio::co_spawn(strand_,
                   AcceptLoop(std::move(acceptor), tls),
                   [self = shared_from_this()](std::exception_ptr error) {
                       LogFailure("accept loop", error);
                       self->Leave();
                   });
}

template <class Acceptor>
asio::awaitable<void> HttpServer::Impl::AcceptLoop(std::shared_ptr<Acceptor> acceptor, bool tls) {
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
        Spawn<Protocol>(std::move(socket), tls);
    }
}

template <class Protocol>
void HttpServer::Impl::Spawn(typename Protocol::socket socket, bool tls) {
    std::string peer = "?";
    if constexpr (std::is_same_v<Protocol, Local>) {
        const std::optional<unsigned> uid = PeerUid(socket.native_handle());
        peer = "unix:uid=" + (uid ? std::to_string(*uid) : peer);
        detail::SpawnSession<PlainTransport<Local>>(
            beast::basic_stream<Local>(std::move(socket)), shared_from_this(), peer, uid);
    } else {
        boost::system::error_code ec;
        const tcp::endpoint endpoint = socket.remote_endpoint(ec);
        peer = ec ? peer : ToString(endpoint);
        if (tls) {
            detail::SpawnTlsSession(std::move(socket), TlsContext(), shared_from_this(), peer);
            return;
        }
        detail::SpawnSession<PlainTransport<tcp>>(
            beast::basic_stream<tcp>(std::move(socket)), shared_from_this(), peer, std::nullopt);
    }
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
    std::vector<std::shared_ptr<detail::Connection>> connections;
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

void HttpServer::Impl::SetTlsContext(std::shared_ptr<asio::ssl::context> tls) {
    const std::lock_guard lock(mutex_);
    tls_ = std::move(tls);
}

std::shared_ptr<asio::ssl::context> HttpServer::Impl::TlsContext() const {
    const std::lock_guard lock(mutex_);
    return tls_;
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

void HttpServer::Impl::Register(const std::shared_ptr<detail::Connection>& connection) {
    const std::lock_guard lock(mutex_);
    ++active_;
    connections_.emplace(connection.get(), connection);
}

void HttpServer::Impl::Unregister(const detail::Connection* connection) {
    {
        const std::lock_guard lock(mutex_);
        connections_.erase(connection);
    }
    Leave();
}

HttpServer::HttpServer(asio::io_context& io_context,
                       const config::Api& api,
                       Handler handler,
                       std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_shared<Impl>(io_context, api, std::move(handler), std::move(tls))) {}

HttpServer::~HttpServer() = default;

void HttpServer::Start() {
    impl_->Start();
}

std::vector<std::string> HttpServer::Endpoints() const {
    return impl_->Endpoints();
}

void HttpServer::SetTlsContext(std::shared_ptr<asio::ssl::context> tls) {
    impl_->SetTlsContext(std::move(tls));
}

void HttpServer::Stop(std::function<void()> on_stopped) {
    impl_->Stop(std::move(on_stopped));
}

}  // namespace jobd::api
