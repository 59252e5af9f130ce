// addCompany and addUser: IpsAdmin only (contract §5, §6).

#include <boost/json.hpp>

#include "jobd/api/operations.hpp"
#include "jobd/auth/password.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"

namespace jobd::api {
namespace {

constexpr std::size_t kMinPasswordLength = 8;

Role RoleOf(const Params& params) {
    const std::string field = params.Find("defaultRole") != nullptr ? "defaultRole" : "role";
    const std::string text = params.RequireString(field);
    const auto role = Parse<Role>(text);
    if (!role) {
        throw Error(
            ErrorKind::InvalidParameter, Message(MessageId::NotRole, {{"value", text}}), field);
    }
    return *role;
}

}  // namespace

boost::json::object AddCompany(OperationContext& ctx, pqxx::work& tx) {
    ctx.AuthorizeGlobal();
    const std::string name = ctx.params.RequireString("companyName");
    const auto handle = ctx.params.OptionalCompany("companyHandle");
    const CompanyId id = store::AddCompany(tx, name, handle);
    return {{"companyHandle", std::to_string(id)}};
}

boost::json::object AddUser(OperationContext& ctx, pqxx::work& tx) {
    ctx.AuthorizeGlobal();
    const std::string email = ctx.params.RequireString("email");
    if (email.find('@') == std::string::npos) {
        throw Error(ErrorKind::InvalidParameter, Message(MessageId::NotEmail), "email");
    }
    const std::string password = ctx.params.RequireString("password");
    if (password.size() < kMinPasswordLength) {
        throw Error(
            ErrorKind::InvalidParameter,
            Message(MessageId::PasswordTooShort, {{"min", std::to_string(kMinPasswordLength)}}),
            "password");
    }
    const Role role = RoleOf(ctx.params);
    const auto company = ctx.params.OptionalCompany("companyHandle");
    if (!company && role != Role::IpsAdmin) {
        throw Error(ErrorKind::MissingParameter,
                    Message(MessageId::CompanyRequiredForRole),
                    "companyHandle");
    }
    const UserId id = store::AddUser(tx, email, auth::HashPassword(password), company, role);
    return {{"userHandle", std::to_string(id)}};
}

}  // namespace jobd::api
