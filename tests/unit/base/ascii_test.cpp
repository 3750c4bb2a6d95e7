#include "base/ascii.hpp"

#include <gtest/gtest.h>

namespace bulkhead {
namespace {

TEST(Ascii, LowersOnlyTheAsciiCapitals) {
    EXPECT_EQ(ascii_lower('A'), 'a');
    EXPECT_EQ(ascii_lower('Z'), 'z');
    EXPECT_EQ(ascii_lower('a'), 'a');
    EXPECT_EQ(ascii_lower('@'), '@');        // just below 'A'
    EXPECT_EQ(ascii_lower('['), '[');        // just above 'Z'
    EXPECT_EQ(ascii_lower('\xC4'), '\xC4');  // 'Ä' in Latin-1: not ASCII, kept
}

TEST(Ascii, ComparesIgnoringCase) {
    EXPECT_TRUE(equals_ignoring_case("Content-Length", "content-length"));
    EXPECT_TRUE(equals_ignoring_case("", ""));
    EXPECT_FALSE(equals_ignoring_case("close", "closed"));  // a prefix is not equal
    EXPECT_FALSE(equals_ignoring_case("closed", "close"));
    EXPECT_FALSE(equals_ignoring_case("chunked", "chunkee"));
    // '@' and '`' differ by the same 32 as 'A' and 'a': only letters fold.
    EXPECT_FALSE(equals_ignoring_case("@", "`"));
}

static_assert(equals_ignoring_case("HOST", "host"), "usable at compile time");

}  // namespace
}  // namespace bulkhead
