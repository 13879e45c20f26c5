// fusim_dram_streams: the cores' weight streams of one fc layer through the detailed DRAM
// controller alone, with each core's slice of the weights contiguous, one after the other (how
// fusim lays out the weights of channels under 64 bursts, and laid out every layer's before it
// interleaved the larger by channel) or interleaved in turns of CHUNK bytes.
//
// The layer: OUTPUTS output channels of INPUTS weights and a bias (one byte each), split over
// the arch's cores by output channel as `--fusion none --cores N` splits it (even slices). Each
// core loads its slice as fusim's plan does: in tiles of as many channels as half its weight
// buffer holds, one load at a time, the next when the last completes; every load with the DMA
// window of cores.dma.outstanding_bursts. No compute, no interconnect: only the DRAM's service
// of the streams, in bytes per accelerator cycle. Used by docs/dram.md to weigh the layout
// against the address hashes:
//
//   fusim_dram_streams --arch configs/mlu.yaml --chunk 0,1024 --hash none,xor,mix 4096 25088
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "dram/dram_controller.h"

namespace {

// Bytes per accelerator cycle.
double run(const std::string& arch_file, const std::string& hash, std::int64_t inputs,
           std::int64_t outputs, std::int64_t chunk) {
  const fusim::Arch arch = fusim::load_arch(arch_file, {"dram.address_hash=" + hash});
  const fusim::DramParams& p = arch.dram;
  fusim::DramController c(p, 1e12);
  const std::int64_t cores = arch.core_count;
  const std::int64_t channel_bytes = inputs + 1;
  const std::int64_t channels = outputs / cores;  // per core; the rest is left out
  const std::int64_t slice = channels * channel_bytes;
  const std::int64_t tile_channels =
      std::max<std::int64_t>(1, arch.core.weight_buffer.capacity_bytes / 2 / channel_bytes);
  const std::int64_t tile = tile_channels * channel_bytes;
  const std::int64_t base = 1 << 16;
  // The streams of core k's bytes [off, off + len) of its slice.
  const auto streams = [&](std::int64_t k, std::int64_t off, std::int64_t len) {
    std::vector<fusim::DramStream> out;
    const auto add = [&](std::int64_t addr, std::int64_t bytes, std::int64_t rows) {
      fusim::DramStream s;
      s.addr = addr;
      s.row_bytes = bytes;
      s.rows = rows;
      s.stride_bytes = rows > 1 ? cores * chunk : 0;
      s.outstanding = arch.core.dma.outstanding_bursts;
      out.push_back(s);
    };
    if (chunk == 0) {
      add(base + k * slice + off, len, 1);
      return out;
    }
    const auto at = [&](std::int64_t j) {
      return base + (j / chunk) * cores * chunk + k * chunk + j % chunk;
    };
    std::int64_t j = off;
    const std::int64_t end = off + len;
    if (j % chunk != 0) {  // the head, to the next chunk
      const std::int64_t n = std::min(end, (j / chunk + 1) * chunk) - j;
      add(at(j), n, 1);
      j += n;
    }
    if ((end - j) / chunk > 0) {
      add(at(j), chunk, (end - j) / chunk);
      j += (end - j) / chunk * chunk;
    }
    if (j < end) add(at(j), end - j, 1);  // the tail
    return out;
  };
  std::vector<std::int64_t> next(static_cast<std::size_t>(cores), 0);  // next tile's offset
  std::vector<int> open(static_cast<std::size_t>(cores), 0);           // its streams in flight
  std::map<int, std::int64_t> core_of;
  const auto submit = [&](std::int64_t k, fusim::DramTick at) {
    const auto ki = static_cast<std::size_t>(k);
    const std::int64_t len = std::min(tile, slice - next[ki]);
    for (fusim::DramStream s : streams(k, next[ki], len)) {
      s.arrival = at;
      core_of[c.submit(s)] = k;
      ++open[ki];
    }
    next[ki] += len;
  };
  for (std::int64_t k = 0; k < cores; ++k) submit(k, 0);
  fusim::DramTick end = 0;
  for (std::int64_t live = cores; live > 0;) {
    c.advance(c.next_event());
    for (const auto& [id, tick] : c.take_completed()) {
      const std::int64_t k = core_of.at(id);
      end = std::max(end, tick);
      if (--open[static_cast<std::size_t>(k)] > 0) continue;
      if (next[static_cast<std::size_t>(k)] < slice) {
        submit(k, tick);
      } else {
        --live;
      }
    }
  }
  const double ticks_per_cycle = (1e6 / arch.clock_mhz) / p.tck_ps;
  return static_cast<double>(cores * slice) / (static_cast<double>(end) / ticks_per_cycle);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "The cores' weight streams of one fc layer through the detailed DRAM controller, "
      "contiguous or interleaved; prints bytes per accelerator cycle."};
  std::string arch = "configs/mlu.yaml";
  std::vector<std::string> hashes = {"none", "xor", "mix"};
  std::vector<std::int64_t> chunks = {0, 1024}, inputs;
  std::int64_t outputs = 4096;
  app.add_option("--arch", arch, "architecture (its dram and cores)")->capture_default_str();
  app.add_option("--hash", hashes, "dram.address_hash values, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--chunk", chunks,
                 "interleave granularities in bytes, comma-separated; 0: each core's slice "
                 "contiguous")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--outputs", outputs, "the fc's output channels")->capture_default_str();
  app.add_option("inputs", inputs, "the fc's input counts")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    std::printf("| inputs |");
    for (const std::string& h : hashes) {
      for (const std::int64_t k : chunks) {
        if (k == 0) {
          std::printf(" %s, contiguous |", h.c_str());
        } else {
          std::printf(" %s, %lld B turns |", h.c_str(), static_cast<long long>(k));
        }
      }
    }
    std::printf("\n|---:|");
    for (std::size_t i = 0; i < hashes.size() * chunks.size(); ++i) std::printf("---:|");
    std::printf("\n");
    for (const std::int64_t n : inputs) {
      std::printf("| %lld |", static_cast<long long>(n));
      for (const std::string& h : hashes) {
        for (const std::int64_t k : chunks) std::printf(" %.1f |", run(arch, h, n, outputs, k));
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fusim_dram_streams: %s\n", e.what());
    return 1;
  }
  return 0;
}
