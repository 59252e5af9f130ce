#include "jobd/model/error.hpp"

namespace jobd {

Error::Error(ErrorKind kind, Message message, std::string field)
    : std::runtime_error(field.empty() ? Render(message, Language::English)
                                       : field + ": " + Render(message, Language::English)),
      kind_(kind),
      message_(std::move(message)),
      field_(std::move(field)) {}

std::string Error::Describe(Language language) const {
    return field_.empty() ? Render(message_, language) : field_ + ": " + Render(message_, language);
}

}  // namespace jobd
