#include <errno.h>

#include "base/log.hpp"
#include "confine/step.hpp"

namespace bulkhead::confine {

Expected<void, RunFailure> run_steps(std::span<const Step> steps, const Plan& plan) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        StepResult result = steps[i].apply(plan);
        if (!result) return unexpected(RunFailure{i, steps[i].name, result.error()});
    }
    return {};
}

std::string errno_message(const std::string& call) {
    return call + ": " + log::errno_text(errno);
}

}  // namespace bulkhead::confine
