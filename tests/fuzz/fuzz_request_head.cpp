// Parses the input as an HTTP/1.x request head with small limits (so the fuzzer reaches them)
// and checks the parser's promises: views inside the input, a complete head ends in CRLF CRLF
// within the limits, its routing authority normalizes, and the verdict is consistent across
// prefixes (need_more for every strict prefix of a complete head, never complete for a prefix
// of a refused one).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "proto/byte_range.hpp"
#include "proto/host.hpp"
#include "proto/http_head.hpp"
#include "proto/path.hpp"

namespace {

using namespace bulkhead::proto;

constexpr HeadLimits kLimits{.max_head_bytes = 1024, .max_target_bytes = 256, .max_headers = 16};

void require(bool condition) {
    if (!condition)
        std::abort();
}

bool inside(std::string_view view, std::string_view input) {
    if (view.empty())
        return true;
    return view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size();
}

void check_views(const RequestHead& head, std::string_view input) {
    require(inside(head.method, input));
    require(inside(head.target, input));
    require(inside(head.target_authority, input));
    require(inside(head.path_and_query, input));
    if (head.host)
        require(inside(*head.host, input));
    for (std::size_t i = 0; i < head.field_count; ++i) {
        require(!head.fields[i].name.empty());
        require(inside(head.fields[i].name, input));
        require(inside(head.fields[i].value, input));
    }
}

// Every field value doubles as a Range value: evaluate_range sees hostile bytes too.
void check_range_fields(const RequestHead& head, std::uint64_t size) {
    for (std::size_t i = 0; i < head.field_count; ++i) {
        for (const std::uint64_t representation : {std::uint64_t{0}, size}) {
            const RangeResult range = evaluate_range(head.fields[i].value, representation);
            if (range.verdict != RangeVerdict::satisfiable)
                continue;
            require(range.first <= range.last && range.last < representation);
        }
    }
}

void check_complete(const RequestHead& head, const ParseOutcome& outcome, std::string_view input) {
    require(outcome.consumed >= 4 && outcome.consumed <= input.size());
    require(outcome.consumed <= kLimits.max_head_bytes);
    require(input.substr(outcome.consumed - 4, 4) == "\r\n\r\n");
    const std::string_view head_bytes = input.substr(0, outcome.consumed);
    check_views(head, head_bytes);
    require(!head.method.empty() && !head.target.empty());
    require(head.version_minor == 0 || head.version_minor == 1);
    require(head.field_count <= kLimits.max_headers);
    require(head.version_minor == 0 || head.host.has_value());
    require(!(head.chunked && head.content_length.has_value()));
    if (const auto authority = head.routing_authority()) {
        const auto normalized = normalize_host(*authority);
        require(normalized.has_value() && is_valid_host_pattern(*normalized));
    }
    const SplitTarget split = split_target(head.path_and_query);
    (void)normalize_path(split.path);
    (void)head.keep_alive();
    (void)head.field("host");
    check_range_fields(head, outcome.consumed);
}

ParseOutcome parse(std::string_view text, RequestHead& head) {
    return parse_request_head(as_bytes(text), kLimits, head);
}

// Writing the parsed head out again in canonical form ("Name: value", one space) and parsing
// that must give the same meaning: nothing was lost or invented by trimming and splitting.
void check_rebuilt(const RequestHead& head) {
    static RequestHead again;
    std::string text = std::string(head.method) + " " + std::string(head.target) + " HTTP/1." +
                       std::to_string(head.version_minor) + "\r\n";
    for (std::size_t i = 0; i < head.field_count; ++i) {
        text +=
            std::string(head.fields[i].name) + ": " + std::string(head.fields[i].value) + "\r\n";
    }
    text += "\r\n";
    HeadLimits roomy = kLimits;
    roomy.max_head_bytes = 4 * kLimits.max_head_bytes;
    const ParseOutcome outcome = parse_request_head(as_bytes(text), roomy, again);
    require(outcome.status == ParseStatus::complete && outcome.consumed == text.size());
    require(again.field_count == head.field_count && again.target_form == head.target_form);
    require(again.content_length == head.content_length && again.chunked == head.chunked);
    require(again.host == head.host && again.routing_authority() == head.routing_authority());
    require(again.path_and_query == head.path_and_query);
    require(again.keep_alive() == head.keep_alive());
    require(again.expect_continue == head.expect_continue);
    for (std::size_t i = 0; i < head.field_count; ++i) {
        require(again.fields[i].name == head.fields[i].name);
        require(again.fields[i].value == head.fields[i].value);
    }
}

void check_prefix(std::string_view input, const ParseOutcome& whole, std::size_t length) {
    static RequestHead head;
    const ParseOutcome part = parse(input.substr(0, length), head);
    if (whole.status == ParseStatus::need_more)
        require(part.status == ParseStatus::need_more);
    if (whole.status == ParseStatus::error)
        require(part.status != ParseStatus::complete);
    if (whole.status != ParseStatus::complete)
        return;
    if (length < whole.consumed) {
        require(part.status == ParseStatus::need_more);
    } else {
        require(part.status == ParseStatus::complete && part.consumed == whole.consumed);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static RequestHead head;  // large: keep it off the stack
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const ParseOutcome outcome = parse(input, head);
    switch (outcome.status) {
        case ParseStatus::complete:
            check_complete(head, outcome, input);
            check_rebuilt(head);
            break;
        case ParseStatus::need_more:
            require(size <= kLimits.max_head_bytes);
            break;
        case ParseStatus::error:
            require(outcome.error != HeadError::none && !describe(outcome.error).empty());
            require(http_status_for(outcome.error) >= 400 && http_status_for(outcome.error) < 600);
            break;
    }
    if (size > 0) {
        check_prefix(input, outcome, size - 1);
        check_prefix(input, outcome, size / 2);
        if (outcome.status == ParseStatus::complete)
            check_prefix(input, outcome, outcome.consumed);
    }
    return 0;
}
