// Contract §5 "Locale": messages by id in catalogs for en, de, es, it, nl, sv; negotiation
// authHeader/locale, then Accept-Language, then api.default_locale.

#include "jobd/model/message.hpp"

#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "jobd/model/detail/catalogs.hpp"
#include "jobd/model/error.hpp"

namespace jobd {
namespace {

std::set<std::string> Placeholders(std::string_view text) {
    static const std::regex placeholder(R"(\{([a-z_]+)\})");
    std::set<std::string> names;
    const std::string copy(text);
    for (auto it = std::sregex_iterator(copy.begin(), copy.end(), placeholder);
         it != std::sregex_iterator();
         ++it) {
        names.insert((*it)[1]);
    }
    return names;
}

// Every id has exactly one non-empty template per catalog, with the English one's arguments, and
// no stray brace that Render would leave in a reason.
TEST(Catalogs, EveryIdHasOneTemplateWithTheSamePlaceholdersInEveryLanguage) {
    for (const Language language : kLanguages) {
        SCOPED_TRACE(std::string(LanguageCode(language)));
        std::set<MessageId> seen;
        for (const detail::CatalogEntry& entry : detail::EntriesOf(language)) {
            SCOPED_TRACE(std::string(MessageName(entry.id)));
            EXPECT_TRUE(seen.insert(entry.id).second) << "given twice";
            EXPECT_FALSE(entry.text.empty());
            const auto english = Template(entry.id, Language::English);
            EXPECT_EQ(Placeholders(entry.text), Placeholders(english));
            std::string without = std::regex_replace(
                std::string(entry.text), std::regex(R"(\{[a-z_]+\})"), std::string());
            EXPECT_EQ(without.find_first_of("{}"), std::string::npos) << entry.text;
        }
        EXPECT_EQ(seen.size(), kMessageCount);
    }
}

TEST(Catalogs, TranslationsDifferFromEnglish) {
    // Not a copy of the English catalog left untranslated: most templates differ.
    for (const Language language : kLanguages) {
        if (language == Language::English) {
            continue;
        }
        std::size_t same = 0;
        for (std::size_t i = 0; i < kMessageCount; ++i) {
            const auto id = static_cast<MessageId>(i);
            same += Template(id, language) == Template(id, Language::English) ? 1 : 0;
        }
        EXPECT_LT(same, kMessageCount / 20) << LanguageCode(language);
    }
}

TEST(MessageNames, AreUniqueAndRoundTrip) {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < kMessageCount; ++i) {
        const auto id = static_cast<MessageId>(i);
        EXPECT_TRUE(names.insert(MessageName(id)).second) << MessageName(id);
        EXPECT_EQ(MessageIdNamed(MessageName(id)), id);
    }
    EXPECT_EQ(MessageIdNamed("NoSuchMessageId"), std::nullopt);
}

TEST(Render, FillsArgumentsByName) {
    const Message message(MessageId::MustBeBetween, {{"value", "0"}, {"min", "1"}, {"max", "9"}});
    EXPECT_EQ(Render(message, Language::English), "must be between 1 and 9, got 0");
    EXPECT_EQ(Render(message, Language::German), "muss zwischen 1 und 9 liegen, erhalten: 0");
}

TEST(Render, NestedMessagesFollowTheLanguage) {
    Message inner(MessageId::CronPartOutside,
                  {{"part", "day-of-month"}, {"value", "32"}, {"min", "1"}, {"max", "31"}});
    Message outer(MessageId::ScheduleNeitherReading);
    outer.With("crontab", inner).With("seconds_first", Message(MessageId::ScheduleNeverFires));
    EXPECT_EQ(Render(outer, Language::English),
              "neither crontab (day-of-month 32 is outside 1-31) nor seconds-first (never fires)");
    EXPECT_EQ(Render(outer, Language::Swedish),
              "varken crontab (day-of-month 32 ligger utanför 1-31) eller sekunder först (körs "
              "aldrig)");
}

TEST(Render, KeepsAMissingArgumentVisible) {
    EXPECT_EQ(Render(Message(MessageId::NoSuchJob), Language::English), "no job {job}");
}

// STYLE.md: "execSchedule: day-of-month 32 is outside 1-31" — the field first, untranslated.
// jobd's own stored texts (run reasons, log details): the message in the reader's language, else
// the stored English text (rows of an older jobd, ids a newer one wrote, process output).
TEST(RenderStored, RendersTheMessageElseKeepsTheStoredText) {
    const Message timed_out(MessageId::RunTimedOut);
    EXPECT_EQ(RenderStored(timed_out, "timed out", Language::German), "Zeitlimit überschritten");
    EXPECT_EQ(RenderStored(timed_out, "timed out", Language::English), "timed out");
    const Message exited(MessageId::RunExited, {{"code", "3"}});
    EXPECT_EQ(RenderStored(exited, "exited with 3", Language::German), "beendet mit Code 3");
    EXPECT_EQ(RenderStored(std::nullopt, "exited with 3", Language::German), "exited with 3");
    EXPECT_EQ(RenderStored(std::nullopt, "", Language::Swedish), "");
}

// The English catalog renders jobd's run texts as it always wrote them: old rows and new match.
TEST(RenderStored, EnglishRunTextsAreTheStoredOnes) {
    EXPECT_EQ(Render(Message(MessageId::RunKilledBySignal, {{"signal", "9"}}), Language::English),
              "killed by signal 9");
    EXPECT_EQ(Render(Message(MessageId::RunNodeRestarted, {{"node", "a"}}), Language::English),
              "node a restarted while the run was going");
    EXPECT_EQ(Render(Message(MessageId::SkippedOverlap), Language::English),
              "overlap Forbid: the previous run is still going");
    EXPECT_EQ(Render(Message(MessageId::RunStoppedByStopJob), Language::English),
              "stopped by stopJob");
}

TEST(Error, WhatIsEnglishWithTheFieldFirst) {
    const Error error(
        ErrorKind::InvalidParameter,
        Message(MessageId::CronPartOutside,
                {{"part", "day-of-month"}, {"value", "32"}, {"min", "1"}, {"max", "31"}}),
        "execSchedule");
    EXPECT_STREQ(error.what(), "execSchedule: day-of-month 32 is outside 1-31");
    EXPECT_EQ(error.Describe(Language::Italian), "execSchedule: day-of-month 32 è fuori da 1-31");
    EXPECT_EQ(
        Error(ErrorKind::Conflict, Message(MessageId::AlreadyRunning)).Describe(Language::Dutch),
        "taak wordt al uitgevoerd");
}

struct TagCase {
    const char* tag;
    std::optional<Language> language;
};

TEST(LanguageOfTag, MatchesThePrimarySubtag) {
    const TagCase cases[] = {
        {"en-US", Language::English},
        {"de_DE", Language::German},
        {"DE-de", Language::German},
        {"es", Language::Spanish},
        {"it-CH", Language::Italian},
        {"nl-BE", Language::Dutch},
        {"sv-SE", Language::Swedish},
        {" sv ", Language::Swedish},
        {"fr-FR", std::nullopt},
        {"*", std::nullopt},
        {"", std::nullopt},
        {"english", std::nullopt},
        {"s", std::nullopt},
        {"sve", std::nullopt},
    };
    for (const TagCase& c : cases) {
        EXPECT_EQ(LanguageOfTag(c.tag), c.language) << c.tag;
    }
}

struct NegotiationCase {
    const char* name;
    const char* locale;           // authHeader/locale
    const char* accept_language;  // the header
    Language expected;            // with api.default_locale English
};

TEST(NegotiateLanguage, AuthHeaderThenAcceptLanguageThenDefault) {
    const NegotiationCase cases[] = {
        {"AuthHeaderBeatsAcceptLanguage", "de-DE", "sv", Language::German},
        {"AuthHeaderUnderscoreForm", "it_IT", "", Language::Italian},
        {"UnsupportedAuthHeaderFallsToAcceptLanguage", "fr-FR", "nl", Language::Dutch},
        {"AcceptLanguageFirstTag", "", "sv-SE,de;q=0.9", Language::Swedish},
        {"HighestQValueWins", "", "de;q=0.5, es;q=0.8, it;q=0.7", Language::Spanish},
        {"MissingQIsOne", "", "de;q=0.9, nl", Language::Dutch},
        {"UnsupportedSkipped", "", "fr-FR, ja;q=0.9, sv;q=0.1", Language::Swedish},
        {"TiesKeepHeaderOrder", "", "it;q=0.5, es;q=0.5", Language::Italian},
        {"QZeroIsNotAcceptable", "", "de;q=0", Language::English},
        {"MalformedQIgnored", "", "de;q=abc, sv;q=0.2", Language::Swedish},
        {"WildcardIsNoPreference", "", "*", Language::English},
        {"NothingGiven", "", "", Language::English},
        {"OnlyUnsupported", "fr", "pt-BR, ja", Language::English},
    };
    for (const NegotiationCase& c : cases) {
        EXPECT_EQ(NegotiateLanguage(c.locale, c.accept_language, Language::English), c.expected)
            << c.name;
    }
}

TEST(NegotiateLanguage, DefaultIsTheServersWhenNothingMatches) {
    EXPECT_EQ(NegotiateLanguage("", "fr", Language::German), Language::German);
    EXPECT_EQ(NegotiateLanguage("", "es", Language::German), Language::Spanish);
}

}  // namespace
}  // namespace jobd
