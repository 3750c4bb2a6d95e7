#include "worker/served_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/clock.hpp"
#include "worker/entity_tag.hpp"

namespace bulkhead::worker {
namespace {

// RFC 9110 8.8.2.1: never claim a modification later than now (a file with a future mtime).
time_t last_modified_of(const struct stat& info) {
    return std::min(info.st_mtim.tv_sec, time(nullptr));
}

bool same_time(const struct timespec& a, const struct timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

SharedFile make_served_file(UniqueFd fd, const struct stat& info, std::string_view content_type) {
    auto file = std::make_shared<ServedFile>();
    file->info = info;
    file->content_type = std::string(content_type);
    file->entity_tag = make_entity_tag(info);
    file->last_modified = last_modified_of(info);
    file->validator_headers = "ETag: " + file->entity_tag +
                              "\r\nLast-Modified: " + format_http_date(file->last_modified) +
                              "\r\n";
    auto size = static_cast<std::uint64_t>(info.st_size);
    if (size <= kInlineFileBytes) {
        std::string bytes(static_cast<std::size_t>(size), '\0');
        // One byte more than the size: a file that grew since fstat is not kept in memory.
        bytes.resize(bytes.size() + 1);
        ssize_t got = pread(fd.get(), bytes.data(), bytes.size(), 0);
        if (got == static_cast<ssize_t>(size)) {
            bytes.resize(static_cast<std::size_t>(size));
            file->content = std::move(bytes);
        }
    }
    file->fd = std::move(fd);
    return file;
}

ssize_t copy_file_bytes(const ServedFile& file, std::uint64_t offset, std::size_t length,
                        char* out) {
    if (!file.content)
        return pread(file.fd.get(), out, length, static_cast<off_t>(offset));
    const std::string& content = *file.content;
    if (offset >= content.size())
        return 0;
    std::size_t count = std::min<std::size_t>(length, content.size() - offset);
    std::memcpy(out, content.data() + offset, count);
    return static_cast<ssize_t>(count);
}

bool unchanged_since_open(const struct stat& opened, const struct stat& now) {
    return now.st_nlink > 0 && now.st_dev == opened.st_dev && now.st_ino == opened.st_ino &&
           now.st_mode == opened.st_mode && now.st_uid == opened.st_uid &&
           now.st_gid == opened.st_gid && now.st_size == opened.st_size &&
           same_time(now.st_mtim, opened.st_mtim) && same_time(now.st_ctim, opened.st_ctim);
}

}  // namespace bulkhead::worker
