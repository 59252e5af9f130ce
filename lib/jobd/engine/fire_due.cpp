#include "jobd/engine/fire_due.hpp"

#include "jobd/engine/fire_decision.hpp"
#include "jobd/store/fires.hpp"

namespace jobd::engine {

FiredBatch FireDue(pqxx::work& tx,
                   TimePoint now,
                   std::chrono::milliseconds misfire_grace,
                   int limit,
                   const std::string& node) {
    FiredBatch batch;
    const auto jobs = store::LockDueJobs(tx, now, limit);
    batch.jobs = jobs.size();
    for (const Job& job : jobs) {
        const FireDecision decision = DecideFire(job, now, misfire_grace);
        if (decision.action == FireDecision::Action::Run) {
            if (const auto run = store::InsertScheduledRun(tx, job, decision.scheduled_for, node)) {
                batch.runs.push_back(
                    {*run, job.spec.company, job.id, job.spec.overlap == Overlap::Queue});
            }
        } else {
            store::InsertSkippedRun(tx, job, decision.scheduled_for, *decision.skip_reason);
            ++batch.skipped;
        }
        store::SetNextFire(tx, job.id, decision.next_fire, decision.next_state);
    }
    batch.next_due = store::EarliestNextFire(tx);
    return batch;
}

}  // namespace jobd::engine
