// File: analysis.cc
//
// Names and sentences of the Analysis enums (see analysis.h).

#include "harness/analyze/analysis.h"

namespace jleak {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kClean:
      return "clean";
    case Verdict::kLeak:
      return "leak";
    case Verdict::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

const char* GrowthKindName(GrowthKind k) {
  switch (k) {
    case GrowthKind::kNone:
      return "none";
    case GrowthKind::kMalloc:
      return "malloc";
    case GrowthKind::kOutsideMalloc:
      return "outside_malloc";
    case GrowthKind::kAllocatorRetention:
      return "allocator_retention";
  }
  return "none";
}

const char* GrowthKindSentence(GrowthKind k) {
  switch (k) {
    case GrowthKind::kNone:
      return "No memory growth beyond the budgets.";
    case GrowthKind::kMalloc:
      return "Memory allocated through malloc grows; the growing sites are "
             "named below.";
    case GrowthKind::kOutsideMalloc:
      return "Resident memory grows while jemalloc's allocated bytes stay "
             "flat: the growth is outside malloc (thread stacks, mmap, "
             "metaspace, code cache), so no malloc site is to blame.";
    case GrowthKind::kAllocatorRetention:
      return "jemalloc's resident memory grows while allocated bytes stay "
             "flat: the allocator retains freed memory (fragmentation or "
             "dirty pages), not a leak in the program.";
  }
  return "";
}

const char* TimeSourceName(TimeSource s) {
  switch (s) {
    case TimeSource::kTimeline:
      return "timeline";
    case TimeSource::kMtime:
      return "mtime";
    case TimeSource::kSequence:
      return "sequence";
  }
  return "sequence";
}

}  // namespace jleak
