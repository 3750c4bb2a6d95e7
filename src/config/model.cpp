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
    std::string text = warning ? "warning: " + message : message;
    if (line == 0) {
        return file + ": " + text;
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + text;
}

}  // namespace bulkhead::config
