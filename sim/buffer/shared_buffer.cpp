#include "buffer/shared_buffer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dram/dma_extension.h"
#include "kernel/sim_time.h"

namespace fusim {

namespace {

// Adds one piece [a, a + len) to the per-bank counts. Whole rounds of the banks go to `all`
// (every bank), a partial round to the cyclic difference array `diff` (banks + 1 entries).
void add_piece(std::int64_t a, std::int64_t len, std::int64_t banks, std::int64_t word,
               std::vector<std::int64_t>& out, std::vector<std::int64_t>& diff, std::int64_t& all) {
  if (len <= 0) return;
  const std::int64_t w0 = a / word, w1 = (a + len - 1) / word;
  if (w0 == w1) {
    out[static_cast<std::size_t>(w0 % banks)] += len;
    return;
  }
  out[static_cast<std::size_t>(w0 % banks)] += word - a % word;
  out[static_cast<std::size_t>(w1 % banks)] += (a + len - 1) % word + 1;
  const std::int64_t middle = w1 - w0 - 1;  // whole words between the two ends
  all += middle / banks * word;
  const std::int64_t rest = middle % banks;  // words in banks first, first + 1, ... (cyclic)
  if (rest == 0) return;
  const std::int64_t first = (w0 + 1) % banks, last = first + rest;  // [first, last)
  auto range = [&](std::int64_t from, std::int64_t to) {
    diff[static_cast<std::size_t>(from)] += word;
    diff[static_cast<std::size_t>(to)] -= word;
  };
  if (last <= banks) {
    range(first, last);
  } else {
    range(first, banks);
    range(0, last - banks);
  }
}

std::vector<std::int64_t> sum_pieces(std::int64_t addr, std::int64_t piece, std::int64_t from,
                                     std::int64_t to, std::int64_t stride, std::int64_t banks,
                                     std::int64_t word) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(banks), 0);
  std::vector<std::int64_t> diff(static_cast<std::size_t>(banks) + 1, 0);
  std::int64_t all = 0;
  for (std::int64_t i = from; i < to; ++i)
    add_piece(addr + i * stride, piece, banks, word, out, diff, all);
  std::int64_t run = 0;
  for (std::size_t b = 0; b < out.size(); ++b) {
    run += diff[b];
    out[b] += run + all;
  }
  return out;
}

}  // namespace

std::vector<std::int64_t> bank_bytes(std::int64_t addr, std::int64_t piece, std::int64_t pieces,
                                     std::int64_t stride, int banks, std::int64_t word) {
  const std::int64_t n = banks;
  if (pieces <= 1 || stride == piece) {  // one contiguous range
    return sum_pieces(addr, piece * std::max<std::int64_t>(pieces, 1), 0, 1, 0, n, word);
  }
  // The pieces' offsets within one round of the banks (n x word bytes) repeat every `period`
  // pieces: count one period and the remainder, not every piece.
  const std::int64_t round = n * word;
  const std::int64_t period = round / std::gcd(stride % round, round);
  if (pieces <= period) return sum_pieces(addr, piece, 0, pieces, stride, n, word);
  const std::int64_t rest = pieces % period;
  std::vector<std::int64_t> out = sum_pieces(addr, piece, 0, rest, stride, n, word);
  const std::vector<std::int64_t> tail = sum_pieces(addr, piece, rest, period, stride, n, word);
  const std::int64_t periods = pieces / period;
  for (std::size_t b = 0; b < out.size(); ++b) out[b] = out[b] * (periods + 1) + tail[b] * periods;
  return out;
}

namespace {

std::vector<double> bank_rates(const BufferParams& p) {
  return std::vector<double>(static_cast<std::size_t>(p.banks),
                             p.bytes_per_cycle / static_cast<double>(p.banks));
}

}  // namespace

SharedBuffer::SharedBuffer(sc_core::sc_module_name name, const BufferParams& params)
    : sc_module(name),
      socket("socket"),
      word_(std::max<std::int64_t>(
          1, static_cast<std::int64_t>(
                 std::floor(params.bytes_per_cycle / static_cast<double>(params.banks))))),
      banks_("banks", bank_rates(params)) {
  socket.register_b_transport(this, &SharedBuffer::b_transport);
}

void SharedBuffer::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const double arrival = time_to_cycles(sc_core::sc_time_stamp() + delay);
  const auto addr = static_cast<std::int64_t>(trans.get_address() - kSharedBufferBase);
  const std::int64_t bytes = trans.get_data_length();
  std::int64_t piece = bytes, pieces = 1, stride = bytes, tail = 0, tail_addr = 0;
  if (const DmaExtension* dma = trans.get_extension<DmaExtension>()) {
    if (dma->row_bytes > 0) {
      piece = dma->row_bytes;
      pieces = dma->rows;
      stride = dma->stride_bytes;
    }
    tail = dma->tail_bytes;
    tail_addr = dma->tail_addr - kSharedBufferBase;
  }
  std::vector<std::int64_t> parts = bank_bytes(addr, piece, pieces, stride, banks_.links(), word_);
  if (tail > 0) {
    const std::vector<std::int64_t> more =
        bank_bytes(tail_addr, tail, 1, tail, banks_.links(), word_);
    for (std::size_t b = 0; b < parts.size(); ++b) parts[b] += more[b];
  }
  FairShareServer::Ticket ticket;
  for (std::size_t b = 0; b < parts.size(); ++b) {
    if (parts[b] > 0)
      banks_.add(ticket, static_cast<int>(b), arrival, static_cast<double>(parts[b]), 0);
  }
  const bool write = trans.is_write();
  ++(write ? stats_.writes : stats_.reads);
  (write ? stats_.bytes_written : stats_.bytes_read) += bytes;
  const double done = banks_.wait_done(ticket);
  delay = std::max(cycles_to_time(done), sc_core::sc_time_stamp()) - sc_core::sc_time_stamp();
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

SharedBufferStats SharedBuffer::stats() const {
  SharedBufferStats s = stats_;
  s.banks = banks_.links();
  s.word_bytes = word_;
  for (int b = 0; b < banks_.links(); ++b) {
    s.bank_busy_cycles += banks_.link(b).busy_cycles();
    s.bank_conflict_cycles += banks_.link(b).contended_cycles();
  }
  return s;
}

}  // namespace fusim
