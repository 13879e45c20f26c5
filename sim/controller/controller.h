// The controller launches the Program's groups one after another: it waits the kernel launch
// overhead, releases the group on every core, and waits until every core has completed it; in a
// layerwise group, the same for each member after the barrier's cycles.
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "controller/group_stats.h"
#include "core/core.h"

namespace fusim {

// The cores' lists are cut into epochs by their syncs and barriers (Core::release): each group
// is one epoch, or one per member of a layerwise group.
struct ControllerEpoch {
  std::size_t group = 0;
  // Before the epoch: the kernel launch (a group's first epoch, when the group has work) or the
  // barrier's (the next member of a layerwise group).
  std::int64_t wait_cycles = 0;
  bool first = false, last = false;  // of its group
};

struct ControllerSetup {
  std::size_t group_count = 0;
  std::vector<ControllerEpoch> epochs;
};

class Controller : public sc_core::sc_module {
 public:
  Controller(sc_core::sc_module_name name, const ControllerSetup& setup,
             std::vector<Core*> cores);  // cores are owned by the caller and outlive this

  const std::vector<GroupStats>& groups() const { return groups_; }
  std::size_t groups_finished() const { return finished_; }

 private:
  void run();

  ControllerSetup setup_;
  std::vector<Core*> cores_;
  std::vector<GroupStats> groups_;
  std::size_t finished_ = 0;
};

}  // namespace fusim
