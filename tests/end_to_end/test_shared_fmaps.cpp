// Feature maps kept in the shared buffer between groups (cost/shared_fmaps.h) and weights
// prefetched there (cost/prefetch.h): the placement fits the buffer and never overlaps two
// tensors live at once; every load, store and prefetch of the program stays inside a tensor live
// in its group; the cost model's shared-buffer bytes are the simulator's; and a program read
// back keeps the placement.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "arch/arch_io.h"
#include "cost/cost_model.h"
#include "cost/prefetch.h"
#include "cost/shared_fmaps.h"
#include "driver.h"
#include "network/network_io.h"
#include "schedule/program_io.h"
#include "test_util.h"

using fusim::test::src;

namespace {

struct Live {
  std::int64_t begin = 0, end = 0;  // bytes in the shared buffer
  int first = 0, last = 0;          // groups: stored (or prefetched) from, read until
  bool weights = false;             // a layer's prefetched weights, not a feature map
};

// The maps `run` keeps in the shared buffer, checked against the network and the buffer.
std::vector<Live> checked_placement(const fusim::Run& run) {
  const fusim::Network& net = *run.net;
  const fusim::Arch& arch = *run.arch;
  const fusim::Schedule& s = run.program->schedule;
  std::vector<int> group_of(net.layers().size(), -1);
  for (std::size_t g = 0; g < s.groups.size(); ++g)
    for (int li : s.groups[g].layers) group_of[static_cast<std::size_t>(li)] = static_cast<int>(g);
  // The last group reading a layer's output, through the views of it (their readers read it).
  const std::function<int(int)> last_reader = [&](int li) {
    int last = group_of[static_cast<std::size_t>(li)];
    for (int c : net.consumers(li))
      last = std::max(
          last, net.layer(c).is_view() ? last_reader(c) : group_of[static_cast<std::size_t>(c)]);
    return last;
  };
  std::vector<Live> maps;
  for (std::size_t li = 0; li < s.shared_fmaps.size(); ++li) {
    const std::int64_t at = s.shared_fmaps[li];
    if (at < 0) continue;
    const fusim::Layer& l = net.layers()[li];
    INFO("layer " << l.name);
    if (l.is_view()) {
      // A view lies in the map it views, a slice `slice_begin` channels into each pixel.
      const fusim::Operand& op = l.inputs[0];
      REQUIRE_FALSE(op.from_network_input);
      const std::int64_t viewed = s.shared_fmaps[static_cast<std::size_t>(op.index)];
      const std::int64_t offset =
          l.type == fusim::LayerType::Slice ? l.slice_begin * arch.element_bytes() : 0;
      CHECK((viewed >= 0 && at == viewed + offset));
      continue;
    }
    REQUIRE(arch.shared_buffer);
    CHECK(l.type != fusim::LayerType::Concat);
    REQUIRE_FALSE(net.consumers(static_cast<int>(li)).empty());  // not a network output
    Live m;
    m.begin = at;
    m.end = at + l.out_shape.elements() * net.batch() * arch.element_bytes();
    CHECK(m.end <= arch.shared_buffer->capacity_bytes);
    m.first = group_of[li];
    m.last = last_reader(static_cast<int>(li));
    // Read by a later group, or inside a layerwise group (its members store their outputs).
    CHECK((m.last > m.first || s.groups[static_cast<std::size_t>(m.first)].layerwise()));
    maps.push_back(m);
  }
  // Prefetched weights: from the first group that copies some of them to their layer's group.
  for (std::size_t li = 0; li < s.shared_weights.at.size(); ++li) {
    const std::int64_t at = s.shared_weights.at[li];
    if (at < 0) continue;
    const fusim::Layer& l = net.layers()[li];
    INFO("weights of layer " << l.name);
    Live m;
    m.weights = true;
    m.begin = at;
    const std::int64_t held = s.shared_weights.bytes[li];
    CHECK(held > 0);
    CHECK(held <= l.params() * arch.element_bytes());  // all of them or their first bytes
    m.end = at + held;
    CHECK(m.end <= arch.shared_buffer->capacity_bytes);
    m.last = group_of[li];
    m.first = m.last;
    std::int64_t copied = 0;
    for (const fusim::Schedule::Prefetch& f : s.prefetches) {
      if (f.layer != static_cast<int>(li)) continue;
      m.first = std::min(m.first, f.group);
      copied += f.bytes;
    }
    CHECK(m.first < m.last);           // copied by an earlier group
    CHECK(copied == m.end - m.begin);  // each byte held, once
    maps.push_back(m);
  }
  // Two tensors live in the same group lie apart.
  for (std::size_t a = 0; a < maps.size(); ++a) {
    for (std::size_t b = a + 1; b < maps.size(); ++b) {
      const bool together = maps[a].first <= maps[b].last && maps[b].first <= maps[a].last;
      if (together) CHECK((maps[a].end <= maps[b].begin || maps[b].end <= maps[a].begin));
    }
  }
  return maps;
}

// Every command of the program that uses the shared buffer stays inside a map live in its
// group; returns how many there are.
std::int64_t check_commands(const fusim::Run& run, const std::vector<Live>& maps) {
  std::int64_t shared = 0;
  for (const std::vector<fusim::Command>& core : run.program->cores) {
    int g = 0;
    for (const fusim::Command& c : core) {
      if (c.op == fusim::CommandOp::Sync) ++g;
      const bool prefetch = c.op == fusim::CommandOp::Prefetch;
      if (c.memory != fusim::MemoryLevel::Shared && !prefetch) continue;
      ++shared;
      const std::int64_t pieces = c.piece_bytes > 0 ? c.bytes / c.piece_bytes : 1;
      const std::int64_t addr = prefetch ? c.to : c.addr;
      const std::int64_t last =
          addr + (pieces - 1) * c.stride_bytes + (c.piece_bytes > 0 ? c.piece_bytes : c.bytes);
      const bool weights = c.kind == fusim::TensorKind::Weight;
      const bool inside = std::any_of(maps.begin(), maps.end(), [&](const Live& m) {
        return m.weights == weights && m.first <= g && g <= m.last && m.begin <= addr &&
               last <= m.end;
      });
      INFO("group " << g << ", layer " << run.net->layer(c.layer).name << ", addr " << addr);
      CHECK(inside);
    }
  }
  return shared;
}

// Every map fits, no two live maps overlap, every command to the shared buffer lies in a live map
// of its kind, the bytes are the cost model's, and a program read back keeps its maps.
void check_every_workload(const char* fusion) {
  for (const std::string& net : fusim::test::yaml_files("workloads")) {
    if (!fusim::test::runs_every_workload(net)) continue;
    INFO(net << " " << fusion);
    const auto r = fusim::test::run(src("configs/mlu.yaml"), net, {}, fusion);
    const std::vector<Live> maps = checked_placement(*r);
    // Every map of the shipped networks fits mlu.yaml's 8 MiB at batch 1.
    if (r->program->schedule.groups.size() > 1) {
      CHECK_FALSE(maps.empty());
      CHECK(check_commands(*r, maps) > 0);
    }
    fusim::test::check_group_bytes(r->result);
    // A program read back keeps its maps where they were (test_util.h: up to
    // kMaxReadBackCommands commands; the placement above is checked for every program).
    if (fusim::test::command_count(*r->program) > fusim::test::kMaxReadBackCommands) continue;
    const std::string text = fusim::program_to_yaml(*r->program, *r->net);
    const fusim::Program back =
        fusim::load_program(fusim::test::write_temp("shared_fmaps.yaml", text), *r->net, *r->arch);
    CHECK(back.schedule.shared_fmaps == r->program->schedule.shared_fmaps);
    CHECK(back.schedule.shared_weights == r->program->schedule.shared_weights);
    CHECK(fusim::prefetch_bytes_by_group(back.schedule) ==
          fusim::prefetch_bytes_by_group(r->program->schedule));
  }
}

}  // namespace

