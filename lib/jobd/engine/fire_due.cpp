#include "jobd/engine/fire_due.hpp"

#include "jobd/engine/fire_decision.hpp"
#include "jobd/store/fires.hpp"

namespace jobd::engine {

FiredBatch FireDue(pqxx::work& tx,
                   TimePoint now,
                   std::chrono::milliseconds misfire_grace,
                   int limit,
                   const std::string& node,
                   int start_here) {
    FiredBatch batch;
    const auto jobs = store::LockDueJobs(tx, now, limit);
    batch.jobs = jobs.size();
    std::vector<store::Fire> fires;
    fires.reserve(jobs.size());
    for (const Job& job : jobs) {
        const FireDecision decision = DecideFire(job, now, misfire_grace);
        const bool run = decision.action == FireDecision::Action::Run;
        if (!run) {
            store::InsertSkippedRun(tx, job, decision.scheduled_for, *decision.skip_reason);
            ++batch.skipped;
        }
        const bool start = run && job.spec.overlap != Overlap::Queue && start_here > 0;
        start_here -= start ? 1 : 0;
        fires.push_back({job.id,
                         job.spec.company,
                         decision.scheduled_for,
                         run,
                         start,
                         decision.next_fire,
                         decision.next_state});
    }
    const auto runs = store::RecordFires(tx, fires, node);
    std::vector<RunId> running;
    for (const Job& job : jobs) {
        const auto run = runs.find(job.id);
        if (run == runs.end()) {
            continue;
        }
        if (run->second.running) {
            running.push_back(run->second.id);
        } else {
            batch.runs.push_back(
                {run->second.id, job.spec.company, job.id, job.spec.overlap == Overlap::Queue});
        }
    }
    batch.started = store::LaunchesOf(tx, running);
    batch.next_due = store::EarliestNextFire(tx);
    return batch;
}

}  // namespace jobd::engine
