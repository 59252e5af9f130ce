#include "jobd/engine/fire_due.hpp"

#include <map>
#include <vector>

#include "jobd/engine/fire_decision.hpp"
#include "jobd/store/fires.hpp"

namespace jobd::engine {
namespace {

// Under a company limit, how many runs each company of `jobs` may start (store::RoomForRuns);
// empty without a limit or a worker to start them on.
std::map<CompanyId, int> RoomOfCompanies(pqxx::work& tx,
                                         const std::vector<Job>& jobs,
                                         int start_here,
                                         const store::ClaimLimits& limits) {
    if (!limits.per_company || start_here == 0) {
        return {};
    }
    std::vector<CompanyId> companies;
    for (const Job& job : jobs) {
        companies.push_back(job.spec.company);
    }
    return store::RoomForRuns(tx, companies, *limits.per_company);
}

}  // namespace

FiredBatch FireDue(pqxx::work& tx,
                   TimePoint now,
                   std::chrono::milliseconds misfire_grace,
                   int limit,
                   const std::string& node,
                   int start_here,
                   const store::ClaimLimits& limits) {
    FiredBatch batch;
    const auto jobs = store::LockDueJobs(tx, now, limit);
    batch.jobs = jobs.size();
    auto room = RoomOfCompanies(tx, jobs, start_here, limits);
    std::vector<store::Fire> fires;
    fires.reserve(jobs.size());
    for (const Job& job : jobs) {
        const FireDecision decision = DecideFire(job, now, misfire_grace);
        const bool run = decision.action == FireDecision::Action::Run;
        if (!run) {
            store::InsertSkippedRun(tx, job, decision.scheduled_for, *decision.skip_reason);
            ++batch.skipped;
        }
        auto company_room = room.find(job.spec.company);
        const bool start = run && job.spec.overlap != Overlap::Queue && start_here > 0 &&
                           (company_room == room.end() || company_room->second > 0);
        start_here -= start ? 1 : 0;
        if (start && company_room != room.end()) {
            --company_room->second;
        }
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
