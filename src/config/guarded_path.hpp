#pragma once
// Whether anyone but root could change what a path names. The master opens a site's TLS key as
// root and gives it to that site's workers: if a site's user could swap a directory, a symlink
// or the file itself along the way (say, for a symlink to another site's key), root would open
// the other site's key for it. Every component of the path as written and of the file it
// resolves to must therefore be changeable by root alone (or by the user running the check,
// so an administrator can `check` files of their own).

#include <sys/types.h>
#include <optional>
#include <string>

namespace bulkhead::config {

// The first component someone else could change, described ("/srv/alpha/tls is owned by uid
// 40101"), or nothing when the whole path is guarded. A sticky world-writable directory
// (/var/tmp) is accepted: there only an entry's owner may replace it. A missing component is
// not reported here (reading the file says so).
std::optional<std::string> unguarded_component(const std::string& path, uid_t trusted_uid);

}  // namespace bulkhead::config
