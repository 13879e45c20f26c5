// SystemC keeps its kernel state in a process-wide context that cannot be reset after sc_start;
// a new context per run makes simulations independent. Create one before the modules of a run
// and destroy it after them (simulate() and the component tests do).
#pragma once

#include <cstdlib>

#include <systemc>

namespace fusim {

class FreshSimContext {
 public:
  FreshSimContext() {
    setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext;
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  }
  ~FreshSimContext() {
    delete sc_core::sc_curr_simcontext;
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
  }
  FreshSimContext(const FreshSimContext&) = delete;
  FreshSimContext& operator=(const FreshSimContext&) = delete;
};

}  // namespace fusim
