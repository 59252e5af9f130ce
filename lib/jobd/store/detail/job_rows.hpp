#pragma once
// Reading job rows, shared by the store's query files (jobs.cpp, fires.cpp).

#include <string>

#include <pqxx/pqxx>

#include "jobd/model/job.hpp"

namespace jobd::store {

// "SELECT <job columns> FROM jobs j ... WHERE j.deleted_at IS NULL AND <where>"
std::string SelectJobs(const std::string& where);

// One row of SelectJobs.
Job ReadJob(const pqxx::row& row);

}  // namespace jobd::store
