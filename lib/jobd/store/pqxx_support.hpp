#pragma once
// libpqxx 6.4 glue for the query files. std::optional parameters already bind as SQL NULL;
// reading a nullable column as std::optional needs this (field::get<T>() is compiled out on
// Debian's 6.4 build).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/model/time.hpp"

namespace jobd::store {

template <typename T>
std::optional<T> Nullable(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return field.as<T>();
}

// A nullable timestamptz read as jobd_micros(column).
inline std::optional<TimePoint> NullableTime(const pqxx::field& field) {
    const auto micros = Nullable<std::int64_t>(field);
    return micros ? std::optional<TimePoint>(FromMicros(*micros)) : std::nullopt;
}

// A nullable instant as the bigint parameter of jobd_ts($n).
inline std::optional<std::int64_t> Micros(const std::optional<TimePoint>& t) {
    return t ? std::optional<std::int64_t>(ToMicros(*t)) : std::nullopt;
}

// Ids as the text parameter of string_to_array($n, ',')::bigint[].
template <typename Id>
std::string IdList(const std::vector<Id>& ids) {
    std::string list;
    for (const Id id : ids) {
        list += (list.empty() ? "" : ",") + std::to_string(id);
    }
    return list;
}

// A statement of a hot path (executeJob, claims, run ends), prepared on each connection at its
// first use and then run by name: the server parses and plans it once per connection instead of
// on every call, which was most of those statements' server time (issue #8). A name belongs to
// one statement text (libpqxx refuses a second text under the same name). Like LISTEN, this
// needs a session of its own per connection: a pooler between jobd and PostgreSQL must pool
// sessions, not transactions (docs/operations.md).
class Prepared {
public:
    Prepared(std::string name, std::string sql) : name_(std::move(name)), sql_(std::move(sql)) {}

    template <typename... Args>
    pqxx::result Exec(pqxx::transaction_base& tx, Args&&... args) const {
        Declare(tx);
        return tx.exec_prepared(name_, std::forward<Args>(args)...);
    }

    // Exactly one row, else pqxx::unexpected_rows.
    template <typename... Args>
    pqxx::row Exec1(pqxx::transaction_base& tx, Args&&... args) const {
        Declare(tx);
        return tx.exec_prepared1(name_, std::forward<Args>(args)...);
    }

    // Prepares it on tx's server now, for a statement that runs it by name in SQL (EXECUTE).
    void PrepareNow(pqxx::transaction_base& tx) const {
        Declare(tx);
        tx.conn().prepare_now(name_);
    }

    const std::string& name() const { return name_; }

private:
    // libpqxx keeps one declaration per connection (a repeat with the same text changes
    // nothing) and prepares it on the server when first run there.
    void Declare(pqxx::transaction_base& tx) const { tx.conn().prepare(name_, sql_); }

    std::string name_;
    std::string sql_;
};

}  // namespace jobd::store
