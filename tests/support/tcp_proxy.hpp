#pragma once
// TcpProxy — fault injection between jobd and PostgreSQL for the outage tests (issue #6): a
// loopback TCP proxy that forwards byte for byte, and on request drops every connection it
// carries (as a network cut or a server crash looks to libpq), refuses new ones (accepts and
// resets them at once, as an unreachable server does), or loses the answer to a COMMIT.
//
// Threads: the proxy runs its own io thread; every public method may be called from the test's
// thread and returns once the change is in effect.
// Ownership: the destructor closes every connection and joins the thread.

#include <cstdint>
#include <memory>
#include <string>

namespace jobd::test {

class TcpProxy {
public:
    // Listens on 127.0.0.1 on a free port and forwards to target_host:target_port.
    TcpProxy(std::string target_host, std::uint16_t target_port);
    ~TcpProxy();

    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    std::uint16_t port() const;

    // Resets every connection now open, both sides; new ones are forwarded as before.
    void DropAll();

    // true: every new connection is reset as soon as it is accepted; false: forwarded again.
    void Refuse(bool refuse);

    // The next `count` messages a client sends that hold `marker` ("COMMIT", or a prepared
    // statement's name, which each execution of it carries) are forwarded, then that client's
    // connection is reset before the answer comes back: the server commits, the client never
    // learns it (a commit "in doubt"). The server side is closed once it has answered.
    void CutAfter(std::string marker, int count);

    // Connections cut so far by CutAfter.
    int Cuts() const;

    // Connections forwarded so far (for asserting that a test's fault really hit something).
    int Accepted() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// `url` (postgresql://user@host:port/db) with its host and port replaced.
std::string WithHostPort(const std::string& url, const std::string& host, std::uint16_t port);

}  // namespace jobd::test
