#include "base/read_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.hpp"

namespace bulkhead {

int read_file(const std::string& path, std::string& text, std::size_t limit) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return errno;
    char buffer[65536];
    for (;;) {
        ssize_t got = read(fd.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? errno : 0;
        if (text.size() + static_cast<std::size_t>(got) > limit)
            return EFBIG;
        text.append(buffer, static_cast<std::size_t>(got));
    }
}

}  // namespace bulkhead
