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

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace bulkhead::confine {

struct DescriptorMove {
    int from = -1;  // a descriptor of the parent
    int to = -1;    // the fixed number the role expects it at (ipc/fd_numbers.hpp)
    bool close_on_exec = false;  // needed until exec only (the executable itself)
};

struct ResourceLimit {
    int resource = 0;  // RLIMIT_*
    rlim_t soft = 0;
    rlim_t hard = 0;
};

// File-system and network access a role keeps under Landlock (step 8).
struct LandlockPlan {
    bool enabled = false;
    std::vector<std::string> read_execute;  // read files and directories, execute programs
    std::vector<std::string> read_only;     // read files and directories
    std::vector<std::string> read_write;    // all of the above plus create, write, remove
    std::vector<std::string> devices;       // read and write existing files (/dev/null, …)
    bool restrict_tcp = false;              // ABI >= 4: only `tcp_connect_ports` may be dialled
    std::vector<std::uint16_t> tcp_connect_ports;
    bool scope_signals_and_sockets = true;  // ABI >= 6: no signals or abstract sockets out of the domain
    bool require_full = false;              // refuse rather than degrade on an old kernel
};

// Mount namespace (step 3): a private /tmp and a /proc that shows only the site's processes.
struct NamespacePlan {
    bool enabled = false;
    std::string private_tmp;  // bind-mounted over /tmp
    bool private_proc = true; // a fresh procfs with hidepid=invisible
};

// seccomp (step 9).
enum class SyscallPolicy { none, worker_denylist, dispatcher_allowlist };

struct Plan {
    std::string who;                       // "worker alpha", "dispatcher": for messages
    std::vector<DescriptorMove> descriptors;  // everything the role inherits; the rest is closed
    std::vector<ResourceLimit> limits;
    std::optional<int> nice;               // scheduling priority (setpriority); none: inherited
    std::string jail_dir;                  // chroot into this (dispatcher); empty: none
    uid_t uid = 0;                         // the identity to take; 0 is refused
    gid_t gid = 0;
    std::vector<gid_t> supplementary_groups;  // usually empty
    uid_t min_uid = 1;                     // ids below these are refused (server.min_site_*)
    gid_t min_gid = 1;
    std::vector<std::string> cgroup_procs;  // cgroup.procs files to join (step 2)
    NamespacePlan namespaces;
    LandlockPlan landlock;
    SyscallPolicy syscalls = SyscallPolicy::none;
    std::string selinux_context;            // step 7; empty: none
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
    std::size_t index = 0;  // of the failed step in the list
    const char* step = "";
    StepError error;
};
Expected<void, RunFailure> run_steps(std::span<const Step> steps, const Plan& plan);

// A process that fails step i of its list exits with kStepFailureExitBase + i, after writing
// the reason to its stderr, so that the master can name the step from the exit status alone.
inline constexpr int kStepFailureExitBase = 100;

// Steps 1–6 for a worker, in order (worker_steps.cpp).
std::span<const Step> worker_site_steps();

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
StepResult apply_cgroup(const Plan& plan);          // cgroup.cpp: join the site's cgroups
StepResult apply_namespaces(const Plan& plan);      // namespaces.cpp: private /tmp and /proc
StepResult apply_selinux(const Plan& plan);         // selinux.cpp
StepResult apply_landlock(const Plan& plan);        // landlock.cpp
StepResult apply_seccomp(const Plan& plan);         // seccomp.cpp

// Whether SELinux is enabled on this host (selinuxfs mounted), checked at run time.
bool selinux_enabled();

// The Landlock ABI the kernel offers (0: none), and what apply_landlock gave up on this kernel.
int landlock_abi();
std::string landlock_downgrades(int abi, const LandlockPlan& plan);

// After exec: everything the steps promised, read back from the kernel (works in a chroot
// without /proc). Returns what is wrong, if anything.
StepResult verify_unprivileged(uid_t uid, gid_t gid);

// verify_unprivileged(plan.uid, plan.gid) as a step.
StepResult apply_verification(const Plan& plan);

// Helpers for messages.
std::string errno_message(const std::string& call);

}  // namespace bulkhead::confine
