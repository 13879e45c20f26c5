// The DLFusion tuner's calibration table (--fusion dlfusion, docs/dlfusion.md): per cell of
// (operation count, channel count), the cycles fusim measured for synthesised layers and chains
// on each core count. Written by scripts/dlfusion_calibrate.py, one file per arch, read here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fusim {

// One cell: MACs bucket i holds [macs_edges[i], macs_edges[i+1]) (the last is open, values
// below the first edge fall in bucket 0); channel buckets likewise.
struct DlfusionCell {
  int macs_bucket = 0, channels_bucket = 0;
  // The core count with the fewest cycles: of the single layer (`layer`, `depthwise`, `pool`,
  // `eltwise`), of the fused chain (`conv_conv`, `bottleneck`); 0 when a chain never fused.
  std::int64_t best_cores = 0;
  // Per DlfusionTable::core_counts, 0 where not measured (for a chain: or not fused as one
  // group on that count): the single layer's cycles or the fused chain's.
  std::vector<std::int64_t> cycles;
  std::int64_t unfused_cycles = 0;  // chains: each layer alone, on its best core count
  bool fuse = false;                // chains: fused, on best_cores, beat unfused_cycles
};

struct DlfusionTable {
  std::string file;                                      // where it was loaded from
  std::string arch;                                      // the arch's name it was measured on
  std::vector<std::int64_t> core_counts;                 // ascending
  std::vector<std::int64_t> macs_edges, channels_edges;  // ascending
  // Single layers by kind: dense convs and the rest (`layer`), depthwise convs, pooling and
  // element-wise adds; then the fused chains.
  std::vector<DlfusionCell> layer, depthwise, pool, eltwise, conv_conv, bottleneck;

  int macs_bucket(std::int64_t macs) const;
  int channels_bucket(std::int64_t channels) const;
  // The cell of `cells` at (macs bucket m, channel bucket c) or, when it was not measured, the
  // measured one of bucket c nearest to m (the lower on a tie); null when c has none.
  static const DlfusionCell* find(const std::vector<DlfusionCell>& cells, int m, int c);
};

// Where the calibration of an arch lives: dlfusion/<arch name>.yaml in the arch file's folder
// (configs/dlfusion/mlu100.yaml for configs/mlu.yaml).
std::string dlfusion_table_path(const std::string& arch_file, const std::string& arch_name);

// Reads a calibration file; every key is checked. A missing file is one InputError naming the
// file and the command that generates it (for `arch_file`).
DlfusionTable load_dlfusion_table(const std::string& path, const std::string& arch_file);

}  // namespace fusim
