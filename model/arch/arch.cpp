#include "arch/arch.h"

#include "arch/energy_tables.h"

#include <algorithm>
#include <sstream>

#include "common/limits.h"

namespace fusim {

namespace {

using limits::kMaxBufferBytes;
using limits::kMaxBytesPerCycle;
using limits::kMaxCores;
using limits::kMaxCount;
using limits::kMaxLatencyCycles;

// In the order of the enums.
const std::vector<std::string> kDramModels = {"simple", "detailed"};
const std::vector<std::string> kPagePolicies = {"open", "closed"};
const std::vector<std::string> kWriteDrains = {"watermark", "batch"};
const std::vector<std::string> kAddressHashes = {"none", "xor", "mix"};

const char* const kMappingFields[] = {"row", "rank", "bankgroup", "bank", "column", "channel"};

const char* const kSimpleOnly = "simple";
const char* const kDetailedOnly = "detailed";
const char* const kDetailedOnlyError =
    "applies to the detailed DRAM model only (dram.model is simple)";
const char* const kSimpleOnlyError =
    "applies to the simple DRAM model only (dram.model is detailed, which derives bandwidth and "
    "latency from the device timing; set dram.model: simple to use it)";

Param detailed(Param p) {
  return std::move(p).only_when("model", kDetailedOnly, kDetailedOnlyError);
}
Param simple(Param p) {
  return std::move(p).only_when("model", kSimpleOnly, kSimpleOnlyError);
}

// A device key of the detailed model: a preset gives it, without one it is required.
Param device(Param p) {
  return detailed(std::move(p).required_without_preset().filled_by_preset());
}

// DRAM presets: one channel's device, organisation and JEDEC timing (in nCK). The simple model
// takes from them the channel's peak bandwidth (bus_bytes * 2 per tCK) and the closed-page read
// latency (tRCD + tCL). Controller and PHY delay are not in these numbers.
DramPreset ddr4_3200() {
  // Speed bin DDR4-3200AA (22-22-22), JESD79-4B table "DDR4-3200 speed bins"; a 64-bit channel
  // of one rank of 8 x8 devices, 8 Gb (Micron MT40A1G8, 16 banks in 4 bank groups, 64 K rows,
  // 1 KB page per device -> 8 KB per rank). tCK 0.625 ns; tRAS 32 ns, tRC 46.25 ns,
  // tRRD_S 2.5 ns / tRRD_L 4.9 ns (>= 4 nCK), tFAW 21 ns (1 KB page), tWR 15 ns,
  // tWTR_S 2.5 ns / tWTR_L 7.5 ns, tRTP 7.5 ns, tCCD_L 5 ns, tREFI 7.8 us, tRFC 350 ns (8 Gb),
  // CWL 16 (1st set). The same numbers are in DRAMSim3's configs/DDR4_8Gb_x8_3200.ini.
  DramPreset p{"DDR4-3200", {}};
  DramParams& d = p.params;
  d.tck_ps = 625;
  d.bus_bytes = 8;
  d.burst_length = 8;
  d.bank_groups = 4;
  d.banks_per_group = 4;
  d.rows = 65536;
  d.row_bytes = 8192;
  DramTiming& t = d.timing;
  t.tRCD = 22, t.tCL = 22, t.tCWL = 16, t.tRP = 22, t.tRAS = 52, t.tRC = 74;
  t.tCCD_S = 4, t.tCCD_L = 8, t.tRRD_S = 4, t.tRRD_L = 8, t.tFAW = 34;
  t.tWR = 24, t.tWTR_S = 4, t.tWTR_L = 12, t.tRTP = 12, t.tREFI = 12480, t.tRFC = 560;
  // DRAMSim3's configs/DDR4_8Gb_x8_3200.ini [power], per device; 8 x8 devices on 64 bits.
  d.power = DramPower{1.2, 57, 37, 52, 168, 150, 250, 8};
  return p;
}

DramPreset lpddr4_3200() {
  // JESD209-4B: one 16-bit channel of an 8 Gb x16 die (8 banks, no bank groups, 32 K rows,
  // 2 KB page), BL16, tCK 0.625 ns; RL 28 and WL 14 (set A, DBI off), tRCD 18 ns, tRPpb 18 ns,
  // tRAS 42 ns, tRC = tRAS + tRPab (42 + 21 ns), tCCD 8 nCK (BL16), tRRD 10 ns, tFAW 40 ns,
  // tWR 18 ns, tWTR 10 ns, tRTP 7.5 ns, tREFI 3.904 us, tRFCab 280 ns (8 Gb). No bank groups:
  // tCCD_S = tCCD_L, tRRD_S = tRRD_L, tWTR_S = tWTR_L. (Ramulator's LPDDR4.h speed table has the
  // same core timings.)
  DramPreset p{"LPDDR4-3200", {}};
  DramParams& d = p.params;
  d.tck_ps = 625;
  d.bus_bytes = 2;
  d.burst_length = 16;
  d.bank_groups = 1;
  d.banks_per_group = 8;
  d.rows = 32768;
  d.row_bytes = 2048;
  DramTiming& t = d.timing;
  t.tRCD = 29, t.tCL = 28, t.tCWL = 14, t.tRP = 29, t.tRAS = 68, t.tRC = 102;
  t.tCCD_S = 8, t.tCCD_L = 8, t.tRRD_S = 16, t.tRRD_L = 16, t.tFAW = 64;
  t.tWR = 29, t.tWTR_S = 16, t.tWTR_L = 16, t.tRTP = 12, t.tREFI = 6246, t.tRFC = 448;
  // DRAMSim3 has no LPDDR4-3200 file: its configs/LPDDR4_8Gb_x16_2400.ini [power] (one VDD of
  // 1.2 V standing for LPDDR4's VDD1/VDD2/VDDQ, as DRAMSim3 has it); one x16 die per channel.
  d.power = DramPower{1.2, 80, 34, 47, 243, 228, 280, 1};
  return p;
}

DramPreset hbm2() {
  // JESD235A: one 128-bit legacy-mode channel at 2 Gb/s per pin (tCK 1 ns), BL4 (64 B bursts),
  // 8 Gb per channel: 16 banks in 4 bank groups, 32 K rows, 1 KB page; CL 14, CWL 4, tRCD 14,
  // tRP 14, tRAS 34, tRC 48, tRRD_S 4 / tRRD_L 6, tFAW 30, tWR 16, tWTR_S 6 / tWTR_L 8, tRTP 4,
  // tREFI 3.9 us, tRFC 260 ns (DRAMSim3's configs/HBM2_8Gb_x128.ini). tCCD_S is 2 nCK, the time
  // a BL4 burst holds the bus; tCCD_L 4 nCK is an assumption (twice tCCD_S, as in DDR4-3200).
  DramPreset p{"HBM2", {}};
  DramParams& d = p.params;
  d.tck_ps = 1000;
  d.bus_bytes = 16;
  d.burst_length = 4;
  d.bank_groups = 4;
  d.banks_per_group = 4;
  d.rows = 32768;
  d.row_bytes = 1024;
  DramTiming& t = d.timing;
  t.tRCD = 14, t.tCL = 14, t.tCWL = 4, t.tRP = 14, t.tRAS = 34, t.tRC = 48;
  t.tCCD_S = 2, t.tCCD_L = 4, t.tRRD_S = 4, t.tRRD_L = 6, t.tFAW = 30;
  t.tWR = 16, t.tWTR_S = 6, t.tWTR_L = 8, t.tRTP = 4, t.tREFI = 3900, t.tRFC = 260;
  // DRAMSim3's configs/HBM2_8Gb_x128.ini [power]; the 128-bit channel is one device.
  d.power = DramPower{1.2, 65, 40, 55, 390, 500, 250, 1};
  return p;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const DramPreset& p : dram_presets()) names.push_back(p.name);
  return names;
}

std::string width_error(const void* owner) {
  return static_cast<const Arch*>(owner)->data_width_bits % 8 != 0 ? "must be a multiple of 8" : "";
}

std::string mapping_error(const void* owner) {
  return address_mapping_error(static_cast<const DramParams*>(owner)->address_mapping);
}

std::string watermark_error(const void* owner) {
  const auto* d = static_cast<const DramParams*>(owner);
  return d->write_low_watermark > d->write_high_watermark
             ? "must not exceed dram.write_high_watermark (" +
                   format_real(d->write_high_watermark) + ")"
             : "";
}

}  // namespace

