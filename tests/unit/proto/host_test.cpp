// Host normalization, host patterns and the HostTable that routes a name to a site.

#include "proto/host.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace bulkhead::proto {
namespace {

std::string repeat(char c, std::size_t count) {
    return std::string(count, c);
}

// Names each parameterized test after its row, and prints a row as its name (not its bytes).
struct RowName {
    template <typename Row>
    std::string operator()(const testing::TestParamInfo<Row>& row) const {
        return row.param.name;
    }
};
template <typename Row>
requires requires(const Row& row) {
    row.name;
}
void PrintTo(const Row& row, std::ostream* out) {
    *out << row.name;
}

struct NormalizeCase {
    std::string name;
    std::string authority;
    std::optional<std::string> expected;  // nullopt: refused
};

std::vector<NormalizeCase> normalize_cases() {
    const std::string label63 = repeat('a', 63);
    const std::string name253 = label63 + "." + label63 + "." + label63 + "." + repeat('b', 61);
    return {
        {"lowercased", "Alpha.Example", "alpha.example"},
        {"port_dropped", "alpha.example:8080", "alpha.example"},
        {"trailing_dot_dropped", "alpha.example.", "alpha.example"},
        {"everything_at_once", "Alpha.Example.:8080", "alpha.example"},
        {"empty_port_ignored", "alpha.example:", "alpha.example"},
        {"max_port", "a.example:65535", "a.example"},
        {"port_zero", "a.example:0", "a.example"},
        {"single_label", "localhost", "localhost"},
        {"underscore", "_Dmarc.a.example", "_dmarc.a.example"},
        {"hyphen", "my-site.example", "my-site.example"},
        {"ipv4", "192.0.2.1", "192.0.2.1"},
        {"ipv4_with_port", "192.0.2.1:80", "192.0.2.1"},
        {"ipv6_loopback_with_port", "[::1]:8080", "[::1]"},
        {"ipv6_uppercase", "[2001:DB8::1]", "[2001:db8::1]"},
        {"ipv6_made_canonical", "[0:0:0:0:0:0:0:1]", "[::1]"},
        {"ipv6_empty_port", "[::1]:", "[::1]"},
        {"ipv6_mapped_ipv4", "[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]"},
        {"label_63", label63 + ".example", label63 + ".example"},
        {"name_253", name253, name253},
        {"name_253_with_trailing_dot", name253 + ".", name253},
        {"label_64", repeat('a', 64) + ".example", std::nullopt},
        {"name_254", name253 + "b", std::nullopt},
        {"empty", "", std::nullopt},
        {"only_dot", ".", std::nullopt},
        {"only_port", ":80", std::nullopt},
        {"empty_label", "a..b", std::nullopt},
        {"leading_dot", ".a.example", std::nullopt},
        {"two_trailing_dots", "a.example..", std::nullopt},
        {"userinfo", "user@a.example", std::nullopt},
        {"userinfo_with_password", "user:pw@a.example", std::nullopt},
        {"port_too_big", "a.example:65536", std::nullopt},
        {"port_six_digits", "a.example:000080", std::nullopt},
        {"port_letters", "a.example:http", std::nullopt},
        {"port_negative", "a.example:-1", std::nullopt},
        {"two_ports", "a.example:1:2", std::nullopt},
        {"space", "a example", std::nullopt},
        {"percent_escape", "a%2eexample", std::nullopt},
        {"non_ascii", "\xc3\xa4.example", std::nullopt},
        {"wildcard_is_not_a_host", "*.a.example", std::nullopt},
        {"slash", "a.example/x", std::nullopt},
        {"ipv6_without_brackets", "::1", std::nullopt},
        {"ipv6_unclosed", "[::1", std::nullopt},
        {"ipv6_garbage_after", "[::1]x", std::nullopt},
        {"ipv6_zone", "[fe80::1%25eth0]", std::nullopt},
        {"ipv6_bad_digit", "[::g]", std::nullopt},
        {"ipv6_empty", "[]", std::nullopt},
        {"ipv6_too_long", "[" + repeat('1', 60) + "]", std::nullopt},
        {"ipv_future", "[v1.x]", std::nullopt},
        {"ipv4_in_brackets", "[192.0.2.1]", std::nullopt},
    };
}

class NormalizeHost : public testing::TestWithParam<NormalizeCase> {};

TEST_P(NormalizeHost, Normalizes) {
    const NormalizeCase& c = GetParam();
    const auto normalized = normalize_host(c.authority);
    EXPECT_EQ(normalized, c.expected);
    EXPECT_EQ(is_valid_authority(c.authority), c.expected.has_value());
    if (normalized) {
        EXPECT_EQ(normalize_host(*normalized), normalized) << "idempotent";
    }
}

INSTANTIATE_TEST_SUITE_P(Table, NormalizeHost, testing::ValuesIn(normalize_cases()), RowName());

TEST(SplitAuthority, GivesHostAndPortAsSent) {
    const auto parts = split_authority("A.Example.:8080");
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->host, "A.Example");
    EXPECT_EQ(parts->port, "8080");
    const auto ipv6 = split_authority("[::1]");
    ASSERT_TRUE(ipv6);
    EXPECT_EQ(ipv6->host, "[::1]");
    EXPECT_EQ(ipv6->port, "");
}

