#include "support/tcp_proxy.hpp"

#include <array>
#include <atomic>
#include <future>
#include <list>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace jobd::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Closes with an RST (linger 0), as a crashed peer or a cut network looks to the other side.
void Reset(tcp::socket& socket) {
    boost::system::error_code ec;
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
}

// One proxied connection: two sockets and a pump each way. Lives in Impl::pairs_.
struct Pair {
    explicit Pair(asio::io_context& io) : client(io), server(io) {}

    tcp::socket client;
    tcp::socket server;
    std::array<char, 16384> up{};
    std::array<char, 16384> down{};
    bool closed = false;

    void Close() {
        if (!closed) {
            closed = true;
            Reset(client);
            Reset(server);
        }
    }
};

}  // namespace

// Everything below runs on io_'s thread only.
class TcpProxy::Impl {
public:
    Impl(std::string host, std::uint16_t port)
        : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          target_(asio::ip::make_address(host), port) {
        Accept();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~Impl() {
        OnIo([this] {
            boost::system::error_code ec;
            acceptor_.close(ec);
            for (auto& pair : pairs_) {
                pair->Close();
            }
        });
        io_.stop();
        thread_.join();
    }

    std::uint16_t Port() const { return acceptor_.local_endpoint().port(); }

    void DropAll() {
        OnIo([this] {
            for (auto& pair : pairs_) {
                pair->Close();
            }
            pairs_.clear();  // pending handlers keep their Pair alive through shared_ptr
        });
    }

    void Refuse(bool refuse) {
        OnIo([this, refuse] { refuse_ = refuse; });
    }

    void CutAfter(std::string marker, int count) {
        OnIo([this, &marker, count] {
            cut_marker_ = std::move(marker);
            cuts_left_ = count;
        });
    }

    int Cuts() const { return cuts_.load(); }

    int Accepted() const { return accepted_.load(); }

private:
    // Runs fn on the io thread and waits for it.
    template <typename Fn>
    void OnIo(Fn fn) {
        std::promise<void> done;
        asio::post(io_, [&] {
            fn();
            done.set_value();
        });
        done.get_future().wait();
    }

    void Accept() {
        auto pair = std::make_shared<Pair>(io_);
        acceptor_.async_accept(pair->client, [this, pair](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
                return;  // the acceptor closed
            }
            if (ec) {
                Accept();  // a client that gave up before its accept (ECONNABORTED)
                return;
            }
            if (refuse_) {
                Reset(pair->client);
            } else {
                Connect(pair);
            }
            Accept();
        });
    }

    void Connect(const std::shared_ptr<Pair>& pair) {
        pairs_.remove_if([](const auto& old) { return old->closed; });
        pairs_.push_back(pair);
        pair->server.async_connect(target_, [this, pair](const boost::system::error_code& ec) {
            if (ec || pair->closed) {
                pair->Close();
                return;
            }
            ++accepted_;
            Pump(pair, true);
            Pump(pair, false);
        });
    }

    // Copies client -> server (upstream) or server -> client until either side ends, then
    // closes both. Sockets and buffers are the pair's, which the handlers keep alive.
    void Pump(const std::shared_ptr<Pair>& pair, bool upstream) {
        tcp::socket& from = upstream ? pair->client : pair->server;
        auto& buffer = upstream ? pair->up : pair->down;
        from.async_read_some(asio::buffer(buffer),
                             [this, pair, upstream](boost::system::error_code ec, std::size_t n) {
                                 OnRead(pair, upstream, ec, n);
                             });
    }

    void OnRead(const std::shared_ptr<Pair>& pair,
                bool upstream,
                boost::system::error_code ec,
                std::size_t n) {
        if (ec || pair->closed) {
            pair->Close();
            return;
        }
        tcp::socket& to = upstream ? pair->server : pair->client;
        auto& buffer = upstream ? pair->up : pair->down;
        asio::async_write(
            to,
            asio::buffer(buffer.data(), n),
            [this, pair, upstream, n](boost::system::error_code write_ec, std::size_t) {
                OnWritten(pair, upstream, write_ec, n);
            });
    }

    void OnWritten(const std::shared_ptr<Pair>& pair,
                   bool upstream,
                   boost::system::error_code ec,
                   std::size_t n) {
        if (ec || pair->closed) {
            pair->Close();
            return;
        }
        if (upstream && CutsHere(pair->up, n)) {
            // The client is gone; the server still reads the query, commits and answers, and
            // the down pump then fails on the client and closes the pair.
            Reset(pair->client);
            boost::system::error_code ignored;
            pair->server.shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        Pump(pair, upstream);
    }

    // A chunk from a client holding the marker, while cuts are asked for.
    bool CutsHere(const std::array<char, 16384>& buffer, std::size_t n) {
        if (cuts_left_ <= 0 ||
            std::string_view(buffer.data(), n).find(cut_marker_) == std::string_view::npos) {
            return false;
        }
        --cuts_left_;
        ++cuts_;
        return true;
    }

    asio::io_context io_;
    tcp::acceptor acceptor_;
    tcp::endpoint target_;
    std::list<std::shared_ptr<Pair>> pairs_;
    bool refuse_ = false;
    std::string cut_marker_;
    int cuts_left_ = 0;
    std::atomic<int> cuts_{0};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

TcpProxy::TcpProxy(std::string target_host, std::uint16_t target_port)
    : impl_(std::make_unique<Impl>(std::move(target_host), target_port)) {}

TcpProxy::~TcpProxy() = default;

std::uint16_t TcpProxy::port() const {
    return impl_->Port();
}

void TcpProxy::DropAll() {
    impl_->DropAll();
}

void TcpProxy::Refuse(bool refuse) {
    impl_->Refuse(refuse);
}

void TcpProxy::CutAfter(std::string marker, int count) {
    impl_->CutAfter(std::move(marker), count);
}

int TcpProxy::Cuts() const {
    return impl_->Cuts();
}

int TcpProxy::Accepted() const {
    return impl_->Accepted();
}

std::string WithHostPort(const std::string& url, const std::string& host, std::uint16_t port) {
    boost::urls::url parsed = boost::urls::parse_uri(url).value();
    parsed.set_host(host);
    parsed.set_port_number(port);
    return std::string(parsed.buffer());
}

}  // namespace jobd::test