// Two test cases, one per search, so that ctest -j runs them side by side (CI's time).
TEST_CASE(
    "feature maps in the shared buffer fit it, never overlap while live, and move the "
    "cost model's bytes (layer by layer)",
    "[shared_fmaps]") {
  check_every_workload("none");
}

TEST_CASE(
    "feature maps in the shared buffer fit it, never overlap while live, and move the "
    "cost model's bytes (optimal)",
    "[shared_fmaps]") {
  check_every_workload("optimal");
}

TEST_CASE("layer by layer with every map on chip writes only the network's outputs to DRAM",
          "[shared_fmaps]") {
  // Without weight prefetch: only the maps move on chip.
  const std::vector<std::string> no_prefetch = {"cores.dma.prefetch_engines=0"};
  const auto on =
      fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"), no_prefetch);
  const auto off = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"),
                                    no_prefetch, "none", false);
  // MobileNetV2's maps at batch 1 are at most 1.2 MB: all of them fit the 8 MiB buffer, so only
  // the network's output is written to DRAM.
  CHECK(on->result.sim.traffic.ofmap_write == fusim::compulsory_traffic(*on->net, *on->arch).ofmap);
  CHECK(on->result.sim.traffic.weight_read == off->result.sim.traffic.weight_read);
  CHECK(on->result.sim.traffic.ifmap_read < off->result.sim.traffic.ifmap_read);
  CHECK(on->result.sim.cycles < off->result.sim.cycles);
  for (const auto& core : off->program->cores)
    for (const fusim::Command& c : core) CHECK(c.memory == fusim::MemoryLevel::Dram);
  CHECK(off->program->schedule.shared_fmaps.empty());
}

