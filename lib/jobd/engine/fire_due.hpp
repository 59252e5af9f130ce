#pragma once
// The scheduler's fire step (contract §8, §9): claim the jobs due at `now`, record each fire as
// a run or a Skipped entry, advance the job's next fire — all in the caller's transaction, so a
// fire runs once whichever node claims it.
//
// Blocking: runs on a store::Pool thread (Engine::ScheduleLoop) or a test's thread, inside the
// transaction it is given; the caller commits. Time is an argument, so tests step it.
// Throws what the store throws (pqxx errors; the pool translates a lost connection).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/engine/queued_run.hpp"
#include "jobd/model/job.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::engine {

struct FiredBatch {
    std::vector<QueuedRun> runs;            // the runs to queue once the transaction has committed
    std::vector<store::RunLaunch> started;  // the runs inserted Running on the node, to start
    std::size_t jobs = 0;                   // jobs claimed (== limit: more may be due)
    std::size_t skipped = 0;                // fires recorded as Skipped instead of a run
    std::optional<TimePoint> next_due;      // the earliest next fire of any job, after this batch
};

// Claims up to `limit` due jobs with FOR UPDATE SKIP LOCKED (jobs another transaction is firing
// are left to it) and fires each once; a job with several due fires within `misfire_grace` is
// fired again by the next call. The runs are held by `node`, which queues them, except up to
// `start_here` of them (free workers `node` has reserved; none of an overlap Queue job, which
// waits its turn in the queue, nor beyond `limits`' room for its company, counted under the
// locks claims take) inserted Running on it, which it starts without a claim.
FiredBatch FireDue(pqxx::work& tx,
                   TimePoint now,
                   std::chrono::milliseconds misfire_grace,
                   int limit,
                   const std::string& node,
                   int start_here = 0,
                   const store::ClaimLimits& limits = {});

}  // namespace jobd::engine
