// The validated model's few behaviours.

#include "config/model.hpp"

#include "config/load.hpp"

namespace bulkhead::config {

const SiteConfig* Config::find_site(const std::string& name) const {
    for (const SiteConfig& site : sites) {
        if (site.name == name) {
            return &site;
        }
    }
    return nullptr;
}

std::string Problem::to_string() const {
    if (line == 0) {
        return file + ": " + message;
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace bulkhead::config
