#pragma once
// The resolved plan that `bulkhead check` prints: sites, names, users, paths, limits.

#include <cstdint>
#include <string>

#include "config/model.hpp"

namespace bulkhead::config {

std::string describe_plan(const Config& config);

// The shortest exact spelling in the configuration's units: 65536 → "64K", 1500 → "1500";
// 10000 ms → "10s", 250 → "250ms", 300000 → "5m".
std::string format_size(std::uint64_t bytes);
std::string format_duration_ms(std::uint64_t milliseconds);

}  // namespace bulkhead::config
