#include "proto/http_head.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "base/ascii.hpp"
#include "proto/host.hpp"

// The head is parsed line by line from the start of the buffer on every call: the parser keeps
// no state between calls, so a caller that peeks (the dispatcher) and one that reads (the worker)
// see the same verdict for the same bytes. Lines that are still incomplete are checked as far as
// they go, so garbage is answered at once rather than after a timeout; only complete lines are
// interpreted.

namespace bulkhead::proto {
namespace {

constexpr std::array<bool, 256> make_tchar_table() {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c)
        table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~"))
        table[static_cast<unsigned char>(c)] = true;
    return table;
}
constexpr std::array<bool, 256> kTchar = make_tchar_table();

bool is_tchar(char c) {
    return kTchar[static_cast<unsigned char>(c)];
}
bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

// Empty is allowed: callers check emptiness separately, so that prefixes pass.
bool all_tchar(std::string_view text) {
    for (char c : text) {
        if (!is_tchar(c))
            return false;
    }
    return true;
}

bool is_token(std::string_view text) {
    return !text.empty() && all_tchar(text);
}

// RFC 9112 3.2 allows only visible ASCII in a target; '#' (a fragment) is never sent.
bool is_target_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '#';
}

// field-vchar, SP and HTAB; obs-text (0x80-0xff) is allowed, DEL and other CTLs are not.
bool is_field_value_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7f);
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && is_ows(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back()))
        text.remove_suffix(1);
    return text;
}

// Calls `fn` with every trimmed element of a comma-separated list, empty ones included.
template <typename Fn>
void for_each_element(std::string_view list, Fn&& fn) {
    while (true) {
        const std::size_t comma = list.find(',');
        fn(trim_ows(list.substr(0, comma)));
        if (comma == std::string_view::npos)
            return;
        list.remove_prefix(comma + 1);
    }
}

enum class LineEnd { crlf, partial, bad };

struct Line {
    LineEnd end = LineEnd::partial;
    std::string_view text;  // without the CRLF
    std::size_t next = 0;   // where the following line starts
};

// Only CRLF ends a line. A bare CR or a bare LF is an error rather than a line end, because a
// front end that reads them differently would split the stream into other requests (smuggling).
Line scan_line(std::string_view buf, std::size_t start) {
    for (std::size_t i = start; i < buf.size(); ++i) {
        if (buf[i] == '\n')
            return {LineEnd::bad, {}, i};
        if (buf[i] != '\r')
            continue;
        if (i + 1 == buf.size())
            return {LineEnd::partial, buf.substr(start, i - start), i};
        if (buf[i + 1] != '\n')
            return {LineEnd::bad, {}, i};
        return {LineEnd::crlf, buf.substr(start, i - start), i + 2};
    }
    return {LineEnd::partial, buf.substr(start), buf.size()};
}

// "HTTP/d.d", exactly: the name is case-sensitive and no whitespace may surround it.
HeadError check_version(std::string_view version, bool partial, RequestHead& head) {
    constexpr std::string_view shape = "HTTP/d.d";
    if (version.find(' ') != std::string_view::npos)
        return HeadError::bad_request_line;
    if (version.size() > shape.size())
        return HeadError::bad_version;
    for (std::size_t i = 0; i < version.size(); ++i) {
        const bool ok =
            shape[i] == 'd' ? (version[i] >= '0' && version[i] <= '9') : version[i] == shape[i];
        if (!ok)
            return HeadError::bad_version;
    }
    if (version.size() < shape.size())
        return partial ? HeadError::none : HeadError::bad_version;
    // A well-formed version we do not speak (HTTP/0.9, 1.2, 2.0, ...) is a 505, not a 400.
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
        return HeadError::unsupported_version;
    }
    head.version_minor = version[7] - '0';
    return HeadError::none;
}

HeadError check_target_bytes(std::string_view target, const HeadLimits& limits) {
    if (target.size() > limits.max_target_bytes)
        return HeadError::target_too_long;
    for (char c : target) {
        if (!is_target_byte(c))
            return HeadError::bad_target;
    }
    return HeadError::none;
}

// CONNECT names "host:port" and nothing else (RFC 9110 9.3.6).
HeadError classify_authority_form(RequestHead& head) {
    const auto parts = split_authority(head.target);
    if (!parts || parts->port.empty())
        return HeadError::bad_target;
    head.target_form = TargetForm::authority;
    head.target_authority = head.target;
    return HeadError::none;
}

