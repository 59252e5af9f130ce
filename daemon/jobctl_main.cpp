// jobctl: the command-line client of jobd's JSON API (contract §3). Wiring only: requests are
// built and answers rendered in lib/jobd/client. Exit codes: 0 ok, 1 a fault answer or an
// unreachable daemon, 2 bad usage.

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include "jobd/client/api_client.hpp"
#include "jobd/client/requests.hpp"
#include "jobd/client/views.hpp"
#include "jobd/model/error.hpp"

namespace {

namespace client = jobd::client;
namespace json = boost::json;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

using Renderer = std::function<std::string(const json::object&)>;

struct Globals {
    std::optional<std::string> url;
    std::optional<std::string> socket;
    std::optional<std::string> cacert;
    bool insecure = false;
    bool json_output = false;
    double timeout_seconds = 30;
};

// The subcommand's work, set by its callback and run after parsing so errors reach main.
using Action = std::function<void()>;

std::optional<std::string> Env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::optional<std::string>(value) : std::nullopt;
}

client::ClientOptions OptionsFrom(const Globals& globals) {
    client::Credentials credentials{Env("JOBD_USER").value_or(""),
                                    Env("JOBD_PASSWORD").value_or(""),
                                    Env("JOBD_TOKEN").value_or("")};
    std::error_code ignored;  // an unreadable /run/jobd counts as no socket
    const client::EndpointInputs inputs{
        globals.url,
        globals.socket,
        Env("JOBD_URL"),
        Env("JOBD_SOCKET"),
        !credentials.Empty(),
        std::filesystem::exists(client::kDefaultSocket, ignored),
    };
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(globals.timeout_seconds));
    client::TlsOptions tls{globals.cacert ? *globals.cacert : Env("JOBD_CACERT").value_or(""),
                           globals.insecure};
    return {client::ChooseEndpoint(inputs), std::move(credentials), timeout, std::move(tls)};
}

void Run(const Globals& globals,
         std::string_view operation,
         const json::object& params,
         const Renderer& render) {
    const client::ApiClient api(OptionsFrom(globals));
    const json::object answer = api.Call(operation, params);
    std::cout << (globals.json_output ? client::PrettyJson(answer) : render(answer));
}

Renderer FieldOf(std::string key) {
    return [key](const json::object& answer) { return client::RenderField(answer, key); };
}

void AddSubmit(CLI::App& app, const Globals& globals, Action& action) {
    auto options = std::make_shared<client::SubmitOptions>();
    auto trailing = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand("submit", "Create a job (submitJob); prints its handle");
    cmd->add_option("COMPANY", options->company, "company handle, e.g. 47")->required();
    cmd->add_option("NAME", options->name, "job name, unique in the company")->required();
    // CLI11 reads every word starting with '-' as an option, so a program whose arguments
    // start with '-' is given after "--" instead: `submit 47 backup -- tar -czf b.tgz /etc`.
    cmd->add_option("ARGS", *trailing, "after --: the program and its arguments (for a '-' arg)");
    cmd->add_option("--command", options->command, "run a program: its argv");
    cmd->add_option("--type", options->job_type, "IPS job type, e.g. imageServingPublishJob");
    cmd->add_option("--field", options->fields, "job-type field: key=text or key:=JSON");
    cmd->add_option("--schedule", options->schedule, "recurring: cron, Quartz or @every");
    cmd->add_option("--at", options->at, "one shot at an ISO 8601 time with offset");
    cmd->add_option("--tz", options->time_zone, "IANA time zone of the schedule");
    cmd->add_option("--overlap", options->overlap, "Forbid (default), Allow or Queue");
    cmd->add_option("--timeout", options->timeout_seconds, "run time limit in seconds")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--retries", options->max_retries, "retries of a failed run")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--backoff", options->backoff_seconds, "first retry delay in seconds")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--misfire", options->misfire, "FireOnce (default) or Skip");
    cmd->add_option("--description", options->description, "free text");
    cmd->add_option("--env", options->env, "environment of a --command job: K=V");
    cmd->add_option("--workdir", options->working_dir, "working directory of a --command job");
    cmd->callback([&globals, &action, options, trailing] {
        action = [&globals, options, trailing] {
            options->command.insert(options->command.end(), trailing->begin(), trailing->end());
            Run(globals, "submitJob", client::BuildSubmitJob(*options), FieldOf("jobHandle"));
        };
    });
}

