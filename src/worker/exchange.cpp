#include "worker/exchange.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace bulkhead::worker {
std::vector<proto::HeaderField> Request::field_views() const {
    std::vector<proto::HeaderField> views;
    views.reserve(fields.size());
    for (const auto& [name, value] : fields)
        views.push_back({name, value});
    return views;
}

void Request::view_as_head(proto::RequestHead& head) const {
    head.method = method;
    head.target = target;
    head.target_form = target == "*" ? proto::TargetForm::asterisk : proto::TargetForm::origin;
    head.path_and_query = path_and_query;
    head.version_minor = version_minor;
    head.content_length = content_length;
    head.chunked = chunked;
    head.field_count = 0;
    for (const auto& [name, value] : fields) {
        if (head.field_count == proto::RequestHead::kMaxFields)
            break;
        head.fields[head.field_count++] = proto::HeaderField{name, value};
        if (equals_ignoring_case(name, "Host"))
            head.host = value;
    }
}

const std::string* Request::field(std::string_view name) const {
    for (const auto& entry : fields) {
        if (equals_ignoring_case(entry.first, name))
            return &entry.second;
    }
    return nullptr;
}

}  // namespace bulkhead::worker
