#include "worker/exchange.hpp"

#include <algorithm>

namespace bulkhead::worker {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        return lower(x) == lower(y);
    });
}

}  // namespace

std::vector<proto::HeaderField> Request::field_views() const {
    std::vector<proto::HeaderField> views;
    views.reserve(fields.size());
    for (const auto& [name, value] : fields)
        views.push_back({name, value});
    return views;
}

const std::string* Request::field(std::string_view name) const {
    for (const auto& entry : fields) {
        if (iequals(entry.first, name))
            return &entry.second;
    }
    return nullptr;
}

}  // namespace bulkhead::worker
