#include "cost/concat_copy.h"

#include <algorithm>

#include "common/checked.h"

namespace fusim {

bool in_concat_tensor(const Network& net, int concat, std::size_t operand) {
  const Layer& l = net.layer(concat);
  const Operand& op = l.inputs.at(operand);
  // A slice is a view of another tensor: nothing writes it into the concat.
  if (op.from_network_input || net.layer(op.index).is_view()) return false;
  for (std::size_t j = 0; j < operand; ++j) {
    if (!l.inputs[j].from_network_input && l.inputs[j].index == op.index) return false;
  }
  const std::vector<int>& consumers = net.consumers(op.index);
  for (auto c = consumers.rbegin(); c != consumers.rend(); ++c) {
    if (net.layer(*c).type == LayerType::Concat) return *c == concat;
  }
  return false;
}

bool concat_written(const Network& net, int concat) {
  const std::vector<int>& consumers = net.consumers(concat);
  if (consumers.empty()) return true;
  for (auto c = consumers.rbegin(); c != consumers.rend(); ++c) {
    if (net.layer(*c).type == LayerType::Concat) return concat_written(net, *c);
  }
  return false;
}

bool concat_copies(const Network& net, int concat) {
  const Layer& l = net.layer(concat);
  if (l.type != LayerType::Concat || !concat_written(net, concat)) return false;
  for (std::size_t j = 0; j < l.inputs.size(); ++j) {
    if (!in_concat_tensor(net, concat, j)) return true;
  }
  return false;
}

std::int64_t concat_operand_offset(const Network& net, const Arch& arch, int concat,
                                   std::size_t operand) {
  const Layer& l = net.layer(concat);
  std::int64_t offset = 0;
  for (std::size_t j = 0; j < operand; ++j)
    offset +=
        mul_checked(mul_checked(l.in_shapes[j].elements(), net.batch()), arch.element_bytes());
  return offset;
}

std::int64_t concat_copy_chunk_bytes(const Arch& arch) {
  return std::max<std::int64_t>(1, arch.core.output_buffer.capacity_bytes / 2);
}

void walk_concat_copy(const Network& net, const Arch& arch, int concat, std::int64_t cores,
                      std::int64_t core, TileSink& sink) {
  const Layer& l = net.layer(concat);
  if (!concat_copies(net, concat)) return;
  const bool runs = sink.takes_runs();
  for (std::size_t j = 0; j < l.inputs.size(); ++j) {
    if (in_concat_tensor(net, concat, j)) continue;
    const Operand& op = l.inputs[j];
    const std::int64_t bytes =
        mul_checked(mul_checked(l.in_shapes[j].elements(), net.batch()), arch.element_bytes());
    // A slice operand is read in its tensor's pixels: one piece of its channels per pixel, at
    // the viewed tensor's pixel stride, in chunks of whole pieces.
    const std::int64_t piece = mul_checked(l.in_shapes[j].c, arch.element_bytes());
    const std::int64_t pixel =
        op.from_network_input
            ? piece
            : mul_checked(net.layer(op.index).out_pixel_channels, arch.element_bytes());
    const TileLayout layout = pixel > piece ? TileLayout{piece, pixel} : TileLayout{};
    std::int64_t chunk = concat_copy_chunk_bytes(arch);
    if (pixel > piece) chunk = std::max(piece, chunk / piece * piece);
    const std::int64_t chunks = ceil_div(bytes, chunk);
    const std::int64_t c0 = chunks * core / cores, c1 = chunks * (core + 1) / cores;
    const std::int64_t to = concat_operand_offset(net, arch, concat, j);
    const ValueRef from{op.from_network_input, op.index};
    // Chunks [c0, c1): every one full but the operand's last; with runs, the full ones as one.
    const std::int64_t full_end = std::min(c1, bytes / chunk);
    for (std::int64_t c = c0; c < c1;) {
      const std::int64_t times = runs && c < full_end ? full_end - c : 1;
      const std::int64_t b0 = c * chunk, n = std::min(chunk, bytes - b0);
      const TileSink::Id id =
          sink.load(TensorKind::Ifmap, BufferRole::Output, concat,
                    DramRange{from, b0 / piece * pixel + b0 % piece, layout}, n, times);
      sink.store(concat, DramRange{{false, concat}, to + b0, {}}, n, id, id, times);
      c += times;
    }
  }
}

}  // namespace fusim
