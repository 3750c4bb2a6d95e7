#pragma once
// Confinement as an ordered checklist (DESIGN.md, "Confinement steps"). Each step lives in its
// own file, reads its part of the plan, applies it and fails closed: an error means the process
// must not go on, and the caller exits with the step's name in the log.
//
// The master computes a Plan before it forks; the child (still root, still the master's image)
// runs the pre-exec steps and then executes the role's executable, which runs the post-exec
// steps itself before it reads any input.

#include <sys/resource.h>
#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace bulkhead::confine {

struct DescriptorMove {
    int from = -1;  // a descriptor of the parent
    int to = -1;    // the fixed number the role expects it at (ipc/fd_numbers.hpp)
};

struct ResourceLimit {
    int resource = 0;  // RLIMIT_*
    rlim_t soft = 0;
    rlim_t hard = 0;
};

struct Plan {
    std::string who;                       // "worker alpha", "dispatcher": for messages
    std::vector<DescriptorMove> descriptors;  // everything the role inherits; the rest is closed
    std::vector<ResourceLimit> limits;
    std::string jail_dir;                  // chroot into this (dispatcher); empty: none
    uid_t uid = 0;                         // the identity to take; 0 is refused
    gid_t gid = 0;
    std::vector<gid_t> supplementary_groups;  // usually empty
    uid_t min_uid = 1;                     // ids below these are refused (server.min_site_*)
    gid_t min_gid = 1;
};

struct StepError {
    std::string what;  // "setresuid(40101): Operation not permitted"
};

using StepResult = Expected<void, StepError>;

struct Step {
    const char* name;                       // "identity", "capabilities", …
    StepResult (*apply)(const Plan& plan);
};

// Runs the steps in order; stops at the first failure and says which step failed.
struct RunFailure {
    const char* step = "";
    StepError error;
};
Expected<void, RunFailure> run_steps(std::span<const Step> steps, const Plan& plan);

// The steps, one per file.
StepResult apply_descriptors(const Plan& plan);     // descriptors.cpp: layout, close the rest,
                                                    // reset signal dispositions and mask
StepResult apply_resource_limits(const Plan& plan); // resource_limits.cpp
StepResult apply_jail(const Plan& plan);            // jail.cpp: chroot into an empty directory
StepResult apply_bounding_set(const Plan& plan);    // capabilities.cpp: empty bounding set,
                                                    // lock securebits (needs root: before identity)
StepResult apply_identity(const Plan& plan);        // identity.cpp
StepResult apply_capabilities(const Plan& plan);    // capabilities.cpp: clear all sets, ambient,
                                                    // no_new_privs, not dumpable

// After exec: everything the steps promised, read back from the kernel (works in a chroot
// without /proc). Returns what is wrong, if anything.
StepResult verify_unprivileged(uid_t uid, gid_t gid);

// Helpers for messages.
std::string errno_message(const std::string& call);

}  // namespace bulkhead::confine
