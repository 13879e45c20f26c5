#include "controller/controller.h"

#include "kernel/sim_time.h"

namespace fusim {

Controller::Controller(sc_core::sc_module_name name, const ControllerSetup& setup,
                       std::vector<Core*> cores)
    : sc_module(name), setup_(setup), cores_(std::move(cores)), groups_(setup.group_count) {
  SC_HAS_PROCESS(Controller);
  SC_THREAD(run);
}

void Controller::run() {
  sc_core::sc_event_or_list any_core_finished;
  for (Core* c : cores_) any_core_finished |= c->finished_event();
  for (std::size_t e = 0; e < setup_.epochs.size(); ++e) {
    const ControllerEpoch& epoch = setup_.epochs[e];
    const std::size_t g = epoch.group;
    if (epoch.first) groups_[g].start = now_cycles();
    if (epoch.wait_cycles > 0) wait(cycles_to_time(static_cast<double>(epoch.wait_cycles)));
    for (Core* c : cores_) c->release(e);
    for (;;) {
      bool all = true;
      for (Core* c : cores_) all = all && c->remaining(e) == 0;
      if (all) break;
      wait(any_core_finished);
    }
    if (epoch.last) {
      groups_[g].end = now_cycles();
      finished_ = g + 1;
    }
  }
}

}  // namespace fusim
