#include "jobd/config/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <date/tz.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "jobd/config/detail/parse.hpp"

namespace jobd::config {
namespace {

using namespace std::chrono_literals;

// The IPS job-type elements a handler may be configured for (ips-jobs-api §4).
constexpr std::array<std::string_view, 14> kJobTypes{
    "imageServingPublishJob",
    "imageRenderingPublishJob",
    "videoPublishJob",
    "serverDirectoryPublishJob",
    "metadataPublishJob",
    "uploadDirectoryJob",
    "uploadUrlsJob",
    "uploadPostJob",
    "optimizeImagesJob",
    "ripPdfsJob",
    "reprocessAssetsJob",
    "createVideoSitemapJob",
    "exportJob",
    "automatedSetGenerationJob",
};

constexpr std::array<std::string_view, 7> kLogLevels{
    "trace", "debug", "info", "warn", "error", "critical", "off"};

constexpr std::array<std::string_view, 2> kTlsVersions{"1.2", "1.3"};

constexpr std::string_view kJobTypePlaceholder = "<jobType>";

// One value being applied: the YAML node, its dotted key, and the <jobType> of handlers.* keys.
struct Value {
    const YAML::Node& node;
    const std::string& key;
    const std::string& job_type;
};

// Thrown with the bare problem; Load adds the source and key (see Within).
[[noreturn]] void Fail(const std::string& key, const std::string& problem) {
    throw ConfigError(key, problem);
}

// What a value was, for "got ..." in messages; long scalars are cut.
std::string Describe(const YAML::Node& node) {
    constexpr std::size_t kMaxShown = 60;
    switch (node.Type()) {
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Scalar: break;
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return "nothing";
    }
    const std::string& text = node.Scalar();
    if (text.size() > kMaxShown) {
        return '"' + text.substr(0, kMaxShown) + "...\"";
    }
    return '"' + text + '"';
}

std::string String(const Value& value) {
    if (!value.node.IsScalar()) {
        Fail(value.key, "must be a string, got " + Describe(value.node));
    }
    return value.node.Scalar();
}

std::string NonEmptyString(const Value& value) {
    std::string text = String(value);
    if (text.empty()) {
        Fail(value.key, "must not be empty");
    }
    return text;
}

int Integer(const Value& value, int min, int max) {
    const std::optional<std::int64_t> number = detail::ParseInteger(String(value));
    if (!number) {
        Fail(value.key, "must be an integer, got " + Describe(value.node));
    }
    if (*number < min) {
        Fail(value.key, "must be at least " + std::to_string(min) + ", got " + value.node.Scalar());
    }
    if (*number > max) {
        Fail(value.key, "must be at most " + std::to_string(max) + ", got " + value.node.Scalar());
    }
    return static_cast<int>(*number);
}

Duration DurationAtLeast(const Value& value, Duration min) {
    const std::optional<Duration> duration = ParseDuration(String(value));
    if (!duration) {
        Fail(value.key,
             "must be a duration such as 250ms, 30s, 5m, 1h or 30d, got " + Describe(value.node));
    }
    if (*duration < min) {
        Fail(value.key,
             "must be at least " + detail::FormatDuration(min) + ", got " + value.node.Scalar());
    }
    return *duration;
}

std::size_t SizeInRange(const Value& value, std::size_t min, std::size_t max) {
    const std::optional<std::size_t> size = detail::ParseSize(String(value));
    if (!size) {
        Fail(value.key,
             "must be a byte count such as 1048576, 64KiB or 1MiB, got " + Describe(value.node));
    }
    if (*size < min || *size > max) {
        Fail(value.key,
             "must be " + std::to_string(min) + " to " + std::to_string(max) + " bytes, got " +
                 value.node.Scalar());
    }
    return *size;
}

template <std::size_t N>
std::string JoinNames(const std::array<std::string_view, N>& names) {
    std::string list;
    for (const std::string_view name : names) {
        list += (list.empty() ? "" : ", ") + std::string(name);
    }
    return list;
}

template <std::size_t N>
std::string OneOf(const Value& value, const std::array<std::string_view, N>& allowed) {
    std::string text = String(value);
    if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) {
        return text;
    }
    Fail(value.key, "must be one of " + JoinNames(allowed) + "; got " + Describe(value.node));
}

ListenAddress ListenEntry(const Value& value, const YAML::Node& entry) {
    const Value item{entry, value.key, value.job_type};
    const std::optional<ListenAddress> address = detail::ParseListenAddress(String(item));
    if (!address) {
        Fail(value.key,
             "must be host:port, http://host:port or https://host:port (IPv6 as [::1]:8780, "
             "port 0 for any free port), got " +
                 Describe(entry));
    }
    return *address;
}

// A single address or a list of them.
std::vector<ListenAddress> Listen(const Value& value) {
    if (!value.node.IsSequence()) {
        return {ListenEntry(value, value.node)};
    }
    if (value.node.size() == 0) {
        Fail(value.key, "must list at least one host:port");
    }
    std::vector<ListenAddress> addresses;
    for (const YAML::Node& entry : value.node) {
        addresses.push_back(ListenEntry(value, entry));
    }
    return addresses;
}

// "" is the system zone; anything else must be in the tz database.
std::string TimeZone(const Value& value) {
    std::string name = String(value);
    if (name.empty()) {
        return name;
    }
    try {
        date::locate_zone(name);
    } catch (const std::runtime_error&) {
        Fail(value.key, "unknown IANA time zone " + Describe(value.node));
    }
    return name;
}

// The handler's argv: no shell (contract §7), so a single string is refused, not split.
std::vector<std::string> Command(const Value& value) {
    if (!value.node.IsSequence() || value.node.size() == 0) {
        Fail(value.key,
             "must be a non-empty list of strings (the argv), got " + Describe(value.node));
    }
    std::vector<std::string> argv;
    for (const YAML::Node& word : value.node) {
        argv.push_back(String({word, value.key, value.job_type}));
    }
    if (argv.front().empty()) {
        Fail(value.key, "the program (first element) must not be empty");
    }
    return argv;
}

std::map<std::string, std::string> EnvironmentMap(const Value& value) {
    if (!value.node.IsMap()) {
        Fail(value.key,
             "must be a mapping of variable names to strings, got " + Describe(value.node));
    }
    std::map<std::string, std::string> variables;
    for (const auto& entry : value.node) {
        const std::string name = String({entry.first, value.key, value.job_type});
        if (name.empty() || name.find('=') != std::string::npos) {
            Fail(value.key, "invalid variable name " + Describe(entry.first));
        }
        const std::string key = value.key + "." + name;
        variables[name] = String({entry.second, key, value.job_type});
    }
    return variables;
}

Tls& TlsOf(Config& config) {
    return config.api.tls ? *config.api.tls : config.api.tls.emplace();
}

struct Key {
    std::string_view name;          // dotted; `<jobType>` stands for any of kJobTypes
    std::string_view default_text;  // Markdown, for DescribeKeys
    std::string_view meaning;       // Markdown, for DescribeKeys
    void (*apply)(const Value&, Config&);
    // Set exactly for the keys that need a restart: whether a and b agree on the key.
    bool (*same_for_restart)(const Config& a, const Config& b) = nullptr;
    std::string_view env_var = {};  // a JOBD_* variable that overrides the file
};

// Every key jobd reads (contract §4). A null value (`key:` or `key: ~`) keeps the default.
const std::array<Key, 25> kKeys{{
    {.name = "node.name",
     .default_text = "host name",
     .meaning = "this node's name, shown in runs (`serverName`) and logs",
     .apply = [](const Value& v, Config& c) { c.node.name = NonEmptyString(v); },
     .same_for_restart = [](const Config& a,
                            const Config& b) { return a.node.name == b.node.name; }},
    {.name = "database.url",
     .default_text = "unset: embedded cluster",
     .meaning = "libpq URL; a non-empty `JOBD_DATABASE_URL` wins over the file",
     // Never echoed: the URL may hold a password.
     .apply = [](const Value& v, Config& c) { c.database.url = NonEmptyString(v); },
     .same_for_restart = [](const Config& a,
                            const Config& b) { return a.database.url == b.database.url; },
     .env_var = "JOBD_DATABASE_URL"},
    {.name = "database.pool_size",
     .default_text = "`16`",
     .meaning = "PostgreSQL connections of this node (1-1000)",
     .apply = [](const Value& v, Config& c) { c.database.pool_size = Integer(v, 1, 1000); },
     .same_for_restart =
         [](const Config& a, const Config& b) {
             return a.database.pool_size == b.database.pool_size;
         }},
    {.name = "api.listen",
     .default_text = "`127.0.0.1:8780`",
     .meaning = "listener `host:port` or a list of them; IPv6 as `[::1]:8780`; port 0 picks a "
                "free port. `host:port` serves HTTPS when `api.tls` is set, else HTTP; "
                "`http://host:port` is always plain HTTP, `https://host:port` always HTTPS "
                "(needs `api.tls`)",
     .apply = [](const Value& v, Config& c) { c.api.listen = Listen(v); },
     .same_for_restart = [](const Config& a,
                            const Config& b) { return a.api.listen == b.api.listen; }},
    {.name = "api.unix_socket",
     .default_text = "`/run/jobd/jobd.sock`",
     .meaning = "local admin socket (peer credentials); empty: none",
     .apply = [](const Value& v, Config& c) { c.api.unix_socket = String(v); },
     .same_for_restart = [](const Config& a,
                            const Config& b) { return a.api.unix_socket == b.api.unix_socket; }},
    {.name = "api.max_body_bytes",
     .default_text = "`1MiB`",
     .meaning = "larger requests get 413 / fault 30003 (1KiB-1GiB; `65536`, `64KiB`, `1MiB`)",
     .apply =
         [](const Value& v, Config& c) {
             c.api.max_body_bytes = SizeInRange(v, std::size_t{1} << 10, std::size_t{1} << 30);
         }},
    {.name = "api.default_locale",
     .default_text = "`en-US`",
     .meaning = "language of fault reasons and jobd's messages when a request asks for none "
                "jobd has (`en`, `de`, `es`, `it`, `nl`, `sv`, with any region: `de-DE`)",
     .apply =
         [](const Value& v, Config& c) {
             c.api.default_locale = NonEmptyString(v);
             const auto language = LanguageOfTag(c.api.default_locale);
             if (!language) {
                 Fail(v.key,
                      "must be a locale jobd has messages for (en, de, es, it, nl or sv, as in "
                      "de-DE), got " +
                          c.api.default_locale);
             }
             c.api.default_language = *language;
         }},
    {.name = "api.tls.cert_file",
     .default_text = "unset: plain HTTP",
     .meaning = "PEM certificate chain, server certificate first; with `key_file`, serves HTTPS "
                "(see `api.listen`); read again on SIGHUP",
     .apply = [](const Value& v, Config& c) { TlsOf(c).cert_file = NonEmptyString(v); }},
    {.name = "api.tls.key_file",
     .default_text = "unset: plain HTTP",
     .meaning = "PEM private key of the certificate, unencrypted; required with `cert_file`; "
                "read again on SIGHUP",
     .apply = [](const Value& v, Config& c) { TlsOf(c).key_file = NonEmptyString(v); }},
    {.name = "api.tls.min_version",
     .default_text = "`1.2`",
     .meaning = "oldest TLS version accepted: `1.2` or `1.3`",
     .apply = [](const Value& v, Config& c) { TlsOf(c).min_version = OneOf(v, kTlsVersions); }},
    {.name = "workers.max_concurrent_runs",
     .default_text = "2 × CPU cores",
     .meaning = "runs executing at once on this node (1-10000)",
     .apply = [](const Value& v,
                 Config& c) { c.workers.max_concurrent_runs = Integer(v, 1, 10000); }},
    {.name = "workers.per_company_max_concurrent_runs",
     .default_text = "unlimited",
     .meaning = "runs of one company executing at once on all nodes, for tenant fairness "
                "(1-10000); each node checks its own value: give every node the same",
     .apply = [](const Value& v,
                 Config& c) { c.workers.per_company_max_concurrent_runs = Integer(v, 1, 10000); }},
    {.name = "scheduler.time_zone",
     .default_text = "system zone",
     .meaning = "IANA zone used as the IPS \"server local time zone\"; empty: the system's",
     .apply = [](const Value& v, Config& c) { c.scheduler.time_zone = TimeZone(v); },
     .same_for_restart =
         [](const Config& a, const Config& b) {
             return a.scheduler.time_zone == b.scheduler.time_zone;
         }},
    {.name = "scheduler.misfire_grace",
     .default_text = "`60s`",
     .meaning = "a fire found later than this is a misfire (at least 1s)",
     .apply = [](const Value& v,
                 Config& c) { c.scheduler.misfire_grace = DurationAtLeast(v, 1s); }},
    {.name = "runs.default_timeout",
     .default_text = "`1h`",
     .meaning = "a run still going after this is killed as `TimedOut` (at least 1s)",
     .apply = [](const Value& v, Config& c) { c.runs.default_timeout = DurationAtLeast(v, 1s); }},
    {.name = "runs.stop_grace",
     .default_text = "`10s`",
     .meaning = "SIGTERM to SIGKILL delay when a run is stopped or times out; `0s` kills at once",
     .apply = [](const Value& v, Config& c) { c.runs.stop_grace = DurationAtLeast(v, 0s); }},
    {.name = "runs.output_limit_bytes",
     .default_text = "`1MiB`",
     .meaning = "output kept per run as log details (1KiB-1GiB)",
     .apply =
         [](const Value& v, Config& c) {
             c.runs.output_limit_bytes = SizeInRange(v, std::size_t{1} << 10, std::size_t{1} << 30);
         }},
    {.name = "runs.lease",
     .default_text = "`30s`",
     .meaning = "a node not heard from this long loses its runs as `Lost` (at least 1s)",
     .apply = [](const Value& v, Config& c) { c.runs.lease = DurationAtLeast(v, 1s); },
     .same_for_restart = [](const Config& a,
                            const Config& b) { return a.runs.lease == b.runs.lease; }},
    {.name = "runs.retention",
     .default_text = "`30d`",
     .meaning = "history of succeeded, stopped and skipped runs kept, counted from the run's end; "
                "a company's own setting wins (`jobd admin set-retention`); older runs are pruned "
                "in the background (at least 1m)",
     .apply = [](const Value& v, Config& c) { c.runs.retention = DurationAtLeast(v, 1min); }},
    {.name = "runs.retention_failed",
     .default_text = "`90d`",
     .meaning = "history of failed, timed-out and lost runs kept, as `runs.retention` (at least "
                "1m)",
     .apply = [](const Value& v,
                 Config& c) { c.runs.retention_failed = DurationAtLeast(v, 1min); }},
    {.name = "log.level",
     .default_text = "`info`",
     .meaning = "daemon log level: trace, debug, info, warn, error, critical, off",
     .apply = [](const Value& v, Config& c) { c.log.level = OneOf(v, kLogLevels); }},
    {.name = "log.dir",
     .default_text = "`/var/log/jobd`",
     .meaning = "directory of the per-company outcome logs `companies/<companyHandle>.log`",
     .apply = [](const Value& v, Config& c) { c.log.dir = NonEmptyString(v); },
     .same_for_restart = [](const Config& a, const Config& b) { return a.log.dir == b.log.dir; }},
    {.name = "handlers.<jobType>.command",
     .default_text = "required",
     .meaning = "argv running the IPS job type (no shell); relative paths resolve against the "
                "daemon's working directory",
     .apply = [](const Value& v, Config& c) { c.handlers[v.job_type].command = Command(v); }},
    {.name = "handlers.<jobType>.timeout",
     .default_text = "`runs.default_timeout`",
     .meaning = "timeout of this job type's runs (at least 1s)",
     .apply = [](const Value& v,
                 Config& c) { c.handlers[v.job_type].timeout = DurationAtLeast(v, 1s); }},
    {.name = "handlers.<jobType>.env",
     .default_text = "none",
     .meaning = "extra environment of this job type's runs, a mapping of names to strings",
     .apply = [](const Value& v, Config& c) { c.handlers[v.job_type].env = EnvironmentMap(v); }},
}};

bool IsJobType(std::string_view name) {
    return std::find(kJobTypes.begin(), kJobTypes.end(), name) != kJobTypes.end();
}

std::vector<std::string_view> Split(std::string_view dotted) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t dot = dotted.find('.'); dot != std::string_view::npos;
         dot = dotted.find('.', start)) {
        parts.push_back(dotted.substr(start, dot - start));
        start = dot + 1;
    }
    parts.push_back(dotted.substr(start));
    return parts;
}

