#pragma once
// Owns one file descriptor and closes it; move-only.

#include <utility>

#include <unistd.h>

namespace jobd::exec::detail {

class UniqueFd {
public:
    UniqueFd() = default;

    explicit UniqueFd(int fd) : fd_(fd) {}

    UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}

    UniqueFd& operator=(UniqueFd&& other) noexcept {
        Reset(other.Release());
        return *this;
    }

    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    ~UniqueFd() { Reset(); }

    int get() const { return fd_; }

    // Gives up ownership without closing.
    int Release() { return std::exchange(fd_, -1); }

    void Reset(int fd = -1) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

}  // namespace jobd::exec::detail
