#pragma once
// The fixed descriptor layout each role is exec'd with. The master's child arranges these
// with dup2 and closes everything else (confine/descriptors) before exec; the role's
// entry point checks they are what it expects. Everything else a role gets arrives later as
// a message with a descriptor attached.

namespace bulkhead::ipc::fds {

// Both roles: standard input is /dev/null, standard output too.
// Dispatcher: stderr is the server log.
inline constexpr int kDispatcherMaster = 3;  // master_dispatcher channel

// Worker: stderr is the site's error log (so its own diagnostics land with the site).
inline constexpr int kWorkerMaster = 3;      // master_worker channel
inline constexpr int kWorkerDispatcher = 4;  // dispatcher_worker channel (the worker's end)
inline constexpr int kWorkerAccessLog = 5;   // the site's access log, O_APPEND
inline constexpr int kWorkerErrorLog = 2;    // the site's error log (stderr)

// Both roles, until exec only: the role's executable, opened by the master at start-up and
// executed by descriptor, so it need not be reachable by path once the child has its own
// mount namespace (a build under /tmp, hidden by the site's private /tmp, still runs).
inline constexpr int kExecutable = 6;

// First descriptor a role may allocate for itself.
inline constexpr int kFirstFree = 7;

}  // namespace bulkhead::ipc::fds
