#include "worker/response_plan.hpp"

#include <string_view>

#include "proto/status.hpp"

namespace bulkhead::worker {

ResponsePlan error_response(int status, std::string extra_headers) {
    std::string title = std::to_string(status);
    title += ' ';
    title += proto::reason_phrase(status);

    ResponsePlan plan;
    plan.status = status;
    plan.headers = "Content-Type: text/html; charset=utf-8\r\n" + std::move(extra_headers);
    plan.body = "<html><head><title>" + title + "</title></head><body><h1>" + title +
                "</h1></body></html>\n";
    plan.length = plan.body.size();
    return plan;
}

}  // namespace bulkhead::worker