// "http://authority/path?query". An empty authority or userinfo ("user@") makes the URI invalid
// (RFC 9110 4.2.1, 4.2.4). Without a path, path_and_query is "/"; with only a query
// ("http://a.example?q") it is "?q", which split_target() reads as path "/".
HeadError classify_absolute_form(RequestHead& head) {
    const std::string_view target = head.target;
    std::size_t scheme = 0;
    if (istarts_with(target, "http://"))
        scheme = 7;
    if (istarts_with(target, "https://"))
        scheme = 8;
    if (scheme == 0)
        return HeadError::bad_target;
    const std::string_view rest = target.substr(scheme);
    const std::size_t end = rest.find_first_of("/?");
    head.target_authority = rest.substr(0, end);
    if (!is_valid_authority(head.target_authority))
        return HeadError::bad_target;
    head.target_form = TargetForm::absolute;
    // The last '/' of "http://" stands in for the missing path, so the view stays in the input.
    head.path_and_query =
        end == std::string_view::npos ? target.substr(scheme - 1, 1) : rest.substr(end);
    return HeadError::none;
}

HeadError classify_target(RequestHead& head) {
    if (head.method == "CONNECT")
        return classify_authority_form(head);
    if (head.target.front() == '/') {
        head.path_and_query = head.target;
        return HeadError::none;
    }
    if (head.target == "*") {
        // Only OPTIONS may name the server as a whole; path_and_query stays empty.
        head.target_form = TargetForm::asterisk;
        return head.method == "OPTIONS" ? HeadError::none : HeadError::bad_target;
    }
    return classify_absolute_form(head);
}

// METHOD SP TARGET SP VERSION. With `partial`, `line` is what has arrived of it so far.
HeadError check_request_line(std::string_view line, bool partial, const HeadLimits& limits,
                             RequestHead& head) {
    const std::size_t sp1 = line.find(' ');
    const std::string_view method = line.substr(0, sp1);
    if (!all_tchar(method))
        return HeadError::bad_method;
    if (sp1 == std::string_view::npos)
        return partial ? HeadError::none : HeadError::bad_request_line;
    if (method.empty())
        return HeadError::bad_request_line;

    const std::string_view rest = line.substr(sp1 + 1);
    const std::size_t sp2 = rest.find(' ');
    const std::string_view target = rest.substr(0, sp2);
    if (HeadError error = check_target_bytes(target, limits); error != HeadError::none) {
        return error;
    }
    if (sp2 == std::string_view::npos && !partial) {
        // "GET /" alone is an HTTP/0.9 request: a version we do not speak.
        return target.empty() ? HeadError::bad_request_line : HeadError::unsupported_version;
    }
    if (sp2 == std::string_view::npos)
        return HeadError::none;
    if (target.empty())
        return HeadError::bad_request_line;

    if (HeadError error = check_version(rest.substr(sp2 + 1), partial, head);
        error != HeadError::none || partial) {
        return error;
    }
    head.method = method;
    head.target = target;
    return classify_target(head);
}

// name ":" OWS value OWS. With `partial`, `line` is what has arrived of it so far.
HeadError check_field_line(std::string_view line, bool partial, HeaderField& field) {
    // A line starting with whitespace continues the previous one (obs-fold), or, right after the
    // request line, hides a field from parsers that skip it (RFC 9112 2.2, 5.2): both refused.
    if (!line.empty() && is_ows(line.front()))
        return HeadError::obsolete_line_folding;
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    // Catches "Transfer-Encoding : chunked" too: whitespace is not a tchar.
    if (!all_tchar(name))
        return HeadError::bad_header_name;
    if (colon == std::string_view::npos)
        return partial ? HeadError::none : HeadError::bad_header_name;
    if (name.empty())
        return HeadError::bad_header_name;
    const std::string_view value = line.substr(colon + 1);
    for (char c : value) {
        if (!is_field_value_byte(c))
            return HeadError::bad_header_value;
    }
    field = {name, trim_ows(value)};
    return HeadError::none;
}

// At most INT64_MAX, so that the length fits an off_t wherever it travels next.
bool parse_decimal(std::string_view digits, std::uint64_t& value) {
    constexpr std::uint64_t max = std::numeric_limits<std::int64_t>::max();
    if (digits.empty())
        return false;
    value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    return true;
}

// The Transfer-Encoding codings seen across all lines, judged once the head is complete.
struct TransferCodings {
    bool present = false;
    bool bad_syntax = false;
    bool unknown = false;  // a coding other than chunked (we implement none)
    int chunked = 0;
    bool chunked_last = false;
};

