// The response header block HTTP/2 sends: pseudo-header first, lowercase names, no
// connection-specific fields, content-length as HTTP/1.1 sends it, HSTS when configured.

#include "worker/http2_headers.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bulkhead::worker::http2 {
namespace {

std::string names_of(const HeaderBlock& block) {
    std::string names;
    for (const auto& [name, value] : block.fields())
        names += name + ",";
    return names;
}

TEST(Http2Headers, StatusDateServerAndLengthComeFirst) {
    HeaderBlock block = response_header_block({200, "Content-Type: text/html\r\n", 12}, {});
    EXPECT_EQ(names_of(block), ":status,server,date,content-length,content-type,");
    EXPECT_EQ(block.find(":status"), "200");
    EXPECT_EQ(block.find("server"), "bulkhead");
    EXPECT_EQ(block.find("content-length"), "12");
    EXPECT_EQ(block.find("content-type"), "text/html");
}

struct LineCase {
    const char* name;
    const char* lines;
    const char* kept;  // the names kept from `lines`, comma-terminated
};

class Http2HeaderLines : public ::testing::TestWithParam<LineCase> {};

TEST_P(Http2HeaderLines, KeepsWhatHttp2CanCarry) {
    const LineCase& test = GetParam();
    HeaderBlock block = response_header_block({200, test.lines, std::nullopt}, {});
    EXPECT_EQ(names_of(block), std::string(":status,server,date,") + test.kept) << test.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Http2HeaderLines,
    ::testing::Values(
        LineCase{"lowercased", "ETag: \"x\"\r\nLast-Modified: now\r\n", "etag,last-modified,"},
        LineCase{"connection fields dropped",
                 "Connection: close\r\nKeep-Alive: 5\r\nTransfer-Encoding: chunked\r\n"
                 "Upgrade: h2c\r\nProxy-Connection: x\r\nX-Kept: 1\r\n",
                 "x-kept,"},
        LineCase{"our own fields not repeated",
                 "Content-Length: 99\r\nDate: then\r\nServer: other\r\n", ""},
        LineCase{"bare LF lines", "A: 1\nB: 2\n", "a,b,"},
        LineCase{"no colon, bad name or value dropped",
                 "garbage\r\nBad Name: 1\r\nC: ok\r\n: empty\r\n", "c,"},
        LineCase{"last line without line end", "Vary: accept", "vary,"}),
    [](const auto& param_info) {
        std::string name = param_info.param.name;
        for (char& c : name)
            c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        return name;
    });

TEST(Http2Headers, ValueIsTrimmed) {
    HeaderBlock block = response_header_block({200, "X-A:   spaced \t\r\n", std::nullopt}, {});
    EXPECT_EQ(block.find("x-a"), "spaced");
}

TEST(Http2Headers, NotModifiedCarriesNoLength) {
    HeaderBlock block = response_header_block({304, "ETag: \"a\"\r\n", 1234}, {});
    EXPECT_FALSE(block.find("content-length"));
    EXPECT_EQ(block.find(":status"), "304");
}

TEST(Http2Headers, HstsWhenConfigured) {
    std::optional<TlsSettings> tls;
    tls.emplace();
    EXPECT_FALSE(response_header_block({200, "", 0}, tls).find("strict-transport-security"));
    tls->hsts_max_age_s = 31536000;
    EXPECT_EQ(response_header_block({200, "", 0}, tls).find("strict-transport-security"),
              "max-age=31536000");
    tls->hsts_include_subdomains = true;
    EXPECT_EQ(response_header_block({404, "", 0}, tls).find("strict-transport-security"),
              "max-age=31536000; includeSubDomains");
}

TEST(Http2Headers, ApplicationHstsWins) {
    std::optional<TlsSettings> tls;
    tls.emplace();
    tls->hsts_max_age_s = 100;
    HeaderBlock block =
        response_header_block({200, "Strict-Transport-Security: max-age=5\r\n", 0}, tls);
    EXPECT_EQ(block.find("strict-transport-security"), "max-age=5");
    EXPECT_EQ(names_of(block), ":status,server,date,content-length,strict-transport-security,");
}

TEST(Http2Headers, NvPointsAtTheFields) {
    HeaderBlock block = response_header_block({201, "X-Y: z\r\n", 0}, {});
    const std::vector<nghttp2_nv>& nv = block.nv();
    ASSERT_EQ(nv.size(), block.fields().size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(nv[0].name), nv[0].namelen), ":status");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(nv[0].value), nv[0].valuelen), "201");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(nv.back().value), nv.back().valuelen), "z");
}

TEST(Http2Headers, ConnectionSpecificNames) {
    EXPECT_TRUE(is_connection_specific("connection"));
    EXPECT_TRUE(is_connection_specific("transfer-encoding"));
    EXPECT_FALSE(is_connection_specific("content-type"));
}

}  // namespace
}  // namespace bulkhead::worker::http2
