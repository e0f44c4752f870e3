// File: html_report_fixture.cc
//
// The fixed Analysis of html_report_fixture.h. Every number is computed
// from closed-form series (no randomness, no clock), so that reports of it
// are byte-for-byte reproducible.

#include "harness/testing/html_report_fixture.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "profile/frame_filter.h"

namespace jleak {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kKiB = 1024.0;
constexpr int kSnapshots = 13;
constexpr double kInterval = 10;  // seconds between snapshots
constexpr double kWarmup = 20;

NamedFrame Frame(std::string function, std::string module,
                 std::string file = "", int line = 0) {
  NamedFrame f;
  f.function = std::move(function);
  f.module = std::move(module);
  f.file = std::move(file);
  f.line = line;
  return f;
}

const char kLibc[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const char kJvm[] = "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so";

// The Java part of a stack: a JNI method called from the workload loop on
// a Java thread.
std::vector<NamedFrame> JavaCallers(const std::string& java_method) {
  return {
      Frame(java_method, "[jit]"),
      Frame("jleak.leakers.Workload.run()V", "[jit]"),
      Frame("jleak.leakers.Workload.main([Ljava/lang/String;)V", "[jit]"),
      Frame("JavaCalls::call_helper(JavaValue*, methodHandle const&, "
            "JavaCallArguments*, JavaThread*)",
            kJvm),
      Frame("jni_CallStaticVoidMethod", kJvm),
      Frame("JavaMain", "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjli.so"),
      Frame("start_thread", kLibc),
  };
}

std::vector<NamedFrame> Concat(std::vector<NamedFrame> a,
                               const std::vector<NamedFrame>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A hand-set growth estimate, as the analyzer would report it for a series
// with the given true slope: the analyzed window is 20..120 s.
GrowthEstimate Estimate(double slope, double rel_ci, double p_value,
                        double monotonicity, double r_squared, double first,
                        int points = kSnapshots - 2) {
  GrowthEstimate g;
  g.points = points;
  g.slope = slope;
  g.slope_low = slope - std::fabs(slope) * rel_ci;
  g.slope_high = slope + std::fabs(slope) * rel_ci;
  g.intercept = first - slope * kWarmup;
  const double window = (kSnapshots - 1) * kInterval - kWarmup;
  g.growth = slope * window;
  g.first = first;
  g.last = first + g.growth;
  g.monotonicity = monotonicity;
  g.p_value = p_value;
  g.r_squared = r_squared;
  return g;
}

// FixtureMemory: where RSS went, as a run whose agent recorded memory
// files would show it: the classes of resident memory over the timeline
// (mapped files growing), one file pattern (its name a markup-injection
// attempt), a thread group, a class loader type, an anonymous mmap site
// and jemalloc's figures.
MemoryReport FixtureMemory(const std::vector<TimelinePoint>& timeline) {
  MemoryReport m;
  m.recorded = true;
  m.snapshots = timeline.size();
  m.median_cost_ns = 6.1e6;
  const int points = static_cast<int>(timeline.size()) - 5;
  auto series = [&](double base, double slope) {
    std::vector<double> v;
    for (const TimelinePoint& p : timeline) {
      v.push_back(base + slope * p.time_seconds);
    }
    v[1] = std::nan("");  // a point without a memory file
    return v;
  };
  const struct {
    const char* name;
    const char* label;
    double base, slope;
  } classes[] = {
      {"java_heap", "Java heap", 64 * kMiB, 0},
      {"class_metadata", "class metadata", 18 * kMiB, 0},
      {"code_cache", "code cache", 9 * kMiB, 0},
      {"thread_stacks", "thread stacks", 2 * kMiB, 0},
      {"malloc", "malloc", 48 * kMiB, 133.5 * kKiB},
      {"file_mapped", "mapped files", 2 * kMiB, 160 * kKiB},
      {"anon_other", "other anonymous", 3 * kMiB, 0},
      {"code_and_libraries", "code and libraries", 40 * kMiB, 0},
  };
  for (const auto& c : classes) {
    MemoryClassReport r;
    r.name = c.name;
    r.label = c.label;
    r.rss_bytes = series(c.base, c.slope);
    r.growth = c.slope > 0 ? Estimate(c.slope, 0.1, 1e-5, 0.9, 0.95,
                                      c.base + c.slope * kWarmup, points)
                           : Estimate(0, 0, 0.5, 0, 0, c.base, points);
    // Over the fixture's budget (malloc is judged by its sites instead).
    r.over_budget = c.slope > 128 * kKiB && r.name != "malloc";
    m.classes.push_back(std::move(r));
  }
  MemoryFileReport f;
  f.pattern = "/tmp/</script><b>x</b>-*.idx";
  f.rss_bytes = series(0, 160 * kKiB);
  f.mappings = series(0, 0.5);
  f.last_mappings = 60;
  f.last_paths = 60;
  f.growth = Estimate(160 * kKiB, 0.1, 1e-5, 0.9, 0.95, 3.125 * kMiB, points);
  f.mapping_growth = Estimate(0.5, 0.05, 1e-6, 1, 1, 10, points);
  f.mapped_from = {"sun.nio.ch.FileChannelImpl.map (FileChannelImpl.java:1113)",
                   "com.example.Index.open (Index.java:33)"};
  m.files.push_back(std::move(f));
  MemoryThreadReport t;
  t.pattern = "pool-#-thread-#";
  t.count = series(4, 0);
  t.growth = Estimate(0, 0, 0.5, 0, 0, 4, points);
  t.parked_in = {"jdk.internal.misc.Unsafe.park (Unsafe.java:-1)",
                 "java.util.concurrent.LinkedBlockingQueue.take "
                 "(LinkedBlockingQueue.java:435)"};
  t.parked_in_frame = "java.util.concurrent.LinkedBlockingQueue.take";
  t.started_from = {"com.example.Handler.handle (Handler.java:22)"};
  m.threads.push_back(std::move(t));
  MemoryLoaderReport l;
  l.type = "jdk.internal.loader.ClassLoaders$AppClassLoader";
  l.loaders = series(1, 0);
  l.classes = series(600, 0);
  l.growth = Estimate(0, 0, 0.5, 0, 0, 600, points);
  l.loader_growth = Estimate(0, 0, 0.5, 0, 0, 1, points);
  m.class_loaders.push_back(std::move(l));
  MemoryAllocatorReport al;
  al.name = "jemalloc";
  al.figures["allocated"] = series(48 * kMiB, 133.5 * kKiB);
  al.figures["resident"] = series(56 * kMiB, 133.5 * kKiB);
  al.allocated_growth =
      Estimate(133.5 * kKiB, 0.04, 9.1e-7, 0.97, 0.99, 50.6 * kMiB, points);
  al.retention_growth = Estimate(0, 0, 0.5, 0, 0, 8 * kMiB, points);
  m.allocator = std::move(al);
  return m;
}

struct SiteSpec {
  std::vector<NamedFrame> frames;
  double base;    // bytes at t = 0
  double slope;   // bytes per second
  double wobble;  // amplitude of a deterministic GC-like wobble
  double object_size;
};

SiteSeries MakeSite(const SiteSpec& spec, const std::vector<double>& t) {
  SiteSeries s;
  s.frames = spec.frames;
  static const FrameFilter* const kRules = new FrameFilter();
  for (NamedFrame& f : s.frames)
    f.kind = kRules->Classify(f.function, f.module);
  s.user_frame = UserFrameIndex(s.frames);
  s.java_frame = JavaFrameIndex(s.frames);
  s.top_frame = s.frames[std::max(s.user_frame, 0)].function;
  s.headline = SiteHeadline(s);
  for (size_t i = 0; i < s.frames.size(); ++i) {
    if (i > 0) s.key += ";";
    s.key += s.frames[i].function;
  }
  for (size_t i = 0; i < t.size(); ++i) {
    const double b =
        std::max(0.0, spec.base + spec.slope * t[i] +
                          spec.wobble * std::sin(1.7 * static_cast<double>(i)));
    s.bytes.push_back(std::round(b));
    s.objects.push_back(std::round(b / spec.object_size));
    s.sampled_objects.push_back(std::round(b / 524288.0 + 1));
  }
  return s;
}

}  // namespace

Analysis MakeFixtureAnalysis(const FixtureOptions& options) {
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason =
      "Java_jleak_leakers_JniMalloc_allocate grows 100.0 KiB/s (95% CI "
      "97.0 KiB/s to 103.0 KiB/s), over the site budget of 16.0 KiB/s.";
  a.command =
      "java -Xmx256m -cp leakers.jar jleak.leakers.JniMalloc --rate=1MiB/10s "
      "--duration=120s";
  a.time_source = options.timeline ? TimeSource::kTimeline : TimeSource::kMtime;
  a.warmup_seconds = kWarmup;
  a.budgets.max_site_rate = 16 * kKiB;
  a.budgets.max_total_rate = 64 * kKiB;
  a.budgets.max_total_growth = 64 * kMiB;
  a.budgets.max_allocated_rate = 8 * kKiB;
  a.budgets.max_rss_rate = 256 * kKiB;
  a.budgets.max_outside_rate = 128 * kKiB;

  std::vector<double> t;
  for (int i = 0; i < kSnapshots; ++i) {
    t.push_back(i * kInterval);
    SnapshotInfo s;
    s.seq = i;
    s.path = absl::StrCat("run/jeprof.12345.", i, ".i", i, ".heap");
    s.time_seconds = t.back();
    s.analyzed = t.back() >= kWarmup;
    a.snapshots.push_back(s);
  }

  const std::vector<NamedFrame> jni_leak =
      Concat({Frame("Java_jleak_leakers_JniMalloc_allocate",
                    "/build/bazel-bin/leakers/jni/libjnimalloc.so",
                    "leakers/jni/jni_malloc.cc", 42)},
             JavaCallers("jleak.leakers.JniMalloc.allocate(I)J"));
  const std::string vec_insert =
      "void std::vector<std::pair<int, std::__cxx11::basic_string<char, "
      "std::char_traits<char>, std::allocator<char> > >, "
      "std::allocator<std::pair<int, std::__cxx11::basic_string<char, "
      "std::char_traits<char>, std::allocator<char> > > > "
      ">::_M_realloc_insert<int const&, std::string const&>(iterator, int "
      "const&, std::string const&)";
  const std::vector<NamedFrame> graph_leak = Concat(
      {Frame(vec_insert, "/build/bazel-bin/leakers/jni/libjnigraph.so",
             "/usr/include/c++/12/bits/vector.tcc", 445),
       Frame("graph::Node<std::map<int, double>>::AddEdge(graph::Node<std::"
             "map<int, double>>*, double const&)",
             "/build/bazel-bin/leakers/jni/libjnigraph.so",
             "leakers/jni/graph.h", 87),
       Frame("Java_jleak_leakers_JniGraph_link",
             "/build/bazel-bin/leakers/jni/libjnigraph.so",
             "leakers/jni/jni_graph.cc", 31)},
      JavaCallers("jleak.leakers.JniGraph.link(JJ)V"));
  const std::vector<NamedFrame> hostile = Concat(
      {Frame("<script>alert(1)</script>", "/tmp/\"evil\" & 'module'.so",
             "</script><b>x.cc", 1),
       Frame("operator\"\"_kb(char const*) & <img src=x onerror=alert(2)>",
             "/tmp/evil.so")},
      JavaCallers("jleak.leakers.Evil.run()V"));
  // A retained DirectByteBuffer with the agent's Java frames: named by the
  // user's Java method, via the JDK's.
  const std::vector<NamedFrame> direct = {
      Frame("Unsafe_AllocateMemory0", kJvm),
      Frame("jdk.internal.misc.Unsafe.allocateMemory", "[java]", "Unsafe.java",
            632),
      Frame("java.nio.DirectByteBuffer.<init>", "[java]",
            "DirectByteBuffer.java", 121),
      Frame("java.nio.ByteBuffer.allocateDirect", "[java]", "ByteBuffer.java",
            332),
      Frame("com.example.cache.Cache.put", "[java]", "Cache.java", 42),
      Frame("com.example.cache.CacheService.handle", "[java]",
            "CacheService.java", 77),
  };
  const std::vector<NamedFrame> code_cache = {
      Frame("CodeCache::allocate(int, int, bool, CodeBlobType)", kJvm),
      Frame("BufferBlob::create(char const*, int)", kJvm),
      Frame("AdapterHandlerLibrary::create_native_wrapper(methodHandle "
            "const&)",
            kJvm),
      Frame("CompileBroker::compiler_thread_loop()", kJvm),
      Frame("Thread::call_run()", kJvm),
      Frame("thread_native_entry(Thread*)", kJvm),
      Frame("start_thread", kLibc),
  };
  const std::vector<NamedFrame> arena = {
      Frame("Arena::grow(unsigned long, AllocFailStrategy::AllocFailEnum)",
            kJvm),
      Frame("Symbol::operator new(unsigned long, int)", kJvm),
      Frame("SymbolTable::do_add_if_needed(char const*, int, unsigned long, "
            "bool)",
            kJvm),
      Frame("ClassFileParser::parse_constant_pool_entries(ClassFileStream "
            "const*, ConstantPool*, int, JavaThread*)",
            kJvm),
      Frame("thread_native_entry(Thread*)", kJvm),
      Frame("start_thread", kLibc),
  };
  const std::vector<NamedFrame> zip =
      Concat({Frame("ZIP_Put_In_Cache0",
                    "/usr/lib/jvm/java-17-openjdk-amd64/lib/libzip.so"),
              Frame("Java_java_util_zip_Inflater_init",
                    "/usr/lib/jvm/java-17-openjdk-amd64/lib/libzip.so")},
             JavaCallers("java.util.zip.Inflater.<init>(Z)V"));

  struct Planned {
    SiteSpec spec;
    GrowthEstimate growth;
    bool over_budget;
    const char* suppressed_by;
  };
  std::vector<Planned> planned = {
      {{jni_leak, 2 * kMiB, 100 * kKiB, 96 * kKiB, 4096},
       Estimate(100 * kKiB, 0.03, 1.2e-6, 1.0, 0.998, 2 * kMiB + 2000 * kKiB),
       true,
       nullptr},
      {{graph_leak, 512 * kKiB, 30 * kKiB, 48 * kKiB, 48},
       Estimate(30 * kKiB, 0.08, 3.4e-6, 0.96, 0.991, 512 * kKiB + 600 * kKiB),
       true,
       nullptr},
      {{code_cache, 3 * kMiB, 5 * kKiB, 32 * kKiB, 65536},
       Estimate(5 * kKiB, 0.4, 0.004, 0.78, 0.87, 3 * kMiB + 100 * kKiB),
       false,
       "libjvm.so:CodeCache::.*"},
      {{hostile, 128 * kKiB, 2.5 * kKiB, 16 * kKiB, 1024},
       Estimate(2.5 * kKiB, 0.9, 0.031, 0.42, 0.55, 128 * kKiB + 50 * kKiB),
       false,
       nullptr},
      {{arena, 6 * kMiB, 0, 64 * kKiB, 32768},
       Estimate(0, 0, 0.52, -0.02, 0.01, 6 * kMiB),
       false,
       nullptr},
      {{zip, 1 * kMiB, -1.5 * kKiB, 8 * kKiB, 4096},
       Estimate(-1.5 * kKiB, 0.3, 0.999, -0.89, 0.93, 1 * kMiB - 30 * kKiB),
       false,
       nullptr},
      {{direct, 4 * kMiB, 20 * kKiB, 64 * kKiB, 65536},
       Estimate(20 * kKiB, 0.1, 2.1e-5, 0.93, 0.97, 4 * kMiB + 400 * kKiB),
       false,
       nullptr},
  };
  for (int i = 0; i < options.extra_sites; ++i) {
    std::vector<NamedFrame> frames = {
        Frame(absl::StrCat("os::malloc_site_", i, "(unsigned long)"), kJvm),
        Frame("thread_native_entry(Thread*)", kJvm),
        Frame("start_thread", kLibc)};
    planned.push_back({{frames, 64 * kKiB, 0, 0, 64},
                       Estimate(0, 0, 0.5, 0, 0, 64 * kKiB),
                       false,
                       nullptr});
  }
  for (const Planned& p : planned) {
    SiteSeries s = MakeSite(p.spec, t);
    s.growth = p.growth;
    s.over_budget = p.over_budget;
    if (p.suppressed_by != nullptr) {
      s.suppressed = true;
      s.suppressed_by = p.suppressed_by;
    }
    a.sites.push_back(std::move(s));
  }

  // Snapshot totals: every site plus a constant 40 MiB of JVM start-up
  // allocations not broken out here.
  for (size_t i = 0; i < a.snapshots.size(); ++i) {
    double total = 40 * kMiB;
    for (const SiteSeries& s : a.sites) total += s.bytes[i];
    a.snapshots[i].total_bytes = total;
  }
  a.total = Estimate(133.5 * kKiB, 0.05, 8.8e-7, 0.98, 0.995,
                     a.snapshots[2].total_bytes);

  if (options.timeline) {
    // One timeline point every 5 s, twice the snapshot rate, as the agent
    // samples /proc and mallctl more often than it dumps profiles.
    for (int i = 0; i <= 2 * (kSnapshots - 1); ++i) {
      const double ts = i * kInterval / 2;
      const double wob = std::sin(0.9 * i);
      TimelinePoint p;
      p.seq = i;
      p.time_seconds = ts;
      // Warm-up: RSS climbs fast (class loading, JIT) then follows malloc.
      const double warm = 60 * kMiB * (1 - std::exp(-ts / 8));
      p.rss_bytes = 150 * kMiB + warm + 134 * kKiB * ts + 1.5 * kMiB * wob;
      p.anon_rss_bytes = *p.rss_bytes - 30 * kMiB;
      p.jemalloc_allocated = 48 * kMiB + 133.5 * kKiB * ts + 512 * kKiB * wob;
      p.jemalloc_active = *p.jemalloc_allocated + 2 * kMiB;
      p.jemalloc_resident = *p.jemalloc_active + 6 * kMiB;
      p.jemalloc_mapped = *p.jemalloc_resident + 8 * kMiB;
      p.jemalloc_retained = 12 * kMiB;
      p.java_heap_used = 24 * kMiB + 8 * kMiB * (0.5 + 0.5 * wob);
      p.direct_buffer_bytes = ts < 40 ? 4 * kMiB : 6 * kMiB;
      p.direct_buffer_count = ts < 40 ? 4 : 6;
      p.threads = 21;
      a.timeline.push_back(p);
    }
    a.rss_growth = Estimate(134 * kKiB, 0.1, 2.1e-6, 0.93, 0.97, 215 * kMiB);
    a.allocated_growth =
        Estimate(133.5 * kKiB, 0.04, 9.1e-7, 0.97, 0.99, 50.6 * kMiB);
    a.resident_growth =
        Estimate(133.6 * kKiB, 0.05, 1.0e-6, 0.96, 0.99, 58.6 * kMiB);
    a.direct_buffer_growth =
        Estimate(0, 0.5, 0.12, 0.3, 0.2, 4 * kMiB, 2 * (kSnapshots - 1) - 3);
    a.thread_growth = Estimate(0, 0, 1, 0, 0, 21, 2 * (kSnapshots - 1) - 3);
    a.memory = FixtureMemory(a.timeline);
  } else {
    a.memory.reason =
        "nothing outside malloc was recorded: heap profiles only (no run "
        "directory's timeline or memory-SEQ.json files)";
  }

  // Growth between the first analyzed snapshot (t = 20 s) and the last:
  // what the flame graph shows. The graph leak is split over two callers,
  // and one stack shrank (it must not be drawn).
  auto stack = [](std::vector<NamedFrame> frames, double bytes) {
    NamedStack s;
    s.frames = std::move(frames);
    s.counts.bytes = bytes;
    s.counts.objects = std::max(1.0, std::fabs(bytes) / 4096);
    return s;
  };
  NamedProfile& g = a.growth_profile;
  g.sample_period = 524288;
  g.stacks.push_back(stack(jni_leak, 10 * kMiB));
  std::vector<NamedFrame> graph_other = graph_leak;
  graph_other[2] = Frame("Java_jleak_leakers_JniGraph_relink",
                         "/build/bazel-bin/leakers/jni/libjnigraph.so",
                         "leakers/jni/jni_graph.cc", 58);
  graph_other[3] = Frame("jleak.leakers.JniGraph.relink(J)V", "[jit]");
  g.stacks.push_back(stack(graph_leak, 2 * kMiB));
  g.stacks.push_back(stack(graph_other, 1 * kMiB));
  g.stacks.push_back(stack(code_cache, 500 * kKiB));
  g.stacks.push_back(stack(hostile, 250 * kKiB));
  g.stacks.push_back(stack(zip, -150 * kKiB));
  g.stacks.push_back(stack(arena, 96 * kKiB));
  for (const NamedStack& s : g.stacks) g.total += s.counts;

  a.warnings = {
      "/tmp/evil.so: no symbol table; 3 addresses named by module offset",
      "perf map /tmp/perf-12345.map is 4 s older than the last snapshot: "
      "frames of code compiled after it are unnamed",
  };
  if (!options.timeline) {
    a.warnings.push_back(
        "no timeline.jsonl: snapshot times are file modification times; "
        "RSS and jemalloc counters are unavailable");
  }
  return a;
}

}  // namespace jleak
