// jobd migrate, check-config and admin subcommands (contract §3).

#include <chrono>
#include <iostream>
#include <tuple>
#include <utility>

#include <pqxx/pqxx>
#include <unistd.h>

#include "commands.hpp"
#include "jobd/auth/password.hpp"
#include "jobd/auth/token.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/retention.hpp"
#include "setup.hpp"

namespace jobd::daemon {
namespace {

// Runs `body` with a migrated database; maps failures to exit codes with a message naming them.
template <typename Body>
int WithDatabase(const std::filesystem::path& config_path, Body body) {
    const auto config = LoadConfig(config_path);
    if (!config) {
        return kExitUsage;
    }
    log::Setup("warn");
    try {
        const std::string url = DatabaseUrl(*config);
        ApplyMigrations(url);
        pqxx::connection connection{url};
        pqxx::work tx{connection};
        body(tx);
        tx.commit();
        return kExitOk;
    } catch (const config::ConfigError& e) {
        std::cerr << "jobd: " << config_path.string() << ": " << e.what() << "\n";
        return kExitUsage;
    } catch (const Error& e) {
        std::cerr << "jobd: " << e.what() << "\n";
        const bool usage =
            e.kind() == ErrorKind::InvalidParameter || e.kind() == ErrorKind::NotFound;
        return usage ? kExitUsage : kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "jobd: database: " << e.what() << "\n";
        return kExitFailure;
    }
}

std::string ReadPassword(bool from_stdin) {
    if (!from_stdin && ::isatty(STDIN_FILENO)) {
        std::cerr << "Password: " << std::flush;
    }
    std::string password;
    std::getline(std::cin, password);
    return password;
}

// "default" (back to the config's value), or a duration of at least a minute as in the config.
std::optional<std::optional<std::chrono::milliseconds>> ParseRetention(const std::string& text) {
    if (text == kRetentionDefault) {
        return std::optional<std::chrono::milliseconds>();
    }
    const auto duration = config::ParseDuration(text);
    if (!duration || *duration < std::chrono::minutes(1)) {
        return std::nullopt;
    }
    return duration;
}

// The largest unit that shows `duration` exactly, in the config's syntax ("7d", "90m").
std::string FormatDuration(std::chrono::milliseconds duration) {
    using namespace std::chrono_literals;
    const std::pair<std::chrono::milliseconds, const char*> units[] = {
        {24h, "d"}, {1h, "h"}, {1min, "m"}, {1s, "s"}};
    for (const auto& [unit, suffix] : units) {
        if (duration % unit == 0ms) {
            return std::to_string(duration / unit) + suffix;
        }
    }
    return std::to_string(duration.count()) + "ms";
}

std::string Describe(std::optional<std::chrono::milliseconds> own,
                     std::chrono::milliseconds configured) {
    return own ? FormatDuration(*own) : "default (" + FormatDuration(configured) + ")";
}

}  // namespace

int CheckConfig(const std::filesystem::path& config_path) {
    const auto config = LoadConfig(config_path);
    if (!config) {
        return kExitUsage;
    }
    log::Setup("warn");
    if (!LoadTls(config_path, *config)) {
        return kExitUsage;
    }
    std::cout << config_path.string() << ": ok\n";
    return kExitOk;
}

int Migrate(const std::filesystem::path& config_path) {
    return WithDatabase(config_path, [](pqxx::work&) { std::cout << "database is up to date\n"; });
}

int AddCompany(const std::filesystem::path& config_path,
               const std::string& name,
               std::optional<std::int64_t> handle) {
    return WithDatabase(config_path, [&](pqxx::work& tx) {
        const auto id = store::AddCompany(tx, name, handle);
        std::cout << "company \"" << name << "\" companyHandle=" << id << "\n";
    });
}

int AddUser(const std::filesystem::path& config_path,
            const std::string& email,
            const std::string& company,
            const std::string& role_name,
            bool password_stdin) {
    const auto role = Parse<Role>(role_name);
    const auto company_id = ParseCompanyHandle(company);
    if (!role || !company_id) {
        std::cerr << "jobd: "
                  << (!role ? "--role: \"" + role_name + "\" is not an IPS role"
                            : "--company: \"" + company + "\" is not a company handle")
                  << "\n";
        return kExitUsage;
    }
    const std::string password = ReadPassword(password_stdin);
    if (password.empty()) {
        std::cerr << "jobd: password: empty (give it on stdin)\n";
        return kExitUsage;
    }
    const std::string hash = auth::HashPassword(password);
    return WithDatabase(config_path, [&](pqxx::work& tx) {
        const auto id = store::AddUser(tx, email, hash, company_id, *role);
        std::cout << "user " << email << " userHandle=" << id << " role=" << role_name
                  << " company=" << *company_id << "\n";
    });
}

int AddToken(const std::filesystem::path& config_path,
             const std::string& email,
             const std::string& name) {
    return WithDatabase(config_path, [&](pqxx::work& tx) {
        const auto user = store::FindUserByEmail(tx, email);
        if (!user) {
            throw Error(ErrorKind::InvalidParameter,
                        Message(MessageId::NoSuchUser, {{"email", email}}),
                        "EMAIL");
        }
        const std::string token = auth::NewToken();
        store::AddToken(tx, user->id, name, auth::TokenDigest(token));
        // Printed once: only its digest is stored (contract §6).
        std::cout << token << "\n";
    });
}

int SetRetention(const std::filesystem::path& config_path,
                 const std::string& company,
                 const std::optional<std::string>& retention,
                 const std::optional<std::string>& retention_failed) {
    const auto company_id = ParseCompanyHandle(company);
    if (!company_id) {
        std::cerr << "jobd: COMPANY: \"" << company << "\" is not a company handle\n";
        return kExitUsage;
    }
    if (!retention && !retention_failed) {
        std::cerr << "jobd: set-retention: give --retention, --retention-failed or both\n";
        return kExitUsage;
    }
    std::optional<std::optional<std::chrono::milliseconds>> kept;
    std::optional<std::optional<std::chrono::milliseconds>> kept_failed;
    for (const auto& [option, text, parsed] :
         {std::tuple{"--retention", &retention, &kept},
          std::tuple{"--retention-failed", &retention_failed, &kept_failed}}) {
        if (!*text) {
            continue;
        }
        *parsed = ParseRetention(**text);
        if (!*parsed) {
            std::cerr << "jobd: " << option << ": \"" << **text
                      << "\" is not a duration of at least 1m (e.g. 7d, 12h) or \""
                      << kRetentionDefault << "\"\n";
            return kExitUsage;
        }
    }
    const auto config = LoadConfig(config_path);
    if (!config) {
        return kExitUsage;
    }
    return WithDatabase(config_path, [&](pqxx::work& tx) {
        store::CompanyRetention own = store::FindCompanyRetention(tx, *company_id);
        own.kept = kept.value_or(own.kept);
        own.kept_failed = kept_failed.value_or(own.kept_failed);
        store::SetCompanyRetention(tx, *company_id, own);
        std::cout << "company " << *company_id
                  << " retention=" << Describe(own.kept, config->runs.retention)
                  << " retention_failed="
                  << Describe(own.kept_failed, config->runs.retention_failed) << "\n";
    });
}

}  // namespace jobd::daemon
