#pragma once
// HTTP/1.x request head parser (RFC 9112). Pure: no I/O, no allocation; the views in
// RequestHead point into the caller's buffer and live as long as it does.
//
// Contract: parse_request_head() looks at the bytes given. It returns
//   complete   — `consumed` is the length of the head including the final CRLF CRLF,
//   need_more  — the head is a valid prefix so far; call again with more bytes,
//   error      — `error` says why; http_status_for(error) is the status to answer with.
// It is strict where leniency enables request smuggling: bare CR or bare LF line ends, obs-fold,
// whitespace before the colon, invalid token characters, duplicate or conflicting framing
// (Content-Length twice with different values, Content-Length with Transfer-Encoding, a
// Transfer-Encoding other than a final "chunked") are all errors.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace bulkhead::proto {

enum class ParseStatus { complete, need_more, error };

enum class HeadError {
    none,
    bad_request_line,             // 400: not METHOD SP TARGET SP HTTP/x.y
    bad_method,                   // 400: method is not a token
    bad_target,                   // 400: target has forbidden bytes or an impossible form
    target_too_long,              // 414: request target longer than HeadLimits::max_target_bytes
    bad_version,                  // 400: not HTTP/1.0 or HTTP/1.1 syntax
    unsupported_version,          // 505: HTTP/d.d other than 1.0/1.1, or HTTP/0.9 "GET /"
    bad_line_ending,              // 400: bare CR or bare LF
    bad_header_name,              // 400: empty or not a token, or whitespace before ':'
    bad_header_value,             // 400: control characters (NUL, etc.) in a field value
    obsolete_line_folding,        // 400: a field line starting with SP or HTAB
    head_too_large,               // 431: no end of head within HeadLimits::max_head_bytes
    too_many_headers,             // 431: more than HeadLimits::max_headers fields
    missing_host,                 // 400: HTTP/1.1 without Host
    duplicate_host,               // 400: more than one Host field
    bad_host,                     // 400: Host value is not a valid authority
    bad_content_length,           // 400: not a decimal number, or overflows
    conflicting_content_length,   // 400: several Content-Length values that differ
    conflicting_framing,          // 400: both Transfer-Encoding and Content-Length
    bad_transfer_encoding,        // 400: chunked not once and last, a malformed coding, or HTTP/1.0
    unsupported_transfer_coding,  // 501: a transfer coding other than chunked
};

// The status line code to answer with for a given error.
int http_status_for(HeadError error);
// A short human-readable reason, for logs ("bare LF line ending").
std::string_view describe(HeadError error);

struct HeadLimits {
    std::size_t max_head_bytes = 16 * 1024;   // server.max_header_bytes
    std::size_t max_target_bytes = 8 * 1024;  // longer targets get 414
    std::size_t max_headers = 100;
};

struct HeaderField {
    std::string_view name;   // as sent (case preserved); compare case-insensitively
    std::string_view value;  // leading and trailing OWS removed
};

enum class TargetForm { origin, absolute, authority, asterisk };

struct RequestHead {
    static constexpr std::size_t kMaxFields = 128;

    std::string_view method;
    std::string_view target;  // as sent
    TargetForm target_form = TargetForm::origin;
    int version_minor = 1;  // HTTP/1.<minor>: 0 or 1

    // For absolute-form: the authority from the target (wins over Host per RFC 9112 3.2.2).
    std::string_view target_authority;
    // The path-and-query part of the target ("/a/b?x"); for absolute-form without a path, "/";
    // for absolute-form with a query but no path ("http://a?x"), "?x" (split_target() reads its
    // path as "/"). Empty for the asterisk and authority forms.
    std::string_view path_and_query;

    std::optional<std::string_view> host;  // the Host field's value, if present
    std::optional<std::uint64_t> content_length;
    bool chunked = false;                // Transfer-Encoding: chunked (final coding)
    bool connection_close = false;       // Connection: close
    bool connection_keep_alive = false;  // Connection: keep-alive (HTTP/1.0)
    bool expect_continue = false;        // Expect: 100-continue

    HeaderField fields[kMaxFields];
    std::size_t field_count = 0;

    // First field with this name (case-insensitive), if any.
    std::optional<std::string_view> field(std::string_view name) const;
    // The authority that names the site: target_authority for absolute-form, else Host.
    std::optional<std::string_view> routing_authority() const;
    // HTTP/1.1 without "Connection: close", or HTTP/1.0 with "Connection: keep-alive".
    bool keep_alive() const;
};

struct ParseOutcome {
    ParseStatus status = ParseStatus::need_more;
    HeadError error = HeadError::none;
    std::size_t consumed = 0;
};

ParseOutcome parse_request_head(std::span<const std::byte> input, const HeadLimits& limits,
                                RequestHead& head);

// Convenience for tests and callers holding text.
inline std::span<const std::byte> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace bulkhead::proto
