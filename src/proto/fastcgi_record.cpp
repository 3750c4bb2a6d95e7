#include "proto/fastcgi_record.hpp"

#include <algorithm>

namespace bulkhead::proto::fastcgi {
namespace {

std::uint8_t byte_at(std::span<const std::byte> bytes, std::size_t index) {
    return static_cast<std::uint8_t>(bytes[index]);
}

std::uint16_t u16_at(std::span<const std::byte> bytes, std::size_t index) {
    return static_cast<std::uint16_t>((byte_at(bytes, index) << 8) | byte_at(bytes, index + 1));
}

std::uint32_t u32_at(std::span<const std::byte> bytes, std::size_t index) {
    return (static_cast<std::uint32_t>(byte_at(bytes, index)) << 24) |
           (static_cast<std::uint32_t>(byte_at(bytes, index + 1)) << 16) |
           (static_cast<std::uint32_t>(byte_at(bytes, index + 2)) << 8) |
           static_cast<std::uint32_t>(byte_at(bytes, index + 3));
}

void append_header(std::string& out, RecordType type, std::uint16_t request_id,
                   std::size_t content_length) {
    out += static_cast<char>(kVersion);
    out += static_cast<char>(type);
    out += static_cast<char>(request_id >> 8);
    out += static_cast<char>(request_id & 0xff);
    out += static_cast<char>((content_length >> 8) & 0xff);
    out += static_cast<char>(content_length & 0xff);
    out += '\0';  // padding length: none; the specification only recommends alignment
    out += '\0';  // reserved
}

bool is_management(RecordType type) {
    return type == RecordType::get_values_result || type == RecordType::unknown_type;
}

// What an application may send, and what each type's body must be.
RecordError check_record(RecordType type, std::uint16_t request_id, std::size_t length,
                         std::span<const std::byte> content) {
    switch (type) {
        case RecordType::end_request:
            if (request_id == 0)
                return RecordError::bad_request_id;
            if (length != 8)
                return RecordError::bad_content_length;
            if (byte_at(content, 4) > static_cast<std::uint8_t>(ProtocolStatus::unknown_role)) {
                return RecordError::bad_protocol_status;
            }
            return RecordError::none;
        case RecordType::stdout_stream:
        case RecordType::stderr_stream:
            return request_id == 0 ? RecordError::bad_request_id : RecordError::none;
        case RecordType::get_values_result:
            return request_id != 0 ? RecordError::bad_request_id : RecordError::none;
        case RecordType::unknown_type:
            if (request_id != 0)
                return RecordError::bad_request_id;
            return length != 8 ? RecordError::bad_content_length : RecordError::none;
        default:
            return RecordError::unexpected_type;
    }
}

// A name-value length: one byte below 128, else four with the top bit set.
bool parse_length(std::span<const std::byte> input, std::size_t& at, std::uint32_t& length) {
    if (at >= input.size())
        return false;
    if ((byte_at(input, at) & 0x80) == 0) {
        length = byte_at(input, at);
        at += 1;
        return true;
    }
    if (input.size() - at < 4)
        return false;
    length = u32_at(input, at) & 0x7fffffffu;
    at += 4;
    return true;
}

void append_length(std::string& out, std::size_t length) {
    if (length < 128) {
        out += static_cast<char>(length);
        return;
    }
    out += static_cast<char>(((length >> 24) & 0x7f) | 0x80);
    out += static_cast<char>((length >> 16) & 0xff);
    out += static_cast<char>((length >> 8) & 0xff);
    out += static_cast<char>(length & 0xff);
}

}  // namespace

std::string_view describe(RecordError error) {
    switch (error) {
        case RecordError::none:
            return "no error";
        case RecordError::bad_version:
            return "record version is not 1";
        case RecordError::unexpected_type:
            return "record type an application does not send";
        case RecordError::bad_request_id:
            return "record with a wrong request id";
        case RecordError::bad_content_length:
            return "record body of the wrong length";
        case RecordError::bad_protocol_status:
            return "END_REQUEST with an unknown protocol status";
    }
    return "unknown error";
}

RecordOutcome parse_record(std::span<const std::byte> input, Record& record) {
    if (input.empty())
        return {};
    if (byte_at(input, 0) != kVersion)
        return {ParseStatus::error, RecordError::bad_version, 0};
    if (input.size() >= 2) {
        std::uint8_t type = byte_at(input, 1);
        bool known = type >= 1 && type <= static_cast<std::uint8_t>(RecordType::unknown_type);
        auto as_type = static_cast<RecordType>(type);
        bool from_application = as_type == RecordType::end_request ||
                                as_type == RecordType::stdout_stream ||
                                as_type == RecordType::stderr_stream || is_management(as_type);
        if (!known || !from_application) {
            return {ParseStatus::error, RecordError::unexpected_type, 0};
        }
    }
    if (input.size() < kHeaderBytes)
        return {};
    auto type = static_cast<RecordType>(byte_at(input, 1));
    std::uint16_t request_id = u16_at(input, 2);
    std::size_t length = u16_at(input, 4);
    std::size_t padding = byte_at(input, 6);
    std::size_t total = kHeaderBytes + length + padding;
    if (input.size() < total)
        return {};
    std::span<const std::byte> content = input.subspan(kHeaderBytes, length);
    RecordError error = check_record(type, request_id, length, content);
    if (error != RecordError::none)
        return {ParseStatus::error, error, 0};
    record = Record{type, request_id, content};
    return {ParseStatus::complete, RecordError::none, total};
}

EndRequest end_request_body(std::span<const std::byte> content) {
    EndRequest body;
    if (content.size() < 8)
        return body;
    body.app_status = u32_at(content, 0);
    body.protocol_status = static_cast<ProtocolStatus>(byte_at(content, 4));
    return body;
}

void append_begin_request(std::string& out, std::uint16_t request_id, Role role,
                          bool keep_connection) {
    append_header(out, RecordType::begin_request, request_id, 8);
    auto role_value = static_cast<std::uint16_t>(role);
    out += static_cast<char>(role_value >> 8);
    out += static_cast<char>(role_value & 0xff);
    out += static_cast<char>(keep_connection ? 1 : 0);  // FCGI_KEEP_CONN
    out.append(5, '\0');
}

void append_abort_request(std::string& out, std::uint16_t request_id) {
    append_header(out, RecordType::abort_request, request_id, 0);
}

void append_stream(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view data) {
    if (data.empty()) {
        append_header(out, type, request_id, 0);
        return;
    }
    while (!data.empty()) {
        std::size_t piece = std::min(data.size(), kMaxContentBytes);
        append_header(out, type, request_id, piece);
        out.append(data.substr(0, piece));
        data.remove_prefix(piece);
    }
}

bool append_name_value(std::string& out, std::string_view name, std::string_view value) {
    constexpr std::size_t kMaxLength = 0x7fffffff;
    if (name.size() > kMaxLength || value.size() > kMaxLength)
        return false;
    append_length(out, name.size());
    append_length(out, value.size());
    out.append(name);
    out.append(value);
    return true;
}

NameValueOutcome parse_name_value(std::span<const std::byte> input, NameValue& pair) {
    std::size_t at = 0;
    std::uint32_t name_length = 0;
    std::uint32_t value_length = 0;
    if (!parse_length(input, at, name_length) || !parse_length(input, at, value_length))
        return {};
    if (input.size() - at < static_cast<std::size_t>(name_length) + value_length)
        return {};
    const char* text = reinterpret_cast<const char*>(input.data()) + at;
    pair.name = std::string_view(text, name_length);
    pair.value = std::string_view(text + name_length, value_length);
    return {ParseStatus::complete, at + name_length + value_length};
}

}  // namespace bulkhead::proto::fastcgi
