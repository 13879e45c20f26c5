// SystemC keeps its kernel state in a process-wide context that cannot be reset after sc_start;
// a new context per run makes simulations independent. Create one before the modules of a run
// and destroy it after them (simulate() and the component tests do).
#pragma once

#include <cstdlib>

#include <systemc>

#if defined(__SANITIZE_ADDRESS__)
#define FUSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUSIM_ASAN 1
#endif
#endif
#ifdef FUSIM_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace fusim {

// The stack of each SC_THREAD that does a component's work (a core's engines, the DRAM model):
// its calls reach the DRAM controller's command choice through the interconnect and the
// memory's b_transport, whose frames under AddressSanitizer outgrow libsystemc's default
// coroutine stack (the sanitized suite overflowed it now and then). Only the pages touched are
// backed by memory.
constexpr std::size_t kThreadStackBytes = std::size_t{1} << 20;

// AddressSanitizer builds only. libsystemc tells ASan about its coroutine stack switches
// (__sanitizer_start_switch_fiber, weak symbols), but it does not know the bounds of the
// thread's own stack, so when it switches back to it it declares an empty stack. ASan then
// believes the thread runs on a stack of size 0 and ignores every later __asan_handle_no_return
// ("ASan is ignoring requested __asan_handle_no_return: stack type: default top: 0x0"): frames
// unwound by a C++ exception keep their poisoned shadow, and a later call that reuses that stack
// is reported as a stack-use-after-scope that is not there. Declaring a switch to the real
// stack, once SystemC has handed the thread back, restores ASan's view.
inline void restore_sanitizer_stack_bounds() {
#ifdef FUSIM_ASAN
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* bottom = nullptr;
  std::size_t size = 0;
  const bool ok = pthread_attr_getstack(&attr, &bottom, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) return;
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, bottom, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

class FreshSimContext {
 public:
  FreshSimContext() {
    setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext;
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  }
  ~FreshSimContext() {
    delete sc_core::sc_curr_simcontext;  // unwinds unfinished SC_THREADs on their stacks
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
    restore_sanitizer_stack_bounds();
  }
  FreshSimContext(const FreshSimContext&) = delete;
  FreshSimContext& operator=(const FreshSimContext&) = delete;
};

}  // namespace fusim