TEST_CASE("maps that do not fit a small shared buffer stay in DRAM, the bytes still exact",
          "[shared_fmaps]") {
  // 64 KiB: MobileNetV2's late maps (7 x 7 x 960 = 47 KB) fit, its early ones (112 x 112 x 32)
  // do not.
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"),
                                  {"shared_buffer.capacity_bytes=65536"}, "optimal");
  const std::vector<Live> maps = checked_placement(*r);
  CHECK_FALSE(maps.empty());
  check_commands(*r, maps);
  fusim::test::check_group_bytes(r->result);
  // The early maps go through DRAM.
  CHECK(r->result.sim.traffic.ofmap_write > fusim::compulsory_traffic(*r->net, *r->arch).ofmap);
}

TEST_CASE("a map takes the lowest free address, or DRAM when the live maps leave no room",
          "[shared_fmaps]") {
  // tiny_chain layer by layer: conv1's map (2,048 B) is live in groups 0-1, conv2's (1,024 B)
  // in groups 1-2, so in group 1 both are.
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  auto arch_with = [](std::int64_t capacity) {
    return fusim::load_arch(src("configs/systolic32.yaml"),
                            {"shared_buffer={capacity_bytes: " + std::to_string(capacity) +
                             ", banks: 8, bytes_per_cycle: 256}"});
  };
  fusim::Schedule by_layer;
  for (int i = 0; i < 3; ++i) by_layer.groups.push_back(fusim::Group{{i}, 1, 0});
  CHECK(fusim::plan_shared_fmaps(net, arch_with(3072), by_layer) ==
        std::vector<std::int64_t>{0, 2048, -1});
  CHECK(fusim::plan_shared_fmaps(net, arch_with(2560), by_layer) ==
        std::vector<std::int64_t>{0, -1, -1});
  // conv2 alone (conv1's map is gone once group 1 has read it): it takes address 0.
  CHECK(fusim::plan_shared_fmaps(net, arch_with(1024), by_layer) ==
        std::vector<std::int64_t>{-1, 0, -1});
  // conv1 fused with conv2: its map never leaves the group.
  fusim::Schedule fused;
  fused.groups = {fusim::Group{{0, 1}, 1, 0}, fusim::Group{{2}, 1, 0}};
  CHECK(fusim::plan_shared_fmaps(net, arch_with(1024), fused) ==
        std::vector<std::int64_t>{-1, 0, -1});
  // No shared buffer: no placement at all.
  CHECK(
      fusim::plan_shared_fmaps(net, fusim::load_arch(src("configs/systolic32.yaml"), {}), by_layer)
          .empty());
}
