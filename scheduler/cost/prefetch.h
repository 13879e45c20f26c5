// Weights prefetched into the shared on-chip buffer by an earlier group (docs/multicore.md,
// "Weight prefetch"). Groups run one after another and most of them leave the DRAM idle for part
// of their time (the early groups of a CNN compute much and load little), while later groups wait
// for their weights. After the search, a layer's weights may be copied from DRAM to the shared
// buffer during an earlier group whose predicted DRAM time has room for them; the layer's own
// group then loads them from the shared buffer, over the interconnect, instead of from DRAM.
// Each weight byte still crosses the DRAM once.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "arch/arch.h"
#include "cost/cost_model.h"
#include "cost/tile_sink.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

// The share of a group's DRAM peak bandwidth over its predicted time (launch excluded) that the
// planner lets the group's own bytes and its prefetches use together, and the share of that
// time it lets its busiest prefetch engine take. Below 1: the cost model's estimate is not
// exact (docs/multicore.md gives the distribution of simulated over predicted cycles) and
// streams seldom reach the peak, and a prefetch that outlasts its group delays it.
constexpr double kPrefetchDramShare = 0.9;

// How a range of `bytes` is split over the prefetch engines (Arch::prefetch_engine_count, the
// last cores; engine 0 is the last core): up to engines x kPrefetchChunk bytes, evenly, in
// pieces of whole 64-byte lines but the last; longer, in chunks of kPrefetchChunk (the last one
// shorter) dealt to the engines in turn, so that the engines read neighbouring chunks, in the
// same DRAM rows, at once (halves far apart conflict in the DRAM's banks: MobileNetV2's fc
// weights, split in two halves 436 KB apart, ran at 60 of the 102.4 bytes per cycle with 1,488
// row conflicts). `piece(engine, offset, bytes)` for each piece, in each engine's order.
constexpr std::int64_t kPrefetchLine = 64;
constexpr std::int64_t kPrefetchChunk = 64 * 1024;
void split_prefetch(
    const Arch& arch, std::int64_t bytes,
    const std::function<void(std::int64_t engine, std::int64_t offset, std::int64_t bytes)>& piece);
// The first engine's time for a range of `bytes` (its pieces' DmaTiming::prefetch_cycles, one
// after another): the busiest engine's, since it takes the first and the most pieces.
double prefetch_range_cycles(const Arch& arch, const DmaTiming& dma, std::int64_t bytes);

// When the rooms hold only part of a layer's weights, the planner copies their first bytes if
// that is at least kPrefetchLeast bytes and kPrefetchLeastShare of them (plan_weight_prefetch).
// A copy in part costs more than its bytes say: every core reads its first chunks from the
// shared buffer at once, the DRAM idle meanwhile, and its copy fills rooms whose estimate is not
// exact. Measured over every shipped network on mlu.yaml, 8-128 cores, `none` and `optimal`
// (docs/multicore.md, "Weight prefetch"): with no least share the largest slowdown against no
// partial copies was +3.3 % (0.5: +3.7 %, 0.65: +4.7 %); with 0.8, +0.9 %.
constexpr std::int64_t kPrefetchLeast = 64 * 1024;
constexpr double kPrefetchLeastShare = 0.8;

// Sets `schedule`'s shared_weights and prefetches (Schedule). Of kPrefetchDramShare x a group's
// predicted cycles without the launch, its room is: the DRAM peak's bytes less its own off-chip
// bytes; half the interconnect's bytes less its own off-chip and shared-buffer bytes (a
// prefetched byte crosses it twice); and, for its first engine, that time itself (its ranges'
// prefetch_range_cycles, one after another).
// In group order, then layer order, the weights of each layer in a
// group after the first are copied during the latest earlier groups with room, in consecutive
// ranges (the nearest group the first bytes, as much as its room holds, then the one before),
// and take the lowest shared-buffer address (in steps of 256 bytes) free from the start of the
// earliest of those groups to the end of the layer's own, beside the schedule's feature maps
// there (Schedule::shared_fmaps, placed first) and the weights placed before. Where the rooms of
// all earlier groups hold only part of a layer's weights, their first bytes in whole channels
// are copied (SharedWeights::bytes; the loads of the rest read DRAM) when that is enough
// (kPrefetchLeastShare); otherwise, or when no address is free, the weights stay in DRAM. Leaves
// both empty when the arch has no shared buffer or no prefetch engine (cores.dma.prefetch_engines),
// or nothing is prefetched.
void plan_weight_prefetch(const Network& net, const Arch& arch, Schedule& schedule);

// Each group's predicted cost as it runs, which the report compares with its simulation: with
// the schedule's shared maps and weights, and the prefetches it makes (add_prefetch).
std::vector<GroupCost> scheduled_costs(const Network& net, const Arch& arch,
                                       const Schedule& schedule);

// Per group, the weight bytes it prefetches for later groups (all 0 without prefetches).
std::vector<std::int64_t> prefetch_bytes_by_group(const Schedule& schedule);
// Per group, its busiest (first) prefetch engine's time for them: its pieces' prefetch_cycles,
// one after another.
std::vector<double> prefetch_cycles_by_group(const Arch& arch, const Schedule& schedule);

}  // namespace fusim
