#pragma once
// The JSON API client (contract §5): POST <base>/api/v1/<operation> with a JSON object body,
// over HTTP, HTTPS or the daemon's unix socket. Synchronous: Call blocks the calling thread for
// at most the request timeout (its own io_context each call), so any thread may use a client;
// a client holds no connection between calls.
//
// Call throws ClientError when the daemon answered with a fault or a non-2xx status, and
// TransportError when it could not be reached or did not answer in time; both messages name
// the URL or socket, never the credentials.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "jobd/client/credentials.hpp"
#include "jobd/client/endpoint.hpp"

namespace jobd::client {

// A fault answer: {"fault": "ipsApiFault", "code": 30001, "reason": "..."}. `fault` is empty
// (and code 0) when the answer was an HTTP error without a fault object, e.g. from a proxy.
// what() is "ipsApiFault 30001: job is already running", or "HTTP 502: <reason>" without a fault.
class ClientError : public std::runtime_error {
public:
    ClientError(std::string fault, int code, std::string reason, int http_status);

    const std::string& fault() const { return fault_; }

    int code() const { return code_; }

    const std::string& reason() const { return reason_; }

    int http_status() const { return http_status_; }

private:
    std::string fault_;
    int code_;
    std::string reason_;
    int http_status_;
};

class TransportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How an https:// endpoint's certificate is checked: against the trusted CAs, for the URL's
// host name or IP address.
struct TlsOptions {
    std::string ca_file;    // PEM CA certificates to trust (--cacert); empty: the system's
    bool insecure = false;  // no certificate or host check at all (--insecure)
};

struct ClientOptions {
    Endpoint endpoint;
    Credentials credentials;  // not sent over the unix socket: the daemon trusts the peer uid
    std::chrono::milliseconds timeout{30'000};  // the whole exchange, connect to last byte
    TlsOptions tls;
};

class ApiClient {
public:
    explicit ApiClient(ClientOptions options);

    // Blocking. Returns the answer's fields; throws ClientError or TransportError (also for a
    // certificate that is not trusted), or jobd::Error(InvalidParameter) naming --cacert when
    // that file cannot be loaded.
    boost::json::object Call(std::string_view operation, const boost::json::object& params) const;

private:
    ClientOptions options_;
};

// Pure: the answer object of a 2xx answer, else the ClientError it means (thrown).
boost::json::object ParseAnswer(int http_status, std::string_view body);

}  // namespace jobd::client
