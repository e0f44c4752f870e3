// File: nmt_summary.h
//
// ParseNmtSummary reads the text of the JVM's `VM.native_memory summary
// scale=KB` diagnostic command (what `jcmd <pid> VM.native_memory summary`
// prints) into committed bytes per category:
//
//   Total: reserved=7840993KB, committed=478005KB
//   -                 Java Heap (reserved=6172672KB, committed=397312KB)
//   -                    Thread (reserved=18479KB, committed=739KB)
//
// gives {"Total": 489477120, "Java Heap": 406847488, "Thread": 756736}.
// Native Memory Tracking sees what jemalloc cannot: thread stacks,
// metaspace ("Class"), the code cache, GC structures, all mmap'd by the
// JVM, so it names the category of growth outside malloc.

#ifndef JLEAK_AGENT_NMT_SUMMARY_H_
#define JLEAK_AGENT_NMT_SUMMARY_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak::agent {

// Errors: NMT is off ("Native memory tracking is not enabled"), or the
// text has no Total line (another format).
absl::StatusOr<std::map<std::string, int64_t>> ParseNmtSummary(
    absl::string_view text);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_NMT_SUMMARY_H_
