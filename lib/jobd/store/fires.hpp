#pragma once
// What the scheduler needs from the jobs table (contract §8, §9). Blocking.

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/model/job.hpp"

namespace jobd::store {

// Up to `limit` live, unpaused jobs whose next fire is due at `now`, locked for this
// transaction. SKIP LOCKED: jobs another node is firing right now are left to it.
std::vector<Job> LockDueJobs(pqxx::work& tx, TimePoint now, int limit);

// A Schedule-triggered run for the fire; nullopt when this fire already has its run (the unique
// (job, scheduled_for) key: a fire runs once, whichever node claims it). `holder`: the node
// that queues it (store::NewRun::holder).
std::optional<RunId> InsertScheduledRun(pqxx::work& tx,
                                        const Job& job,
                                        TimePoint scheduled_for,
                                        const std::string& holder);

// A fire that does not run, recorded with its reason (contract §9).
void InsertSkippedRun(pqxx::work& tx,
                      const Job& job,
                      TimePoint scheduled_for,
                      const Message& reason);

// The job's next fire; nullopt: nothing more to fire (one-shot done: Complete; or Error).
void SetNextFire(pqxx::work& tx, JobId job, std::optional<TimePoint> next, TriggerState state);

// The earliest next fire of any live, unpaused job, for the scheduler's timer.
std::optional<TimePoint> EarliestNextFire(pqxx::work& tx);

}  // namespace jobd::store
