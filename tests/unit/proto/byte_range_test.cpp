// Single byte ranges (RFC 9110 14.2).

#include "proto/byte_range.hpp"

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

struct RangeCase {
    std::string name;
    std::string value;
    std::uint64_t size;
    RangeVerdict verdict;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

std::vector<RangeCase> range_cases() {
    constexpr auto ok = RangeVerdict::satisfiable;
    constexpr auto no = RangeVerdict::unsatisfiable;
    constexpr auto ignore = RangeVerdict::ignore;
    return {
        {"first_last", "bytes=0-99", 1000, ok, 0, 99},
        {"middle", "bytes=100-199", 1000, ok, 100, 199},
        {"single_byte", "bytes=5-5", 10, ok, 5, 5},
        {"open_ended", "bytes=500-", 1000, ok, 500, 999},
        {"suffix", "bytes=-100", 1000, ok, 900, 999},
        {"suffix_longer_than_size", "bytes=-5000", 1000, ok, 0, 999},
        {"suffix_equal_to_size", "bytes=-1000", 1000, ok, 0, 999},
        {"last_clamped", "bytes=900-5000", 1000, ok, 900, 999},
        {"last_huge_clamped", "bytes=0-99999999999999999999999", 10, ok, 0, 9},
        {"last_byte", "bytes=999-999", 1000, ok, 999, 999},
        {"unit_uppercase", "Bytes=0-1", 10, ok, 0, 1},
        {"whitespace_around", "  bytes = 1 - 2  ", 10, ok, 1, 2},
        {"tab_around", "\tbytes=\t3-\t", 10, ok, 3, 9},
        {"leading_zeros", "bytes=007-0008", 10, ok, 7, 8},
        {"first_at_size", "bytes=1000-", 1000, no},
        {"first_beyond_size", "bytes=2000-3000", 1000, no},
        {"first_huge", "bytes=99999999999999999999999-", 1000, no},
        {"suffix_zero", "bytes=-0", 1000, no},
        {"empty_representation", "bytes=0-0", 0, no},
        {"empty_representation_suffix", "bytes=-5", 0, no},
        {"empty_representation_open", "bytes=0-", 0, no},
        {"absent", "", 1000, ignore},
        {"multi_range", "bytes=0-1,5-6", 1000, ignore},
        {"trailing_comma", "bytes=0-1,", 1000, ignore},
        {"other_unit", "items=0-1", 1000, ignore},
        {"unit_prefix", "bytesx=0-1", 1000, ignore},
        {"no_equals", "bytes 0-1", 1000, ignore},
        {"no_dash", "bytes=5", 1000, ignore},
        {"only_dash", "bytes=-", 1000, ignore},
        {"empty_spec", "bytes=", 1000, ignore},
        {"last_before_first", "bytes=5-4", 1000, ignore},
        {"negative", "bytes=--5", 1000, ignore},
        {"letters", "bytes=a-b", 1000, ignore},
        {"plus_sign", "bytes=+1-2", 1000, ignore},
        {"inner_space", "bytes=1 0-20", 1000, ignore},
        {"two_dashes", "bytes=1-2-3", 1000, ignore},
        {"malformed_on_empty_representation", "bytes=x", 0, ignore},
    };
}

class EvaluateRange : public testing::TestWithParam<RangeCase> {};

TEST_P(EvaluateRange, Evaluates) {
    const RangeCase& c = GetParam();
    const RangeResult result = evaluate_range(c.value, c.size);
    EXPECT_EQ(result.verdict, c.verdict);
    if (c.verdict != RangeVerdict::satisfiable)
        return;
    EXPECT_EQ(result.first, c.first);
    EXPECT_EQ(result.last, c.last);
}

INSTANTIATE_TEST_SUITE_P(Table, EvaluateRange, testing::ValuesIn(range_cases()), RowName());

}  // namespace
}  // namespace bulkhead::proto
