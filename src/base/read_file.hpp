#pragma once
// A whole file into memory, for the configuration and the system tables a role reads once.

#include <cstddef>
#include <string>

namespace bulkhead {

// Appends the file at `path` to `text`. Returns 0, or an errno value: that of open or read, or
// EFBIG past `limit` bytes (what was read so far stays in `text`).
int read_file(const std::string& path, std::string& text, std::size_t limit);

}  // namespace bulkhead
