#pragma once
// jobd's configuration (contract §4): one validated, immutable Config.
// config::Load alone reads YAML and JOBD_* variables; modules get only their section.
// Thread-safety: a Config is immutable; share it as std::shared_ptr<const Config> and swap the
// pointer on SIGHUP.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jobd::config {

using Duration = std::chrono::milliseconds;

struct ListenAddress {
    std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
    std::uint16_t port = 0;  // 0: any free port (tests learn it from the daemon's STATUS=)
};

struct Tls {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::string min_version = "1.2";  // "1.2" or "1.3"
};

// How one IPS job type runs (contract §7): argv, optional timeout and extra environment.
struct Handler {
    std::vector<std::string> command;
    std::optional<Duration> timeout;
    std::map<std::string, std::string> env;
};

struct Node {
    std::string name;  // default: the host name
};

struct Database {
    std::optional<std::string> url;  // unset: the embedded cluster (scripts/run)
    int pool_size = 4;
};

struct Api {
    std::vector<ListenAddress> listen;  // default {127.0.0.1:8780}
    std::filesystem::path unix_socket = "/run/jobd/jobd.sock";  // empty: no socket
    std::size_t max_body_bytes = 1024 * 1024;
    std::string default_locale = "en-US";
    std::optional<Tls> tls;
};

struct Workers {
    int max_concurrent_runs = 0;  // default 2 x cores
    std::optional<int> per_company_max_concurrent_runs;  // unset: unlimited
};

struct Scheduler {
    std::string time_zone;  // IANA name; default the system zone
    Duration misfire_grace = std::chrono::seconds(60);
};

struct Runs {
    Duration default_timeout = std::chrono::hours(1);
    Duration stop_grace = std::chrono::seconds(10);
    std::size_t output_limit_bytes = 1024 * 1024;
    Duration lease = std::chrono::seconds(30);
    Duration retention = std::chrono::hours(24 * 30);
    Duration retention_failed = std::chrono::hours(24 * 90);
};

struct Log {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off
    std::filesystem::path dir = "/var/log/jobd";
};

struct Config {
    Node node;
    Database database;
    Api api;
    Workers workers;
    Scheduler scheduler;
    Runs runs;
    Log log;
    std::map<std::string, Handler> handlers;  // key: IPS job type element, e.g. exportJob
};

// A bad configuration. key() is the dotted key at fault ("runs.stop_grace"), or "" for the file.
// what() reads "<file>: <key>: <problem>".
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string key, const std::string& message)
        : std::runtime_error(message), key_(std::move(key)) {}

    const std::string& key() const { return key_; }

private:
    std::string key_;
};

// JOBD_* variables that may override the file (JOBD_DATABASE_URL).
using Environment = std::map<std::string, std::string>;

// Reads and validates the file; throws ConfigError. Relative paths in the file are kept relative
// (they resolve against the daemon's working directory).
Config Load(const std::filesystem::path& path, const Environment& env);

// Environment from the process's JOBD_* variables.
Environment ProcessEnvironment();

// "30s", "5m", "250ms", "1h", "30d" -> milliseconds; nullopt when malformed.
std::optional<Duration> ParseDuration(std::string_view text);

}  // namespace jobd::config
