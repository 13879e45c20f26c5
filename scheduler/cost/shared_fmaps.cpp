#include "cost/shared_fmaps.h"

#include <algorithm>

#include "common/checked.h"
#include "cost/concat_copy.h"

namespace fusim {

namespace {

// Per layer: the bytes of its output when it can live in the shared buffer, else 0.
std::vector<std::int64_t> eligible_bytes(const Network& net, const Arch& arch) {
  const std::size_t n = net.layers().size();
  std::vector<std::int64_t> bytes(n, 0);
  if (!arch.shared_buffer) return bytes;
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers()[i];
    if (l.type == LayerType::Concat || l.is_view() || net.consumers(static_cast<int>(i)).empty())
      continue;
    bytes[i] = fmap_bytes(net, arch, static_cast<int>(i));
    if (bytes[i] > arch.shared_buffer->capacity_bytes) bytes[i] = 0;
  }
  // Written straight into a concat's tensor in DRAM. (A map a slice views can be in the shared
  // buffer: the slice's readers read its channels there, place_views.)
  for (std::size_t c = 0; c < n; ++c) {
    const Layer& l = net.layers()[c];
    if (l.type != LayerType::Concat) continue;
    for (std::size_t j = 0; j < l.inputs.size(); ++j) {
      if (in_concat_tensor(net, static_cast<int>(c), j))
        bytes[static_cast<std::size_t>(l.inputs[j].index)] = 0;
    }
  }
  return bytes;
}

}  // namespace

void place_views(const Network& net, const Arch& arch, std::vector<std::int64_t>& at) {
  if (at.empty()) return;
  for (std::size_t i = 0; i < at.size(); ++i) {
    const Layer& l = net.layers()[i];
    if (!l.is_view()) continue;
    at[i] = -1;
    if (l.inputs[0].from_network_input) continue;
    const std::int64_t src = at[static_cast<std::size_t>(l.inputs[0].index)];
    if (src < 0) continue;
    at[i] = l.type == LayerType::Slice ? src + l.slice_begin * arch.element_bytes() : src;
  }
}

std::int64_t fmap_bytes(const Network& net, const Arch& arch, int layer) {
  return mul_checked(mul_checked(net.layer(layer).out_shape.elements(), net.batch()),
                     arch.element_bytes());
}

bool maps_stay_on_chip(const Network& net, const Arch& arch, const std::vector<int>& layers,
                       const std::vector<std::int64_t>& candidates) {
  if (!arch.shared_buffer) return true;
  const std::int64_t capacity = arch.shared_buffer->capacity_bytes;
  std::int64_t together = 0;
  for (int li : layers) {
    if (net.layer(li).is_view()) continue;  // its bytes are the viewed map's
    const std::vector<int>& readers = net.consumers(li);
    const bool inside = std::any_of(readers.begin(), readers.end(), [&](int c) {
      return std::binary_search(layers.begin(), layers.end(), c);
    });
    if (!inside) continue;
    const std::int64_t bytes = fmap_bytes(net, arch, li);
    if (bytes > capacity) return false;
    const auto i = static_cast<std::size_t>(li);
    if (i < candidates.size() && candidates[i] >= 0) together = add_checked(together, bytes);
  }
  return together <= capacity;
}

std::vector<std::int64_t> shared_fmap_candidates(const Network& net, const Arch& arch) {
  if (!arch.shared_buffer) return {};
  const std::vector<std::int64_t> bytes = eligible_bytes(net, arch);
  std::vector<std::int64_t> at(bytes.size(), -1);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] > 0) at[i] = 0;
  }
  place_views(net, arch, at);
  return at;
}

