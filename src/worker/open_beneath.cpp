#include "worker/open_beneath.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bulkhead::worker {
namespace {

// The kernel answers EAGAIN when a concurrent rename could have let a symlink's ".." escape;
// a retry resolves the path afresh. A few tries, then the caller sees the error.
constexpr int kAttempts = 4;

int openat2_once(int dir_fd, const char* path, OpenMode mode) {
    struct open_how how {};
    switch (mode) {
        case OpenMode::read:
            how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
            break;
        case OpenMode::directory:
            how.flags = O_PATH | O_DIRECTORY;
            break;
        case OpenMode::path:
            how.flags = O_PATH;
            break;
    }
    how.flags |= O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(syscall(SYS_openat2, dir_fd, path, &how, sizeof how));
}

}  // namespace

OpenedFile open_beneath(int dir_fd, const char* path, OpenMode mode) {
    OpenedFile opened;
    int fd = -1;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        fd = openat2_once(dir_fd, path, mode);
        if (fd >= 0 || errno != EAGAIN)
            break;
    }
    if (fd < 0) {
        opened.error = errno;
        return opened;
    }
    opened.fd.reset(fd);
    if (fstat(fd, &opened.info) != 0) {
        opened.error = errno;
        opened.fd.reset();
    }
    return opened;
}

}  // namespace bulkhead::worker
