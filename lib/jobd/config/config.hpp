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
#include <string_view>
#include <utility>
#include <vector>

#include "jobd/model/message.hpp"

namespace jobd::config {

using Duration = std::chrono::milliseconds;

struct ListenAddress {
    // How the entry was written: `host:port`, `http://host:port` or `https://host:port`.
    enum class Scheme { Unspecified, Http, Https };

    std::string host;        // "127.0.0.1", "::1", "0.0.0.0"
    std::uint16_t port = 0;  // 0: any free port (tests learn it from the daemon's STATUS=)
    Scheme scheme = Scheme::Unspecified;
    // Set by Load: HTTPS for `https://`, and for a bare `host:port` while api.tls is set.
    bool tls = false;

    bool operator==(const ListenAddress&) const = default;
};

struct Tls {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::string min_version = "1.2";  // "1.2" or "1.3"
    // The files are read by api::MakeTlsContext (at start, check-config and SIGHUP), not by Load.

    bool operator==(const Tls&) const = default;
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
    int pool_size = 16;
};

struct Api {
    std::vector<ListenAddress> listen = {{"127.0.0.1", 8780}};
    std::filesystem::path unix_socket = "/run/jobd/jobd.sock";  // empty: no socket
    std::size_t max_body_bytes = 1024 * 1024;
    std::string default_locale = "en-US";
    Language default_language = Language::English;  // default_locale's catalog (contract §5)
    std::optional<Tls> tls;
};

struct Workers {
    int max_concurrent_runs = 0;                         // default 2 x cores
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

// A bad configuration. key() is the dotted key at fault ("runs.stop_grace"), or "" for the file
// itself (missing, unreadable, not YAML). what() reads "<file>: <key>: <problem>"; a value taken
// from the environment names the variable instead of the file ("JOBD_DATABASE_URL: ...").
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string key, const std::string& message)
        : std::runtime_error(message), key_(std::move(key)) {}

    const std::string& key() const { return key_; }

private:
    std::string key_;
};

// JOBD_* variables that may override the file (JOBD_DATABASE_URL); a non-empty value wins.
using Environment = std::map<std::string, std::string>;

// Reads and validates the file; throws ConfigError. Relative paths in the file are kept relative
// (they resolve against the daemon's working directory). An empty file gives all defaults. Reads
// the host name and the core count for the defaults that depend on them; safe from any thread.
Config Load(const std::filesystem::path& path, const Environment& env);

// The JOBD_* variables Load reads, taken from the process environment (only those, so no
// unrelated secret such as JOBD_PASSWORD is copied around). Call before threads start.
Environment ProcessEnvironment();

// "30s", "5m", "250ms", "1h", "30d" -> milliseconds; nullopt when malformed.
std::optional<Duration> ParseDuration(std::string_view text);

// Markdown table of every key (key, default, reloadable, meaning), generated from the key table;
// docs/configuration.md holds it and a unit test keeps the two equal.
std::string DescribeKeys();

// The same keys as roff for the jobd.yaml(5) man page: one `.TP` paragraph per key (key in bold,
// then default, reloadability and meaning), Markdown code spans in bold, then the job types.
std::string DescribeKeysRoff();

// The keys whose values differ between a and b but only take effect after a restart, in table
// order (`database.url`, `api.listen`, ...); SIGHUP warns about them and applies the rest.
std::vector<std::string> ChangedNonReloadableKeys(const Config& a, const Config& b);

}  // namespace jobd::config