// Where a dotted key sits in kKeys: a leaf (key set) or a section above some leaves.
struct Match {
    const Key* key = nullptr;
    std::string job_type;
};

std::optional<Match> Find(const std::vector<std::string_view>& path) {
    for (const Key& key : kKeys) {
        const std::vector<std::string_view> pattern = Split(key.name);
        if (path.size() > pattern.size()) {
            continue;
        }
        Match match;
        const bool prefix =
            std::equal(path.begin(), path.end(), pattern.begin(), [&](auto a, auto p) {
                if (p == kJobTypePlaceholder && IsJobType(a)) {
                    match.job_type = a;
                    return true;
                }
                return a == p;
            });
        if (prefix) {
            match.key = path.size() == pattern.size() ? &key : nullptr;
            return match;
        }
    }
    return std::nullopt;
}

std::string UnknownKey(const std::string& parent) {
    if (parent != "handlers") {
        return "unknown key";
    }
    return "unknown key: not an IPS job type (" + JoinNames(kJobTypes) + ")";
}

void ApplyMapping(const YAML::Node& mapping, const std::string& parent, Config& config);

void ApplyEntry(const std::string& parent,
                const YAML::Node& name,
                const YAML::Node& node,
                Config& config) {
    const std::string text = name.IsScalar() ? name.Scalar() : Describe(name);
    const std::string key = parent.empty() ? text : parent + "." + text;
    // A dot inside one YAML key would otherwise reach a nested key by its dotted name.
    const bool plain = name.IsScalar() && !text.empty() && text.find('.') == std::string::npos;
    const std::optional<Match> match = plain ? Find(Split(key)) : std::nullopt;
    if (!match) {
        Fail(key, UnknownKey(parent));
    }
    if (match->key != nullptr) {
        if (!node.IsNull()) {
            match->key->apply({node, key, match->job_type}, config);
        }
        return;
    }
    if (!node.IsMap() && !node.IsNull()) {
        Fail(key, "must be a mapping of keys, got " + Describe(node));
    }
    if (key == "handlers." + match->job_type) {
        config.handlers.try_emplace(match->job_type);  // so a handler without command is caught
    }
    if (node.IsMap()) {
        ApplyMapping(node, key, config);
    }
}

