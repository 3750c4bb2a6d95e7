#include "worker/mime_types.hpp"

#include <utility>

#include "base/ascii.hpp"
#include "base/read_file.hpp"

namespace bulkhead::worker {
namespace {

constexpr std::string_view kDefaultType = "application/octet-stream";
constexpr std::size_t kMaxFileBytes = 4 << 20;  // Debian's is 60 KiB

// Used when the system file is missing or lacks an entry: what a web site cannot do without.
constexpr std::pair<std::string_view, std::string_view> kBuiltIn[] = {
    {"html", "text/html"},        {"htm", "text/html"},       {"css", "text/css"},
    {"js", "text/javascript"},    {"mjs", "text/javascript"}, {"json", "application/json"},
    {"txt", "text/plain"},        {"xml", "application/xml"}, {"svg", "image/svg+xml"},
    {"png", "image/png"},         {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},         {"webp", "image/webp"},     {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},        {"woff2", "font/woff2"},    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
};

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

// The file is trusted configuration, but its words end up in a header line: refuse anything
// that is not visible ASCII rather than emit a broken header.
bool is_visible_ascii(std::string_view word) {
    if (word.empty())
        return false;
    for (char c : word) {
        if (c < 0x21 || c > 0x7e)
            return false;
    }
    return true;
}

// Types whose bodies are text we can label: the web's text formats are UTF-8 in practice.
std::string header_value(std::string_view type) {
    std::string lowered = lowercase(type);
    bool textual = lowered.starts_with("text/") || lowered == "application/javascript" ||
                   lowered == "application/json" || lowered == "image/svg+xml";
    std::string value(type);
    if (textual)
        value += "; charset=utf-8";
    return value;
}

constexpr std::string_view kSpace = " \t\r\f\v";

// The next whitespace-separated word of `line`, consumed; empty at the end.
std::string_view next_word(std::string_view& line) {
    std::size_t start = line.find_first_not_of(kSpace);
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    std::size_t end = line.find_first_of(kSpace, start);
    std::string_view word = line.substr(start, end - start);
    line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
    return word;
}

// Whether `word` names `extension` (already lowercased), ignoring case.
bool same_extension(std::string_view word, std::string_view extension) {
    if (word.size() != extension.size())
        return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (ascii_lower(word[i]) != extension[i])
            return false;
    }
    return true;
}

// The type of the first line that names `extension`, as in Apache's and nginx's readers;
// Debian's file lists a handful of extensions twice (sh, tcl, csh) and puts the common type
// first. Empty when no line does.
std::string_view find_in_text(std::string_view text, std::string_view extension) {
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        line = line.substr(0, line.find('#'));
        std::string_view type = next_word(line);
        if (!is_visible_ascii(type))
            continue;
        for (std::string_view word = next_word(line); !word.empty(); word = next_word(line)) {
            if (same_extension(word, extension) && is_visible_ascii(word))
                return type;
        }
    }
    return {};
}

}  // namespace

MimeTypes MimeTypes::from_text(std::string text) {
    MimeTypes types;
    types.text_ = std::move(text);
    return types;
}

std::string_view MimeTypes::lookup(const std::string& extension) const {
    if (auto known = found_.find(extension); known != found_.end())
        return known->second;
    std::string_view type = find_in_text(text_, extension);
    if (type.empty()) {
        for (const auto& [builtin, builtin_type] : kBuiltIn) {
            if (builtin == extension)
                type = builtin_type;
        }
    }
    if (type.empty())
        return kDefaultType;
    return found_.emplace(extension, header_value(type)).first->second;
}

// Plain read(2) (base/read_file): iostreams would set up locales first, which costs a cold
// worker more than the file itself. A missing or unreadable file leaves the built-in types.
MimeTypes MimeTypes::load(const std::string& path) {
    std::string text;
    if (read_file(path, text, kMaxFileBytes) != 0)
        text.clear();
    return from_text(std::move(text));
}

std::string_view MimeTypes::content_type(std::string_view file_name) const {
    std::string_view base = file_name.substr(file_name.rfind('/') + 1);
    std::size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == base.size())
        return kDefaultType;
    return lookup(lowercase(base.substr(dot + 1)));
}

}  // namespace bulkhead::worker
