#pragma once
// The job a request's companyHandle and jobHandle name, authorized (store pool thread).

#include <pqxx/pqxx>

#include "jobd/api/service.hpp"
#include "jobd/model/job.hpp"
#include "jobd/store/jobs.hpp"

namespace jobd::api {

// Authorizes the caller for companyHandle; the jobHandle must be of that company (else
// NotMember, 20006) and name a live job (else NotFound), its row held as `lock` says until the
// transaction ends.
Job JobOfRequest(const OperationContext& ctx, pqxx::transaction_base& tx, store::JobLock lock);

}  // namespace jobd::api