void ApplyMapping(const YAML::Node& mapping, const std::string& parent, Config& config) {
    for (const auto& entry : mapping) {
        ApplyEntry(parent, entry.first, entry.second, config);
    }
}

// Values required together or at all, which no single key can check.
void CheckComplete(const Config& config) {
    if (config.api.tls && config.api.tls->cert_file.empty()) {
        Fail("api.tls.cert_file", "required when api.tls is set");
    }
    if (config.api.tls && config.api.tls->key_file.empty()) {
        Fail("api.tls.key_file", "required when api.tls is set");
    }
    for (const auto& [job_type, handler] : config.handlers) {
        if (handler.command.empty()) {
            Fail("handlers." + job_type + ".command", "required for a configured handler");
        }
    }
}

// Decides which listeners serve HTTPS, once api.tls is known whatever the keys' order.
void SettleListeners(Config& config) {
    for (ListenAddress& address : config.api.listen) {
        if (address.scheme == ListenAddress::Scheme::Https && !config.api.tls) {
            const bool ipv6 = address.host.find(':') != std::string::npos;
            Fail("api.listen",
                 "https://" + (ipv6 ? "[" + address.host + "]" : address.host) + ":" +
                     std::to_string(address.port) + " needs api.tls (cert_file and key_file)");
        }
        address.tls = address.scheme == ListenAddress::Scheme::Https ||
                      (address.scheme == ListenAddress::Scheme::Unspecified && config.api.tls);
    }
}