struct PatternCase {
    std::string name;
    std::string pattern;
    bool valid;
};

class HostPattern : public testing::TestWithParam<PatternCase> {};

TEST_P(HostPattern, Validates) {
    EXPECT_EQ(is_valid_host_pattern(GetParam().pattern), GetParam().valid);
}

INSTANTIATE_TEST_SUITE_P(Table, HostPattern,
                         testing::ValuesIn(std::vector<PatternCase>{
                             {"exact", "alpha.example", true},
                             {"wildcard", "*.alpha.example", true},
                             {"wildcard_over_tld", "*.example", true},
                             {"ipv4", "192.0.2.1", true},
                             {"ipv6_canonical", "[::1]", true},
                             {"uppercase", "Alpha.example", false},
                             {"trailing_dot", "alpha.example.", false},
                             {"with_port", "alpha.example:80", false},
                             {"empty_port", "alpha.example:", false},
                             {"empty", "", false},
                             {"bare_star", "*", false},
                             {"star_dot", "*.", false},
                             {"star_in_middle", "a.*.example", false},
                             {"double_star", "*.*.example", false},
                             {"star_without_dot", "*alpha.example", false},
                             {"wildcard_over_ipv6", "*.[::1]", false},
                             {"ipv6_not_canonical", "[0::1]", false},
                             {"wildcard_uppercase", "*.Alpha.example", false},
                         }),
                         RowName());

struct TableCase {
    std::string name;
    std::vector<std::pair<std::string, HostTable::SiteId>> patterns;
    std::vector<std::pair<std::string, std::optional<HostTable::SiteId>>> lookups;
};

std::vector<TableCase> table_cases() {
    return {
        {"exact_before_wildcard",
         {{"*.a.example", 1}, {"www.a.example", 2}},
         {{"www.a.example", 2}, {"x.a.example", 1}, {"x.www.a.example", 1}}},
        {"exact_before_wildcard_any_order",
         {{"www.a.example", 2}, {"*.a.example", 1}},
         {{"www.a.example", 2}, {"x.a.example", 1}}},
        {"deeper_wildcard_wins",
         {{"*.example", 1}, {"*.a.example", 2}, {"*.b.a.example", 3}},
         {{"x.a.example", 2},
          {"x.b.example", 1},
          {"y.x.a.example", 2},
          {"x.b.a.example", 3},
          {"b.a.example", 2},
          {"a.example", 1}}},
        {"wildcard_does_not_match_bare_name",
         {{"*.a.example", 1}},
         {{"a.example", std::nullopt}, {"x.a.example", 1}, {"xa.example", std::nullopt}}},
        {"bare_and_wildcard_together",
         {{"a.example", 1}, {"*.a.example", 2}},
         {{"a.example", 1}, {"x.a.example", 2}}},
        {"no_match",
         {{"a.example", 1}},
         {{"b.example", std::nullopt}, {"", std::nullopt}, {"example", std::nullopt}}},
        {"suffix_must_start_at_a_label",
         {{"*.example", 1}},
         {{"xexample", std::nullopt}, {".example", std::nullopt}}},
        {"ip_literals",
         {{"[::1]", 1}, {"127.0.0.1", 2}},
         {{"[::1]", 1}, {"127.0.0.1", 2}, {"[::2]", std::nullopt}}},
    };
}

class HostTableLookup : public testing::TestWithParam<TableCase> {};

TEST_P(HostTableLookup, Finds) {
    HostTable table;
    for (const auto& [pattern, site] : GetParam().patterns) {
        ASSERT_TRUE(table.add(pattern, site)) << pattern;
    }
    EXPECT_EQ(table.size(), GetParam().patterns.size());
    for (const auto& [host, site] : GetParam().lookups) {
        EXPECT_EQ(table.find(host), site) << host;
    }
}

INSTANTIATE_TEST_SUITE_P(Table, HostTableLookup, testing::ValuesIn(table_cases()), RowName());

TEST(HostTable, DuplicatesAreRejected) {
    HostTable table;
    EXPECT_TRUE(table.add("a.example", 1));
    EXPECT_FALSE(table.add("a.example", 2));
    EXPECT_TRUE(table.add("*.a.example", 3));
    EXPECT_FALSE(table.add("*.a.example", 4));
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.find("a.example"), 1u);
    EXPECT_EQ(table.find("x.a.example"), 3u);
}

TEST(HostTable, InvalidPatternsAreRejected) {
    HostTable table;
    EXPECT_FALSE(table.add("A.example", 1));
    EXPECT_FALSE(table.add("*", 1));
    EXPECT_FALSE(table.add("a.example:80", 1));
    EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace bulkhead::proto
