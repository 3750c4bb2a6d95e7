#pragma once
// How many connections each client address holds in the dispatcher (head phase and lingering),
// so that one address sending slow heads cannot use up the dispatcher for everyone else.

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "ipc/endpoint.hpp"

namespace bulkhead::dispatcher {

class ClientCounts {
public:
    // Returns the count after adding this connection.
    std::uint32_t add(const ipc::Endpoint& client) { return ++counts_[key_of(client)]; }
    void remove(const ipc::Endpoint& client) {
        auto found = counts_.find(key_of(client));
        if (found == counts_.end()) return;
        if (--found->second == 0) counts_.erase(found);
    }
    std::size_t addresses() const { return counts_.size(); }

private:
    struct Key {
        std::uint64_t high = 0, low = 0;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& key) const { return key.high * 0x9e3779b97f4a7c15ULL ^ key.low; }
    };
    static Key key_of(const ipc::Endpoint& client) {
        Key key;
        std::memcpy(&key.high, client.address, 8);
        std::memcpy(&key.low, client.address + 8, 8);
        key.low ^= client.family;  // IPv4 keeps zeros in the last twelve bytes
        return key;
    }
    std::unordered_map<Key, std::uint32_t, KeyHash> counts_;
};

}  // namespace bulkhead::dispatcher
