// Sizes, durations and listen addresses: tables of text → value (or nullopt).

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "config/load.hpp"
#include "config/plan.hpp"

namespace bulkhead::config {
namespace {

struct NumberCase {
    const char* text;
    std::optional<std::uint64_t> expected;
};

TEST(ParseSize, Table) {
    const NumberCase cases[] = {
        {"0", 0},
        {"123", 123},
        {"512K", 512 * 1024},
        {"512k", 512 * 1024},
        {"64M", 64ull << 20},
        {"1G", 1ull << 30},
        {"1g", 1ull << 30},
        {"", std::nullopt},
        {"K", std::nullopt},
        {"1T", std::nullopt},
        {"1.5M", std::nullopt},
        {" 1K", std::nullopt},
        {"1K ", std::nullopt},
        {"1KB", std::nullopt},
        {"-1", std::nullopt},
        {"10 MB", std::nullopt},
        {"18446744073709551615", 18446744073709551615ull},
        {"18446744073709551616", std::nullopt},
        {"17179869184G", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parse_size(c.text), c.expected) << "\"" << c.text << "\"";
    }
}

TEST(ParseDuration, Table) {
    const NumberCase cases[] = {
        {"250ms", 250},
        {"10s", 10'000},
        {"5m", 300'000},
        {"1h", 3'600'000},
        {"10S", 10'000},
        {"0s", 0},
        {"10", std::nullopt},
        {"", std::nullopt},
        {"s", std::nullopt},
        {"1.5s", std::nullopt},
        {"-1s", std::nullopt},
        {"10 seconds", std::nullopt},
        {"10sec", std::nullopt},
        {"1d", 86'400'000},
        {"365D", 365ULL * 86'400'000},
        {"1w", std::nullopt},
        {"99999999999999999999ms", std::nullopt},
        {"6000000000000000h", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parse_duration_ms(c.text), c.expected) << "\"" << c.text << "\"";
    }
}

struct ListenCase {
    const char* text;
    bool valid;
    int family;
    const char* address;
    std::uint16_t port;
};

TEST(ParseListenAddress, Table) {
    const ListenCase cases[] = {
        {"127.0.0.1:8080", true, AF_INET, "127.0.0.1", 8080},
        {"[::1]:8080", true, AF_INET6, "::1", 8080},
        {"*:8080", true, AF_INET, "0.0.0.0", 8080},
        {"[::]:443", true, AF_INET6, "::", 443},
        {"[0:0::1]:80", true, AF_INET6, "::1", 80},
        {"0.0.0.0:0", true, AF_INET, "0.0.0.0", 0},
        {"127.0.0.1:65535", true, AF_INET, "127.0.0.1", 65535},
        {"127.0.0.1:65536", false, 0, "", 0},
        {"127.0.0.1", false, 0, "", 0},
        {"127.0.0.1:", false, 0, "", 0},
        {"localhost:80", false, 0, "", 0},
        {"::1:8080", false, 0, "", 0},
        {"[::1]", false, 0, "", 0},
        {"[127.0.0.1]:80", false, 0, "", 0},
        {"[]:80", false, 0, "", 0},
        {"*:http", false, 0, "", 0},
        {"256.0.0.1:80", false, 0, "", 0},
        {":8080", false, 0, "", 0},
        {"", false, 0, "", 0},
    };
    for (const auto& c : cases) {
        auto address = parse_listen_address(c.text);
        ASSERT_EQ(address.has_value(), c.valid) << c.text;
        if (!address) {
            continue;
        }
        EXPECT_EQ(address->family, c.family) << c.text;
        EXPECT_EQ(address->address, c.address) << c.text;
        EXPECT_EQ(address->port, c.port) << c.text;
        EXPECT_EQ(address->text, c.text);
    }
}

TEST(FormatUnits, ShortestExactSpelling) {
    EXPECT_EQ(format_size(0), "0");
    EXPECT_EQ(format_size(1500), "1500");
    EXPECT_EQ(format_size(16 * 1024), "16K");
    EXPECT_EQ(format_size(10ull << 20), "10M");
    EXPECT_EQ(format_size(1ull << 40), "1024G");
    EXPECT_EQ(format_duration_ms(0), "0ms");
    EXPECT_EQ(format_duration_ms(250), "250ms");
    EXPECT_EQ(format_duration_ms(1500), "1500ms");
    EXPECT_EQ(format_duration_ms(10'000), "10s");
    EXPECT_EQ(format_duration_ms(90'000), "90s");
    EXPECT_EQ(format_duration_ms(300'000), "5m");
    EXPECT_EQ(format_duration_ms(7'200'000), "2h");
}

TEST(Problem, ToString) {
    EXPECT_EQ((Problem{"b.toml", 12, 9, "bad"}).to_string(), "b.toml:12:9: bad");
    EXPECT_EQ((Problem{"b.toml", 0, 0, "unreadable"}).to_string(), "b.toml: unreadable");
}

}  // namespace
}  // namespace bulkhead::config
