#pragma once
// The PROXY protocol header (versions 1 and 2) that a trusted load balancer sends before the
// request, naming the real client. Pure parser: complete / need_more / error, no I/O.

#include <cstddef>
#include <cstdint>
#include <span>

namespace bulkhead::proto {

enum class ProxyStatus { complete, need_more, error };

struct ProxyAddress {
    std::uint8_t family = 0;  // 4, 6, or 0 when the header carries none (LOCAL, UNKNOWN)
    std::uint8_t address[16] = {};
    std::uint16_t port = 0;
};

struct ProxyHeader {
    ProxyStatus status = ProxyStatus::need_more;
    std::size_t consumed = 0;  // bytes of the header, to skip before the request
    ProxyAddress source;       // the client
    ProxyAddress destination;  // the address the client connected to
};

// Does `input` start like a PROXY header at all (as far as it goes)? Used to refuse one from
// an untrusted peer, and to tell "not yet complete" from "not a PROXY header".
bool looks_like_proxy_header(std::span<const std::byte> input);

ProxyHeader parse_proxy_header(std::span<const std::byte> input);

}  // namespace bulkhead::proto
