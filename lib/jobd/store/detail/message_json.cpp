#include "jobd/store/detail/message_json.hpp"

#include <boost/json.hpp>

namespace jobd::store {
namespace {

namespace json = boost::json;

// Nesting is one level in practice (a launch error inside RunNotLaunched); the bound keeps a
// damaged row from recursing deeply.
constexpr int kMaxDepth = 8;

json::object ToObject(const Message& message) {
    json::object args;
    for (const Message::Arg& arg : message.args()) {
        if (arg.nested) {
            args[arg.name] = ToObject(*arg.nested);
        } else {
            args[arg.name] = arg.text;
        }
    }
    return {{"id", MessageName(message.id())}, {"args", std::move(args)}};
}

std::optional<Message> FromValue(const json::value& value, int depth) {
    const auto* object = value.if_object();
    if (object == nullptr || depth > kMaxDepth) {
        return std::nullopt;
    }
    const auto* id_value = object->if_contains("id");
    if (id_value == nullptr || !id_value->is_string()) {
        return std::nullopt;
    }
    const auto id = MessageIdNamed(id_value->as_string());
    if (!id) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> texts;
    std::vector<std::pair<std::string, Message>> nested;
    if (const auto* args = object->if_contains("args"); args != nullptr) {
        if (!args->is_object()) {
            return std::nullopt;
        }
        for (const auto& [name, arg] : args->as_object()) {
            if (arg.is_string()) {
                texts.emplace_back(std::string(name), std::string(arg.as_string()));
            } else if (auto inner = FromValue(arg, depth + 1)) {
                nested.emplace_back(std::string(name), std::move(*inner));
            } else {
                return std::nullopt;
            }
        }
    }
    Message message(*id, std::move(texts));
    for (auto& [name, inner] : nested) {
        message.With(std::move(name), std::move(inner));
    }
    return message;
}

}  // namespace

std::string MessageToJson(const Message& message) {
    return json::serialize(ToObject(message));
}

std::optional<Message> MessageFromJson(std::string_view text) {
    boost::system::error_code ec;
    const json::value value = json::parse(text, ec);
    if (ec) {
        return std::nullopt;
    }
    return FromValue(value, 0);
}

std::string EnglishText(const std::optional<Message>& message) {
    return message ? Render(*message, Language::English) : std::string();
}

std::optional<std::string> OptionalMessageJson(const std::optional<Message>& message) {
    return message ? std::optional(MessageToJson(*message)) : std::nullopt;
}

}  // namespace jobd::store
