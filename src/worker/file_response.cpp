#include "worker/file_response.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "proto/byte_range.hpp"
#include "worker/conditional.hpp"

namespace bulkhead::worker {
namespace {

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

ResponsePlan file_plan(int status, std::string headers, SharedFile file, std::uint64_t offset,
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

ResponsePlan respond_with_file(const proto::RequestHead& head, SharedFile file) {
    Validators validators{file->entity_tag, file->last_modified};
    const std::string& validator_headers = file->validator_headers;
    switch (evaluate_preconditions(head, validators)) {
        case Precondition::failed:
            return error_response(412);
        case Precondition::not_modified:
            return not_modified(validator_headers);
        case Precondition::proceed:
            break;
    }

    auto size = static_cast<std::uint64_t>(file->info.st_size);
    std::string headers = "Content-Type: " + file->content_type + "\r\n" + validator_headers +
                          "Accept-Ranges: bytes\r\n";
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
