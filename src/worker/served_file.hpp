#pragma once
// One regular file opened to be served, with what every response of it repeats: its type, its
// validators and, for a small file, its bytes. Read-only once made, and shared between the
// worker's file cache and the responses still sending it: evicting a cache entry never closes a
// descriptor a response is still reading.

#include <sys/stat.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/unique_fd.hpp"

namespace bulkhead::worker {

// Files up to this size go out in the same write as the response head, and their bytes are
// kept in memory with the descriptor.
inline constexpr std::uint64_t kInlineFileBytes = 16 * 1024;

struct ServedFile {
    UniqueFd fd;
    struct stat info {};                 // fstat of `fd` when it was opened
    std::string content_type;            // the Content-Type value
    std::string entity_tag;              // quoted, strong
    time_t last_modified = 0;            // mtime, never later than when the file was opened
    std::string validator_headers;       // "ETag: …\r\nLast-Modified: …\r\n"
    std::optional<std::string> content;  // the whole file, if small and read in one go
};

using SharedFile = std::shared_ptr<const ServedFile>;

// Reads a small file's bytes at once; a file that changes while being read keeps no copy and
// is read from the descriptor instead.
SharedFile make_served_file(UniqueFd fd, const struct stat& info, std::string_view content_type);

// Copies `length` bytes from `offset` into `out`, from memory or with pread. Returns the count
// copied, less than `length` if the file shrank, or -1 with errno set.
ssize_t copy_file_bytes(const ServedFile& file, std::uint64_t offset, std::size_t length,
                        char* out);

// Whether `now`, a fresh fstat of the same descriptor, shows the file as it was when opened:
// same inode, type, permissions, owner, size and times, and still linked. Anything else means
// the bytes, the length or the right to read them may have changed.
bool unchanged_since_open(const struct stat& opened, const struct stat& now);

}  // namespace bulkhead::worker
