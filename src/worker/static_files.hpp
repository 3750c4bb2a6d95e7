#pragma once
// Static files beneath the site's document root: GET and HEAD, index files, 301 for a
// directory named without its trailing slash, 403/404, Content-Type, Last-Modified and ETag,
// conditional requests (If-None-Match, If-Modified-Since → 304; If-Match,
// If-Unmodified-Since → 412), single byte ranges (206, 416; If-Range).
//
// Every file is opened relative to the root directory descriptor with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), after the path has been normalized, so
// neither "..", encoded "..", NUL nor a symlink can leave the root. Regular files found are
// kept in the worker's FileCache (see there for how fresh it stays).

#include <string>
#include <vector>

#include "proto/http_head.hpp"
#include "worker/file_cache.hpp"
#include "worker/mime_types.hpp"
#include "worker/response_plan.hpp"

namespace bulkhead::worker {

class StaticFiles {
  public:
    // `root_fd`: an O_PATH|O_DIRECTORY descriptor of the document root, owned by the caller;
    // `cache` too (the worker loop sweeps it).
    StaticFiles(int root_fd, std::vector<std::string> index_files, const MimeTypes& mime_types,
                FileCache& cache);

    // Methods other than GET and HEAD get 405 with "Allow: GET, HEAD".
    ResponsePlan serve(const proto::RequestHead& head) const;

  private:
    int root_fd_;
    std::vector<std::string> index_files_;
    const MimeTypes& mime_types_;
    FileCache& cache_;
};

}  // namespace bulkhead::worker