const char* to_string(WriteDrain w) {
  return kWriteDrains[static_cast<std::size_t>(w)].c_str();
}

const char* to_string(DramModel m) {
  return kDramModels[static_cast<std::size_t>(m)].c_str();
}

const char* to_string(PagePolicy p) {
  return kPagePolicies[static_cast<std::size_t>(p)].c_str();
}

const std::vector<DramPreset>& dram_presets() {
  static const std::vector<DramPreset> presets = {ddr4_3200(), lpddr4_3200(), hbm2()};
  return presets;
}

const DramPreset* find_dram_preset(const std::string& name) {
  for (const DramPreset& p : dram_presets()) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

std::string address_mapping_error(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
  for (const char* f : kMappingFields) {
    if (std::count(parts.begin(), parts.end(), f) != 1) {
      return "'" + text +
             "' must name each of row, rank, bankgroup, bank, column, channel exactly once, "
             "separated by ':'";
    }
  }
  if (parts.size() != std::size(kMappingFields)) {
    return "'" + text +
           "' has an unknown field; the fields are row, rank, bankgroup, bank, column, channel";
  }
  return "";
}

const ParamTable& arch_params() {
  static const ParamTable t{
      "architecture",
      {
          params::text<&Arch::name>("name", {}, "the architecture's name, shown in the reports")
              .required(),
          params::real<&Arch::clock_mhz>("clock_mhz", 1e-3, 1e6, "MHz",
                                         "accelerator clock; every cycle count is in it")
              .required(),
          params::integer<&Arch::data_width_bits>("data_width_bits", 8, 64, "bits",
                                                  "width of one element (a multiple of 8)")
              .with_check(&width_error),
          params::integer<&Arch::kernel_launch_cycles>(
              "kernel_launch_cycles", 0, kMaxLatencyCycles, "cycles",
              "launch and synchronisation overhead of each fusion group"),
          params::integer<&Arch::barrier_cycles>(
              "barrier_cycles", 0, kMaxLatencyCycles, "cycles",
              "synchronisation of the cores between the members of a layerwise group (one "
              "kernel, no launch): after the last core arrives, until the next member starts"),
          params::map<>("cores", &core_params, "the cores, all alike"),
          params::optional_map<&Arch::shared_buffer>(
              "shared_buffer", &buffer_params,
              "an on-chip buffer shared by all cores (absent: none); programs given with "
              "--schedule-in may load from and store to it"),
          params::map<&Arch::interconnect>("interconnect", &interconnect_params,
                                           "the link between the cores and DRAM"),
          params::map<&Arch::dram>("dram", &dram_params, "off-chip memory"),
          params::map<&Arch::energy>("energy", &energy_params,
                                     "energy per action: a named table and overrides"),
      }};
  return t;
}

const ParamTable& core_params() {
  static const ParamTable t = [] {
    ParamTable c{"cores", {}};
    c.params.push_back(
        params::integer<&Arch::core_count>("count", 1, kMaxCores, "cores", "number of cores")
            .required());
    std::vector<std::string> engine_names;
    Engines::for_each(
        [&](auto slot, int) { engine_names.push_back(decltype(slot)::Engine::kName); });
    c.params.push_back(params::names<&Arch::core, &CoreParams::engines>(
        "engines", engine_names,
        "the compute engines of each core; each kind of work runs on the one engine for it"));
    Engines::for_each([&](auto slot, int) {
      using S = decltype(slot);
      c.params.push_back(
          params::map<&Arch::core, S::params>(S::Engine::kName, &S::Engine::params,
                                              S::Engine::kDescription)
              .only_when("engines", S::Engine::kName,
                         std::string("applies only when cores.engines lists ") + S::Engine::kName));
    });
    c.params.push_back(
        params::map<&Arch::core, &CoreParams::dma>("dma", &dma_params, "the DMA engines"));
    c.params.push_back(params::map<>("buffers", &core_buffer_params, "the core's local buffers"));
    return c;
  }();
  return t;
}

const ParamTable& core_buffer_params() {
  static const ParamTable t{
      "core buffers",
      {
          params::map<&Arch::core, &CoreParams::input_buffer>("input", &buffer_params,
                                                              "input feature maps"),
          params::map<&Arch::core, &CoreParams::weight_buffer>("weight", &buffer_params, "weights"),
          params::map<&Arch::core, &CoreParams::output_buffer>(
              "output", &buffer_params, "output feature maps and partial sums"),
      }};
  return t;
}

const ParamTable& buffer_params() {
  static const ParamTable t{
      "buffer",
      {
          params::integer<&BufferParams::capacity_bytes>("capacity_bytes", 1, kMaxBufferBytes,
                                                         "bytes", "capacity")
              .required(),
          params::integer<&BufferParams::banks>("banks", 1, kMaxCount, "banks",
                                                "banks the buffer is split into"),
          params::real<&BufferParams::bytes_per_cycle>("bytes_per_cycle", 1e-3, kMaxBytesPerCycle,
                                                       "bytes/cycle",
                                                       "fill and drain bandwidth seen by the DMA")
              .required(),
      }};
  return t;
}

const ParamTable& dma_params() {
  static const ParamTable t{
      "DMA",
      {
          params::integer<&DmaParams::outstanding_bursts>(
              "outstanding_bursts", 1, 1 << 16, "bursts",
              "DRAM bursts in flight at once per DMA engine (detailed DRAM model)"),
          params::integer<&DmaParams::prefetch_engines>(
              "prefetch_engines", 0, kMaxCount, "engines",
              "cores (the last ones) whose fourth DMA engine copies later groups' weights from "
              "DRAM into the shared buffer (0: no weight prefetch)"),
      }};
  return t;
}

const ParamTable& interconnect_params() {
  static const ParamTable t{
      "interconnect",
      {
          params::real<&InterconnectParams::bytes_per_cycle>("bytes_per_cycle", 1e-3,
                                                             kMaxBytesPerCycle, "bytes/cycle",
                                                             "bandwidth, shared by all cores")
              .required(),
          params::integer<&InterconnectParams::latency_cycles>(
              "latency_cycles", 0, kMaxLatencyCycles, "cycles", "latency of a transfer"),
      }};
  return t;
}

const ParamTable& dram_params() {
  static const ParamTable t{
      "DRAM",
      {
          params::text<&DramParams::preset>("preset", preset_names(),
                                            "a DRAM device (presets below) whose organisation "
                                            "and timing fill the keys it gives that are not set")
              .names_the_preset()
              .not_written(),
          params::choice<&DramParams::model>(
              "model", kDramModels,
              "simple: one stream per channel at a fixed bandwidth and latency; detailed: "
              "banks, rows and JEDEC timing")
              .with_default("detailed with a preset, else simple"),
          params::integer<&DramParams::channels>("channels", 1, kMaxCount, "channels",
                                                 "independent channels")
              .required(),
          simple(params::real<&DramParams::bytes_per_cycle_per_channel>(
                     "bytes_per_cycle_per_channel", 1e-3, kMaxBytesPerCycle, "bytes/cycle",
                     "bandwidth of a channel")
                     .required_without_preset()
                     .with_default("the preset's peak, bus_bytes x 2 per tck_ps")),
          simple(params::integer<&DramParams::latency_cycles>(
                     "latency_cycles", 0, kMaxLatencyCycles, "cycles", "latency of an access")
                     .with_default("0; with a preset its closed-page read latency, tRCD + tCL")),
          simple(params::integer<&DramParams::burst_bytes>("burst_bytes", 1, 1 << 16, "bytes",
                                                           "channel interleaving granularity")),
          device(params::real<&DramParams::tck_ps>("tck_ps", 1, 1e6, "ps",
                                                   "DRAM clock period (data moves on both edges)")),
          device(params::integer<&DramParams::bus_bytes>("bus_bytes", 1, 1 << 12, "bytes",
                                                         "data bus width of a channel")),
          device(params::integer<&DramParams::burst_length>(
              "burst_length", 1, 64, "beats", "BL; a burst moves bus_bytes x burst_length bytes")),
          detailed(
              params::integer<&DramParams::ranks>("ranks", 1, 64, "ranks", "ranks per channel")),
          detailed(params::integer<&DramParams::bank_groups>("bank_groups", 1, 64, "bank groups",
                                                             "1 for devices without bank groups")
                       .filled_by_preset()),
          device(params::integer<&DramParams::banks_per_group>("banks_per_group", 1, 256, "banks",
                                                               "banks in each bank group")),
          device(params::integer<&DramParams::rows>("rows", 1, std::int64_t{1} << 32, "rows",
                                                    "rows per bank")),
          device(params::integer<&DramParams::row_bytes>(
              "row_bytes", 1, 1 << 24, "bytes",
              "page size of a rank (all its devices together); a multiple of the burst")),
          detailed(params::choice<&DramParams::page_policy>(
              "page_policy", kPagePolicies,
              "open: a row stays open after an access; closed: precharged at once")),
          detailed(params::text<&DramParams::address_mapping>(
                       "address_mapping", {},
                       "address fields from the most to the least significant, separated by "
                       "':', over the burst offset: each of row, rank, bankgroup, bank, column, "
                       "channel once")
                       .with_check(&mapping_error)),
          // Accepted with the simple model too (it has no banks: no effect there), so that a
          // config that sets it can be run with -p dram.model=simple.
          params::choice<&DramParams::address_hash>(
              "address_hash", kAddressHashes,
              "detailed model (the simple one has no banks): none: the bank, rank and channel "
              "as address_mapping cuts them; xor: the bank, bank group and rank XORed with the "
              "row number folded onto their width (its chunks of that width XORed together), "
              "the channel with the row's bits above that width and with the fields between "
              "the channel and the row folded onto its width (counts that are not powers of "
              "two: sums modulo the counts instead), so that addresses a multiple of the bank "
              "period apart (the cores' slices of a weight matrix) fall into different banks, "
              "and the cores' pieces at one offset into their slices into different channels; "
              "mix: the same with the row's bits mixed (splitmix64) instead of folded, so that no "
              "stride between streams keeps them on few banks (docs/dram.md)"),
          detailed(params::integer<&DramParams::queue_depth>(
              "queue_depth", 1, 1 << 16, "requests",
              "transaction queues: the read queue and the write queue, each, per channel")),
          detailed(params::integer<&DramParams::command_queue_depth>(
              "command_queue_depth", 1, 1 << 16, "requests",
              "per-bank command queue, fed from the transaction queues; the scheduler picks "
              "among the requests of these queues (DRAMSim3's cmd_queue_size)")),
          detailed(params::integer<&DramParams::row_hit_cap>(
              "row_hit_cap", 0, 1 << 16, "column commands",
              "after this many column commands to a row since its activate, a request for "
              "another row at the head of its bank's queue closes the row (the bank's later "
              "hits wait); 0: no cap")),
          detailed(params::choice<&DramParams::write_drain>(
              "write_drain", kWriteDrains,
              "watermark: the write queue drains from the high watermark down to the low one "
              "while reads wait, and whenever no read waits; batch: when it reaches the high "
              "watermark (or exceeds the low one with the command queues empty, or no read "
              "waits) it sends the writes it holds, that many, then returns to reads")),
          detailed(params::real<&DramParams::write_high_watermark>(
              "write_high_watermark", 0, 1, "of queue_depth",
              "write queue occupancy that starts a write drain")),
          detailed(params::real<&DramParams::write_low_watermark>(
                       "write_low_watermark", 0, 1, "of queue_depth",
                       "watermark: occupancy that ends a write drain while reads wait; batch: "
                       "occupancy above which an idle controller drains")
                       .with_check(&watermark_error)),
          detailed(params::integer<&DramParams::lookahead_cycles>(
              "lookahead_cycles", 1, kMaxLatencyCycles, "cycles",
              "how far ahead the controller commits commands")),
          detailed(params::integer<&DramParams::epoch_cycles>(
              "epoch_cycles", 1, kMaxLatencyCycles, "cycles",
              "length of an epoch of the bandwidth-per-epoch statistics")),
          detailed(params::map<&DramParams::timing>(
              "timing_ck", &dram_timing_params,
              "JEDEC timing in DRAM clock cycles (nCK of tck_ps)")),
          detailed(params::map<&DramParams::power>(
              "power", &dram_power_params,
              "datasheet supply voltage and currents of one device, for DRAM energy")),
      }};
  return t;
}

const ParamTable& dram_power_params() {
  auto key = [](Param p) { return std::move(p).filled_by_preset().with_default("0 (unknown)"); };
  static const ParamTable t{
      "DRAM power",
      {
          key(params::real<&DramPower::vdd>("vdd", 0, 10, "V", "supply voltage (VDD)")),
          key(params::real<&DramPower::idd0>("idd0", 0, 1e5, "mA",
                                             "one bank activate-precharge current (IDD0)")),
          key(params::real<&DramPower::idd2n>(
              "idd2n", 0, 1e5, "mA", "precharge standby current, all banks closed (IDD2N)")),
          key(params::real<&DramPower::idd3n>("idd3n", 0, 1e5, "mA",
                                              "active standby current, a bank open (IDD3N)")),
          key(params::real<&DramPower::idd4r>("idd4r", 0, 1e5, "mA", "burst read current (IDD4R)")),
          key(params::real<&DramPower::idd4w>("idd4w", 0, 1e5, "mA",
                                              "burst write current (IDD4W)")),
          key(params::real<&DramPower::idd5b>("idd5b", 0, 1e5, "mA",
                                              "burst refresh current (IDD5B)")),
          key(params::integer<&DramPower::devices>("devices", 0, 1024, "devices",
                                                   "devices of a rank that the currents are "
                                                   "per (a 64-bit rank of x8 devices: 8)")),
      }};
  return t;
}

const ParamTable& energy_params() {
  auto key = [](Param p) { return std::move(p).with_default("the table's"); };
  auto sram = [](Param p) {
    return std::move(p).with_default("from the buffer's capacity by the table's SRAM rule");
  };
  constexpr double kMax = 1e9;
  static const ParamTable t{
      "energy",
      {
          params::text<&EnergyParams::table>(
              "table", energy_table_names(),
              "the energy table (tables below) whose figures fill the entries not set"),
          key(params::real<&EnergyParams::mac_pj>("mac_pj", 0, kMax, "pJ",
                                                  "one multiply-accumulate at the data width")),
          key(params::real<&EnergyParams::add_pj>(
              "add_pj", 0, kMax, "pJ",
              "one accumulator addition outside a MAC (partial sums across folds)")),
          key(params::real<&EnergyParams::mask_pj>(
              "mask_pj", 0, kMax, "pJ",
              "one mask test of the fused-bottleneck engine (an AND of two ReLU mask bits)")),
          key(params::real<&EnergyParams::vector_op_pj>(
              "vector_op_pj", 0, kMax, "pJ", "one element operation of the vector unit")),
          sram(params::real<&EnergyParams::input_buffer_pj_per_byte>(
              "input_buffer_pj_per_byte", 0, kMax, "pJ/byte",
              "a byte read from or written to a core's input buffer")),
          sram(params::real<&EnergyParams::weight_buffer_pj_per_byte>(
              "weight_buffer_pj_per_byte", 0, kMax, "pJ/byte",
              "a byte read from or written to a core's weight buffer")),
          sram(params::real<&EnergyParams::output_buffer_pj_per_byte>(
              "output_buffer_pj_per_byte", 0, kMax, "pJ/byte",
              "a byte read from or written to a core's output buffer")),
          key(params::real<&EnergyParams::register_pj_per_byte>(
              "register_pj_per_byte", 0, kMax, "pJ/byte",
              "a byte read from or written to a PE's registers (operands passed between PEs, "
              "stationary operands, partial sums)")),
          sram(params::real<&EnergyParams::shared_buffer_pj_per_byte>(
              "shared_buffer_pj_per_byte", 0, kMax, "pJ/byte",
              "a byte read from or written to the shared buffer")),
          key(params::real<&EnergyParams::interconnect_pj_per_byte>(
              "interconnect_pj_per_byte", 0, kMax, "pJ/byte",
              "a byte moved between a core and DRAM or the shared buffer")),
          key(params::real<&EnergyParams::dram_pj_per_bit>(
              "dram_pj_per_bit", 0, kMax, "pJ/bit",
              "a bit read from or written to DRAM: the simple model, and the detailed one "
              "without dram.power")),
          key(params::real<&EnergyParams::core_leakage_mw>(
              "core_leakage_mw", 0, kMax, "mW", "static power of one core, all the run long")),
      }};
  return t;
}

const ParamTable& dram_timing_params() {
  constexpr std::int64_t kMax = 1 << 24;
  auto key = [](Param p) { return std::move(p).required_without_preset().filled_by_preset(); };
  static const ParamTable t{
      "DRAM timing",
      {
          key(params::integer<&DramTiming::tRCD>("tRCD", 0, kMax, "nCK", "activate to column")),
          key(params::integer<&DramTiming::tCL>(
              "tCL", 0, kMax, "nCK", "read latency (CL/RL): read command to the first data")),
          key(params::integer<&DramTiming::tCWL>(
              "tCWL", 0, kMax, "nCK", "write latency (CWL/WL): write command to the first data")),
          key(params::integer<&DramTiming::tRP>("tRP", 0, kMax, "nCK", "precharge")),
          key(params::integer<&DramTiming::tRAS>("tRAS", 0, kMax, "nCK", "activate to precharge")),
          key(params::integer<&DramTiming::tRC>("tRC", 0, kMax, "nCK",
                                                "activate to activate, same bank")),
          key(params::integer<&DramTiming::tCCD_S>("tCCD_S", 0, kMax, "nCK",
                                                   "column to column, different bank group")),
          key(params::integer<&DramTiming::tCCD_L>("tCCD_L", 0, kMax, "nCK",
                                                   "column to column, same bank group")),
          key(params::integer<&DramTiming::tRRD_S>("tRRD_S", 0, kMax, "nCK",
                                                   "activate to activate, different bank group")),
          key(params::integer<&DramTiming::tRRD_L>("tRRD_L", 0, kMax, "nCK",
                                                   "activate to activate, same bank group")),
          key(params::integer<&DramTiming::tFAW>("tFAW", 0, kMax, "nCK",
                                                 "window of four activates")),
          key(params::integer<&DramTiming::tWR>("tWR", 0, kMax, "nCK", "write recovery")),
          key(params::integer<&DramTiming::tWTR_S>("tWTR_S", 0, kMax, "nCK",
                                                   "write to read, different bank group")),
          key(params::integer<&DramTiming::tWTR_L>("tWTR_L", 0, kMax, "nCK",
                                                   "write to read, same bank group")),
          key(params::integer<&DramTiming::tRTP>("tRTP", 0, kMax, "nCK", "read to precharge")),
          key(params::integer<&DramTiming::tREFI>("tREFI", 0, kMax, "nCK",
                                                  "refresh interval (0: no refresh)")),
          key(params::integer<&DramTiming::tRFC>("tRFC", 0, kMax, "nCK", "refresh cycle")),
      }};
  return t;
}

}  // namespace fusim
