#include "jobd/client/credentials.hpp"

#include <gtest/gtest.h>

namespace jobd::client {
namespace {

struct Base64Case {
    std::string bytes;
    std::string encoded;
};

// RFC 4648 §10 test vectors, plus a byte above 0x7f.
TEST(Base64Encode, MatchesRfc4648) {
    const Base64Case cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {"\xff\xfe", "//4="},
    };
    for (const Base64Case& c : cases) {
        EXPECT_EQ(Base64Encode(c.bytes), c.encoded) << c.bytes;
    }
}

TEST(AuthorizationFor, TokenWinsThenBasicThenNothing) {
    EXPECT_EQ(AuthorizationFor({"a@example.com", "pw", "tok123"}), "Bearer tok123");
    // RFC 7617's example credentials.
    EXPECT_EQ(AuthorizationFor({"Aladdin", "open sesame", ""}),
              "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(AuthorizationFor({"a@example.com", "", ""}), "Basic YUBleGFtcGxlLmNvbTo=");
    EXPECT_EQ(AuthorizationFor({}), std::nullopt);
    EXPECT_TRUE(Credentials{}.Empty());
    EXPECT_FALSE((Credentials{"", "", "t"}.Empty()));
}

}  // namespace
}  // namespace jobd::client
