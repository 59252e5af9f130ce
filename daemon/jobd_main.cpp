// jobd: the daemon and its admin subcommands (contract §3). Command line only; the work is in
// commands.hpp.

#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {

constexpr const char* kDefaultConfig = "/etc/jobd/jobd.yaml";

}  // namespace

int main(int argc, char** argv) {
    using namespace jobd::daemon;
    CLI::App app{"jobd - PostgreSQL-backed job scheduling daemon speaking the IPS job API"};
    app.set_version_flag("--version", std::string("jobd ") + JOBD_VERSION);
    std::string config = kDefaultConfig;
    app.add_option("--config", config, "configuration file")->capture_default_str();
    app.require_subcommand(0, 1);

    auto* migrate = app.add_subcommand("migrate", "apply pending database migrations and exit");
    auto* check = app.add_subcommand("check-config", "validate the configuration and exit");
    auto* admin = app.add_subcommand("admin", "manage companies, users and API tokens");
    admin->require_subcommand(1);
    for (auto* sub : {migrate, check, admin}) {
        sub->add_option("--config", config, "configuration file");
    }

    std::string name, email, company, role, label;
    std::optional<std::int64_t> handle;
    bool password_stdin = false;
    auto* add_company = admin->add_subcommand("add-company", "create a company");
    add_company->add_option("NAME", name, "company name")->required();
    add_company->add_option("--handle", handle, "company handle (decimal id) to use");
    auto* add_user = admin->add_subcommand("add-user", "create a user or add a membership");
    add_user->add_option("EMAIL", email, "the user's e-mail (login)")->required();
    add_user->add_option("--company", company, "company handle")->required();
    add_user->add_option("--role", role, "IPS role, e.g. IpsUser, IpsCompanyAdmin, IpsAdmin")
        ->required();
    add_user->add_flag("--password-stdin", password_stdin, "read the password from stdin");
    auto* add_token = admin->add_subcommand("add-token", "print a new API token for a user once");
    add_token->add_option("EMAIL", email, "the user's e-mail")->required();
    add_token->add_option("--name", label, "a label for the token");
    std::optional<std::string> retention, retention_failed;
    auto* set_retention = admin->add_subcommand(
        "set-retention", "set how long a company's finished runs are kept (runs.retention)");
    set_retention->add_option("COMPANY", company, "company handle")->required();
    set_retention
        ->add_option("--retention",
                     retention,
                     "succeeded, stopped and skipped runs: a duration (7d, 12h, at least 1m) or "
                     "\"default\" for runs.retention")
        ->type_name("DURATION");
    set_retention
        ->add_option("--retention-failed",
                     retention_failed,
                     "failed, timed-out and lost runs: a duration or \"default\" for "
                     "runs.retention_failed")
        ->type_name("DURATION");
    for (auto* sub : {add_company, add_user, add_token, set_retention}) {
        sub->add_option("--config", config, "configuration file");
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }
    if (*migrate) {
        return Migrate(config);
    }
    if (*check) {
        return CheckConfig(config);
    }
    if (*add_company) {
        return AddCompany(config, name, handle);
    }
    if (*add_user) {
        return AddUser(config, email, company, role, password_stdin);
    }
    if (*add_token) {
        return AddToken(config, email, label);
    }
    if (*set_retention) {
        return SetRetention(config, company, retention, retention_failed);
    }
    return RunDaemon(config);
}
