#pragma once
// File extension → Content-Type, from /etc/mime.types (Debian's media-types package).

#include <string>
#include <string_view>
#include <unordered_map>

namespace bulkhead::worker {

class MimeTypes {
  public:
    // Reads a mime.types file ("type ext1 ext2 ..." lines, '#' comments). A missing file leaves
    // only the built-in defaults (html, css, js, txt, png, ...).
    static MimeTypes load(const std::string& path = "/etc/mime.types");
    static MimeTypes from_text(std::string text);

    // "a/b/page.HTML" → "text/html"; unknown → "application/octet-stream".
    // Text types get "; charset=utf-8".
    std::string_view content_type(std::string_view file_name) const;

  private:
    // The file is kept as read and searched for an extension the first time one is asked for:
    // a worker starts on a site's first request, and parsing all of Debian's 60 KiB table then
    // would cost that request more than the few searches a site's file types ever need. Only
    // extensions found are remembered, so the table is bounded by the file.
    std::string_view lookup(const std::string& extension) const;

    std::string text_;
    mutable std::unordered_map<std::string, std::string> found_;  // lowercased → header value
};

}  // namespace bulkhead::worker
