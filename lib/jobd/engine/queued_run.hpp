#pragma once
// A committed run waiting for a worker of this node (plain value; any thread).

#include "jobd/model/job.hpp"

namespace jobd::engine {

struct QueuedRun {
    RunId run = 0;
    CompanyId company = 0;  // for workers.per_company_max_concurrent_runs
    JobId job = 0;
    bool one_at_a_time = false;  // overlap Queue: waits while a run of its job goes on
};

inline QueuedRun QueuedRunOf(const Run& run) {
    return {run.id, run.company, run.job_id, run.overlap == Overlap::Queue};
}

}  // namespace jobd::engine
