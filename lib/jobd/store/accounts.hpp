#pragma once
// Companies, users, memberships and API tokens. Blocking: every function takes the transaction
// of a store::Pool thread (or an admin command's own connection).

#include <map>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "jobd/model/enums.hpp"
#include "jobd/model/handles.hpp"
#include "jobd/model/job.hpp"

namespace jobd::store {

struct UserRecord {
    UserId id = 0;
    std::string email;
    std::optional<std::string> password_hash;
    bool is_ips_admin = false;
    std::map<CompanyId, Role> roles;    // memberships
    std::optional<RunId> reserved_run;  // Reserve::RunId or RunIdAndSpare
    std::optional<RunId> spare_run;     // Reserve::RunIdAndSpare
};

// What a user lookup also takes in its round trip. Reserve::RunId: the id of the run an
// executeJob call inserts next. That insert commits by itself (issue #8): when its connection
// breaks, the run it may have committed is known only by an id taken before (api::Service).
// RunIdAndSpare: one more, for a later call (ExecuteRunForToken needs one in hand).
enum class Reserve { Nothing, RunId, RunIdAndSpare };

// Case-insensitive e-mail match; nullopt when no such user.
std::optional<UserRecord> FindUserByEmail(pqxx::transaction_base& tx,
                                          const std::string& email,
                                          Reserve reserve = Reserve::Nothing);

// The token's SHA-256 (auth::TokenDigest); also stamps last_used_at (at most once a minute).
std::optional<UserRecord> FindUserByToken(pqxx::transaction_base& tx,
                                          const std::string& token_digest,
                                          Reserve reserve = Reserve::Nothing);

bool CompanyExists(pqxx::transaction_base& tx, CompanyId company);

// Creates a company; `handle` picks its id (IPS demo company 47). Conflict when the name or id
// is taken.
CompanyId AddCompany(pqxx::work& tx, const std::string& name, std::optional<CompanyId> handle);

// Creates the user or, when the e-mail exists, updates its password (when given) and adds or
// changes the membership. Role IpsAdmin also makes the user a global admin (contract §6).
UserId AddUser(pqxx::work& tx,
               const std::string& email,
               const std::optional<std::string>& password_hash,
               std::optional<CompanyId> company,
               Role role);

void AddToken(pqxx::work& tx, UserId user, const std::string& name, const std::string& digest);

}  // namespace jobd::store
