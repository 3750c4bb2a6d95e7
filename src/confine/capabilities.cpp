// Step 6: no capability survives. The bounding set is emptied and the securebits locked while
// the process still holds CAP_SETPCAP (before the identity step); after it, every set is
// cleared, no_new_privs set and the process made non-dumpable.

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

int last_capability() {
    // CAP_LAST_CAP of the running kernel, which may know more than our headers.
    int last = CAP_LAST_CAP;
    while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
        ++last;
    return last;
}

// noroot: uid 0 gains no capabilities by exec; no_setuid_fixup: a uid change never adds
// any; keep_caps off; ambient raise forbidden. All locked, so no descendant can undo them.
constexpr unsigned long kSecureBits =
    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

}  // namespace

StepResult apply_bounding_set(const Plan&) {
    int last = last_capability();
    for (int capability = 0; capability <= last; ++capability) {
        if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0) {
            return unexpected(StepError{errno_message("PR_CAPBSET_DROP")});
        }
    }
    if (prctl(PR_SET_SECUREBITS, kSecureBits, 0, 0, 0) != 0) {
        return unexpected(StepError{errno_message("PR_SET_SECUREBITS")});
    }
    return {};
}

StepResult apply_capabilities(const Plan&) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
        return unexpected(StepError{errno_message("PR_CAP_AMBIENT_CLEAR_ALL")});
    }
    cap_t empty = cap_init();  // every set cleared
    if (empty == nullptr)
        return unexpected(StepError{errno_message("cap_init")});
    int result = cap_set_proc(empty);
    cap_free(empty);
    if (result != 0)
        return unexpected(StepError{errno_message("cap_set_proc")});
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return unexpected(StepError{errno_message("PR_SET_NO_NEW_PRIVS")});
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return unexpected(StepError{errno_message("PR_SET_DUMPABLE")});
    }
    return {};
}

}  // namespace bulkhead::confine
