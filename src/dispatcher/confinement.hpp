#pragma once
// The dispatcher's confinement policy: tighter than a worker's, because it faces every client
// and needs no file at all.

#include <string>

#include "base/expected.hpp"
#include "dispatcher/intake.hpp"

namespace bulkhead::dispatcher {

// Chroot into the empty jail, drop to server.user, clear every capability; verified after.
// Returns what failed; the caller exits.
Expected<void, std::string> confine_dispatcher(const Intake& intake);

}  // namespace bulkhead::dispatcher
