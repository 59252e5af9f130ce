#pragma once
// Messages by id (contract §5 "Locale"): a throw site or jobd's own log detail names a MessageId
// and its arguments; a catalog per Language holds the template ("{name} is …") that renders it.
// No message is built as a literal sentence where it is raised, so a fault reason or a stored
// log detail can be shown in the language each request negotiates.
// Pure: values and constant tables only; callable from any thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobd {

// Every message jobd raises. An id's name (MessageName) is stored with jobd's own log details in
// PostgreSQL: rename or reuse none, only add (a database may hold ids of an older jobd).
// Arguments are named in the English catalog's template (model/detail/catalog_en.cpp).
enum class MessageId {
    // Shared by many fields: the rendered reason is "<field>: <message>" (jobd::Error).
    RequiredFieldMissing,
    MustBeString,
    MustBeInteger,
    MustBeBetween,
    MustBeBoolean,
    MustBeStringArray,
    MustNotBeEmpty,
    MustBeAtLeast,
    NotDateTime,
    NotCompanyHandle,
    NotJobHandle,
    NotJobOrRunHandle,
    NotJsonObject,
    // Requests, credentials and authorization.
    BodyNotJson,
    XmlPrefixUndeclared,
    XmlMalformed,
    XmlDoctype,
    XmlNoElement,
    SoapNoBody,
    SoapEmptyBody,
    SoapNotParamElement,
    SoapNotIpsNamespace,
    XmlTooDeep,
    NotHttpStatus,
    BodyTooLarge,
    UnknownOperation,
    InternalError,
    BasicNotBase64,
    BasicNoColon,
    UnknownAuthScheme,
    UnknownToken,
    NoCredentials,
    TooManyFailedLogins,
    InvalidLogin,
    SocketUidRefused,
    NoSuchCompany,
    NotCompanyMember,
    RoleMayNotCall,
    OnlyIpsAdmin,
    NoRoleMayCall,
    CommandJobRoles,
    // Operations.
    NotRole,
    NotEmail,
    PasswordTooShort,
    CompanyRequiredForRole,
    CompanyNameTaken,
    JobNameTaken,
    JobNameInvalid,
    NotTimeZone,
    TwoJobTypes,
    JobTypeNotElement,
    NoJobType,
    ArgvNotStrings,
    NoHandler,
    ExecTimeInGap,
    TimeAndSchedule,
    NeverFiresAfterNow,
    OverlapValue,
    MisfireValue,
    SortDirectionValue,
    DetailSortValue,
    NotLogSortField,
    JobOfOtherCompany,
    RunOfOtherCompany,
    NoSuchJob,
    NoSuchJobLog,
    NoJobOrRunHandle,
    AlreadyRunning,
    NothingToStop,
    CannotPause,
    NotPaused,
    // Schedules (execSchedule); `part` is a cron field's name such as day-of-month.
    ScheduleEmpty,
    ScheduleFieldCount,
    ScheduleUnknownMacro,
    ScheduleMacroArguments,
    ScheduleEveryArguments,
    ScheduleEveryUnit,
    ScheduleEveryMalformed,
    ScheduleEveryTooLong,
    ScheduleEveryTooShort,
    ScheduleNeitherReading,
    ScheduleNeverFires,
    CronPartEmpty,
    CronPartMalformed,
    CronPartNotNumber,
    CronPartNotNumberOrName,
    CronPartOutside,
    CronStepNotNumber,
    CronStepOutside,
    CronListEmptyElement,
    CronQuestionMarkAlone,
    CronRangeReversed,
    CronLastOffset,
    CronOccurrence,
    CronBothQuestionMarks,
    // Runs: jobd's own log details and run reasons.
    RunExited,
    RunKilledBySignal,
    RunTimedOut,
    RunStopped,
    RunStoppedByStopJob,
    RunJobDeleted,
    RunNodeRestarted,
    RunNodeLeaseExpired,
    RunLostTrack,
    RunSpawnFailed,
    RunNotLaunched,
    OutputTruncated,
    SkippedMisfire,
    SkippedOverlap,
    // Daemon, database and start-up.
    DatabaseUnavailable,
    DatabaseCommitInDoubt,
    ListenConnectionClosed,
    JobChangeSocketDup,
    ListenFailed,
    ListenHostNotIp,
    ListenPathNotSocket,
    SodiumInitFailed,
    PasswordHashFailed,
    MigrationName,
    MigrationOrder,
    SchemaNewer,
    MigrationUnknown,
    MigrationChanged,
    MigrationFailed,
    NoSuchUser,
    // jobctl's command line.
    CliNotCompanyHandle,
    CliNotOneOf,
    CliNotDateTime,
    CliNotAssignment,
    CliFieldForTypeOnly,
    CliEnvForCommandOnly,
    CliNotJobType,
    CliFieldTwice,
    CliCommandOrType,
    CliAtOrSchedule,
    CliNotField,
    CliFieldNotJson,
    CliHandleOtherCompany,
    CliNotJobHandleOrName,
    CliJobNameInvalid,
    CliCompanyNameEmpty,
    CliNotEmail,
    CliPasswordEmpty,
    CliUrlScheme,
    CliUrlPort,
    CliUrlNotAbsolute,
    CliUrlNoHost,
    CliUrlExtras,
    CliUrlOrSocket,
    CliCaCertUnreadable,
};

