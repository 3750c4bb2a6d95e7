#include "proto/client_hello.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulkhead::proto {
namespace {

// A real ClientHello: openssl s_client -servername alpha.test -alpn h2,http/1.1 (one record).
const char kOpensslHelloHex[] =
    "1603010149010001450303a7af99aa9cfe27d6edc89f669b4849f4a72937613e90ac1bf56d28f7b2c6099f20536f6a61e0d7b70c55feb573c235696dcb793c31b8fb3e3a6a4fa3869d0d2556003e130213031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010000be0000000f000d00000a616c7068612e74657374000b000403000102000a00160014001d0017001e0019001801000101010201030104002300000010000e000c02683208687474702f312e310016000000170000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b0009080304030303020301002d00020101003300260024001d0020437d42fb7e9f605d8e2cfa7845da78f1c071ba32d896219275f711bdeea09b6f";

std::vector<std::byte> from_hex(const std::string& hex) {
    std::vector<std::byte> bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

// The same handshake message re-framed into records of at most `chunk` payload bytes, as a
// client may send it (RFC 8446 5.1 allows a handshake message to span records).
std::vector<std::byte> split_into_records(const std::vector<std::byte>& single, std::size_t chunk) {
    std::vector<std::byte> handshake(single.begin() + 5, single.end());
    std::vector<std::byte> out;
    for (std::size_t at = 0; at < handshake.size(); at += chunk) {
        std::size_t n = std::min(chunk, handshake.size() - at);
        out.insert(out.end(), {std::byte{22}, std::byte{3}, std::byte{1}, static_cast<std::byte>(n >> 8),
                               static_cast<std::byte>(n & 0xff)});
        out.insert(out.end(), handshake.begin() + static_cast<long>(at), handshake.begin() + static_cast<long>(at + n));
    }
    return out;
}

TEST(ClientHello, ReadsServerNameAndAlpnOfARealHello) {
    auto hello = from_hex(kOpensslHelloHex);
    ClientHelloInfo info = parse_client_hello(hello);
    ASSERT_EQ(info.status, HelloStatus::complete);
    EXPECT_EQ(info.server_name, "alpha.test");
    EXPECT_TRUE(info.offers_h2);
    EXPECT_TRUE(info.offers_http11);
}

TEST(ClientHello, EveryStrictPrefixNeedsMore) {
    auto hello = from_hex(kOpensslHelloHex);
    for (std::size_t n = 0; n < hello.size(); ++n) {
        EXPECT_EQ(parse_client_hello(std::span(hello).first(n)).status, HelloStatus::need_more) << n;
    }
}

TEST(ClientHello, SpreadOverManyRecordsStillParses) {
    auto hello = from_hex(kOpensslHelloHex);
    for (std::size_t chunk : {1, 2, 7, 100}) {
        auto records = split_into_records(hello, chunk);
        ClientHelloInfo info = parse_client_hello(records);
        ASSERT_EQ(info.status, HelloStatus::complete) << chunk;
        EXPECT_EQ(info.server_name, "alpha.test") << chunk;
        for (std::size_t n = 0; n < records.size(); n += 1 + n / 16) {
            EXPECT_EQ(parse_client_hello(std::span(records).first(n)).status, HelloStatus::need_more)
                << chunk << " " << n;
        }
    }
}

struct BadCase {
    const char* name;
    std::size_t offset;   // byte to change
    unsigned value;       // its new value
};

TEST(ClientHello, MalformedHellosAreErrors) {
    const BadCase cases[] = {
        {"not a handshake record (application data)", 0, 23},
        {"SSL 2 style major version", 1, 2},
        {"not a ClientHello (ServerHello)", 5, 2},
        {"session id longer than the message", 43, 0xff},
    };
    for (const BadCase& c : cases) {
        auto hello = from_hex(kOpensslHelloHex);
        hello[c.offset] = static_cast<std::byte>(c.value);
        EXPECT_EQ(parse_client_hello(hello).status, HelloStatus::error) << c.name;
    }
}

TEST(ClientHello, HttpAndGarbageAreErrors) {
    for (std::string text : {std::string("GET / HTTP/1.1\r\n"), std::string("\x16\x03\x01\x00\x00", 5),
                             std::string("\x16\x03\x01\x50\x00", 5)}) {
        std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()),
                                     reinterpret_cast<const std::byte*>(text.data()) + text.size());
        EXPECT_EQ(parse_client_hello(bytes).status, HelloStatus::error) << text;
    }
}

TEST(ClientHello, AHelloThatNeverEndsWithinTheBoundIsAnError) {
    // A handshake header announcing 64 KiB: more than a ClientHello may take.
    std::vector<std::byte> bytes = {std::byte{22}, std::byte{3}, std::byte{1}, std::byte{0}, std::byte{4},
                                    std::byte{1},  std::byte{1}, std::byte{0}, std::byte{0}};
    EXPECT_EQ(parse_client_hello(bytes).status, HelloStatus::error);
}

}  // namespace
}  // namespace bulkhead::proto
