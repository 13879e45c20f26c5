// The DLFusion tuner's calibration table (--fusion dlfusion, docs/dlfusion.md): per kind of
// layer and cell of (operation count, channel count), the cycles fusim measured for a
// synthesised layer, and for a fused chain of such layers, on each core count. Written by
// scripts/dlfusion_calibrate.py, one file per arch, read here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace fusim {

// One cell: MACs bucket i holds [macs_edges[i], macs_edges[i+1]) (the last is open, values
// below the first edge fall in bucket 0); channel buckets likewise.
struct DlfusionCell {
  int macs_bucket = 0, channels_bucket = 0;
  std::int64_t ops = 0;         // the synthesised layer's operation count (per layer of a chain)
  std::int64_t best_cores = 0;  // the core count with the fewest cycles
  // Per DlfusionTable::core_counts, 0 where not measured (for a chain: or not fused as one
  // group on that count): the single layer's cycles or the whole fused chain's.
  std::vector<std::int64_t> cycles;
};

// The kinds of layer the calibration tells apart: dense 3x3 (and other) convs, 1x1 convs,
// depthwise convs, pooling, element-wise adds (and concats), fully connected layers.
enum class DlfusionKind { Layer, Pointwise, Depthwise, Pool, Eltwise, Fc };
constexpr int kDlfusionKinds = 6;
// The kind's key in the file: `layer`, `pointwise`, ...; its fused chain's is `fused_<key>`.
const char* dlfusion_kind_key(DlfusionKind k);

struct DlfusionTable {
  std::string file;                                      // where it was loaded from
  std::string arch;                                      // the arch's name it was measured on
  std::vector<std::int64_t> core_counts;                 // ascending
  std::vector<std::int64_t> macs_edges, channels_edges;  // ascending
  std::int64_t chain_layers = 0;                         // layers of each fused chain of one kind
  std::int64_t bottleneck_ratio = 0;  // C over the channels of the 1x1 conv after a 3x3 layer
  // Per kind: the single layers, and the fused ones (none for fc: its list is empty). For
  // pointwise and eltwise, a fused cell is a chain of chain_layers such layers, its cycles the
  // whole chain's. For the kinds with a window over several rows (layer, depthwise, pool), one
  // such layer (C channels) fused with a 1x1 conv C -> C/bottleneck_ratio after it, as it leads
  // a bottleneck's group, its cycles the group's less those of the 1x1 conv alone on the same
  // input: the layer's marginal cycles leading a fused group.
  std::array<std::vector<DlfusionCell>, kDlfusionKinds> single, fused;
  // Whether the fused cells of kind k hold a layer's marginal cycles (above), not a chain's.
  static bool fused_marginal(DlfusionKind k) {
    return k == DlfusionKind::Layer || k == DlfusionKind::Depthwise || k == DlfusionKind::Pool;
  }

  int macs_bucket(std::int64_t macs) const;
  int channels_bucket(std::int64_t channels) const;
  // The cell of `cells` at (macs bucket m, channel bucket c) or, when it was not measured, the
  // measured one of bucket c nearest to m (the lower on a tie); null when c has none.
  static const DlfusionCell* find(const std::vector<DlfusionCell>& cells, int m, int c);
  // The cycles of `cells` on core count `cores` (one of core_counts) at `ops` operations and
  // `channels` channels: linear in the operation count between the two measured cells of a
  // channel bucket around it (beyond the largest, scaled from it above `floor` cycles; below
  // the smallest, the smallest's, or with `scale_below` scaled down to it above `floor`), then
  // linear in log2 of the channels between the two buckets around it (or the nearest bucket
  // measured on that count). Negative when nothing was measured on that count.
  double cycles_at(const std::vector<DlfusionCell>& cells, std::int64_t cores, double ops,
                   double channels, double floor, bool scale_below = false) const;
};

// Where the calibration of an arch lives: dlfusion/<arch name>.yaml in the arch file's folder
// (configs/dlfusion/mlu100.yaml for configs/mlu.yaml).
std::string dlfusion_table_path(const std::string& arch_file, const std::string& arch_name);

// Reads a calibration file; every key is checked. A missing file is one InputError naming the
// file and the command that generates it (for `arch_file`).
DlfusionTable load_dlfusion_table(const std::string& path, const std::string& arch_file);

}  // namespace fusim
