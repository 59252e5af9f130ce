#include "jobd/config/config.hpp"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "jobd/config/detail/parse.hpp"

namespace jobd::config {
namespace {

using namespace std::chrono_literals;

// A YAML file in the temp directory, removed again when the test ends.
class TempConfig {
public:
    explicit TempConfig(const std::string& yaml) {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("jobd-config-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
                 ".yaml");
        std::ofstream(path_) << yaml;
    }

    ~TempConfig() { std::filesystem::remove(path_); }

    TempConfig(const TempConfig&) = delete;
    TempConfig& operator=(const TempConfig&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

Config LoadYaml(const std::string& yaml, const Environment& env = {}) {
    const TempConfig file(yaml);
    return Load(file.path(), env);
}

// The key a bad file is blamed on, or nullopt when it loads.
std::optional<std::string> KeyAtFault(const std::string& yaml) {
    try {
        LoadYaml(yaml);
        return std::nullopt;
    } catch (const ConfigError& error) {
        return error.key();
    }
}

TEST(ConfigLoad, EmptyFileGivesTheContractDefaults) {
    const Config config = LoadYaml("");
    EXPECT_FALSE(config.node.name.empty());
    EXPECT_FALSE(config.database.url.has_value());
    EXPECT_EQ(config.database.pool_size, 16);
    ASSERT_EQ(config.api.listen.size(), 1U);
    EXPECT_EQ(config.api.listen[0], (ListenAddress{"127.0.0.1", 8780}));
    EXPECT_EQ(config.api.unix_socket, "/run/jobd/jobd.sock");
    EXPECT_EQ(config.api.max_body_bytes, 1024U * 1024U);
    EXPECT_EQ(config.api.default_locale, "en-US");
    EXPECT_FALSE(config.api.tls.has_value());
    const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    EXPECT_EQ(config.workers.max_concurrent_runs, 2 * cores);
    EXPECT_FALSE(config.workers.per_company_max_concurrent_runs.has_value());
    EXPECT_EQ(config.scheduler.time_zone, "");
    EXPECT_EQ(config.scheduler.misfire_grace, 60s);
    EXPECT_EQ(config.runs.default_timeout, 1h);
    EXPECT_EQ(config.runs.stop_grace, 10s);
    EXPECT_EQ(config.runs.output_limit_bytes, 1024U * 1024U);
    EXPECT_EQ(config.runs.lease, 30s);
    EXPECT_EQ(config.runs.retention, 24h * 30);
    EXPECT_EQ(config.runs.retention_failed, 24h * 90);
    EXPECT_EQ(config.log.level, "info");
    EXPECT_EQ(config.log.dir, "/var/log/jobd");
    EXPECT_TRUE(config.handlers.empty());
}

TEST(ConfigLoad, SectionsWithoutValuesKeepDefaults) {
    const Config config = LoadYaml("node:\napi:\n  listen: ~\nruns: {}\n");
    EXPECT_EQ(config.api.listen[0].port, 8780);
    EXPECT_EQ(config.runs.lease, 30s);
}

struct ValueCase {
    std::string yaml;
    std::function<void(const Config&)> check;
};

TEST(ConfigLoad, ReadsEveryKey) {
    const std::vector<ValueCase> cases = {
        {"node: {name: node-a}", [](const Config& c) { EXPECT_EQ(c.node.name, "node-a"); }},
        {"database: {url: 'postgresql:///jobd'}",
         [](const Config& c) { EXPECT_EQ(c.database.url, "postgresql:///jobd"); }},
        {"database: {pool_size: 16}", [](const Config& c) { EXPECT_EQ(c.database.pool_size, 16); }},
        {"api: {listen: '0.0.0.0:80'}",
         [](const Config& c) {
             EXPECT_EQ(c.api.listen, (std::vector<ListenAddress>{{"0.0.0.0", 80}}));
             EXPECT_FALSE(c.api.listen[0].tls);
         }},
        {"api: {listen: ['127.0.0.1:0', '[::1]:8780', 'localhost:65535']}",
         [](const Config& c) {
             EXPECT_EQ(c.api.listen,
                       (std::vector<ListenAddress>{
                           {"127.0.0.1", 0}, {"::1", 8780}, {"localhost", 65535}}));
         }},
        {"api: {unix_socket: var/run/jobd.sock}",
         [](const Config& c) { EXPECT_EQ(c.api.unix_socket, "var/run/jobd.sock"); }},
        {"api: {unix_socket: ''}", [](const Config& c) { EXPECT_TRUE(c.api.unix_socket.empty()); }},
        {"api: {max_body_bytes: 65536}",
         [](const Config& c) { EXPECT_EQ(c.api.max_body_bytes, 65536U); }},
        {"api: {max_body_bytes: 64KiB}",
         [](const Config& c) { EXPECT_EQ(c.api.max_body_bytes, 64U * 1024U); }},
        {"api: {max_body_bytes: 1GiB}",
         [](const Config& c) { EXPECT_EQ(c.api.max_body_bytes, 1024U * 1024U * 1024U); }},
        {"api: {default_locale: de-DE}",
         [](const Config& c) {
             EXPECT_EQ(c.api.default_locale, "de-DE");
             EXPECT_EQ(c.api.default_language, Language::German);
         }},
        {"api: {default_locale: sv_SE}",
         [](const Config& c) { EXPECT_EQ(c.api.default_language, Language::Swedish); }},
        {"api: {tls: {cert_file: c.pem, key_file: k.pem}}",
         [](const Config& c) {
             ASSERT_TRUE(c.api.tls.has_value());
             EXPECT_EQ(c.api.tls->cert_file, "c.pem");
             EXPECT_EQ(c.api.tls->key_file, "k.pem");
             EXPECT_EQ(c.api.tls->min_version, "1.2");
         }},
        {"api: {tls: {cert_file: c.pem, key_file: k.pem, min_version: 1.3}}",
         [](const Config& c) { EXPECT_EQ(c.api.tls->min_version, "1.3"); }},
        {"workers: {max_concurrent_runs: 1}",
         [](const Config& c) { EXPECT_EQ(c.workers.max_concurrent_runs, 1); }},
        {"workers: {per_company_max_concurrent_runs: 3}",
         [](const Config& c) { EXPECT_EQ(c.workers.per_company_max_concurrent_runs, 3); }},
        {"scheduler: {time_zone: Europe/Berlin}",
         [](const Config& c) { EXPECT_EQ(c.scheduler.time_zone, "Europe/Berlin"); }},
        {"scheduler: {misfire_grace: 5m}",
         [](const Config& c) { EXPECT_EQ(c.scheduler.misfire_grace, 5min); }},
        {"runs: {default_timeout: 2h}",
         [](const Config& c) { EXPECT_EQ(c.runs.default_timeout, 2h); }},
        {"runs: {stop_grace: 0s}", [](const Config& c) { EXPECT_EQ(c.runs.stop_grace, 0s); }},
        {"runs: {stop_grace: 250ms}", [](const Config& c) { EXPECT_EQ(c.runs.stop_grace, 250ms); }},
        {"runs: {output_limit_bytes: 2MiB}",
         [](const Config& c) { EXPECT_EQ(c.runs.output_limit_bytes, 2U * 1024U * 1024U); }},
        {"runs: {lease: 45s}", [](const Config& c) { EXPECT_EQ(c.runs.lease, 45s); }},
        {"runs: {retention: 7d}", [](const Config& c) { EXPECT_EQ(c.runs.retention, 24h * 7); }},
        {"runs: {retention_failed: 1h}",
         [](const Config& c) { EXPECT_EQ(c.runs.retention_failed, 1h); }},
        // Minute-scale retention for tests and the benchmark (issue #8).
        {"runs: {retention: 1m, retention_failed: 2m}",
         [](const Config& c) {
             EXPECT_EQ(c.runs.retention, 1min);
             EXPECT_EQ(c.runs.retention_failed, 2min);
         }},
        {"log: {level: debug}", [](const Config& c) { EXPECT_EQ(c.log.level, "debug"); }},
        {"log: {level: 'off'}", [](const Config& c) { EXPECT_EQ(c.log.level, "off"); }},
        {"log: {dir: var/log}", [](const Config& c) { EXPECT_EQ(c.log.dir, "var/log"); }},
        {"handlers:\n  exportJob:\n    command: [libexec/x, --fast]\n    timeout: 30m\n"
         "    env: {A: '1', B: two}",
         [](const Config& c) {
             const Handler& handler = c.handlers.at("exportJob");
             EXPECT_EQ(handler.command, (std::vector<std::string>{"libexec/x", "--fast"}));
             EXPECT_EQ(handler.timeout, 30min);
             EXPECT_EQ(handler.env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}}));
         }},
        {"handlers: {uploadPostJob: {command: [a]}}",
         [](const Config& c) {
             EXPECT_FALSE(c.handlers.at("uploadPostJob").timeout.has_value());
             EXPECT_TRUE(c.handlers.at("uploadPostJob").env.empty());
         }},
    };
    for (const ValueCase& value_case : cases) {
        SCOPED_TRACE(value_case.yaml);
        value_case.check(LoadYaml(value_case.yaml));
    }
}

struct FaultCase {
    std::string yaml;
    std::string key;  // the key the error must name
};

TEST(ConfigLoad, BadFilesNameTheKeyAtFault) {
    const std::vector<FaultCase> cases = {
        // Unknown keys at every level.
        {"nodes: {name: a}", "nodes"},
        {"api: {listn: '127.0.0.1:1'}", "api.listn"},
        {"api: {tls: {cert: a}}", "api.tls.cert"},
        {"handlers: {fooJob: {command: [a]}}", "handlers.fooJob"},
        {"handlers: {exportJob: {command: [a], retries: 3}}", "handlers.exportJob.retries"},
        {"commandJob: {}", "commandJob"},
        {"'api.listen': '127.0.0.1:1'", "api.listen"},  // dotted names are not keys
        // Sections must be mappings.
        {"api: 3", "api"},
        {"api: {tls: [a]}", "api.tls"},
        {"handlers: [exportJob]", "handlers"},
        // Wrong types and values, key by key.
        {"node: {name: ''}", "node.name"},
        {"node: {name: [a]}", "node.name"},
        {"database: {url: ''}", "database.url"},
        {"database: {url: {a: b}}", "database.url"},
        {"database: {pool_size: 0}", "database.pool_size"},
        {"database: {pool_size: many}", "database.pool_size"},
        {"database: {pool_size: 1001}", "database.pool_size"},
        {"database: {pool_size: 4.5}", "database.pool_size"},
        {"api: {listen: 8780}", "api.listen"},
        {"api: {listen: 'localhost:'}", "api.listen"},
        {"api: {listen: ':8780'}", "api.listen"},
        {"api: {listen: 'localhost:65536'}", "api.listen"},
        {"api: {listen: 'localhost:-1'}", "api.listen"},
        {"api: {listen: '::1:8780'}", "api.listen"},
        {"api: {listen: '[::1]8780'}", "api.listen"},
        {"api: {listen: []}", "api.listen"},
        {"api: {listen: ['127.0.0.1:1', [a]]}", "api.listen"},
        {"api: {listen: {host: a}}", "api.listen"},
        {"api: {unix_socket: [a]}", "api.unix_socket"},
        {"api: {max_body_bytes: 1MB}", "api.max_body_bytes"},
        {"api: {max_body_bytes: -1}", "api.max_body_bytes"},
        {"api: {max_body_bytes: 100}", "api.max_body_bytes"},
        {"api: {max_body_bytes: 2GiB}", "api.max_body_bytes"},
        {"api: {max_body_bytes: 99999999999999999999999}", "api.max_body_bytes"},
        {"api: {default_locale: ''}", "api.default_locale"},
        {"api: {default_locale: fr-FR}", "api.default_locale"},  // no French catalog
        {"api: {tls: {cert_file: c.pem}}", "api.tls.key_file"},
        {"api: {tls: {key_file: k.pem}}", "api.tls.cert_file"},
        {"api: {tls: {min_version: '1.3'}}", "api.tls.cert_file"},
        {"api: {tls: {cert_file: c, key_file: k, min_version: '1.1'}}", "api.tls.min_version"},
        {"api: {listen: 'https://127.0.0.1:8443'}", "api.listen"},  // https:// needs api.tls
        {"api: {listen: 'ftp://127.0.0.1:21'}", "api.listen"},
        {"api: {listen: 'https://127.0.0.1:8443/'}", "api.listen"},
        {"workers: {max_concurrent_runs: 0}", "workers.max_concurrent_runs"},
        {"workers: {max_concurrent_runs: -2}", "workers.max_concurrent_runs"},
        {"workers: {per_company_max_concurrent_runs: 0}",
         "workers.per_company_max_concurrent_runs"},
        {"scheduler: {time_zone: Mars/Olympus}", "scheduler.time_zone"},
        {"scheduler: {time_zone: [UTC]}", "scheduler.time_zone"},
        {"scheduler: {misfire_grace: 60}", "scheduler.misfire_grace"},
        {"scheduler: {misfire_grace: 0s}", "scheduler.misfire_grace"},
        {"runs: {default_timeout: -1h}", "runs.default_timeout"},
        {"runs: {stop_grace: 10 s}", "runs.stop_grace"},
        {"runs: {output_limit_bytes: lots}", "runs.output_limit_bytes"},
        {"runs: {lease: 1.5s}", "runs.lease"},
        {"runs: {retention: 59s}", "runs.retention"},
        {"runs: {retention_failed: 999999999999999999d}", "runs.retention_failed"},
        {"log: {level: verbose}", "log.level"},
        {"log: {level: INFO}", "log.level"},
        {"log: {dir: ''}", "log.dir"},
        {"handlers: {exportJob: {timeout: 5m}}", "handlers.exportJob.command"},
        {"handlers: {exportJob: ~}", "handlers.exportJob.command"},
        {"handlers: {exportJob: {command: libexec/x}}", "handlers.exportJob.command"},
        {"handlers: {exportJob: {command: []}}", "handlers.exportJob.command"},
        {"handlers: {exportJob: {command: ['']}}", "handlers.exportJob.command"},
        {"handlers: {exportJob: {command: [a, [b]]}}", "handlers.exportJob.command"},
        {"handlers: {exportJob: {command: [a], timeout: soon}}", "handlers.exportJob.timeout"},
        {"handlers: {exportJob: {command: [a], env: [A]}}", "handlers.exportJob.env"},
        {"handlers: {exportJob: {command: [a], env: {'A=B': c}}}", "handlers.exportJob.env"},
        {"handlers: {exportJob: {command: [a], env: {A: [b]}}}", "handlers.exportJob.env.A"},
        // The file as a whole.
        {"[node, api]", ""},
        {"just text", ""},
        {"api: {listen: [unclosed\n", ""},
        {"api:\n  listen: a\n listen: b\n", ""},
    };
    for (const FaultCase& fault : cases) {
        SCOPED_TRACE(fault.yaml);
        EXPECT_EQ(KeyAtFault(fault.yaml), fault.key);
    }
}

TEST(ConfigLoad, MessageReadsFileThenKeyThenProblem) {
    const TempConfig file("workers:\n  max_concurrent_runs: 0\n");
    try {
        Load(file.path(), {});
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        const std::string expected_start =
            file.path().string() + ": workers.max_concurrent_runs: must be at least 1";
        EXPECT_EQ(std::string(error.what()).substr(0, expected_start.size()), expected_start);
        EXPECT_NE(std::string(error.what()).find("got 0"), std::string::npos);
    }
}

TEST(ConfigLoad, SyntaxErrorNamesFileAndLine) {
    const TempConfig file("node:\n  name: a\napi: {listen: [x\n");
    try {
        Load(file.path(), {});
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_EQ(error.key(), "");
        const std::string what = error.what();
        EXPECT_EQ(what.rfind(file.path().string() + ": line ", 0), 0U) << what;
    }
}

TEST(ConfigLoad, MissingFileNamesTheFile) {
    const std::filesystem::path missing =
        std::filesystem::temp_directory_path() / "jobd-config-test-does-not-exist.yaml";
    try {
        Load(missing, {});
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_EQ(error.key(), "");
        EXPECT_EQ(std::string(error.what()).rfind(missing.string() + ": ", 0), 0U);
    }
}

TEST(ConfigLoad, DirectoryIsNotAnEmptyFile) {
    EXPECT_THROW(Load(std::filesystem::temp_directory_path(), {}), ConfigError);
}

TEST(ConfigLoad, DatabaseUrlFromEnvironmentWinsOverFile) {
    const Environment env{{"JOBD_DATABASE_URL", "postgresql://db/env"}};
    EXPECT_EQ(LoadYaml("database: {url: 'postgresql://db/file'}", env).database.url,
              "postgresql://db/env");
    EXPECT_EQ(LoadYaml("", env).database.url, "postgresql://db/env");
}

TEST(ConfigLoad, EmptyDatabaseUrlVariableIsIgnored) {
    const Environment env{{"JOBD_DATABASE_URL", ""}};
    EXPECT_FALSE(LoadYaml("", env).database.url.has_value());
    EXPECT_EQ(LoadYaml("database: {url: 'postgresql://db/file'}", env).database.url,
              "postgresql://db/file");
}

TEST(ConfigLoad, OtherVariablesAreNotConfiguration) {
    const Environment env{{"JOBD_TOKEN", "jobd_secret"}, {"JOBD_LOG_LEVEL", "nonsense"}};
    EXPECT_EQ(LoadYaml("", env).log.level, "info");
}

struct DurationCase {
    std::string_view text;
    std::optional<Duration> expected;
};

TEST(ParseDuration, AcceptsUnitsAndRejectsTheRest) {
    const std::vector<DurationCase> cases = {
        {"250ms", 250ms},
        {"30s", 30s},
        {"5m", 5min},
        {"1h", 1h},
        {"30d", 24h * 30},
        {"0s", 0s},
        {"007s", 7s},
        {"", std::nullopt},
        {"30", std::nullopt},
        {"s", std::nullopt},
        {"-5s", std::nullopt},
        {"+5s", std::nullopt},
        {"1.5s", std::nullopt},
        {"5 s", std::nullopt},
        {" 5s", std::nullopt},
        {"5S", std::nullopt},
        {"1h30m", std::nullopt},
        {"5w", std::nullopt},
        {"5sec", std::nullopt},
        {"106751991168d", std::nullopt},              // over the int64 millisecond range
        {"99999999999999999999999ms", std::nullopt},  // over uint64 while reading digits
        {"9223372036854775807ms", Duration(9223372036854775807LL)},
    };
    for (const DurationCase& duration_case : cases) {
        SCOPED_TRACE(duration_case.text);
        EXPECT_EQ(ParseDuration(duration_case.text), duration_case.expected);
    }
}

// Range messages show durations as written in the file ("at least 1s", not "1000ms").
TEST(FormatDuration, UsesTheLargestExactUnit) {
    const std::vector<std::pair<Duration, std::string>> cases = {
        {0ms, "0ms"},
        {250ms, "250ms"},
        {1s, "1s"},
        {90s, "90s"},
        {5min, "5m"},
        {1h, "1h"},
        {24h * 30, "30d"},
        {1001ms, "1001ms"},
    };
    for (const auto& [duration, text] : cases) {
        EXPECT_EQ(detail::FormatDuration(duration), text);
        EXPECT_EQ(ParseDuration(text), duration);
    }
}

TEST(ChangedNonReloadableKeys, ListsOnlyKeysThatNeedARestart) {
    const Config before = LoadYaml("database: {url: 'postgresql:///a'}\nlog: {level: info}\n");
    const Config after = LoadYaml(
        "database: {url: 'postgresql:///b'}\nlog: {level: debug}\n"
        "api: {listen: '127.0.0.1:9000', tls: {cert_file: c, key_file: k}}\n"
        "runs: {stop_grace: 1s}\nhandlers: {exportJob: {command: [a]}}\n");
    EXPECT_EQ(ChangedNonReloadableKeys(before, after),
              (std::vector<std::string>{"database.url", "api.listen"}));
    EXPECT_TRUE(ChangedNonReloadableKeys(before, before).empty());
}

// A renewed certificate at new paths is picked up on SIGHUP (issue #7); turning TLS on or off
// changes what a bare listener serves, which needs a restart.
TEST(ChangedNonReloadableKeys, CertificatePathsReloadButTlsOnOffDoesNot) {
    const Config one = LoadYaml("api: {tls: {cert_file: a.crt, key_file: a.key}}\n");
    const Config two =
        LoadYaml("api: {tls: {cert_file: b.crt, key_file: b.key, min_version: '1.3'}}\n");
    EXPECT_TRUE(ChangedNonReloadableKeys(one, two).empty());
    EXPECT_EQ(ChangedNonReloadableKeys(LoadYaml(""), one),
              (std::vector<std::string>{"api.listen"}));
}

// Which listeners serve HTTPS (docs/configuration.md, api.listen).
TEST(ConfigLoad, ListenSchemesDecideTls) {
    const Config with_tls = LoadYaml(
        "api:\n"
        "  listen: ['0.0.0.0:8443', 'http://127.0.0.1:8780', 'https://[::1]:8444']\n"
        "  tls: {cert_file: c.pem, key_file: k.pem}\n");
    ASSERT_EQ(with_tls.api.listen.size(), 3U);
    EXPECT_TRUE(with_tls.api.listen[0].tls);
    EXPECT_EQ(with_tls.api.listen[0].host, "0.0.0.0");
    EXPECT_FALSE(with_tls.api.listen[1].tls);
    EXPECT_EQ(with_tls.api.listen[1].port, 8780);
    EXPECT_TRUE(with_tls.api.listen[2].tls);
    EXPECT_EQ(with_tls.api.listen[2].host, "::1");
    const Config without_tls = LoadYaml("api: {listen: ['0.0.0.0:8780', 'http://[::1]:80']}\n");
    EXPECT_FALSE(without_tls.api.listen[0].tls);
    EXPECT_FALSE(without_tls.api.listen[1].tls);
    EXPECT_EQ(without_tls.api.listen[1].host, "::1");
}

std::string ReadSourceFile(const std::string& relative) {
    std::ifstream in(std::filesystem::path(JOBD_SOURCE_DIR) / relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// docs/configuration.md is generated from the key table; this keeps it from drifting.
TEST(DescribeKeys, DocumentationHoldsTheGeneratedTable) {
    const std::string doc = ReadSourceFile("docs/configuration.md");
    EXPECT_NE(doc.find(DescribeKeys()), std::string::npos)
        << "docs/configuration.md is stale; paste this table into it:\n"
        << DescribeKeys();
}

TEST(DescribeKeys, HasARowPerKey) {
    const std::string table = DescribeKeys();
    for (const std::string_view key : {"`node.name`",
                                       "`database.url`",
                                       "`api.tls.min_version`",
                                       "`runs.retention_failed`",
                                       "`handlers.<jobType>.env`"}) {
        EXPECT_NE(table.find(std::string("| ") + std::string(key) + " |"), std::string::npos)
            << key;
    }
}

// The shipped demo config must load as is: scripts/run starts jobd with it.
TEST(ShippedConfig, LoadsWithHandlersForEveryIpsJobType) {
    const Config config =
        Load(std::filesystem::path(JOBD_SOURCE_DIR) / "etc/jobd.yaml", Environment{});
    EXPECT_EQ(config.handlers.size(), 14U);
    EXPECT_FALSE(config.database.url.has_value());
    EXPECT_EQ(config.api.unix_socket, "var/run/jobd.sock");
    EXPECT_EQ(config.log.dir, "var/log");
    for (const auto& [job_type, handler] : config.handlers) {
        SCOPED_TRACE(job_type);
        EXPECT_EQ(handler.command, (std::vector<std::string>{"libexec/ips-demo-handler"}));
        EXPECT_EQ(handler.timeout, 30min);
    }
}

}  // namespace
}  // namespace jobd::config
