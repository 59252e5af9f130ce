#include "jobd/model/message.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cstdlib>

#include "jobd/model/detail/catalogs.hpp"
#include "jobd/model/text.hpp"

namespace jobd {
namespace {

// In MessageId order; Names, CatalogsAreComplete (tests/unit/model) check it.
constexpr std::array<std::string_view, kMessageCount> kNames{
    "RequiredFieldMissing",
    "MustBeString",
    "MustBeInteger",
    "MustBeBetween",
    "MustBeBoolean",
    "MustBeStringArray",
    "MustNotBeEmpty",
    "MustBeAtLeast",
    "NotDateTime",
    "NotCompanyHandle",
    "NotJobHandle",
    "NotJobOrRunHandle",
    "NotJsonObject",
    "BodyNotJson",
    "XmlPrefixUndeclared",
    "XmlMalformed",
    "XmlDoctype",
    "XmlNoElement",
    "SoapNoBody",
    "SoapEmptyBody",
    "SoapNotParamElement",
    "SoapNotIpsNamespace",
    "XmlTooDeep",
    "NotHttpStatus",
    "BodyTooLarge",
    "UnknownOperation",
    "InternalError",
    "BasicNotBase64",
    "BasicNoColon",
    "UnknownAuthScheme",
    "UnknownToken",
    "NoCredentials",
    "TooManyFailedLogins",
    "InvalidLogin",
    "SocketUidRefused",
    "NoSuchCompany",
    "NotCompanyMember",
    "RoleMayNotCall",
    "OnlyIpsAdmin",
    "NoRoleMayCall",
    "CommandJobRoles",
    "NotRole",
    "NotEmail",
    "PasswordTooShort",
    "CompanyRequiredForRole",
    "CompanyNameTaken",
    "JobNameTaken",
    "JobNameInvalid",
    "NotTimeZone",
    "TwoJobTypes",
    "JobTypeNotElement",
    "NoJobType",
    "ArgvNotStrings",
    "NoHandler",
    "ExecTimeInGap",
    "TimeAndSchedule",
    "NeverFiresAfterNow",
    "OverlapValue",
    "MisfireValue",
    "SortDirectionValue",
    "DetailSortValue",
    "NotLogSortField",
    "JobOfOtherCompany",
    "RunOfOtherCompany",
    "NoSuchJob",
    "NoSuchJobLog",
    "NoJobOrRunHandle",
    "AlreadyRunning",
    "NothingToStop",
    "CannotPause",
    "NotPaused",
    "ScheduleEmpty",
    "ScheduleFieldCount",
    "ScheduleUnknownMacro",
    "ScheduleMacroArguments",
    "ScheduleEveryArguments",
    "ScheduleEveryUnit",
    "ScheduleEveryMalformed",
    "ScheduleEveryTooLong",
    "ScheduleEveryTooShort",
    "ScheduleNeitherReading",
    "ScheduleNeverFires",
    "CronPartEmpty",
    "CronPartMalformed",
    "CronPartNotNumber",
    "CronPartNotNumberOrName",
    "CronPartOutside",
    "CronStepNotNumber",
    "CronStepOutside",
    "CronListEmptyElement",
    "CronQuestionMarkAlone",
    "CronRangeReversed",
    "CronLastOffset",
    "CronOccurrence",
    "CronBothQuestionMarks",
    "RunExited",
    "RunKilledBySignal",
    "RunTimedOut",
    "RunStopped",
    "RunStoppedByStopJob",
    "RunJobDeleted",
    "RunNodeRestarted",
    "RunNodeLeaseExpired",
    "RunLostTrack",
    "RunSpawnFailed",
    "RunNotLaunched",
    "OutputTruncated",
    "SkippedMisfire",
    "SkippedOverlap",
    "DatabaseUnavailable",
    "DatabaseCommitInDoubt",
    "ListenConnectionClosed",
    "JobChangeSocketDup",
    "ListenFailed",
    "ListenHostNotIp",
    "ListenPathNotSocket",
    "SodiumInitFailed",
    "PasswordHashFailed",
    "MigrationName",
    "MigrationOrder",
    "SchemaNewer",
    "MigrationUnknown",
    "MigrationChanged",
    "MigrationFailed",
    "NoSuchUser",
    "CliNotCompanyHandle",
    "CliNotOneOf",
    "CliNotDateTime",
    "CliNotAssignment",
    "CliFieldForTypeOnly",
    "CliEnvForCommandOnly",
    "CliNotJobType",
    "CliFieldTwice",
    "CliCommandOrType",
    "CliAtOrSchedule",
    "CliNotField",
    "CliFieldNotJson",
    "CliHandleOtherCompany",
    "CliNotJobHandleOrName",
    "CliJobNameInvalid",
    "CliCompanyNameEmpty",
    "CliNotEmail",
    "CliPasswordEmpty",
    "CliUrlScheme",
    "CliUrlPort",
    "CliUrlNotAbsolute",
    "CliUrlNoHost",
    "CliUrlExtras",
    "CliUrlOrSocket",
    "CliCaCertUnreadable",
};

const std::string* ArgText(const Message& message,
                           std::string_view name,
                           Language language,
                           std::string& rendered) {
    for (const Message::Arg& arg : message.args()) {
        if (arg.name == name) {
            if (arg.nested) {
                rendered = Render(*arg.nested, language);
                return &rendered;
            }
            return &arg.text;
        }
    }
    return nullptr;
}

// An Accept-Language weight "q=0.5" in thousandths; -1 when malformed (the entry is ignored).
int Weight(std::string_view parameters) {
    int weight = 1000;
    while (!parameters.empty()) {
        const auto semicolon = parameters.find(';');
        const std::string_view parameter = Trim(parameters.substr(0, semicolon));
        parameters = semicolon == std::string_view::npos ? std::string_view()
                                                         : parameters.substr(semicolon + 1);
        if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') ||
            parameter[1] != '=') {
            continue;
        }
        const std::string_view value = parameter.substr(2);
        // RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
        if (value.empty() || value.size() > 5 || (value[0] != '0' && value[0] != '1') ||
            (value.size() > 1 && value[1] != '.')) {
            return -1;
        }
        int thousandths = (value[0] - '0') * 1000;
        int scale = 100;
        for (const char digit : value.substr(std::min<std::size_t>(2, value.size()))) {
            if (std::isdigit(static_cast<unsigned char>(digit)) == 0) {
                return -1;
            }
            thousandths += (digit - '0') * scale;
            scale /= 10;
        }
        weight = thousandths > 1000 ? -1 : thousandths;
    }
    return weight;
}

}  // namespace

