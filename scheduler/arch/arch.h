// The architecture: plain parameter structs, one per component, filled from YAML in arch_loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fusim {

enum class Dataflow { WeightStationary, OutputStationary, InputStationary };
const char* to_string(Dataflow d);

struct PeArrayParams {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  Dataflow dataflow = Dataflow::OutputStationary;
};

// Depthwise convolution, pooling and element-wise work: `lanes` operations per cycle after a
// pipeline latency paid once per tile.
struct VectorUnitParams {
  std::int64_t lanes = 0;
  std::int64_t latency_cycles = 0;
};

struct BufferParams {
  std::int64_t capacity_bytes = 0;
  std::int64_t banks = 1;
  double bytes_per_cycle = 0;  // fill/drain bandwidth seen by the DMA
};

struct CoreParams {
  PeArrayParams pe_array;
  VectorUnitParams vector_unit;
  BufferParams input_buffer;
  BufferParams weight_buffer;
  BufferParams output_buffer;
};

struct InterconnectParams {
  double bytes_per_cycle = 0;  // shared by all cores
  std::int64_t latency_cycles = 0;
};

struct DramParams {
  std::string preset;  // empty when none was named
  std::int64_t channels = 0;
  double bytes_per_cycle_per_channel = 0;  // in accelerator clock cycles
  std::int64_t latency_cycles = 0;
  std::int64_t burst_bytes = 64;  // channel interleaving granularity
};

struct Arch {
  std::string name;
  std::string file;  // where it was loaded from
  double clock_mhz = 0;
  std::int64_t data_width_bits = 8;
  std::int64_t core_count = 0;
  CoreParams core;
  std::optional<BufferParams> shared_buffer;
  InterconnectParams interconnect;
  DramParams dram;
  std::int64_t kernel_launch_cycles = 0;

  std::int64_t element_bytes() const { return data_width_bits / 8; }
  double dram_peak_bytes_per_cycle() const {
    return dram.bytes_per_cycle_per_channel * static_cast<double>(dram.channels);
  }
};

// Loads an arch YAML file (format: README, "Architecture format"), following `base:` files and
// then applying `overrides` ("key.path=value", from -p) in order. Throws InputError.
Arch load_arch(const std::string& path, const std::vector<std::string>& overrides = {});

// The resolved arch as YAML text in the input format, loadable again with load_arch.
std::string arch_to_yaml(const Arch& arch);

}  // namespace fusim
