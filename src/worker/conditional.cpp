#include "worker/conditional.hpp"

#include <optional>

#include "base/ascii.hpp"
#include "base/clock.hpp"
#include "worker/entity_tag.hpp"

namespace bulkhead::worker {
namespace {

bool has_field(const proto::RequestHead& head, std::string_view name) {
    for (std::size_t i = 0; i < head.field_count; ++i) {
        if (equals_ignoring_case(head.fields[i].name, name))
            return true;
    }
    return false;
}

// A list field may be split over several lines (RFC 9110 5.3); any line may hold the match.
bool tag_list_matches(const proto::RequestHead& head, std::string_view name, std::string_view tag,
                      TagComparison comparison) {
    for (std::size_t i = 0; i < head.field_count; ++i) {
        const proto::HeaderField& field = head.fields[i];
        if (equals_ignoring_case(field.name, name) &&
            entity_tag_list_matches(field.value, tag, comparison)) {
            return true;
        }
    }
    return false;
}

// An unparsable date makes the recipient ignore the field (RFC 9110 13.1.3, 13.1.4).
std::optional<time_t> date_field(const proto::RequestHead& head, std::string_view name) {
    std::optional<std::string_view> value = head.field(name);
    if (!value)
        return std::nullopt;
    return parse_http_date(*value);
}

}  // namespace

Precondition evaluate_preconditions(const proto::RequestHead& head, const Validators& validators) {
    // Steps 1 and 2: the client's copy must be the one it thinks it is.
    if (has_field(head, "If-Match")) {
        if (!tag_list_matches(head, "If-Match", validators.entity_tag, TagComparison::strong)) {
            return Precondition::failed;
        }
    } else if (auto since = date_field(head, "If-Unmodified-Since")) {
        if (validators.last_modified > *since)
            return Precondition::failed;
    }
    // Steps 3 and 4: the client's cached copy is still current.
    if (has_field(head, "If-None-Match")) {
        if (tag_list_matches(head, "If-None-Match", validators.entity_tag, TagComparison::weak)) {
            return Precondition::not_modified;
        }
    } else if (auto since = date_field(head, "If-Modified-Since")) {
        if (validators.last_modified <= *since)
            return Precondition::not_modified;
    }
    return Precondition::proceed;
}

bool if_range_holds(const proto::RequestHead& head, const Validators& validators) {
    std::optional<std::string_view> value = head.field("If-Range");
    if (!value)
        return true;
    if (value->starts_with('"') || value->starts_with("W/")) {
        // A single tag, compared strongly: a weak tag never allows a range.
        return *value == validators.entity_tag;
    }
    std::optional<time_t> date = parse_http_date(*value);
    return date && *date == validators.last_modified;
}

}  // namespace bulkhead::worker
