#include "jobd/client/endpoint.hpp"

#include <charconv>

#include <boost/url/parse.hpp>

#include "jobd/model/error.hpp"

namespace jobd::client {
namespace {

Error BadUrl(std::string_view flag, std::string_view url, MessageId why) {
    return Error(
        ErrorKind::InvalidParameter, Message(why, {{"url", std::string(url)}}), std::string(flag));
}

Transport TransportOf(std::string_view scheme, std::string_view url, std::string_view flag) {
    if (scheme == "http") {
        return Transport::Http;
    }
    if (scheme == "https") {
        return Transport::Https;
    }
    throw BadUrl(flag, url, MessageId::CliUrlScheme);
}

std::string HostOf(const boost::urls::url_view& parsed) {
    // The resolver wants an IPv6 literal without its URL brackets: ::1, not [::1].
    if (parsed.host_type() == boost::urls::host_type::ipv6) {
        return parsed.host_ipv6_address().to_string();
    }
    return parsed.host_address();
}

// Boost.URL accepts any digits (and "h:" with none); a TCP port is 1-65535.
std::string PortOf(std::string_view port, std::string_view url, std::string_view flag) {
    int number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (error != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535) {
        throw BadUrl(flag, url, MessageId::CliUrlPort);
    }
    return std::to_string(number);
}

}  // namespace

Endpoint ParseUrl(std::string_view url, std::string_view flag) {
    const auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) {
        throw BadUrl(flag, url, MessageId::CliUrlNotAbsolute);
    }
    Endpoint endpoint;
    endpoint.transport = TransportOf(parsed->scheme(), url, flag);
    endpoint.host = HostOf(*parsed);
    if (endpoint.host.empty()) {
        throw BadUrl(flag, url, MessageId::CliUrlNoHost);
    }
    if (parsed->has_userinfo() || parsed->has_query() || parsed->has_fragment()) {
        throw BadUrl(flag, url, MessageId::CliUrlExtras);
    }
    endpoint.port = parsed->has_port()                       ? PortOf(parsed->port(), url, flag)
                    : endpoint.transport == Transport::Https ? "443"
                                                             : "80";
    const auto path = parsed->encoded_path();
    endpoint.base_path.assign(path.data(), path.size());
    while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
        endpoint.base_path.pop_back();
    }
    endpoint.display = std::string(url);
    return endpoint;
}

Endpoint UnixEndpoint(std::string_view socket_path) {
    Endpoint endpoint;
    endpoint.transport = Transport::Unix;
    endpoint.socket_path = std::string(socket_path);
    endpoint.display = "unix:" + endpoint.socket_path;
    return endpoint;
}

std::string TargetFor(const Endpoint& endpoint, std::string_view operation) {
    return endpoint.base_path + "/api/v1/" + std::string(operation);
}

Endpoint ChooseEndpoint(const EndpointInputs& inputs) {
    if (inputs.url_flag && inputs.socket_flag) {
        throw Error(ErrorKind::InvalidParameter, Message(MessageId::CliUrlOrSocket), "--socket");
    }
    if (inputs.url_flag) {
        return ParseUrl(*inputs.url_flag, "--url");
    }
    if (inputs.socket_flag) {
        return UnixEndpoint(*inputs.socket_flag);
    }
    if (inputs.env_url) {
        return ParseUrl(*inputs.env_url, "JOBD_URL");
    }
    if (inputs.env_socket) {
        return UnixEndpoint(*inputs.env_socket);
    }
    if (inputs.default_socket_exists && !inputs.has_credentials) {
        return UnixEndpoint(kDefaultSocket);
    }
    return ParseUrl(kDefaultUrl, "--url");
}

}  // namespace jobd::client
