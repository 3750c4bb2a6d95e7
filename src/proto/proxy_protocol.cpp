#include "proto/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace bulkhead::proto {
namespace {

constexpr std::uint8_t kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                           0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::size_t kV1MaxBytes = 107;  // the specification's bound, CRLF included
constexpr std::size_t kV2HeaderBytes = 16;

std::string_view as_text(std::span<const std::byte> input) {
    return {reinterpret_cast<const char*>(input.data()), input.size()};
}

bool prefix_matches(std::span<const std::byte> input, const void* expected, std::size_t length) {
    std::size_t n = std::min(input.size(), length);
    return std::memcmp(input.data(), expected, n) == 0;
}

ProxyHeader failed() { return ProxyHeader{ProxyStatus::error, 0, {}, {}}; }

bool parse_port(std::string_view text, std::uint16_t& port) {
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

bool parse_ip(std::string_view text, int family, ProxyAddress& out) {
    std::string copy(text);
    if (inet_pton(family == 4 ? AF_INET : AF_INET6, copy.c_str(), out.address) != 1) return false;
    out.family = static_cast<std::uint8_t>(family);
    return true;
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n", or "PROXY UNKNOWN…\r\n"
ProxyHeader parse_v1(std::span<const std::byte> input) {
    std::string_view text = as_text(input.first(std::min(input.size(), kV1MaxBytes)));
    std::size_t end = text.find("\r\n");
    if (end == std::string_view::npos) {
        return input.size() >= kV1MaxBytes ? failed() : ProxyHeader{};
    }
    std::string_view line = text.substr(kV1Prefix.size(), end - kV1Prefix.size());
    ProxyHeader header{ProxyStatus::complete, end + 2, {}, {}};
    if (line.starts_with("UNKNOWN")) return header;
    std::string_view parts[5];
    for (std::string_view& part : parts) {
        std::size_t space = line.find(' ');
        part = line.substr(0, space);
        line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    }
    int family = parts[0] == "TCP4" ? 4 : parts[0] == "TCP6" ? 6 : 0;
    if (family == 0 || !line.empty() || !parse_ip(parts[1], family, header.source) ||
        !parse_ip(parts[2], family, header.destination) || !parse_port(parts[3], header.source.port) ||
        !parse_port(parts[4], header.destination.port)) {
        return failed();
    }
    return header;
}

std::uint16_t big_endian(const std::byte* bytes) {
    return static_cast<std::uint16_t>((std::to_integer<unsigned>(bytes[0]) << 8) |
                                      std::to_integer<unsigned>(bytes[1]));
}

void read_v2_addresses(const std::byte* body, int family, ProxyHeader& header) {
    std::size_t length = family == 4 ? 4 : 16;
    header.source.family = header.destination.family = static_cast<std::uint8_t>(family);
    std::memcpy(header.source.address, body, length);
    std::memcpy(header.destination.address, body + length, length);
    header.source.port = big_endian(body + 2 * length);
    header.destination.port = big_endian(body + 2 * length + 2);
}

ProxyHeader parse_v2(std::span<const std::byte> input) {
    if (input.size() < kV2HeaderBytes) return ProxyHeader{};
    unsigned version_command = std::to_integer<unsigned>(input[12]);
    unsigned family_protocol = std::to_integer<unsigned>(input[13]);
    std::size_t length = big_endian(&input[14]);
    if ((version_command >> 4) != 2 || (version_command & 0xF) > 1) return failed();
    if (input.size() < kV2HeaderBytes + length) return ProxyHeader{};
    ProxyHeader header{ProxyStatus::complete, kV2HeaderBytes + length, {}, {}};
    if ((version_command & 0xF) == 0) return header;  // LOCAL: the balancer's own connection
    const std::byte* body = input.data() + kV2HeaderBytes;
    if (family_protocol == 0x11) {  // TCP over IPv4
        if (length < 12) return failed();
        read_v2_addresses(body, 4, header);
    } else if (family_protocol == 0x21) {  // TCP over IPv6
        if (length < 36) return failed();
        read_v2_addresses(body, 6, header);
    } else if (family_protocol != 0x00) {
        return failed();  // UDP or Unix sockets make no sense in front of an HTTP server
    }
    return header;  // TLVs after the addresses are skipped
}

}  // namespace

bool looks_like_proxy_header(std::span<const std::byte> input) {
    return prefix_matches(input, kV2Signature, sizeof kV2Signature) ||
           prefix_matches(input, kV1Prefix.data(), kV1Prefix.size());
}

ProxyHeader parse_proxy_header(std::span<const std::byte> input) {
    if (input.empty()) return ProxyHeader{};
    if (prefix_matches(input, kV2Signature, sizeof kV2Signature)) {
        return input.size() < sizeof kV2Signature ? ProxyHeader{} : parse_v2(input);
    }
    if (prefix_matches(input, kV1Prefix.data(), kV1Prefix.size())) {
        return input.size() < kV1Prefix.size() ? ProxyHeader{} : parse_v1(input);
    }
    return failed();
}

}  // namespace bulkhead::proto
