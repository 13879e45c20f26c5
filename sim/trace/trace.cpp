#include "trace/trace.h"

#include <algorithm>

namespace fusim {

void TraceTrack::add(double start, double end, std::int32_t layer, std::int32_t group,
                     std::int64_t bytes) {
  // A span takes `per_span` consecutive commands of one group.
  if (spans.empty() || spans.back().commands >= per_span || spans.back().group != group) {
    spans.push_back(TraceSpan{start, end, layer, layer, group, 0, 0});
  }
  TraceSpan& s = spans.back();
  s.end = std::max(s.end, end);
  s.first_layer = std::min(s.first_layer, layer);
  s.last_layer = std::max(s.last_layer, layer);
  ++s.commands;
  s.bytes += bytes;
}

void BusyPeriods::add(std::int64_t start, std::int64_t end) {
  if (!periods.empty() && start <= periods.back().second + merge_gap) {
    periods.back().second = std::max(periods.back().second, end);
    return;
  }
  periods.emplace_back(start, end);
  if (static_cast<std::int64_t>(periods.size()) <= kMaxBusyPeriods) return;
  // Full: double the gap and merge what is there again, in place.
  merge_gap = std::max<std::int64_t>(1, merge_gap * 2);
  std::size_t out = 0;
  for (std::size_t i = 1; i < periods.size(); ++i) {
    if (periods[i].first <= periods[out].second + merge_gap) {
      periods[out].second = std::max(periods[out].second, periods[i].second);
    } else {
      periods[++out] = periods[i];
    }
  }
  periods.resize(out + 1);
}

}  // namespace fusim
