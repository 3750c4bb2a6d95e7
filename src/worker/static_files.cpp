#include "worker/static_files.hpp"

#include <errno.h>
#include <sys/stat.h>

#include <utility>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "proto/path.hpp"
#include "worker/file_response.hpp"
#include "worker/open_beneath.hpp"

namespace bulkhead::worker {
namespace {

// The path is the client's, percent-decoded: it may hold line breaks and escape sequences that
// must not reach the log as such.
std::string printable(std::string_view path) {
    std::string out(path);
    for (char& c : out) {
        if (c < 0x20 || c > 0x7e)
            c = '?';
    }
    return out;
}

// Why an open failed decides what the client may learn: nothing beyond "not here" for a
// path that does not exist or leaves the root, "forbidden" where permissions say so, and
// "try again" where the worker ran short of something.
ResponsePlan error_for_open(int error, std::string_view path) {
    switch (error) {
        case ENOENT:
        case ENOTDIR:
        case ELOOP:  // a symlink loop, or a magic link
        case EXDEV:  // a symlink that leaves the root: do not say so
        case ENAMETOOLONG:
            return error_response(404);
        case EACCES:
        case EPERM:
        case ENXIO:  // a socket or a device without a driver
        case ENODEV:
            return error_response(403);
        case EINVAL:
        case E2BIG:
        case ENOSYS:  // a kernel without openat2: nothing a retry would change
            log::error("static file /", printable(path), ": ", log::errno_text(error));
            return error_response(500);
        default:  // EMFILE, ENFILE, ENOMEM, EAGAIN, EIO, ...
            log::warning("static file /", printable(path), ": ", log::errno_text(error));
            return error_response(503, "Retry-After: 1\r\n");
    }
}

bool is_pchar_or_slash(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
}

std::string percent_encode_path(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : path) {
        if (is_pchar_or_slash(c)) {
            out += c;
        } else {
            auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        }
    }
    return out;
}

// Only visible ASCII may go into a header line; the parser already ensures this for targets,
// the check keeps a header injection impossible even if it did not.
bool is_visible_ascii(std::string_view text) {
    for (char c : text) {
        if (c < 0x21 || c > 0x7e)
            return false;
    }
    return true;
}

// The path as the client sent it, plus '/', keeps its percent-encoding intact. A path starting
// with "//" (or "/\", which browsers read the same way) would be a network-path reference to
// another host: an open redirect. Then we spell the normalized path ourselves.
std::string directory_location(const proto::SplitTarget& target,
                               const proto::NormalizedPath& path) {
    std::string_view raw = target.path;
    bool raw_is_safe = is_visible_ascii(raw) && raw.starts_with('/') &&
                       !(raw.size() > 1 && (raw[1] == '/' || raw[1] == '\\'));
    std::string location =
        raw_is_safe ? std::string(raw) : "/" + percent_encode_path(path.relative);
    location += '/';
    if (target.has_query && is_visible_ascii(target.query)) {
        location += '?';
        location += target.query;
    }
    return location;
}

// What serve() needs of the StaticFiles object, for the helpers below.
struct Site {
    int root_fd;
    const std::vector<std::string>& index_files;
    const MimeTypes& mime_types;
    FileCache& cache;
    Millis now;
};

// The cache key of a path: the file's own path, or for a directory (its index) the path with
// a trailing '/' ("/" for the root). The two never collide: a file's path never ends in '/'.
std::string cache_key(const proto::NormalizedPath& path, bool directory) {
    return directory ? path.relative + "/" : path.relative;
}

ResponsePlan respond_and_keep(const Site& site, const proto::RequestHead& head,
                              const std::string& key, OpenedFile opened, std::string_view name) {
    SharedFile file =
        make_served_file(std::move(opened.fd), opened.info, site.mime_types.content_type(name));
    site.cache.insert(key, file, site.now);
    return respond_with_file(head, std::move(file));
}

// An index file that is missing or unreadable lets the next one be tried; running out of
// descriptors or memory does not.
bool try_next_index(int error) {
    return error == ENOENT || error == ENOTDIR || error == ELOOP || error == EXDEV ||
           error == EACCES || error == EPERM || error == ENXIO || error == ENODEV;
}

// The first index file that is a regular file; none is 403, the directory exists but we do
// not list it.
ResponsePlan serve_index(const Site& site, const proto::RequestHead& head, int directory_fd,
                         const proto::NormalizedPath& directory) {
    for (const std::string& name : site.index_files) {
        OpenedFile opened = open_beneath(directory_fd, name.c_str(), OpenMode::read);
        if (opened.fd && S_ISREG(opened.info.st_mode))
            return respond_and_keep(site, head, cache_key(directory, true), std::move(opened),
                                    name);
        if (!opened.fd && !try_next_index(opened.error))
            return error_for_open(opened.error, directory.relative);
    }
    return error_response(403);
}

ResponsePlan redirect_to_directory(const proto::SplitTarget& target,
                                   const proto::NormalizedPath& path) {
    return error_response(301, "Location: " + directory_location(target, path) + "\r\n");
}

// "/dir/" (and the root): a directory, or 404 — "/file.txt/" names a directory that is not
// there, and the kernel says so with ENOTDIR.
ResponsePlan serve_directory(const Site& site, const proto::RequestHead& head,
                             const proto::NormalizedPath& path) {
    if (SharedFile cached = site.cache.find(cache_key(path, true), site.now))
        return respond_with_file(head, std::move(cached));
    const char* relative = path.relative.empty() ? "." : path.relative.c_str();
    OpenedFile directory = open_beneath(site.root_fd, relative, OpenMode::directory);
    if (!directory.fd)
        return error_for_open(directory.error, path.relative);
    return serve_index(site, head, directory.fd.get(), path);
}

// "/name": a file to send, or a directory to redirect to "/name/" so that relative links in
// its index page resolve against the directory.
ResponsePlan serve_file(const Site& site, const proto::RequestHead& head,
                        const proto::SplitTarget& target, const proto::NormalizedPath& path) {
    std::string key = cache_key(path, false);
    if (SharedFile cached = site.cache.find(key, site.now))
        return respond_with_file(head, std::move(cached));
    OpenedFile opened = open_beneath(site.root_fd, path.relative.c_str(), OpenMode::read);
    // A directory we may search but not list (mode 0711) cannot be opened for reading.
    if (!opened.fd && opened.error == EACCES &&
        open_beneath(site.root_fd, path.relative.c_str(), OpenMode::directory).fd)
        return redirect_to_directory(target, path);
    if (!opened.fd)
        return error_for_open(opened.error, path.relative);
    if (S_ISDIR(opened.info.st_mode))
        return redirect_to_directory(target, path);
    // FIFOs, sockets and devices are never content.
    if (!S_ISREG(opened.info.st_mode))
        return error_response(403);
    return respond_and_keep(site, head, key, std::move(opened), path.relative);
}

ResponsePlan serve_path(const Site& site, const proto::RequestHead& head) {
    proto::SplitTarget target = proto::split_target(head.path_and_query);
    proto::PathOutcome normalized = proto::normalize_path(target.path);
    // "..", a bad escape or NUL is a malformed request, not a missing file.
    if (normalized.error != proto::PathError::none)
        return error_response(400);
    const proto::NormalizedPath& path = normalized.path;
    if (path.trailing_slash || path.relative.empty())
        return serve_directory(site, head, path);
    return serve_file(site, head, target, path);
}

}  // namespace

StaticFiles::StaticFiles(int root_fd, std::vector<std::string> index_files,
                         const MimeTypes& mime_types, FileCache& cache)
    : root_fd_(root_fd),
      index_files_(std::move(index_files)),
      mime_types_(mime_types),
      cache_(cache) {}

ResponsePlan StaticFiles::serve(const proto::RequestHead& head) const {
    bool is_head = head.method == "HEAD";
    if (!is_head && head.method != "GET")
        return error_response(405, "Allow: GET, HEAD\r\n");
    Site site{root_fd_, index_files_, mime_types_, cache_, monotonic_ms()};
    ResponsePlan plan = serve_path(site, head);
    if (is_head) {
        // Same status and headers as GET, no body: nothing to send, no descriptor to hold.
        plan.omit_body = true;
        plan.file.reset();
    }
    return plan;
}

}  // namespace bulkhead::worker
