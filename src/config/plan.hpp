#pragma once
// The resolved plan that `bulkhead check` prints: sites, names, users, paths, limits.

#include <string>

#include "config/model.hpp"

namespace bulkhead::config {

std::string describe_plan(const Config& config);

}  // namespace bulkhead::config
