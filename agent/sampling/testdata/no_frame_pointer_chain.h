// File: no_frame_pointer_chain.h
//
// A two-deep call chain compiled as Debian compiles its libraries
// (-fomit-frame-pointer) whose inner function also holds a non-stack value
// in %rbp across its call: the shape of zlib's or glibc's FP-less code,
// for the stack-walker tests. Each function records the return address it
// will go back to, so a test knows which frames a correct walk returns.

#ifndef JLEAK_AGENT_SAMPLING_TESTDATA_NO_FRAME_POINTER_CHAIN_H_
#define JLEAK_AGENT_SAMPLING_TESTDATA_NO_FRAME_POINTER_CHAIN_H_

namespace jleak::agent::sampling::testing {

// Return addresses seen by the chain's last call: into the middle function
// (recorded by the callback's caller, see below), into the outer function,
// and into whoever called the outer function.
struct ChainReturns {
  void* into_middle = nullptr;
  void* into_outer = nullptr;
  void* into_caller = nullptr;
};

// CallThroughNoFramePointers calls `callback(arg)` from two frames down:
// the caller -> outer -> middle -> callback. The callback must set
// returns->into_middle to its own __builtin_return_address(0).
int CallThroughNoFramePointers(int (*callback)(void* arg), void* arg,
                               ChainReturns* returns);

}  // namespace jleak::agent::sampling::testing

#endif  // JLEAK_AGENT_SAMPLING_TESTDATA_NO_FRAME_POINTER_CHAIN_H_
