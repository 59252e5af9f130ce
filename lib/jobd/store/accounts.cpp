#include "jobd/store/accounts.hpp"

#include "jobd/model/error.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

constexpr const char* kSelectUserByEmail = R"sql(
    SELECT id, email, password_hash, is_ips_admin FROM users WHERE lower(email) = lower($1))sql";

constexpr const char* kSelectUserById = R"sql(
    SELECT id, email, password_hash, is_ips_admin FROM users WHERE id = $1)sql";

constexpr const char* kTouchToken = R"sql(
    UPDATE api_tokens SET last_used_at = now() WHERE token_sha256 = $1 RETURNING user_id)sql";

constexpr const char* kSelectMemberships = R"sql(
    SELECT company_id, role FROM memberships WHERE user_id = $1)sql";

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

std::optional<UserRecord> ReadUser(pqxx::work& tx, const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    UserRecord user;
    user.id = rows[0][0].as<UserId>();
    user.email = rows[0][1].as<std::string>();
    user.password_hash = Nullable<std::string>(rows[0][2]);
    user.is_ips_admin = rows[0][3].as<bool>();
    for (const auto& row : tx.exec_params(kSelectMemberships, user.id)) {
        if (const auto role = Parse<Role>(row[1].as<std::string>())) {
            user.roles.emplace(row[0].as<CompanyId>(), *role);
        }
    }
    return user;
}

}  // namespace

std::optional<UserRecord> FindUserByEmail(pqxx::work& tx, const std::string& email) {
    return ReadUser(tx, tx.exec_params(kSelectUserByEmail, email));
}

std::optional<UserRecord> FindUserById(pqxx::work& tx, UserId id) {
    return ReadUser(tx, tx.exec_params(kSelectUserById, id));
}

std::optional<UserRecord> FindUserByToken(pqxx::work& tx, const std::string& token_digest) {
    const auto rows = tx.exec_params(kTouchToken, token_digest);
    if (rows.empty()) {
        return std::nullopt;
    }
    return FindUserById(tx, rows[0][0].as<UserId>());
}

bool CompanyExists(pqxx::work& tx, CompanyId company) {
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
