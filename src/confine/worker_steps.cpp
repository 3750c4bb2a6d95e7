// The steps that confine a worker to its site before it reads anything of the site (DESIGN.md,
// steps 1–6). One list for both ways a worker starts: the master's child runs it before exec,
// and a standby worker (executed ahead of need, still root) runs it itself when it is given a
// site. The worker applies Landlock and seccomp afterwards (worker/confinement.cpp).

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

constexpr Step kWorkerSteps[] = {
    {"descriptors", apply_descriptors},
    {"cgroup", apply_cgroup},
    {"namespaces", apply_namespaces},  // mounts need root: before identity
    {"resource limits", apply_resource_limits},
    {"bounding set", apply_bounding_set},  // needs CAP_SETPCAP: before identity
    {"identity", apply_identity},
    {"capabilities", apply_capabilities},
};

}  // namespace

std::span<const Step> worker_site_steps() {
    return kWorkerSteps;
}

}  // namespace bulkhead::confine
