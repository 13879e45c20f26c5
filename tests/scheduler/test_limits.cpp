// Inputs that would crash, hang or exhaust memory are rejected up front with one clear error
// (docs/limits-and-fuzzing.md, "Rejected inputs").
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "common/yaml_reader.h"
#include "import/scalesim.h"
#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

using fusim::test::error_of;
using fusim::test::src;
using fusim::test::write_temp;

namespace {

std::string message_of(const std::function<void()>& f) {
  const auto e = error_of(f);
  REQUIRE(e.has_value());
  return e->what();
}

}  // namespace

TEST_CASE("YAML nested 100,000 deep is an error, not a stack overflow", "[limits]") {
  const std::string flow = write_temp(
      "deep_flow.yaml", "name: x\nlayers: " + std::string(100000, '[') + std::string(100000, ']'));
  CHECK_THAT(message_of([&] { (void)fusim::load_network(flow); }),
             Catch::Contains("deep_flow.yaml") && Catch::Contains("nested too deeply"));
  std::string block;
  for (int i = 0; i < 100000; ++i) block += "- ";
  const std::string blocks = write_temp("deep_block.yaml", block + "x\n");
  CHECK_THAT(message_of([&] { (void)fusim::load_arch(blocks, {}); }),
             Catch::Contains("nested too deeply"));
  std::string maps;
  for (int i = 0; i < 100000; ++i) maps += "{a: ";
  const std::string flow_maps = write_temp("deep_maps.yaml", maps + "1" + std::string(100000, '}'));
  CHECK_THAT(message_of([&] { (void)fusim::load_network(flow_maps); }),
             Catch::Contains("nested too deeply"));
  // The same through -p.
  CHECK_THAT(message_of([&] {
               (void)fusim::load_arch(src("configs/mlu.yaml"),
                                      {"name=" + std::string(100000, '[')});
             }),
             Catch::Contains("-p name=") && Catch::Contains("nested too deeply"));
}

TEST_CASE("files beyond 32 MiB and endless files are rejected before they are read", "[limits]") {
  // A sparse file: 10^9 layers would need far more than this, so they are stopped here.
  const std::string big = write_temp("big.yaml", "name: x\n");
  std::filesystem::resize_file(big, (std::uintmax_t{32} << 20) + 1);
  CHECK_THAT(message_of([&] { (void)fusim::load_network(big); }),
             Catch::Contains("big.yaml") && Catch::Contains("file too large"));
  // A device that never ends: read up to the limit, then rejected.
  if (std::filesystem::exists("/dev/zero")) {
    CHECK_THAT(message_of([&] { (void)fusim::load_arch("/dev/zero", {}); }),
               Catch::Contains("/dev/zero: file too large"));
    CHECK_THAT(message_of([&] { (void)fusim::load_scalesim_topology("/dev/zero", false); }),
               Catch::Contains("file too large"));
  }
}

TEST_CASE("a -p value whose aliases expand exponentially is rejected", "[limits]") {
  // 10^6 leaves from a 200-character value.
  std::string v = "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]";
  for (int level = 0; level < 5; ++level) {
    const std::string a = "a" + std::to_string(level);
    std::string next = "[&" + a + " " + v;
    for (int i = 0; i < 9; ++i) next += ", *" + a;
    v = next + "]";
  }
  CHECK_THAT(message_of([&] { (void)fusim::load_arch(src("configs/mlu.yaml"), {"name=" + v}); }),
             Catch::Contains("more than 100000 elements"));
}

TEST_CASE("a zero-byte buffer and a zero-core arch are rejected with the key", "[limits]") {
  for (const char* o : {"cores.buffers.input.capacity_bytes=0", "cores.count=0",
                        "cores.buffers.output.capacity_bytes=-1", "dram.channels=0"}) {
    INFO(o);
    CHECK_THAT(message_of([&] { (void)fusim::load_arch(src("configs/mlu.yaml"), {o}); }),
               Catch::Contains("out of range"));
  }
}

TEST_CASE("a program too large for memory is rejected before lowering", "[limits]") {
  // 2^38 elements (within the tensor limit) on 64 KiB buffers: about 2 * 10^8 tile commands,
  // tens of GB, before this guard.
  const std::string net = write_temp("many_tiles.yaml",
                                     "name: many_tiles\nbatch: 4096\ninputs:\n"
                                     "  - name: x\n    shape: [64, 4096, 256]\nlayers:\n"
                                     "  - {name: c1, type: conv, out_channels: 64, kernel: 3, "
                                     "padding: 1}\n");
  const auto e = error_of([&] { (void)fusim::test::run(src("configs/systolic32.yaml"), net); });
  REQUIRE(e.has_value());
  CHECK(e->file() == net);
  CHECK(e->key() == "layers.c1");
  CHECK_THAT(e->message(), Catch::Contains("commands") && Catch::Contains("16777216"));
}

