// The arch loader: presets, base files, -p overrides, and the resolved YAML round trip.
#include <catch2/catch.hpp>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "test_util.h"

using fusim::test::src;

TEST_CASE("mlu.yaml: the DDR4-3200 preset gives 102.4 GB/s over 4 channels", "[arch]") {
  const fusim::Arch a = fusim::load_arch(src("configs/mlu.yaml"));
  CHECK(a.core_count == 32);
  CHECK(a.dram.bytes_per_cycle_per_channel == Approx(25.6));
  CHECK(a.dram_peak_bytes_per_cycle() * a.clock_mhz * 1e6 == Approx(102.4e9));
  // 32 cores x 32 x 64 MACs x 2 ops x 1 GHz = 131 TOPS, the public 128 TOPS peak.
  const double macs_per_cycle =
      static_cast<double>(a.core_count * a.core.pe_array.rows * a.core.pe_array.cols);
  CHECK(2.0 * macs_per_cycle * a.clock_mhz * 1e6 == Approx(131.072e12));
}

TEST_CASE("overrides (-p) apply after the file, and presets follow the clock", "[arch]") {
  const fusim::Arch a =
      fusim::load_arch(src("configs/mlu.yaml"), {"cores.count=16", "clock_mhz=500"});
  CHECK(a.core_count == 16);
  CHECK(a.dram.bytes_per_cycle_per_channel == Approx(51.2));  // same GB/s, half the clock
  const fusim::Arch b = fusim::load_arch(
      src("configs/mlu.yaml"), {"dram.model=simple", "dram.bytes_per_cycle_per_channel=10"});
  CHECK(b.dram.bytes_per_cycle_per_channel == Approx(10));
}

TEST_CASE("a base file is inherited and overridden key by key", "[arch]") {
  const std::string path = fusim::test::write_temp(
      "derived.yaml", "base: " + src("configs/systolic32.yaml") +
                          "\nname: derived\ncores: {pe_array: {rows: 64}}\n");
  const fusim::Arch a = fusim::load_arch(path);
  CHECK(a.name == "derived");
  CHECK(a.core.pe_array.rows == 64);
  CHECK(a.core.pe_array.cols == 32);
  CHECK(a.core.input_buffer.capacity_bytes == 65536);
}

TEST_CASE("the resolved arch YAML loads back to the same arch", "[arch]") {
  for (const char* cfg : {"configs/mlu.yaml", "configs/eyeriss.yaml", "configs/systolic32.yaml"}) {
    const fusim::Arch a = fusim::load_arch(src(cfg));
    const std::string text = fusim::arch_to_yaml(a);
    const fusim::Arch b = fusim::load_arch(fusim::test::write_temp("resolved.yaml", text));
    CHECK(fusim::arch_to_yaml(b) == text);
  }
}
