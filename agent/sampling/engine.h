// File: engine.h
//
// SamplingEngine: the agent's second capture engine, for a JVM that was not
// started with jleak's jemalloc. Loaded late (HotSpot's attach dlopens the
// agent into a running, multi-threaded process), it samples the malloc
// family itself and writes jemalloc heap_v2 snapshots of the live samples:
//
//   EngineOptions options;
//   options.lg_sample = 19;                   // 512 KiB, as jemalloc
//   SamplingEngine::Install(options);         // attach
//   absl::StatusOr<std::string> heap = SamplingEngine::HeapProfile();
//   SamplingEngine::Uninstall();              // detach
//
// One engine per process (the hooks are process-wide); its tables are
// mapped at the first Install and live until the process exits, because a
// thread may still be running a hook (or hold a hook's address, taken from
// a patched GLOB_DAT slot) after Uninstall.
//
// ---------------------------------------------------------------- hooks
// GotPatcher points malloc, calloc, realloc, reallocarray, free,
// posix_memalign, aligned_alloc, memalign and dlopen of every loaded object
// (but libc, the loader, the vDSO, the allocator and this engine's own object)
// at hooks here. Each hook calls the real function as bound in OUR OWN object,
// whose slots are never patched (what heaptrack does), not one looked up with
// dlsym: RTLD_NEXT depends on where the agent sits in the lookup order
// (dlopen'ed last, it may find nothing or skip a preloaded allocator), and
// RTLD_DEFAULT can return an executable's canonical PLT stub, which jumps
// through a slot we patched: infinite recursion (async-profiler PR #1135).
// dlsym also allocates. Our own binding resolves like any object's unpatched
// slot, so a preloaded allocator stays in the chain.
//
// - malloc and friends: the real call, then Sampler::Sample (one TLS
//   compare on the common path: no lock, no allocation, no shared write);
//   a sampled block is recorded (stack walk, StackTable::Intern,
//   LiveTable::Insert) under the thread's ReentrancyGuard, so allocations
//   made while recording are neither sampled nor recursive.
// - free: LiveTable::MayContain (one byte of the filter) and, only if it
//   may, Remove, BEFORE the real free (a later removal could delete the
//   entry of a new block at the same address).
// - realloc(p, n): p's entry taken out before the call (put back if the
//   call fails), the result sampled by its own size n; realloc(p, 0) frees
//   p (glibc returns NULL). reallocarray(p, c, n) is realloc(p, c * n)
//   after its overflow check.
// - dlopen: a path is opened, then new objects are patched (PatchIfIdle).
//   A bare name (searched with the CALLER's DT_RUNPATH and namespace,
//   which glibc takes from dlopen's return address), NULL, or a name with
//   $ORIGIN is passed on by a tail call, so the caller stays the caller;
//   such a library is patched at the next path dlopen or Repatch().
//
// Stacks: a BacktraceFn (jemalloc's prof_backtrace signature; default
// FramePointerBacktrace) called from inside the engine; the leading frames
// that lie in the engine's own object are cut, so frame 0 is the return
// address into the allocating function.
//
// Sessions: each Install is a new generation; HeapProfile reports the
// current one only, and Install sweeps entries of older ones (blocks
// sampled before a detach and freed after it, unseen). Memory allocated
// before the attach is never seen: the engine judges growth after it.

#ifndef JLEAK_AGENT_SAMPLING_ENGINE_H_
#define JLEAK_AGENT_SAMPLING_ENGINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/sampling/frame_pointer_backtrace.h"
#include "agent/sampling/got_patcher.h"
#include "agent/sampling/live_table.h"
#include "agent/sampling/sampler.h"
#include "agent/sampling/stack_table.h"

namespace jleak::agent::sampling {

struct EngineOptions {
  // Mean bytes between samples is 2^lg_sample (jemalloc's lg_prof_sample).
  // A thread's wait drawn in an earlier session runs out before the new
  // mean applies to it.
  int lg_sample = Sampler::kDefaultLgSample;
  uint64_t seed = 0;  // 0: from the clock
  // Native stack walker; null: FramePointerBacktrace.
  BacktraceFn backtrace = nullptr;
  // Table sizes, used by the first Install only.
  LiveTable::Options live_table;
  StackTable::Options stack_table;
};

struct EngineStats {
  bool installed = false;
  uint32_t generation = 0;
  int lg_sample = 0;
  uint64_t samples = 0;  // recorded in the live table, all sessions
  uint64_t sampled_bytes = 0;
  uint64_t samples_no_stack = 0;  // recorded with no frames
  uint64_t realloc_failures = 0;  // entries put back after a failed realloc
  LiveTableStats live;
  StackTableStats stacks;
  PatcherStats patcher;
};

class SamplingEngine {
 public:
  // Install maps the tables (first call), starts a new generation and
  // patches every loaded object. FailedPrecondition if already installed.
  static absl::Status Install(const EngineOptions& options = {});

  // Uninstall restores every patched slot; the hooks stay valid (and
  // remove the entries of the blocks they see freed) for whoever still
  // reaches them. FailedPrecondition if not installed.
  static absl::Status Uninstall();

  // Repatch patches objects that appeared since (bare-name dlopens, libc's
  // own dlopens) and repairs slots that lost their hook. Returns the slots
  // written. Call it periodically (e.g. at each snapshot) while installed.
  static int Repatch();

  // HeapProfile writes the current generation's live samples as a jemalloc
  // heap_v2 profile with /proc/self/maps. Allocations made while writing it
  // are not sampled. Works installed or not (the last session's blocks).
  static absl::StatusOr<std::string> HeapProfile();

  static EngineStats Stats();

  // SetBacktrace changes the walker of the current installation (null:
  // FramePointerBacktrace); the next Install sets its own. For an engine
  // installed at Agent_OnLoad, before Java stacks can be walked (VMInit).
  static void SetBacktrace(BacktraceFn backtrace);

  // ExcludeObjectContaining: the object mapped at `address` (the walker's
  // own library, e.g. libunwind) is never patched, so what it allocates is
  // neither sampled nor hooked. Before the first Install; false when the
  // patcher's extra exclusions are all taken.
  static bool ExcludeObjectContaining(const void* address);

  // ListSlots: the import slots of the hooked functions, now (tests,
  // diagnostics). HookFor: the hook that replaces `function`, or null.
  static std::vector<SlotInfo> ListSlots();
  static void* HookFor(const char* function);
};

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_ENGINE_H_
