// ApiClient against a one-shot Beast server in the test process, over 127.0.0.1:0 and over a
// unix socket: checks the request on the wire (method, target, headers, body) and how answers
// and faults come back. The server runs on its own thread; each test joins it.

#include <filesystem>
#include <future>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "jobd/client/api_client.hpp"
#include "jobd/model/error.hpp"

namespace jobd::client {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

using Request = http::request<http::string_body>;

struct CannedAnswer {
    http::status status = http::status::ok;
    std::string body;
};

// Accepts one connection, reads one request, sends the canned answer, returns the request.
template <typename Acceptor>
Request ServeOnce(Acceptor& acceptor, const CannedAnswer& answer) {
    typename Acceptor::protocol_type::socket socket(acceptor.get_executor());
    acceptor.accept(socket);
    boost::beast::flat_buffer buffer;
    Request request;
    http::read(socket, buffer, request);
    http::response<http::string_body> response{answer.status, 11};
    response.set(http::field::content_type, "application/json");
    response.body() = answer.body;
    response.prepare_payload();
    http::write(socket, response);
    return request;
}

const Credentials kBasic{"admin@example.com", "pw", ""};

class TcpServer {
public:
    TcpServer() : acceptor_(io_, {asio::ip::address_v4::loopback(), 0}) {}

    std::future<Request> Answer(CannedAnswer answer) {
        return std::async(std::launch::async,
                          [this, answer] { return ServeOnce(acceptor_, answer); });
    }

    std::string Url(std::string_view path = "") const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
               std::string(path);
    }

private:
    asio::io_context io_;
    asio::ip::tcp::acceptor acceptor_;
};

std::string TempSocketPath(std::string_view tag) {
    return (std::filesystem::temp_directory_path() /
            ("jobctl-test-" + std::to_string(getpid()) + "-" + std::string(tag) + ".sock"))
        .string();
}

class UnixServer {
public:
    explicit UnixServer(std::string path) : path_(std::move(path)), acceptor_(io_, Bound(path_)) {}

    ~UnixServer() { std::filesystem::remove(path_); }

    std::future<Request> Answer(CannedAnswer answer) {
        return std::async(std::launch::async,
                          [this, answer] { return ServeOnce(acceptor_, answer); });
    }

    const std::string& path() const { return path_; }

private:
    static asio::local::stream_protocol::endpoint Bound(const std::string& path) {
        std::filesystem::remove(path);  // a stale socket from a killed earlier run
        return {path};
    }

    std::string path_;
    asio::io_context io_;
    asio::local::stream_protocol::acceptor acceptor_;
};

ApiClient ClientFor(Endpoint endpoint, Credentials credentials = kBasic) {
    return ApiClient({std::move(endpoint), std::move(credentials), std::chrono::seconds(10), {}});
}

TEST(ApiClientHttp, PostsJsonToTheOperationWithBasicAuth) {
    TcpServer server;
    auto served = server.Answer({http::status::ok, R"({"runHandle":"47|My Test Job|812"})"});
    const json::object params{{"companyHandle", "47"}, {"jobHandle", "47|My Test Job|"}};
    const json::object answer =
        ClientFor(ParseUrl(server.Url(), "--url")).Call("executeJob", params);
    const Request request = served.get();

    EXPECT_EQ(answer.at("runHandle"), "47|My Test Job|812");
    EXPECT_EQ(request.method(), http::verb::post);
    EXPECT_EQ(request.target(), "/api/v1/executeJob");
    EXPECT_EQ(request[http::field::authorization], "Basic YWRtaW5AZXhhbXBsZS5jb206cHc=");
    EXPECT_EQ(request[http::field::content_type], "application/json");
    EXPECT_EQ(request[http::field::host], server.Url().substr(7));
    EXPECT_EQ(json::parse(request.body()), params);
}

TEST(ApiClientHttp, UsesThePathPrefixAndABearerToken) {
    TcpServer server;
    auto served = server.Answer({http::status::ok, R"({"jobArray":[]})"});
    const Credentials token{"ignored@example.com", "pw", "tok-1"};
    ClientFor(ParseUrl(server.Url("/jobd/"), "--url"), token).Call("getActiveJobs", {});
    const Request request = served.get();
    EXPECT_EQ(request.target(), "/jobd/api/v1/getActiveJobs");
    EXPECT_EQ(request[http::field::authorization], "Bearer tok-1");
}