Message::Message(MessageId id, std::vector<std::pair<std::string, std::string>> args) : id_(id) {
    args_.reserve(args.size());
    for (auto& [name, text] : args) {
        args_.push_back({std::move(name), std::move(text), nullptr});
    }
}

Message& Message::With(std::string name, Message nested) {
    args_.push_back({std::move(name), {}, std::make_shared<const Message>(std::move(nested))});
    return *this;
}

std::string_view MessageName(MessageId id) {
    return kNames.at(static_cast<std::size_t>(id));
}

std::optional<MessageId> MessageIdNamed(std::string_view name) {
    const auto found = std::find(kNames.begin(), kNames.end(), name);
    if (found == kNames.end()) {
        return std::nullopt;
    }
    return static_cast<MessageId>(found - kNames.begin());
}

std::string_view Template(MessageId id, Language language) {
    const std::string_view text = detail::CatalogOf(language).at(static_cast<std::size_t>(id));
    // A catalog lacking the id (caught by the catalog test) falls back to English.
    return text.empty() ? detail::CatalogOf(Language::English).at(static_cast<std::size_t>(id))
                        : text;
}

std::string Render(const Message& message, Language language) {
    const std::string_view text = Template(message.id(), language);
    std::string out;
    out.reserve(text.size() + 32);
    std::size_t at = 0;
    while (at < text.size()) {
        const auto open = text.find('{', at);
        const auto close = open == std::string_view::npos ? open : text.find('}', open);
        if (close == std::string_view::npos) {
            out.append(text.substr(at));
            break;
        }
        out.append(text.substr(at, open - at));
        std::string rendered;
        const std::string_view name = text.substr(open + 1, close - open - 1);
        if (const std::string* value = ArgText(message, name, language, rendered)) {
            out.append(*value);
        } else {
            out.append(text.substr(open, close - open + 1));  // visible, never silently dropped
        }
        at = close + 1;
    }
    return out;
}

std::string RenderStored(const std::optional<Message>& message,
                         std::string_view stored,
                         Language language) {
    return message ? Render(*message, language) : std::string(stored);
}

std::string_view LanguageCode(Language language) {
    switch (language) {
        case Language::English: return "en";
        case Language::German: return "de";
        case Language::Spanish: return "es";
        case Language::Italian: return "it";
        case Language::Dutch: return "nl";
        case Language::Swedish: return "sv";
    }
    std::abort();  // unreachable: every language returns above
}

std::optional<Language> LanguageOfTag(std::string_view tag) {
    const std::string_view primary = Trim(tag).substr(0, Trim(tag).find_first_of("-_"));
    for (const Language language : kLanguages) {
        const std::string_view code = LanguageCode(language);
        if (std::equal(
                primary.begin(), primary.end(), code.begin(), code.end(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) == b;
                })) {
            return language;
        }
    }
    return std::nullopt;
}

std::optional<Language> PreferredLanguage(std::string_view explicit_locale,
                                          std::string_view accept_language) {
    if (const auto language = LanguageOfTag(explicit_locale)) {
        return *language;
    }
    std::optional<Language> best;
    int best_weight = 0;
    while (!accept_language.empty()) {
        const auto comma = accept_language.find(',');
        const std::string_view entry = accept_language.substr(0, comma);
        accept_language = comma == std::string_view::npos ? std::string_view()
                                                          : accept_language.substr(comma + 1);
        const auto semicolon = entry.find(';');
        const int weight =
            semicolon == std::string_view::npos ? 1000 : Weight(entry.substr(semicolon + 1));
        const auto language = LanguageOfTag(entry.substr(0, semicolon));
        if (language && weight > best_weight) {  // strictly greater: ties keep header order
            best = language;
            best_weight = weight;
        }
    }
    return best;
}

Language NegotiateLanguage(std::string_view explicit_locale,
                           std::string_view accept_language,
                           Language fallback) {
    return PreferredLanguage(explicit_locale, accept_language).value_or(fallback);
}

}  // namespace jobd
