#pragma once
// The operation table behind both encodings (contract §5, §6): authenticates a Call, authorizes
// it, runs the operation in one database transaction on the store pool (executeJob without one:
// its writes are one statement), then hands the engine what the committed transaction asked for
// (runs to queue, runs to stop).
//
// Threads: Handle() may be awaited from any connection strand; it resumes there. Reload() from
// any thread.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <pqxx/pqxx>

#include "jobd/api/call.hpp"
#include "jobd/api/params.hpp"
#include "jobd/auth/credential_cache.hpp"
#include "jobd/auth/login_throttle.hpp"
#include "jobd/auth/operation.hpp"
#include "jobd/config/config.hpp"
#include "jobd/engine/queued_run.hpp"
#include "jobd/model/enums.hpp"
#include "jobd/model/job.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::store {
class Pool;
}  // namespace jobd::store

namespace jobd::engine {
class Engine;
}

namespace jobd::api {

// Who is calling. The unix socket's root/daemon-uid peer has no user row (user unset).
struct Principal {
    std::optional<UserId> user;
    std::string email;
    bool ips_admin = false;
    std::map<CompanyId, Role> roles;
};

// What a committed operation asks the engine to do.
struct Effects {
    std::vector<engine::QueuedRun> run_now;  // executeJob, submitJob without a time: ahead
    // executeJob on a worker reserved for it: the run committed Running on this node.
    std::optional<store::RunLaunch> start_claimed;
    // executeJob without a transaction, while its insert is under way: the run as far as it is
    // known before (its reserved id), resumed by that id if the insert's commit is in doubt.
    std::optional<engine::QueuedRun> unconfirmed;
    std::vector<RunId> stop;
    std::vector<Run> cancelled;  // stopJob, deleteJob: queued runs ended Stopped
    // A job's next fire was set or moved here: this node's scheduler wakes for it then, and the
    // other nodes are told after the commit (Engine::JobChanged).
    std::optional<TimePoint> wake_at;
};

// A caller that executeJob's one statement can check by itself: an API token's digest, or an
// email and the stored hash its password was verified against a short while ago (the statement
// checks that it is still the user's).
struct TokenCaller {
    std::string digest;
};

struct PasswordCaller {
    std::string email, verified_hash;
};

using KnownCaller = std::variant<TokenCaller, PasswordCaller>;

// One operation's view of its request; runs on a store pool thread.
struct OperationContext {
    // The caller's role in `company` allows this operation; else UnknownCompany (20000),
    // NotMember (20006) or NoPermission (20003).
    Role Authorize(pqxx::transaction_base& tx, CompanyId company) const;

    // Whether Authorize would pass if `company` exists: the caller is IpsAdmin or has a role in
    // it that allows this operation. Asks nothing of the database.
    bool MayCallIfCompanyExists(CompanyId company) const;

    // Operations without a company (addCompany, addUser): IpsAdmin only (contract §5), else
    // NoPermission (20003).
    void AuthorizeGlobal() const;

    // Companies whose data this operation may show: the one asked for (authorized), else every
    // company the caller's role allows it in; nullopt means all (IpsAdmin).
    std::optional<std::vector<CompanyId>> VisibleCompanies(pqxx::work& tx) const;

    const auth::Operation operation;
    const Principal& principal;
    const Params params;
    const config::Config& config;
    const TimePoint now;
    // The request's negotiated language, for jobd's own messages in answers (contract §5).
    const Language language;
    Effects effects;
    // executeJob: this node's engine reserved a worker for the run (Engine::ReserveWorker).
    const bool worker_reserved = false;
    // executeJob without a transaction: the id its run gets (store::Reserve::RunId).
    const std::optional<RunId> reserved_run = std::nullopt;
};

using OperationFn = boost::json::object (*)(OperationContext&, pqxx::work&);

struct OperationSpec {
    auth::Operation operation;
    OperationFn run;
    // Fields of jobd's own that the IPS SOAP return element does not have (executeJob's
    // runHandle): left out of SOAP answers so strict stub-generated clients accept them.
    std::vector<std::string> json_only_fields;
};

// The table; nullptr for a name that is not an operation.
const OperationSpec* FindOperation(std::string_view name);

class Service {
public:
    Service(store::Pool& db, engine::Engine& engine, std::shared_ptr<const config::Config> config);

    // Throws jobd::Error for every fault; the router encodes it.
    boost::asio::awaitable<boost::json::object> Handle(Call call);

    void Reload(std::shared_ptr<const config::Config> config);

    // api.default_locale's language: for requests that ask for none jobd has. Any thread.
    Language DefaultLanguage() const;

private:
    std::shared_ptr<const config::Config> Config() const;

    struct Caller {
        Principal principal;
        std::optional<RunId> reserved_run;  // asked for with store::Reserve::RunId
        std::optional<RunId> spare_run;     // store::Reserve::RunIdAndSpare
    };

    // Store pool thread (from ReserveFor: any thread).
    std::optional<boost::json::object> ExecuteForCaller(pqxx::nontransaction& tx,
                                                        const Call& call,
                                                        const config::Config& config,
                                                        TimePoint now,
                                                        bool reserved,
                                                        Effects& pending);
    std::optional<KnownCaller> CallerOf(const Call& call);
    store::Reserve ReserveFor(bool autocommit);
    std::optional<RunId> TakeSpareRun();
    void KeepSpareRun(RunId id);
    static std::string ThrottleKey(const Call& call);

    // Store pool thread.
    Caller Authenticate(pqxx::transaction_base& tx, const Call& call, store::Reserve reserve);
    // `email` as the caller wrote it: the key of its checks in credential_cache_.
    bool PasswordMatches(const std::string& email,
                         const std::string& password,
                         const std::string& stored_hash,
                         std::chrono::steady_clock::time_point now);

    store::Pool& db_;
    engine::Engine& engine_;
    mutable std::mutex config_mutex_;
    std::shared_ptr<const config::Config> config_;  // guarded by config_mutex_
    // Thread-safe; shared by the pool threads that authenticate.
    auth::CredentialCache credential_cache_;
    auth::LoginThrottle login_throttle_;
    // Run ids reserved for executeJob calls to come (ExecuteForCaller).
    std::mutex spare_runs_mutex_;
    std::vector<RunId> spare_runs_;  // guarded by spare_runs_mutex_
};

}  // namespace jobd::api