void note_transfer_codings(std::string_view value, TransferCodings& codings) {
    codings.present = true;
    for_each_element(value, [&](std::string_view element) {
        if (element.empty())
            return;  // RFC 9110 5.6.1: empty list elements are ignored
        const std::size_t semicolon = element.find(';');
        const std::string_view name = trim_ows(element.substr(0, semicolon));
        const bool has_parameters = semicolon != std::string_view::npos;
        codings.chunked_last = !has_parameters && equals_ignoring_case(name, "chunked");
        if (codings.chunked_last) {
            ++codings.chunked;
        } else if (is_token(name)) {
            codings.unknown = true;
        } else {
            codings.bad_syntax = true;
        }
    });
}

// Only a final, single "chunked" is a framing we can read the same way as everyone else.
HeadError judge_transfer_codings(const TransferCodings& codings) {
    if (codings.bad_syntax)
        return HeadError::bad_transfer_encoding;
    if (codings.unknown)
        return HeadError::unsupported_transfer_coding;
    if (codings.chunked != 1 || !codings.chunked_last)
        return HeadError::bad_transfer_encoding;
    return HeadError::none;
}

// Builds the RequestHead from the buffer; see the file comment for the strategy.
class HeadReader {
  public:
    HeadReader(std::string_view buf, const HeadLimits& limits, RequestHead& head)
        : buf_(buf), limits_(limits), head_(head) {}

    ParseOutcome run();

  private:
    HeadError skip_leading_empty_lines();
    ParseOutcome read_fields();
    HeadError add_field(const HeaderField& field);
    HeadError interpret_field(const HeaderField& field);
    HeadError note_content_length(std::string_view value);
    HeadError note_host(std::string_view value);
    void note_connection(std::string_view value);
    ParseOutcome finish(std::size_t consumed);

    static ParseOutcome fail(HeadError error) { return {ParseStatus::error, error, 0}; }
    static ParseOutcome more() { return {ParseStatus::need_more, HeadError::none, 0}; }

    std::string_view buf_;
    const HeadLimits& limits_;
    RequestHead& head_;
    std::size_t pos_ = 0;
    TransferCodings codings_;
};

ParseOutcome HeadReader::run() {
    if (HeadError error = skip_leading_empty_lines(); error != HeadError::none)
        return fail(error);
    const Line line = scan_line(buf_, pos_);
    if (line.end == LineEnd::bad)
        return fail(HeadError::bad_line_ending);
    const bool partial = line.end == LineEnd::partial;
    if (HeadError error = check_request_line(line.text, partial, limits_, head_);
        error != HeadError::none) {
        return fail(error);
    }
    if (partial)
        return more();
    pos_ = line.next;
    return read_fields();
}

// RFC 9112 2.2: a server should ignore at least one empty line before the request line (some
// clients send a CRLF after a POST body). They count towards the head's size.
HeadError HeadReader::skip_leading_empty_lines() {
    while (pos_ < buf_.size()) {
        if (buf_[pos_] == '\n')
            return HeadError::bad_line_ending;
        if (buf_[pos_] != '\r' || pos_ + 1 == buf_.size())
            return HeadError::none;
        if (buf_[pos_ + 1] != '\n')
            return HeadError::bad_line_ending;
        pos_ += 2;
    }
    return HeadError::none;
}

ParseOutcome HeadReader::read_fields() {
    while (true) {
        const Line line = scan_line(buf_, pos_);
        if (line.end == LineEnd::bad)
            return fail(HeadError::bad_line_ending);
        if (line.end == LineEnd::crlf && line.text.empty())
            return finish(line.next);
        const bool partial = line.end == LineEnd::partial;
        HeaderField field;
        HeadError error = check_field_line(line.text, partial, field);
        if (error == HeadError::none && !partial)
            error = add_field(field);
        if (error != HeadError::none)
            return fail(error);
        if (partial)
            return more();
        pos_ = line.next;
    }
}

HeadError HeadReader::add_field(const HeaderField& field) {
    const std::size_t max = std::min(limits_.max_headers, RequestHead::kMaxFields);
    if (head_.field_count >= max)
        return HeadError::too_many_headers;
    head_.fields[head_.field_count++] = field;
    return interpret_field(field);
}

HeadError HeadReader::interpret_field(const HeaderField& field) {
    if (equals_ignoring_case(field.name, "content-length"))
        return note_content_length(field.value);
    if (equals_ignoring_case(field.name, "host"))
        return note_host(field.value);
    if (equals_ignoring_case(field.name, "transfer-encoding"))
        note_transfer_codings(field.value, codings_);
    if (equals_ignoring_case(field.name, "connection"))
        note_connection(field.value);
    if (equals_ignoring_case(field.name, "expect"))
        head_.expect_continue = equals_ignoring_case(field.value, "100-continue");
    return HeadError::none;
}