struct JobActionSpec {
    std::string name;       // the subcommand
    std::string operation;  // the API operation
    std::string help;
    std::string done;  // what the table output says happened
};

void AddJobAction(CLI::App& app, const Globals& globals, Action& action, JobActionSpec spec) {
    struct Args {
        std::string company, job;
    };

    auto args = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(spec.name, spec.operation + ": " + spec.help);
    cmd->add_option("COMPANY", args->company, "company handle, e.g. 47")->required();
    cmd->add_option("JOB", args->job, "job handle (47|Name|) or job name")->required();
    cmd->callback([&globals, &action, args, spec] {
        action = [&globals, args, spec] {
            const json::object params = client::BuildJobAction(args->company, args->job);
            const std::string handle(params.at("jobHandle").as_string());
            Renderer render = spec.operation == "executeJob"
                                  ? FieldOf("runHandle")
                                  : [message = spec.done + " " + handle +
                                               "\n"](const json::object&) { return message; };
            Run(globals, spec.operation, params, render);
        };
    });
}

void AddJobQuery(CLI::App& app,
                 const Globals& globals,
                 Action& action,
                 const std::string& name,
                 const std::string& operation,
                 std::string (*render)(const json::object&)) {
    auto company = std::make_shared<std::optional<std::string>>();
    CLI::App* cmd = app.add_subcommand(name, operation + ": list as a table");
    cmd->add_option("COMPANY", *company, "company handle; default: every company you belong to");
    cmd->callback([&globals, &action, company, operation, render] {
        action = [&globals, company, operation, render] {
            Run(globals, operation, client::BuildJobQuery(*company), render);
        };
    });
}

void AddLogs(CLI::App& app, const Globals& globals, Action& action) {
    auto options = std::make_shared<client::LogsOptions>();
    CLI::App* cmd = app.add_subcommand("logs", "getJobLogs: finished and running runs");
    cmd->add_option("COMPANY", options->company, "company handle; default: all yours");
    cmd->add_option("--rows", options->rows, "at most this many (server default 100)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--sort", options->sort_by, "JobName, LogType, StartDate, Email, ...");
    cmd->add_flag("--desc", options->descending, "sort descending");
    cmd->add_option("--since", options->since, "runs started at or after (ISO 8601)");
    cmd->add_option("--until", options->until, "runs started before (ISO 8601)");
    cmd->callback([&globals, &action, options] {
        action = [&globals, options] {
            Run(globals, "getJobLogs", client::BuildGetJobLogs(*options), client::RenderJobLogs);
        };
    });
}

void AddLogDetails(CLI::App& app, const Globals& globals, Action& action) {
    auto options = std::make_shared<client::LogDetailsOptions>();
    CLI::App* cmd = app.add_subcommand("log-details", "getJobLogDetails: one run's details");
    cmd->add_option("COMPANY", options->company, "company handle, e.g. 47")->required();
    cmd->add_option("HANDLE", options->handle, "run handle, or job handle/name for its latest run")
        ->required();
    cmd->add_option("--page", options->page, "page number, from 1")->check(CLI::PositiveNumber);
    cmd->add_option("--per-page", options->per_page, "details per page (max 1000)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--type", options->log_types, "only these log types, e.g. ErrorOutput");
    cmd->callback([&globals, &action, options] {
        action = [&globals, options] {
            Run(globals,
                "getJobLogDetails",
                client::BuildGetJobLogDetails(*options),
                client::RenderJobLogDetails);
        };
    });
}

// Reads one line; on a terminal, prompts and hides the typing unless --password-stdin.
std::string ReadPassword(bool no_prompt) {
    const bool prompt = !no_prompt && isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (prompt && tcgetattr(STDIN_FILENO, &saved) == 0) {
        termios hidden = saved;
        hidden.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden);
        std::cerr << "Password: " << std::flush;
    }
    std::string password;
    std::getline(std::cin, password);
    if (prompt) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
    }
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    return password;
}

