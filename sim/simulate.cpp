#include "simulate.h"

#include <cstdlib>
#include <memory>

#include <systemc>

#include "common/error.h"
#include "controller/controller.h"
#include "core/core.h"
#include "dram/simple_dram.h"
#include "interconnect/interconnect.h"
#include "sim_time.h"

#if defined(__SANITIZE_ADDRESS__)
#define FUSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUSIM_ASAN 1
#endif
#endif
#ifdef FUSIM_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace fusim {

namespace {

// AddressSanitizer builds only. libsystemc tells ASan about its coroutine stack switches
// (__sanitizer_start_switch_fiber, weak symbols), but it does not know the bounds of the
// thread's own stack, so when it switches back to it it declares an empty stack. ASan then
// believes the thread runs on a stack of size 0 and ignores every later __asan_handle_no_return
// ("ASan is ignoring requested __asan_handle_no_return: stack type: default top: 0x0"): frames
// unwound by a C++ exception keep their poisoned shadow, and a later call that reuses that stack
// is reported as a stack-use-after-scope that is not there. Declaring a switch to the real
// stack, once SystemC has handed the thread back, restores ASan's view.
void restore_sanitizer_stack_bounds() {
#ifdef FUSIM_ASAN
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* bottom = nullptr;
  std::size_t size = 0;
  const bool ok = pthread_attr_getstack(&attr, &bottom, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) return;
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, bottom, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

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
    delete sc_core::sc_curr_simcontext;  // unwinds unfinished SC_THREADs on their stacks
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
    restore_sanitizer_stack_bounds();
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
    restore_sanitizer_stack_bounds();  // before anything here can throw
    if (now_cycles() >= kMaxSimCycles) {
      throw InputError("", 0, "",
                       "the simulation runs past 2^52 cycles, the range of fusim's simulated "
                       "time (SystemC's 64-bit picoseconds): the arch is too slow for this "
                       "network (check its bytes_per_cycle and latency_cycles)");
    }

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
