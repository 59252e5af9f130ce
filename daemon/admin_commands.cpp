// jobd migrate, check-config and admin subcommands (contract §3).

#include <iostream>

#include <pqxx/pqxx>
#include <unistd.h>

#include "commands.hpp"
#include "jobd/auth/password.hpp"
#include "jobd/auth/token.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"
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
        return e.kind() == ErrorKind::InvalidParameter ? kExitUsage : kExitFailure;
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

}  // namespace jobd::daemon
