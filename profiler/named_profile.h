// File: named_profile.h
//
// NamedProfile: a heap profile whose stacks are symbolized, trimmed of
// allocator frames and unsampled: the common input of every report (text,
// collapsed stacks, pprof) and of the growth analysis.
//
//   NamedProfile named = NameProfile(profile, symbolizer, FrameFilter());
//   NamedProfile growth = DiffProfiles(newer, older);
//
// Stacks are keyed by their frames' names, not addresses, so that profiles
// of different processes (different load addresses) can be compared.

#ifndef JLEAK_PROFILER_NAMED_PROFILE_H_
#define JLEAK_PROFILER_NAMED_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "profiler/frame_filter.h"
#include "profiler/heap_profile.h"
#include "profiler/symbolizer.h"

namespace jleak {

struct NamedFrame {
  std::string function;  // never empty
  std::string file;      // may be empty
  int line = 0;
  std::string module;    // path, "[jit]", or empty
  uint64_t address = 0;  // as looked up (return address - 1 for callers)
  uint64_t module_offset = 0;
  bool inlined = false;               // an inlined frame sharing its address
  FrameKind kind = FrameKind::kUser;  // see frame_filter.h
};

// IsStableFrame: a frame that names the same code in every snapshot of a
// run: native code in a mapped file, or a Java frame the agent recorded.
// JIT-compiled code ("[jit]") and the interpreter are not: JIT compilation
// replaces interpreted frames mid-run.
bool IsStableFrame(const NamedFrame& frame);
bool IsJavaFrame(const NamedFrame& frame);  // module "[java]"

struct NamedStack {
  std::vector<NamedFrame> frames;  // innermost first, after trimming
  Counts counts;                   // unsampled estimate of live memory
};

struct NamedProfile {
  std::vector<NamedStack> stacks;
  Counts total;  // sum of stacks[].counts
  uint64_t sample_period = 0;
  std::vector<Mapping> mappings;
  std::vector<std::string> warnings;  // from the symbolizer
};

// NameProfile symbolizes each distinct address once, expands inlined
// frames, trims the leading allocator frames, classifies the rest
// (NamedFrame::kind) and unsamples the counts. A stack with Java frames
// from the agent (java_frame.h) keeps its native frames down to the first
// one outside a mapped file (JIT code, the interpreter, call stubs), then
// the Java frames: the native frames below are the JVM's own way down to
// the thread's start, which the Java frames describe better. In a profile
// with such frames, stacks without them (Java frames the agent could not
// walk) are cut at the same place.
// Stacks that end up with the same frame names are merged. A stack made
// only of allocator frames keeps its innermost frame.
NamedProfile NameProfile(const HeapProfile& profile, Symbolizer& symbolizer,
                         const FrameFilter& filter);

// DiffProfiles returns newer - base per stack (by frame names). Stacks
// whose difference is exactly zero are dropped; negative differences are
// kept (memory freed since the base).
NamedProfile DiffProfiles(const NamedProfile& newer, const NamedProfile& base);

// StackKey is the identity of a stack across profiles: its function names,
// joined.
std::string StackKey(const NamedStack& stack);

// SortByBytes orders stacks by decreasing |bytes|, then by key, so that
// outputs are deterministic.
void SortByBytes(std::vector<NamedStack>* stacks);

}  // namespace jleak

#endif  // JLEAK_PROFILER_NAMED_PROFILE_H_
