// FastCGI 1.0 records: what an application may send (parse_record), and what the server sends
// (the encoders), including malformed records from a hostile or broken application.

#include "proto/fastcgi_record.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace bulkhead::proto::fastcgi {
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

std::span<const std::byte> bytes(std::string_view text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// A record as raw bytes: any version, type, id, content and padding (malformed ones too).
std::string raw_record(int version, int type, int id, std::string_view content, int padding = 0,
                       int declared_length = -1) {
    int length = declared_length < 0 ? static_cast<int>(content.size()) : declared_length;
    std::string out;
    out += static_cast<char>(version);
    out += static_cast<char>(type);
    out += static_cast<char>(id >> 8);
    out += static_cast<char>(id & 0xff);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length & 0xff);
    out += static_cast<char>(padding);
    out += '\0';
    out += content;
    out.append(static_cast<std::size_t>(padding), '\x55');
    return out;
}

std::string end_request(std::uint32_t app_status, int protocol_status) {
    std::string body;
    body += static_cast<char>(app_status >> 24);
    body += static_cast<char>((app_status >> 16) & 0xff);
    body += static_cast<char>((app_status >> 8) & 0xff);
    body += static_cast<char>(app_status & 0xff);
    body += static_cast<char>(protocol_status);
    body.append(3, '\0');
    return body;
}

struct RecordCase {
    std::string name;
    std::string input;
    ParseStatus status;
    RecordError error = RecordError::none;
    RecordType type = RecordType::stdout_stream;  // when complete
    std::string content = "";                     // when complete
    std::size_t consumed = std::string::npos;     // npos: the whole input
};

constexpr auto kStdout = 6;
constexpr auto kStderr = 7;
constexpr auto kEnd = 3;

std::vector<RecordCase> record_cases() {
    constexpr auto done = ParseStatus::complete;
    constexpr auto more = ParseStatus::need_more;
    constexpr auto error = ParseStatus::error;
    std::string hello = raw_record(1, kStdout, 1, "hello");
    std::string big(65535, 'x');
    return {
        {"stdout", hello, done, RecordError::none, RecordType::stdout_stream, "hello"},
        {"stdout_with_padding", raw_record(1, kStdout, 1, "hello", 3), done, RecordError::none,
         RecordType::stdout_stream, "hello"},
        {"stdout_largest", raw_record(1, kStdout, 1, big, 255), done, RecordError::none,
         RecordType::stdout_stream, big},
        {"empty_stdout_ends_stream", raw_record(1, kStdout, 1, ""), done, RecordError::none,
         RecordType::stdout_stream, ""},
        {"stderr", raw_record(1, kStderr, 7, "warning\n"), done, RecordError::none,
         RecordType::stderr_stream, "warning\n"},
        {"end_request", raw_record(1, kEnd, 1, end_request(0, 0)), done, RecordError::none,
         RecordType::end_request, end_request(0, 0)},
        {"get_values_result",
         raw_record(1, 10, 0,
                    "\x0e\x01"
                    "FCGI_MPXS_CONNS0"),
         done, RecordError::none, RecordType::get_values_result,
         "\x0e\x01"
         "FCGI_MPXS_CONNS0"},
        {"unknown_type_answer", raw_record(1, 11, 0, std::string("\x63\0\0\0\0\0\0\0", 8)), done,
         RecordError::none, RecordType::unknown_type, std::string("\x63\0\0\0\0\0\0\0", 8)},
        {"two_records_consumes_first", hello + hello, done, RecordError::none,
         RecordType::stdout_stream, "hello", hello.size()},
        {"empty_input", "", more},
        {"partial_header", hello.substr(0, 5), more},
        {"partial_content", hello.substr(0, 10), more},
        {"partial_padding", raw_record(1, kStdout, 1, "hi", 6).substr(0, 12), more},
        // Malformed records an application might send.
        {"version_0", raw_record(0, kStdout, 1, "x"), error, RecordError::bad_version},
        {"version_2", raw_record(2, kStdout, 1, "x"), error, RecordError::bad_version},
        {"bad_version_seen_in_first_byte", std::string("\x02"), error, RecordError::bad_version},
        {"type_0", raw_record(1, 0, 1, "x"), error, RecordError::unexpected_type},
        {"type_beyond_spec", raw_record(1, 99, 1, "x"), error, RecordError::unexpected_type},
        {"type_checked_before_length_arrives", std::string("\x01\x63"), error,
         RecordError::unexpected_type},
        {"begin_request_from_application", raw_record(1, 1, 1, std::string(8, '\0')), error,
         RecordError::unexpected_type},
        {"params_from_application", raw_record(1, 4, 1, ""), error, RecordError::unexpected_type},
        {"stdin_from_application", raw_record(1, 5, 1, "x"), error, RecordError::unexpected_type},
        {"abort_from_application", raw_record(1, 2, 1, ""), error, RecordError::unexpected_type},
        {"stdout_without_request_id", raw_record(1, kStdout, 0, "x"), error,
         RecordError::bad_request_id},
        {"end_request_without_request_id", raw_record(1, kEnd, 0, end_request(0, 0)), error,
         RecordError::bad_request_id},
        {"end_request_short", raw_record(1, kEnd, 1, "\0\0\0\0\0"), error,
         RecordError::bad_content_length},
        {"end_request_long", raw_record(1, kEnd, 1, end_request(0, 0) + "x"), error,
         RecordError::bad_content_length},
        {"end_request_unknown_protocol_status", raw_record(1, kEnd, 1, end_request(0, 4)), error,
         RecordError::bad_protocol_status},
        {"get_values_result_with_request_id", raw_record(1, 10, 3, ""), error,
         RecordError::bad_request_id},
        {"unknown_type_wrong_length", raw_record(1, 11, 0, "abc"), error,
         RecordError::bad_content_length},
        // A declared length longer than what follows is just an incomplete record.
        {"declared_length_beyond_input", raw_record(1, kStdout, 1, "abc", 0, 65535), more},
    };
}

