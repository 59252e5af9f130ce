#pragma once
// jobd::Error — the one type for domain failures (STYLE.md "Errors").
// Thrown where a request, a run or start-up ends; only api/fault_map.cpp maps a kind to an
// IPS fault code and an HTTP status. `field` names the request field, config key or argument
// at fault ("" when none). The message is an id with arguments (model/message.hpp), never a
// sentence built at the throw site: the API renders it in the request's language, what() in
// English for logs and jobctl. It is for an administrator and never holds a secret.

#include <stdexcept>
#include <string>

#include "jobd/model/message.hpp"

namespace jobd {

enum class ErrorKind {
    InvalidParameter,    // a field's value is wrong (bad handle, bad schedule, unknown job)
    MissingParameter,    // a required field is absent
    InvalidRequestBody,  // the XML or JSON body does not parse
    NotFound,            // a well-formed handle names no job or run
    Conflict,            // a state transition that makes no sense now (already running, ...)
    TooLarge,            // request body over api.max_body_bytes
    NoCredentials,       // no user/password or token given
    InvalidCredentials,  // wrong password or token
    InvalidUser,         // the user exists no more
    UnknownCompany,      // the companyHandle names no company
    NotMember,           // the caller or the handle's company is not one the caller belongs to
    NoPermission,        // the caller's role may not call this operation
    Unavailable,         // the database is down or jobd is shutting down
    Internal,            // a bug or an unexpected library failure
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, Message message, std::string field = {});

    ErrorKind kind() const { return kind_; }

    const Message& message() const { return message_; }

    const std::string& field() const { return field_; }

    // "<field>: <message>" in `language` (the message alone when there is no field); what() is
    // Describe(Language::English).
    std::string Describe(Language language) const;

private:
    ErrorKind kind_;
    Message message_;
    std::string field_;
};

}  // namespace jobd
