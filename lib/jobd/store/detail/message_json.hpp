#pragma once
// A message of jobd's own as stored beside its English text (runs.reason_message,
// run_details.own_message; migrations/0003_own_messages.sql):
//   {"id": "RunNotLaunched", "args": {"field": "x", "problem": {"id": "NoHandler", "args": {...}}}}
// Arguments are strings, or objects of the same shape for a nested message. Ids are stored by
// name (MessageName), so a database stays readable across jobd versions. Pure; any thread.

#include <optional>
#include <string>
#include <string_view>

#include "jobd/model/message.hpp"

namespace jobd::store {

std::string MessageToJson(const Message& message);

// The stored message; nullopt for what is not such an object or names an id, anywhere in it, that
// this jobd does not know (a newer jobd wrote it): the reader then shows the stored English text.
std::optional<Message> MessageFromJson(std::string_view json);

// The English text and jsonb of an optional message, for a (text, jsonb) pair of columns: "" and
// NULL without one.
std::string EnglishText(const std::optional<Message>& message);
std::optional<std::string> OptionalMessageJson(const std::optional<Message>& message);

}  // namespace jobd::store
