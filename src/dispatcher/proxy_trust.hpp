#pragma once
// The address ranges allowed to send a PROXY protocol header (server.proxy_protocol_from).
// A connection from one of them must start with one; from anyone else a PROXY header is
// just a malformed request (400).

#include <cstdint>
#include <cstring>
#include <vector>

#include "ipc/endpoint.hpp"

namespace bulkhead::dispatcher {

struct AddressRange {
    std::uint8_t family = 4;
    std::uint8_t prefix_bits = 32;
    std::uint8_t address[16] = {};
};

class ProxyTrust {
public:
    void add(const AddressRange& range) { ranges_.push_back(range); }
    bool empty() const { return ranges_.empty(); }

    bool trusts(const ipc::Endpoint& client) const {
        for (const AddressRange& range : ranges_) {
            if (range.family == client.family && matches(range, client.address)) return true;
        }
        return false;
    }

private:
    static bool matches(const AddressRange& range, const std::uint8_t* address) {
        unsigned whole = range.prefix_bits / 8, rest = range.prefix_bits % 8;
        if (std::memcmp(range.address, address, whole) != 0) return false;
        if (rest == 0) return true;
        std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
        return (range.address[whole] & mask) == (address[whole] & mask);
    }
    std::vector<AddressRange> ranges_;
};

}  // namespace bulkhead::dispatcher
