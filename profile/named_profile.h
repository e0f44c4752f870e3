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
// of different processes (different load addresses) can be compared; and
// by the names the symbol tables give (Symbolizer::SymbolizeName), not the
// inlined frames DWARF adds, so that keys are the same whether or not debug
// information was installed or read.

#ifndef JLEAK_PROFILE_NAMED_PROFILE_H_
#define JLEAK_PROFILE_NAMED_PROFILE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/types/span.h"
#include "profile/frame_filter.h"
#include "profile/heap_profile.h"
#include "profile/symbolizer.h"

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

struct NameOptions {
  // Frames as Symbolizer::Symbolize gives them: inlined frames and
  // file:line from DWARF. false: SymbolizeName's symbol-table names only,
  // one frame per address (no DWARF read); AddSourceDetail adds the rest
  // later to the few stacks a report shows. Stack identity (StackKey) and
  // trimming are the same either way.
  bool source_detail = true;
};

// The facts about one profile that naming its stacks depends on.
struct ProfileNamingContext {
  // [start, limit) of the file mappings of allocator modules, sorted.
  std::vector<std::pair<uint64_t, uint64_t>> allocator_ranges;
  // Whether any stack holds the agent's Java frames (java_frame.h).
  bool has_java = false;

  bool operator==(const ProfileNamingContext& o) const {
    return has_java == o.has_java && allocator_ranges == o.allocator_ranges;
  }
};

// StackNamer names the stacks of one process's profiles, remembering each
// distinct address across calls: NameProfile uses one per profile, the
// analyzer one for a whole series. Not thread-safe (nor is a Symbolizer).
class StackNamer {
 public:
  StackNamer(Symbolizer& symbolizer, const FrameFilter& filter,
             NameOptions options = {});

  ProfileNamingContext Context(const HeapProfile& profile) const;

  // NameStack sets `frames` to one stack's frames as NameProfile names
  // them (see there); `addresses` as in the profile, innermost first.
  void NameStack(absl::Span<const uint64_t> addresses,
                 const ProfileNamingContext& context,
                 std::vector<NamedFrame>* frames);

  // AddSourceDetail turns frames named without source detail into frames
  // with it (each frame's inlined frames before it, file:line), trimming
  // leading allocator frames that were inlined. A no-op for frames that
  // already have it.
  std::vector<NamedFrame> AddSourceDetail(
      const std::vector<NamedFrame>& frames);

  // Frame: the frame NameStack gave an address without source detail
  // (NamedFrame::address is the looked-up address); valid as long as the
  // namer. Null for an address NameStack never looked up.
  const NamedFrame* Frame(uint64_t address) const {
    auto it = names_.find(address);
    return it == names_.end() || it->second.empty() ? nullptr
                                                    : &it->second.back();
  }

  // Warnings of the symbolizer so far.
  std::vector<std::string> Warnings() const { return symbolizer_.Warnings(); }

 private:
  // The frames of one lookup address, innermost (inlined) first; the last
  // is the address's own function.
  const std::vector<NamedFrame>& Lookup(uint64_t address, bool detail);

  Symbolizer& symbolizer_;
  const FrameFilter& filter_;
  NameOptions options_;
  // Node maps: NameStack holds pointers to entries while adding others.
  absl::node_hash_map<uint64_t, std::vector<NamedFrame>> names_;
  absl::node_hash_map<uint64_t, std::vector<NamedFrame>> details_;
};

// NameProfile symbolizes each distinct address once, expands inlined
// frames (options.source_detail), trims the leading allocator frames,
// classifies the rest (NamedFrame::kind) and unsamples the counts.
// Trimming goes by each address's own function (its symbol-table name),
// then by the inlined frames of the first address kept. A stack with Java
// frames from the agent (java_frame.h) keeps its native frames down to the
// first one outside a mapped file (JIT code, the interpreter, call stubs),
// then the Java frames: the native frames below are the JVM's own way down
// to the thread's start, which the Java frames describe better. In a
// profile with such frames, stacks without them (Java frames the agent
// could not walk) are cut at the same place.
// Stacks that end up with the same key (StackKey) are merged. A stack made
// only of allocator frames keeps its outermost address's frames.
NamedProfile NameProfile(const HeapProfile& profile, Symbolizer& symbolizer,
                         const FrameFilter& filter,
                         const NameOptions& options = {});

// AddSourceDetail (the profile form): every stack's frames with source
// detail, after NameProfile with source_detail = false.
void AddSourceDetail(NamedProfile* profile, Symbolizer& symbolizer,
                     const FrameFilter& filter);

// DiffProfiles returns newer - base per stack (by frame names). Stacks
// whose difference is exactly zero are dropped; negative differences are
// kept (memory freed since the base).
NamedProfile DiffProfiles(const NamedProfile& newer, const NamedProfile& base);

// StackKey is the identity of a stack across profiles: the function names
// of its frames that are not inlined ones, joined by ';'.
std::string StackKey(const NamedStack& stack);
std::string StackKey(const std::vector<NamedFrame>& frames);

// SortByBytes orders stacks by decreasing |bytes|, then by key, so that
// outputs are deterministic.
void SortByBytes(std::vector<NamedStack>* stacks);

}  // namespace jleak

#endif  // JLEAK_PROFILE_NAMED_PROFILE_H_
