#include "worker/file_response.hpp"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "proto/byte_range.hpp"
#include "worker/conditional.hpp"
#include "worker/entity_tag.hpp"

namespace bulkhead::worker {
namespace {

// RFC 9110 8.8.2.1: never claim a modification later than now (a file with a future mtime).
time_t last_modified_of(const struct stat& info) {
    return std::min(info.st_mtim.tv_sec, time(nullptr));
}

// 304 repeats the validators so the cache can update what it stored; no body, no type.
ResponsePlan not_modified(std::string validator_headers) {
    ResponsePlan plan;
    plan.status = 304;
    plan.headers = std::move(validator_headers);
    plan.omit_body = true;
    return plan;
}

// Ranges apply to GET only, and only while If-Range (if sent) names this representation.
proto::RangeResult requested_range(const proto::RequestHead& head, const Validators& validators,
                                   std::uint64_t size) {
    if (head.method != "GET")
        return {};
    std::optional<std::string_view> range = head.field("Range");
    if (!range || !if_range_holds(head, validators))
        return {};
    return proto::evaluate_range(*range, size);
}

ResponsePlan file_plan(int status, std::string headers, UniqueFd file, std::uint64_t offset,
                       std::uint64_t length) {
    ResponsePlan plan;
    plan.status = status;
    plan.headers = std::move(headers);
    plan.file = std::move(file);
    plan.offset = offset;
    plan.length = length;
    return plan;
}

}  // namespace

ResponsePlan respond_with_file(const proto::RequestHead& head, UniqueFd file,
                               const struct stat& info, std::string_view content_type) {
    std::string tag = make_entity_tag(info);
    Validators validators{tag, last_modified_of(info)};
    std::string validator_headers =
        "ETag: " + tag + "\r\nLast-Modified: " + format_http_date(validators.last_modified) +
        "\r\n";
    switch (evaluate_preconditions(head, validators)) {
        case Precondition::failed:
            return error_response(412);
        case Precondition::not_modified:
            return not_modified(std::move(validator_headers));
        case Precondition::proceed:
            break;
    }

    auto size = static_cast<std::uint64_t>(info.st_size);
    std::string headers = "Content-Type: " + std::string(content_type) + "\r\n" +
                          validator_headers + "Accept-Ranges: bytes\r\n";
    proto::RangeResult range = requested_range(head, validators, size);
    std::string size_text = std::to_string(size);
    switch (range.verdict) {
        case proto::RangeVerdict::unsatisfiable:
            return error_response(416, "Content-Range: bytes */" + size_text + "\r\n");
        case proto::RangeVerdict::satisfiable:
            headers += "Content-Range: bytes " + std::to_string(range.first) + "-" +
                       std::to_string(range.last) + "/" + size_text + "\r\n";
            return file_plan(206, std::move(headers), std::move(file), range.first,
                             range.last - range.first + 1);
        case proto::RangeVerdict::ignore:
            break;
    }
    return file_plan(200, std::move(headers), std::move(file), 0, size);
}

}  // namespace bulkhead::worker
