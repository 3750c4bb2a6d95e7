// Step 9: seccomp. Two policies, each readable as data:
//  - workers (and everything a site runs): everything is allowed except the calls no site
//    needs and that widen the attack surface on the kernel or undo confinement; those fail
//    with EPERM, so a program that merely probes for them keeps working.
//  - the dispatcher: only the calls its loop makes; anything else kills it.

#include <errno.h>
#include <sched.h>
#include <seccomp.h>

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

// Calls to deny with EPERM in a site's processes. One line of reason per group.
constexpr const char* kSiteDenied[] = {
    // file systems and the mount table: a site gets its view from us and keeps it
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
    // namespaces: entering or creating one would escape the site's mount and /proc view
    "unshare", "setns",
    // debugging and reading other processes' memory (ptrace: see deny_list)
    "process_vm_readv", "process_vm_writev", "kcmp",
    // kernel attack surface no web application needs
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key", "lookup_dcookie",
    // modules, kexec, reboot, swap, accounting, clocks, raw I/O: host administration
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "iopl", "ioperm", "quotactl", "syslog", "vhangup", "nfsservctl", "uselib",
    // handles that bypass path-based checks
    "open_by_handle_at", "name_to_handle_at", "fanotify_init",
};

constexpr scmp_datum_t kNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,
                                            CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                            CLONE_NEWCGROUP, 0x00000080 /* CLONE_NEWTIME */};

// The dispatcher's whole vocabulary, and why.
constexpr const char* kDispatcherAllowed[] = {
    "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown", "close",  // its job
    "getsockopt", "getpeername", "getsockname",  // checking and naming handed-back sockets
    "epoll_create1", "epoll_wait", "epoll_pwait", "epoll_ctl",  // the loop
    "signalfd4", "read",                          // signals as events
    "write", "writev",                            // log lines on stderr
    "clock_gettime", "clock_nanosleep", "gettimeofday", "nanosleep",  // timeouts
    "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",  // the allocator
    "futex", "restart_syscall", "rt_sigreturn", "rt_sigprocmask", "getpid", "gettid",
    "exit", "exit_group", "fstat", "newfstatat", "lseek",  // stdio on exit
};

StepResult load(scmp_filter_ctx context) {
    int result = seccomp_load(context);
    seccomp_release(context);
    if (result != 0) return unexpected(StepError{"seccomp_load failed (" + std::to_string(-result) + ")"});
    return {};
}

StepResult deny_list() {
    scmp_filter_ctx context = seccomp_init(SCMP_ACT_ALLOW);
    if (context == nullptr) return unexpected(StepError{"seccomp_init failed"});
#if !defined(__SANITIZE_ADDRESS__)
    // Sanitizer builds only leave ptrace alone: LeakSanitizer stops the world with it at exit.
    // Tracing another site's process stays impossible there too (other uid, not dumpable).
    seccomp_rule_add(context, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0);
#endif
    for (const char* name : kSiteDenied) {
        int number = seccomp_syscall_resolve_name(name);
        if (number == __NR_SCMP_ERROR) continue;  // not on this architecture
        seccomp_rule_add(context, SCMP_ACT_ERRNO(EPERM), number, 0);
    }
    // clone with any namespace flag fails; clone3 hides its flags in memory that a filter
    // cannot read, so it reports ENOSYS and the C library falls back to clone.
    for (scmp_datum_t flag : kNamespaceFlags) {
        seccomp_rule_add(context, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    }
    seccomp_rule_add(context, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    return load(context);
}

StepResult allow_list() {
#if defined(__SANITIZE_ADDRESS__)
    // Sanitizer builds report errors with calls outside the list; fail them instead of killing.
    scmp_filter_ctx context = seccomp_init(SCMP_ACT_ERRNO(EPERM));
#else
    scmp_filter_ctx context = seccomp_init(SCMP_ACT_KILL_PROCESS);
#endif
    if (context == nullptr) return unexpected(StepError{"seccomp_init failed"});
    for (const char* name : kDispatcherAllowed) {
        int number = seccomp_syscall_resolve_name(name);
        if (number == __NR_SCMP_ERROR) continue;
        if (seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 0) != 0) {
            seccomp_release(context);
            return unexpected(StepError{std::string("seccomp_rule_add(") + name + ")"});
        }
    }
    return load(context);
}

}  // namespace

StepResult apply_seccomp(const Plan& plan) {
    switch (plan.syscalls) {
        case SyscallPolicy::none: return {};
        case SyscallPolicy::worker_denylist: return deny_list();
        case SyscallPolicy::dispatcher_allowlist: return allow_list();
    }
    return {};
}

}  // namespace bulkhead::confine
