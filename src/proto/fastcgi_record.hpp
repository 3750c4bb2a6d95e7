#pragma once
// FastCGI 1.0 records (the FastCGI Specification, Open Market, 1996): the 8-byte header, the
// name-value pairs of FCGI_PARAMS and the bodies of FCGI_BEGIN_REQUEST and FCGI_END_REQUEST.
// Pure: no I/O; the views in Record point into the caller's buffer.
//
// Contract of parse_record(), which reads what an application sends to the web server:
//   complete  — `consumed` is the whole record (header, content and padding),
//   need_more — the bytes are a valid prefix of a record; call again with more,
//   error     — `error` says why; nothing the application sends after it can be trusted.
// A record is at most 8 + 65535 + 255 bytes, so a reader never buffers more than that.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proto/http_head.hpp"  // ParseStatus

namespace bulkhead::proto::fastcgi {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderBytes = 8;
inline constexpr std::size_t kMaxContentBytes = 65535;
inline constexpr std::size_t kMaxRecordBytes = kHeaderBytes + kMaxContentBytes + 255;

enum class RecordType : std::uint8_t {
    begin_request = 1,  // server → application
    abort_request,      // server → application
    end_request,        // application → server
    params,             // server → application (a stream)
    stdin_stream,       // server → application (a stream)
    stdout_stream,      // application → server (a stream)
    stderr_stream,      // application → server (a stream)
    data,               // server → application (filter role only)
    get_values,         // server → application (management, request id 0)
    get_values_result,  // application → server (management, request id 0)
    unknown_type,       // application → server (management, request id 0)
};

enum class Role : std::uint16_t { responder = 1, authorizer, filter };

enum class ProtocolStatus : std::uint8_t {
    request_complete = 0,
    cant_mpx_conn,
    overloaded,
    unknown_role,
};

enum class RecordError {
    none,
    bad_version,          // version byte is not 1
    unexpected_type,      // a type an application never sends (or no type at all)
    bad_request_id,       // a management record with a request id, or a request's without
    bad_content_length,   // END_REQUEST or UNKNOWN_TYPE whose body is not 8 bytes
    bad_protocol_status,  // END_REQUEST with a protocol status outside the specification
};

// A short human-readable reason, for logs.
std::string_view describe(RecordError error);

struct Record {
    RecordType type = RecordType::stdout_stream;
    std::uint16_t request_id = 0;
    std::span<const std::byte> content;
};

struct RecordOutcome {
    ParseStatus status = ParseStatus::need_more;
    RecordError error = RecordError::none;
    std::size_t consumed = 0;
};

// One record an application sent, from the start of `input`.
RecordOutcome parse_record(std::span<const std::byte> input, Record& record);

struct EndRequest {
    std::uint32_t app_status = 0;
    ProtocolStatus protocol_status = ProtocolStatus::request_complete;
};
// The body of an END_REQUEST record that parse_record() accepted.
EndRequest end_request_body(std::span<const std::byte> content);

// Encoders: each appends whole records to `out`.
void append_begin_request(std::string& out, std::uint16_t request_id, Role role,
                          bool keep_connection);
void append_abort_request(std::string& out, std::uint16_t request_id);
// `data` as records of at most kMaxContentBytes; an empty `data` appends the empty record that
// ends the stream.
void append_stream(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view data);

// One pair in the name-value encoding of PARAMS and GET_VALUES (1-byte lengths below 128,
// 4-byte lengths with the top bit set otherwise). Appends nothing and returns false if a
// length does not fit in 31 bits.
bool append_name_value(std::string& out, std::string_view name, std::string_view value);

struct NameValue {
    std::string_view name;
    std::string_view value;
};
struct NameValueOutcome {
    ParseStatus status = ParseStatus::need_more;
    std::size_t consumed = 0;
};
// One pair from the start of `input`: need_more if it is cut short (within a complete stream
// that is an error of the sender).
NameValueOutcome parse_name_value(std::span<const std::byte> input, NameValue& pair);

}  // namespace bulkhead::proto::fastcgi
