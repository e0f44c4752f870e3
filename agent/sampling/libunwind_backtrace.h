// File: libunwind_backtrace.h
//
// The sampling engine's DWARF stack walker: libunwind's unw_backtrace, the
// unwinder the jemalloc engine uses (--enable-prof-libunwind), so both
// engines see the same native frames. It is loaded at run time, not
// linked: the agent is dlopened into JVMs that were never prepared for it
// (a container image may lack libunwind), and there the engine falls back
// to FramePointerBacktrace.
//
//   absl::StatusOr<LoadedUnwinder> u = LoadLibunwind(AgentDirectory());
//   BacktraceFn walk = u.ok() ? &LibunwindBacktrace : &FramePointerBacktrace;
//
// Why not frame pointers alone (frame_pointer_backtrace.h): the libraries a
// JVM leaks through are mostly built without them (Debian: zlib, libstdc++,
// liblcms2, libsqlite3, libzstd; shared/notes/malloc-interposition.md §5).
// Run over the suite's rows, the frame-pointer walk named 3 of 22 leak
// sites worse than jemalloc's libunwind walk: an FP-less function that
// leaves %rbp alone hides its caller (libstdc++'s operator new), one that
// uses %rbp as a register ends the walk at its own frame (so the stripped
// library's exported entry point, the name a user can act on, is never
// reached and the site is an offset). unw_backtrace reads the .eh_frame
// CFI that every object keeps, with a per-thread cache of the frames it
// has seen: ~0.3 us a sampled allocation on a JVM stack of 15-18 frames
// (perf, `jleak run` of RunFaults cpuchurn), against ~0.05 us for the
// frame-pointer walk: at jemalloc's 512 KiB mean interval that difference
// is far below 1% of the process's CPU.
//
// Safety inside the hooks: the first call, which initializes libunwind
// (locks, a pipe, its caches), is made by LoadLibunwind, outside any hook.
// Afterwards unw_backtrace allocates through mmap, not malloc, takes only
// the loader's recursive lock (dl_iterate_phdr), and is what jemalloc's
// engine already calls inside malloc on every sampled allocation.

#ifndef JLEAK_AGENT_SAMPLING_LIBUNWIND_BACKTRACE_H_
#define JLEAK_AGENT_SAMPLING_LIBUNWIND_BACKTRACE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak::agent::sampling {

// The libunwind object the walker calls into.
struct LoadedUnwinder {
  std::string path;            // as the loader reports it (dladdr)
  const void* object_address;  // its unw_backtrace: the GOT patcher and
                               // the mmap hooks must leave this object alone
  bool already_loaded;         // in the process before us (not dlopened)
};

// LoadLibunwind finds libunwind.so.8, in this order: already in the process
// (RTLD_NOLOAD), in `bundled_dir` (where `jleak install` copies it next to
// the agent; empty: skipped), then by the loader's search. It is opened
// RTLD_LOCAL (its weak `backtrace` must not interpose glibc's), warmed up
// with one walk, and kept for the life of the process. Idempotent: later
// calls return the first result. Errors say what was tried.
absl::StatusOr<LoadedUnwinder> LoadLibunwind(absl::string_view bundled_dir);

// OpenUnwinder: LoadLibunwind's search for `soname`, every time, without
// making it the walker's (tests: a library that is not there).
absl::StatusOr<LoadedUnwinder> OpenUnwinder(absl::string_view bundled_dir,
                                            absl::string_view soname);

// LibunwindObject: LoadedUnwinder::object_address once LoadLibunwind has
// succeeded, else null (for hooks that must leave libunwind's own calls
// alone, e.g. its mmapped caches in native_origins).
const void* LibunwindObject();

// LibunwindBacktrace: a BacktraceFn (frame_pointer_backtrace.h) over
// unw_backtrace. vec[0] is an address in this function (the caller of
// unw_backtrace), as jemalloc's stacks begin with prof_backtrace_impl.
// Before LoadLibunwind succeeded it is FramePointerBacktrace.
void LibunwindBacktrace(void** vec, unsigned* len, unsigned max_len);

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_LIBUNWIND_BACKTRACE_H_
