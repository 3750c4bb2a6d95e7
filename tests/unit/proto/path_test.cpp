// The request path as a file name beneath the document root.

#include "proto/path.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace bulkhead::proto {
namespace {

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

struct PathCase {
    std::string name;
    std::string path;
    PathError error;
    std::string relative = "";
    bool trailing_slash = false;
};

std::vector<PathCase> path_cases() {
    using namespace std::string_literals;
    return {
        {"root", "/", PathError::none, "", true},
        {"file", "/a/b.html", PathError::none, "a/b.html", false},
        {"directory", "/a/b/", PathError::none, "a/b", true},
        {"dot_root", "/./", PathError::none, "", true},
        {"dot_inside", "/a/./b", PathError::none, "a/b", false},
        {"dot_last", "/a/.", PathError::none, "a", true},
        {"dotdot_inside", "/a/../b", PathError::none, "b", false},
        {"dotdot_last", "/a/b/..", PathError::none, "a", true},
        {"dotdot_to_root", "/a/..", PathError::none, "", true},
        {"dotdot_to_root_slash", "/a/../", PathError::none, "", true},
        {"double_slash", "/a//b", PathError::none, "a/b", false},
        {"leading_double_slash", "//a", PathError::none, "a", false},
        {"many_slashes", "///a///b///", PathError::none, "a/b", true},
        {"dots_in_names", "/a..b/.../.x", PathError::none, "a..b/.../.x", false},
        {"decoded_space", "/a%20b", PathError::none, "a b", false},
        {"decoded_uppercase_hex", "/%41%4a%4B", PathError::none, "AJK", false},
        {"encoded_slash_splits", "/a%2fb", PathError::none, "a/b", false},
        {"encoded_percent_not_decoded_twice", "/%2500", PathError::none, "%00", false},
        {"encoded_dotdot_inside", "/a/%2e%2e/b", PathError::none, "b", false},
        {"backslash_is_a_byte", "/a\\..\\b", PathError::none, "a\\..\\b", false},
        {"obs_bytes", "/caf%C3%A9", PathError::none, "caf\xc3\xa9", false},
        {"dotdot_above_root", "/..", PathError::escapes_root},
        {"dotdot_above_root_slash", "/../", PathError::escapes_root},
        {"encoded_dotdot", "/%2e%2e", PathError::escapes_root},
        {"encoded_dotdot_mixed_case", "/%2E%2e/", PathError::escapes_root},
        {"half_encoded_dotdot", "/.%2e/x", PathError::escapes_root},
        {"dotdot_twice_after_one", "/a/../../b", PathError::escapes_root},
        {"dotdot_deep", "/a/b/../../../etc/passwd", PathError::escapes_root},
        {"encoded_slash_dotdot", "/a%2f..%2f..%2fb", PathError::escapes_root},
        {"dotdot_after_dot", "/./..", PathError::escapes_root},
        {"escaped_nul", "/a%00b", PathError::nul_byte},
        {"raw_nul", "/a\0b"s, PathError::nul_byte},
        {"lone_percent", "/a%", PathError::bad_escape},
        {"one_hex_digit", "/a%2", PathError::bad_escape},
        {"not_hex", "/a%zz", PathError::bad_escape},
        {"second_not_hex", "/a%2g", PathError::bad_escape},
        {"relative", "a/b", PathError::not_absolute},
        {"empty", "", PathError::not_absolute},
        {"encoded_leading_slash_is_not_absolute", "%2fa", PathError::not_absolute},
    };
}

class NormalizePath : public testing::TestWithParam<PathCase> {};

TEST_P(NormalizePath, Normalizes) {
    const PathCase& c = GetParam();
    const PathOutcome outcome = normalize_path(c.path);
    EXPECT_EQ(outcome.error, c.error);
    if (c.error != PathError::none)
        return;
    EXPECT_EQ(outcome.path.relative, c.relative);
    EXPECT_EQ(outcome.path.trailing_slash, c.trailing_slash);
}

INSTANTIATE_TEST_SUITE_P(Table, NormalizePath, testing::ValuesIn(path_cases()), RowName());

struct SplitCase {
    std::string name;
    std::string path_and_query;
    std::string path;
    std::string query;
    bool has_query;
};

class SplitTargetTable : public testing::TestWithParam<SplitCase> {};

TEST_P(SplitTargetTable, Splits) {
    const SplitCase& c = GetParam();
    const SplitTarget split = split_target(c.path_and_query);
    EXPECT_EQ(split.path, c.path);
    EXPECT_EQ(split.query, c.query);
    EXPECT_EQ(split.has_query, c.has_query);
}

INSTANTIATE_TEST_SUITE_P(Table, SplitTargetTable,
                         testing::ValuesIn(std::vector<SplitCase>{
                             {"path_only", "/a/b", "/a/b", "", false},
                             {"with_query", "/a/b?x=1&y", "/a/b", "x=1&y", true},
                             {"empty_query", "/a?", "/a", "", true},
                             {"second_question_mark", "/a?b?c", "/a", "b?c", true},
                             {"query_without_path", "?q=1", "/", "q=1", true},
                             {"empty", "", "", "", false},
                         }),
                         RowName());

}  // namespace
}  // namespace bulkhead::proto
