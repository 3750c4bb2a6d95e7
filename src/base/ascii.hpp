#pragma once

// Case folding for protocol text: header names, tokens, file extensions, units. ASCII only,
// on purpose: HTTP's case-insensitive parts are ASCII (RFC 9110 5.1), and std::tolower would
// make the answer depend on the process's locale.

#include <algorithm>
#include <string_view>

namespace bulkhead {

constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace bulkhead
