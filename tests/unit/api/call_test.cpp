#include "jobd/api/call.hpp"

#include <gtest/gtest.h>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

HttpRequest WithHeader(const std::string& name, const std::string& value) {
    HttpRequest request;
    request.headers[name] = value;
    return request;
}

TEST(HttpCredentials, ReadsBasicAndBearer) {
    // "admin@example.com:s3cr:et" — the password may hold ':'.
    const Credentials basic =
        HttpCredentials(WithHeader("authorization", "Basic YWRtaW5AZXhhbXBsZS5jb206czNjcjpldA=="));
    EXPECT_EQ(basic.user, "admin@example.com");
    EXPECT_EQ(basic.password, "s3cr:et");
    EXPECT_TRUE(basic.token.empty());

    const Credentials bearer = HttpCredentials(WithHeader("authorization", "bearer abc.def"));
    EXPECT_EQ(bearer.token, "abc.def");
    EXPECT_TRUE(bearer.user.empty());

    EXPECT_TRUE(HttpCredentials(HttpRequest()).Empty());
}

TEST(HttpCredentials, RejectsMalformedAuthorization) {
    const char* const kMalformed[] = {
        "Basic !!!notbase64",
        "Basic bm9jb2xvbg==",  // "nocolon"
        "Digest username=x",
        "Bearer",
    };
    for (const char* header : kMalformed) {
        SCOPED_TRACE(header);
        try {
            HttpCredentials(WithHeader("authorization", header));
            ADD_FAILURE() << "accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidCredentials);
            EXPECT_EQ(e.field(), "Authorization");
        }
    }
}

}  // namespace
}  // namespace jobd::api
