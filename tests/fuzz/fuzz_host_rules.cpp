// Host normalization and the HostTable: normalize_host agrees with is_valid_authority, is
// idempotent and yields a valid pattern; the table agrees with a brute-force reference; the
// input taken as a pattern is accepted exactly when valid, found when added, and never twice.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/host.hpp"

namespace {

using namespace bulkhead::proto;

void require(bool condition) {
    if (!condition)
        std::abort();
}

const std::vector<std::pair<std::string, HostTable::SiteId>> kPatterns = {
    {"alpha.example", 1},     {"*.alpha.example", 2},
    {"*.b.alpha.example", 3}, {"*.example", 4},
    {"beta.example", 5},      {"[::1]", 6},
    {"192.0.2.1", 7},         {"*.xn--bcher-kva.example", 8},
};

const HostTable& fixed_table() {
    static const HostTable table = [] {
        HostTable built;
        for (const auto& [pattern, site] : kPatterns)
            require(built.add(pattern, site));
        return built;
    }();
    return table;
}

// Exact names first, then the wildcard with the longest suffix that leaves a non-empty label.
std::optional<HostTable::SiteId> reference_find(std::string_view host) {
    std::optional<HostTable::SiteId> best;
    std::size_t best_length = 0;
    for (const auto& [pattern, site] : kPatterns) {
        if (pattern == host)
            return site;
        if (!pattern.starts_with("*."))
            continue;
        const std::string_view suffix = std::string_view(pattern).substr(1);
        if (host.size() > suffix.size() && host.ends_with(suffix) && suffix.size() > best_length) {
            best = site;
            best_length = suffix.size();
        }
    }
    return best;
}

void check_normalize(std::string_view input) {
    const auto normalized = normalize_host(input);
    require(normalized.has_value() == is_valid_authority(input));
    if (!normalized)
        return;
    require(!normalized->empty() && normalized->size() <= 253 + 2);
    require(normalize_host(*normalized) == normalized);
    require(is_valid_host_pattern(*normalized));
    require(fixed_table().find(*normalized) == reference_find(*normalized));
}

void check_as_pattern(std::string_view input) {
    HostTable table;
    const bool added = table.add(input, 9);
    require(added == is_valid_host_pattern(input));
    if (!added)
        return;
    require(!table.add(input, 10) && table.size() == 1);
    if (!input.starts_with("*.")) {
        require(table.find(input) == 9u);
        return;
    }
    const std::string_view name = input.substr(2);
    require(!table.find(name).has_value());
    require(table.find("x." + std::string(name)) == 9u);
    require(table.find("x.y." + std::string(name)) == 9u);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_normalize(input);
    check_as_pattern(input);
    (void)fixed_table().find(input);  // any bytes at all: must not crash
    return 0;
}
