#pragma once
// The operations of the table (service.cpp). Each runs in one transaction on a store pool
// thread; contract §5 gives their behaviour, ips-jobs-api §3 their fields.

#include <optional>

#include <boost/json/object.hpp>
#include <pqxx/pqxx>

#include "jobd/api/service.hpp"

namespace jobd::api {

// job_operations.cpp
boost::json::object SubmitJob(OperationContext& ctx, pqxx::work& tx);
// Its writes are one statement: it also runs without a transaction (Service).
boost::json::object ExecuteJob(OperationContext& ctx, pqxx::transaction_base& tx);
// The same in one statement for a caller not looked up yet (ctx.principal empty) with a run id
// in hand (ctx.reserved_run); the statement checks the caller (KnownCaller). nullopt when it
// inserted no run (a fault, which ExecuteJob then finds), else the answer, and next_run the id
// reserved for a later call.
std::optional<boost::json::object> ExecuteJobForCaller(OperationContext& ctx,
                                                       pqxx::transaction_base& tx,
                                                       const KnownCaller& caller,
                                                       std::optional<RunId>& next_run);

// control_operations.cpp
boost::json::object StopJob(OperationContext& ctx, pqxx::work& tx);
boost::json::object PauseJob(OperationContext& ctx, pqxx::work& tx);
boost::json::object ResumeJob(OperationContext& ctx, pqxx::work& tx);
boost::json::object DeleteJob(OperationContext& ctx, pqxx::work& tx);

// log_operations.cpp
boost::json::object GetActiveJobs(OperationContext& ctx, pqxx::work& tx);
boost::json::object GetScheduledJobs(OperationContext& ctx, pqxx::work& tx);
boost::json::object GetJobLogs(OperationContext& ctx, pqxx::work& tx);
boost::json::object GetJobLogDetails(OperationContext& ctx, pqxx::work& tx);

// admin_operations.cpp
boost::json::object AddCompany(OperationContext& ctx, pqxx::work& tx);
boost::json::object AddUser(OperationContext& ctx, pqxx::work& tx);

}  // namespace jobd::api
