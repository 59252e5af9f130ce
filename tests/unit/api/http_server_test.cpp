#include "jobd/api/http_server.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Response = http::response<http::string_body>;

// Every wait in these tests ends by this deadline, so a regression fails instead of hanging.
constexpr auto kDeadline = std::chrono::seconds(10);

// Echoes what the server handed over, so tests can see it.
asio::awaitable<HttpResponse> Echo(HttpRequest request) {
    const boost::json::object seen{
        {"method", request.method},
        {"target", request.target},
        {"body", request.body},
        {"peer", request.peer},
        {"peer_uid", request.peer_uid ? boost::json::value(*request.peer_uid) : nullptr},
        {"body_too_large", request.body_too_large},
        {"x_test", request.headers.count("x-test") ? request.headers.at("x-test") : ""},
    };
    co_return HttpResponse{
        request.body_too_large ? 413 : 200, "application/json", boost::json::serialize(seen), {}};
}

// A handler that tells the test it has started, then waits until the test cancels `release`.
asio::awaitable<HttpResponse> WaitForRelease(std::shared_ptr<std::promise<void>> entered,
                                             std::shared_ptr<asio::steady_timer> release) {
    entered->set_value();
    co_await release->async_wait(asio::as_tuple(asio::use_awaitable));
    co_return HttpResponse{200, "text/plain", "done", {}};
}

http::request<http::string_body> Post(std::string target, std::string body) {
    http::request<http::string_body> request(http::verb::post, target, 11);
    request.set(http::field::host, "localhost");
    request.set("X-Test", "yes");
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
}

// One request and its answer on an open client stream.
template <class Stream>
asio::awaitable<Response> Exchange(std::shared_ptr<Stream> stream,
                                   std::shared_ptr<beast::flat_buffer> buffer,
                                   http::request<http::string_body> request) {
    stream->expires_after(kDeadline);
    co_await http::async_write(*stream, request, asio::use_awaitable);
    Response response;
    co_await http::async_read(*stream, *buffer, response, asio::use_awaitable);
    co_return response;
}

boost::json::object Seen(const Response& response) {
    return boost::json::parse(response.body()).as_object();
}

class HttpServerTest : public ::testing::Test {
protected:
    using TcpStream = beast::basic_stream<asio::ip::tcp>;

    void StartServer(config::Api api, Handler handler = Echo) {
        server_ = std::make_unique<HttpServer>(io_context_, api, std::move(handler));
        server_->Start();
        thread_ = std::thread([this] { io_context_.run(); });
    }

