#include "simulate.h"

#include <cstdlib>
#include <memory>

#include <systemc>

#include "common/error.h"
#include "controller/controller.h"
#include "core/core.h"
#include "dram/simple_dram.h"
#include "interconnect/interconnect.h"

namespace fusim {

namespace {

// SystemC keeps its kernel state in a process-wide context that cannot be reset after
// sc_start; a new context per run makes simulations independent. Each run's context is deleted
// once its modules are gone.
class FreshSimContext {
 public:
  FreshSimContext() {
    setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext;
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  }
  ~FreshSimContext() {
    delete sc_core::sc_curr_simcontext;
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
  }
  FreshSimContext(const FreshSimContext&) = delete;
  FreshSimContext& operator=(const FreshSimContext&) = delete;
};

}  // namespace

SimResult simulate(const Network& net, const Arch& arch, const Program& program) {
  FreshSimContext context;
  SimResult r;
  {
    SimpleDram dram("dram", arch.dram);
    Interconnect noc("interconnect", arch.interconnect);
    noc.memory.bind(dram.socket);
    std::vector<std::unique_ptr<Core>> cores;
    std::vector<Core*> core_ptrs;
    ControllerSetup cs;
    cs.group_count = program.schedule.groups.size();
    cs.kernel_launch_cycles = arch.kernel_launch_cycles;
    cs.group_has_work.assign(cs.group_count, false);
    for (std::size_t i = 0; i < program.cores.size(); ++i) {
      CoreSetup setup;
      setup.index = static_cast<int>(i);
      setup.params = arch.core;
      setup.commands = &program.cores[i];
      setup.layer_count = net.layers().size();
      setup.group_count = cs.group_count;
      std::size_t g = 0;
      for (const Command& c : program.cores[i]) {
        if (c.op == CommandOp::Sync)
          ++g;
        else
          cs.group_has_work[g] = true;
      }
      cores.push_back(std::make_unique<Core>(("core" + std::to_string(i)).c_str(), setup));
      cores.back()->socket.bind(noc.cores);
      core_ptrs.push_back(cores.back().get());
    }
    Controller controller("controller", cs, core_ptrs);

    sc_core::sc_start();

    for (std::size_t i = 0; i < cores.size(); ++i) {
      if (!cores[i]->all_done()) {
        throw InputError("", 0, "",
                         "the program deadlocks: core " + std::to_string(i) + " never completes " +
                             cores[i]->stuck_at() + " (a buffer allocation that never fits?)");
      }
    }
    r.groups = controller.groups();
    r.cycles = r.groups.empty() ? 0 : r.groups.back().end;
    r.layers.resize(net.layers().size());
    for (const auto& core : cores) {
      r.cores.push_back(core->stats());
      for (std::size_t l = 0; l < r.layers.size(); ++l) {
        const LayerStats& s = core->layer_stats()[l];
        LayerStats& t = r.layers[l];
        t.macs += s.macs;
        t.compute_cycles = std::max(t.compute_cycles, s.compute_cycles);
        if (s.first_start >= 0 && (t.first_start < 0 || s.first_start < t.first_start))
          t.first_start = s.first_start;
        t.last_end = std::max(t.last_end, s.last_end);
      }
      for (std::size_t g = 0; g < r.groups.size(); ++g) {
        const TrafficCounters& c = core->group_traffic()[g];
        r.groups[g].traffic.weight_read += c.weight_read;
        r.groups[g].traffic.ifmap_read += c.ifmap_read;
        r.groups[g].traffic.ofmap_write += c.ofmap_write;
      }
    }
    for (const GroupStats& g : r.groups) {
      r.traffic.weight_read += g.traffic.weight_read;
      r.traffic.ifmap_read += g.traffic.ifmap_read;
      r.traffic.ofmap_write += g.traffic.ofmap_write;
    }
    r.dram_channels = dram.stats();
    r.interconnect_busy_cycles = noc.busy_cycles();
  }
  return r;
}

}  // namespace fusim

// libsystemc.so carries a main() that calls sc_main, so the symbol must exist. fusim's
// executables have their own main and drive SystemC through simulate(); this is never called.
int sc_main(int /*argc*/, char* /*argv*/[]) {
  return 1;
}
