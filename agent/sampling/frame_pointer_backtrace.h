// File: frame_pointer_backtrace.h
//
// The engine's stack walkers have jemalloc's prof_backtrace hook signature
// (BacktraceFn), so the agent can give the engine the same hook it gives
// jemalloc (agent/java_stacks.cc chains one for Java frames). The default,
// FramePointerBacktrace, follows the frame-pointer chain from its own frame:
//
//   void* vec[128]; unsigned len = 0;
//   FramePointerBacktrace(vec, &len, 128);   // vec[0]: its caller's pc
//
// Why frame pointers (shared/notes/malloc-interposition.md §5): HotSpot and
// the JDK's JNI libraries keep them (97% of libjvm's non-leaf functions open
// with push %rbp; mov %rsp,%rbp), a walk costs a few ns per frame against
// ~100 ns per trace for unw_backtrace and ~9 us for a cursor walk, and it
// takes no lock and allocates nothing (after a thread's first call).
//
// Limits, by design bounded rather than fixed:
// - A frame without a frame pointer that leaves %rbp alone (libstdc++'s
//   operator new) hides its caller: the walk skips one frame. One that uses
//   %rbp as a register (glibc's strdup, zlib) makes the next link garbage:
//   every step is checked (inside the thread's stack, above the previous
//   frame, 8-aligned) and the walk stops at the first bad link, so garbage
//   can end a stack early but never make it read outside the stack.
// - JIT-compiled Java frames keep no %rbp chain (PreserveFramePointer is off
//   and cannot be turned on at attach): the walk usually stops there; Java
//   frames come from AsyncGetCallTrace (java_stacks), not from here.
// - The stack bounds of a thread are found once (pthread_getattr_np, which
//   allocates through libc's own GOT, never through the hooks) and kept in a
//   __thread cache. A walk from another stack (sigaltstack) returns nothing.

#ifndef JLEAK_AGENT_SAMPLING_FRAME_POINTER_BACKTRACE_H_
#define JLEAK_AGENT_SAMPLING_FRAME_POINTER_BACKTRACE_H_

#include <cstdint>

namespace jleak::agent::sampling {

// jemalloc 5.3's prof_backtrace_hook_t: fill vec[0..*len) with return
// addresses, innermost first, *len <= max_len.
using BacktraceFn = void (*)(void** vec, unsigned* len, unsigned max_len);

// FramePointerBacktrace: the default BacktraceFn (see above).
void FramePointerBacktrace(void** vec, unsigned* len, unsigned max_len);

// WalkFramePointers follows the chain from frame `fp` (the address where a
// function saved its caller's %rbp, its return address 8 bytes above),
// writing return addresses while each frame lies in [stack_lo, stack_hi -
// 16], is 8-aligned and above the previous one, and its return address is
// not in the first page. Returns how many it wrote (<= max_len). Pure: the
// tests walk made-up stacks with it.
unsigned WalkFramePointers(uintptr_t fp, uintptr_t stack_lo, uintptr_t stack_hi,
                           void** vec, unsigned max_len);

// CurrentThreadStackBounds: the calling thread's stack [*lo, *hi), cached
// per thread. False when it cannot be found.
bool CurrentThreadStackBounds(uintptr_t* lo, uintptr_t* hi);

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_FRAME_POINTER_BACKTRACE_H_
