#include "large_stack.h"

#include <pthread.h>
#include <sys/resource.h>

namespace fusim {

namespace {

struct Call {
  int (*body)(int, char**);
  int argc;
  char** argv;
  int result;
};

void* trampoline(void* p) {
  Call& c = *static_cast<Call*>(p);
  c.result = c.body(c.argc, c.argv);
  return nullptr;
}

}  // namespace

int run_on_large_stack(int (*body)(int, char**), int argc, char** argv) {
  rlimit lim{};
  if (getrlimit(RLIMIT_STACK, &lim) == 0 &&
      (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= kWorkStackBytes)) {
    return body(argc, argv);
  }
  Call call{body, argc, argv, 1};
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return body(argc, argv);
  pthread_t thread;
  const bool started = pthread_attr_setstacksize(&attr, kWorkStackBytes) == 0 &&
                       pthread_create(&thread, &attr, trampoline, &call) == 0;
  pthread_attr_destroy(&attr);
  if (!started) return body(argc, argv);
  pthread_join(thread, nullptr);
  return call.result;
}

}  // namespace fusim