namespace {

std::vector<int> group_of_layers(const Network& net, const Schedule& schedule) {
  std::vector<int> group_of(net.layers().size(), -1);
  for (std::size_t g = 0; g < schedule.groups.size(); ++g) {
    for (int li : schedule.groups[g].layers)
      group_of[static_cast<std::size_t>(li)] = static_cast<int>(g);
  }
  return group_of;
}

// The last group that reads layer `i`'s output (its own when no later group does), through
// the views of it (their readers read it).
int last_reader(const Network& net, const std::vector<int>& group_of, std::size_t i) {
  int last = group_of[i];
  for (int c : net.consumers(static_cast<int>(i))) {
    const auto u = static_cast<std::size_t>(c);
    last = std::max(last, net.layer(c).is_view() ? last_reader(net, group_of, u) : group_of[u]);
  }
  return last;
}

}  // namespace

std::int64_t lowest_free_address(const std::vector<SharedSpan>& spans, std::int64_t bytes,
                                 int first, int last, std::int64_t capacity) {
  std::vector<const SharedSpan*> live;
  for (const SharedSpan& s : spans) {
    if (s.first <= last && first <= s.last) live.push_back(&s);
  }
  std::sort(live.begin(), live.end(),
            [](const SharedSpan* a, const SharedSpan* b) { return a->begin < b->begin; });
  std::int64_t addr = 0;
  for (const SharedSpan* s : live) {
    if (addr + bytes <= s->begin) break;
    addr = std::max(addr, ceil_div(s->end, kSharedFmapAlign) * kSharedFmapAlign);
  }
  return addr + bytes <= capacity ? addr : -1;
}

std::vector<SharedSpan> shared_fmap_spans(const Network& net, const Arch& arch,
                                          const Schedule& schedule) {
  const std::vector<int> group_of = group_of_layers(net, schedule);
  std::vector<SharedSpan> spans;
  for (std::size_t i = 0; i < schedule.shared_fmaps.size(); ++i) {
    const std::int64_t at = schedule.shared_fmaps[i];
    if (at < 0 || net.layers()[i].is_view()) continue;
    const std::int64_t bytes = fmap_bytes(net, arch, static_cast<int>(i));
    spans.push_back({at, at + bytes, group_of[i], last_reader(net, group_of, i)});
  }
  return spans;
}

std::vector<std::int64_t> plan_shared_fmaps(const Network& net, const Arch& arch,
                                            const Schedule& schedule) {
  if (!arch.shared_buffer) return {};
  const std::vector<std::int64_t> bytes = eligible_bytes(net, arch);
  const std::size_t n = bytes.size();
  const std::vector<int> group_of = group_of_layers(net, schedule);
  // The maps that leave their group (or move inside a layerwise one), with the groups that
  // store and last load them.
  struct Map {
    int first = 0, last = 0;
    std::size_t layer = 0;
  };
  std::vector<Map> maps;
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes[i] == 0 || group_of[i] < 0) continue;
    const int last = last_reader(net, group_of, i);
    // A layerwise group's members store their outputs and load their operands like
    // single-layer groups, so its maps read inside it move through memory too.
    const bool stored =
        last > group_of[i] || schedule.groups[static_cast<std::size_t>(group_of[i])].layerwise();
    if (stored) maps.push_back({group_of[i], last, i});
  }
  std::stable_sort(maps.begin(), maps.end(),
                   [](const Map& a, const Map& b) { return a.first < b.first; });
  // A map read by group p is still live while group p stores (a group's loads precede its
  // stores only within it), so spans of the same group overlap.
  std::vector<std::int64_t> at(n, -1);
  std::vector<SharedSpan> placed;
  const std::int64_t capacity = arch.shared_buffer->capacity_bytes;
  for (const Map& m : maps) {
    const std::int64_t addr =
        lowest_free_address(placed, bytes[m.layer], m.first, m.last, capacity);
    if (addr < 0) continue;  // no room: stays in DRAM
    at[m.layer] = addr;
    placed.push_back({addr, addr + bytes[m.layer], m.first, m.last});
  }
  place_views(net, arch, at);
  if (std::all_of(at.begin(), at.end(), [](std::int64_t a) { return a < 0; })) at.clear();
  return at;
}

}  // namespace fusim
