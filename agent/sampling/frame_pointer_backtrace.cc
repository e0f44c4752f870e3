// File: frame_pointer_backtrace.cc
//
// The bounded frame-pointer walk (see frame_pointer_backtrace.h). Compiled
// with -fno-omit-frame-pointer (SAMPLING_COPTS): the walk starts at this
// file's own frame.

#include "agent/sampling/frame_pointer_backtrace.h"

#include <pthread.h>

namespace jleak::agent::sampling {
namespace {

// Per-thread cache of the stack bounds: 0/0 until the first walk, hi == 1
// when they could not be found (not retried).
__thread uintptr_t t_stack_lo;
__thread uintptr_t t_stack_hi;

}  // namespace

unsigned WalkFramePointers(uintptr_t fp, uintptr_t stack_lo, uintptr_t stack_hi,
                           void** vec, unsigned max_len) {
  unsigned n = 0;
  if (stack_hi < stack_lo + 16) return 0;
  while (n < max_len) {
    if (fp < stack_lo || fp > stack_hi - 16 || (fp & 7) != 0) break;
    const uintptr_t* frame = reinterpret_cast<const uintptr_t*>(fp);
    const uintptr_t next = frame[0];
    const uintptr_t pc = frame[1];
    if (pc < 4096) break;
    vec[n++] = reinterpret_cast<void*>(pc);
    if (next <= fp) break;  // the chain must go up the stack
    fp = next;
  }
  return n;
}

bool CurrentThreadStackBounds(uintptr_t* lo, uintptr_t* hi) {
  if (t_stack_hi == 0) {
    t_stack_hi = 1;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0 && size > 0) {
        t_stack_lo = reinterpret_cast<uintptr_t>(addr);
        t_stack_hi = t_stack_lo + size;
      }
      pthread_attr_destroy(&attr);
    }
  }
  if (t_stack_hi <= 1) return false;
  *lo = t_stack_lo;
  *hi = t_stack_hi;
  return true;
}

__attribute__((noinline)) void FramePointerBacktrace(void** vec, unsigned* len,
                                                     unsigned max_len) {
  *len = 0;
  uintptr_t lo = 0;
  uintptr_t hi = 0;
  if (!CurrentThreadStackBounds(&lo, &hi)) return;
  const uintptr_t fp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (fp < lo || fp >= hi) return;  // on another stack (sigaltstack)
  // Frames above ours only: the lower bound is this frame itself.
  *len = WalkFramePointers(fp, fp, hi, vec, max_len);
}

}  // namespace jleak::agent::sampling