void AddAdmin(CLI::App& app, const Globals& globals, Action& action) {
    auto company_name = std::make_shared<std::string>();
    CLI::App* add_company = app.add_subcommand("add-company", "addCompany (IpsAdmin only)");
    add_company->add_option("NAME", *company_name, "company name")->required();
    add_company->callback([&globals, &action, company_name] {
        action = [&globals, company_name] {
            Run(globals,
                "addCompany",
                client::BuildAddCompany(*company_name),
                FieldOf("companyHandle"));
        };
    });

    auto user = std::make_shared<client::AddUserOptions>();
    auto password_stdin = std::make_shared<bool>(false);
    CLI::App* add_user =
        app.add_subcommand("add-user", "addUser (IpsAdmin only); password on stdin");
    add_user->add_option("EMAIL", user->email, "the user's email, their login")->required();
    add_user->add_option("--company", user->company, "company handle")->required();
    add_user->add_option("--role", user->role, "IpsAdmin, IpsCompanyAdmin, IpsUser, ...")
        ->required();
    add_user->add_flag("--password-stdin", *password_stdin, "read the password without a prompt");
    add_user->callback([&globals, &action, user, password_stdin] {
        action = [&globals, user, password_stdin] {
            user->password = ReadPassword(*password_stdin);
            Run(globals, "addUser", client::BuildAddUser(*user), FieldOf("userHandle"));
        };
    });
}

void AddGlobals(CLI::App& app, Globals& globals) {
    app.add_option("--url", globals.url, "daemon URL (default: JOBD_URL or http://127.0.0.1:8780)");
    app.add_option(
        "--socket", globals.socket, "unix socket (default: JOBD_SOCKET or /run/jobd/jobd.sock)");
    app.add_option("--cacert",
                   globals.cacert,
                   "PEM CA certificate(s) to trust for https:// (default: JOBD_CACERT or the "
                   "system's)");
    app.add_flag("--insecure",
                 globals.insecure,
                 "https:// without checking the certificate (testing only: anyone in between "
                 "can read the credentials)");
    app.add_flag("--json", globals.json_output, "print the raw JSON answer");
    app.add_option("--timeout", globals.timeout_seconds, "request timeout in seconds (default 30)")
        ->check(CLI::PositiveNumber);
}

int Execute(const Action& action) {
    try {
        action();
        return EXIT_SUCCESS;
    } catch (const jobd::Error& error) {
        std::cerr << "jobctl: " << error.what() << '\n';
        return kExitUsage;
    } catch (const client::ClientError& error) {
        std::cerr << "jobctl: " << error.what() << '\n';
        return kExitFailure;
    } catch (const client::TransportError& error) {
        std::cerr << "jobctl: " << error.what() << '\n';
        return kExitFailure;
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"jobctl: the command-line client of jobd (see docs/jobctl.md)", "jobctl"};
    app.set_version_flag("--version", JOBD_VERSION);
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand: `jobctl active --json`
    Globals globals;
    Action action;
    AddGlobals(app, globals);
    AddSubmit(app, globals, action);
    AddJobAction(app, globals, action, {"execute", "executeJob", "run a job now", ""});
    AddJobAction(app, globals, action, {"stop", "stopJob", "stop its running run", "stopped"});
    AddJobAction(app, globals, action, {"pause", "pauseJob", "stop firing it", "paused"});
    AddJobAction(app, globals, action, {"resume", "resumeJob", "fire it again", "resumed"});
    AddJobAction(app, globals, action, {"delete", "deleteJob", "remove it", "deleted"});
    AddJobQuery(app, globals, action, "active", "getActiveJobs", client::RenderActiveJobs);
    AddJobQuery(app, globals, action, "scheduled", "getScheduledJobs", client::RenderScheduledJobs);
    AddLogs(app, globals, action);
    AddLogDetails(app, globals, action);
    AddAdmin(app, globals, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // CLI11 gives each parse error its own code; jobctl promises 2 for any bad usage.
        return app.exit(error) == 0 ? EXIT_SUCCESS : kExitUsage;
    }
    return Execute(action);
}
