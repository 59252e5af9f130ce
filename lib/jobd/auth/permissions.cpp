#include "jobd/auth/permissions.hpp"

namespace jobd::auth {

bool RoleMayCall(Role role, Operation operation) {
    if (role == Role::IpsAdmin) {
        return true;  // global: "overrides other per-company settings" (ips-jobs-api §7)
    }
    switch (operation) {
        case Operation::addCompany:
        case Operation::addUser: return false;
        case Operation::getJobLogs:
        case Operation::getJobLogDetails: return role != Role::WebServiceUser;
        case Operation::submitJob:
        case Operation::executeJob:
        case Operation::stopJob:
        case Operation::pauseJob:
        case Operation::resumeJob:
        case Operation::deleteJob:
        case Operation::getActiveJobs:
        case Operation::getScheduledJobs:
            return role != Role::WebServiceUser && role != Role::ImagePortalUser;
    }
    return false;  // not an Operation at all: refuse
}

std::vector<Role> RolesThatMayCall(Operation operation) {
    std::vector<Role> roles;
    for (const Role role : AllRoles()) {
        if (RoleMayCall(role, operation)) {
            roles.push_back(role);
        }
    }
    return roles;
}

bool RoleMaySubmitCommandJob(Role role) {
    return role == Role::IpsAdmin || role == Role::IpsCompanyAdmin;
}

}  // namespace jobd::auth
