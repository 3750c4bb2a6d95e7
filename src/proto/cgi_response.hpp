#pragma once
// The head of a CGI response (RFC 3875, section 6): what a CGI script prints on its standard
// output before the body, and what a FastCGI responder sends in its FCGI_STDOUT stream. Lines
// end in LF or CRLF (scripts print "\n"); an empty line ends the head. Pure: no I/O, no
// allocation; the views in CgiHead point into the caller's buffer.
//
// Contract: parse_cgi_head() looks at the bytes given. It returns
//   complete  — `consumed` is the head including its empty line,
//   need_more — the bytes are a valid prefix of a head; call again with more,
//   error     — `error` says why; the application's answer is a 502 Bad Gateway.
// It is strict where leniency would let an application smuggle a header into the response
// (bare CR, control bytes, obs-fold) and where a head is meaningless (no CGI field at all: not
// one of Content-Type, Location and Status).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "proto/http_head.hpp"  // ParseStatus, HeaderField

namespace bulkhead::proto {

enum class CgiHeadError {
    none,
    head_too_large,         // no empty line within max_head_bytes
    too_many_fields,        // more than CgiHead::kMaxFields
    bad_line,               // a line without ':' or with a bare CR
    bad_field_name,         // empty or not a token, or whitespace before ':'
    bad_field_value,        // control bytes in a value
    obsolete_line_folding,  // a line starting with SP or HTAB
    bad_status,             // Status is not "NNN reason" with NNN in 200..599
    bad_content_length,     // not a decimal number, or several that differ
    duplicate_field,        // Status or Location twice
    no_cgi_field,           // none of Content-Type, Location, Status
};

// A short human-readable reason, for logs.
std::string_view describe(CgiHeadError error);

struct CgiHead {
    static constexpr std::size_t kMaxFields = 100;

    std::optional<int> status;                 // Status: 404 Not Found → 404
    std::string_view reason;                   // its reason phrase, possibly empty
    std::optional<std::string_view> location;  // Location, as sent
    std::optional<std::uint64_t> content_length;
    bool has_content_type = false;

    // Every field but Status, in order (Location, Content-Type and Content-Length included).
    HeaderField fields[kMaxFields];
    std::size_t field_count = 0;
};

struct CgiHeadOutcome {
    ParseStatus status = ParseStatus::need_more;
    CgiHeadError error = CgiHeadError::none;
    std::size_t consumed = 0;
};

CgiHeadOutcome parse_cgi_head(std::span<const std::byte> input, std::size_t max_head_bytes,
                              CgiHead& head);

}  // namespace bulkhead::proto
