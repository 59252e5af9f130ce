#include "jobd/auth/password.hpp"

#include <set>

#include <gtest/gtest.h>

#include "jobd/auth/token.hpp"
#include "jobd/model/error.hpp"

namespace jobd::auth {
namespace {

// One hash for the whole file: each Argon2id call costs ~50-100 ms.
const std::string& StoredHash() {
    static const std::string hash = HashPassword("correct horse");
    return hash;
}

TEST(HashPassword, IsArgon2idStringForm) {
    EXPECT_EQ(StoredHash().rfind("$argon2id$", 0), 0U) << StoredHash();
}

TEST(HashPassword, SaltsEveryHash) {
    EXPECT_NE(HashPassword("correct horse"), StoredHash());
}

TEST(HashPassword, RefusesEmptyPassword) {
    try {
        HashPassword("");
        FAIL() << "expected jobd::Error";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(error.field(), "password");
    }
}

TEST(VerifyPassword, AcceptsOnlyTheRightPassword) {
    EXPECT_TRUE(VerifyPassword("correct horse", StoredHash()));
    EXPECT_FALSE(VerifyPassword("correct horsE", StoredHash()));
    EXPECT_FALSE(VerifyPassword("", StoredHash()));
}

TEST(VerifyPassword, MalformedHashesAreFalseNotErrors) {
    const std::string too_long(1000, 'a');
    const std::string with_nul = StoredHash() + std::string(1, '\0');
    for (const std::string& hash : {std::string(),
                                    std::string("plain"),
                                    too_long,
                                    with_nul,
                                    StoredHash().substr(0, StoredHash().size() - 4)}) {
        EXPECT_FALSE(VerifyPassword("correct horse", hash)) << hash.size();
    }
}

TEST(NewToken, IsPrefixedUrlSafeAndUnique) {
    std::set<std::string> tokens;
    for (int i = 0; i < 20; ++i) {
        const std::string token = NewToken();
        ASSERT_EQ(token.size(), 5U + 43U) << token;
        EXPECT_EQ(token.rfind("jobd_", 0), 0U) << token;
        EXPECT_EQ(token.find_first_not_of(
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 5),
                  std::string::npos)
            << token;
        tokens.insert(token);
    }
    EXPECT_EQ(tokens.size(), 20U);
}

TEST(TokenDigest, IsLowercaseHexSha256) {
    // Known SHA-256 test vectors (FIPS 180-2).
    EXPECT_EQ(TokenDigest("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(TokenDigest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace jobd::auth
