#include "jobd/api/params.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

[[noreturn]] void Invalid(std::string_view field, Message what) {
    throw Error(ErrorKind::InvalidParameter, std::move(what), std::string(field));
}

[[noreturn]] void Missing(std::string_view field) {
    throw Error(
        ErrorKind::MissingParameter, Message(MessageId::RequiredFieldMissing), std::string(field));
}

}  // namespace

const boost::json::value* Params::Find(std::string_view field) const {
    const auto* value = params_.if_contains(field);
    return value == nullptr || value->is_null() ? nullptr : value;
}

std::optional<std::string> Params::OptionalString(std::string_view field) const {
    const auto* value = Find(field);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        Invalid(field, Message(MessageId::MustBeString));
    }
    return std::string(value->as_string());
}

std::string Params::RequireString(std::string_view field) const {
    auto text = OptionalString(field);
    if (!text || text->empty()) {
        Missing(field);
    }
    return *text;
}

std::optional<std::int64_t> Params::OptionalInt(std::string_view field,
                                                std::int64_t min,
                                                std::int64_t max) const {
    const auto* value = Find(field);
    if (value == nullptr) {
        return std::nullopt;
    }
    std::int64_t number = 0;
    if (value->is_int64()) {
        number = value->as_int64();
    } else if (value->is_string()) {
        const auto& text = value->as_string();
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec != std::errc{} || end != text.data() + text.size()) {
            Invalid(field, Message(MessageId::MustBeInteger));
        }
    } else {
        Invalid(field, Message(MessageId::MustBeInteger));
    }
    if (number < min || number > max) {
        Invalid(field,
                Message(MessageId::MustBeBetween,
                        {{"min", std::to_string(min)},
                         {"max", std::to_string(max)},
                         {"value", std::to_string(number)}}));
    }
    return number;
}

std::optional<bool> Params::OptionalBool(std::string_view field) const {
    const auto* value = Find(field);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (value->is_bool()) {
        return value->as_bool();
    }
    if (value->is_string() && (value->as_string() == "true" || value->as_string() == "1")) {
        return true;
    }
    if (value->is_string() && (value->as_string() == "false" || value->as_string() == "0")) {
        return false;
    }
    Invalid(field, Message(MessageId::MustBeBoolean));
}

std::optional<DateTimeText> Params::OptionalDateTime(std::string_view field) const {
    const auto text = OptionalString(field);
    if (!text || text->empty()) {
        return std::nullopt;
    }
    const auto parsed = ParseDateTime(*text);
    if (!parsed) {
        Invalid(field, Message(MessageId::NotDateTime, {{"value", *text}}));
    }
    return parsed;
}

std::vector<std::string> Params::StringArray(std::string_view field) const {
    const auto* value = Find(field);
    std::vector<std::string> items;
    if (value == nullptr || (value->is_string() && value->as_string().empty())) {
        return items;
    }
    if (!value->is_array()) {
        Invalid(field, Message(MessageId::MustBeStringArray));
    }
    for (const auto& item : value->as_array()) {
        if (!item.is_string()) {
            Invalid(field, Message(MessageId::MustBeStringArray));
        }
        items.emplace_back(item.as_string());
    }
    return items;
}

std::optional<CompanyId> Params::OptionalCompany(std::string_view field) const {
    const auto text = OptionalString(field);
    if (!text || text->empty()) {
        return std::nullopt;
    }
    const auto company = ParseCompanyHandle(*text);
    if (!company) {
        Invalid(field, Message(MessageId::NotCompanyHandle, {{"value", *text}}));
    }
    return company;
}

CompanyId Params::RequireCompany(std::string_view field) const {
    const auto company = OptionalCompany(field);
    if (!company) {
        Missing(field);
    }
    return *company;
}

JobHandle Params::RequireJobHandle(std::string_view field) const {
    const std::string text = RequireString(field);
    const auto handle = ParseJobHandle(text);
    if (!handle) {
        Invalid(field, Message(MessageId::NotJobHandle, {{"value", text}}));
    }
    return *handle;
}

}  // namespace jobd::api
