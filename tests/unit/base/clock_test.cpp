#include "base/clock.hpp"

#include <gtest/gtest.h>

namespace bulkhead {
namespace {

TEST(HttpDate, FormatsImfFixdate) {
    EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, ParsesAllThreeFormsARecipientMustAccept) {
    const struct {
        const char* name;
        const char* text;
    } cases[] = {
        {"IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT"},
        {"RFC 850", "Sunday, 06-Nov-94 08:49:37 GMT"},
        {"asctime", "Sun Nov  6 08:49:37 1994"},
    };
    for (const auto& c : cases) EXPECT_EQ(parse_http_date(c.text), 784111777) << c.name;
}

TEST(HttpDate, RejectsGarbage) {
    for (const char* text : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 GMT trailing",
                             "Sun, 06 Nov 1994 08:49:37"}) {
        EXPECT_FALSE(parse_http_date(text)) << text;
    }
}

}  // namespace
}  // namespace bulkhead
