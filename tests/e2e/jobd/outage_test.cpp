// End to end: database outages (contract §9; issue #6 items 3 and 6). The daemon reaches its
// own PostgreSQL cluster through a TcpProxy; the tests restart that cluster and cut the proxy's
// connections while runs write their output and executeJob calls arrive. Every call must answer
// 200 or 503 (fault 30000, a database reason); afterwards every run in the database must have
// ended exactly once: its details written once, its retry inserted once, one outcome-file line.

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "e2e/jobd/daemon_fixture.hpp"
#include "support/pg_cluster.hpp"
#include "support/tcp_proxy.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

// Ten output lines over a second: several flushes of run details per run.
constexpr const char* kChattyArgv =
    R"(["/bin/sh","-c","for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 0.1; done"])";
constexpr int kChattyLines = 10;

// An execution of executeJob's prepared statement: its Bind message names the unnamed portal,
// then the statement (the statement's Parse has its length before the name).
const std::string kExecuteRunBind("\0execute_run\0", 13);
// The same for a caller by token, or by a password checked before, in one statement
// (store::ExecuteRunForToken, ExecuteRunForPassword).
const std::string kExecuteForTokenBind("\0execute_for_token\0", 19);
const std::string kExecuteForPasswordBind("\0execute_for_password\0", 22);

struct CallResult {
    int status = 0;
    std::string body;
};