class RecordTest : public testing::TestWithParam<RecordCase> {};

TEST_P(RecordTest, Parses) {
    const RecordCase& c = GetParam();
    Record record;
    RecordOutcome outcome = parse_record(bytes(c.input), record);
    ASSERT_EQ(outcome.status, c.status);
    EXPECT_EQ(outcome.error, c.error) << describe(outcome.error);
    if (c.status != ParseStatus::complete)
        return;
    EXPECT_EQ(outcome.consumed, c.consumed == std::string::npos ? c.input.size() : c.consumed);
    EXPECT_EQ(record.type, c.type);
    EXPECT_EQ(
        std::string(reinterpret_cast<const char*>(record.content.data()), record.content.size()),
        c.content);
}

INSTANTIATE_TEST_SUITE_P(FastCgi, RecordTest, testing::ValuesIn(record_cases()), RowName());

// Every prefix of a valid record is need_more, never an error or a crash.
TEST(FastCgiRecord, EveryPrefixNeedsMore) {
    std::string record = raw_record(1, kStdout, 1, "hello", 3);
    for (std::size_t size = 0; size < record.size(); ++size) {
        Record parsed;
        EXPECT_EQ(parse_record(bytes(record.substr(0, size)), parsed).status,
                  ParseStatus::need_more)
            << size;
    }
}

TEST(FastCgiRecord, EndRequestBody) {
    std::string content = end_request(0x01020304, 2);
    EndRequest body = end_request_body(bytes(content));
    EXPECT_EQ(body.app_status, 0x01020304u);
    EXPECT_EQ(body.protocol_status, ProtocolStatus::overloaded);
}

TEST(FastCgiEncode, BeginRequest) {
    std::string out;
    append_begin_request(out, 1, Role::responder, true);
    EXPECT_EQ(out, std::string("\x01\x01\x00\x01\x00\x08\x00\x00"
                               "\x00\x01\x01\x00\x00\x00\x00\x00",
                               16));
    out.clear();
    append_begin_request(out, 0x1234, Role::responder, false);
    EXPECT_EQ(out.substr(2, 2), "\x12\x34");
    EXPECT_EQ(out[10], '\0');
}

