// Layerwise groups (Group::mapping): the members of a group one after another in one kernel, each
// split over the cores as a single-layer group, with barriers between them instead of launches.
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "cost/cost_model.h"
#include "cost/shared_fmaps.h"
#include "driver.h"
#include "lower/lower.h"
#include "report.h"
#include "schedule/program_io.h"
#include "simulate.h"
#include "test_util.h"

using fusim::test::src;

namespace {

struct Ran {
  fusim::Program program;
  fusim::SimResult sim;
  std::vector<fusim::GroupCost> costs;
};

// Places the maps of `s` in the shared buffer, lowers and simulates it, and costs its groups.
Ran run_schedule(const fusim::Network& net, const fusim::Arch& arch, fusim::Schedule s) {
  s.shared_fmaps = fusim::plan_shared_fmaps(net, arch, s);
  Ran r;
  r.program = fusim::lower(net, arch, s);
  r.sim = fusim::simulate(net, arch, r.program);
  for (const fusim::Group& g : s.groups)
    r.costs.push_back(fusim::group_cost(net, arch, g, &s.shared_fmaps));
  return r;
}

std::size_t count_ops(const fusim::Program& p, std::size_t core, fusim::CommandOp op) {
  std::size_t n = 0;
  for (const fusim::Command& c : p.cores[core]) n += c.op == op ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a layerwise group does its members' work and moves their bytes, with one launch",
          "[layerwise]") {
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/tiny_chain.yaml"));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  for (std::int64_t cores : {1, 4, 32}) {
    INFO(cores << " cores");
    fusim::Schedule layerwise, by_layer;
    layerwise.groups.push_back({{0, 1, 2}, cores, 0, fusim::GroupMapping::Layerwise});
    for (int li = 0; li < 3; ++li) by_layer.groups.push_back({{li}, cores, 0});
    const Ran a = run_schedule(net, arch, layerwise);
    const Ran b = run_schedule(net, arch, by_layer);
    // Every core: one sync, a barrier between each two members.
    for (std::size_t c = 0; c < a.program.cores.size(); ++c) {
      CHECK(count_ops(a.program, c, fusim::CommandOp::Sync) == 1);
      CHECK(count_ops(a.program, c, fusim::CommandOp::Barrier) == 2);
    }
    // The work of the layers, once each; the bytes of the layer-by-layer run, exactly as the
    // cost model predicts them.
    std::int64_t macs = 0, net_macs = 0;
    for (const fusim::LayerStats& l : a.sim.layers) macs += l.macs;
    for (const fusim::Layer& l : net.layers()) net_macs += l.macs_per_item();
    CHECK(macs == net_macs);
    REQUIRE(a.sim.groups.size() == 1);
    const fusim::GroupCost& cost = a.costs.front();
    CHECK(cost.mapping == fusim::GroupMapping::Layerwise);
    CHECK(cost.barriers == 2);
    CHECK(a.sim.groups[0].traffic.read() == cost.traffic.read());
    CHECK(a.sim.groups[0].traffic.ofmap_write == cost.traffic.ofmap);
    CHECK(a.sim.groups[0].actions.shared_buffer.read == cost.shared_read_bytes);
    CHECK(a.sim.groups[0].actions.shared_buffer.write == cost.shared_write_bytes);
    CHECK(a.sim.traffic.read() == b.sim.traffic.read());
    CHECK(a.sim.traffic.ofmap_write == b.sim.traffic.ofmap_write);
    std::int64_t b_shared = 0;
    for (const fusim::GroupStats& g : b.sim.groups) b_shared += g.actions.shared_buffer.read;
    CHECK(a.sim.groups[0].actions.shared_buffer.read == b_shared);
    // One launch instead of three, two barriers instead: the rest is the same commands, up to
    // the DRAM state (open rows, the refresh phase) one member leaves to the next.
    const double saved = 2.0 * static_cast<double>(arch.kernel_launch_cycles - arch.barrier_cycles);
    INFO("layerwise " << a.sim.cycles << ", layer by layer " << b.sim.cycles);
    CHECK(std::abs((b.sim.cycles - a.sim.cycles) - saved) <= 0.05 * b.sim.cycles);
    // The cost model's estimate: the members' estimates less their launches, plus the barriers.
    std::int64_t members = 0;
    for (const fusim::GroupCost& c : b.costs) members += c.est_cycles - arch.kernel_launch_cycles;
    CHECK(cost.est_cycles == members + 2 * arch.barrier_cycles + arch.kernel_launch_cycles);
  }
}

