#pragma once
// A committed run waiting for a worker of this node (plain value; any thread).

#include "jobd/model/handles.hpp"

namespace jobd::engine {

struct QueuedRun {
    RunId run = 0;
    CompanyId company = 0;  // for workers.per_company_max_concurrent_runs
};

}  // namespace jobd::engine
