// The chunked transfer coding decoder (RFC 9112 7.1).

#include "proto/chunked.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "proto/http_head.hpp"  // as_bytes

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

struct Decoded {
    ChunkedStatus status = ChunkedStatus::need_more;
    std::string body;
    std::size_t consumed = 0;
    std::uint64_t body_bytes = 0;
};

// Feeds `input` in pieces of `piece` bytes (0: all at once), as a reader would: whatever the
// decoder did not consume is offered again with the next piece.
Decoded decode(std::string_view input, std::size_t piece = 0) {
    ChunkedDecoder decoder;
    Decoded out;
    std::size_t received = 0;
    while (true) {
        received = piece == 0 ? input.size() : std::min(input.size(), received + piece);
        ChunkedDecoder::Step step;
        do {
            step = decoder.feed(as_bytes(input.substr(out.consumed, received - out.consumed)));
            out.body.append(reinterpret_cast<const char*>(step.data.data()), step.data.size());
            out.consumed += step.consumed;
        } while (step.consumed > 0 && step.status == ChunkedStatus::need_more);
        out.status = step.status;
        if (out.status != ChunkedStatus::need_more || received == input.size())
            break;
    }
    out.body_bytes = decoder.body_bytes();
    return out;
}

struct ChunkedCase {
    std::string name;
    std::string input;
    ChunkedStatus status;
    std::string body = "";
    std::size_t consumed = std::string::npos;  // npos: the whole input (checked when done)
};

std::vector<ChunkedCase> chunked_cases() {
    constexpr auto done = ChunkedStatus::done;
    constexpr auto more = ChunkedStatus::need_more;
    constexpr auto error = ChunkedStatus::error;
    using namespace std::string_literals;
    return {
        {"one_chunk", "5\r\nhello\r\n0\r\n\r\n", done, "hello"},
        {"two_chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", done, "hello world"},
        {"only_last_chunk", "0\r\n\r\n", done},
        {"hex_lowercase", "a\r\n0123456789\r\n0\r\n\r\n", done, "0123456789"},
        {"hex_uppercase", "A\r\n0123456789\r\n0\r\n\r\n", done, "0123456789"},
        {"leading_zeros", "00000000000000000000005\r\nhello\r\n000\r\n\r\n", done, "hello"},
        {"extension", "5;name=value\r\nhello\r\n0;last\r\n\r\n", done, "hello"},
        {"extension_quoted", "5;a=\"b c\"\r\nhello\r\n0\r\n\r\n", done, "hello"},
        {"whitespace_before_extension", "5 \t;x\r\nhello\r\n0\r\n\r\n", done, "hello"},
        {"trailer_dropped", "5\r\nhello\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n", done, "hello"},
        {"binary_data", "3\r\n\0\r\n\r\n0\r\n\r\n"s, done, "\0\r\n"s},
        {"largest_size_waits", "7fffffffffffffff\r\nabc", more, "abc"},
        {"next_request_untouched", "0\r\n\r\nGET / HTTP/1.1\r\n", done, "", 5},
        {"incomplete_size", "5", more},
        {"incomplete_data", "5\r\nhel", more, "hel"},
        {"missing_final_crlf", "0\r\n", more},
        {"incomplete_trailer", "0\r\nX: y\r\n", more},
        {"empty_size", "\r\nhello\r\n", error},
        {"extension_without_size", ";x\r\n", error},
        {"size_with_0x", "0x5\r\nhello\r\n0\r\n\r\n", error},
        {"negative_size", "-5\r\n", error},
        {"non_hex_size", "g\r\n", error},
        {"size_overflow_2_63", "8000000000000000\r\n", error},
        {"size_overflow_long", "fffffffffffffffff\r\n", error},
        {"whitespace_without_extension", "5 \r\nhello\r\n0\r\n\r\n", error},
        {"whitespace_before_size", " 5\r\nhello\r\n", error},
        {"bare_lf_after_size", "5\nhello\r\n0\r\n\r\n", error},
        {"bare_cr_after_size", "5\rhello\r\n", error},
        {"bare_lf_after_data", "5\r\nhello\n0\r\n\r\n", error, "hello"},
        {"data_longer_than_size", "3\r\nhello\r\n0\r\n\r\n", error, "hel"},
        {"data_shorter_than_size", "6\r\nhello\r\n0\r\n\r\n", error, "hello\r"},
        {"nul_in_extension", "5;a\0b\r\nhello\r\n"s, error},
        {"lf_in_extension", "5;a\nb\r\nhello\r\n", error},
        {"extension_too_long", "5;" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n", error},
        {"extension_at_limit", "5;" + std::string(4094, 'x') + "\r\nhello\r\n0\r\n\r\n", done,
         "hello"},
        {"size_line_too_long", std::string(4097, '0') + "\r\n\r\n", error},
        {"bare_lf_in_trailer", "0\r\nX: y\n\r\n", error},
        {"bare_cr_in_trailer", "0\r\nX: y\rz\r\n\r\n", error},
        {"nul_in_trailer", "0\r\nX: \0\r\n\r\n"s, error},
        {"bare_lf_final", "0\r\n\n", error},
        {"trailer_too_large", "0\r\nX: " + std::string(9000, 'v') + "\r\n\r\n", error},
        {"many_trailers_too_large",
         [] {
             std::string text = "0\r\n";
             for (int i = 0; i < 1000; ++i)
                 text += "X: 12345\r\n";
             return text + "\r\n";
         }(),
         error},
    };
}

class ChunkedTable : public testing::TestWithParam<ChunkedCase> {};

void expect_decoded(const ChunkedCase& c, const Decoded& decoded) {
    EXPECT_EQ(decoded.status, c.status);
    EXPECT_EQ(decoded.body, c.body);
    EXPECT_EQ(decoded.body_bytes, decoded.body.size());
    if (c.status == ChunkedStatus::done) {
        EXPECT_EQ(decoded.consumed, c.consumed == std::string::npos ? c.input.size() : c.consumed);
    }
}

TEST_P(ChunkedTable, AllAtOnce) {
    expect_decoded(GetParam(), decode(GetParam().input));
}

TEST_P(ChunkedTable, OneByteAtATime) {
    expect_decoded(GetParam(), decode(GetParam().input, 1));
}

TEST_P(ChunkedTable, ThreeBytesAtATime) {
    expect_decoded(GetParam(), decode(GetParam().input, 3));
}

INSTANTIATE_TEST_SUITE_P(Table, ChunkedTable, testing::ValuesIn(chunked_cases()), RowName());

TEST(ChunkedDecoder, ReturnsAfterEachDataRun) {
    ChunkedDecoder decoder;
    const std::string input = "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
    const auto step = decoder.feed(as_bytes(input));
    EXPECT_EQ(step.status, ChunkedStatus::need_more);
    EXPECT_EQ(step.consumed, 5u);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(step.data.data()), step.data.size()),
              "ab");
}

TEST(ChunkedDecoder, DoneAndErrorAreFinal) {
    ChunkedDecoder decoder;
    ASSERT_EQ(decoder.feed(as_bytes("0\r\n\r\n")).status, ChunkedStatus::done);
    const auto again = decoder.feed(as_bytes("5\r\nhello"));
    EXPECT_EQ(again.status, ChunkedStatus::done);
    EXPECT_EQ(again.consumed, 0u);

    ChunkedDecoder broken;
    ASSERT_EQ(broken.feed(as_bytes("x")).status, ChunkedStatus::error);
    EXPECT_EQ(broken.feed(as_bytes("0\r\n\r\n")).status, ChunkedStatus::error);
}

}  // namespace
}  // namespace bulkhead::proto
