// File: frame_filter.h
//
// FrameFilter: which frames at the top of an allocation stack belong to
// the allocator (jemalloc's own sampling machinery, libc's malloc entry
// points, C++ operator new, the JVM's os::malloc wrappers) and are trimmed,
// so that the first frame shown is the code that asked for the memory.
//
// Patterns are data: one per line, `#` comments, matched against the whole
// demangled function name. A pattern ending in `*` matches by prefix;
// otherwise it must match exactly. A line `module:<pattern>` matches the
// file name of the mapped module instead: every leading frame in such a
// module is the allocator's, and is trimmed without being symbolized
// (reading the preloaded jemalloc's DWARF costs more than the rest of a
// profile). The defaults are kDefaultAllocatorFrames below; users add more
// with `--trim-frames FILE` or `--trim PATTERN`.

#ifndef JLEAK_PROFILER_FRAME_FILTER_H_
#define JLEAK_PROFILER_FRAME_FILTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

// The default allocator frames, in the pattern syntax above.
inline constexpr char kDefaultAllocatorFrames[] = R"(
# The preloaded profiling allocator itself (any build of it).
module:libjemalloc.so*
# jemalloc's sampling path (prof.c, prof_sys.c) and its public entry points.
prof_backtrace*
je_*
imalloc*
ialloc*
iralloc*
ipalloc*
prof_alloc_prep
prof_tctx_create
malloc_default
do_rallocx
# libc allocation entry points (jemalloc replaces them when preloaded).
malloc
calloc
realloc
reallocarray
posix_memalign
aligned_alloc
memalign
valloc
pvalloc
strdup
strndup
# C++ allocation.
operator new*
operator new[]*
__gnu_cxx::new_allocator*
std::allocator*
# HotSpot's C-heap wrappers: the caller is the interesting frame
# (e.g. Unsafe_AllocateMemory0 above os::malloc).
os::malloc*
os::realloc*
AllocateHeap*
ReallocateHeap*
)";

class FrameFilter {
 public:
  // A filter with the default allocator frames.
  FrameFilter();

  // Parse reads patterns (syntax above); errors name the line.
  static absl::StatusOr<std::vector<std::string>> Parse(
      absl::string_view text, absl::string_view source_name);

  void Add(std::string pattern);
  void AddAll(const std::vector<std::string>& patterns) {
    for (const std::string& p : patterns) Add(p);
  }

  bool IsAllocatorFrame(absl::string_view function) const;
  // IsAllocatorModule takes a module path; patterns match its file name.
  bool IsAllocatorModule(absl::string_view module_path) const;

  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
  std::vector<std::string> exact_;     // sorted
  std::vector<std::string> prefixes_;  // without the '*'
  std::vector<std::string> module_exact_;
  std::vector<std::string> module_prefixes_;
};

}  // namespace jleak

#endif  // JLEAK_PROFILER_FRAME_FILTER_H_
