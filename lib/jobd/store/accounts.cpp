#include "jobd/store/accounts.hpp"

#include "jobd/model/error.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

// A user and its memberships in one round trip: one row per membership (NULLs for none).
constexpr const char* kUserColumns = R"sql(
    SELECT u.id, u.email, u.password_hash, u.is_ips_admin, m.company_id, m.role)sql";

constexpr const char* kMembershipJoin = R"sql(
    LEFT JOIN memberships m ON m.user_id = u.id)sql";

// The run ids $2 asks for (Reserve: 0, 1 or 2), taken once whatever the rows: a CTE with a
// volatile function is evaluated once, and CASE calls nextval only where it is asked.
constexpr const char* kReservedRun = R"sql(
    reserved AS (
        SELECT CASE WHEN $2 >= 1 THEN nextval(pg_get_serial_sequence('runs', 'id')) END AS id,
               CASE WHEN $2 >= 2 THEN nextval(pg_get_serial_sequence('runs', 'id')) END AS spare)
    )sql";

// A user with the reserved ids as the last columns: the CTEs of `with`, then `from` (users u).
std::string SelectUserReserving(const std::string& with, const std::string& from) {
    return "WITH " + with + kReservedRun + " " + kUserColumns + ", reserved.id, reserved.spare " +
           from + kMembershipJoin + " CROSS JOIN reserved";
}

int ReservedIds(Reserve reserve) {
    switch (reserve) {
        case Reserve::Nothing: return 0;
        case Reserve::RunId: return 1;
        case Reserve::RunIdAndSpare: return 2;
    }
    return 0;
}

// last_used_at is stamped at most once a minute, and never waits: with every request stamping
// it, all requests with one token queued behind each other's row lock until commit (an fsync
// each), which capped a token's callers at about one request per commit (bench/README.md).
// jobd_execute_for_token (migration 0012) stamps it the same way.
constexpr const char* kUserByToken = R"sql(
    token AS (SELECT id, user_id FROM api_tokens WHERE token_sha256 = $1),
    touch AS (
        UPDATE api_tokens SET last_used_at = now()
        WHERE id = (SELECT t.id FROM api_tokens t JOIN token ON token.id = t.id
                    WHERE t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'
                    FOR UPDATE OF t SKIP LOCKED)),
    )sql";

constexpr const char* kCompanyExists = "SELECT 1 FROM companies WHERE id = $1";

constexpr const char* kInsertCompany = R"sql(
    INSERT INTO companies (id, name) VALUES (coalesce($2, nextval(pg_get_serial_sequence('companies', 'id'))), $1)
    RETURNING id)sql";

// The identity sequence must move past an explicitly chosen id, or a later default id collides.
constexpr const char* kBumpCompanySequence = R"sql(
    SELECT setval(pg_get_serial_sequence('companies', 'id'),
                  greatest((SELECT max(id) FROM companies), 1)))sql";

constexpr const char* kUpsertUser = R"sql(
    INSERT INTO users (email, password_hash, is_ips_admin) VALUES ($1, $2, $3)
    ON CONFLICT (lower(email)) DO UPDATE
        SET password_hash = coalesce(EXCLUDED.password_hash, users.password_hash),
            is_ips_admin = users.is_ips_admin OR EXCLUDED.is_ips_admin
    RETURNING id)sql";

constexpr const char* kUpsertMembership = R"sql(
    INSERT INTO memberships (user_id, company_id, role) VALUES ($1, $2, $3)
    ON CONFLICT (user_id, company_id) DO UPDATE SET role = EXCLUDED.role)sql";

constexpr const char* kInsertToken = R"sql(
    INSERT INTO api_tokens (user_id, name, token_sha256) VALUES ($1, $2, $3))sql";

std::optional<UserRecord> ReadUser(const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    UserRecord user;
    user.id = rows[0][0].as<UserId>();
    user.email = rows[0][1].as<std::string>();
    user.password_hash = Nullable<std::string>(rows[0][2]);
    user.is_ips_admin = rows[0][3].as<bool>();
    user.reserved_run = Nullable<RunId>(rows[0][6]);
    user.spare_run = Nullable<RunId>(rows[0][7]);
    for (const auto& row : rows) {
        if (row[4].is_null()) {
            continue;  // no membership
        }
        if (const auto role = Parse<Role>(row[5].as<std::string>())) {
            user.roles.emplace(row[4].as<CompanyId>(), *role);
        }
    }
    return user;
}

}  // namespace

std::optional<UserRecord> FindUserByEmail(pqxx::transaction_base& tx,
                                          const std::string& email,
                                          Reserve reserve) {
    static const Prepared find{
        "find_user_by_email",
        SelectUserReserving("", "FROM users u") + " WHERE lower(u.email) = lower($1)"};
    return ReadUser(find.Exec(tx, email, ReservedIds(reserve)));
}

std::optional<UserRecord> FindUserByToken(pqxx::transaction_base& tx,
                                          const std::string& token_digest,
                                          Reserve reserve) {
    static const Prepared find{
        "find_user_by_token",
        SelectUserReserving(kUserByToken, "FROM token JOIN users u ON u.id = token.user_id")};
    return ReadUser(find.Exec(tx, token_digest, ReservedIds(reserve)));
}

bool CompanyExists(pqxx::transaction_base& tx, CompanyId company) {
    return !tx.exec_params(kCompanyExists, company).empty();
}

CompanyId AddCompany(pqxx::work& tx, const std::string& name, std::optional<CompanyId> handle) {
    try {
        pqxx::subtransaction insert(tx, "add_company");
        const auto id = insert.exec_params1(kInsertCompany, name, handle)[0].as<CompanyId>();
        insert.exec(kBumpCompanySequence);
        insert.commit();
        return id;
    } catch (const pqxx::unique_violation&) {
        throw Error(ErrorKind::Conflict, Message(MessageId::CompanyNameTaken), "companyName");
    }
}

UserId AddUser(pqxx::work& tx,
               const std::string& email,
               const std::optional<std::string>& password_hash,
               std::optional<CompanyId> company,
               Role role) {
    const bool ips_admin = role == Role::IpsAdmin;
    const auto id = tx.exec_params1(kUpsertUser, email, password_hash, ips_admin)[0].as<UserId>();
    if (company) {
        if (!CompanyExists(tx, *company)) {
            throw Error(ErrorKind::UnknownCompany,
                        Message(MessageId::NoSuchCompany, {{"company", std::to_string(*company)}}),
                        "companyHandle");
        }
        tx.exec_params0(kUpsertMembership, id, *company, std::string(ToString(role)));
    }
    return id;
}

void AddToken(pqxx::work& tx, UserId user, const std::string& name, const std::string& digest) {
    tx.exec_params0(kInsertToken, user, name, digest);
}

}  // namespace jobd::store
