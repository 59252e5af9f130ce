#pragma once
// The server side of api.tls (contract §4): an OpenSSL context holding the certificate chain and
// key of api.tls, refusing TLS versions older than api.tls.min_version.
//
// Threads: any; blocking (reads two small files). The daemon calls it at start, from
// `jobd check-config` and on SIGHUP, and hands the context to HttpServer, which shares it with
// the connections accepted while it is current.

#include <memory>

#include "jobd/config/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace jobd::api {

// Throws config::ConfigError naming api.tls.cert_file or api.tls.key_file (without the config
// file's name) when a file cannot be read, is not PEM, or the key does not match the certificate.
// Logs the certificate's subject, serial and expiry at info, and warns when it has expired.
std::shared_ptr<boost::asio::ssl::context> MakeTlsContext(const config::Tls& tls);

}  // namespace jobd::api
