#include "worker/mime_types.hpp"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace bulkhead::worker {
namespace {

constexpr std::string_view kDefaultType = "application/octet-stream";

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

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

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

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    constexpr std::string_view kSpace = " \t\r\f\v";
    std::size_t pos = line.find_first_not_of(kSpace);
    while (pos != std::string_view::npos) {
        std::size_t end = line.find_first_of(kSpace, pos);
        words.push_back(line.substr(pos, end - pos));
        pos = line.find_first_not_of(kSpace, end);
    }
    return words;
}

}  // namespace

// The first line that names an extension wins, as in Apache's and nginx's readers; Debian's
// file lists a handful of extensions twice (sh, tcl, csh) and puts the common type first.
MimeTypes MimeTypes::from_text(std::string_view text) {
    MimeTypes types;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        line = line.substr(0, line.find('#'));
        std::vector<std::string_view> words = split_words(line);
        if (words.size() < 2 || !is_visible_ascii(words[0]))
            continue;
        std::string value = header_value(words[0]);
        for (std::size_t i = 1; i < words.size(); ++i) {
            if (is_visible_ascii(words[i]))
                types.by_extension_.try_emplace(lowercase(words[i]), value);
        }
    }
    for (const auto& [extension, type] : kBuiltIn) {
        types.by_extension_.try_emplace(std::string(extension), header_value(type));
    }
    return types;
}

MimeTypes MimeTypes::load(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        return from_text({});
    std::ostringstream text;
    text << file.rdbuf();
    return from_text(text.str());
}

std::string_view MimeTypes::content_type(std::string_view file_name) const {
    std::string_view base = file_name.substr(file_name.rfind('/') + 1);
    std::size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == base.size())
        return kDefaultType;
    auto found = by_extension_.find(lowercase(base.substr(dot + 1)));
    if (found == by_extension_.end())
        return kDefaultType;
    return found->second;
}

}  // namespace bulkhead::worker
