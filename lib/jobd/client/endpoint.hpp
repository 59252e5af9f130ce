#pragma once
// Where jobctl sends its requests: an http:// or https:// URL or the daemon's local unix socket.
// Pure: the caller reads the environment and the file system and passes what it found.
// ParseUrl and ChooseEndpoint throw jobd::Error(InvalidParameter) naming the flag at fault.

#include <optional>
#include <string>
#include <string_view>

namespace jobd::client {

inline constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8780";
inline constexpr std::string_view kDefaultSocket = "/run/jobd/jobd.sock";

enum class Transport { Http, Https, Unix };

struct Endpoint {
    Transport transport = Transport::Http;
    std::string host;         // Http/Https only, without IPv6 brackets
    std::string port;         // Http/Https only, "8780"
    std::string base_path;    // Http/Https only: a path prefix before "/api/v1/", "" or "/jobd"
    std::string socket_path;  // Unix only
    std::string display;      // for messages: the URL as given or "unix:PATH"
};

// `flag` names the option the URL came from ("--url" or "JOBD_URL") in error messages.
Endpoint ParseUrl(std::string_view url, std::string_view flag);

Endpoint UnixEndpoint(std::string_view socket_path);

// The request target of an operation: base_path + "/api/v1/" + operation.
std::string TargetFor(const Endpoint& endpoint, std::string_view operation);

struct EndpointInputs {
    std::optional<std::string> url_flag;     // --url
    std::optional<std::string> socket_flag;  // --socket
    std::optional<std::string> env_url;      // JOBD_URL
    std::optional<std::string> env_socket;   // JOBD_SOCKET
    bool has_credentials = false;            // JOBD_TOKEN or JOBD_USER is set
    bool default_socket_exists = false;      // kDefaultSocket is there
};

// Flags win over the environment, JOBD_URL over JOBD_SOCKET. With none of them, the default
// socket is used when it exists and no credentials are set (root on the daemon's host needs
// none), else kDefaultUrl. --url together with --socket is an error.
Endpoint ChooseEndpoint(const EndpointInputs& inputs);

}  // namespace jobd::client
