#include "simulate.h"

#include <algorithm>
#include <memory>

#include <systemc>

#include "buffer/shared_buffer.h"
#include "common/error.h"
#include "controller/controller.h"
#include "core/core.h"
#include "dram/detailed_dram.h"
#include "dram/simple_dram.h"
#include "interconnect/interconnect.h"
#include "kernel/sim_context.h"

namespace fusim {

namespace {

std::string describe(const Network& net, const std::vector<Command>& list, std::size_t i) {
  const Command& c = list[i];
  return "command " + std::to_string(i) + " (" + to_string(c.op) + " of layer '" +
         net.layer(c.layer).name + "')";
}

// Names each stuck core, the command it never completes and what that command waits for, then
// the cores that wait at the group's end.
std::string deadlock_message(const Network& net, const Program& program,
                             const std::vector<Core*>& cores, std::size_t group) {
  std::string msg = "the program deadlocks: ";
  std::vector<std::size_t> waiting;
  bool first = true;
  for (std::size_t ci = 0; ci < cores.size(); ++ci) {
    if (cores[ci]->stuck_group() != group) {
      waiting.push_back(ci);
      continue;
    }
    const std::vector<Command>& list = program.cores[ci];
    const std::vector<Core::Wait> waits = cores[ci]->waits(group);
    msg += std::string(first ? "" : "; ") + "core " + std::to_string(ci) + " never completes ";
    first = false;
    if (waits.empty()) {
      msg += "group " + std::to_string(group);
      continue;
    }
    for (std::size_t k = 0; k < waits.size(); ++k) {
      const Core::Wait& w = waits[k];
      msg += (k == 0 ? "" : ", nor ") + describe(net, list, w.command) + ", which waits for ";
      if (w.what == Core::Wait::For::Dep) {
        msg += describe(net, list, w.dep);
      } else if (w.what == Core::Wait::For::Peer) {
        msg += "command " + std::to_string(w.dep) + " of core " + std::to_string(w.peer) +
               " (the load it receives by multicast)";
      } else if (w.what == Core::Wait::For::Space) {
        msg += std::to_string(w.bytes) + " bytes of the " + to_string(w.buffer) + " buffer (" +
               std::to_string(w.used) + " of its " + std::to_string(w.capacity) +
               " bytes in use: a buffer allocation that never fits)";
      } else {
        msg += "its group to start";
      }
    }
  }
  msg += " (group " + std::to_string(group);
  if (!waiting.empty()) {
    msg += waiting.size() == 1 ? "; core " : "; cores ";
    for (std::size_t k = 0; k < waiting.size(); ++k)
      msg += (k == 0 ? "" : k + 1 == waiting.size() ? " and " : ", ") + std::to_string(waiting[k]);
    msg += waiting.size() == 1 ? " waits at its end" : " wait at its end";
  }
  return msg + ")";
}

}  // namespace

SimResult simulate(const Network& net, const Arch& arch, const Program& program, bool trace) {
  FreshSimContext context;
  SimResult r;
  std::shared_ptr<SimTrace> tr;
  if (trace) {
    // Each engine's track records runs of consecutive commands as one span when it has more
    // commands than a track may hold spans.
    tr = std::make_shared<SimTrace>();
    tr->epoch_cycles = arch.dram.epoch_cycles;
    tr->tracks.resize(program.cores.size() * SimTrace::kEnginesPerCore);
    for (std::size_t i = 0; i < program.cores.size(); ++i) {
      std::int64_t n[SimTrace::kEnginesPerCore] = {0, 0, 0, 0};
      for (const Command& c : program.cores[i]) {
        if (c.op == CommandOp::Load) ++n[0];
        if (c.op == CommandOp::Compute) ++n[1];
        if (c.op == CommandOp::Store) ++n[2];
        if (c.op == CommandOp::Prefetch) ++n[3];
      }
      for (int op = 0; op < SimTrace::kEnginesPerCore; ++op) {
        TraceTrack& t = tr->track(static_cast<int>(i), op);
        t.core = static_cast<int>(i);
        t.op = op;
        t.per_span = std::max<std::int64_t>(1, (n[op] + kMaxSpansPerTrack - 1) / kMaxSpansPerTrack);
      }
    }
  }
  {
    std::unique_ptr<SimpleDram> simple;
    std::unique_ptr<DetailedDram> detailed;
    Interconnect noc("interconnect", arch.interconnect);
    if (arch.dram.model == DramModel::Detailed) {
      detailed = std::make_unique<DetailedDram>("dram", arch.dram, arch.clock_mhz);
      noc.memory.bind(detailed->socket);
      if (tr) {
        tr->dram.resize(static_cast<std::size_t>(arch.dram.channels));
        tr->dram_ticks_per_cycle = detailed->dram_ticks_per_cycle();
        detailed->record_busy(&tr->dram);
      }
    } else {
      simple = std::make_unique<SimpleDram>("dram", arch.dram);
      noc.memory.bind(simple->socket);
    }
    std::unique_ptr<SharedBuffer> shared;
    if (arch.shared_buffer) {
      shared = std::make_unique<SharedBuffer>("shared_buffer", *arch.shared_buffer);
      noc.shared.bind(shared->socket);
    }
    std::vector<std::unique_ptr<Core>> cores;
    std::vector<Core*> core_ptrs;
    ControllerSetup cs;
    cs.group_count = program.schedule.groups.size();
    std::vector<bool> group_has_work(cs.group_count, false);
    for (std::size_t i = 0; i < program.cores.size(); ++i) {
      CoreSetup setup;
      setup.index = static_cast<int>(i);
      setup.params = arch.core;
      setup.commands = &program.cores[i];
      setup.layer_count = net.layers().size();
      setup.group_count = cs.group_count;
      setup.element_bytes = arch.element_bytes();
      setup.trace = tr.get();
      std::size_t g = 0;
      for (const Command& c : program.cores[i]) {
        if (c.op == CommandOp::Sync)
          ++g;
        else if (c.op != CommandOp::Barrier)
          group_has_work[g] = true;
      }
      cores.push_back(std::make_unique<Core>(("core" + std::to_string(i)).c_str(), setup));
      cores.back()->socket.bind(noc.cores);
      core_ptrs.push_back(cores.back().get());
    }
    for (Core* c : core_ptrs) c->set_peers(&core_ptrs);
    // The epochs, from the first core's syncs and barriers (every core has the same ones: the
    // lowering emits them on all cores, the program reader checks a program's).
    if (cs.group_count > 0) {
      std::size_t g = 0;
      cs.epochs.push_back({0, 0, true, false});
      for (const Command& c : program.cores.front()) {
        if (c.op == CommandOp::Barrier) {
          cs.epochs.push_back({g, arch.barrier_cycles, false, false});
        } else if (c.op == CommandOp::Sync) {
          cs.epochs.back().last = true;
          if (++g < cs.group_count) cs.epochs.push_back({g, 0, true, false});
        }
      }
      for (ControllerEpoch& e : cs.epochs) {
        if (e.first && group_has_work[e.group]) e.wait_cycles = arch.kernel_launch_cycles;
      }
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

    // A deadlock: the cores still running the earliest unfinished group are the stuck ones;
    // the others have finished it and wait at its end.
    std::size_t group = program.schedule.groups.size();
    for (const auto& core : cores) group = std::min(group, core->stuck_group());
    if (group < program.schedule.groups.size()) {
      throw Deadlock("", 0, "", deadlock_message(net, program, core_ptrs, group));
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
        t.actions += s.actions;
        t.compute_cycles = std::max(t.compute_cycles, s.compute_cycles);
        t.predict_expand_cycles += s.predict_expand_cycles;
        t.predict_depthwise_cycles += s.predict_depthwise_cycles;
        t.fused_main_cycles += s.fused_main_cycles;
        if (s.first_start >= 0 && (t.first_start < 0 || s.first_start < t.first_start))
          t.first_start = s.first_start;
        t.last_end = std::max(t.last_end, s.last_end);
      }
      for (std::size_t g = 0; g < r.groups.size(); ++g) {
        r.groups[g].traffic += core->group_traffic()[g];
        r.groups[g].actions += core->group_actions()[g];
        r.groups[g].memory_stall_cycles =
            std::max(r.groups[g].memory_stall_cycles, core->group_memory_stalls()[g]);
      }
    }
    for (const GroupStats& g : r.groups) r.traffic += g.traffic;
    r.dram_model = to_string(arch.dram.model);
    if (detailed) {
      r.dram_channels = detailed->stats();
      r.dram_epoch_cycles = arch.dram.epoch_cycles;
      const auto& gs = detailed->group_stats();
      for (std::size_t g = 0; g < r.groups.size() && g < gs.size(); ++g) r.groups[g].dram = gs[g];
    } else {
      r.dram_channels = simple->stats();
    }
    r.interconnect_busy_cycles = noc.busy_cycles();
    if (shared) r.shared_buffer = shared->stats();
  }
  compute_energy(arch, r);
  r.trace = tr;
  return r;
}

}  // namespace fusim

// libsystemc.so carries a main() that calls sc_main, so the symbol must exist. fusim's
// executables have their own main and drive SystemC through simulate(); this is never called.
int sc_main(int /*argc*/, char* /*argv*/[]) {
  return 1;
}
