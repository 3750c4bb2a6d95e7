// Table-driven tests of the HTTP/1.x request head parser: one row per case, each with a
// one-line name, in the manner of picohttpparser's tests.

#include "proto/http_head.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bulkhead::proto {
namespace {

std::string repeat(std::string_view text, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i)
        out += text;
    return out;
}

std::string numbered_headers(std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i)
        out += "X-" + std::to_string(i) + ": v\r\n";
    return out;
}

// "GET / HTTP/1.1" with Host: a.example, the given extra field lines, and the end of the head.
std::string get_with(std::string_view fields) {
    return "GET / HTTP/1.1\r\nHost: a.example\r\n" + std::string(fields) + "\r\n";
}
std::string post_with(std::string_view fields) {
    return "POST / HTTP/1.1\r\nHost: a.example\r\n" + std::string(fields) + "\r\n";
}

ParseOutcome parse(std::string_view text, RequestHead& head, const HeadLimits& limits = {}) {
    return parse_request_head(as_bytes(text), limits, head);
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

// --- heads that parse -------------------------------------------------------------------------

struct CompleteCase {
    std::string name;
    std::string input;
    HeadLimits limits{};
    std::string method = "GET";
    std::string target = "/";
    TargetForm form = TargetForm::origin;
    int minor = 1;
    std::string path_and_query = "/";
    std::optional<std::string> host = "a.example";
    std::optional<std::string> routing = "a.example";
    std::optional<std::uint64_t> content_length{};
    bool chunked = false;
    bool keep_alive = true;
    bool expect_continue = false;
    std::size_t field_count = 1;
    std::size_t consumed = 0;  // 0: the whole input
};

std::vector<CompleteCase> complete_cases() {
    const std::string long_target = "/" + repeat("a", 8 * 1024 - 1);
    const std::string body_head = post_with("Content-Length: 5\r\n");
    return {
        {.name = "simple_get", .input = get_with("")},
        {.name = "http10_without_host",
         .input = "GET /x HTTP/1.0\r\n\r\n",
         .target = "/x",
         .minor = 0,
         .path_and_query = "/x",
         .host = std::nullopt,
         .routing = std::nullopt,
         .keep_alive = false,
         .field_count = 0},
        {.name = "http10_keep_alive",
         .input = "GET / HTTP/1.0\r\nHost: a.example\r\nConnection: Keep-Alive\r\n\r\n",
         .minor = 0,
         .field_count = 2},
        {.name = "connection_close",
         .input = get_with("Connection: close\r\n"),
         .keep_alive = false,
         .field_count = 2},
        {.name = "connection_close_uppercase_in_list",
         .input = get_with("Connection: Upgrade, CLOSE\r\n"),
         .keep_alive = false,
         .field_count = 2},
        {.name = "connection_keep_alive_and_close_http10",
         .input = "GET / HTTP/1.0\r\nHost: a.example\r\nConnection: keep-alive, close\r\n\r\n",
         .minor = 0,
         .keep_alive = false,
         .field_count = 2},
        {.name = "expect_continue_mixed_case",
         .input = get_with("Expect: 100-Continue\r\n"),
         .expect_continue = true,
         .field_count = 2},
        {.name = "expect_other_ignored", .input = get_with("Expect: 200-ok\r\n"), .field_count = 2},
        {.name = "content_length",
         .input = post_with("Content-Length: 42\r\n"),
         .method = "POST",
         .content_length = 42,
         .field_count = 2},
        {.name = "content_length_zero",
         .input = post_with("Content-Length: 0\r\n"),
         .method = "POST",
         .content_length = 0,
         .field_count = 2},
        {.name = "content_length_leading_zeros",
         .input = post_with("Content-Length: 007\r\n"),
         .method = "POST",
         .content_length = 7,
         .field_count = 2},
        {.name = "content_length_list_identical",
         .input = post_with("Content-Length: 5, 5\r\n"),
         .method = "POST",
         .content_length = 5,
         .field_count = 2},
        {.name = "content_length_two_lines_identical",
         .input = post_with("Content-Length: 5\r\nContent-Length: 5\r\n"),
         .method = "POST",
         .content_length = 5,
         .field_count = 3},
        {.name = "content_length_int64_max",
         .input = post_with("Content-Length: 9223372036854775807\r\n"),
         .method = "POST",
         .content_length = 9223372036854775807ull,
         .field_count = 2},
        {.name = "transfer_encoding_chunked",
         .input = post_with("Transfer-Encoding: chunked\r\n"),
         .method = "POST",
         .chunked = true,
         .field_count = 2},
        {.name = "transfer_encoding_uppercase",
         .input = post_with("transfer-encoding: CHUNKED\r\n"),
         .method = "POST",
         .chunked = true,
         .field_count = 2},
        {.name = "transfer_encoding_empty_elements",
         .input = post_with("Transfer-Encoding: , chunked ,\r\n"),
         .method = "POST",
         .chunked = true,
         .field_count = 2},
        {.name = "absolute_form_wins_over_host",
         .input = "GET http://Alpha.Example:8080/x?y HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .target = "http://Alpha.Example:8080/x?y",
         .form = TargetForm::absolute,
         .path_and_query = "/x?y",
         .routing = "Alpha.Example:8080"},
        {.name = "absolute_form_https_uppercase_scheme",
         .input = "GET HTTPS://b.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .target = "HTTPS://b.example/",
         .form = TargetForm::absolute,
         .routing = "b.example"},
        {.name = "absolute_form_without_path",
         .input = "GET http://b.example HTTP/1.1\r\nHost: b.example\r\n\r\n",
         .target = "http://b.example",
         .form = TargetForm::absolute,
         .host = "b.example",
         .routing = "b.example"},
        {.name = "absolute_form_query_without_path",
         .input = "GET http://b.example?q=1 HTTP/1.1\r\nHost: b.example\r\n\r\n",
         .target = "http://b.example?q=1",
         .form = TargetForm::absolute,
         .path_and_query = "?q=1",
         .host = "b.example",
         .routing = "b.example"},
        {.name = "absolute_form_ipv6",
         .input = "GET http://[::1]:81/ HTTP/1.1\r\nHost: [::1]:81\r\n\r\n",
         .target = "http://[::1]:81/",
         .form = TargetForm::absolute,
         .host = "[::1]:81",
         .routing = "[::1]:81"},
        {.name = "options_asterisk",
         .input = "OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .method = "OPTIONS",
         .target = "*",
         .form = TargetForm::asterisk,
         .path_and_query = ""},
        {.name = "connect_authority_form",
         .input = "CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n",
         .method = "CONNECT",
         .target = "b.example:443",
         .form = TargetForm::authority,
         .path_and_query = "",
         .host = "b.example:443",
         .routing = "b.example:443"},
        {.name = "host_with_port_uppercase_trailing_dot",
         .input = "GET / HTTP/1.1\r\nHost: A.Example.:8080\r\n\r\n",
         .host = "A.Example.:8080",
         .routing = "A.Example.:8080"},
        {.name = "host_ipv6_with_port",
         .input = "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
         .host = "[::1]:8080",
         .routing = "[::1]:8080"},
        {.name = "host_empty_port",
         .input = "GET / HTTP/1.1\r\nHost: a.example:\r\n\r\n",
         .host = "a.example:",
         .routing = "a.example:"},
        {.name = "host_surrounding_whitespace",
         .input = "GET / HTTP/1.1\r\nHost: \t a.example \t\r\n\r\n"},
        {.name = "host_no_whitespace", .input = "GET / HTTP/1.1\r\nHost:a.example\r\n\r\n"},
        {.name = "obs_text_in_value",
         .input = get_with("X-Name: caf\xc3\xa9\r\n"),
         .field_count = 2},
        {.name = "tab_inside_value", .input = get_with("X-A: a\tb\r\n"), .field_count = 2},
        {.name = "empty_value", .input = get_with("X-Empty:\r\n"), .field_count = 2},
        {.name = "odd_but_valid_method",
         .input = "M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n",
         .method = "M-SEARCH",
         .host = "a",
         .routing = "a"},
        {.name = "lowercase_method_is_a_token",
         .input = "get / HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .method = "get"},
        {.name = "target_with_unusual_visible_bytes",
         .input = "GET /a|b{c}\"d\\e HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .target = "/a|b{c}\"d\\e",
         .path_and_query = "/a|b{c}\"d\\e"},
        {.name = "leading_empty_lines_skipped",
         .input = "\r\n\r\nGET / HTTP/1.1\r\nHost: a.example\r\n\r\n"},
        {.name = "pipelined_two_requests",
         .input = get_with("") + "GET /b HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .consumed = get_with("").size()},
        {.name = "body_not_consumed",
         .input = body_head + "hello",
         .method = "POST",
         .content_length = 5,
         .field_count = 2,
         .consumed = body_head.size()},
        {.name = "target_exactly_at_limit",
         .input = "GET " + long_target + " HTTP/1.1\r\nHost: a.example\r\n\r\n",
         .target = long_target,
         .path_and_query = long_target},
        {.name = "max_headers_exactly",
         .input = get_with(numbered_headers(99)),
         .field_count = 100},
        {.name = "head_exactly_at_limit",
         .input = get_with("X: " + repeat("v", 100) + "\r\n"),
         .limits = {.max_head_bytes = get_with("X: " + repeat("v", 100) + "\r\n").size()},
         .field_count = 2},
    };
}

class CompleteHead : public testing::TestWithParam<CompleteCase> {};

TEST_P(CompleteHead, Parses) {
    const CompleteCase& c = GetParam();
    RequestHead head;
    const ParseOutcome outcome = parse(c.input, head, c.limits);
    ASSERT_EQ(outcome.status, ParseStatus::complete) << describe(outcome.error);
    EXPECT_EQ(outcome.consumed, c.consumed == 0 ? c.input.size() : c.consumed);
    EXPECT_EQ(head.method, c.method);
    EXPECT_EQ(head.target, c.target);
    EXPECT_EQ(head.target_form, c.form);
    EXPECT_EQ(head.version_minor, c.minor);
    EXPECT_EQ(head.path_and_query, c.path_and_query);
    EXPECT_EQ(head.host, c.host);
    EXPECT_EQ(head.routing_authority(), c.routing);
    EXPECT_EQ(head.content_length, c.content_length);
    EXPECT_EQ(head.chunked, c.chunked);
    EXPECT_EQ(head.keep_alive(), c.keep_alive);
    EXPECT_EQ(head.expect_continue, c.expect_continue);
    EXPECT_EQ(head.field_count, c.field_count);
}

INSTANTIATE_TEST_SUITE_P(Table, CompleteHead, testing::ValuesIn(complete_cases()), RowName());

// --- heads that are refused -------------------------------------------------------------------

struct ErrorCase {
    std::string name;
    std::string input;
    HeadError error;
    HeadLimits limits{};
};

std::vector<ErrorCase> smuggling_cases() {
    return {
        {"cl_then_te", post_with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
         HeadError::conflicting_framing},
        {"te_then_cl", post_with("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
         HeadError::conflicting_framing},
        {"te_unknown_and_cl", post_with("Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"),
         HeadError::conflicting_framing},
        {"cl_twice_differing", post_with("Content-Length: 5\r\nContent-Length: 6\r\n"),
         HeadError::conflicting_content_length},
        {"cl_list_differing", post_with("Content-Length: 5, 6\r\n"),
         HeadError::conflicting_content_length},
        {"cl_negative", post_with("Content-Length: -1\r\n"), HeadError::bad_content_length},
        {"cl_plus_sign", post_with("Content-Length: +5\r\n"), HeadError::bad_content_length},
        {"cl_hex", post_with("Content-Length: 0x5\r\n"), HeadError::bad_content_length},
        {"cl_empty", post_with("Content-Length:\r\n"), HeadError::bad_content_length},
        {"cl_space_inside", post_with("Content-Length: 5 5\r\n"), HeadError::bad_content_length},
        {"cl_empty_list_element", post_with("Content-Length: 5,\r\n"),
         HeadError::bad_content_length},
        {"cl_overflow_uint64", post_with("Content-Length: 99999999999999999999\r\n"),
         HeadError::bad_content_length},
        {"cl_above_int64_max", post_with("Content-Length: 9223372036854775808\r\n"),
         HeadError::bad_content_length},
        {"te_chunked_identity", post_with("Transfer-Encoding: chunked, identity\r\n"),
         HeadError::unsupported_transfer_coding},
        {"te_identity", post_with("Transfer-Encoding: identity\r\n"),
         HeadError::unsupported_transfer_coding},
        {"te_xchunked", post_with("Transfer-Encoding: xchunked\r\n"),
         HeadError::unsupported_transfer_coding},
        {"te_gzip_chunked", post_with("Transfer-Encoding: gzip, chunked\r\n"),
         HeadError::unsupported_transfer_coding},
        {"te_chunked_then_gzip_line",
         post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"),
         HeadError::unsupported_transfer_coding},
        {"te_chunked_with_parameter", post_with("Transfer-Encoding: chunked;x=1\r\n"),
         HeadError::unsupported_transfer_coding},
        {"te_chunked_twice_in_list", post_with("Transfer-Encoding: chunked, chunked\r\n"),
         HeadError::bad_transfer_encoding},
        {"te_chunked_twice_in_lines",
         post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
         HeadError::bad_transfer_encoding},
        {"te_empty", post_with("Transfer-Encoding:\r\n"), HeadError::bad_transfer_encoding},
        {"te_quoted", post_with("Transfer-Encoding: \"chunked\"\r\n"),
         HeadError::bad_transfer_encoding},
        {"te_in_http10", "POST / HTTP/1.0\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n",
         HeadError::bad_transfer_encoding},
        {"te_space_before_colon", post_with("Transfer-Encoding : chunked\r\n"),
         HeadError::bad_header_name},
        {"te_tab_before_colon", post_with("Transfer-Encoding\t: chunked\r\n"),
         HeadError::bad_header_name},
        {"cl_space_before_colon", post_with("Content-Length : 5\r\n"), HeadError::bad_header_name},
        {"te_leading_space_in_name", post_with(" Transfer-Encoding: chunked\r\n"),
         HeadError::obsolete_line_folding},
        {"te_folded_value", post_with("Transfer-Encoding:\r\n chunked\r\n"),
         HeadError::obsolete_line_folding},
        {"te_vertical_tab",
         post_with("Transfer-Encoding:\x0b"
                   "chunked\r\n"),
         HeadError::bad_header_value},
        {"te_bare_lf_between_fields", post_with("X: 1\nTransfer-Encoding: chunked\r\n"),
         HeadError::bad_line_ending},
    };
}

std::vector<ErrorCase> syntax_cases() {
    using namespace std::string_literals;
    return {
        {"obs_fold_space", get_with("X-A: a\r\n b\r\n"), HeadError::obsolete_line_folding},
        {"obs_fold_tab", get_with("X-A: a\r\n\tb\r\n"), HeadError::obsolete_line_folding},
        {"whitespace_after_request_line", "GET / HTTP/1.1\r\n Host: a.example\r\n\r\n",
         HeadError::obsolete_line_folding},
        {"bare_lf_everywhere", "GET / HTTP/1.1\nHost: a.example\n\n", HeadError::bad_line_ending},
        {"bare_lf_after_field", "GET / HTTP/1.1\r\nHost: a.example\n\r\n",
         HeadError::bad_line_ending},
        {"bare_lf_final", "GET / HTTP/1.1\r\nHost: a.example\r\n\n", HeadError::bad_line_ending},
        {"bare_cr_in_value", get_with("X-A: a\rb\r\n"), HeadError::bad_line_ending},
        {"bare_cr_in_request_line", "GET /\r HTTP/1.1\r\n", HeadError::bad_line_ending},
        {"bare_cr_final", "GET / HTTP/1.1\r\nHost: a.example\r\n\rX", HeadError::bad_line_ending},
        {"leading_bare_lf", "\nGET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
         HeadError::bad_line_ending},
        {"leading_bare_cr", "\rGET / HTTP/1.1\r\n", HeadError::bad_line_ending},
        {"nul_in_value", get_with("X-A: a\0b\r\n"s), HeadError::bad_header_value},
        {"del_in_value",
         get_with("X-A: a\x7f"
                  "b\r\n"),
         HeadError::bad_header_value},
        {"escape_in_value", get_with("X-A: \x1b[31m\r\n"), HeadError::bad_header_value},
        {"nul_in_name", get_with("X\0A: b\r\n"s), HeadError::bad_header_name},
        {"name_with_at_sign", get_with("X@A: b\r\n"), HeadError::bad_header_name},
        {"name_with_brace", get_with("X{A}: b\r\n"), HeadError::bad_header_name},
        {"name_non_ascii", get_with("X\xc3\xa9: b\r\n"), HeadError::bad_header_name},
        {"name_empty", get_with(": b\r\n"), HeadError::bad_header_name},
        {"field_without_colon", get_with("X-A b\r\n"), HeadError::bad_header_name},
        {"method_with_slash", "GE/T / HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_method},
        {"method_non_ascii", "G\xc3\x89T / HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_method},
        {"method_with_nul", "GE\0T / HTTP/1.1\r\n\r\n"s, HeadError::bad_method},
        {"method_tab_separator", "GET\t/ HTTP/1.1\r\n\r\n", HeadError::bad_method},
        {"method_empty", " / HTTP/1.1\r\n\r\n", HeadError::bad_request_line},
        {"double_space", "GET  / HTTP/1.1\r\n\r\n", HeadError::bad_request_line},
        {"trailing_space", "GET / HTTP/1.1 \r\n\r\n", HeadError::bad_request_line},
        {"space_in_target", "GET /a b HTTP/1.1\r\n\r\n", HeadError::bad_request_line},
        {"only_method", "GET\r\n\r\n", HeadError::bad_request_line},
        {"http09_request_line", "GET /\r\n\r\n", HeadError::unsupported_version},
        {"method_and_space_only", "GET \r\n\r\n", HeadError::bad_request_line},
        {"version_lowercase", "GET / http/1.1\r\n\r\n", HeadError::bad_version},
        {"version_letter", "GET / HTTP/1.x\r\n\r\n", HeadError::bad_version},
        {"version_too_long", "GET / HTTP/1.10\r\n\r\n", HeadError::bad_version},
        {"version_too_short", "GET / HTTP/1\r\n\r\n", HeadError::bad_version},
        {"version_http2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", HeadError::unsupported_version},
        {"version_http3", "GET / HTTP/3.0\r\n\r\n", HeadError::unsupported_version},
        {"version_http09", "GET / HTTP/0.9\r\n\r\n", HeadError::unsupported_version},
        {"version_http12", "GET / HTTP/1.2\r\n\r\n", HeadError::unsupported_version},
        {"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HeadError::unsupported_version},
        {"target_control_byte", "GET /\x01 HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"target_del", "GET /\x7f HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"target_high_byte", "GET /\xff HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"target_nul", "GET /\0 HTTP/1.1\r\n\r\n"s, HeadError::bad_target},
        {"target_fragment", "GET /a#b HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"target_relative", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_target},
        {"target_asterisk_for_get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_target},
        {"target_other_scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_target},
        {"target_userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_target},
        {"target_empty_authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n",
         HeadError::bad_target},
        {"target_bad_port", "GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n",
         HeadError::bad_target},
        {"connect_origin_form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", HeadError::bad_target},
        {"connect_without_port", "CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n",
         HeadError::bad_target},
    };
}

std::vector<ErrorCase> host_cases() {
    return {
        {"http11_without_host", "GET / HTTP/1.1\r\n\r\n", HeadError::missing_host},
        {"absolute_form_without_host", "GET http://a.example/ HTTP/1.1\r\n\r\n",
         HeadError::missing_host},
        {"double_host_same", get_with("Host: a.example\r\n"), HeadError::duplicate_host},
        {"double_host_differing", get_with("host: b.example\r\n"), HeadError::duplicate_host},
        {"host_empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", HeadError::bad_host},
        {"host_empty_http10", "GET / HTTP/1.0\r\nHost: \r\n\r\n", HeadError::bad_host},
        {"host_userinfo", "GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n", HeadError::bad_host},
        {"host_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HeadError::bad_host},
        {"host_list", "GET / HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n", HeadError::bad_host},
        {"host_port_letters", "GET / HTTP/1.1\r\nHost: a:http\r\n\r\n", HeadError::bad_host},
        {"host_port_too_big", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", HeadError::bad_host},
        {"host_empty_label", "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", HeadError::bad_host},
        {"host_label_64", "GET / HTTP/1.1\r\nHost: " + repeat("a", 64) + ".example\r\n\r\n",
         HeadError::bad_host},
        {"host_bad_ipv6", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", HeadError::bad_host},
        {"host_unclosed_ipv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", HeadError::bad_host},
    };
}

std::vector<ErrorCase> limit_cases() {
    const HeadLimits small{.max_head_bytes = 64, .max_target_bytes = 16, .max_headers = 2};
    return {
        {"target_10k", "GET /" + repeat("a", 10 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n",
         HeadError::target_too_long},
        {"target_10k_incomplete", "GET /" + repeat("a", 10 * 1024), HeadError::target_too_long},
        {"target_beyond_head_limit", "GET /" + repeat("a", 20 * 1024), HeadError::target_too_long},
        {"target_one_over_limit", "GET /" + repeat("a", 16) + " HTTP/1.1\r\n",
         HeadError::target_too_long, small},
        {"head_20k", get_with(repeat("X-Filler: " + repeat("v", 400) + "\r\n", 50)),
         HeadError::head_too_large},
        {"head_20k_incomplete", "GET / HTTP/1.1\r\nHost: a\r\nX: " + repeat("v", 20 * 1024),
         HeadError::head_too_large},
        {"huge_value", get_with("X-Huge: " + repeat("v", 17 * 1024) + "\r\n"),
         HeadError::head_too_large},
        {"head_one_over_limit",
         get_with(""),
         HeadError::head_too_large,
         {.max_head_bytes = get_with("").size() - 1}},
        {"endless_leading_empty_lines", repeat("\r\n", 9000), HeadError::head_too_large},
        {"too_many_headers", get_with(numbered_headers(100)), HeadError::too_many_headers},
        {"too_many_headers_small_limit", get_with("A: 1\r\nB: 2\r\n"), HeadError::too_many_headers,
         small},
        {"more_than_field_array",
         get_with(numbered_headers(200)),
         HeadError::too_many_headers,
         {.max_headers = 1000}},
    };
}

// Lines that are not yet complete are refused as soon as they cannot become valid.
std::vector<ErrorCase> early_cases() {
    return {
        {"partial_method", "G(", HeadError::bad_method},
        {"partial_target", "GET /\x01", HeadError::bad_target},
        {"partial_version", "GET / HTTX", HeadError::bad_version},
        {"partial_version_too_long", "GET / HTTP/1.11", HeadError::bad_version},
        {"partial_double_space", "GET  ", HeadError::bad_request_line},
        {"partial_field_name", "GET / HTTP/1.1\r\nX Y", HeadError::bad_header_name},
        {"partial_field_value", "GET / HTTP/1.1\r\nX: \x01", HeadError::bad_header_value},
        {"partial_obs_fold", "GET / HTTP/1.1\r\nHost: a\r\n ", HeadError::obsolete_line_folding},
    };
}

class RefusedHead : public testing::TestWithParam<ErrorCase> {};

TEST_P(RefusedHead, IsRefused) {
    const ErrorCase& c = GetParam();
    RequestHead head;
    const ParseOutcome outcome = parse(c.input, head, c.limits);
    EXPECT_EQ(outcome.status, ParseStatus::error);
    EXPECT_EQ(outcome.error, c.error) << "got: " << describe(outcome.error);
}

INSTANTIATE_TEST_SUITE_P(Smuggling, RefusedHead, testing::ValuesIn(smuggling_cases()), RowName());
INSTANTIATE_TEST_SUITE_P(Syntax, RefusedHead, testing::ValuesIn(syntax_cases()), RowName());
INSTANTIATE_TEST_SUITE_P(Host, RefusedHead, testing::ValuesIn(host_cases()), RowName());
INSTANTIATE_TEST_SUITE_P(Limits, RefusedHead, testing::ValuesIn(limit_cases()), RowName());
INSTANTIATE_TEST_SUITE_P(Early, RefusedHead, testing::ValuesIn(early_cases()), RowName());

// --- incomplete heads -------------------------------------------------------------------------

struct PartialCase {
    std::string name;
    std::string input;
};

class PartialHead : public testing::TestWithParam<PartialCase> {};

TEST_P(PartialHead, NeedsMore) {
    RequestHead head;
    const ParseOutcome outcome = parse(GetParam().input, head);
    EXPECT_EQ(outcome.status, ParseStatus::need_more) << describe(outcome.error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PartialHead,
    testing::ValuesIn(std::vector<PartialCase>{
        {"empty", ""},
        {"only_crlf", "\r\n"},
        {"only_cr", "\r"},
        {"method", "GET"},
        {"request_line", "GET / HTTP/1.1\r\n"},
        {"without_final_crlf", "GET / HTTP/1.1\r\nHost: a\r\n"},
        {"final_cr", "GET / HTTP/1.1\r\nHost: a\r\n\r"},
        {"long_method_and_target", repeat("M", 100) + " /" + repeat("a", 8000)},
        {"head_at_limit_incomplete", "GET / HTTP/1.1\r\nX: " + repeat("v", 16 * 1024 - 19)},
    }),
    RowName());

// Every strict prefix of a valid head is a valid prefix: need_more, never an error.
TEST(HttpHead, EveryStrictPrefixNeedsMore) {
    const std::vector<std::string> heads = {
        get_with(""),
        "\r\n\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: A.Example.:8080\r\nContent-Length: 5, 5\r\n"
        "Connection: keep-alive, Upgrade\r\nExpect: 100-continue\r\nX-Empty:\r\n\r\n",
        "GET http://b.example?q HTTP/1.0\r\nHost: [::1]:80\r\nTransfer-Encoding-X: y\r\n\r\n",
        "PUT /f HTTP/1.1\r\nhost:a\r\ntransfer-encoding: chunked\r\nX-Obs: \xe2\x82\xac\t\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
    };
    for (const std::string& text : heads) {
        RequestHead head;
        ASSERT_EQ(parse(text, head).status, ParseStatus::complete) << text;
        for (std::size_t length = 0; length < text.size(); ++length) {
            const ParseOutcome outcome = parse(std::string_view(text).substr(0, length), head);
            ASSERT_EQ(outcome.status, ParseStatus::need_more)
                << "prefix of " << length << " bytes of " << text << ": "
                << describe(outcome.error);
        }
    }
}

// The views point into the caller's buffer, and no byte after the head is looked at.
TEST(HttpHead, ViewsPointIntoInput) {
    const std::string text = "GET http://b.example HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\nrest";
    RequestHead head;
    ASSERT_EQ(parse(text, head).status, ParseStatus::complete);
    const auto inside = [&](std::string_view view) {
        return view.data() >= text.data() && view.data() + view.size() <= text.data() + text.size();
    };
    EXPECT_TRUE(inside(head.method));
    EXPECT_TRUE(inside(head.target));
    EXPECT_TRUE(inside(head.target_authority));
    EXPECT_TRUE(inside(head.path_and_query));
    EXPECT_EQ(head.path_and_query, "/");
    for (std::size_t i = 0; i < head.field_count; ++i) {
        EXPECT_TRUE(inside(head.fields[i].name));
        EXPECT_TRUE(inside(head.fields[i].value));
    }
}

TEST(HttpHead, FieldLookupIsCaseInsensitive) {
    const std::string text = get_with("X-Forwarded-For: 1\r\nx-forwarded-for: 2\r\n");
    RequestHead head;  // its views point into `text`, which must outlive it
    ASSERT_EQ(parse(text, head).status, ParseStatus::complete);
    EXPECT_EQ(head.field("X-FORWARDED-FOR"), "1");
    EXPECT_EQ(head.field("host"), "a.example");
    EXPECT_EQ(head.field("missing"), std::nullopt);
    EXPECT_EQ(head.fields[0].name, "Host");
}

TEST(HttpHead, ReusedHeadIsReset) {
    const std::string first = post_with("Content-Length: 5\r\nConnection: close\r\n");
    const std::string second = get_with("");
    RequestHead head;
    ASSERT_EQ(parse(first, head).status, ParseStatus::complete);
    ASSERT_EQ(parse(second, head).status, ParseStatus::complete);
    EXPECT_EQ(head.content_length, std::nullopt);
    EXPECT_TRUE(head.keep_alive());
    EXPECT_EQ(head.field_count, 1u);
}

struct StatusCase {
    HeadError error;
    int status;
};

TEST(HttpHead, StatusAndDescriptionForEveryError) {
    const StatusCase cases[] = {
        {HeadError::bad_request_line, 400},
        {HeadError::bad_method, 400},
        {HeadError::bad_target, 400},
        {HeadError::target_too_long, 414},
        {HeadError::bad_version, 400},
        {HeadError::unsupported_version, 505},
        {HeadError::bad_line_ending, 400},
        {HeadError::bad_header_name, 400},
        {HeadError::bad_header_value, 400},
        {HeadError::obsolete_line_folding, 400},
        {HeadError::head_too_large, 431},
        {HeadError::too_many_headers, 431},
        {HeadError::missing_host, 400},
        {HeadError::duplicate_host, 400},
        {HeadError::bad_host, 400},
        {HeadError::bad_content_length, 400},
        {HeadError::conflicting_content_length, 400},
        {HeadError::conflicting_framing, 400},
        {HeadError::bad_transfer_encoding, 400},
        {HeadError::unsupported_transfer_coding, 501},
    };
    for (const StatusCase& c : cases) {
        EXPECT_EQ(http_status_for(c.error), c.status) << describe(c.error);
        EXPECT_FALSE(describe(c.error).empty());
        EXPECT_NE(describe(c.error), describe(HeadError::none));
    }
    EXPECT_EQ(describe(HeadError::bad_line_ending), "bare CR or bare LF line ending");
}

}  // namespace
}  // namespace bulkhead::proto