    void TearDown() override {
        if (server_ && !stopped_) {
            EXPECT_TRUE(StopServer());
        }
        work_.reset();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    // Ready once Stop has completed.
    std::future<void> BeginStop() {
        stopped_ = true;
        auto done = std::make_shared<std::promise<void>>();
        server_->Stop([done] { done->set_value(); });
        return done->get_future();
    }

    // True when Stop completed within the deadline.
    bool StopServer() { return BeginStop().wait_for(kDeadline) == std::future_status::ready; }

    // Runs a client coroutine on the io thread and waits for it with the deadline.
    template <class T>
    T Run(asio::awaitable<T> body) {
        std::future<T> result = asio::co_spawn(io_context_, std::move(body), asio::use_future);
        if (result.wait_for(kDeadline) != std::future_status::ready) {
            throw std::runtime_error("client did not finish before the deadline");
        }
        return result.get();
    }

    asio::ip::tcp::endpoint ServerEndpoint() const {
        const std::string endpoint = server_->Endpoints().at(0);
        const auto colon = endpoint.rfind(':');
        return {asio::ip::make_address(endpoint.substr(0, colon)),
                static_cast<unsigned short>(std::stoi(endpoint.substr(colon + 1)))};
    }

    std::shared_ptr<TcpStream> Connect() {
        auto stream = std::make_shared<TcpStream>(io_context_);
        Run([](std::shared_ptr<TcpStream> s, asio::ip::tcp::endpoint e) -> asio::awaitable<int> {
            s->expires_after(kDeadline);
            co_await s->async_connect(e, asio::use_awaitable);
            co_return 0;
        }(stream, ServerEndpoint()));
        return stream;
    }

    static config::Api LoopbackApi() {
        config::Api api;
        api.listen = {{"127.0.0.1", 0}};
        api.unix_socket.clear();
        api.max_body_bytes = 64;
        return api;
    }

    asio::io_context io_context_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ =
        asio::make_work_guard(io_context_);
    std::thread thread_;
    std::unique_ptr<HttpServer> server_;
    bool stopped_ = false;
};

TEST_F(HttpServerTest, ReportsTheBoundEphemeralPort) {
    StartServer(LoopbackApi());
    ASSERT_EQ(server_->Endpoints().size(), 1u);
    EXPECT_NE(ServerEndpoint().port(), 0);
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveBetweenRequests) {
    StartServer(LoopbackApi());
    auto stream = Connect();
    auto buffer = std::make_shared<beast::flat_buffer>();
    const Response first = Run(Exchange(stream, buffer, Post("/IpsApi", "<a/>")));
    const Response second = Run(Exchange(stream, buffer, Post("/api/v1/executeJob", "{}")));
    EXPECT_EQ(first.result_int(), 200);
    EXPECT_TRUE(first.keep_alive());
    EXPECT_EQ(Seen(first).at("body").as_string(), "<a/>");
    EXPECT_EQ(Seen(first).at("x_test").as_string(), "yes");  // header names arrive lower-case
    EXPECT_EQ(Seen(second).at("target").as_string(), "/api/v1/executeJob");
    // Same peer address and port: the second request used the first one's connection.
    EXPECT_EQ(Seen(first).at("peer"), Seen(second).at("peer"));
}

TEST_F(HttpServerTest, FlagsABodyOverTheLimitAndCloses) {
    StartServer(LoopbackApi());
    auto stream = Connect();
    auto buffer = std::make_shared<beast::flat_buffer>();
    const Response response =
        Run(Exchange(stream, buffer, Post("/api/v1/submitJob", std::string(1000, 'x'))));
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_FALSE(response.keep_alive());
    const boost::json::object seen = Seen(response);
    EXPECT_TRUE(seen.at("body_too_large").as_bool());
    EXPECT_EQ(seen.at("target").as_string(), "/api/v1/submitJob");  // the handler picks the fault
    EXPECT_EQ(seen.at("body").as_string(), "");
}

TEST_F(HttpServerTest, UnixSocketPassesThePeerUid) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("jobd-api-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    config::Api api = LoopbackApi();
    api.unix_socket = dir / "jobd.sock";
    {
        std::ofstream stale(api.unix_socket);  // a regular file is not replaced...
    }
    EXPECT_THROW(HttpServer(io_context_, api, Echo).Start(), Error);
    std::filesystem::remove(api.unix_socket);

    StartServer(api);

    struct stat info {};

    ASSERT_EQ(stat(api.unix_socket.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0660u);

    using LocalStream = beast::basic_stream<asio::local::stream_protocol>;
    auto stream = std::make_shared<LocalStream>(io_context_);
    Run([](std::shared_ptr<LocalStream> s, std::string path) -> asio::awaitable<int> {
        s->expires_after(kDeadline);
        co_await s->async_connect(asio::local::stream_protocol::endpoint(path),
                                  asio::use_awaitable);
        co_return 0;
    }(stream, api.unix_socket.string()));
    const Response response =
        Run(Exchange(stream, std::make_shared<beast::flat_buffer>(), Post("/IpsApi", "<a/>")));
    const boost::json::object seen = Seen(response);
    EXPECT_EQ(seen.at("peer_uid").to_number<unsigned>(), getuid());
    EXPECT_EQ(seen.at("peer").as_string(), "unix:uid=" + std::to_string(getuid()));

    EXPECT_TRUE(StopServer());
    EXPECT_FALSE(std::filesystem::exists(api.unix_socket));
    std::filesystem::remove_all(dir);
}

TEST_F(HttpServerTest, StopClosesAnIdleKeepAliveConnection) {
    StartServer(LoopbackApi());
    auto stream = Connect();
    auto buffer = std::make_shared<beast::flat_buffer>();
    ASSERT_EQ(Run(Exchange(stream, buffer, Post("/IpsApi", ""))).result_int(), 200);

    EXPECT_TRUE(StopServer());  // completes although the client keeps its connection open

    const beast::error_code ec =
        Run([](std::shared_ptr<TcpStream> s,
               std::shared_ptr<beast::flat_buffer> b) -> asio::awaitable<beast::error_code> {
            s->expires_after(kDeadline);
            Response response;
            auto [error, unused] =
                co_await http::async_read(*s, *b, response, asio::as_tuple(asio::use_awaitable));
            co_return error;
        }(stream, buffer));
    EXPECT_EQ(ec, http::error::end_of_stream);
}

TEST_F(HttpServerTest, StopLetsARequestInProgressFinish) {
    auto entered = std::make_shared<std::promise<void>>();
    std::future<void> handler_started = entered->get_future();
    auto release =
        std::make_shared<asio::steady_timer>(io_context_, asio::steady_timer::time_point::max());
    StartServer(LoopbackApi(),
                [entered, release](HttpRequest) { return WaitForRelease(entered, release); });
    auto stream = Connect();
    std::future<Response> response =
        asio::co_spawn(io_context_,
                       Exchange(stream, std::make_shared<beast::flat_buffer>(), Post("/slow", "")),
                       asio::use_future);
    ASSERT_EQ(handler_started.wait_for(kDeadline), std::future_status::ready);

    std::future<void> stopped = BeginStop();
    asio::post(io_context_, [release] { release->cancel(); });

    ASSERT_EQ(response.wait_for(kDeadline), std::future_status::ready);
    const Response answer = response.get();
    EXPECT_EQ(answer.result_int(), 200);
    EXPECT_FALSE(answer.keep_alive());  // the server is stopping: no further request
    EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
}

// curl sends "Expect: 100-continue" before larger bodies and waits a second for the interim
// answer; without it every such request would be a second slower.
TEST_F(HttpServerTest, AnswersExpectContinueBeforeTheBodyArrives) {
    StartServer(LoopbackApi());
    auto stream = Connect();
    auto buffer = std::make_shared<beast::flat_buffer>();
    const auto exchange = [](std::shared_ptr<TcpStream> s,
                             std::shared_ptr<beast::flat_buffer> b) -> asio::awaitable<Response> {
        s->expires_after(kDeadline);
        co_await asio::async_write(
            *s,
            asio::buffer(std::string_view("POST /IpsApi HTTP/1.1\r\nHost: x\r\n"
                                          "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n")),
            asio::use_awaitable);
        Response interim;
        co_await http::async_read(*s, *b, interim, asio::use_awaitable);
        if (interim.result() != http::status::continue_) {
            co_return interim;
        }
        co_await asio::async_write(*s, asio::buffer(std::string_view("<a/>")), asio::use_awaitable);
        Response response;
        co_await http::async_read(*s, *b, response, asio::use_awaitable);
        co_return response;
    };
    const Response response = Run(exchange(stream, buffer));
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(Seen(response).at("body").as_string(), "<a/>");
}

}  // namespace
}  // namespace jobd::api
