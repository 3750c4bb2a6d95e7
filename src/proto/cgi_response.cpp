#include "proto/cgi_response.hpp"

#include <charconv>

#include "base/ascii.hpp"

// Like the request head parser, this one keeps no state between calls: it parses the head from
// the start of the buffer each time, which costs little for heads of a few hundred bytes.

namespace bulkhead::proto {
namespace {

bool is_tchar(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    if (text.empty())
        return false;
    for (char c : text) {
        if (!is_tchar(c))
            return false;
    }
    return true;
}

// field-vchar, SP and HTAB, obs-text; no other control byte and no DEL.
bool is_field_value(std::string_view text) {
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c != '\t' && (u < 0x20 || u == 0x7f))
            return false;
    }
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 19)
        return std::nullopt;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// "404", "404 Not Found"; the reason may be empty.
CgiHeadError read_status(std::string_view value, CgiHead& head) {
    if (head.status)
        return CgiHeadError::duplicate_field;
    if (value.size() < 3 || (value.size() > 3 && value[3] != ' '))
        return CgiHeadError::bad_status;
    auto code = parse_decimal(value.substr(0, 3));
    if (!code || *code < 200 || *code > 599)
        return CgiHeadError::bad_status;
    head.status = static_cast<int>(*code);
    head.reason = value.size() > 3 ? trim(value.substr(4)) : std::string_view();
    return CgiHeadError::none;
}

CgiHeadError read_field(std::string_view name, std::string_view value, CgiHead& head) {
    if (equals_ignoring_case(name, "Status"))
        return read_status(value, head);
    if (equals_ignoring_case(name, "Location")) {
        if (head.location)
            return CgiHeadError::duplicate_field;
        head.location = value;
    } else if (equals_ignoring_case(name, "Content-Type")) {
        head.has_content_type = true;
    } else if (equals_ignoring_case(name, "Content-Length")) {
        auto length = parse_decimal(value);
        if (!length || (head.content_length && *head.content_length != *length)) {
            return CgiHeadError::bad_content_length;
        }
        head.content_length = length;
    }
    if (head.field_count == CgiHead::kMaxFields)
        return CgiHeadError::too_many_fields;
    head.fields[head.field_count++] = HeaderField{name, value};
    return CgiHeadError::none;
}

CgiHeadError read_line(std::string_view line, CgiHead& head) {
    if (line.find('\r') != std::string_view::npos)
        return CgiHeadError::bad_line;
    if (line.front() == ' ' || line.front() == '\t')
        return CgiHeadError::obsolete_line_folding;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
        return CgiHeadError::bad_line;
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (!is_token(name))
        return CgiHeadError::bad_field_name;
    if (!is_field_value(value))
        return CgiHeadError::bad_field_value;
    return read_field(name, value, head);
}

CgiHeadOutcome failed(CgiHeadError error) {
    return {ParseStatus::error, error, 0};
}

}  // namespace

std::string_view describe(CgiHeadError error) {
    switch (error) {
        case CgiHeadError::none:
            return "no error";
        case CgiHeadError::head_too_large:
            return "response head too large";
        case CgiHeadError::too_many_fields:
            return "too many header fields";
        case CgiHeadError::bad_line:
            return "a header line without a colon, or with a bare CR";
        case CgiHeadError::bad_field_name:
            return "a malformed header field name";
        case CgiHeadError::bad_field_value:
            return "control characters in a header field value";
        case CgiHeadError::obsolete_line_folding:
            return "a folded header line";
        case CgiHeadError::bad_status:
            return "a malformed Status (want e.g. \"404 Not Found\")";
        case CgiHeadError::bad_content_length:
            return "a malformed Content-Length";
        case CgiHeadError::duplicate_field:
            return "Status or Location twice";
        case CgiHeadError::no_cgi_field:
            return "none of Content-Type, Location and Status";
    }
    return "unknown error";
}

CgiHeadOutcome parse_cgi_head(std::span<const std::byte> input, std::size_t max_head_bytes,
                              CgiHead& head) {
    head = CgiHead{};
    std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    std::size_t at = 0;
    for (;;) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) {
            if (text.size() > max_head_bytes)
                return failed(CgiHeadError::head_too_large);
            return {};
        }
        if (end + 1 > max_head_bytes)
            return failed(CgiHeadError::head_too_large);
        std::string_view line = text.substr(at, end - at);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        at = end + 1;
        if (line.empty())
            break;
        if (CgiHeadError error = read_line(line, head); error != CgiHeadError::none) {
            return failed(error);
        }
    }
    if (!head.status && !head.location && !head.has_content_type) {
        return failed(CgiHeadError::no_cgi_field);
    }
    return {ParseStatus::complete, CgiHeadError::none, at};
}

}  // namespace bulkhead::proto
