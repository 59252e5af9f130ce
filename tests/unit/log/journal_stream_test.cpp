// Issue #7 item 4: jobd logs to the journal exactly when systemd connected its stderr to it
// (JOURNAL_STREAM names stderr's device and inode, systemd.exec(5)), and to stderr otherwise,
// also when a child of such a service redirected stderr elsewhere.

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobd/log/detail/journal_sink.hpp"

namespace jobd::log::detail {
namespace {

class JournalStreamTest : public ::testing::Test {
protected:
    void TearDown() override { ::unsetenv("JOURNAL_STREAM"); }
};

TEST_F(JournalStreamTest, MatchingDeviceAndInodeMeansTheJournal) {
    struct stat status {};

    ASSERT_EQ(::fstat(STDERR_FILENO, &status), 0);
    const std::string stream = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
    EXPECT_TRUE(StderrIsJournal());
}

TEST_F(JournalStreamTest, OtherFileOrNoVariableMeansStderr) {
    EXPECT_FALSE(StderrIsJournal());

    struct stat status {};

    ASSERT_EQ(::fstat(STDERR_FILENO, &status), 0);
    const std::string other =
        std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino + 1);
    ::setenv("JOURNAL_STREAM", other.c_str(), 1);
    EXPECT_FALSE(StderrIsJournal());
    ::setenv("JOURNAL_STREAM", "not a stream", 1);
    EXPECT_FALSE(StderrIsJournal());
}

}  // namespace
}  // namespace jobd::log::detail
