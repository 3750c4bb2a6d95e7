#include "proto/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

#include "proto/http_head.hpp"

namespace bulkhead::proto {
namespace {

std::string address_text(const ProxyAddress& address) {
    char text[INET6_ADDRSTRLEN] = "-";
    if (address.family == 4) inet_ntop(AF_INET, address.address, text, sizeof text);
    if (address.family == 6) inet_ntop(AF_INET6, address.address, text, sizeof text);
    return text;
}

std::string v2(unsigned command, unsigned family, const std::string& body) {
    std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
    header += static_cast<char>(0x20 | command);
    header += static_cast<char>(family);
    header += static_cast<char>(body.size() >> 8);
    header += static_cast<char>(body.size() & 0xFF);
    return header + body;
}

struct Case {
    const char* name;
    std::string input;
    ProxyStatus status;
    std::size_t consumed;
    std::string source;  // "address:port", or "" for none
};

const Case kCases[] = {
    {"v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\nGET /", ProxyStatus::complete, 45,
     "192.0.2.1:56324"},
    {"v1 tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 1 80\r\n", ProxyStatus::complete, 41, "2001:db8::1:1"},
    {"v1 unknown", "PROXY UNKNOWN\r\n", ProxyStatus::complete, 15, ""},
    {"v1 partial", "PROXY TCP4 192.0.2.1", ProxyStatus::need_more, 0, ""},
    {"v1 prefix only", "PRO", ProxyStatus::need_more, 0, ""},
    {"v1 bad address", "PROXY TCP4 192.0.2.300 198.51.100.1 1 2\r\n", ProxyStatus::error, 0, ""},
    {"v1 family mismatch", "PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n", ProxyStatus::error, 0, ""},
    {"v1 port too big", "PROXY TCP4 192.0.2.1 198.51.100.1 65536 2\r\n", ProxyStatus::error, 0, ""},
    {"v1 extra field", "PROXY TCP4 192.0.2.1 198.51.100.1 1 2 3\r\n", ProxyStatus::error, 0, ""},
    {"v1 udp", "PROXY UDP4 192.0.2.1 198.51.100.1 1 2\r\n", ProxyStatus::error, 0, ""},
    {"v1 no end in 107 bytes", "PROXY TCP4 " + std::string(120, '1'), ProxyStatus::error, 0, ""},
    {"v1 bare LF", "PROXY TCP4 192.0.2.1 198.51.100.1 1 2\n" + std::string(100, 'x'), ProxyStatus::error, 0, ""},
    {"not proxy", "GET / HTTP/1.1\r\n\r\n", ProxyStatus::error, 0, ""},
    {"v2 tcp4", v2(1, 0x11, std::string("\xC0\x00\x02\x01\xC6\x33\x64\x01\xDB\xF4\x01\xBB", 12)),
     ProxyStatus::complete, 28, "192.0.2.1:56308"},
    {"v2 tcp4 with tlv",
     v2(1, 0x11, std::string("\xC0\x00\x02\x01\xC6\x33\x64\x01\x00\x50\x01\xBB\x04\x00\x01\x00", 16)),
     ProxyStatus::complete, 32, "192.0.2.1:80"},
    {"v2 tcp6", v2(1, 0x21, std::string(15, '\0') + "\x01" + std::string(16, '\0') + std::string("\x00\x50\x00\x51", 4)),
     ProxyStatus::complete, 52, "::1:80"},
    {"v2 local", v2(0, 0x00, ""), ProxyStatus::complete, 16, ""},
    {"v2 short body for tcp4", v2(1, 0x11, std::string(8, '\0')), ProxyStatus::error, 0, ""},
    {"v2 unix family", v2(1, 0x31, std::string(216, '\0')), ProxyStatus::error, 0, ""},
    {"v2 version 3", std::string("\r\n\r\n\0\r\nQUIT\n\x31\x11\x00\x0c", 16) + std::string(12, '\0'),
     ProxyStatus::error, 0, ""},
    {"v2 partial body", v2(1, 0x11, std::string(12, '\0')).substr(0, 20), ProxyStatus::need_more, 0, ""},
    {"v2 partial signature", std::string("\r\n\r\n\0\r", 6), ProxyStatus::need_more, 0, ""},
};

class ProxyProtocol : public ::testing::TestWithParam<Case> {};

TEST_P(ProxyProtocol, Parses) {
    const Case& c = GetParam();
    ProxyHeader header = parse_proxy_header(as_bytes(c.input));
    EXPECT_EQ(header.status, c.status);
    if (c.status != ProxyStatus::complete) return;
    EXPECT_EQ(header.consumed, c.consumed);
    std::string source = header.source.family ? address_text(header.source) + ":" +
                                                    std::to_string(header.source.port)
                                              : "";
    EXPECT_EQ(source, c.source);
}

TEST_P(ProxyProtocol, EveryPrefixOfACompleteHeaderNeedsMore) {
    const Case& c = GetParam();
    if (c.status != ProxyStatus::complete) return;
    for (std::size_t n = 1; n < c.consumed; ++n) {
        EXPECT_EQ(parse_proxy_header(as_bytes(std::string_view(c.input).substr(0, n))).status,
                  ProxyStatus::need_more)
            << n;
    }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    std::string name;
    for (char c : std::string(info.param.name)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Table, ProxyProtocol, ::testing::ValuesIn(kCases), case_name);

TEST(ProxyProtocol, LooksLikeTellsRequestsFromHeaders) {
    EXPECT_TRUE(looks_like_proxy_header(as_bytes("PROXY TCP4")));
    EXPECT_TRUE(looks_like_proxy_header(as_bytes("PRO")));
    EXPECT_TRUE(looks_like_proxy_header(as_bytes(std::string("\r\n\r\n\0", 5))));
    EXPECT_FALSE(looks_like_proxy_header(as_bytes("GET / HTTP/1.1")));
    EXPECT_FALSE(looks_like_proxy_header(as_bytes("PROXYZ")));
}

}  // namespace
}  // namespace bulkhead::proto
