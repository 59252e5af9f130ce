#pragma once
// Jobs (submitJob records). Blocking: functions take a store::Pool transaction.

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/model/job.hpp"

namespace jobd::store {

// Conflict when a live job of the company has the name.
JobId InsertJob(pqxx::work& tx, const JobSpec& spec);

// pauseJob / resumeJob: the trigger state and the next fire (nullopt: none).
void SetTrigger(pqxx::work& tx, JobId id, TriggerState state, std::optional<TimePoint> next_fire);

// deleteJob: the job stops firing and leaves the live jobs; its runs stay readable.
void MarkDeleted(pqxx::work& tx, JobId id);

// A job that has nothing more to fire: trigger state Complete, no next fire.
void CompleteJob(pqxx::work& tx, JobId id);

// How FindJob holds the job's row until the transaction ends.
enum class JobLock {
    None,
    // Operations on one job (stop, pause, resume, delete) happen one after another.
    Exclusive,
};

// The live (not deleted) job with this handle.
std::optional<Job> FindJob(pqxx::transaction_base& tx,
                           const JobHandle& handle,
                           JobLock lock = JobLock::None);

// Jobs with something to fire (execSchedule or execTime), optionally one company's / one job's.
struct ScheduledJobFilter {
    std::optional<std::vector<CompanyId>> companies;  // nullopt: all (IpsAdmin)
    std::optional<JobHandle> job;
    std::optional<std::string> name;
};

std::vector<Job> ListScheduledJobs(pqxx::work& tx, const ScheduledJobFilter& filter);

}  // namespace jobd::store
