// The head of a CGI (and FastCGI) response: what an application prints before its body.

#include "proto/cgi_response.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace bulkhead::proto {
namespace {

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

struct HeadCase {
    std::string name;
    std::string input;
    ParseStatus status;
    CgiHeadError error = CgiHeadError::none;
    int status_code = 0;                       // 0: no Status field
    std::string location = "";                 // "": no Location
    std::size_t fields = 0;                    // fields other than Status
    std::size_t consumed = std::string::npos;  // npos: the whole input
};

std::vector<HeadCase> head_cases() {
    constexpr auto done = ParseStatus::complete;
    constexpr auto more = ParseStatus::need_more;
    constexpr auto error = ParseStatus::error;
    return {
        {"content_type_lf", "Content-Type: text/plain\n\n", done, CgiHeadError::none, 0, "", 1},
        {"content_type_crlf", "Content-Type: text/plain\r\n\r\n", done, CgiHeadError::none, 0, "",
         1},
        {"body_not_consumed", "Content-Type: text/plain\n\nbody", done, CgiHeadError::none, 0, "",
         1, 26},
        {"status_with_reason", "Status: 404 Not Found\nContent-Type: text/html\n\n", done,
         CgiHeadError::none, 404, "", 1},
        {"status_alone", "Status: 204\n\n", done, CgiHeadError::none, 204, "", 0},
        {"local_location", "Location: /other.cgi?x=1\n\n", done, CgiHeadError::none, 0,
         "/other.cgi?x=1", 1},
        {"absolute_location_with_status", "Status: 301 Moved\r\nLocation: http://a.test/\r\n\r\n",
         done, CgiHeadError::none, 301, "http://a.test/", 1},
        {"extra_fields_kept", "Content-Type: a/b\nX-One: 1\nSet-Cookie: a=b\nSet-Cookie: c=d\n\n",
         done, CgiHeadError::none, 0, "", 4},
        {"content_length", "Content-Type: a/b\nContent-Length: 5\n\nhello", done,
         CgiHeadError::none, 0, "", 2, 37},
        {"mixed_line_endings", "Content-Type: a/b\r\nX: y\n\r\n", done, CgiHeadError::none, 0, "",
         2},
        {"empty_input", "", more},
        {"partial_line", "Content-Ty", more},
        {"no_blank_line_yet", "Content-Type: a/b\n", more},
        {"cr_before_final_lf", "Content-Type: a/b\n\r", more},
        // Garbage and smuggling attempts.
        {"no_cgi_field", "X-Powered-By: me\n\n", error, CgiHeadError::no_cgi_field},
        {"empty_head", "\n", error, CgiHeadError::no_cgi_field},
        {"plain_text_output", "hello world\n\n", error, CgiHeadError::bad_line},
        {"html_output", "<html><body>hi</body></html>\n", error, CgiHeadError::bad_line},
        {"bare_cr_inside_line", "Content-Type: a/b\rX-Evil: 1\n\n", error, CgiHeadError::bad_line},
        {"space_before_colon", "Content-Type : a/b\n\n", error, CgiHeadError::bad_field_name},
        {"empty_name", ": a/b\n\n", error, CgiHeadError::bad_field_name},
        {"nul_in_value", std::string("Content-Type: a\0b\n\n", 19), error,
         CgiHeadError::bad_field_value},
        {"folded_line", "Content-Type: a/b\n continued\n\n", error,
         CgiHeadError::obsolete_line_folding},
        {"status_not_a_number", "Status: abc\n\n", error, CgiHeadError::bad_status},
        {"status_too_small", "Status: 100 Continue\n\n", error, CgiHeadError::bad_status},
        {"status_too_large", "Status: 600 Odd\n\n", error, CgiHeadError::bad_status},
        {"status_four_digits", "Status: 2000\n\n", error, CgiHeadError::bad_status},
        {"status_twice", "Status: 200\nStatus: 404\n\n", error, CgiHeadError::duplicate_field},
        {"location_twice", "Location: /a\nLocation: /b\n\n", error, CgiHeadError::duplicate_field},
        {"content_length_not_number", "Content-Type: a/b\nContent-Length: 5x\n\n", error,
         CgiHeadError::bad_content_length},
        {"content_length_differing", "Content-Type: a/b\nContent-Length: 5\nContent-Length: 6\n\n",
         error, CgiHeadError::bad_content_length},
        {"content_length_negative", "Content-Type: a/b\nContent-Length: -1\n\n", error,
         CgiHeadError::bad_content_length},
        {"too_large", "Content-Type: a/b\nX: " + std::string(200, 'v'), error,
         CgiHeadError::head_too_large},
    };
}

class CgiHeadTest : public testing::TestWithParam<HeadCase> {};

TEST_P(CgiHeadTest, Parses) {
    const HeadCase& c = GetParam();
    CgiHead head;
    CgiHeadOutcome outcome = parse_cgi_head(as_bytes(c.input), 128, head);
    ASSERT_EQ(outcome.status, c.status) << describe(outcome.error);
    EXPECT_EQ(outcome.error, c.error) << describe(outcome.error);
    if (c.status != ParseStatus::complete)
        return;
    EXPECT_EQ(outcome.consumed, c.consumed == std::string::npos ? c.input.size() : c.consumed);
    EXPECT_EQ(head.status.value_or(0), c.status_code);
    EXPECT_EQ(std::string(head.location.value_or("")), c.location);
    EXPECT_EQ(head.field_count, c.fields);
}

INSTANTIATE_TEST_SUITE_P(Cgi, CgiHeadTest, testing::ValuesIn(head_cases()), RowName());

TEST(CgiHead, ReasonAndLengthAreReported) {
    CgiHead head;
    std::string input = "Status: 418 I'm a teapot\nContent-Length: 12\nContent-Type: x/y\n\n";
    ASSERT_EQ(parse_cgi_head(as_bytes(input), 1024, head).status, ParseStatus::complete);
    EXPECT_EQ(head.reason, "I'm a teapot");
    EXPECT_EQ(head.content_length, 12u);
    EXPECT_TRUE(head.has_content_type);
}

TEST(CgiHead, TooManyFields) {
    std::string input = "Content-Type: a/b\n";
    for (int i = 0; i < 100; ++i)
        input += "X: y\n";
    input += "\n";
    CgiHead head;
    EXPECT_EQ(parse_cgi_head(as_bytes(input), 64 * 1024, head).error,
              CgiHeadError::too_many_fields);
}

}  // namespace
}  // namespace bulkhead::proto
