#pragma once
// The HTTP/1.1 server of the API (contract §5): TCP listeners, plain or HTTPS (each
// ListenAddress::tls), and the local unix socket, always plain.
// It parses requests, hands each to the Handler as an HttpRequest and writes the HttpResponse
// back; what a request means is the handler's business (the router's).
//
// Threads: Start() before the io_context runs or on its thread; Stop() and Endpoints() from any
// thread. Each connection runs as a coroutine on its own strand and the handler's awaitable runs
// there too. The HttpServer must outlive its io_context's run() or the completion of Stop().
// Keep-alive; a request must arrive within 30 s of the connection going idle and be read within
// 30 s; a body over max_body_bytes is not read (HttpRequest::body_too_large) and the connection
// closes after the answer. An HTTPS connection must complete its handshake within the read
// timeout; one that starts with plain HTTP instead gets a 400 and is closed.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "jobd/api/call.hpp"
#include "jobd/config/config.hpp"

namespace boost::asio {
class io_context;

namespace ssl {
class context;
}
}  // namespace boost::asio

namespace jobd::api {

// Must not throw for a request it cannot answer well: the server answers 500 and logs it.
using Handler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest)>;

class HttpServer {
public:
    // Uses api.listen, api.unix_socket (empty: none) and api.max_body_bytes. `tls` (from
    // MakeTlsContext) serves the listeners with tls set; it may be null when none has.
    HttpServer(boost::asio::io_context& io_context,
               const config::Api& api,
               Handler handler,
               std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    ~HttpServer();

    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds every listener and starts accepting. A stale file at the unix socket path is replaced
    // and the socket made mode 0660. Warns about each plain listener on a non-loopback address.
    // Throws jobd::Error(Unavailable) naming api.listen or api.unix_socket when a listener cannot
    // be set up; call at most once.
    void Start();

    // The bound TCP endpoints as "host:port" ("[::1]:8780"), HTTPS ones as "https://host:port",
    // port 0 resolved; after Start().
    std::vector<std::string> Endpoints() const;

    // The certificate for HTTPS connections accepted from now on (SIGHUP); connections already
    // open keep theirs. Any thread.
    void SetTlsContext(std::shared_ptr<boost::asio::ssl::context> tls);

    // Closes the listeners, lets requests in progress finish, closes idle keep-alive
    // connections, then calls on_stopped on the io_context once no connection is left (the
    // drain of SIGTERM). Call at most once.
    void Stop(std::function<void()> on_stopped);

private:
    class Impl;
    // Shared with the accept loops and connections, which keep it alive until they finish.
    std::shared_ptr<Impl> impl_;
};

}  // namespace jobd::api