class OutageTest : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_.SetDaemonDatabaseUrl(
            WithHostPort(daemon_.database_url(), "127.0.0.1", proxy_.port()));
        StartDemoDaemon(daemon_);
        Submit("chatty", kChattyArgv, "");
        // Fails at once; retried once a second later: the retry must be inserted once.
        Submit("flaky",
               R"(["/bin/sh","-c","echo failing; exit 3"])",
               R"("maxRetries":1,"retryBackoffSeconds":1,)");
    }

    void TearDown() override {
        if (caller_.joinable()) {  // a failed assertion left the calls going
            stop_calls_ = true;
            daemon_.SendSignal(SIGKILL);  // a call the daemon never answers ends too
            caller_.join();
        }
    }

    void Submit(const std::string& name, const std::string& argv, const std::string& extra) {
        const auto answer =
            daemon_.Json("submitJob",
                         R"({"companyHandle":"47","jobName":")" + name +
                             R"(","execSchedule":"0 0 0 1 1 ?","overlap":"Allow",)" + extra +
                             R"("commandJob":{"argv":)" + argv + "}}",
                         "admin@example.com");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }

    // Calls executeJob on chatty and flaky in turn until stopped, one call per 50 ms.
    void StartCalls() {
        caller_ = std::thread([this] {
            for (int i = 0; !stop_calls_; ++i) {
                const std::string job = i % 3 == 2 ? "flaky" : "chatty";
                CallResult result;
                try {
                    const auto answer =
                        daemon_.Json("executeJob",
                                     R"({"companyHandle":"47","jobHandle":"47|)" + job + R"(|"})",
                                     "admin@example.com");
                    result = {answer.status, answer.body};
                } catch (const std::exception& e) {
                    result = {-1, e.what()};  // the daemon must never drop a request
                }
                {
                    const std::lock_guard lock(mutex_);
                    results_.push_back(result);
                }
                if (result.status == 200) {
                    ++accepted_;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing, not sync
            }
        });
    }

    void StopCalls() {
        stop_calls_ = true;
        caller_.join();
    }

    // Waits for `more` further accepted calls: the daemon works again after a fault.
    bool AcceptsAgain(int more = 3) {
        const int target = accepted_.load() + more;
        return WaitFor([&] { return accepted_.load() >= target; }, std::chrono::seconds(30));
    }

    template <typename Fn>
    auto Sql(Fn fn) {
        pqxx::connection connection{daemon_.database_url()};
        pqxx::work tx{connection};
        return fn(tx);
    }

    // The states of `job`'s runs, oldest first.
    std::vector<std::string> RunStates(const std::string& job) {
        return Sql([&](pqxx::work& tx) {
            std::vector<std::string> found;
            for (const auto& row :
                 tx.exec_params("SELECT r.state FROM runs r JOIN jobs j ON j.id = r.job_id "
                                "WHERE j.name = $1 ORDER BY r.id",
                                job)) {
                found.push_back(row[0].as<std::string>());
            }
            return found;
        });
    }

    bool AllRunsEnded() {
        return Sql([](pqxx::work& tx) {
            return tx.exec1("SELECT count(*) FROM runs WHERE state IN ('Queued', 'Running')")[0]
                       .as<int>() == 0;
        });
    }

    // Everything the issue asks of an outage, checked once every run has ended.
    void ExpectEveryOutcomeOnce() {
        ASSERT_TRUE(WaitFor([&] { return AllRunsEnded(); }, std::chrono::seconds(90)))
            << daemon_.Log();
        // Each call: accepted, or 503 / fault 30000 naming the database.
        std::set<std::int64_t> answered;
        int refused = 0;
        for (const auto& result : results_) {
            if (result.status == 200) {
                const std::string handle =
                    json::parse(result.body).at("runHandle").as_string().c_str();
                answered.insert(std::stoll(handle.substr(handle.rfind('|') + 1)));
                continue;
            }
            ++refused;
            ASSERT_EQ(result.status, 503) << result.body;
            const auto fault = json::parse(result.body).as_object();
            EXPECT_EQ(fault.at("code").as_int64(), 30000) << result.body;
            EXPECT_NE(std::string(fault.at("reason").as_string().c_str()).find("database"),
                      std::string::npos)
                << result.body;
        }
        std::cout << "calls accepted=" << answered.size() << " refused=" << refused << '\n';
        const auto runs = Sql([](pqxx::work& tx) {
            return tx.exec(
                "SELECT r.id, j.name, r.state, r.attempt, r.first_run_id, r.detail_rows, "
                "(SELECT count(*) FROM run_details d WHERE d.run_id = r.id), "
                "(SELECT count(DISTINCT d.message) FROM run_details d WHERE d.run_id = r.id) "
                "FROM runs r JOIN jobs j ON j.id = r.job_id ORDER BY r.id");
        });
        std::set<std::int64_t> in_database;
        std::map<std::int64_t, int> retries_of;
        int ticks = 0;
        int originals_failed = 0;
        for (const auto& row : runs) {
            const auto id = row[0].as<std::int64_t>();
            const auto job = row[1].as<std::string>();
            const auto state = row[2].as<std::string>();
            const int details = row[6].as<int>();
            in_database.insert(id);
            EXPECT_EQ(row[5].as<int>(), details) << "run " << id << ": detail_rows";
            if (job == "ticker") {
                EXPECT_EQ(state, "Succeeded") << "run " << id;
                ++ticks;
            } else if (job == "chatty") {
                EXPECT_EQ(state, "Succeeded") << "run " << id;
                EXPECT_EQ(details, kChattyLines) << "run " << id << ": details written once";
                EXPECT_EQ(row[7].as<int>(), kChattyLines) << "run " << id;
            } else {
                EXPECT_EQ(state, "Failed") << "run " << id;
                if (row[3].as<int>() == 0) {
                    ++originals_failed;
                } else {
                    ++retries_of[row[4].as<std::int64_t>()];
                }
            }
        }
        for (const auto id : answered) {
            EXPECT_TRUE(in_database.contains(id)) << "accepted run " << id << " not in database";
        }
        EXPECT_EQ(static_cast<int>(retries_of.size()), originals_failed);
        std::cout << "runs=" << in_database.size() << " scheduled=" << ticks << '\n';
        for (const auto& [first, count] : retries_of) {
            EXPECT_EQ(count, 1) << "retries of run " << first;
        }
        // One outcome line per run, none twice.
        std::map<std::int64_t, int> lines;
        std::ifstream file(daemon_.dir() / "log" / "companies" / "47.log");
        for (std::string line; std::getline(file, line);) {
            const std::string handle = json::parse(line).at("run").as_string().c_str();
            ++lines[std::stoll(handle.substr(handle.rfind('|') + 1))];
        }
        for (const auto id : in_database) {
            EXPECT_EQ(lines[id], 1) << "outcome lines of run " << id;
        }
        EXPECT_EQ(lines.size(), in_database.size());
        EXPECT_EQ(daemon_.Get("/healthz").status, 200);
        EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
        PrintWarnings();
    }

    // What the daemon went through, for the test's output: its warnings by event.
    void PrintWarnings() {
        std::map<std::string, int> events;
        std::istringstream log(daemon_.Log());
        for (std::string line; std::getline(log, line);) {
            const auto at = line.find(" warning ");
            if (at != std::string::npos) {
                const auto event = line.substr(at + 9, line.find('=', at) - at - 9);
                ++events[event.substr(0, event.rfind(' '))];
            }
        }
        for (const auto& [event, count] : events) {
            std::cout << "daemon warning x" << count << ": " << event << '\n';
        }
    }

    PgCluster cluster_;
    TcpProxy proxy_{"127.0.0.1", cluster_.port()};
    JobdProcess daemon_{"runs:\n  stop_grace: 1s\n", "", cluster_.url()};
    std::thread caller_;
    std::atomic<bool> stop_calls_{false};
    std::atomic<int> accepted_{0};
    std::mutex mutex_;
    std::vector<CallResult> results_;
};

