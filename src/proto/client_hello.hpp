#pragma once
// The server name (SNI) and ALPN offer of a TLS ClientHello, read from the cleartext bytes a
// client sends first (RFC 8446 4.1.2, RFC 6066 3, RFC 7301). Pure: no I/O, over the peeked
// bytes, which may hold the ClientHello split across several TLS records.
//
// Contract: parse_client_hello() returns
//   complete   — the whole ClientHello was seen; server_name is set if it named one,
//   need_more  — a valid prefix so far,
//   error      — not a TLS handshake, or malformed; the connection is closed.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace bulkhead::proto {

enum class HelloStatus { complete, need_more, error };

struct ClientHelloInfo {
    HelloStatus status = HelloStatus::need_more;
    std::string server_name;  // the host_name entry, as sent (normalize with normalize_host)
    bool offers_h2 = false;   // ALPN lists "h2"
    bool offers_http11 = false;
};

inline constexpr std::size_t kMaxClientHelloBytes = 16 * 1024;  // records and all

ClientHelloInfo parse_client_hello(std::span<const std::byte> input);

}  // namespace bulkhead::proto
