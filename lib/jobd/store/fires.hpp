#pragma once
// What the scheduler needs from the jobs table (contract §8, §9). Blocking.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/model/job.hpp"

namespace jobd::store {

// Up to `limit` live, unpaused jobs whose next fire is due at `now`, locked for this
// transaction. SKIP LOCKED: jobs another node is firing right now are left to it.
std::vector<Job> LockDueJobs(pqxx::work& tx, TimePoint now, int limit);

// A due job's fire as the scheduler decided it (engine::DecideFire).
struct Fire {
    JobId job = 0;
    CompanyId company = 0;
    TimePoint scheduled_for;  // the fire's nominal time
    bool run = false;         // false: skipped (InsertSkippedRun records it), or no run at all
    // run: inserted Running on the holder node, for a worker it has reserved, instead of Queued
    // and held by it (no claim, one commit less, issue #8); Queued after all when the node has no
    // lease (declared lost).
    bool start = false;
    std::optional<TimePoint> next_fire;  // nullopt: nothing more to fire
    TriggerState next_state = TriggerState::Normal;
};

struct FiredRun {
    RunId id = 0;
    bool running = false;  // inserted Running on the holder node (Fire::start)
};

// Records a batch of fires in one statement (issue #8: was two per fire): a Schedule-triggered
// run held by `holder` (store::NewRun::holder) for each fire that runs, or Running on it (Fire::
// start), unless the fire already has its run (the unique (job, scheduled_for) key: a fire runs
// once, whichever node claims it), and each job's next fire. Returns the runs inserted, by job.
std::map<JobId, FiredRun> RecordFires(pqxx::work& tx,
                                      const std::vector<Fire>& fires,
                                      const std::string& holder);

// A fire that does not run, recorded with its reason (contract §9).
void InsertSkippedRun(pqxx::work& tx,
                      const Job& job,
                      TimePoint scheduled_for,
                      const Message& reason);

// The earliest next fire of any live, unpaused job, for the scheduler's timer.
std::optional<TimePoint> EarliestNextFire(pqxx::work& tx);

}  // namespace jobd::store