// RFC 9110 8.6: "5, 5" or two lines of "5" may be taken as one 5; any difference is an attack
// or a broken intermediary, and the body length would be ambiguous.
HeadError HeadReader::note_content_length(std::string_view value) {
    HeadError error = HeadError::none;
    for_each_element(value, [&](std::string_view element) {
        std::uint64_t length = 0;
        if (error != HeadError::none)
            return;
        if (!parse_decimal(element, length)) {
            error = HeadError::bad_content_length;
        } else if (head_.content_length && *head_.content_length != length) {
            error = HeadError::conflicting_content_length;
        } else {
            head_.content_length = length;
        }
    });
    return error;
}

// RFC 9112 3.2: more than one Host, or an invalid one, is a 400.
HeadError HeadReader::note_host(std::string_view value) {
    if (head_.host)
        return HeadError::duplicate_host;
    if (!is_valid_authority(value))
        return HeadError::bad_host;
    head_.host = value;
    return HeadError::none;
}

void HeadReader::note_connection(std::string_view value) {
    for_each_element(value, [&](std::string_view option) {
        if (equals_ignoring_case(option, "close"))
            head_.connection_close = true;
        if (equals_ignoring_case(option, "keep-alive"))
            head_.connection_keep_alive = true;
    });
}

// Checks that need the whole head: Host presence and the message framing (RFC 9112 6.1, 6.3).
ParseOutcome HeadReader::finish(std::size_t consumed) {
    if (head_.version_minor == 1 && !head_.host)
        return fail(HeadError::missing_host);
    if (codings_.present) {
        if (head_.content_length)
            return fail(HeadError::conflicting_framing);
        // An HTTP/1.0 message with Transfer-Encoding has faulty framing (RFC 9112 6.1).
        if (head_.version_minor == 0)
            return fail(HeadError::bad_transfer_encoding);
        if (HeadError error = judge_transfer_codings(codings_); error != HeadError::none) {
            return fail(error);
        }
        head_.chunked = true;
    }
    return {ParseStatus::complete, HeadError::none, consumed};
}

}  // namespace

int http_status_for(HeadError error) {
    switch (error) {
        case HeadError::none:
            return 200;
        case HeadError::target_too_long:
            return 414;
        case HeadError::head_too_large:
        case HeadError::too_many_headers:
            return 431;
        case HeadError::unsupported_version:
            return 505;
        case HeadError::unsupported_transfer_coding:
            return 501;
        default:
            return 400;
    }
}

std::string_view describe(HeadError error) {
    static constexpr std::string_view texts[] = {
        "no error",
        "malformed request line",
        "method is not a token",
        "forbidden byte or impossible form in request target",
        "request target too long",
        "malformed HTTP version",
        "unsupported HTTP version",
        "bare CR or bare LF line ending",
        "invalid header field name",
        "control character in header field value",
        "obsolete line folding",
        "request head too large",
        "too many header fields",
        "HTTP/1.1 request without Host",
        "more than one Host field",
        "invalid Host",
        "invalid Content-Length",
        "conflicting Content-Length values",
        "both Transfer-Encoding and Content-Length",
        "chunked is not the single final transfer coding",
        "unsupported transfer coding",
    };
    static_assert(std::size(texts) ==
                  static_cast<std::size_t>(HeadError::unsupported_transfer_coding) + 1);
    const auto index = static_cast<std::size_t>(error);
    return index < std::size(texts) ? texts[index] : "unknown error";
}

std::optional<std::string_view> RequestHead::field(std::string_view name) const {
    for (std::size_t i = 0; i < field_count; ++i) {
        if (equals_ignoring_case(fields[i].name, name))
            return fields[i].value;
    }
    return std::nullopt;
}

std::optional<std::string_view> RequestHead::routing_authority() const {
    if (target_form == TargetForm::absolute)
        return target_authority;
    return host;
}

bool RequestHead::keep_alive() const {
    if (connection_close)
        return false;
    return version_minor >= 1 || connection_keep_alive;
}

// The window is cut at max_head_bytes: a head that does not end inside it is too large, and no
// byte past it is ever looked at.
ParseOutcome parse_request_head(std::span<const std::byte> input, const HeadLimits& limits,
                                RequestHead& head) {
    head = RequestHead{};
    const std::string_view all(reinterpret_cast<const char*>(input.data()), input.size());
    HeadReader reader(all.substr(0, limits.max_head_bytes), limits, head);
    const ParseOutcome outcome = reader.run();
    if (outcome.status == ParseStatus::need_more && all.size() > limits.max_head_bytes) {
        return {ParseStatus::error, HeadError::head_too_large, 0};
    }
    return outcome;
}

}  // namespace bulkhead::proto
