#pragma once
// How the master gives a standby worker a site: the descriptors a freshly started worker would
// have inherited, then the part of its confinement plan that the standby applies itself
// (ipc/master_worker.hpp: StandbyDescriptorMessage × 3, StandbyCgroup…, StandbyPlan).
// worker/standby_assignment.hpp reads it back; tests/unit/master/standby_assignment_test.cpp
// checks that a plan survives the trip whole.

#include "confine/step.hpp"
#include "master/role_plans.hpp"

namespace bulkhead::master {

// `plan` is a worker's (worker_spawn_request), `descriptors` the ones it was built from. False
// if the plan cannot be expressed in the messages or a send failed (errno says why).
bool send_standby_assignment(int channel, const confine::Plan& plan,
                             const RoleDescriptors& descriptors);

}  // namespace bulkhead::master