TEST_F(OutageTest, PostgresRestartsWhileRunsAndCallsGoOn) {
    StartCalls();
    ASSERT_TRUE(AcceptsAgain(5));
    for (int restart = 0; restart < 2; ++restart) {
        cluster_.Restart();
        ASSERT_TRUE(AcceptsAgain()) << daemon_.Log();
    }
    StopCalls();
    ExpectEveryOutcomeOnce();
}

TEST_F(OutageTest, ConnectionsDroppedAndRefusedWhileRunsAndCallsGoOn) {
    StartCalls();
    ASSERT_TRUE(AcceptsAgain(5));
    // Cuts at random points of the daemon's transactions: before, during and after COMMIT.
    for (int cut = 0; cut < 12; ++cut) {
        const int connections = proxy_.Accepted();
        proxy_.DropAll();
        WaitFor([&] { return proxy_.Accepted() > connections; }, std::chrono::seconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(150));  // spreads the cuts
    }
    proxy_.Refuse(true);
    proxy_.DropAll();
    const auto health = daemon_.Get("/healthz");
    EXPECT_EQ(health.status, 503) << health.body;
    proxy_.Refuse(false);
    ASSERT_TRUE(AcceptsAgain()) << daemon_.Log();
    StopCalls();
    ExpectEveryOutcomeOnce();
}

// The answer to a COMMIT is lost after the server committed (the outcome "in doubt"), for
// claims, output batches, ends, retries, fires and API calls alike: each write is repeated and
// must find what its first attempt committed. Every other cut loses the answer to executeJob's
// own statement, which commits without a COMMIT: its run, when inserted, must still run (and
// end) exactly once. (The callers' password was checked by their first call, so their calls go
// in one statement, store::ExecuteRunForPassword.)
TEST_F(OutageTest, CommitsInDoubtAreNeverWrittenTwice) {
    // Fires every second: scheduler passes are in doubt too.
    ASSERT_EQ(daemon_
                  .Json("submitJob",
                        R"({"companyHandle":"47","jobName":"ticker","execSchedule":"* * * * * ?",
                    "overlap":"Allow","commandJob":{"argv":["/bin/true"]}})",
                        "admin@example.com")
                  .status,
              200);
    StartCalls();
    ASSERT_TRUE(AcceptsAgain(5));
    for (int cut = 1; cut <= 25; ++cut) {
        proxy_.CutAfter(cut % 2 == 0 ? kExecuteForPasswordBind : "COMMIT", 1);
        ASSERT_TRUE(WaitFor([&] { return proxy_.Cuts() == cut; }, std::chrono::seconds(20)))
            << daemon_.Log();
    }
    ASSERT_TRUE(AcceptsAgain()) << daemon_.Log();
    StopCalls();
    ASSERT_EQ(daemon_
                  .Json("pauseJob",
                        R"({"companyHandle":"47","jobHandle":"47|ticker|"})",
                        "admin@example.com")
                  .status,
              200);
    int in_doubt = 0;
    for (const auto& result : results_) {
        in_doubt += result.body.find("may have been carried out") != std::string::npos ? 1 : 0;
    }
    std::cout << "api calls in doubt=" << in_doubt << '\n';
    ExpectEveryOutcomeOnce();
}

