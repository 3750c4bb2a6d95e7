#pragma once
// File extension → Content-Type, from /etc/mime.types (Debian's media-types package).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bulkhead::worker {

class MimeTypes {
  public:
    // Reads a mime.types file ("type ext1 ext2 ..." lines, '#' comments). A missing file leaves
    // only the built-in defaults (html, css, js, txt, png, ...).
    static MimeTypes load(const std::string& path = "/etc/mime.types");
    static MimeTypes from_text(std::string_view text);

    // "a/b/page.HTML" → "text/html"; unknown → "application/octet-stream".
    // Text types get "; charset=utf-8".
    std::string_view content_type(std::string_view file_name) const;

  private:
    void add(std::string_view type, std::span<const std::string_view> extensions);

    // Read once per worker start, before the first request: each type's header value is made
    // once and the extensions point at it, so the table costs few allocations.
    std::vector<std::string> header_values_;
    std::unordered_map<std::string, std::uint32_t> by_extension_;  // lowercased → index
};

}  // namespace bulkhead::worker