// Runs `step`, giving its ConfigError the "<source>: <key>: " prefix.
void Within(const std::string& source, const std::function<void()>& step) {
    try {
        step();
    } catch (const ConfigError& error) {
        const std::string key_part = error.key().empty() ? "" : error.key() + ": ";
        throw ConfigError(error.key(), source + ": " + key_part + error.what());
    }
}

std::string ReadFile(const std::filesystem::path& path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        Fail("", "cannot read: is a directory");  // ifstream would read it as an empty file
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        Fail("", std::string("cannot read: ") + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

YAML::Node ParseYaml(const std::string& text) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& error) {
        Fail("",
             "line " + std::to_string(error.mark.line + 1) + ", column " +
                 std::to_string(error.mark.column + 1) + ": " + error.msg);
    }
}

std::string HostName() {
    std::array<char, HOST_NAME_MAX + 1> name{};
    if (gethostname(name.data(), name.size() - 1) != 0 || name.front() == '\0') {
        return "localhost";
    }
    return name.data();
}

Config Defaults() {
    Config config;
    config.node.name = HostName();
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());  // 0: unknown
    config.workers.max_concurrent_runs = static_cast<int>(2 * cores);
    return config;
}

void ApplyFile(const std::filesystem::path& path, Config& config) {
    const YAML::Node root = ParseYaml(ReadFile(path));
    if (root.IsNull()) {
        return;  // an empty file: all defaults
    }
    if (!root.IsMap()) {
        Fail("",
             "the top level must be a mapping of sections (node, database, api, ...), got " +
                 Describe(root));
    }
    ApplyMapping(root, "", config);
}

