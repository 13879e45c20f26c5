// The arch loader: presets, base files, -p overrides, and the resolved YAML round trip.
#include <catch2/catch.hpp>

#include "arch/arch.h"
#include "arch/arch_io.h"

#include <set>
#include <string>
#include <vector>
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

TEST_CASE("cores.engines: the default pair, written into the resolved arch", "[arch]") {
  const fusim::Arch a = fusim::load_arch(src("configs/mlu.yaml"));
  CHECK(a.core.engines == fusim::default_engines());
  CHECK(fusim::arch_to_yaml(a).find("  engines: [pe_array, vector_unit]\n") != std::string::npos);
  // Declared explicitly, in any order: the same arch.
  const fusim::Arch b =
      fusim::load_arch(src("configs/mlu.yaml"), {"cores.engines=[vector_unit, pe_array]"});
  CHECK(fusim::arch_to_yaml(b) == fusim::arch_to_yaml(a));
}

TEST_CASE("DRAM presets are named fields, a preset fills only the keys not set", "[arch]") {
  const fusim::DramPreset* p = fusim::find_dram_preset("DDR4-3200");
  REQUIRE(p != nullptr);
  CHECK(p->params.tck_ps == 625);
  CHECK(p->params.timing.tRCD == 22);
  CHECK(fusim::find_dram_preset("DDR9") == nullptr);
  const fusim::Arch a =
      fusim::load_arch(src("configs/mlu.yaml"), {"dram.timing_ck.tRCD=30", "dram.bank_groups=2"});
  CHECK(a.dram.model == fusim::DramModel::Detailed);
  CHECK(a.dram.timing.tRCD == 30);
  CHECK(a.dram.timing.tCL == 22);
  CHECK(a.dram.bank_groups == 2);
  CHECK(a.dram.banks_per_group == 4);
  CHECK(a.dram.ranks == 1);  // not the preset's: the default
}

TEST_CASE("parameter tables: every key described, paths found by field", "[arch]") {
  fusim::Arch a;
  a.shared_buffer.emplace();
  CHECK(fusim::param_path(fusim::arch_params(), &a, &a.dram.row_bytes) == "dram.row_bytes");
  CHECK(fusim::param_path(fusim::arch_params(), &a, &a.core.pe_array.rows) ==
        "cores.pe_array.rows");
  CHECK(fusim::param_path(fusim::arch_params(), &a, &a.core_count) == "cores.count");
  CHECK(fusim::param_path(fusim::arch_params(), &a, &a.shared_buffer->banks) ==
        "shared_buffer.banks");
  CHECK(fusim::param_path(fusim::arch_params(), &a, &a.dram.timing.tRFC) == "dram.timing_ck.tRFC");
  // Each table: keys unique, each described; numbers carry a unit and a non-empty range.
  std::vector<const fusim::ParamTable*> todo{&fusim::arch_params()};
  int keys = 0;
  while (!todo.empty()) {
    const fusim::ParamTable& t = *todo.back();
    todo.pop_back();
    std::set<std::string> names;
    for (const fusim::Param& p : t.params) {
      INFO(t.title << ": " << p.key);
      CHECK(names.insert(p.key).second);
      CHECK(std::string(p.description).size() > 0);
      if (p.is_map()) {
        todo.push_back(&p.table());
        continue;
      }
      ++keys;
      if (p.type == fusim::ParamType::Int || p.type == fusim::ParamType::Real) {
        CHECK(std::string(p.unit).size() > 0);
        CHECK(p.min <= p.max);
      }
      if (p.only_key) CHECK(t.find(p.only_key) != nullptr);
    }
  }
  CHECK(keys > 40);
}
