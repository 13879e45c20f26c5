#include "cost/prefetch.h"

#include <algorithm>
#include <cmath>

#include "common/checked.h"
#include "cost/cost_model.h"
#include "cost/shared_fmaps.h"
#include "cost/tiling.h"

namespace fusim {

namespace {

std::int64_t weight_bytes(const Network& net, const Arch& arch, int layer) {
  return mul_checked(net.layer(layer).params(), arch.element_bytes());
}

// The first bytes of `layer`'s weights a partial prefetch may copy, at most `most`: whole
// channels' weights (biases apart), so that a core's slice of weights interleaved by channel
// (LayerSlice::weight_parts) has each of its pieces wholly in the shared buffer or wholly in
// DRAM.
std::int64_t whole_channels(const Network& net, const Arch& arch, int layer, std::int64_t most) {
  const LayerGeometry g(net.layer(layer), arch.element_bytes());
  const std::int64_t per = std::max<std::int64_t>(1, g.weight_bytes(0, 1) - g.bias_bytes(0, 1));
  return most / per * per;
}

}  // namespace

void split_prefetch(const Arch& arch, std::int64_t bytes,
                    const std::function<void(std::int64_t, std::int64_t, std::int64_t)>& piece) {
  const std::int64_t engines = arch.prefetch_engine_count();
  if (bytes <= engines * kPrefetchChunk) {
    const std::int64_t even = ceil_div(ceil_div(bytes, engines), kPrefetchLine) * kPrefetchLine;
    for (std::int64_t k = 0; k < engines; ++k) {
      const std::int64_t begin = std::min(bytes, k * even);
      const std::int64_t end = std::min(bytes, begin + even);
      if (end > begin) piece(k, begin, end - begin);
    }
    return;
  }
  for (std::int64_t i = 0; i * kPrefetchChunk < bytes; ++i) {
    const std::int64_t begin = i * kPrefetchChunk;
    piece(i % engines, begin, std::min(kPrefetchChunk, bytes - begin));
  }
}

double prefetch_range_cycles(const Arch& arch, const DmaTiming& dma, std::int64_t bytes) {
  double t = 0;
  split_prefetch(arch, bytes, [&](std::int64_t engine, std::int64_t, std::int64_t b) {
    if (engine == 0) t += dma.prefetch_cycles(b);
  });
  return t;
}

void plan_weight_prefetch(const Network& net, const Arch& arch, Schedule& s) {
  s.shared_weights.clear();
  s.prefetches.clear();
  if (!arch.shared_buffer || arch.core.dma.prefetch_engines == 0 || s.groups.size() < 2) return;
  const std::size_t n = net.layers().size();
  std::vector<SharedSpan> spans = shared_fmap_spans(net, arch, s);
  // Each group's room for prefetches: bytes it could move beside its own through the DRAM and
  // through the interconnect (which a prefetched byte crosses twice), and the time its first
  // prefetch engine may take.
  const double peak = arch.dram_peak_bytes_per_cycle();
  const double link = arch.interconnect.bytes_per_cycle;
  const DmaTiming dma = dma_timing(arch);
  std::vector<double> room(s.groups.size(), 0.0), time(s.groups.size(), 0.0);
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    const GroupCost c = group_cost(net, arch, s.groups[g], &s.shared_fmaps);
    const double busy = static_cast<double>(c.est_cycles - arch.kernel_launch_cycles);
    const double on_link =
        static_cast<double>(c.dram_bytes + c.shared_read_bytes + c.shared_write_bytes);
    room[g] = std::min(kPrefetchDramShare * busy * peak - static_cast<double>(c.dram_bytes),
                       (kPrefetchDramShare * busy * link - on_link) / 2.0);
    time[g] = kPrefetchDramShare * busy;
  }
  // The most bytes one more range may copy in group p within its engines' time, in whole lines
  // (a range's time grows with its bytes: bisection).
  auto engine_room = [&](std::size_t p, std::int64_t most) {
    if (prefetch_range_cycles(arch, dma, most) <= time[p]) return most;
    std::int64_t lo = 0, hi = ceil_div(most, kPrefetchLine);  // in lines: lo fits, hi does not
    while (hi - lo > 1) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      (prefetch_range_cycles(arch, dma, mid * kPrefetchLine) <= time[p] ? lo : hi) = mid;
    }
    return lo * kPrefetchLine;
  };
  std::vector<std::int64_t> at(n, -1), held(n, 0);
  std::vector<Schedule::Prefetch> prefetches;
  const std::int64_t capacity = arch.shared_buffer->capacity_bytes;
  for (std::size_t q = 1; q < s.groups.size(); ++q) {
    for (int li : s.groups[q].layers) {
      const std::int64_t w = weight_bytes(net, arch, li);
      if (w == 0) continue;
      // The latest groups whose room holds the weights together, with what each copies.
      std::vector<std::pair<std::size_t, std::int64_t>> takes;
      std::int64_t left = w;
      for (std::size_t p = q; p-- > 0 && left > 0;) {
        const auto take =
            engine_room(p, std::min(left, static_cast<std::int64_t>(std::max(0.0, room[p]))));
        if (take < kSharedFmapAlign && take < left) continue;  // too little room to bother
        takes.emplace_back(p, take);
        left -= take;
      }
      // Rooms short of the whole: the first bytes they hold, the rest loaded from DRAM.
      std::int64_t copy = w;
      if (left > 0) {
        copy = whole_channels(net, arch, li, w - left);
        if (copy < kPrefetchLeast ||
            static_cast<double>(copy) < kPrefetchLeastShare * static_cast<double>(w))
          continue;
        for (std::int64_t over = w - left - copy; over > 0;) {  // the farthest groups copy less
          const std::int64_t cut = std::min(over, takes.back().second);
          takes.back().second -= cut;
          over -= cut;
          if (takes.back().second == 0) takes.pop_back();
        }
      }
      const int first = static_cast<int>(takes.back().first);
      const std::int64_t addr =
          lowest_free_address(spans, copy, first, static_cast<int>(q), capacity);
      if (addr < 0) continue;
      spans.push_back({addr, addr + copy, first, static_cast<int>(q)});
      at[static_cast<std::size_t>(li)] = addr;
      held[static_cast<std::size_t>(li)] = copy;
      std::int64_t offset = 0;
      for (const auto& [p, take] : takes) {
        room[p] -= static_cast<double>(take);
        time[p] -= prefetch_range_cycles(arch, dma, take);
        prefetches.push_back({li, static_cast<int>(p), offset, take});
        offset += take;
      }
    }
  }
  if (prefetches.empty()) return;
  s.shared_weights = {std::move(at), std::move(held)};
  s.prefetches = std::move(prefetches);
}

