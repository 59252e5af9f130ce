#include "e2e/jobd/cluster_fixture.hpp"

#include <fstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "e2e/jobd/committed_sql.hpp"

namespace jobd::test {
namespace {

// A call that fails to connect says why in the node's own log.
HttpAnswer Call(const JobdProcess& node, const std::string& operation, const std::string& body) {
    try {
        return node.Json(operation, body, "admin@example.com");
    } catch (const std::exception& e) {
        throw std::runtime_error(operation + " on " + node.node_name() + ": " + e.what() +
                                 "; its log:\n" + node.Log());
    }
}

}  // namespace

JobdProcess& Cluster::Add(const std::string& name, const std::string& extra_yaml) {
    nodes_.push_back(std::make_unique<JobdProcess>(ClusterNode{database_.url(), name}, extra_yaml));
    return *nodes_.back();
}

void Cluster::Seed() const {
    const JobdProcess& any = *nodes_.at(0);
    AddDemoCompany(any);
    any.AddCompany(48, "Other");
}

pqxx::result Cluster::Query(const std::string& sql) const {
    return CommittedSql(database_.url(), [&](pqxx::work& tx) { return tx.exec(sql); });
}

void Cluster::Submit(const JobdProcess& node,
                     const std::string& company,
                     const std::string& name,
                     const std::string& fields) const {
    const auto answer = Call(
        node,
        "submitJob",
        R"({"companyHandle":")" + company + R"(","jobName":")" + name + R"(",)" + fields + "}");
    if (answer.status != 200) {
        throw std::runtime_error("submitJob " + name + " failed: " + answer.body);
    }
}

std::int64_t Cluster::Execute(const JobdProcess& node,
                              const std::string& company,
                              const std::string& name) const {
    const auto answer = Call(
        node,
        "executeJob",
        R"({"companyHandle":")" + company + R"(","jobHandle":")" + company + "|" + name + R"(|"})");
    if (answer.status != 200) {
        throw std::runtime_error("executeJob " + name + " failed: " + answer.body);
    }
    const std::string handle(boost::json::parse(answer.body).at("runHandle").as_string());
    return std::stoll(handle.substr(handle.rfind('|') + 1));
}

std::string Cluster::NodeOf(std::int64_t id) const {
    return Query("SELECT coalesce(node, '') FROM runs WHERE id = " + std::to_string(id))[0][0]
        .as<std::string>();
}

std::string Cluster::StateOf(std::int64_t id) const {
    return Query("SELECT state FROM runs WHERE id = " + std::to_string(id))[0][0].as<std::string>();
}

bool ProcessGone(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) {
        return true;
    }
    // The state follows the command name, which is in parentheses and may hold spaces.
    const auto close = text.rfind(')');
    return close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z' ||
           text[close + 2] == 'X';
}

}  // namespace jobd::test
