// Default sanitizer options, compiled into every executable of a FUSIM_SANITIZE / FUSIM_FUZZ
// build so that ctest, the fuzzers and a hand-run fusim behave the same without environment
// variables (ASAN_OPTIONS etc. still override them).
//
// SystemC: Debian's libsystemc runs SC_THREADs on QuickThreads coroutines, stacks it allocates
// itself and switches to without telling the sanitizers (SystemC's own remedy, building it with
// --enable-pthreads or with its ASan fiber annotations, is not an option with the packaged
// library). Hence ASan's "ignoring requested __asan_handle_no_return ... False positive error
// reports may follow" warning and two precautions (google/sanitizers#189):
//  - detect_stack_use_after_return=0: the fake-stack mode cannot follow stack switches and
//    reports use-after-return on the coroutine stacks (0 is clang 14's default; stated here so
//    that a newer default does not change it).
//  - A LeakSanitizer suppression for libsystemc: a simulation that deadlocks (a test and the
//    program fuzzer do this on purpose) leaves SystemC's kernel holding a few bytes of its own
//    (an event vector of a process that never finished). fusim's allocations are still checked.
// SystemC does annotate its switches to ASan (weak __sanitizer_start_switch_fiber), but declares
// the thread's own stack as empty when it switches back; sim/simulate.cpp restores the real
// bounds after each run. Without that, ASan reported stack-use-after-scope in code that had
// none and LeakSanitizer scanned the wrong stack and reported libFuzzer's own data as leaked.
// No test is disabled: the whole suite runs under ASan and UBSan.
extern "C" const char* __asan_default_options() {
  return "detect_stack_use_after_return=0:strict_string_checks=1:detect_invalid_pointer_pairs=0";
}

extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

extern "C" const char* __lsan_default_suppressions() {
  return "leak:libsystemc\n";
}
