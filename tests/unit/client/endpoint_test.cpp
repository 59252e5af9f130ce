#include "jobd/client/endpoint.hpp"

#include <gtest/gtest.h>

#include "jobd/model/error.hpp"

namespace jobd::client {
namespace {

struct UrlCase {
    std::string url;
    Transport transport;
    std::string host;
    std::string port;
    std::string base_path;
};

TEST(ParseUrl, ReadsHostPortAndPathPrefix) {
    const UrlCase cases[] = {
        {"http://127.0.0.1:8780", Transport::Http, "127.0.0.1", "8780", ""},
        {"http://jobd.example.com", Transport::Http, "jobd.example.com", "80", ""},
        {"http://h:1/", Transport::Http, "h", "1", ""},
        {"http://h:1/jobd/", Transport::Http, "h", "1", "/jobd"},
        {"http://[::1]:9000", Transport::Http, "::1", "9000", ""},
        {"https://jobd.example.com", Transport::Https, "jobd.example.com", "443", ""},
    };
    for (const UrlCase& c : cases) {
        const Endpoint endpoint = ParseUrl(c.url, "--url");
        EXPECT_EQ(endpoint.transport, c.transport) << c.url;
        EXPECT_EQ(endpoint.host, c.host) << c.url;
        EXPECT_EQ(endpoint.port, c.port) << c.url;
        EXPECT_EQ(endpoint.base_path, c.base_path) << c.url;
        EXPECT_EQ(endpoint.display, c.url);
    }
}

TEST(ParseUrl, RejectsWhatIsNotAnHttpUrlNamingTheFlag) {
    for (const std::string url : {"",
                                  "127.0.0.1:8780",
                                  "jobd:8780",
                                  "ftp://h/",
                                  "http://",
                                  "http://user:pw@h/",
                                  "http://h/?q=1",
                                  "http://h/#x",
                                  "http://h:port/",
                                  "http://h:0/",
                                  "http://h:99999/",
                                  "http://h:/"}) {
        try {
            ParseUrl(url, "JOBD_URL");
            ADD_FAILURE() << "accepted " << url;
        } catch (const Error& error) {
            EXPECT_EQ(error.kind(), ErrorKind::InvalidParameter) << url;
            EXPECT_EQ(error.field(), "JOBD_URL") << url;
        }
    }
}

TEST(TargetFor, PutsTheOperationUnderApiV1) {
    EXPECT_EQ(TargetFor(ParseUrl("http://h:1/", "--url"), "executeJob"), "/api/v1/executeJob");
    EXPECT_EQ(TargetFor(ParseUrl("http://h:1/jobd", "--url"), "stopJob"), "/jobd/api/v1/stopJob");
    EXPECT_EQ(TargetFor(UnixEndpoint("/run/jobd/jobd.sock"), "getJobLogs"), "/api/v1/getJobLogs");
}

struct ChoiceCase {
    std::string why;
    EndpointInputs inputs;
    std::string display;
};

TEST(ChooseEndpoint, FlagsThenEnvironmentThenDefaults) {
    const ChoiceCase cases[] = {
        {"url flag wins", {"http://a:1", {}, "http://b:2", "/env.sock", true, true}, "http://a:1"},
        {"socket flag wins", {{}, "/flag.sock", "http://b:2", {}, false, true}, "unix:/flag.sock"},
        {"JOBD_URL before JOBD_SOCKET",
         {{}, {}, "http://b:2", "/env.sock", false, true},
         "http://b:2"},
        {"JOBD_SOCKET", {{}, {}, {}, "/env.sock", true, false}, "unix:/env.sock"},
        {"root on the host", {{}, {}, {}, {}, false, true}, "unix:/run/jobd/jobd.sock"},
        {"credentials mean HTTP", {{}, {}, {}, {}, true, true}, "http://127.0.0.1:8780"},
        {"no socket", {{}, {}, {}, {}, false, false}, "http://127.0.0.1:8780"},
    };
    for (const ChoiceCase& c : cases) {
        EXPECT_EQ(ChooseEndpoint(c.inputs).display, c.display) << c.why;
    }
}

TEST(ChooseEndpoint, UrlAndSocketTogetherIsAnError) {
    try {
        ChooseEndpoint({"http://a:1", "/s.sock", {}, {}, false, false});
        ADD_FAILURE() << "accepted both";
    } catch (const Error& error) {
        EXPECT_EQ(error.field(), "--socket");
    }
}

}  // namespace
}  // namespace jobd::client
