#pragma once
// Host names as routing keys: the same rules for the Host header, the absolute-form target and
// (later) TLS SNI. Port, case and one trailing dot are ignored; IPv6 literals keep their brackets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bulkhead::proto {

// "Alpha.Example.:8080" → "alpha.example"; "[::1]:8080" → "[::1]".
// nullopt if the authority is not a valid host (empty, bad characters, userinfo "@", bad port,
// label longer than 63, name longer than 253).
std::optional<std::string> normalize_host(std::string_view authority);

// An authority split into views of itself, without allocating (the request head parser runs on
// the dispatcher's hot path). `host` has its trailing dot removed but its case as sent; an IPv6
// literal keeps its brackets. `port` is empty when absent or when the ':' has no digits.
struct AuthorityParts {
    std::string_view host;
    std::string_view port;
};
// nullopt exactly when normalize_host() would return nullopt.
std::optional<AuthorityParts> split_authority(std::string_view authority);
inline bool is_valid_authority(std::string_view authority) {
    return split_authority(authority).has_value();
}

// A configured name: "alpha.example" or "*.alpha.example" (any depth of subdomain, not the
// bare "alpha.example"). Lowercased, no trailing dot. Returns false if malformed.
bool is_valid_host_pattern(std::string_view pattern);

// Exact names first; among wildcards the longest suffix wins.
class HostTable {
  public:
    using SiteId = std::uint32_t;

    // Returns false if the pattern is already present (duplicate host name), or is not a valid
    // pattern (callers validate with is_valid_host_pattern() first to report why).
    bool add(std::string_view pattern, SiteId site);
    // `host` must already be normalized.
    std::optional<SiteId> find(std::string_view host) const;
    std::size_t size() const { return exact_.size() + wildcard_.size(); }

  private:
    std::unordered_map<std::string, SiteId> exact_;
    std::unordered_map<std::string, SiteId> wildcard_;  // keyed by ".alpha.example"
};

}  // namespace bulkhead::proto