TEST_CASE("a network beyond the 2^48-byte DRAM address space is rejected before lowering",
          "[limits]") {
  // 300 pooling layers of 2^40 bytes each: 2^48.2 bytes of tensors. On buffers of 4 GiB the
  // program would be small enough (about 2^18 commands); its addresses would not fit. (DRAM
  // addresses are below 2^48: the simulator maps the shared buffer above them.)
  std::string text =
      "name: huge\ninputs:\n  - name: x\n    shape: [1024, 1024, 1048576]\nlayers:\n";
  std::string prev = "x";
  for (int i = 0; i < 300; ++i) {
    text += "  - {name: p" + std::to_string(i) + ", type: pool, mode: max, kernel: 1, inputs: [" +
            prev + "]}\n";
    prev = "p" + std::to_string(i);
  }
  const std::string net = write_temp("huge_addresses.yaml", text);
  const std::vector<std::string> big = {"cores.buffers.input.capacity_bytes=4294967295",
                                        "cores.buffers.output.capacity_bytes=4294967295"};
  const auto e =
      error_of([&] { (void)fusim::test::run(src("configs/systolic32.yaml"), net, big); });
  REQUIRE(e.has_value());
  CHECK(e->file() == net);
  CHECK_THAT(e->message(), Catch::Contains("2^48-byte address space"));
}

TEST_CASE("a simulation past 2^52 cycles is an error, not a wrapped cycle count", "[limits]") {
  // 12 max pools over 2^40 elements through a 0.001 byte/cycle DRAM: about 2.6e16 cycles, beyond
  // SystemC's 64-bit picoseconds (this printed 9,224,580,010,612,560 cycles before the check).
  std::string text =
      "name: longsim\nbatch: 64\ninputs:\n  - name: x\n    shape: [1024, 4096, 4096]\nlayers:\n";
  for (int i = 0; i < 12; ++i)
    text +=
        "  - {name: p" + std::to_string(i) + ", type: pool, mode: max, kernel: 3, padding: 1}\n";
  const std::string net = write_temp("longsim.yaml", text);
  const auto e = error_of([&] {
    (void)fusim::test::run(
        src("configs/mlu.yaml"), net,
        {"cores.count=1", "dram.model=simple", "dram.channels=1",
         "dram.bytes_per_cycle_per_channel=0.001", "interconnect.bytes_per_cycle=0.001",
         "cores.buffers.input.capacity_bytes=4294967295",
         "cores.buffers.output.capacity_bytes=4294967295"});
  });
  REQUIRE(e.has_value());
  CHECK_THAT(e->message(), Catch::Contains("2^52 cycles"));
}

TEST_CASE("names that are not valid UTF-8 are rejected (report.json must be valid JSON)",
          "[limits]") {
  const std::string net = write_temp("bad_utf8.yaml",
                                     "name: \"t\xff\"\ninputs:\n  - name: x\n    shape: [1, 4, 4]\n"
                                     "layers:\n  - {name: p, type: pool, mode: max, kernel: 2}\n");
  CHECK_THAT(message_of([&] { (void)fusim::load_network(net); }),
             Catch::Contains("key 'name'") && Catch::Contains("not valid UTF-8"));
  const std::string layer = write_temp("bad_utf8_layer.yaml",
                                       "name: t\ninputs:\n  - name: x\n    shape: [1, 4, 4]\n"
                                       "layers:\n  - {name: \"p\xc3\", type: pool, mode: max, "
                                       "kernel: 2}\n");
  CHECK_THAT(message_of([&] { (void)fusim::load_network(layer); }),
             Catch::Contains("layers[0].name") && Catch::Contains("not valid UTF-8"));
  const std::string csv = write_temp(
      "bad_utf8.csv", "Layer, M, N, K,\ng\xed\xa0\x80, 4, 4, 4,\n");  // a UTF-16 surrogate
  CHECK_THAT(message_of([&] { (void)fusim::load_scalesim_topology(csv, false); }),
             Catch::Contains("not valid UTF-8"));
  CHECK(fusim::is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(fusim::is_valid_utf8("\xc0\xaf"));  // overlong '/'
}

TEST_CASE("network totals stay inside 64 bits", "[limits]") {
  // 2^52 MACs per layer is allowed, but 257 of them pass 2^60 for the network (100,000 such
  // layers would overflow int64 in total_macs()).
  std::string text = "name: t\ninputs:\n  - name: a\n    shape: [262144, 65536, 1]\nlayers:\n";
  for (int i = 0; i < 260; ++i)
    text += "  - {name: g" + std::to_string(i) + ", type: gemm, m: 65536, n: 262144, k: 262144}\n";
  const std::string p = write_temp("total_macs.yaml", text);
  const auto e = error_of([&] { (void)fusim::load_network(p); });
  REQUIRE(e.has_value());
  CHECK(e->key() == "layers.g256");
  CHECK_THAT(e->message(), Catch::Contains("total MAC count"));

  // A dense layer whose input, read once per output channel, passes 2^58 elements.
  const std::string q =
      write_temp("reread.yaml",
                 "name: t\ninputs:\n  - name: a\n    shape: [1024, 65536, 16384]\n"
                 "layers:\n  - {name: c, type: conv, out_channels: 1048576, "
                 "kernel: 1, stride: 65536}\n");
  const auto f = error_of([&] { (void)fusim::load_network(q); });
  REQUIRE(f.has_value());
  CHECK(f->key() == "layers.c");
  CHECK_THAT(f->message(), Catch::Contains("once per output channel"));
}

TEST_CASE("a -p key path of 50,000 parts is rejected at once", "[limits]") {
  std::string path = "a";
  for (int i = 0; i < 50000; ++i) path += ".a";
  CHECK_THAT(message_of([&] { (void)fusim::load_arch(src("configs/mlu.yaml"), {path + "=1"}); }),
             Catch::Contains("deeply nested"));
}
