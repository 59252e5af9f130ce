#pragma once
// The message catalogs (model/message.hpp): one table per language, as data, in
// catalog_<code>.cpp. Pure constant tables; callable from any thread.

#include <array>
#include <span>
#include <string_view>

#include "jobd/model/message.hpp"

namespace jobd::detail {

struct CatalogEntry {
    MessageId id;
    std::string_view text;  // "{name}" marks an argument
};

// A language's entries as written in its file (the catalog test checks them).
std::span<const CatalogEntry> EntriesOf(Language language);

// The entries indexed by id; "" where an entry is missing.
using Catalog = std::array<std::string_view, kMessageCount>;
const Catalog& CatalogOf(Language language);

std::span<const CatalogEntry> EnglishEntries();
std::span<const CatalogEntry> GermanEntries();
std::span<const CatalogEntry> SpanishEntries();
std::span<const CatalogEntry> ItalianEntries();
std::span<const CatalogEntry> DutchEntries();
std::span<const CatalogEntry> SwedishEntries();

}  // namespace jobd::detail
