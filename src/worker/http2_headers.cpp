#include "worker/http2_headers.hpp"

#include <algorithm>
#include <array>

#include "worker/response_head.hpp"

namespace bulkhead::worker::http2 {
namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
    });
    return out;
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool is_token_char(char c) {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kExtra.find(c) != std::string_view::npos;
}

bool is_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char);
}

// NUL, CR and LF would end the field in HTTP/1.1 and are refused by HTTP/2 peers.
bool is_field_value(std::string_view value) {
    return std::none_of(value.begin(), value.end(),
                        [](char c) { return c == '\0' || c == '\r' || c == '\n'; });
}

// Each "Name: value" line of `lines` that HTTP/2 can carry, except those we set ourselves.
void add_lines(HeaderBlock& block, std::string_view lines) {
    while (!lines.empty()) {
        std::size_t end = lines.find('\n');
        std::string_view line = lines.substr(0, end);
        lines = end == std::string_view::npos ? std::string_view{} : lines.substr(end + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string name = lowercase(line.substr(0, colon));
        std::string_view value = trimmed(line.substr(colon + 1));
        if (!is_field_name(name) || !is_field_value(value) || is_connection_specific(name) ||
            name == "content-length" || name == "date" || name == "server") {
            continue;
        }
        block.add(std::move(name), std::string(value));
    }
}

}  // namespace

void HeaderBlock::add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> HeaderBlock::find(std::string_view name) const {
    for (const auto& [key, value] : fields_) {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

const std::vector<nghttp2_nv>& HeaderBlock::nv() {
    nv_.clear();
    nv_.reserve(fields_.size());
    for (auto& [name, value] : fields_) {
        nv_.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(name.data()),
                                 reinterpret_cast<std::uint8_t*>(value.data()), name.size(),
                                 value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    return nv_;
}

bool is_connection_specific(std::string_view name) {
    static constexpr std::array<std::string_view, 6> kFields = {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"};
    return std::find(kFields.begin(), kFields.end(), name) != kFields.end();
}

HeaderBlock response_header_block(const ResponseHeadParts& parts,
                                  const std::optional<TlsSettings>& tls) {
    HeaderBlock block;
    block.add(":status", std::to_string(parts.status));
    block.add("server", "bulkhead");
    block.add("date", current_http_date());
    // 304 carries no Content-Length of its own (RFC 9110 8.6), as on HTTP/1.1.
    if (parts.content_length && parts.status != 304)
        block.add("content-length", std::to_string(*parts.content_length));
    add_lines(block, parts.header_lines);
    std::string hsts = tls ? tls->strict_transport_security() : std::string();
    if (!hsts.empty() && !block.find("strict-transport-security"))
        block.add("strict-transport-security", std::move(hsts));
    return block;
}

}  // namespace bulkhead::worker::http2
