#pragma once
// Entity tags (RFC 9110 8.8.3) for static files, and the matching of If-Match, If-None-Match
// and If-Range values against them.

#include <sys/stat.h>

#include <string>
#include <string_view>

namespace bulkhead::worker {

// A strong tag, quoted: "\"<mtime s>-<mtime ns>-<size>\"" in hex. Changes whenever the file's
// content could have: a rewrite moves the mtime, a truncate or append moves the size.
std::string make_entity_tag(const struct stat& info);

enum class TagComparison {
    strong,  // both tags strong and equal (If-Match, If-Range)
    weak,    // opaque tags equal, W/ ignored (If-None-Match)
};

// Whether a field value ("*" or a comma-separated list of entity tags) matches `tag`, a quoted
// strong tag of an existing representation. A malformed list element ends the list: what came
// before it still counts, nothing after it does.
bool entity_tag_list_matches(std::string_view field_value, std::string_view tag,
                             TagComparison comparison);

}  // namespace bulkhead::worker
