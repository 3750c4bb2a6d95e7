#pragma once
// The meta-variables of a CGI request (RFC 3875, section 4.1), which are also the FastCGI
// PARAMS: made from the request alone, never from the server's own environment. Pure.
//
// Request header fields become HTTP_<NAME> (upper case, '-' → '_'), except:
//   - names with any byte but letters, digits and '-': "X_Forwarded_For" would otherwise
//     become the same variable as "X-Forwarded-For" and let a client forge it;
//   - Proxy: HTTP_PROXY is read by many HTTP libraries as their proxy (httpoxy);
//   - Content-Type and Content-Length: they are CONTENT_TYPE and CONTENT_LENGTH;
//   - Transfer-Encoding: the application sees the decoded body.
// Repeated fields are joined with ", " ("; " for Cookie), as RFC 3875 4.1.18 asks.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/http_head.hpp"  // HeaderField

namespace bulkhead::proto {

struct CgiRequest {
    std::string_view method;           // "GET"
    std::string_view request_uri;      // the target as sent: "/app.cgi/a%20b?x=1"
    std::string_view query;            // "x=1" (without '?')
    std::string_view script_name;      // "/app.cgi" (decoded)
    std::string_view path_info;        // "/a b" (decoded), or empty
    std::string_view document_root;    // "/srv/alpha/public"
    std::string_view script_filename;  // "/srv/alpha/public/app.cgi"
    std::string_view server_name;      // the request's host without port, normalized
    std::string_view server_protocol;  // "HTTP/1.1"
    std::string_view server_software;  // "bulkhead"
    std::string_view remote_addr;      // "192.0.2.1"
    std::uint16_t remote_port = 0;
    std::string_view server_addr;  // the address the client connected to
    std::uint16_t server_port = 0;
    bool https = false;
    std::optional<std::uint64_t> content_length;  // when the body's length is known
    std::span<const HeaderField> fields;
};

using MetaVariables = std::vector<std::pair<std::string, std::string>>;

MetaVariables cgi_meta_variables(const CgiRequest& request);

// "X-Forwarded-For" → "HTTP_X_FORWARDED_FOR"; nullopt for a field that must not pass (above).
std::optional<std::string> http_variable_name(std::string_view field_name);

}  // namespace bulkhead::proto
