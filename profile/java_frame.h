// File: java_frame.h
//
// Java frames in jemalloc heap profiles, the reader's side of the agent's
// Java stacks (agent/java_stacks.h has the writer and the whole
// layout). The agent's backtrace hook appends, after the native frames of
// each sampled allocation, the allocating thread's Java frames as
// synthetic addresses in the kernel half of the address space, where no
// user-space code can be; `java-frames.map` beside the snapshots names
// them in the perf-map format:
//
//   ffffa00000000052 2 jleak.leakers.JniMalloc.leak(JniMalloc.java:42)
//
// This header is the one definition of that encoding: the agent and every
// reader include it.

#ifndef JLEAK_PROFILE_JAVA_FRAME_H_
#define JLEAK_PROFILE_JAVA_FRAME_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace jleak {

// Synthetic address of Java frame id `i`: kJavaFrameBase + 2*i + 1. Odd and
// two apart, so that a lookup of `pc - 1` (what readers do for return
// addresses) lands on the same id as a lookup of `pc`.
inline constexpr uint64_t kJavaFrameBase = 0xffffa00000000000;
// Ids are 0 (a Java frame the agent could not record), 1 .. 2^16 (the
// agent's table of methods), then kUnavailableJavaFrameIds ids from
// kFirstUnavailableJavaFrameId: one per reason the agent could not walk
// a thread's Java frames at all, named "[Java frames unavailable: ...]".
inline constexpr uint32_t kFirstUnavailableJavaFrameId = (1 << 16) + 1;
inline constexpr uint32_t kUnavailableJavaFrameIds = 16;
inline constexpr uint32_t kJavaFrameMaxId =
    kFirstUnavailableJavaFrameId + kUnavailableJavaFrameIds - 1;
// The name prefix of those frames.
inline constexpr char kUnavailableJavaFramesPrefix[] =
    "[Java frames unavailable: ";
inline constexpr char kJavaFramesMapName[] = "java-frames.map";
// The module of a Java frame in NamedFrame / SymbolizedAddress.
inline constexpr char kJavaModule[] = "[java]";

constexpr uint64_t JavaFrameAddress(uint32_t id) {
  return kJavaFrameBase + 2 * uint64_t{id} + 1;
}

// IsJavaFrameAddress: whether `address` is a synthetic Java frame, or the
// address just below one.
constexpr bool IsJavaFrameAddress(uint64_t address) {
  return address >= kJavaFrameBase &&
         address <= JavaFrameAddress(kJavaFrameMaxId);
}

// JavaFrameId decodes an address for which IsJavaFrameAddress holds.
constexpr uint32_t JavaFrameId(uint64_t address) {
  return static_cast<uint32_t>((address - kJavaFrameBase) >> 1);
}

// A Java frame's name split as a stack trace shows it.
struct JavaFrameName {
  std::string method;  // "jleak.leakers.JniMalloc.leak"
  std::string file;    // "JniMalloc.java", or empty
  int line = 0;        // 0 when unknown (or a native method)
};

// WithoutHiddenClassAddress: "a.B$$Lambda$14.0x00007f76cc001800.run" ->
// "a.B$$Lambda$14.run". Hidden classes (lambdas, method handles) carry
// the address they were defined at, which differs in every run: left in,
// one lambda would be a new site in each run that `jleak compare` sees.
std::string WithoutHiddenClassAddress(absl::string_view name);

// ParseJavaFrameName splits "pkg.Cls.method(Cls.java:42)". "(Cls.java)",
// "(Native Method)" and "(Unknown Source)" give no line (and no file for
// the last two); a name without parentheses is all method.
JavaFrameName ParseJavaFrameName(absl::string_view name);

}  // namespace jleak

#endif  // JLEAK_PROFILE_JAVA_FRAME_H_
