// The small value syntaxes of the configuration: sizes, durations, listen addresses, CIDRs.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <limits>

#include "base/ascii.hpp"
#include "config/load.hpp"
#include "config/plan.hpp"
#include "config/reader.hpp"

namespace bulkhead::config {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Leading decimal digits of `text` (at least one), removed from it; nullopt on overflow.
std::optional<std::uint64_t> take_number(std::string_view& text) {
    std::size_t digits = 0;
    std::uint64_t value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        std::uint64_t digit = static_cast<std::uint64_t>(text[digits] - '0');
        if (value > (kMax - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
        ++digits;
    }
    if (digits == 0) {
        return std::nullopt;
    }
    text.remove_prefix(digits);
    return value;
}

std::optional<std::uint64_t> multiply(std::uint64_t value, std::uint64_t factor) {
    if (factor != 0 && value > kMax / factor) {
        return std::nullopt;
    }
    return value * factor;
}

struct Unit {
    std::string_view suffix;  // as formatted; parsed in any case
    std::uint64_t factor;
};

constexpr std::array<Unit, 4> kSizeUnits = {
    {{"", 1}, {"K", 1ull << 10}, {"M", 1ull << 20}, {"G", 1ull << 30}}};
constexpr std::array<Unit, 5> kDurationUnits = {
    {{"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

template <std::size_t N>
std::optional<std::uint64_t> parse_with_units(std::string_view text,
                                              const std::array<Unit, N>& units) {
    auto number = take_number(text);
    if (!number) {
        return std::nullopt;
    }
    for (const Unit& unit : units) {
        if (equals_ignoring_case(text, unit.suffix)) {
            return multiply(*number, unit.factor);
        }
    }
    return std::nullopt;
}

template <std::size_t N>
std::string format_with_units(std::uint64_t value, const std::array<Unit, N>& units) {
    for (std::size_t i = N; i-- > 0;) {
        if (value != 0 && value % units[i].factor == 0) {
            return std::to_string(value / units[i].factor) + std::string(units[i].suffix);
        }
    }
    return std::to_string(value) + std::string(units[0].suffix);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    auto number = take_number(text);
    if (!number || !text.empty() || *number > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*number);
}

// The canonical spelling of an address of `family`, or nullopt.
std::optional<std::string> canonical_address(int family, const std::string& text) {
    std::array<unsigned char, sizeof(in6_addr)> binary{};
    if (inet_pton(family, text.c_str(), binary.data()) != 1) {
        return std::nullopt;
    }
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (!inet_ntop(family, binary.data(), out.data(), out.size())) {
        return std::nullopt;
    }
    return std::string(out.data());
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    return parse_with_units(text, kSizeUnits);
}

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
    return parse_with_units(text, kDurationUnits);
}

std::string format_size(std::uint64_t bytes) {
    return format_with_units(bytes, kSizeUnits);
}

std::string format_duration_ms(std::uint64_t milliseconds) {
    return format_with_units(milliseconds, kDurationUnits);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    auto port = parse_port(text.substr(colon + 1));
    std::string_view host = text.substr(0, colon);
    if (!port) {
        return std::nullopt;
    }
    ListenAddress address;
    address.port = *port;
    address.text = std::string(text);
    std::optional<std::string> canonical;
    if (host == "*") {
        address.family = AF_INET;
        canonical = "0.0.0.0";
    } else if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        address.family = AF_INET6;
        canonical = canonical_address(AF_INET6, std::string(host.substr(1, host.size() - 2)));
    } else {
        address.family = AF_INET;
        canonical = canonical_address(AF_INET, std::string(host));
    }
    if (!canonical) {
        return std::nullopt;
    }
    address.address = *canonical;
    return address;
}

namespace detail {

bool is_address_or_cidr(std::string_view text) {
    std::size_t slash = text.find('/');
    std::string address(text.substr(0, slash));
    int family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (!canonical_address(family, address)) {
        return false;
    }
    if (slash == std::string_view::npos) {
        return true;
    }
    std::string_view prefix = text.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3) {
        return false;
    }
    auto bits = take_number(prefix);
    return bits && prefix.empty() && *bits <= (family == AF_INET ? 32u : 128u);
}

bool is_absolute_path(std::string_view path) {
    return !path.empty() && path.front() == '/' && path.find('\0') == std::string_view::npos;
}

}  // namespace detail

}  // namespace bulkhead::config
