// Step 8: Landlock. The role keeps access to its own paths and to the read-only system paths a
// program needs to run; nothing else, even where Unix permissions would allow it (another
// site's world-readable files). Best effort by ABI: each right the kernel does not know is
// dropped from the ruleset, one ABI level at a time, and the caller logs what was dropped
// (landlock_downgrades). A plan that requires the full set refuses instead.
//
// The constants are spelled out here because Debian 12's kernel headers stop at ABI 2.

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "base/unique_fd.hpp"
#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

struct RulesetAttr {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;  // ABI 4
    std::uint64_t scoped;              // ABI 6
};

struct PathBeneathAttr {
    std::uint64_t allowed_access;
    std::int32_t parent_fd;
} __attribute__((packed));

struct NetPortAttr {
    std::uint64_t allowed_access;
    std::uint64_t port;
};

constexpr std::uint32_t kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;
constexpr int kRuleNetPort = 2;

enum : std::uint64_t {
    kExecute = 1ULL << 0,
    kWriteFile = 1ULL << 1,
    kReadFile = 1ULL << 2,
    kReadDir = 1ULL << 3,
    kRemoveDir = 1ULL << 4,
    kRemoveFile = 1ULL << 5,
    kMakeChar = 1ULL << 6,
    kMakeDir = 1ULL << 7,
    kMakeReg = 1ULL << 8,
    kMakeSock = 1ULL << 9,
    kMakeFifo = 1ULL << 10,
    kMakeBlock = 1ULL << 11,
    kMakeSym = 1ULL << 12,
    kRefer = 1ULL << 13,     // ABI 2
    kTruncate = 1ULL << 14,  // ABI 3
    kIoctlDev = 1ULL << 15,  // ABI 5
};
constexpr std::uint64_t kNetBindTcp = 1ULL << 0;     // ABI 4
constexpr std::uint64_t kNetConnectTcp = 1ULL << 1;  // ABI 4
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;        // ABI 6

constexpr std::uint64_t kAbi1Fs = (1ULL << 13) - 1;

std::uint64_t fs_rights_for(int abi) {
    std::uint64_t rights = kAbi1Fs;
    if (abi >= 2) rights |= kRefer;
    if (abi >= 3) rights |= kTruncate;
    if (abi >= 5) rights |= kIoctlDev;
    return rights;
}

constexpr std::uint64_t kRead = kReadFile | kReadDir;
constexpr std::uint64_t kReadExecute = kRead | kExecute;
constexpr std::uint64_t kReadWrite = kRead | kWriteFile | kRemoveDir | kRemoveFile | kMakeDir |
                                     kMakeReg | kMakeSock | kMakeFifo | kMakeSym | kRefer | kTruncate;
constexpr std::uint64_t kDevice = kReadFile | kWriteFile | kIoctlDev | kTruncate;

StepResult add_path(int ruleset, const std::string& path, std::uint64_t rights, std::uint64_t handled) {
    UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) return {};  // a path absent on this host grants nothing; not an error
    PathBeneathAttr rule{rights & handled, fd.get()};
    struct stat info {};
    if (fstat(fd.get(), &info) == 0 && !S_ISDIR(info.st_mode)) {
        // Rights that only make sense for directories are refused on files.
        rule.allowed_access &= kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
    }
    if (syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0) != 0) {
        return unexpected(StepError{errno_message("landlock_add_rule(" + path + ")")});
    }
    return {};
}

StepResult add_paths(int ruleset, const LandlockPlan& plan, std::uint64_t handled) {
    const std::pair<const std::vector<std::string>*, std::uint64_t> groups[] = {
        {&plan.read_execute, kReadExecute}, {&plan.read_only, kRead},
        {&plan.read_write, kReadWrite | kReadExecute}, {&plan.devices, kDevice}};
    for (auto [paths, rights] : groups) {
        for (const std::string& path : *paths) {
            if (auto added = add_path(ruleset, path, rights, handled); !added) return added;
        }
    }
    return {};
}

StepResult add_ports(int ruleset, const LandlockPlan& plan) {
    for (std::uint16_t port : plan.tcp_connect_ports) {
        NetPortAttr rule{kNetConnectTcp, port};
        if (syscall(SYS_landlock_add_rule, ruleset, kRuleNetPort, &rule, 0) != 0) {
            return unexpected(StepError{errno_message("landlock_add_rule(port " + std::to_string(port) + ")")});
        }
    }
    return {};
}

}  // namespace

int landlock_abi() {
    long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
    return abi < 0 ? 0 : static_cast<int>(abi);
}

std::string landlock_downgrades(int abi, const LandlockPlan& plan) {
    std::string dropped;
    if (abi == 0) return "Landlock is not available: file access is confined by Unix permissions only";
    if (abi < 2) dropped += " refer";
    if (abi < 3) dropped += " truncate";
    if (abi < 4 && plan.restrict_tcp) dropped += " tcp-port-rules";
    if (abi < 5) dropped += " ioctl-on-devices";
    if (abi < 6 && plan.scope_signals_and_sockets) dropped += " signal-and-abstract-socket-scoping";
    return dropped.empty() ? "" : "Landlock ABI " + std::to_string(abi) + " lacks:" + dropped;
}

StepResult apply_landlock(const Plan& plan) {
    const LandlockPlan& landlock = plan.landlock;
    if (!landlock.enabled) return {};
    int abi = landlock_abi();
    if (landlock.require_full && !landlock_downgrades(abi, landlock).empty()) {
        return unexpected(StepError{"the configuration requires " + landlock_downgrades(abi, landlock)});
    }
    if (abi == 0) return {};  // degraded; the caller has logged landlock_downgrades()
    RulesetAttr attr{fs_rights_for(abi), 0, 0};
    if (abi >= 4 && landlock.restrict_tcp) attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
    if (abi >= 6 && landlock.scope_signals_and_sockets) attr.scoped = kScopeAbstractUnix | kScopeSignal;
    std::size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 16 : 8;
    UniqueFd ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
    if (!ruleset) return unexpected(StepError{errno_message("landlock_create_ruleset")});
    if (auto added = add_paths(ruleset.get(), landlock, attr.handled_access_fs); !added) return added;
    if (attr.handled_access_net != 0) {
        if (auto added = add_ports(ruleset.get(), landlock); !added) return added;
    }
    // Landlock needs no_new_privs; the capabilities step has set it already.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return unexpected(StepError{errno_message("PR_SET_NO_NEW_PRIVS")});
    if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
        return unexpected(StepError{errno_message("landlock_restrict_self")});
    }
    return {};
}

}  // namespace bulkhead::confine
