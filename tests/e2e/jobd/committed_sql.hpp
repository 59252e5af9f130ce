#pragma once
// SQL on a test's database straight from the test thread, as another node or an operator would
// change it behind the daemon's back. Blocking; a connection of its own per call. Kept out of
// daemon_fixture.hpp so that the tests without SQL do not compile pqxx.

#include <string>

#include <pqxx/pqxx>

namespace jobd::test {

// Runs `fn(tx)` in one transaction on the database at `url`, commits it and returns what `fn`
// returned (not void). Throws what pqxx throws.
template <typename Fn>
auto CommittedSql(const std::string& url, Fn fn) {
    pqxx::connection connection{url};
    pqxx::work tx{connection};
    auto result = fn(tx);
    tx.commit();
    return result;
}

}  // namespace jobd::test
