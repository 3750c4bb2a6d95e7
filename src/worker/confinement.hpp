#pragma once
// The worker's own confinement steps, applied after exec and before the first byte of input
// (DESIGN.md steps 8 and 9; step 7, SELinux, joins when it exists): Landlock and seccomp.

#include <string>

#include "base/expected.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

// Returns what failed; the worker then exits and the master backs off before a respawn.
Expected<void, std::string> confine_worker(const Site& site);

}  // namespace bulkhead::worker
