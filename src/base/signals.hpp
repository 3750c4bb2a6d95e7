#pragma once
// Signals as events: the listed signals are blocked and delivered through a signalfd that the
// role's event loop watches, so no handler ever runs in the middle of the loop's work.

#include <initializer_list>

#include "base/unique_fd.hpp"

namespace bulkhead {

// Blocks `signals` and returns a non-blocking, close-on-exec signalfd for them.
UniqueFd block_into_signalfd(std::initializer_list<int> signals);

// Reads one pending signal number from the signalfd, or 0 if none is pending.
int read_signal(int signal_fd);

}  // namespace bulkhead