TEST(ApiClientHttp, FaultAnswerThrowsClientError) {
    TcpServer server;
    auto served = server.Answer(
        {http::status::conflict,
         R"({"fault":"ipsApiFault","code":30001,"reason":"job is already running"})"});
    try {
        ClientFor(ParseUrl(server.Url(), "--url")).Call("executeJob", {});
        ADD_FAILURE() << "no fault";
    } catch (const ClientError& error) {
        EXPECT_EQ(error.fault(), "ipsApiFault");
        EXPECT_EQ(error.code(), 30001);
        EXPECT_EQ(error.http_status(), 409);
    }
    served.get();
}

TEST(ApiClientHttp, NoAnswerWithinTheTimeoutThrowsTransportError) {
    // The kernel completes the connection from the listen backlog; nobody ever answers.
    TcpServer server;
    const ApiClient client(
        {ParseUrl(server.Url(), "--url"), {}, std::chrono::milliseconds(50), {}});
    try {
        client.Call("getActiveJobs", {});
        ADD_FAILURE() << "no timeout";
    } catch (const TransportError& error) {
        EXPECT_NE(std::string(error.what()).find(server.Url()), std::string::npos);
    }
}

// HTTPS against the real daemon, certificates included, is tested end to end (tls_test.cpp).
TEST(ApiClientHttps, AClosedPortThrowsTransportError) {
    EXPECT_THROW(ClientFor(ParseUrl("https://127.0.0.1:1", "--url")).Call("getActiveJobs", {}),
                 TransportError);
}

TEST(ApiClientHttps, AMissingCaFileIsAUsageErrorNamingCacert) {
    ClientOptions options{
        ParseUrl("https://127.0.0.1:1", "--url"), {}, std::chrono::seconds(10), {}};
    options.tls.ca_file = "/nonexistent/ca.pem";
    try {
        ApiClient(options).Call("getActiveJobs", {});
        ADD_FAILURE() << "no error";
    } catch (const Error& error) {
        EXPECT_EQ(error.field(), "--cacert");
    }
}

TEST(ApiClientUnix, SendsNoCredentialsOverTheSocket) {
    UnixServer server(TempSocketPath("creds"));
    auto served = server.Answer({http::status::ok, "{}"});
    const json::object answer =
        ClientFor(UnixEndpoint(server.path()))
            .Call("stopJob", {{"companyHandle", "47"}, {"jobHandle", "47|A|"}});
    const Request request = served.get();
    EXPECT_TRUE(answer.empty());
    EXPECT_EQ(request.target(), "/api/v1/stopJob");
    EXPECT_EQ(request.count(http::field::authorization), 0U);
    EXPECT_EQ(json::parse(request.body()).at("jobHandle"), "47|A|");
}

TEST(ApiClientUnix, FaultAnswerThrowsClientError) {
    UnixServer server(TempSocketPath("fault"));
    auto served =
        server.Answer({http::status::forbidden,
                       R"({"fault":"authorizationFault","code":20006,"reason":"not a member"})"});
    try {
        ClientFor(UnixEndpoint(server.path())).Call("pauseJob", {});
        ADD_FAILURE() << "no fault";
    } catch (const ClientError& error) {
        EXPECT_EQ(error.fault(), "authorizationFault");
        EXPECT_EQ(error.code(), 20006);
        EXPECT_EQ(error.http_status(), 403);
    }
    served.get();
}

TEST(ApiClientUnix, MissingSocketThrowsTransportErrorNamingIt) {
    const std::string path = TempSocketPath("missing");
    std::filesystem::remove(path);
    try {
        ClientFor(UnixEndpoint(path)).Call("getActiveJobs", {});
        ADD_FAILURE() << "reached a missing socket";
    } catch (const TransportError& error) {
        EXPECT_NE(std::string(error.what()).find(path), std::string::npos);
    }
}

}  // namespace
}  // namespace jobd::client
