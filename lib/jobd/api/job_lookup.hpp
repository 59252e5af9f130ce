#pragma once
// The job a request's companyHandle and jobHandle name, authorized (store pool thread).

#include <pqxx/pqxx>

#include "jobd/api/service.hpp"
#include "jobd/model/job.hpp"

namespace jobd::api {

// Authorizes the caller for companyHandle; the jobHandle must be of that company (else
// NotMember, 20006) and name a live job (else NotFound). `lock` holds the job's row until the
// transaction ends, so operations on one job happen one after another.
Job JobOfRequest(const OperationContext& ctx, pqxx::work& tx, bool lock);

}  // namespace jobd::api
