#pragma once
// libpqxx 6.4 glue for the query files. std::optional parameters already bind as SQL NULL;
// reading a nullable column as std::optional needs this (field::get<T>() is compiled out on
// Debian's 6.4 build).

#include <optional>
#include <string>

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

}  // namespace jobd::store
