#include "core/core.h"

#include <algorithm>

#include "buffer/shared_buffer.h"
#include "engines/engines.h"
#include "kernel/sim_context.h"

namespace fusim {

Core::Core(sc_core::sc_module_name name, const CoreSetup& setup)
    : sc_module(name), socket("socket"), setup_(setup) {
  const auto& cmds = *setup_.commands;
  epoch_of_.resize(cmds.size());
  group_of_.resize(cmds.size());
  done_.assign(cmds.size(), 0);
  allocated_.assign(cmds.size(), 0);
  // Syncs end groups and barriers end epochs within them: the current ones are the last entries.
  remaining_.assign(1, 0);
  first_epoch_.assign(1, 0);
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    epoch_of_[i] = remaining_.size() - 1;
    group_of_[i] = first_epoch_.size() - 1;
    if (cmds[i].op == CommandOp::Sync || cmds[i].op == CommandOp::Barrier) {
      done_[i] = 1;
      remaining_.push_back(0);
      if (cmds[i].op == CommandOp::Sync) first_epoch_.push_back(remaining_.size() - 1);
    } else {
      ++remaining_.back();
    }
  }
  const BufferParams* bp[3] = {&setup_.params.input_buffer, &setup_.params.weight_buffer,
                               &setup_.params.output_buffer};
  for (int b = 0; b < 3; ++b) {
    buffers_[b].capacity = bp[b]->capacity_bytes;
    buffers_[b].port.bytes_per_cycle = bp[b]->bytes_per_cycle;
  }
  layers_.resize(setup_.layer_count);
  group_traffic_.resize(setup_.group_count);
  group_stalls_.assign(setup_.group_count, 0.0);
  group_actions_.resize(setup_.group_count);
  for (int e = 0; e < 3; ++e) {
    dma_[e] = new DmaExtension;
    trans_[e].set_extension(dma_[e]);
  }
  SC_HAS_PROCESS(Core);
  SC_THREAD(load_thread);
  set_stack_size(kThreadStackBytes);
  SC_THREAD(compute_thread);
  set_stack_size(kThreadStackBytes);
  SC_THREAD(store_thread);
  set_stack_size(kThreadStackBytes);
  SC_THREAD(prefetch_thread);
  set_stack_size(kThreadStackBytes);
}

void Core::release(std::size_t epoch) {
  released_ = static_cast<long>(epoch);
  released_event_.notify();
}

bool Core::all_done() const {
  return std::all_of(done_.begin(), done_.end(), [](char d) { return d != 0; });
}

std::vector<Core::Wait> Core::waits(std::size_t group) const {
  std::vector<Wait> out;
  for (const Wait& w : waits_) {
    if (w.what == Wait::For::Nothing || group_of_[w.command] != group || done_[w.command]) continue;
    out.push_back(w);
  }
  std::sort(out.begin(), out.end(),
            [](const Wait& a, const Wait& b) { return a.command < b.command; });
  return out;
}

std::size_t Core::stuck_group() const {
  for (std::size_t i = 0; i < done_.size(); ++i) {
    if (!done_[i]) return group_of_[i];
  }
  return setup_.group_count;
}

void Core::wait_released(std::size_t i) {
  Wait& w = wait_of((*setup_.commands)[i].op);
  w = Wait{};
  w.command = i;
  w.what = Wait::For::Release;
  // A prefetch runs from its group's start, beside the group's members and their barriers.
  const std::size_t epoch =
      (*setup_.commands)[i].op == CommandOp::Prefetch ? first_epoch_[group_of_[i]] : epoch_of_[i];
  while (released_ < static_cast<long>(epoch)) wait(released_event_);
}

void Core::wait_deps(std::size_t i) {
  Wait& w = wait_of((*setup_.commands)[i].op);
  for (std::uint32_t d : (*setup_.commands)[i].deps) {
    w.what = Wait::For::Dep;
    w.dep = d;
    while (!done_[d]) wait(progress_event_);
  }
}

void Core::allocate(std::size_t i, BufferRole role, std::int64_t bytes) {
  Buffer& b = buffer(role);
  Wait& w = wait_of((*setup_.commands)[i].op);
  w.what = Wait::For::Space;
  w.buffer = role;
  w.bytes = bytes;
  w.capacity = b.capacity;
  while (b.used + bytes > b.capacity) {
    w.used = b.used;
    wait(b.freed);
  }
  b.used += bytes;
  allocated_[i] = bytes;
}

