#include "proto/client_hello.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulkhead::proto {
namespace {

// A real ClientHello: openssl s_client -servername alpha.test -alpn h2,http/1.1 (one record).
const char kOpensslHelloHex[] =
    "1603010149010001450303a7af99aa9cfe27d6edc89f669b4849f4a72937613e90ac1bf56d28f7b2c6099f20536f6a"
    "61e0d7b70c55feb573c235696dcb793c31b8fb3e3a6a4fa3869d0d2556003e130213031301c02cc030009fcca9cca8"
    "ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff01"
    "0000be0000000f000d00000a616c7068612e74657374000b000403000102000a00160014001d0017001e0019001801"
    "000101010201030104002300000010000e000c02683208687474702f312e310016000000170000000d002a00280403"
    "05030603080708080809080a080b080408050806040105010601030303010302040205020602002b00090803040303"
    "03020301002d00020101003300260024001d0020437d42fb7e9f605d8e2cfa7845da78f1c071ba32d896219275f711"
    "bdeea09b6f";

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
        out.insert(out.end(), {std::byte{22}, std::byte{3}, std::byte{1},
                               static_cast<std::byte>(n >> 8), static_cast<std::byte>(n & 0xff)});
        out.insert(out.end(), handshake.begin() + static_cast<long>(at),
                   handshake.begin() + static_cast<long>(at + n));
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
        EXPECT_EQ(parse_client_hello(std::span(hello).first(n)).status, HelloStatus::need_more)
            << n;
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
            EXPECT_EQ(parse_client_hello(std::span(records).first(n)).status,
                      HelloStatus::need_more)
                << chunk << " " << n;
        }
    }
}

// Records a client may send in the same segment right behind its ClientHello: a
// ChangeCipherSpec (TLS 1.3 middlebox compatibility) and early data. They are the TLS
// library's to read; the hello in front of them is whole.
TEST(ClientHello, RecordsAfterTheWholeHelloAreLeftAlone) {
    const std::vector<std::byte> change_cipher_spec = {std::byte{20}, std::byte{3}, std::byte{3},
                                                       std::byte{0},  std::byte{1}, std::byte{1}};
    const std::vector<std::byte> early_data = {std::byte{23},  std::byte{3}, std::byte{3},
                                               std::byte{0},   std::byte{2}, std::byte{0xaa},
                                               std::byte{0xbb}};
    for (std::size_t chunk : {std::size_t{7}, std::size_t{100000}}) {
        auto records = split_into_records(from_hex(kOpensslHelloHex), chunk);
        std::vector<std::byte> with_ccs = records;
        with_ccs.insert(with_ccs.end(), change_cipher_spec.begin(), change_cipher_spec.end());
        std::vector<std::byte> with_early = with_ccs;
        with_early.insert(with_early.end(), early_data.begin(), early_data.end());
        for (const auto& input : {with_ccs, with_early}) {
            ClientHelloInfo info = parse_client_hello(input);
            ASSERT_EQ(info.status, HelloStatus::complete) << chunk;
            EXPECT_EQ(info.server_name, "alpha.test") << chunk;
        }
    }
}

// Before the hello is whole, anything but a handshake record is an error.
TEST(ClientHello, ARecordOtherThanHandshakeInsideTheHelloIsAnError) {
    auto records = split_into_records(from_hex(kOpensslHelloHex), 100);
    std::vector<std::byte> input(records.begin(), records.begin() + 105);
    input.insert(input.end(), {std::byte{20}, std::byte{3}, std::byte{3}, std::byte{0},
                               std::byte{1}, std::byte{1}});
    input.insert(input.end(), records.begin() + 105, records.end());
    EXPECT_EQ(parse_client_hello(input).status, HelloStatus::error);
}

struct BadCase {
    const char* name;
    std::size_t offset;  // byte to change
    unsigned value;      // its new value
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
    for (std::string text :
         {std::string("GET / HTTP/1.1\r\n"), std::string("\x16\x03\x01\x00\x00", 5),
          std::string("\x16\x03\x01\x50\x00", 5)}) {
        std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()),
                                     reinterpret_cast<const std::byte*>(text.data()) + text.size());
        EXPECT_EQ(parse_client_hello(bytes).status, HelloStatus::error) << text;
    }
}

TEST(ClientHello, AHelloThatNeverEndsWithinTheBoundIsAnError) {
    // A handshake header announcing 64 KiB: more than a ClientHello may take.
    std::vector<std::byte> bytes = {std::byte{22}, std::byte{3}, std::byte{1},
                                    std::byte{0},  std::byte{4}, std::byte{1},
                                    std::byte{1},  std::byte{0}, std::byte{0}};
    EXPECT_EQ(parse_client_hello(bytes).status, HelloStatus::error);
}

}  // namespace
}  // namespace bulkhead::proto