TEST(FastCgiEncode, AbortRequest) {
    std::string out;
    append_abort_request(out, 5);
    EXPECT_EQ(out, std::string("\x01\x02\x00\x05\x00\x00\x00\x00", 8));
}

TEST(FastCgiEncode, EmptyStreamRecordEndsStream) {
    std::string out;
    append_stream(out, RecordType::stdin_stream, 1, "");
    EXPECT_EQ(out, std::string("\x01\x05\x00\x01\x00\x00\x00\x00", 8));
}

// A stream longer than one record is split at 65535 bytes.
TEST(FastCgiEncode, LongStreamIsSplit) {
    std::string data(65535 + 10, 'a');
    std::string out;
    append_stream(out, RecordType::stdin_stream, 1, data);
    ASSERT_EQ(out.size(), 2 * kHeaderBytes + data.size());
    EXPECT_EQ(out.substr(4, 2), "\xff\xff");
    EXPECT_EQ(out.substr(kHeaderBytes + 65535 + 4, 2), std::string("\x00\x0a", 2));
}

struct PairCase {
    std::string name;
    std::string pair_name;
    std::string pair_value;
    std::size_t encoded_size;
};

class NameValueTest : public testing::TestWithParam<PairCase> {};

TEST_P(NameValueTest, RoundTrips) {
    const PairCase& c = GetParam();
    std::string out;
    ASSERT_TRUE(append_name_value(out, c.pair_name, c.pair_value));
    EXPECT_EQ(out.size(), c.encoded_size);
    NameValue pair;
    NameValueOutcome outcome = parse_name_value(bytes(out), pair);
    ASSERT_EQ(outcome.status, ParseStatus::complete);
    EXPECT_EQ(outcome.consumed, out.size());
    EXPECT_EQ(pair.name, c.pair_name);
    EXPECT_EQ(pair.value, c.pair_value);
    for (std::size_t size = 0; size < out.size(); ++size) {
        EXPECT_EQ(parse_name_value(bytes(out.substr(0, size)), pair).status,
                  ParseStatus::need_more);
    }
}

INSTANTIATE_TEST_SUITE_P(
    FastCgi, NameValueTest,
    testing::Values(PairCase{"short", "QUERY_STRING", "a=1", 2 + 12 + 3},
                    PairCase{"empty_value", "PATH_INFO", "", 2 + 9},
                    PairCase{"length_127_is_one_byte", "N", std::string(127, 'v'), 2 + 1 + 127},
                    PairCase{"length_128_is_four_bytes", "N", std::string(128, 'v'), 5 + 1 + 128},
                    PairCase{"long_name", std::string(300, 'n'), "v", 5 + 300 + 1}),
    RowName());

TEST(FastCgiNameValue, ParsesStreamOfPairs) {
    std::string out;
    append_name_value(out, "A", "1");
    append_name_value(out, "BB", "22");
    std::vector<std::pair<std::string, std::string>> seen;
    std::span<const std::byte> rest = bytes(out);
    while (!rest.empty()) {
        NameValue pair;
        NameValueOutcome outcome = parse_name_value(rest, pair);
        ASSERT_EQ(outcome.status, ParseStatus::complete);
        seen.emplace_back(pair.name, pair.value);
        rest = rest.subspan(outcome.consumed);
    }
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].first, "BB");
    EXPECT_EQ(seen[1].second, "22");
}

// A four-byte length that claims more than follows is incomplete, not an overread.
TEST(FastCgiNameValue, HugeDeclaredLengthNeedsMore) {
    std::string input(
        "\xff\xff\xff\xff\x01"
        "ab",
        7);
    NameValue pair;
    EXPECT_EQ(parse_name_value(bytes(input), pair).status, ParseStatus::need_more);
}

}  // namespace
}  // namespace bulkhead::proto::fastcgi
