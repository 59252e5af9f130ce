// End to end: hostile request bodies against the real daemon (issue #4 item 7, contract §4
// api.max_body_bytes): a body over the limit is refused from its header, before it is read;
// DTDs and entities are refused; deep nesting is bounded; the daemon answers on afterwards.

#include <chrono>
#include <memory>
#include <string>

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

constexpr const char* kPre40Namespace = "http://www.scene7.com/IpsApi/xsd";

// Sends `request` as is on a new connection and reads until the daemon closes it or `deadline`
// passes; returns what was read.
std::string RawExchange(const std::string& host_port,
                        const std::string& request,
                        std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    const auto colon = host_port.rfind(':');
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
    ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return {};
    }
    for (std::size_t sent = 0; sent < request.size();) {
        const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break;  // the daemon may refuse the rest; its answer is what counts
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        pollfd poll_fd{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        char buffer[4096];
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

int StatusOf(const std::string& response) {
    return response.starts_with("HTTP/1.1 ") ? std::stoi(response.substr(9, 3)) : -1;
}

std::string BodyOf(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : response.substr(end + 4);
}

std::string Param(const std::string& inner) {
    return "<getJobLogsParam xmlns=\"" + std::string(kPre40Namespace) + "\">" + inner +
           "</getJobLogsParam>";
}

class RobustParsingTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        daemon_ = StartDemoDaemon(std::string{}, "  max_body_bytes: 4KiB\n");
    }

    static void TearDownTestSuite() { daemon_.reset(); }

    static std::string Auth() { return BasicAuth("admin@example.com", "secret-password"); }

    static HttpAnswer Soap(const std::string& body) {
        return daemon_->Post("/IpsApi", body, {{"Authorization", Auth()}});
    }

    static void ExpectStillServing() {
        EXPECT_EQ(Soap(Param("<companyHandle>47</companyHandle>")).status, 200);
        EXPECT_EQ(daemon_->Get("/healthz").status, 200);
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> RobustParsingTest::daemon_;

// A 1 GiB Content-Length with one byte sent: an answer at all proves the body was not awaited.
TEST_F(RobustParsingTest, DeclaredOversizedBodyIsRefusedFromItsHeader) {
    for (const std::string target : {"/api/v1/getJobLogs", "/IpsApi"}) {
        const std::string response = RawExchange(
            daemon_->HostPort(),
            "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + Auth() +
                "\r\nContent-Length: 1073741824\r\n\r\n{");
        EXPECT_EQ(StatusOf(response), 413) << target << ": " << response;
        if (target == "/IpsApi") {
            EXPECT_EQ(SoapFaultCode(BodyOf(response)), 30003) << response;
            EXPECT_NE(response.find("ipsApiFault"), std::string::npos) << response;
        } else {
            const json::value fault = json::parse(BodyOf(response));
            EXPECT_EQ(fault.at("code"), 30003) << response;
        }
    }
    ExpectStillServing();
}

// Chunked bodies have no declared length: the limit applies to what arrives, and the daemon
// answers once it is passed, without waiting for the last chunk.
TEST_F(RobustParsingTest, ChunkedBodyIsRefusedOnceItPassesTheLimit) {
    std::string request =
        "POST /api/v1/getJobLogs HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + Auth() +
        "\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) {
        request += "400\r\n" + std::string(1024, ' ') + "\r\n";  // 8 KiB, no terminal chunk
    }
    const std::string response = RawExchange(daemon_->HostPort(), request);
    EXPECT_EQ(StatusOf(response), 413) << response;
    ExpectStillServing();
}

TEST_F(RobustParsingTest, BodyJustUnderTheLimitIsServed) {
    const std::string padding(3500, ' ');
    const auto answer = Soap(Param(padding + "<companyHandle>47</companyHandle>"));
    EXPECT_EQ(answer.status, 200) << answer.body;
}

TEST_F(RobustParsingTest, DtdsAndEntitiesAreRefused) {
    std::string laughs = "<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">";
    for (int i = 1; i <= 9; ++i) {
        laughs += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int j = 0; j < 10; ++j) {
            laughs += "&lol" + std::to_string(i - 1) + ";";
        }
        laughs += "\">";
    }
    laughs += "]>" + Param("<companyHandle>&lol9;</companyHandle>");
    const std::string xxe = "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" +
                            Param("<companyHandle>&xxe;</companyHandle>");
    const std::string parameter_entity =
        "<!DOCTYPE x [<!ENTITY % remote SYSTEM \"http://127.0.0.1:1/x.dtd\"> %remote;]>" +
        Param("<companyHandle>47</companyHandle>");
    for (const std::string& body : {laughs, xxe, parameter_entity}) {
        const auto answer = Soap(body);
        EXPECT_EQ(answer.status, 500) << answer.body;
        EXPECT_EQ(SoapFaultCode(answer.body), 30003) << answer.body;
        EXPECT_EQ(answer.body.find("root:"), std::string::npos) << answer.body;
    }
    // Without a DTD an entity reference is undefined and never resolved: kept as literal text,
    // it is no company handle.
    const auto undefined = Soap(Param("<companyHandle>&xxe;</companyHandle>"));
    EXPECT_EQ(undefined.status, 500) << undefined.body;
    EXPECT_EQ(SoapFaultCode(undefined.body), 30001) << undefined.body;
    ExpectStillServing();
}

TEST_F(RobustParsingTest, DeepNestingIsBounded) {
    std::string xml_open, xml_close;
    for (int i = 0; i < 500; ++i) {  // 500 levels fit in 4 KiB
        xml_open += "<a>";
        xml_close += "</a>";
    }
    const auto soap = Soap(Param(xml_open + xml_close));
    EXPECT_EQ(soap.status, 500) << soap.body;
    EXPECT_EQ(SoapFaultCode(soap.body), 30003) << soap.body;

    const auto json = daemon_->Json("getJobLogs", std::string(4000, '['), "admin@example.com");
    EXPECT_EQ(json.status, 400) << json.body;
    EXPECT_EQ(json::parse(json.body).at("code"), 30003) << json.body;
    ExpectStillServing();
}

}  // namespace
}  // namespace jobd::test
