// The architecture: plain parameter structs, one per component, each with its parameter table
// (common/params.h) beside it. Filled from YAML by io/arch (arch_io.h); the keys, defaults and
// ranges are the tables' (reference: docs/reference/arch-keys.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/params.h"
#include "engines/engines.h"

namespace fusim {

struct BufferParams {
  std::int64_t capacity_bytes = 0;
  std::int64_t banks = 1;
  double bytes_per_cycle = 0;  // fill/drain bandwidth seen by the DMA
};

// A core's DMA engines (one for loads, one for stores): a tile is split into DRAM bursts along
// its address layout, and at most `outstanding_bursts` of them are in flight at once per engine.
// Used by the detailed DRAM model; the simple model moves a tile as one stream.
struct DmaParams {
  std::int64_t outstanding_bursts = 64;
  // How many cores (the last ones) have a fourth DMA engine that copies later groups' weights
  // from DRAM into the shared buffer (cost/prefetch.h); 0: no weight prefetch. Few, so that the
  // prefetch streams do not crowd the running group's own loads out of the DRAM queues.
  std::int64_t prefetch_engines = 2;
};

// A core: its compute engines (CoreEngines: which it has, and their parameters, e.g.
// core.pe_array), its buffers and its DMA.
struct CoreParams : CoreEngines {
  BufferParams input_buffer;
  BufferParams weight_buffer;
  BufferParams output_buffer;
  DmaParams dma;
};

struct InterconnectParams {
  double bytes_per_cycle = 0;  // shared by all cores
  std::int64_t latency_cycles = 0;
};

enum class DramModel { Simple, Detailed };
enum class PagePolicy { Open, Closed };
// When the detailed model's controller sends writes from its write queue to the banks
// (docs/dram.md, "Write drain").
enum class WriteDrain { Watermark, Batch };
// How the detailed model's controller turns an address's fields into a bank (docs/dram.md).
enum class AddressHash { None, Xor, Mix };
const char* to_string(DramModel m);
const char* to_string(PagePolicy p);
const char* to_string(WriteDrain w);

// JEDEC timing parameters of the detailed model, in DRAM clock cycles (nCK, of dram.tck_ps).
// tCL is the read latency (CL/RL) and tCWL the write latency (CWL/WL), both counted from the
// column command to the first data beat.
struct DramTiming {
  std::int64_t tRCD = 0, tCL = 0, tCWL = 0, tRP = 0, tRAS = 0, tRC = 0;
  std::int64_t tCCD_S = 0, tCCD_L = 0, tRRD_S = 0, tRRD_L = 0, tFAW = 0;
  std::int64_t tWR = 0, tWTR_S = 0, tWTR_L = 0, tRTP = 0, tREFI = 0, tRFC = 0;
};

// A DRAM device's datasheet supply voltage and currents (IDD, per device), which the energy
// model turns into the energy of the detailed model's commands and background the way DRAMPower
// and DRAMSim3 do (docs/energy.md). All 0: unknown, and DRAM energy is energy.dram_pj_per_bit.
struct DramPower {
  double vdd = 0;                          // V
  double idd0 = 0, idd2n = 0, idd3n = 0;   // mA: activate-precharge, idle closed, open
  double idd4r = 0, idd4w = 0, idd5b = 0;  // mA: burst read, burst write, refresh
  std::int64_t devices = 0;                // devices per rank sharing the channel
  bool known() const { return vdd > 0 && devices > 0; }
};

struct DramParams {
  DramModel model = DramModel::Simple;
  std::string preset;  // empty when none was named
  std::int64_t channels = 0;
  // Simple model (and the peak that bounds both models; derived from the device in detailed).
  double bytes_per_cycle_per_channel = 0;  // in accelerator clock cycles
  std::int64_t latency_cycles = 0;         // simple model only
  std::int64_t burst_bytes = 64;           // simple model only: channel interleaving granularity
  // Detailed model: device and organisation of one channel.
  double tck_ps = 0;              // DRAM clock period; data moves on both edges
  std::int64_t bus_bytes = 0;     // data bus width of a channel
  std::int64_t burst_length = 0;  // beats per burst (BL); a burst moves bus_bytes * BL bytes
  std::int64_t ranks = 1;
  std::int64_t bank_groups = 1;  // 1 for devices without bank groups
  std::int64_t banks_per_group = 0;
  std::int64_t rows = 0;       // per bank
  std::int64_t row_bytes = 0;  // page size of a rank (all devices of the rank together)
  DramTiming timing;
  DramPower power;
  // Detailed model: controller.
  PagePolicy page_policy = PagePolicy::Open;
  // Address fields from the most to the least significant, separated by ':', over the burst
  // offset: each of row, rank, bankgroup, bank, column, channel exactly once.
  std::string address_mapping = "row:bank:rank:column:bankgroup:channel";
  // Xor: the bank, bank group and rank XORed with the row folded onto their width, the channel
  // with the row's bits above it (permutation-based interleaving); None: the fields as the
  // mapping cuts them.
  AddressHash address_hash = AddressHash::None;
  std::int64_t queue_depth =
      32;  // transaction queues: read queue and write queue, each, per channel
  std::int64_t command_queue_depth = 8;  // per-bank command queue, per bank
  std::int64_t row_hit_cap = 4;          // 0: no cap
  WriteDrain write_drain = WriteDrain::Watermark;
  double write_high_watermark = 0.75;  // fractions of queue_depth
  double write_low_watermark = 0.25;
  std::int64_t lookahead_cycles = 100;  // how far ahead the controller commits commands
  std::int64_t epoch_cycles = 10000;    // bandwidth-per-epoch statistics

