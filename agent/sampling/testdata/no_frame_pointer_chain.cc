// File: no_frame_pointer_chain.cc
//
// See no_frame_pointer_chain.h. Built with -O2 -fomit-frame-pointer.

#include "agent/sampling/testdata/no_frame_pointer_chain.h"

namespace jleak::agent::sampling::testing {
namespace {

__attribute__((noinline)) int Middle(int (*callback)(void*), void* arg,
                                     ChainReturns* returns) {
  returns->into_outer = __builtin_return_address(0);
  // %rbp holds a small odd number across the call, as a register
  // allocator may leave any value there: a frame-pointer walk that reaches
  // this frame reads it as the next frame and must stop. (A local register
  // variable: the asm statements pin it to %rbp before and after the call,
  // and %rbp is callee-saved, so it stays there during the call.)
  register long not_a_frame asm("rbp") = 0x2345;
  asm volatile("" : "+r"(not_a_frame));
  const int result = callback(arg);
  asm volatile("" : : "r"(not_a_frame));
  return result + 1;  // after the call: no tail call
}

__attribute__((noinline)) int Outer(int (*callback)(void*), void* arg,
                                    ChainReturns* returns) {
  returns->into_caller = __builtin_return_address(0);
  const int result = Middle(callback, arg, returns);
  asm volatile("" ::: "memory");
  return result + 1;
}

}  // namespace

int CallThroughNoFramePointers(int (*callback)(void*), void* arg,
                               ChainReturns* returns) {
  const int result = Outer(callback, arg, returns);
  asm volatile("" ::: "memory");
  return result + 1;
}

}  // namespace jleak::agent::sampling::testing