// executeJob's statement commits by itself (store::ExecuteRun). When its answer is lost, the
// call answers 503 (it may have been carried out) and its run, inserted or not, is looked for by
// the id reserved before: it runs once, whether it was inserted Running on this node (a worker
// was free for it) or Queued, held by this node (overlap Queue), instead of staying unseen, and
// its job blocked, until the node restarts. A caller by token, or by a password checked before,
// with an id in hand goes in one statement (store::ExecuteRunForToken, ExecuteRunForPassword):
// the same holds for it.
TEST_F(OutageTest, AnExecuteJobWhoseStatementIsInDoubtRunsOnce) {
    const auto created = daemon_.Jobd({"admin", "add-token", "admin@example.com", "--name", "ci"});
    ASSERT_EQ(created.exit_code, 0) << created.out;
    const std::string token = created.out.substr(0, created.out.find('\n'));
    enum class Caller { kPasswordLookedUp, kPasswordKnown, kToken };
    const std::map<Caller, std::string> suffix{{Caller::kPasswordLookedUp, ""},
                                               {Caller::kPasswordKnown, "Known"},
                                               {Caller::kToken, "Token"}};
    for (const Caller caller :
         {Caller::kPasswordLookedUp, Caller::kPasswordKnown, Caller::kToken}) {
        for (const std::string overlap : {"Allow", "Queue"}) {
            const std::string job = "quick" + overlap + suffix.at(caller);
            ASSERT_EQ(daemon_
                          .Json("submitJob",
                                R"({"companyHandle":"47","jobName":")" + job +
                                    R"(","execSchedule":"0 0 0 1 1 ?","overlap":")" + overlap +
                                    R"(","commandJob":{"argv":["/bin/true"]}})",
                                "admin@example.com")
                          .status,
                      200);
            // A user whose password this node has not checked yet is looked up first.
            std::string email = "admin@example.com";
            if (caller == Caller::kPasswordLookedUp) {
                email = "new" + overlap + "@example.com";
                daemon_.AddUser(email, 47, "IpsCompanyAdmin");
            }
            const auto execute = [&] {
                const std::string body =
                    R"({"companyHandle":"47","jobHandle":"47|)" + job + R"(|"})";
                return caller == Caller::kToken
                           ? daemon_.Post(
                                 "/api/v1/executeJob", body, {{"Authorization", "Bearer " + token}})
                           : daemon_.Json("executeJob", body, email);
            };
            if (caller != Caller::kPasswordLookedUp) {
                // A first call takes an id for the next one, which then goes in one statement.
                ASSERT_EQ(execute().status, 200);
                ASSERT_TRUE(WaitFor([&] { return RunStates(job).size() == 1; }));
            }
            const std::size_t runs_before = RunStates(job).size();
            const int cuts = proxy_.Cuts();
            const std::map<Caller, std::string> bind{
                {Caller::kPasswordLookedUp, kExecuteRunBind},
                {Caller::kPasswordKnown, kExecuteForPasswordBind},
                {Caller::kToken, kExecuteForTokenBind}};
            proxy_.CutAfter(bind.at(caller), 1);
            const auto answer = execute();
            ASSERT_EQ(proxy_.Cuts(), cuts + 1) << answer.body;
            EXPECT_EQ(answer.status, 503) << answer.body;
            EXPECT_NE(answer.body.find("may have been carried out"), std::string::npos)
                << answer.body;
            const std::vector<std::string> all_succeeded(runs_before + 1, "Succeeded");
            EXPECT_TRUE(
                WaitFor([&] { return RunStates(job) == all_succeeded; }, std::chrono::seconds(20)))
                << overlap << ": " << RunStates(job).size() << " runs\n"
                << daemon_.Log();
        }
    }
}

