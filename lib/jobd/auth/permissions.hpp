#pragma once
// Who may call what (contract §6, ips-jobs-api §7): the role half of authorization. Company
// membership is checked separately, against the store. Pure; any thread.

#include <vector>

#include "jobd/auth/operation.hpp"
#include "jobd/model/enums.hpp"

namespace jobd::auth {

// The IPS role table with contract §6's fixes: IpsCompanyAdmin may submit and execute,
// TrialSiteAdmin may read log details. ImagePortalUser only reads logs; WebServiceUser has no job
// operation; addCompany and addUser are IpsAdmin's alone.
bool RoleMayCall(Role role, Operation operation);

// The membership roles that may call `operation` (for a check made in SQL).
std::vector<Role> RolesThatMayCall(Operation operation);

// commandJob runs an arbitrary program on the server, so only administrators may submit it.
bool RoleMaySubmitCommandJob(Role role);

}  // namespace jobd::auth