TEST_CASE("a layerwise program round-trips, and the reader refuses barriers out of place",
          "[layerwise]") {
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/tiny_chain.yaml"));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  fusim::Schedule s;
  s.groups.push_back({{0, 1}, 4, 0, fusim::GroupMapping::Layerwise});
  s.groups.push_back({{2}, 4, 0});
  const Ran a = run_schedule(net, arch, s);
  const std::string text = fusim::program_to_yaml(a.program, net);
  CHECK(text.find("mapping: layerwise") != std::string::npos);
  CHECK(text.find("{op: barrier}") != std::string::npos);
  const std::string path = fusim::test::write_temp("layerwise.yaml", text);
  const fusim::Program back = fusim::load_program(path, net, arch);
  CHECK(fusim::program_to_yaml(back, net) == text);
  CHECK(back.schedule.groups[0].layerwise());
  CHECK(fusim::simulate(net, arch, back).cycles == a.sim.cycles);

  auto refused = [&](std::string edited, const std::string& key, const std::string& says) {
    const std::string p = fusim::test::write_temp("layerwise_bad.yaml", edited);
    const auto e = fusim::test::error_of([&] { fusim::load_program(p, net, arch); });
    REQUIRE(e);
    CHECK(e->key().size() >= key.size());
    CHECK(e->key().compare(e->key().size() - std::min(e->key().size(), key.size()), key.size(),
                           key) == 0);
    CHECK(e->message().find(says) != std::string::npos);
  };
  auto replace_first = [](std::string t, const std::string& from, const std::string& to) {
    const std::size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    return t.replace(at, from.size(), to);
  };
  // The first group as a tiled one: its barriers are out of place.
  refused(replace_first(text, ", mapping: layerwise", ""), "op", "not one");
  // A single layer cannot be layerwise.
  refused(replace_first(text, "{cores: 4, layers: [\"fc\"]}",
                        "{cores: 4, mapping: layerwise, layers: [\"fc\"]}"),
          "mapping", "has one");
  // A core without its barrier (the last, idle one: the group runs on 4 of the 32): the others
  // would wait for it forever.
  const std::size_t last = text.rfind("  - commands:");
  REQUIRE(last != std::string::npos);
  const std::size_t barrier = text.find("      - {op: barrier}\n", last);
  REQUIRE(barrier != std::string::npos);
  refused(std::string(text).erase(barrier, std::string("      - {op: barrier}\n").size()),
          "commands", "barriers in group 0");
}

TEST_CASE("the main command runs MobileNetV2's late blocks layerwise on many cores",
          "[layerwise]") {
  // Issue 14's goal for the main command: within 4x of the roofline bound (ResNet-50: 3x). The
  // 7 x 7 and 14 x 14 blocks, which row bands cut over 7 to 14 cores at most, run layer by layer
  // in one kernel, each layer on its grid of row bands and channel slices: the 14 x 14 blocks on
  // all 32 cores, the 7 x 7 ones on at least half of them (the estimate has put them on 16 since
  // a slice's weights came in chunks narrower than the PE array, tiling.h).
  const auto r =
      fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"), {}, "optimal");
  const fusim::Network& net = *r->net;
  const std::int64_t all = r->arch->core_count;
  std::int64_t at_14 = 0, at_7 = 0;  // the cores of b11_expand's and b14_expand's layerwise groups
  for (const fusim::Group& g : r->program->schedule.groups) {
    for (int li : g.layers) {
      if (!g.layerwise()) continue;
      if (net.layer(li).name == "b11_expand") at_14 = g.cores;
      if (net.layer(li).name == "b14_expand") at_7 = g.cores;
    }
  }
  CHECK(at_14 == all);
  CHECK(at_7 >= all / 2);
  const auto x_of_roofline = [](const fusim::Run& run) {
    return nlohmann::json::parse(fusim::report_json(run.result))["x_of_roofline"].get<double>();
  };
  CHECK(x_of_roofline(*r) <= 4.0);
  const auto resnet =
      fusim::test::run(src("configs/mlu.yaml"), src("workloads/resnet50.yaml"), {}, "optimal");
  CHECK(x_of_roofline(*resnet) <= 3.0);
  fusim::test::check_group_bytes(r->result);
}

TEST_CASE("a layerwise group simulates within 6 % of its estimate when nothing is prefetched",
          "[layerwise]") {
  // Its estimate is its members' single-layer estimates; a member's loads received by multicast
  // complete with their leader's (a broadcast), as the cost model times them. Weight prefetch,
  // which competes with the group's own loads, is what the estimate does not see
  // (docs/multicore.md, "Not there yet"): off here. So are the DRAM's refreshes, which stop it
  // for 4.5 % of the time: the avgpool + fc group on 8 cores, whose weights stream for 13,000
  // cycles, simulates at 1.056x its estimate with them and 1.009x without. The four groups
  // simulate at 0.947-1.028x their estimates (0.958-1.017x before the layers' grids were chosen
  // for their compute too, tiling.h's kGridOverlapShare: b10_dw..b13_dw's projections at 0.95x).
  fusim::RunOptions o = fusim::test::options(
      src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"), {"dram.timing_ck.tREFI=0"});
  o.search.prefetch_weights = false;
  const auto r = fusim::run_fusim(o);
  int layerwise = 0;
  const auto& groups = r->program->schedule.groups;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (!groups[g].layerwise()) continue;
    ++layerwise;
    const fusim::GroupStats& s = r->result.sim.groups[g];
    const double simulated = std::ceil(s.end) - std::ceil(s.start);
    const auto predicted = static_cast<double>(r->result.predicted_costs[g].est_cycles);
    INFO("group " << g << ": simulated " << simulated << ", predicted " << predicted);
    CHECK(std::abs(simulated / predicted - 1) <= 0.06);
  }
  CHECK(layerwise >= 2);
}
