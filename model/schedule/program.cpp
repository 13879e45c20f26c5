#include "schedule/program.h"

namespace fusim {

const char* to_string(CommandOp o) {
  switch (o) {
    case CommandOp::Load:
      return "load";
    case CommandOp::Compute:
      return "compute";
    case CommandOp::Store:
      return "store";
    case CommandOp::Sync:
      return "sync";
    case CommandOp::Prefetch:
      return "prefetch";
    case CommandOp::Barrier:
      return "barrier";
  }
  return "?";
}

const char* to_string(GroupMapping m) {
  switch (m) {
    case GroupMapping::Layerwise:
      return "layerwise";
    case GroupMapping::InputCentric:
      return "input-centric";
    case GroupMapping::Tiled:
      break;
  }
  return "tiled";
}

const char* to_string(TensorKind k) {
  switch (k) {
    case TensorKind::Weight:
      return "weight";
    case TensorKind::Ifmap:
      return "ifmap";
    case TensorKind::Ofmap:
      return "ofmap";
    case TensorKind::Psum:
      return "psum";
  }
  return "?";
}

const char* to_string(BufferRole b) {
  switch (b) {
    case BufferRole::Input:
      return "input";
    case BufferRole::Weight:
      return "weight";
    case BufferRole::Output:
      return "output";
  }
  return "?";
}

bool same_bytes(const Command& a, const Command& b) {
  return a.kind == b.kind && a.memory == b.memory && a.addr == b.addr && a.bytes == b.bytes &&
         a.piece_bytes == b.piece_bytes && a.stride_bytes == b.stride_bytes &&
         a.tail_addr == b.tail_addr && a.tail_bytes == b.tail_bytes;
}

}  // namespace fusim