  std::int64_t burst_bytes_detailed() const { return bus_bytes * burst_length; }
};

// A named DRAM device: the fields of DramParams it sets (device, organisation, timing) are those
// whose table entries are filled_by_preset; the rest keep their defaults.
struct DramPreset {
  const char* name;
  DramParams params;
};
const std::vector<DramPreset>& dram_presets();
const DramPreset* find_dram_preset(const std::string& name);  // null when there is none

// Energy per action in pJ, from a named table (energy.table, model/arch/energy_tables.h) that
// fills the entries not set. Buffer entries left unset follow from the buffer's capacity by the
// table's SRAM rule. docs/energy.md says where each figure comes from.
struct EnergyParams {
  std::string table = "horowitz-45nm";
  double mac_pj = 0;                    // one multiply-accumulate at the data width
  double add_pj = 0;                    // one accumulator addition outside a MAC
  double mask_pj = 0;                   // one mask test (ARCHON: an AND of two mask bits)
  double vector_op_pj = 0;              // one element operation of the vector unit
  double input_buffer_pj_per_byte = 0;  // read or write, per byte
  double weight_buffer_pj_per_byte = 0;
  double output_buffer_pj_per_byte = 0;
  double register_pj_per_byte = 0;  // a PE's registers
  double shared_buffer_pj_per_byte = 0;
  double interconnect_pj_per_byte = 0;
  double dram_pj_per_bit = 0;  // the simple model, and the detailed one without dram.power
  double core_leakage_mw = 0;  // static power of one core (engines and buffers)
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
  EnergyParams energy;
  std::int64_t kernel_launch_cycles = 0;
  std::int64_t barrier_cycles = 0;  // between the members of a layerwise group

  std::int64_t element_bytes() const { return data_width_bits / 8; }
  double dram_peak_bytes_per_cycle() const {
    return dram.bytes_per_cycle_per_channel * static_cast<double>(dram.channels);
  }
  // The cores with a prefetch engine (the last ones): at least 1, at most every core. Whether
  // there is prefetch at all is core.dma.prefetch_engines > 0.
  std::int64_t prefetch_engine_count() const {
    return std::clamp<std::int64_t>(core.dma.prefetch_engines, 1, core_count);
  }
};

// The parameter tables, from the root: every key of the arch format.
const ParamTable& arch_params();
const ParamTable& core_params();         // under cores: (its fields are in Arch)
const ParamTable& core_buffer_params();  // under cores.buffers:
const ParamTable& buffer_params();
const ParamTable& dma_params();
const ParamTable& interconnect_params();
const ParamTable& dram_params();
const ParamTable& dram_timing_params();
const ParamTable& dram_power_params();
const ParamTable& energy_params();

// An address mapping's fields (DramParams::address_mapping), most significant first.
// Why `text` is not a valid mapping, or "" when it is.
std::string address_mapping_error(const std::string& text);

}  // namespace fusim
