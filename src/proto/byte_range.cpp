#include "proto/byte_range.hpp"

#include <limits>

namespace bulkhead::proto {
namespace {

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && is_ows(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back()))
        text.remove_suffix(1);
    return text;
}

bool is_bytes_unit(std::string_view unit) {
    constexpr std::string_view bytes = "bytes";
    if (unit.size() != bytes.size())
        return false;
    for (std::size_t i = 0; i < unit.size(); ++i) {
        if ((unit[i] | 0x20) != bytes[i])
            return false;
    }
    return true;
}

// Saturates at UINT64_MAX instead of failing: a position past any real size means the same
// as a huge one (a first-pos beyond the end, a last-pos to be clamped).
bool parse_position(std::string_view digits, std::uint64_t& value) {
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    if (digits.empty())
        return false;
    value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        value = value > (max - digit) / 10 ? max : value * 10 + digit;
    }
    return true;
}

// "-n": the last n bytes, all of them if the representation is shorter (RFC 9110 14.1.2).
RangeResult suffix_range(std::string_view length_text, std::uint64_t size) {
    std::uint64_t length = 0;
    if (!parse_position(length_text, length))
        return {};
    if (length == 0 || size == 0)
        return {RangeVerdict::unsatisfiable};
    return {RangeVerdict::satisfiable, length >= size ? 0 : size - length, size - 1};
}

// "a-b" or "a-": a last-pos beyond the end is clamped; a first-pos at or beyond it is a 416.
RangeResult bounded_range(std::string_view first_text, std::string_view last_text,
                          std::uint64_t size) {
    std::uint64_t first = 0;
    std::uint64_t last = std::numeric_limits<std::uint64_t>::max();
    if (!parse_position(first_text, first))
        return {};
    if (!last_text.empty() && !parse_position(last_text, last))
        return {};
    if (last < first)
        return {};  // invalid range-spec: the header is ignored
    if (first >= size)
        return {RangeVerdict::unsatisfiable};
    return {RangeVerdict::satisfiable, first, last < size ? last : size - 1};
}

}  // namespace

RangeResult evaluate_range(std::string_view header_value, std::uint64_t size) {
    const std::string_view value = trim_ows(header_value);
    const std::size_t equals = value.find('=');
    if (equals == std::string_view::npos)
        return {};
    if (!is_bytes_unit(trim_ows(value.substr(0, equals))))
        return {};
    const std::string_view spec = trim_ows(value.substr(equals + 1));
    // Several ranges: RFC 9110 14.2 lets us ignore the header and send everything.
    if (spec.find(',') != std::string_view::npos)
        return {};
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos)
        return {};
    const std::string_view first = trim_ows(spec.substr(0, dash));
    const std::string_view last = trim_ows(spec.substr(dash + 1));
    if (first.empty())
        return suffix_range(last, size);
    return bounded_range(first, last, size);
}

}  // namespace bulkhead::proto
