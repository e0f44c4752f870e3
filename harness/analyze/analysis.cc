// File: analysis.cc
//
// Names and sentences of the Analysis enums (see analysis.h).

#include "harness/analyze/analysis.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "profile/frame_filter.h"

namespace jleak {
namespace {

// EraseTemplateArgument removes every ", <prefix>...>" argument (with its
// own balanced brackets) from a C++ name: the default allocators and
// traits nobody wrote.
void EraseTemplateArgument(absl::string_view prefix, std::string* name) {
  const std::string needle = absl::StrCat(", ", prefix);
  size_t at;
  while ((at = name->find(needle)) != std::string::npos) {
    size_t i = at + needle.size();
    int depth = 1;
    for (; i < name->size() && depth > 0; ++i) {
      if ((*name)[i] == '<') ++depth;
      if ((*name)[i] == '>') --depth;
    }
    // Also the space before the closing '>' of the argument list.
    size_t end = i;
    while (end < name->size() && (*name)[end] == ' ') ++end;
    name->erase(at, end - at);
  }
}

}  // namespace

std::string FrameLabel(const NamedFrame& f) {
  if (!IsJavaFrame(f) || f.file.empty()) return f.function;
  if (f.line <= 0) return absl::StrCat(f.function, " (", f.file, ")");
  return absl::StrCat(f.function, " (", f.file, ":", f.line, ")");
}

std::string ShortFrameName(const NamedFrame& f) {
  std::string name(QualifiedName(f.function));
  name = absl::StrReplaceAll(name, {{"std::__cxx11::", "std::"}});
  EraseTemplateArgument("std::allocator<", &name);
  EraseTemplateArgument("std::char_traits<", &name);
  EraseTemplateArgument("std::default_delete<", &name);
  EraseTemplateArgument("std::hash<", &name);
  EraseTemplateArgument("std::equal_to<", &name);
  EraseTemplateArgument("std::less<", &name);
  for (size_t at; (at = name.find("> >")) != std::string::npos;) {
    name.erase(at + 1, 1);
  }
  // The member function's own template arguments say little
  // ("_M_realloc_insert<char const&>"): drop the last "<...>" if it follows
  // the last "::" outside brackets.
  int depth = 0;
  size_t last_scope = std::string::npos, last_open = std::string::npos;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') {
      if (depth == 0) last_open = i;
      ++depth;
    } else if (name[i] == '>' && depth > 0) {
      --depth;
    } else if (depth == 0 && name.compare(i, 2, "::") == 0) {
      last_scope = i;
    }
  }
  if (last_scope != std::string::npos && last_open != std::string::npos &&
      last_open > last_scope && name.back() == '>') {
    name.erase(last_open);
  }
  return name;
}

std::string SiteVia(const SiteSeries& site) {
  if (site.user_frame <= 0) return "";
  const auto& frames = site.frames;
  const std::string outer = ShortFrameName(frames[site.user_frame - 1]);
  if (site.user_frame == 1) return outer;
  return absl::StrCat(outer, " → ", ShortFrameName(frames[0]));
}

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

int UserFrameIndex(const std::vector<NamedFrame>& frames) {
  for (size_t i = 0; i < frames.size() && IsStableFrame(frames[i]); ++i) {
    if (frames[i].kind == FrameKind::kUser) return static_cast<int>(i);
  }
  return -1;
}

int JavaFrameIndex(const std::vector<NamedFrame>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    if (IsJavaFrame(frames[i]) && frames[i].kind == FrameKind::kUser) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string SiteHeadline(const SiteSeries& site) {
  if (site.frames.empty()) return site.top_frame;
  const size_t named = static_cast<size_t>(std::max(site.user_frame, 0));
  std::string headline =
      site.user_frame >= 0 ? FrameLabel(site.frames[named]) : site.top_frame;
  // An unnamed frame (a stripped library: "liblcms2.so.2+0x44031") is
  // followed by the first named frame after it, so that a sentence says
  // where it is.
  auto unnamed = [](const std::string& f) {
    return f.find("+0x") != std::string::npos || f.rfind("0x", 0) == 0;
  };
  if (unnamed(site.frames[named].function)) {
    for (size_t i = named + 1; i < site.frames.size(); ++i) {
      if (!unnamed(site.frames[i].function)) {
        absl::StrAppend(&headline, " (in ", site.frames[i].function, ")");
        break;
      }
    }
  }
  if (site.user_frame < 0) return headline;
  if (site.java_frame > site.user_frame) {
    absl::StrAppend(&headline, " from ",
                    FrameLabel(site.frames[site.java_frame]));
  }
  const std::string via = SiteVia(site);
  if (!via.empty()) absl::StrAppend(&headline, " via ", via);
  return headline;
}

}  // namespace jleak
