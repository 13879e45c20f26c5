#include "rewrite/bottleneck.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cost/cost_model.h"
#include "engines/engines.h"

namespace fusim {

namespace {

bool pointwise_conv(const Layer& l) {
  return l.type == LayerType::Conv && !l.is_depthwise() && l.kernel_h == 1 && l.kernel_w == 1 &&
         l.stride_h == 1 && l.stride_w == 1 && l.pad_h == 0 && l.pad_w == 0 && l.pad_bottom == 0 &&
         l.pad_right == 0 && l.dilation == 1 && !l.is_fused_block();
}

// The layer an operand names, or -1 for a network input.
int producer(const Operand& op) {
  return op.from_network_input ? -1 : op.index;
}

}  // namespace

bool has_fused_bottleneck(const Arch& arch) {
  bool has = false;
  Engines::for_each([&](auto slot, int i) {
    using E = typename decltype(slot)::Engine;
    if (std::is_same_v<E, FusedBottleneck> && (arch.core.engines >> i & 1u)) has = true;
  });
  return has;
}

Network fuse_bottlenecks(const Network& net, const Arch& arch, const std::string& file,
                         BottleneckCount* count) {
  if (!has_fused_bottleneck(arch)) return net;
  const std::vector<Layer>& layers = net.layers();
  const auto n = static_cast<int>(layers.size());
  // Each project layer's block: its expand and depthwise layers.
  std::vector<int> expand_of(layers.size(), -1), depthwise_of(layers.size(), -1);
  std::vector<char> absorbed(layers.size(), 0);  // in a block found already
  std::set<std::string> names;
  for (const Layer& l : layers) names.insert(l.name);
  for (int p = 0; p < n; ++p) {
    const Layer& proj = layers[static_cast<std::size_t>(p)];
    if (!pointwise_conv(proj) || proj.activation != Activation::None || proj.inputs.size() != 1)
      continue;
    const int d = producer(proj.inputs[0]);
    if (d < 0) continue;
    const Layer& dw = layers[static_cast<std::size_t>(d)];
    if (!dw.is_depthwise() || dw.activation != Activation::Relu || dw.kernel_h != dw.kernel_w ||
        dw.dilation != 1 || net.consumers(d) != std::vector<int>{p}) {
      continue;
    }
    const int e = producer(dw.inputs[0]);
    if (e < 0) continue;
    const Layer& ex = layers[static_cast<std::size_t>(e)];
    if (!pointwise_conv(ex) || ex.activation != Activation::Relu || ex.groups != proj.groups ||
        ex.inputs.size() != 1 || net.consumers(e) != std::vector<int>{d} || absorbed[e] ||
        absorbed[d]) {
      continue;
    }
    expand_of[static_cast<std::size_t>(p)] = e;
    depthwise_of[static_cast<std::size_t>(p)] = d;
    absorbed[static_cast<std::size_t>(e)] = absorbed[static_cast<std::size_t>(d)] = 1;
  }

  // The network with the blocks of `ex_of` (project -> expand, -1: none) and `dw_of` fused;
  // where each project layer went.
  std::vector<int> new_index(layers.size(), -1);
  const auto build = [&](const std::vector<int>& ex_of, const std::vector<int>& dw_of) {
    std::vector<char> gone(layers.size(), 0);
    for (std::size_t p = 0; p < layers.size(); ++p) {
      if (ex_of[p] < 0) continue;
      gone[static_cast<std::size_t>(ex_of[p])] = gone[static_cast<std::size_t>(dw_of[p])] = 1;
    }
    int next = 0;
    for (int i = 0; i < n; ++i)
      new_index[static_cast<std::size_t>(i)] = gone[static_cast<std::size_t>(i)] ? -1 : next++;
    std::set<std::string> taken = names;
    std::vector<Layer> out;
    out.reserve(static_cast<std::size_t>(next));
    for (int i = 0; i < n; ++i) {
      if (gone[static_cast<std::size_t>(i)]) continue;
      Layer l = layers[static_cast<std::size_t>(i)];
      const int e = ex_of[static_cast<std::size_t>(i)];
      if (e >= 0) {
        const Layer& ex = layers[static_cast<std::size_t>(e)];
        const Layer& dw = layers[static_cast<std::size_t>(dw_of[static_cast<std::size_t>(i)])];
        l.fused.members = {ex.name, dw.name, l.name};
        std::string name = ex.name + "+" + dw.name + "+" + l.name;
        while (taken.count(name)) name += "'";
        taken.insert(name);
        l.name = name;
        l.inputs = ex.inputs;
        l.kernel_h = dw.kernel_h;
        l.kernel_w = dw.kernel_w;
        l.stride_h = dw.stride_h;
        l.stride_w = dw.stride_w;
        l.pad_h = dw.pad_h;
        l.pad_w = dw.pad_w;
        l.pad_bottom = dw.pad_bottom;
        l.pad_right = dw.pad_right;
        l.ceil_mode = dw.ceil_mode;
        l.fused.expand_channels = ex.out_channels;
        l.fused.expand_survival = ex.survival;
        l.fused.depthwise_survival = dw.survival;
        l.fused.value_bits = arch.data_width_bits;
        l.fused.index_bits = arch.core.fused_bottleneck.index_bits;
      }
      for (Operand& op : l.inputs)
        if (!op.from_network_input) op.index = new_index[static_cast<std::size_t>(op.index)];
      out.push_back(std::move(l));
    }
    return Network(net.name(), net.batch(), net.inputs(), std::move(out), file);
  };

  // A compiler maps a block to the engine where that is faster: the cost model's estimate of
  // the fused block against the block unfused (its three layers fused in one group, or each
  // alone, whichever is faster), on all the cores.
  Network all = build(expand_of, depthwise_of);
  int found = 0, dropped_blocks = 0;
  const std::vector<int> where = new_index;
  const std::int64_t cores = arch.core_count;
  bool dropped = false;
  for (int p = 0; p < n; ++p) {
    const int e = expand_of[static_cast<std::size_t>(p)];
    if (e < 0) continue;
    ++found;
    const int d = depthwise_of[static_cast<std::size_t>(p)];
    const GroupCost fused = evaluate_group(all, arch, {where[static_cast<std::size_t>(p)]}, cores);
    std::int64_t unfused = INT64_MAX;
    if (const GroupCost g = evaluate_group(net, arch, {e, d, p}, cores); g.feasible)
      unfused = g.est_cycles;
    std::int64_t alone = 0;
    for (int i : {e, d, p}) {
      const GroupCost g = evaluate_group(net, arch, {i}, cores);
      alone = g.feasible && alone < INT64_MAX ? alone + g.est_cycles : INT64_MAX;
    }
    unfused = std::min(unfused, alone);
    if (fused.feasible && fused.est_cycles < unfused) continue;
    expand_of[static_cast<std::size_t>(p)] = depthwise_of[static_cast<std::size_t>(p)] = -1;
    dropped = true;
    ++dropped_blocks;
  }
  if (count != nullptr) *count = {found, found - dropped_blocks};
  return dropped ? build(expand_of, depthwise_of) : all;
}

}  // namespace fusim
