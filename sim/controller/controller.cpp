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
  for (std::size_t g = 0; g < setup_.group_count; ++g) {
    groups_[g].start = now_cycles();
    if (setup_.group_has_work[g] && setup_.kernel_launch_cycles > 0) {
      wait(cycles_to_time(static_cast<double>(setup_.kernel_launch_cycles)));
    }
    for (Core* c : cores_) c->release(g);
    for (;;) {
      bool all = true;
      for (Core* c : cores_) all = all && c->remaining(g) == 0;
      if (all) break;
      wait(any_core_finished);
    }
    groups_[g].end = now_cycles();
    finished_ = g + 1;
  }
}

}  // namespace fusim
