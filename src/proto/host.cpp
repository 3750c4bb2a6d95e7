#include "proto/host.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "base/ascii.hpp"

namespace bulkhead::proto {
namespace {

constexpr std::size_t kMaxName = 253;  // RFC 1035 2.3.4, without the trailing dot
constexpr std::size_t kMaxLabel = 63;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Letters, digits, '-', '.' and '_' (seen in real names). Everything else a reg-name could hold
// (percent escapes, sub-delims, "@" of userinfo) has no place in a routing key.
bool is_name_byte(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_';
}

// An empty port ("a.example:") is allowed by RFC 3986 3.2.3 and means the default.
bool is_valid_port(std::string_view port) {
    if (port.size() > 5)
        return false;
    unsigned value = 0;
    for (char c : port) {
        if (!is_digit(c))
            return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value <= 65535;
}

// Also covers IPv4 literals, which are names of digits and dots to these rules.
bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxName)
        return false;
    std::size_t label = 0;
    for (char c : name) {
        if (!is_name_byte(c))
            return false;
        if (c != '.') {
            ++label;
            if (label > kMaxLabel)
                return false;
            continue;
        }
        if (label == 0)
            return false;  // "a..b" or ".a"
        label = 0;
    }
    return label != 0;
}

// `literal` is "[...]"; inet_pton needs a terminated copy.
bool parse_ipv6(std::string_view literal, in6_addr& address) {
    const std::string_view inside = literal.substr(1, literal.size() - 2);
    char text[INET6_ADDRSTRLEN] = {};
    if (inside.size() >= sizeof text)
        return false;
    std::memcpy(text, inside.data(), inside.size());
    return inet_pton(AF_INET6, text, &address) == 1;
}

// "[v6]" or "[v6]:port".
std::optional<AuthorityParts> split_ipv6_authority(std::string_view authority) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
        return std::nullopt;
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
        return std::nullopt;
    AuthorityParts parts{authority.substr(0, close + 1), rest.substr(rest.empty() ? 0 : 1)};
    in6_addr address;
    if (!parse_ipv6(parts.host, address))
        return std::nullopt;
    return parts;
}

// The canonical text (RFC 5952, as inet_ntop writes it), so "[0::1]" and "[::1]" are one key.
std::string canonical_ipv6(std::string_view literal) {
    in6_addr address;
    char text[INET6_ADDRSTRLEN] = {};
    parse_ipv6(literal, address);
    inet_ntop(AF_INET6, &address, text, sizeof text);
    return std::string("[") + text + "]";
}

}  // namespace

std::optional<AuthorityParts> split_authority(std::string_view authority) {
    std::optional<AuthorityParts> parts;
    if (!authority.empty() && authority.front() == '[') {
        parts = split_ipv6_authority(authority);
    } else {
        const std::size_t colon = authority.find(':');
        parts = AuthorityParts{authority.substr(0, colon), {}};
        if (colon != std::string_view::npos)
            parts->port = authority.substr(colon + 1);
        if (parts->host.ends_with('.'))
            parts->host.remove_suffix(1);  // "a.example." is absolute
        if (!is_valid_name(parts->host))
            return std::nullopt;
    }
    if (!parts || !is_valid_port(parts->port))
        return std::nullopt;
    return parts;
}

std::optional<std::string> normalize_host(std::string_view authority) {
    const auto parts = split_authority(authority);
    if (!parts)
        return std::nullopt;
    if (parts->host.front() == '[')
        return canonical_ipv6(parts->host);
    std::string host(parts->host);
    for (char& c : host)
        c = ascii_lower(c);
    return host;
}

// A pattern is valid when it is already in normal form: what the table holds is then exactly
// what normalize_host() produces for a request.
bool is_valid_host_pattern(std::string_view pattern) {
    std::string_view name = pattern;
    if (pattern.starts_with("*.")) {
        name.remove_prefix(2);
        if (name.starts_with('['))
            return false;  // no wildcard over an IP literal
    }
    const auto normalized = normalize_host(name);
    return normalized && *normalized == name;
}

bool HostTable::add(std::string_view pattern, SiteId site) {
    if (!is_valid_host_pattern(pattern))
        return false;
    if (pattern.starts_with("*.")) {
        return wildcard_.emplace(std::string(pattern.substr(1)), site).second;
    }
    return exact_.emplace(std::string(pattern), site).second;
}

// Suffixes are tried from the longest (after the first dot) to the shortest, so the deepest
// wildcard wins. The label before the suffix must be non-empty: "*.a.example" does not match
// "a.example" itself.
std::optional<HostTable::SiteId> HostTable::find(std::string_view host) const {
    if (const auto it = exact_.find(std::string(host)); it != exact_.end())
        return it->second;
    if (wildcard_.empty())
        return std::nullopt;
    for (std::size_t dot = host.find('.', 1); dot != std::string_view::npos;
         dot = host.find('.', dot + 1)) {
        const auto it = wildcard_.find(std::string(host.substr(dot)));
        if (it != wildcard_.end())
            return it->second;
    }
    return std::nullopt;
}

}  // namespace bulkhead::proto