void ApplyEnvironment(const Environment& env, Config& config) {
    const std::string no_job_type;
    for (const Key& key : kKeys) {
        const auto variable = key.env_var.empty() ? env.end() : env.find(std::string(key.env_var));
        if (variable == env.end() || variable->second.empty()) {
            continue;
        }
        const YAML::Node node(variable->second);
        const std::string name(key.name);
        Within(variable->first, [&] { key.apply({node, name, no_job_type}, config); });
    }
}

}  // namespace

Config Load(const std::filesystem::path& path, const Environment& env) {
    Config config = Defaults();
    Within(path.string(), [&] { ApplyFile(path, config); });
    ApplyEnvironment(env, config);
    Within(path.string(), [&] {
        CheckComplete(config);
        SettleListeners(config);
    });
    return config;
}

Environment ProcessEnvironment() {
    Environment env;
    for (const Key& key : kKeys) {
        if (key.env_var.empty()) {
            continue;
        }
        if (const char* value = std::getenv(std::string(key.env_var).c_str())) {
            env.emplace(key.env_var, value);
        }
    }
    return env;
}

std::string DescribeKeys() {
    std::string table = "| key | default | reloadable | meaning |\n|---|---|---|---|\n";
    for (const Key& key : kKeys) {
        table += "| `" + std::string(key.name) + "` | " + std::string(key.default_text) + " | " +
                 (key.same_for_restart ? "no" : "yes") + " | " + std::string(key.meaning) + " |\n";
    }
    table += "\n`<jobType>` is one of the IPS job-type elements:";
    for (const std::string_view name : kJobTypes) {
        table += " `" + std::string(name) + "`" + (name == kJobTypes.back() ? "." : ",");
    }
    return table + "\n";
}

