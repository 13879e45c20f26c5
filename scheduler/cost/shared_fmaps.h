// Feature maps kept in the shared on-chip buffer between groups (docs/multicore.md): a layer's
// output that a later group reads is stored to the shared buffer and loaded from it, instead of
// going to DRAM and back, when it fits beside the other maps live at the same time.
//
// Which maps can: every layer output that some layer reads and that fits the shared buffer
// alone, except a concat's tensor and the outputs written straight into one (a concat is a view
// of its producers' outputs in DRAM: cost/concat_copy.h). Network outputs and inputs stay in
// DRAM, as do weights. A slice (a view) lies where the map it views lies (place_views).
#pragma once

#include <cstdint>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

// Bytes between the starts of two maps in the shared buffer.
constexpr std::int64_t kSharedFmapAlign = 256;

// The bytes of layer `layer`'s output, every batch item.
std::int64_t fmap_bytes(const Network& net, const Arch& arch, int layer);

// False when a map that passes between `layers` (sorted) is larger than the arch's shared buffer,
// or the ones that can be there (`candidates`: shared_fmap_candidates, empty for none) do not fit
// it together (the placement keeps them for the whole group). The searches consider a layerwise
// group only when true: its members would move such maps through DRAM as channel slices of NHWC
// maps, in pieces smaller than a burst, which the cost model counts as bytes and the DRAM as
// bursts (docs/multicore.md), so its estimate would be far too low (MobileNetV2 at batch 64:
// 1.7x). Maps in DRAM by design (a concat's) and archs without a shared buffer are not refused;
// a view's bytes are those of the map it views.
bool maps_stay_on_chip(const Network& net, const Arch& arch, const std::vector<int>& layers,
                       const std::vector<std::int64_t>& candidates);

// What the searches assume while the groups are not known yet: every map that can live in the
// shared buffer does, at address 0 (the cost model reads only whether a map is there). Empty
// when the arch has no shared buffer.
std::vector<std::int64_t> shared_fmap_candidates(const Network& net, const Arch& arch);

// The placement of `schedule`'s maps (Schedule::shared_fmaps): groups run one after another, and
// a map stored by group p and last read by group q occupies its bytes from p to q. In group
// order (then layer order), each map that can live in the shared buffer takes the lowest
// address where it overlaps no map live at the same time, or stays in DRAM when none is free.
// Empty when no map is placed.
std::vector<std::int64_t> plan_shared_fmaps(const Network& net, const Arch& arch,
                                            const Schedule& schedule);

// Sets each view's entry of `at` (a slice, a shuffle read as one; Schedule::shared_fmaps) to
// where the map it views lies: in the shared buffer at that map's address, a slice's channels
// `slice_begin` elements into each pixel; -1 when that map is in DRAM. Nothing when `at` is
// empty.
void place_views(const Network& net, const Arch& arch, std::vector<std::int64_t>& at);

// A range of the shared buffer in use from the start of group `first` to the end of `last`.
struct SharedSpan {
  std::int64_t begin = 0, end = 0;
  int first = 0, last = 0;
};

// The lowest address, in steps of kSharedFmapAlign, where `bytes` overlap no span of `spans`
// live during any of groups first..last; -1 when none leaves them below `capacity`.
std::int64_t lowest_free_address(const std::vector<SharedSpan>& spans, std::int64_t bytes,
                                 int first, int last, std::int64_t capacity);

// The spans of `schedule`'s placed maps (Schedule::shared_fmaps): from the group that stores a
// map to the last that reads it.
std::vector<SharedSpan> shared_fmap_spans(const Network& net, const Arch& arch,
                                          const Schedule& schedule);

}  // namespace fusim
