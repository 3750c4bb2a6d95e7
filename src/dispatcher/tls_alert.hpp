#pragma once
// The only bytes the dispatcher ever writes into a TLS connection: one fatal alert record
// (RFC 8446 section 6, RFC 5246 7.2), sent in the clear before any handshake message, after
// which the connection is closed. The dispatcher has no key and never speaks TLS beyond this.

#include <cstdint>
#include <optional>
#include <string_view>

namespace bulkhead::dispatcher {

enum class TlsAlert : std::uint8_t {
    decode_error = 50,        // not a ClientHello, malformed, or larger than the peek allows
    internal_error = 80,      // the server cannot take the connection now: HTTP's 503
    unrecognized_name = 112,  // no site terminates TLS for the server name: HTTP's 421/404
};

// The seven bytes of a fatal alert record.
std::string_view fatal_alert_record(TlsAlert alert);

// What an answer of the plaintext path becomes inside TLS, where HTTP cannot be spoken yet:
// an alert, or nullopt for a silent close (a ClientHello too slow to arrive).
std::optional<TlsAlert> alert_for_status(int status);

}  // namespace bulkhead::dispatcher
