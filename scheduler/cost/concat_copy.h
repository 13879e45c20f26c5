// A concat is a view: its producers write straight into its tensor (see AddressMap in
// lower/lower.h), so it usually moves no data. An operand that is not written there (a network
// input, or a layer output placed inside another concat, or one the concat takes twice) is
// foreign. A layer reading the concat reads the concat's bytes either way, so a foreign slice
// is filled only when the tensor itself must be written: when the concat is a network output,
// or lies inside the tensor of one that must be. Then the concat's group copies each foreign
// operand through the core's output buffer in chunks, storing every chunk into the concat's
// tensor, so a network output that is a concat of network inputs is really written.
//
// The copy is a tile loop like the others (cost/tile_sink.h): the cost model, the lowering and
// the program-size guard walk it alike.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/arch.h"
#include "cost/tile_sink.h"
#include "network/network.h"

namespace fusim {

// True when operand `operand` of concat `concat` is written into the concat's tensor by its
// producer: it is a layer output, `concat` is the last concat that reads it (by layer index),
// and this is the first of that concat's operands that names it.
bool in_concat_tensor(const Network& net, int concat, std::size_t operand);

// True when concat `concat`'s tensor must be written whole: it is a network output, or it lies
// inside the tensor of the last concat that reads it, and that tensor must be.
bool concat_written(const Network& net, int concat);

// True when concat `concat` must be written and has a foreign operand, so its group copies.
bool concat_copies(const Network& net, int concat);

// Bytes from the start of concat `concat`'s tensor to operand `operand`'s slice (the slices lie
// one after the other, each holding every batch item).
std::int64_t concat_operand_offset(const Network& net, const Arch& arch, int concat,
                                   std::size_t operand);

// Bytes of the copy's chunks: at most half the output buffer, so that one chunk loads while
// the one before it stores.
std::int64_t concat_copy_chunk_bytes(const Arch& arch);

// Core `core` of `cores` copying its share of concat `concat`'s foreign operands into `sink`:
// each operand's bytes cut into chunks, the chunks cut into `cores` consecutive bands; each
// chunk a load (ifmap, into the output buffer) and a store of it. Nothing unless
// concat_copies().
void walk_concat_copy(const Network& net, const Arch& arch, int concat, std::int64_t cores,
                      std::int64_t core, TileSink& sink);

}  // namespace fusim
