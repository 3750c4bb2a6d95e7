#pragma once
// Starting a site's program (a CGI script, a FastCGI application) from the worker. The child
// inherits the worker's confinement as it is (uid, Landlock, seccomp, cgroup, mount namespace)
// and nothing else: descriptors 0-2 as given, every other descriptor closed on exec, an
// environment made only of `environment`, no blocked signals, its own process group (so a
// timeout can kill everything it started), and death when the worker dies (PR_SET_PDEATHSIG).

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/expected.hpp"

namespace bulkhead::worker {

struct SpawnPlan {
    std::string program;                   // absolute path to execute
    std::vector<std::string> arguments;    // argv, argv[0] first
    std::vector<std::string> environment;  // "NAME=value" each, and nothing else
    std::string directory;                 // working directory; "" keeps the worker's
    int stdin_fd = -1;                     // placed at 0, 1 and 2 in the child
    int stdout_fd = -1;
    int stderr_fd = -1;
};

// The child's process id (also its process group id), or the errno of a failed fork or exec
// (EACCES, ENOENT, ENOEXEC, EAGAIN, ...). Blocks only until the child has executed.
Expected<pid_t, int> spawn(const SpawnPlan& plan);

// SIGKILL to the process group a spawned child leads (it and everything it started that did
// not leave the group). Safe only while the leader is not yet reaped.
void kill_group(pid_t leader);

}  // namespace bulkhead::worker
