#pragma once
// Fork, confine, exec: how every role starts (DESIGN.md, "Confinement steps"). The child runs
// the pre-exec steps while it is still the master's image, then executes the role's own
// executable, so the role starts with a fresh address space that holds nothing of the
// master's memory: no other site's configuration, no other site's key.

#include <sys/types.h>

#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "confine/step.hpp"

namespace bulkhead::master {

// A child that fails step i exits with its request's step_exit_base + i, after writing the
// reason to its stderr; a failed exec exits with kExecFailure. A standby's steps have a base
// of their own: the master may give a standby to a site while it is still starting, and a
// failure of its steps must not then be named with the worker's.
inline constexpr int kStepFailureBase = confine::kStepFailureExitBase;
inline constexpr int kStandbyStepFailureBase = 120;
inline constexpr int kExecFailure = 127;

struct SpawnRequest {
    std::string executable;    // absolute path of the role's executable, for messages
    int executable_fd = -1;    // O_PATH descriptor of it; placed at fds::kExecutable
    std::string process_name;  // argv[0], shown by ps: "bulkhead-worker"
    std::string argument;      // argv[1] if not empty: "standby"
    confine::Plan plan;
    std::span<const confine::Step> steps;  // pre-exec steps, in order
    int step_exit_base = kStepFailureBase;
};

// Returns the child's pid; the parent's descriptors are untouched.
Expected<pid_t, std::string> spawn_role(const SpawnRequest& request);

// A list of steps a process may have failed, and how its exit status numbers them.
struct StepList {
    std::span<const confine::Step> steps;
    int exit_base = kStepFailureBase;
    const char* what = "confinement step";  // "failed <what> 'identity'"
};

// "exited with status 3", "killed by signal 9 (Killed)", "failed confinement step 'identity'"
std::string describe_exit(int wait_status, std::initializer_list<StepList> step_lists);

}  // namespace bulkhead::master