std::vector<std::string> ChangedNonReloadableKeys(const Config& a, const Config& b) {
    std::vector<std::string> changed;
    for (const Key& key : kKeys) {
        if (key.same_for_restart && !key.same_for_restart(a, b)) {
            changed.emplace_back(key.name);
        }
    }
    return changed;
}

}  // namespace jobd::config

namespace jobd::config {
namespace {

// Markdown of the key table as roff text: code spans bold (with real minus signs, as they are
// typed), backslashes escaped, the table's one non-ASCII sign as its roff glyph.
std::string RoffText(std::string_view markdown) {
    constexpr std::string_view kTimes = "×";
    std::string out;
    bool in_code = false;
    for (std::size_t i = 0; i < markdown.size(); ++i) {
        const char c = markdown[i];
        if (c == '`') {
            out += in_code ? "\\fR" : "\\fB";
            in_code = !in_code;
        } else if (c == '\\') {
            out += "\\e";
        } else if (c == '-' && in_code) {
            out += "\\-";
        } else if (markdown.substr(i).starts_with(kTimes)) {
            out += "\\(mu";
            i += kTimes.size() - 1;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

// Text lines start with `\&` so that one beginning with `.` or `'` is not read as a request.
std::string DescribeKeysRoff() {
    std::string roff;
    for (const Key& key : kKeys) {
        roff += ".TP\n\\&" + RoffText("`" + std::string(key.name) + "`") +
                " (default: " + RoffText(key.default_text) +
                "; reloadable: " + (key.same_for_restart ? "no" : "yes") + ")\n\\&" +
                RoffText(key.meaning) + "\n";
    }
    roff += ".PP\n\\fI<jobType>\\fR is one of the IPS job-type elements:\n";
    for (const std::string_view name : kJobTypes) {
        roff += "\\&" + RoffText("`" + std::string(name) + "`") +
                (name == kJobTypes.back() ? "." : ",") + "\n";
    }
    return roff;
}

}  // namespace jobd::config
