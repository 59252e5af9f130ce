#include "jobd/model/detail/catalogs.hpp"

#include <cstdlib>

namespace jobd::detail {
namespace {

Catalog Indexed(std::span<const CatalogEntry> entries) {
    Catalog catalog{};
    for (const CatalogEntry& entry : entries) {
        catalog.at(static_cast<std::size_t>(entry.id)) = entry.text;
    }
    return catalog;
}

}  // namespace

std::span<const CatalogEntry> EntriesOf(Language language) {
    switch (language) {
        case Language::English: return EnglishEntries();
        case Language::German: return GermanEntries();
        case Language::Spanish: return SpanishEntries();
        case Language::Italian: return ItalianEntries();
        case Language::Dutch: return DutchEntries();
        case Language::Swedish: return SwedishEntries();
    }
    std::abort();  // unreachable: every language returns above
}

const Catalog& CatalogOf(Language language) {
    // Built once from constant data (thread-safe static initialization).
    static const std::array<Catalog, std::size(kLanguages)> catalogs{
        Indexed(EnglishEntries()),
        Indexed(GermanEntries()),
        Indexed(SpanishEntries()),
        Indexed(ItalianEntries()),
        Indexed(DutchEntries()),
        Indexed(SwedishEntries()),
    };
    return catalogs.at(static_cast<std::size_t>(language));
}

}  // namespace jobd::detail
