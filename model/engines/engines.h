// The registered compute engines (the interface: engine.h) and how a core dispatches a tile of
// work to the one it has for the work's kind.
//
// Adding an engine: its folder (engines/<name>/: its Params, its table, cycles, actions), its
// include, a member for its parameters in CoreEngines and a Slot in Engines below. The arch
// loader, the resolved arch and the reference page pick it up from here.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "engines/engine.h"
#include "engines/fused_bottleneck/fused_bottleneck.h"
#include "engines/pe_array/pe_array.h"
#include "engines/sparse_pe_array/sparse_pe_array.h"
#include "engines/vector_unit/vector_unit.h"

namespace fusim {

using EngineSet = std::uint32_t;  // bit i: the i-th engine of Engines
inline EngineSet default_engines();

// What a core has for computing: which engines (cores.engines) and the parameters of each
// registered engine (those of engines it does not have are unused).
struct CoreEngines {
  EngineSet engines = default_engines();
  PeArrayParams pe_array;
  VectorUnitParams vector_unit;
  FusedBottleneckParams fused_bottleneck;
  SparsePeArrayParams sparse_pe_array;
};

// An engine and where its parameters are in CoreEngines.
template <class E, auto P>
struct Slot {
  using Engine = E;
  static constexpr auto params = P;
};

template <class... S>
struct EngineList {
  static constexpr int size = sizeof...(S);
  // f(slot, index) for each engine, in registration order.
  template <class F>
  static void for_each(F&& f) {
    int i = 0;
    (f(S{}, i++), ...);
  }
  static constexpr EngineSet default_set() {
    EngineSet set = 0, bit = 1;
    ((set |= S::Engine::kDefault ? bit : 0, bit <<= 1), ...);
    return set;
  }
};

// The registration.
using Engines =
    EngineList<Slot<PeArray, &CoreEngines::pe_array>, Slot<VectorUnit, &CoreEngines::vector_unit>,
               Slot<FusedBottleneck, &CoreEngines::fused_bottleneck>,
               Slot<SparsePeArray, &CoreEngines::sparse_pe_array>>;

inline EngineSet default_engines() {
  return Engines::default_set();
}

namespace engines_detail {

template <class F, class... S, std::size_t... I>
auto dispatch(EngineList<S...>, std::index_sequence<I...>, const CoreEngines& c, const TileWork& w,
              F f) {
  std::common_type_t<decltype(f(S{}, c.*S::params))...> result{};
  bool done = false;
  // The first engine the core has that runs the work's kind, in registration order.
  const auto try_engine = [&](auto slot, std::size_t index) {
    using Slot = decltype(slot);
    if (done || !(c.engines >> index & 1u) || !Slot::Engine::runs(w.kind)) return;
    result = f(slot, c.*Slot::params);
    done = true;
  };
  (try_engine(S{}, I), ...);
  if (!done) {
    throw std::logic_error(std::string("the core has no engine for ") + to_string(w.kind) +
                           " work");
  }
  return result;
}

template <class F>
auto dispatch(const CoreEngines& c, const TileWork& w, F f) {
  return dispatch(Engines{}, std::make_index_sequence<Engines::size>{}, c, w, f);
}

}  // namespace engines_detail

// Cycles of a Gemm tile's epilogue (engine.h) on the core's engine for Elementwise work; 0
// without one.
inline std::int64_t epilogue_cycles(const CoreEngines& core, const TileWork& w) {
  if (w.epilogue_ops <= 0) return 0;
  TileWork e;
  e.kind = WorkKind::Elementwise;
  e.ops = w.epilogue_ops;
  return engines_detail::dispatch(core, e, [&](auto slot, const auto& params) {
    return decltype(slot)::Engine::cycles(params, e);
  });
}

// Cycles of a tile on the core's engine for its kind (the arch loader makes sure there is one),
// then of its epilogue.
inline std::int64_t compute_cycles(const CoreEngines& core, const TileWork& w) {
  return engines_detail::dispatch(core, w,
                                  [&](auto slot, const auto& params) {
                                    return decltype(slot)::Engine::cycles(params, w);
                                  }) +
         epilogue_cycles(core, w);
}

// Whether the core's engine for `w` costs it as its share of its stream (engine.h).
inline bool shares_stream(const CoreEngines& core, const TileWork& w) {
  return w.streams() && engines_detail::dispatch(core, w, [](auto slot, const auto&) {
           return decltype(slot)::Engine::kSharesStreams;
         });
}

// Actions of a tile on the core's engine for its kind, its epilogue's vector operations added.
inline EngineActions compute_actions(const CoreEngines& core, const TileWork& w) {
  EngineActions a = engines_detail::dispatch(core, w, [&](auto slot, const auto& params) {
    return decltype(slot)::Engine::actions(params, w);
  });
  if (w.epilogue_ops > 0) a.vector_ops += w.epilogue_ops;
  return a;
}

}  // namespace fusim