std::vector<GroupCost> scheduled_costs(const Network& net, const Arch& arch, const Schedule& s) {
  const std::vector<std::int64_t> bytes = prefetch_bytes_by_group(s);
  const std::vector<double> cycles = prefetch_cycles_by_group(arch, s);
  std::vector<GroupCost> costs;
  costs.reserve(s.groups.size());
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    costs.push_back(group_cost(net, arch, s.groups[g], &s.shared_fmaps, &s.shared_weights));
    add_prefetch(arch, bytes[g], cycles[g], costs.back());
  }
  return costs;
}

std::vector<std::int64_t> prefetch_bytes_by_group(const Schedule& s) {
  std::vector<std::int64_t> bytes(s.groups.size(), 0);
  for (const Schedule::Prefetch& p : s.prefetches) {
    if (p.group >= 0 && static_cast<std::size_t>(p.group) < bytes.size())
      bytes[static_cast<std::size_t>(p.group)] += p.bytes;
  }
  return bytes;
}

std::vector<double> prefetch_cycles_by_group(const Arch& arch, const Schedule& s) {
  const DmaTiming dma = dma_timing(arch);
  std::vector<double> cycles(s.groups.size(), 0.0);
  for (const Schedule::Prefetch& p : s.prefetches) {
    if (p.group >= 0 && static_cast<std::size_t>(p.group) < cycles.size())
      cycles[static_cast<std::size_t>(p.group)] += prefetch_range_cycles(arch, dma, p.bytes);
  }
  return cycles;
}

}  // namespace fusim
