#include "worker/entity_tag.hpp"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace bulkhead::worker {
namespace {

struct ParsedTag {
    bool weak = false;
    std::string_view quoted;  // the opaque tag with its quotes
};

std::string_view skip_separators(std::string_view text) {
    std::size_t pos = text.find_first_not_of(" \t,");
    return pos == std::string_view::npos ? std::string_view{} : text.substr(pos);
}

// etagc = %x21 / %x23-7E / obs-text: anything visible but the quote.
bool is_etagc(char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte == 0x21 || (byte >= 0x23 && byte != 0x7f);
}

// Parses one entity-tag at the start of `text` and advances past it; false if malformed.
bool take_tag(std::string_view& text, ParsedTag& tag) {
    tag.weak = text.starts_with("W/");
    if (tag.weak)
        text.remove_prefix(2);
    if (text.empty() || text.front() != '"')
        return false;
    std::size_t end = 1;
    while (end < text.size() && is_etagc(text[end]))
        ++end;
    if (end == text.size() || text[end] != '"')
        return false;
    tag.quoted = text.substr(0, end + 1);
    text.remove_prefix(end + 1);
    // After a tag comes the end, whitespace or a comma; "\"a\"b" is not a list.
    return text.empty() || text.front() == ',' || text.front() == ' ' || text.front() == '\t';
}

bool tag_matches(const ParsedTag& candidate, std::string_view ours, TagComparison comparison) {
    if (comparison == TagComparison::strong && candidate.weak)
        return false;
    return candidate.quoted == ours;
}

}  // namespace

std::string make_entity_tag(const struct stat& info) {
    char text[80];
    std::snprintf(text, sizeof text, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
                  static_cast<std::uint64_t>(info.st_mtim.tv_sec),
                  static_cast<std::uint64_t>(info.st_mtim.tv_nsec),
                  static_cast<std::uint64_t>(info.st_size));
    return text;
}

bool entity_tag_list_matches(std::string_view field_value, std::string_view tag,
                             TagComparison comparison) {
    std::string_view rest = skip_separators(field_value);
    // "*" alone matches any current representation; ours exists, or we would not be asked.
    if (rest.starts_with('*') && skip_separators(rest.substr(1)).empty())
        return true;
    ParsedTag candidate;
    while (!rest.empty() && take_tag(rest, candidate)) {
        if (tag_matches(candidate, tag, comparison))
            return true;
        rest = skip_separators(rest);
    }
    return false;
}

}  // namespace bulkhead::worker
