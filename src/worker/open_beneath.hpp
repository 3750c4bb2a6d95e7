#pragma once
// Opening a file beneath a directory descriptor so that nothing in the path — "..", an
// absolute or escaping symlink, a /proc magic link — can reach outside it.

#include <sys/stat.h>

#include "base/unique_fd.hpp"

namespace bulkhead::worker {

struct OpenedFile {
    UniqueFd fd;          // valid on success
    struct stat info {};  // fstat of `fd` on success
    int error = 0;        // errno on failure
};

enum class OpenMode {
    // O_RDONLY | O_NONBLOCK | O_NOCTTY: content to send. O_NONBLOCK keeps a FIFO from blocking
    // the worker, O_NOCTTY keeps a terminal device from becoming ours.
    read,
    // O_PATH | O_DIRECTORY: a directory to look up index files in. Needs only search permission,
    // so a mode-0711 directory still serves its index; anything else fails with ENOTDIR.
    directory,
    // O_PATH: whatever is there, only to stat it (is a script a regular file?).
    path,
};

// openat2(dir_fd, path, mode's flags | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), then
// fstat. `path` is relative ("." for the directory itself). Symlinks that stay beneath
// `dir_fd` are followed; one that leaves it fails with EXDEV.
OpenedFile open_beneath(int dir_fd, const char* path, OpenMode mode);

}  // namespace bulkhead::worker
