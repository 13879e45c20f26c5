// The controller launches the Program's groups one after another: it waits the kernel launch
// overhead, releases the group on every core, and waits until every core has completed it.
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "controller/group_stats.h"
#include "core/core.h"

namespace fusim {

struct ControllerSetup {
  std::size_t group_count = 0;
  std::int64_t kernel_launch_cycles = 0;
  std::vector<bool> group_has_work;  // a group with no command on any core is not launched
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
