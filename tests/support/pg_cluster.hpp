#pragma once
// PgCluster — a private PostgreSQL cluster for the tests that restart or stop the server (issue
// #6 outage tests), so that they never disturb the shared cluster other tests run against at
// the same time. Made with tests/support/pg-cluster (the script of the ctest fixture) in a
// temporary directory on a free loopback port; removed by the destructor.
// Blocking; test thread only. Needs $JOBD_SOURCE_DIR (set by jobd_add_test for pg/e2e tests).

#include <cstdint>
#include <filesystem>
#include <string>

namespace jobd::test {

class PgCluster {
public:
    PgCluster();   // initdb and start; throws std::runtime_error on failure
    ~PgCluster();  // stops the server and removes its directory

    PgCluster(const PgCluster&) = delete;
    PgCluster& operator=(const PgCluster&) = delete;

    // postgresql://postgres@127.0.0.1:PORT/postgres
    const std::string& url() const { return url_; }

    std::uint16_t port() const { return port_; }

    // `pg_ctl restart -m fast`: sessions are terminated, the server is back when this returns.
    void Restart();

private:
    void Script(const std::string& args) const;

    std::filesystem::path dir_;
    std::filesystem::path env_file_;
    std::string url_;
    std::uint16_t port_ = 0;
};

}  // namespace jobd::test