// How many MessageIds there are (they are numbered from 0).
inline constexpr std::size_t kMessageCount =
    static_cast<std::size_t>(MessageId::CliCaCertUnreadable) + 1;

// The languages jobd ships catalogs for: English and the five of the seed page.
enum class Language { English, German, Spanish, Italian, Dutch, Swedish };

inline constexpr Language kLanguages[] = {Language::English,
                                          Language::German,
                                          Language::Spanish,
                                          Language::Italian,
                                          Language::Dutch,
                                          Language::Swedish};

// A message: an id and its arguments by name. An argument is text (a field, a value, a number)
// or another message, rendered in the same language (a schedule's two failed readings).
class Message {
public:
    struct Arg {
        std::string name;
        std::string text;
        std::shared_ptr<const Message> nested;  // set: rendered instead of text
    };

    explicit Message(MessageId id, std::vector<std::pair<std::string, std::string>> args = {});

    // Adds a nested message argument; returns *this for chaining.
    Message& With(std::string name, Message nested);

    MessageId id() const { return id_; }

    const std::vector<Arg>& args() const { return args_; }

private:
    MessageId id_;
    std::vector<Arg> args_;
};

// The id's stable name ("RunExited"), and back; nullopt for a name this jobd does not know.
std::string_view MessageName(MessageId id);
std::optional<MessageId> MessageIdNamed(std::string_view name);

// The template of `id` in `language` ("exited with {code}").
std::string_view Template(MessageId id, Language language);

// The message in `language`: each {name} of its template replaced by the argument of that name.
std::string Render(const Message& message, Language language);

// A text of jobd's own stored beside its message (a run's reason, a log detail jobd wrote): the
// message in `language` when there is one, else `stored` as it was written (a row of an older
// jobd, or an id this jobd does not know). Process output has no message and stays as written.
std::string RenderStored(const std::optional<Message>& message,
                         std::string_view stored,
                         Language language);

// "en", "de", "es", "it", "nl", "sv".
std::string_view LanguageCode(Language language);

// The language of a locale or language tag: "sv-SE", "sv_SE", "SV", "de-CH-1996" → its primary
// subtag, matched case-insensitively; nullopt when jobd has no catalog for it ("fr-FR", "*", "").
std::optional<Language> LanguageOfTag(std::string_view tag);

// What a request asks for (contract §5): the explicit locale (SOAP authHeader/locale) when jobd
// has its catalog, else the supported language the Accept-Language header prefers most (q-values,
// q=0 excluded, ties in header order); nullopt when neither names one jobd has.
std::optional<Language> PreferredLanguage(std::string_view explicit_locale,
                                          std::string_view accept_language);

// The language of a request: PreferredLanguage, else `fallback` (api.default_locale's).
Language NegotiateLanguage(std::string_view explicit_locale,
                           std::string_view accept_language,
                           Language fallback);

}  // namespace jobd
