#pragma once
// One HTTP/2 request's header fields, as nghttp2 delivers them (HPACK-decoded, and already
// checked by its HTTP messaging rules: pseudo-header fields, names, connection-specific
// fields, content-length), collected within the site's limits and turned into the Request the
// handlers see and the RequestHead the router reads — the same types HTTP/1.1 produces.
//
//   :method, :path      → method, target, path_and_query
//   :authority (or host)→ host (normalized) and a "host" field, so HTTP_HOST reaches scripts
//   cookie (several)    → one field joined with "; " (RFC 9113 8.2.3)
//   content-length      → content_length

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/http_head.hpp"
#include "worker/exchange.hpp"

namespace bulkhead::worker::http2 {

class RequestCollector {
  public:
    RequestCollector(std::size_t max_bytes, std::size_t max_fields)
        : max_bytes_(max_bytes), max_fields_(max_fields) {}

    // Keeps one field. Past the limits nothing more is kept and build() answers 431; the
    // caller goes on decoding (HPACK state must stay in step) without holding more memory.
    void add(std::string_view name, std::string_view value);
    bool too_large() const { return too_large_; }

    // Fills `request` (method, target, host, fields, content_length); 0, or the status to
    // answer with: 431 over the limits, 400 without a valid authority or with a Host that
    // names another authority than :authority.
    int build(Request& request) const;

  private:
    std::size_t max_bytes_;
    std::size_t max_fields_;
    std::size_t bytes_ = 0;
    bool too_large_ = false;
    std::string method_;
    std::string path_;
    std::string authority_;
    bool has_authority_ = false;
    std::string cookies_;
    std::vector<std::pair<std::string, std::string>> fields_;
};

// "GET /path HTTP/2.0", with bytes a log line must not carry replaced by '?'.
std::string request_line(const Request& request);

}  // namespace bulkhead::worker::http2
