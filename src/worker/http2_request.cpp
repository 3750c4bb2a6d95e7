#include "worker/http2_request.hpp"

#include <charconv>

#include "proto/host.hpp"

namespace bulkhead::worker::http2 {
namespace {

// RFC 9113 / RFC 7541 4.1: a field's size is its name, its value and 32 bytes of overhead.
constexpr std::size_t kFieldOverhead = 32;

std::optional<std::uint64_t> parse_length(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

}  // namespace

void RequestCollector::add(std::string_view name, std::string_view value) {
    bytes_ += name.size() + value.size() + kFieldOverhead;
    if (bytes_ > max_bytes_ || fields_.size() >= max_fields_)
        too_large_ = true;
    if (too_large_)
        return;
    if (name == ":method") {
        method_ = value;
    } else if (name == ":path") {
        path_ = value;
    } else if (name == ":authority") {
        authority_ = value;
        has_authority_ = true;
    } else if (name == "cookie") {
        if (!cookies_.empty())
            cookies_ += "; ";
        cookies_ += value;
    } else if (!name.starts_with(':')) {  // :scheme and :protocol need no keeping
        fields_.emplace_back(name, value);
    }
}

int RequestCollector::build(Request& request) const {
    if (too_large_)
        return 431;
    const std::string* host_field = nullptr;
    for (const auto& field : fields_) {
        if (field.first == "host") {
            host_field = &field.second;
            break;
        }
    }
    std::string_view authority = has_authority_ ? std::string_view(authority_)
                                 : host_field   ? std::string_view(*host_field)
                                                : std::string_view();
    std::optional<std::string> host = proto::normalize_host(authority);
    if (!host)
        return 400;
    if (has_authority_ && host_field && proto::normalize_host(*host_field) != host)
        return 400;  // RFC 9113 8.3.1: a Host naming another origin than :authority
    request.method = method_;
    request.target = path_;
    request.path_and_query = path_ == "*" ? std::string() : path_;
    request.version_minor = 1;
    request.http2 = true;
    request.host = std::move(*host);
    request.fields.clear();
    request.fields.reserve(fields_.size() + 2);
    if (!host_field)
        request.fields.emplace_back("host", std::string(authority));
    request.fields.insert(request.fields.end(), fields_.begin(), fields_.end());
    if (!cookies_.empty())
        request.fields.emplace_back("cookie", cookies_);
    request.content_length.reset();
    if (const std::string* length = request.field("content-length"))
        request.content_length = parse_length(*length);
    request.chunked = false;
    return 0;
}

std::string request_line(const Request& request) {
    std::string line = request.method + " " + request.target;
    for (char& c : line) {
        if (c < 0x20 || c > 0x7e)
            c = '?';
    }
    return line + " HTTP/2.0";
}

}  // namespace bulkhead::worker::http2
