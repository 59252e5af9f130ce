#pragma once
// HTTPS connections of HttpServer, kept in their own translation unit (tls_session.cpp) so that
// OpenSSL and Beast's SSL stream are compiled once, apart from the plain server.

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace boost::asio::ssl {
class context;
}

namespace jobd::api::detail {

class SessionHost;

// Runs an accepted TCP connection as HTTPS with `context` (kept alive by the session): the TLS
// handshake within the read timeout, then the session. A client speaking plain HTTP gets a 400
// naming the scheme to use instead of a failed handshake.
void SpawnTlsSession(boost::asio::ip::tcp::socket socket,
                     std::shared_ptr<boost::asio::ssl::context> context,
                     std::shared_ptr<SessionHost> server,
                     std::string peer);

}  // namespace jobd::api::detail
