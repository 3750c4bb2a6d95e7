#pragma once
// A response's header block as HTTP/2 sends it: ":status", then date and server as HTTP/1.1
// sends them, content-length when known, the handler's header lines with lowercase names, and
// Strict-Transport-Security when the site asks for it. Fields that only mean something to an
// HTTP/1.1 connection (connection, keep-alive, transfer-encoding, upgrade) are dropped, as are
// lines HTTP/2 cannot carry (no colon, control characters).

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "worker/site.hpp"

namespace bulkhead::worker::http2 {

class HeaderBlock {
  public:
    void add(std::string name, std::string value);
    // The first value of `name` (lowercase), for tests and checks.
    std::optional<std::string_view> find(std::string_view name) const;
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
    // The nghttp2 view of the fields; valid until the next add(). nghttp2 copies it on submit.
    const std::vector<nghttp2_nv>& nv();

  private:
    std::vector<std::pair<std::string, std::string>> fields_;
    std::vector<nghttp2_nv> nv_;
};

struct ResponseHeadParts {
    int status = 200;
    std::string_view header_lines;  // "Name: value\r\n" lines, as ResponsePlan and StreamHead hold
    std::optional<std::uint64_t> content_length;
};

HeaderBlock response_header_block(const ResponseHeadParts& parts,
                                  const std::optional<TlsSettings>& tls);

// Fields an HTTP/2 message must not carry (RFC 9113 8.2.2); `name` lowercase.
bool is_connection_specific(std::string_view name);

}  // namespace bulkhead::worker::http2
