#include "jobd/api/service.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "jobd/api/operations.hpp"
#include "jobd/auth/password.hpp"
#include "jobd/auth/permissions.hpp"
#include "jobd/auth/token.hpp"
#include "jobd/engine/engine.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/pool.hpp"

namespace jobd::api {
namespace {

using auth::Operation;

const std::vector<OperationSpec>& Table() {
    static const std::vector<OperationSpec> table{
        {Operation::submitJob, &SubmitJob, {}},
        {Operation::executeJob,
         +[](OperationContext& ctx, pqxx::work& tx) { return ExecuteJob(ctx, tx); },
         {"runHandle"}},
        {Operation::stopJob, &StopJob, {}},
        {Operation::pauseJob, &PauseJob, {}},
        {Operation::resumeJob, &ResumeJob, {}},
        {Operation::deleteJob, &DeleteJob, {}},
        {Operation::getActiveJobs, &GetActiveJobs, {}},
        {Operation::getScheduledJobs, &GetScheduledJobs, {}},
        {Operation::getJobLogs, &GetJobLogs, {}},
        {Operation::getJobLogDetails, &GetJobLogDetails, {}},
        {Operation::addCompany, &AddCompany, {}},
        {Operation::addUser, &AddUser, {}},
    };
    return table;
}

TimePoint Now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

Principal FromUser(const store::UserRecord& user) {
    return {user.id, user.email, user.is_ips_admin, user.roles};
}

// An operation in its transaction; executeJob, the one whose writes are one statement, also
// without (Service::Handle).
boost::json::object RunOperation(const OperationSpec& spec, OperationContext& ctx, pqxx::work& tx) {
    return spec.run(ctx, tx);
}

boost::json::object RunOperation(const OperationSpec&,
                                 OperationContext& ctx,
                                 pqxx::nontransaction& tx) {
    return ExecuteJob(ctx, tx);
}

// Contract §6: the unix socket maps uid 0 and the daemon's own uid to IpsAdmin.
Principal SocketPeer(unsigned uid) {
    if (uid != 0 && uid != ::getuid()) {
        throw Error(ErrorKind::InvalidUser,
                    Message(MessageId::SocketUidRefused, {{"uid", std::to_string(uid)}}));
    }
    return {std::nullopt, "uid:" + std::to_string(uid), true, {}};
}

// "127.0.0.1:5555" -> "127.0.0.1": failed logins count per address, not per connection.
std::string PeerAddress(const std::string& peer) {
    const auto colon = peer.rfind(':');
    return colon == std::string::npos ? peer : peer.substr(0, colon);
}

}  // namespace

const OperationSpec* FindOperation(std::string_view name) {
    const auto operation = auth::ParseOperation(name);
    if (!operation) {
        return nullptr;
    }
    for (const auto& spec : Table()) {
        if (spec.operation == *operation) {
            return &spec;
        }
    }
    return nullptr;
}

Role OperationContext::Authorize(pqxx::transaction_base& tx, CompanyId company) const {
    const auto role = principal.roles.find(company);
    // IpsAdmin is a member of every company there is, not of one that does not exist.
    if (role == principal.roles.end() || principal.ips_admin) {
        if (!store::CompanyExists(tx, company)) {
            throw Error(ErrorKind::UnknownCompany,
                        Message(MessageId::NoSuchCompany, {{"company", std::to_string(company)}}),
                        "companyHandle");
        }
        if (principal.ips_admin) {
            return Role::IpsAdmin;
        }
        throw Error(ErrorKind::NotMember,
                    Message(MessageId::NotCompanyMember, {{"company", std::to_string(company)}}),
                    "companyHandle");
    }
    if (!auth::RoleMayCall(role->second, operation)) {
        throw Error(ErrorKind::NoPermission,
                    Message(MessageId::RoleMayNotCall,
                            {{"role", std::string(ToString(role->second))},
                             {"operation", std::string(auth::ToString(operation))}}));
    }
    return role->second;
}

bool OperationContext::MayCallIfCompanyExists(CompanyId company) const {
    const auto role = principal.roles.find(company);
    return principal.ips_admin ||
           (role != principal.roles.end() && auth::RoleMayCall(role->second, operation));
}

void OperationContext::AuthorizeGlobal() const {
    if (!principal.ips_admin) {
        throw Error(ErrorKind::NoPermission,
                    Message(MessageId::OnlyIpsAdmin,
                            {{"operation", std::string(auth::ToString(operation))}}));
    }
}

std::optional<std::vector<CompanyId>> OperationContext::VisibleCompanies(pqxx::work& tx) const {
    if (const auto company = params.OptionalCompany()) {
        Authorize(tx, *company);
        return std::vector<CompanyId>{*company};
    }
    if (principal.ips_admin) {
        return std::nullopt;
    }
    std::vector<CompanyId> companies;
    for (const auto& [company, role] : principal.roles) {
        if (auth::RoleMayCall(role, operation)) {
            companies.push_back(company);
        }
    }
    if (companies.empty() && !principal.roles.empty()) {
        throw Error(ErrorKind::NoPermission,
                    Message(MessageId::NoRoleMayCall,
                            {{"operation", std::string(auth::ToString(operation))}}));
    }
    return companies;
}

Service::Service(store::Pool& db,
                 engine::Engine& engine,
                 std::shared_ptr<const config::Config> config)
    : db_(db),
      engine_(engine),
      config_(std::move(config)),
      credential_cache_(),
      login_throttle_() {}

void Service::Reload(std::shared_ptr<const config::Config> config) {
    const std::lock_guard lock(config_mutex_);
    config_ = std::move(config);
}

std::shared_ptr<const config::Config> Service::Config() const {
    const std::lock_guard lock(config_mutex_);
    return config_;
}

Language Service::DefaultLanguage() const {
    return Config()->api.default_language;
}

boost::asio::awaitable<boost::json::object> Service::Handle(Call call) {
    const OperationSpec* spec = FindOperation(call.operation);
    if (spec == nullptr) {
        throw Error(ErrorKind::InvalidRequestBody,
                    Message(MessageId::UnknownOperation, {{"operation", call.operation}}),
                    "operation");
    }
    const auto requested_at = std::chrono::steady_clock::now();  // jobd_execute_latency_seconds
    const bool execute = spec->operation == auth::Operation::executeJob;
    // Given back below unless the committed run was inserted claimed onto it.
    const bool reserved = execute && engine_.ReserveWorker();
    // What the operation asks of the engine, kept apart so that a commit in doubt can still
    // hand its runs over (below). Written on the pool thread before the commit, read here after.
    auto pending = std::make_shared<Effects>();
    // executeJob with credentials goes without a transaction (issue #8): one statement for a
    // caller it can check by itself with a run id in hand (ExecuteForCaller), else the caller's
    // lookup, which also reserves the run's id, then the run's statement: two round trips, not
    // five. (A unix socket peer has no lookup: its call takes BEGIN, the statement and COMMIT.)
    const bool autocommit = execute && !call.peer_uid;
    // The pool thread reads these members; the Service outlives every request (daemon wiring).
    auto operation =
        [this, spec, call = std::move(call), config = Config(), reserved, autocommit, pending](
            auto& tx) {
            const TimePoint now = Now();
            if constexpr (std::is_same_v<std::decay_t<decltype(tx)>, pqxx::nontransaction>) {
                if (auto answer = ExecuteForCaller(tx, call, *config, now, reserved, *pending)) {
                    return std::move(*answer);
                }
            }
            const Caller caller = Authenticate(tx, call, ReserveFor(autocommit));
            if (caller.spare_run) {
                KeepSpareRun(*caller.spare_run);
            }
            OperationContext ctx{spec->operation,
                                 caller.principal,
                                 Params(call.params),
                                 *config,
                                 now,
                                 call.language.value_or(config->api.default_language),
                                 {},
                                 reserved,
                                 caller.reserved_run};
            try {
                boost::json::object answer = RunOperation(*spec, ctx, tx);
                *pending = ctx.effects;
                return answer;
            } catch (...) {
                *pending = ctx.effects;  // read only if the failure leaves the writes in doubt
                throw;
            }
        };
    boost::json::object result;
    try {
        if (autocommit) {
            result = co_await db_.RunAutocommit(std::move(operation));
        } else {
            result = co_await db_.Run(std::move(operation));
        }
    } catch (const Error& e) {
        if (reserved) {
            engine_.ReleaseWorker();
        }
        if (store::CommitInDoubt(e)) {
            // The runs may be committed (Queued, or Running on this node when inserted
            // claimed): handed over anyway, they start if their rows exist (the claim finds
            // no row otherwise), so an accepted run is never left unseen. The caller gets the
            // in-doubt 503, which says the request may have been carried out.
            if (pending->start_claimed) {
                engine_.EnqueueInDoubt(engine::QueuedRunOf(pending->start_claimed->run));
            }
            if (pending->unconfirmed) {
                engine_.EnqueueInDoubt(*pending->unconfirmed);
            }
            for (const auto& run : pending->run_now) {
                engine_.EnqueueInDoubt(run);
            }
            // A job change that may be committed is looked for and announced as one that is:
            // a wake or an announcement for nothing finds nothing.
            if (pending->wake_at) {
                engine_.JobChanged(*pending->wake_at);
            }
        }
        throw;
    } catch (...) {
        if (reserved) {
            engine_.ReleaseWorker();
        }
        throw;
    }
    if (pending->start_claimed) {
        engine_.StartClaimed(std::move(*pending->start_claimed), requested_at);
    } else if (reserved) {
        engine_.ReleaseWorker();
    }
    for (const auto& run : pending->run_now) {
        engine_.Enqueue(run, true, execute ? std::optional(requested_at) : std::nullopt);
    }
    for (const RunId run : pending->stop) {
        engine_.Stop(run);
    }
    if (!pending->cancelled.empty()) {
        // After the commit only (not for one in doubt): an outcome line is never written for
        // a cancel that did not happen, and only this call's node writes it.
        engine_.RecordCancelled(std::move(pending->cancelled));
    }
    if (pending->wake_at) {
        engine_.JobChanged(*pending->wake_at);
    }
    co_return result;
}

// executeJob by token, or by a password verified recently, with a run id in hand: one statement
// (store::ExecuteRunForToken, ExecuteRunForPassword) instead of the lookup, then the run's.
// nullopt when it cannot or inserted no run: the caller goes on the usual way on the same
// connection, where the fault, if any, is found in its order.
std::optional<boost::json::object> Service::ExecuteForCaller(pqxx::nontransaction& tx,
                                                             const Call& call,
                                                             const config::Config& config,
                                                             TimePoint now,
                                                             bool reserved,
                                                             Effects& pending) {
    const auto caller = CallerOf(call);
    if (!caller) {
        return std::nullopt;
    }
    const std::optional<RunId> id = TakeSpareRun();
    if (!id) {
        return std::nullopt;
    }
    OperationContext ctx{auth::Operation::executeJob,
                         {},
                         Params(call.params),
                         config,
                         now,
                         call.language.value_or(config.api.default_language),
                         {},
                         reserved,
                         id};
    std::optional<RunId> next_run;
    std::optional<boost::json::object> answer;
    try {
        answer = ExecuteJobForCaller(ctx, tx, *caller, next_run);
    } catch (const pqxx::failure&) {
        pending = ctx.effects;  // in doubt (Pool): the run it may have inserted, by its id
        throw;
    } catch (const Error&) {
        // A parameter's fault: reported after the caller's, by the usual way.
    }
    if (!answer) {
        KeepSpareRun(*id);  // nothing inserted under it
        return std::nullopt;
    }
    if (next_run) {
        KeepSpareRun(*next_run);
    }
    if (std::holds_alternative<PasswordCaller>(*caller)) {
        login_throttle_.RecordSuccess(ThrottleKey(call));
    }
    pending = ctx.effects;
    return answer;
}

// Who may go in one statement: a caller by token, or by a password that matched a stored hash
// a short while ago (auth::CredentialCache) and is not throttled; the statement checks the rest.
std::optional<KnownCaller> Service::CallerOf(const Call& call) {
    const Credentials& credentials = call.credentials;
    if (!credentials.token.empty()) {
        return TokenCaller{auth::TokenDigest(credentials.token)};
    }
    if (credentials.user.empty()) {
        return std::nullopt;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!login_throttle_.Allowed(ThrottleKey(call), now)) {
        return std::nullopt;  // refused the usual way
    }
    auto hash = credential_cache_.VerifiedHash(
        credential_cache_.KeyFor(credentials.user, credentials.password), now);
    if (!hash) {
        return std::nullopt;
    }
    return PasswordCaller{credentials.user, std::move(*hash)};
}

std::string Service::ThrottleKey(const Call& call) {
    return auth::LoginThrottle::KeyFor(call.credentials.user, PeerAddress(call.peer));
}

// An executeJob without a transaction reserves one more id when none is in hand, so that the
// next call can go in one statement (ExecuteForCaller).
store::Reserve Service::ReserveFor(bool autocommit) {
    if (!autocommit) {
        return store::Reserve::Nothing;
    }
    const std::lock_guard lock(spare_runs_mutex_);
    return spare_runs_.empty() ? store::Reserve::RunIdAndSpare : store::Reserve::RunId;
}

std::optional<RunId> Service::TakeSpareRun() {
    const std::lock_guard lock(spare_runs_mutex_);
    if (spare_runs_.empty()) {
        return std::nullopt;
    }
    const RunId id = spare_runs_.back();
    spare_runs_.pop_back();
    return id;
}

void Service::KeepSpareRun(RunId id) {
    // Bounded: as many as calls in flight at once need; an id dropped is a gap, not a loss.
    constexpr std::size_t kMostKept = 256;
    const std::lock_guard lock(spare_runs_mutex_);
    if (spare_runs_.size() < kMostKept) {
        spare_runs_.push_back(id);
    }
}

Service::Caller Service::Authenticate(pqxx::transaction_base& tx,
                                      const Call& call,
                                      store::Reserve reserve) {
    if (call.peer_uid) {
        return {SocketPeer(*call.peer_uid), std::nullopt, std::nullopt};
    }
    const Credentials& credentials = call.credentials;
    if (!credentials.token.empty()) {
        const auto user = store::FindUserByToken(tx, auth::TokenDigest(credentials.token), reserve);
        if (!user) {
            throw Error(
                ErrorKind::InvalidCredentials, Message(MessageId::UnknownToken), "Authorization");
        }
        return {FromUser(*user), user->reserved_run, user->spare_run};
    }
    if (credentials.user.empty()) {
        throw Error(ErrorKind::NoCredentials, Message(MessageId::NoCredentials));
    }
    const auto now = std::chrono::steady_clock::now();
    const std::string throttle_key = ThrottleKey(call);
    if (!login_throttle_.Allowed(throttle_key, now)) {
        throw Error(ErrorKind::InvalidCredentials, Message(MessageId::TooManyFailedLogins));
    }
    const auto user = store::FindUserByEmail(tx, credentials.user, reserve);
    if (user && user->password_hash &&
        PasswordMatches(credentials.user, credentials.password, *user->password_hash, now)) {
        login_throttle_.RecordSuccess(throttle_key);
        return {FromUser(*user), user->reserved_run, user->spare_run};
    }
    login_throttle_.RecordFailure(throttle_key, now);
    log::Get(log::Subsystem::Api)
        .warn("login failed user=\"{}\" peer={}", credentials.user, call.peer);
    throw Error(ErrorKind::InvalidCredentials, Message(MessageId::InvalidLogin));
}

bool Service::PasswordMatches(const std::string& email,
                              const std::string& password,
                              const std::string& stored_hash,
                              std::chrono::steady_clock::time_point now) {
    const auto key = credential_cache_.KeyFor(email, password);
    if (credential_cache_.VerifiedHash(key, now) == stored_hash) {
        return true;
    }
    if (!auth::VerifyPassword(password, stored_hash)) {
        return false;
    }
    credential_cache_.Insert(key, stored_hash, now);
    return true;
}

}  // namespace jobd::api