// A submitJob whose commit is in doubt may have stored the job, and no other node was told of it
// (migration 0013): this node's scheduler still looks for its fire, so a stored job fires.
TEST_F(OutageTest, AJobSubmittedInDoubtStillFires) {
    std::string job;
    for (int attempt = 0; attempt < 3 && job.empty(); ++attempt) {
        const std::string name = "doubtful" + std::to_string(attempt);
        const int cuts = proxy_.Cuts();
        proxy_.CutAfter("COMMIT", 1);
        const auto answer = daemon_.Json("submitJob",
                                         R"({"companyHandle":"47","jobName":")" + name +
                                             R"(","execSchedule":"* * * * * ?",)"
                                             R"("commandJob":{"argv":["/bin/true"]}})",
                                         "admin@example.com");
        ASSERT_EQ(proxy_.Cuts(), cuts + 1) << answer.body;
        if (answer.status == 503) {
            job = name;  // else the cut hit another transaction (a lease renewal): again
        }
    }
    ASSERT_FALSE(job.empty());
    ASSERT_TRUE(WaitFor([&] {
        return Sql([&](pqxx::work& tx) {
            return !tx.exec_params("SELECT 1 FROM jobs WHERE name = $1", job).empty();
        });
    })) << "the job's commit was lost, not in doubt";
    EXPECT_TRUE(WaitFor([&] { return !RunStates(job).empty(); }, std::chrono::seconds(10)))
        << daemon_.Log();
}

// /healthz names what is wrong (docs/operations.md): the database and the log directory.
TEST_F(OutageTest, HealthzReportsTheDatabaseAndTheLogDirectory) {
    auto health = daemon_.Get("/healthz");
    ASSERT_EQ(health.status, 200) << health.body;
    auto body = json::parse(health.body).as_object();
    EXPECT_EQ(body.at("status").as_string(), "ok");
    EXPECT_EQ(body.at("database").at("reachable").as_bool(), true);
    EXPECT_EQ(body.at("scheduler").as_string(), "running");
    EXPECT_EQ(body.at("logDir").at("writable").as_bool(), true);

    proxy_.Refuse(true);
    proxy_.DropAll();
    health = daemon_.Get("/healthz");
    EXPECT_EQ(health.status, 503) << health.body;
    body = json::parse(health.body).as_object();
    EXPECT_EQ(body.at("status").as_string(), "unavailable");
    EXPECT_EQ(body.at("database").at("reachable").as_bool(), false);
    EXPECT_NE(std::string(body.at("database").at("reason").as_string().c_str()).find("database"),
              std::string::npos)
        << health.body;
    proxy_.Refuse(false);
    EXPECT_TRUE(WaitFor([&] { return daemon_.Get("/healthz").status == 200; }));

    // The outcome directory replaced by a file: not writable, even for root.
    const auto companies = daemon_.dir() / "log" / "companies";
    std::filesystem::remove_all(companies);
    std::ofstream(companies) << "not a directory\n";
    health = daemon_.Get("/healthz");
    EXPECT_EQ(health.status, 503) << health.body;
    body = json::parse(health.body).as_object();
    EXPECT_EQ(body.at("logDir").at("writable").as_bool(), false);
    EXPECT_NE(std::string(body.at("logDir").at("reason").as_string().c_str()).find("companies"),
              std::string::npos)
        << health.body;
    std::filesystem::remove(companies);
    std::filesystem::create_directory(companies);
    EXPECT_EQ(daemon_.Get("/healthz").status, 200);
    EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
}

// An outcome directory that cannot be written stops jobd at start, naming it (issue #6 item 6).
TEST(OutcomeDirectory, UnwritableAtStartIsReported) {
    JobdProcess daemon;
    std::filesystem::create_directories(daemon.dir() / "log");
    std::ofstream(daemon.dir() / "log" / "companies") << "not a directory\n";
    EXPECT_THROW(daemon.Start(), std::runtime_error);
    const std::string log = daemon.Log();
    EXPECT_NE(log.find("log.dir: "), std::string::npos) << log;
    EXPECT_NE(log.find("companies"), std::string::npos) << log;
}

}  // namespace
}  // namespace jobd::test