double Core::issue(int e, bool write, std::uint64_t addr, const Command& c, std::size_t group) {
  tlm::tlm_generic_payload& t = trans_[e];
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(&dummy_data_);  // timing only: no data moves
  t.set_data_length(static_cast<unsigned int>(c.bytes));
  t.set_streaming_width(static_cast<unsigned int>(c.bytes));
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  DmaExtension& dma = *dma_[e];
  dma = DmaExtension{};
  if (c.piece_bytes > 0) {  // a strided tile; otherwise one contiguous range
    dma.row_bytes = c.piece_bytes;
    dma.rows = (c.bytes - c.tail_bytes) / c.piece_bytes;
    dma.stride_bytes = c.stride_bytes;
  } else if (c.tail_bytes > 0) {
    dma.row_bytes = c.bytes - c.tail_bytes;
  }
  if (c.tail_bytes > 0) {
    dma.tail_addr = static_cast<std::int64_t>(addr - c.addr) + c.tail_addr;  // in its memory
    dma.tail_bytes = c.tail_bytes;
  }
  dma.outstanding_bursts = setup_.params.dma.outstanding_bursts;
  dma.group = static_cast<std::int32_t>(group);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(t, delay);  // may wait (the detailed DRAM model blocks until done)
  return time_to_cycles(sc_core::sc_time_stamp() + delay);
}

void Core::transfer(const Command& c, std::size_t group) {
  const bool write = c.op == CommandOp::Store;
  const bool shared = c.memory == MemoryLevel::Shared;
  const double now = now_cycles();
  const double end =
      issue(write ? 1 : 0, write,
            static_cast<sc_dt::uint64>(c.addr) + (shared ? kSharedBufferBase : 0), c, group);
  // The buffer port streams alongside the interconnect; the transfer ends with the slower one.
  const double port_done = buffer(c.buffer).port.serve(now, static_cast<double>(c.bytes));
  const double done = std::max(end, port_done);
  wait(cycles_to_time(done) - sc_core::sc_time_stamp());
}

void Core::prefetch(const Command& c, std::size_t group) {
  double done = issue(2, false, static_cast<sc_dt::uint64>(c.addr), c, group);
  wait(cycles_to_time(done) - sc_core::sc_time_stamp());
  done = issue(2, true, static_cast<sc_dt::uint64>(c.to) + kSharedBufferBase, c, group);
  wait(cycles_to_time(done) - sc_core::sc_time_stamp());
}

// A load received by multicast: the interconnect delivers the leader's bytes to every receiver
// as they arrive (a broadcast), so they stream into this core's buffer through its port from
// when this core is ready for them; the load completes when the leader's does, or when its port
// has taken them, whichever is later.
void Core::receive(std::size_t i) {
  const Command& c = (*setup_.commands)[i];
  const Core& leader = *peers_->at(static_cast<std::size_t>(c.multicast_core));
  const double ready = now_cycles();
  Wait& w = wait_of(CommandOp::Load);
  w.what = Wait::For::Peer;
  w.peer = c.multicast_core;
  w.dep = c.multicast_command;
  while (!leader.done(c.multicast_command)) wait(leader.progress_event());
  w.what = Wait::For::Nothing;
  const double done =
      std::max(now_cycles(), buffer(c.buffer).port.serve(ready, static_cast<double>(c.bytes)));
  wait(cycles_to_time(done) - sc_core::sc_time_stamp());
}

void Core::complete(std::size_t i, double start) {
  const Command& c = (*setup_.commands)[i];
  for (std::uint32_t f : c.frees) {
    const Command& owner = (*setup_.commands)[f];
    Buffer& b = buffer(owner.buffer);
    b.used -= allocated_[f];
    allocated_[f] = 0;
    b.freed.notify();
  }
  done_[i] = 1;
  if (c.op != CommandOp::Prefetch) {  // a layer's time is its own group's
    LayerStats& ls = layers_[static_cast<std::size_t>(c.layer)];
    const double end = now_cycles();
    if (ls.first_start < 0 || start < ls.first_start) ls.first_start = start;
    ls.last_end = std::max(ls.last_end, end);
  }
  progress_event_.notify();
  if (--remaining_[epoch_of_[i]] == 0) finished_event_.notify();
}

void Core::count_actions(const Command& c, std::size_t g) {
  ActionCounts a;
  const auto buffer_of = [&](BufferRole role) -> BufferBytes& {
    return role == BufferRole::Input    ? a.input_buffer
           : role == BufferRole::Weight ? a.weight_buffer
                                        : a.output_buffer;
  };
  if (c.op == CommandOp::Prefetch) {  // DRAM to the core's DMA engine to the shared buffer
    a.interconnect_bytes = 2 * c.bytes;
    a.dram_bytes = c.bytes;
    a.shared_buffer.write = c.bytes;
  } else if (c.op == CommandOp::Compute) {
    const EngineActions e = compute_actions(setup_.params, c.work);
    a.macs = e.macs;
    a.adds = e.adds;
    a.vector_ops = e.vector_ops;
    a.mask_ops = e.mask_ops;
    const std::int64_t eb = setup_.element_bytes;
    a.input_buffer = BufferBytes{e.input.reads * eb, e.input.writes * eb};
    a.weight_buffer = BufferBytes{e.weight.reads * eb, e.weight.writes * eb};
    a.output_buffer = BufferBytes{e.output.reads * eb, e.output.writes * eb};
    a.registers = BufferBytes{e.registers.reads * eb, e.registers.writes * eb};
  } else {
    // A load fills its buffer, a store drains one; a multicast crosses the interconnect once,
    // counted with the core that reads it.
    const bool load = c.op == CommandOp::Load;
    (load ? buffer_of(c.buffer).write : buffer_of(c.buffer).read) += c.bytes;
    if (c.multicast_core < 0) {
      a.interconnect_bytes = c.bytes;
      if (c.memory == MemoryLevel::Shared)
        (load ? a.shared_buffer.read : a.shared_buffer.write) = c.bytes;
      else
        a.dram_bytes = c.bytes;
    }
  }
  stats_.actions += a;
  layers_[static_cast<std::size_t>(c.layer)].actions += a;
  group_actions_[g] += a;
}

