// File: analysis.h
//
// The leak analysis of a series of heap snapshots: the data model shared by
// the analyzer (analyzer.h), the reports (report_text.h, report_json.h,
// report_html.h) and `jleak analyze` / `jleak run`.
//
// An Analysis answers "is this leaking, where, and how sure are we?":
// per allocation site, the live bytes at each snapshot and a robust growth
// estimate; for the process, the signals of the run's timeline (RSS,
// jemalloc counters, direct buffers, threads) and which kind of growth they
// show; and a verdict with its reason.

#ifndef JLEAK_HARNESS_ANALYZE_ANALYSIS_H_
#define JLEAK_HARNESS_ANALYZE_ANALYSIS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/analyze/growth.h"
#include "harness/analyze/memory_report.h"
#include "harness/analyze/timeline.h"
#include "profile/named_profile.h"

namespace jleak {

enum class Verdict {
  kClean,         // exit 0
  kLeak,          // exit 1
  kInconclusive,  // exit 2
};
const char* VerdictName(Verdict v);  // "clean", "leak", "inconclusive"

enum class GrowthKind {
  kNone,                // nothing grows beyond the budgets
  kMalloc,              // sampled malloc sites grow: named by site
  kOutsideMalloc,       // RSS grows, jemalloc allocated flat: thread
                        // stacks, mmap, metaspace, code cache
  kAllocatorRetention,  // jemalloc resident/retained grow, allocated flat
};
const char* GrowthKindName(GrowthKind k);  // "none", "malloc", ...
// GrowthKindSentence: one human sentence describing the kind.
const char* GrowthKindSentence(GrowthKind k);

// How snapshot times were established, weakest last.
enum class TimeSource {
  kTimeline,  // timeline.jsonl / manifest.json of a `jleak run` directory
  kMtime,     // file modification times
  kSequence,  // only the sequence number in the file name: rates are per
              // snapshot, not per second
};
const char* TimeSourceName(TimeSource s);

struct SnapshotInfo {
  std::string path;
  int64_t seq = 0;
  double time_seconds = 0;  // per TimeSource; seq index for kSequence
  double total_bytes = 0;   // unsampled sum of every stack
  bool analyzed = false;    // false inside the warm-up window
};

// One allocation site: a trimmed stack (optionally cut to its first N
// frames) and its live bytes over the series.
struct SiteSeries {
  std::string key;                 // the site's key frames' names, joined
  std::vector<NamedFrame> frames;  // innermost first
  // The frame that names the site: the first frame of the user's code
  // (FrameKind::kUser, native or Java, see profile/frame_filter.h), or
  // frames[0] when the stack has none (all JVM or runtime, or the Java
  // frames were not recorded).
  std::string top_frame;  // frames[user_frame].function, or frames[0]'s
  int user_frame = -1;    // index into frames, or -1
  // The first user Java frame: the Java method that allocated, or that
  // called the native code that did. -1 without Java frames.
  int java_frame = -1;
  // "com.example.Cache.put (Cache.java:42) via
  // java.nio.ByteBuffer.allocateDirect → Unsafe_AllocateMemory0": the user
  // frame, its Java caller, and the runtime/JVM frames it called, folded.
  std::string headline;
  std::vector<double> bytes;            // unsampled, one per snapshot
  std::vector<double> objects;          // unsampled, one per snapshot
  std::vector<double> sampled_objects;  // raw sample counts (noise model)
  GrowthEstimate growth;                // over the analyzed snapshots
  bool suppressed = false;              // matched a suppression
  std::string suppressed_by;            // the suppression that matched
  bool over_budget = false;             // this site alone exceeds a budget
  // Named as the likely site of a leak found by jemalloc's exact count,
  // from too few samples to be over budget on its own.
  bool likely = false;