void Core::run_engine(CommandOp op) {
  const auto& cmds = *setup_.commands;
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    const Command& c = cmds[i];
    if (c.op != op) continue;
    const std::size_t g = group_of_[i];
    wait_released(i);
    const double ready = now_cycles();
    wait_deps(i);
    if (op == CommandOp::Load || op == CommandOp::Compute) allocate(i, c.buffer, c.bytes);
    wait_of(op).what = Wait::For::Nothing;  // running: no longer waiting
    const double start = now_cycles();
    if (op == CommandOp::Compute) group_stalls_[g] += start - ready;
    if (op == CommandOp::Compute) {
      const std::int64_t cycles = compute_cycles(setup_.params, c.work);
      wait(cycles_to_time(static_cast<double>(cycles)));
      ++stats_.computes;
      stats_.compute_busy_cycles += cycles;
      layers_[static_cast<std::size_t>(c.layer)].macs += c.work.macs();
      layers_[static_cast<std::size_t>(c.layer)].compute_cycles += cycles;
      if (c.work.kind == WorkKind::FusedBottleneck) {
        const FusedPhases ph = fused_phases(setup_.params.fused_bottleneck, c.work);
        LayerStats& l = layers_[static_cast<std::size_t>(c.layer)];
        l.predict_expand_cycles += ph.predict_expand;
        l.predict_depthwise_cycles += ph.predict_depthwise;
        l.fused_main_cycles += ph.main;
      }
    } else if (op == CommandOp::Prefetch) {
      prefetch(c, g);
      ++stats_.prefetches;
      stats_.bytes_loaded += c.bytes;
      stats_.shared_bytes_stored += c.bytes;
      group_traffic_[g].weight_read += c.bytes;
      group_traffic_[g].weight_prefetch += c.bytes;
    } else if (c.multicast_core >= 0) {
      receive(i);
      stats_.multicast_bytes_received += c.bytes;
    } else {
      transfer(c, g);
      if (c.memory == MemoryLevel::Shared) {  // on chip: not off-chip traffic
        (op == CommandOp::Load ? stats_.shared_bytes_loaded : stats_.shared_bytes_stored) +=
            c.bytes;
      } else if (op == CommandOp::Load) {
        ++stats_.loads;
        stats_.bytes_loaded += c.bytes;
        TrafficCounters& t = group_traffic_[g];
        (c.kind == TensorKind::Weight ? t.weight_read
         : c.kind == TensorKind::Psum ? t.psum_read
                                      : t.ifmap_read) += c.bytes;
      } else {
        ++stats_.stores;
        stats_.bytes_stored += c.bytes;
        (c.kind == TensorKind::Psum ? group_traffic_[g].psum_write
                                    : group_traffic_[g].ofmap_write) += c.bytes;
      }
    }
    count_actions(c, g);
    if (SimTrace* t = setup_.trace) {
      const int index = op == CommandOp::Load      ? 0
                        : op == CommandOp::Compute ? 1
                        : op == CommandOp::Store   ? 2
                                                   : 3;
      const bool moves = op != CommandOp::Compute;
      t->track(setup_.index, index)
          .add(start, now_cycles(), c.layer, static_cast<std::int32_t>(g), moves ? c.bytes : 0);
      // Bytes over the interconnect, in the epoch its transfer ended (a multicast is counted
      // with the load that read it).
      if (moves && c.multicast_core < 0) {
        const auto e =
            static_cast<std::size_t>(now_cycles() / static_cast<double>(t->epoch_cycles));
        if (t->interconnect_epoch_bytes.size() <= e) t->interconnect_epoch_bytes.resize(e + 1, 0);
        // A prefetch crosses twice: from DRAM, then to the shared buffer.
        t->interconnect_epoch_bytes[e] += op == CommandOp::Prefetch ? 2 * c.bytes : c.bytes;
      }
    }
    complete(i, start);
  }
}

}  // namespace fusim