  // Whose code each frame is, by index (site_origins.h): "jdk",
  // "application", "library" or "unknown" for Java frames
  // (profile/code_origin.h OriginKindName), "" for native ones.
  std::vector<std::string> origins;
  // The first application Java frame, or -1.
  int app_frame = -1;
  // Its caller when that is an application method too, and one a person
  // wrote (not a lambda's synthetic frame): the code that handed it the
  // object it leaks, e.g. the method that forgot to close a connection
  // another method uses. -1 when there is none.
  int app_caller = -1;
  // How the application frame reaches the allocation: the library's Java
  // class it called (else the JDK's), then the native library that
  // allocated: "org.libjpegturbo.turbojpeg.TJCompressor → libturbojpeg".
  std::string through;
  std::string entry;  // the Java class `through` starts with, or ""
  // Whether the application frame calls the native code straight (its own
  // JNI code): the site keeps its own headline and group.
  bool app_native = false;
  int group = -1;  // index into Analysis::groups
  // The sampling noise of `bytes` (its standard deviation) per snapshot,
  // for fitting a group's summed series (leak_groups.h).
  std::vector<double> noise_sd;
};

// One leak group (leak_groups.h): the sites one mistake makes, those that
// share the first application frame and the library entry it calls, with
// the growth of their summed series. A site without an application frame
// is a group of its own.
struct LeakGroup {
  std::string key;  // stable identity: app method + entry, or the site key
  std::string app_frame;  // "pkg.Cls.method (Cls.java:18)", or ""
  // "pkg.Cls.method", or "": also for a site whose application frame
  // calls its own JNI code (app_frame "" then: the site's headline).
  std::string app_method;
  std::string app_caller;  // SiteSeries::app_caller's label, or ""
  std::string through;     // SiteSeries::through of its first site
  // "com.example.X.m (X.java:18) leaks 6.8 MiB/s through ... (4 sites)";
  // without an application frame its site's headline.
  std::string headline;
  std::vector<size_t> sites;  // indices into Analysis::sites, in site order
  std::vector<double> bytes;  // the members' sum, one per snapshot
  GrowthEstimate growth;      // fitted to the summed series
  bool suppressed = false;    // its sites are suppressed
  bool over_budget = false;   // grows past max_site_rate
  bool likely = false;        // holds the likely site (SiteSeries::likely)
};

// The allocations jleak's own agent made (frames in jleak::agent:: or
// libjleak_agent.so): not the user's problem, kept out of the sites,
// groups, totals and budgets, and reported as one line.
struct JleakFootprint {
  size_t sites = 0;
  double bytes = 0;       // at the last snapshot
  GrowthEstimate growth;  // of their summed series
};

// FrameLabel: a frame as a person reads it: a Java frame as
// "pkg.Cls.method (Cls.java:42)", a native one by its function name.
std::string FrameLabel(const NamedFrame& frame);

// ShortFrameName: a runtime or JVM frame's name without its return type,
// parameters and default template arguments
// ("std::vector<char>::_M_realloc_insert"), for "via" chains.
std::string ShortFrameName(const NamedFrame& frame);

// SiteVia: the runtime/JVM frames between the allocation and the user
// frame, folded to "outermost → innermost" ("" when there are none).
std::string SiteVia(const SiteSeries& site);

// UserFrameIndex: the first frame of the user's code (FrameKind::kUser)
// among the leading stable frames (IsStableFrame), or -1.
int UserFrameIndex(const std::vector<NamedFrame>& frames);
// JavaFrameIndex: the first user Java frame, or -1.
int JavaFrameIndex(const std::vector<NamedFrame>& frames);

// SiteHeadline: SiteSeries::headline of a site whose frames, user_frame,
// java_frame and top_frame are set.
std::string SiteHeadline(const SiteSeries& site);

struct Budgets {
  // A site leaks when its growth rate's lower confidence bound exceeds
  // this (bytes per second, or per snapshot for TimeSource::kSequence).
  double max_site_rate = 0;
  // The whole process (sum of sites) likewise.
  double max_total_rate = 0;
  // And when its total fitted growth over the analyzed window exceeds it.
  double max_total_growth = 0;
  // Resident memory (timeline RSS) growth that malloc sites do not
  // explain: growth outside malloc or allocator retention. Larger than the
  // malloc budgets because the Java heap's committed pages, the code cache
  // and metaspace legitimately settle for a while after warm-up.
  double max_rss_rate = 0;
  // jemalloc's exact count of allocated bytes (the timeline's
  // stats.allocated), less the suppressed sites' growth: catches leaks too
  // slow for sampling to pin on a site with confidence. 0 disables.
  double max_allocated_rate = 0;
  // Any one class of resident memory outside malloc (mapped files, thread
  // stacks, class metadata, code cache, other anonymous memory; from the
  // run's memory-SEQ.json files), per second. 0 disables.
  double max_outside_rate = 0;
};

struct Analysis {
  Verdict verdict = Verdict::kInconclusive;
  std::string reason;  // one sentence; for kLeak names the top site
  GrowthKind kind = GrowthKind::kNone;

  TimeSource time_source = TimeSource::kSequence;
  double warmup_seconds = 0;  // as applied (per snapshot for kSequence)
  std::vector<SnapshotInfo> snapshots;  // ordered by time
  std::vector<TimelinePoint> timeline;  // may be empty

  // Every site, sorted by decreasing growth; suppressed ones included
  // (and marked) so reports can show what was ignored.
  std::vector<SiteSeries> sites;
  // The sites grouped by the application code that made them, ordered
  // like sites; the verdict and the budgets judge these.
  std::vector<LeakGroup> groups;
  JleakFootprint jleak_footprint;
  GrowthEstimate total;  // of the sum of all unsuppressed sites
  // Timeline-signal growths, when a timeline exists.
  std::optional<GrowthEstimate> rss_growth;
  std::optional<GrowthEstimate> allocated_growth;
  std::optional<GrowthEstimate> resident_growth;
  std::optional<GrowthEstimate> direct_buffer_growth;
  std::optional<GrowthEstimate> thread_growth;
  // Per Native Memory Tracking category ("Thread", "Class", "Total", ...),
  // by decreasing fitted growth; empty unless the run collected NMT.
  std::vector<std::pair<std::string, GrowthEstimate>> nmt_growth;
  // Where RSS went, per class (memory_report.h); not recorded for bare
  // .heap files.
  MemoryReport memory;

  Budgets budgets;
  // Last analyzed snapshot minus the first analyzed one: the flame graph's
  // and --pprof's input.
  NamedProfile growth_profile;
  std::vector<std::string> warnings;  // symbolizer and input notes
  std::string command;                // the workload's command line, when known
  // The capture engine that collected ("jemalloc", "sampling"), and its
  // limit; empty when the run directory does not say (`jleak run`).
  std::string engine;
  std::string engine_limit;
};

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_ANALYSIS_H_
