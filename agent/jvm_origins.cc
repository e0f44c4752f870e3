// File: jvm_origins.cc
//
// NativeOrigins in the JVM agent (see jvm_origins.h).

#include "agent/jvm_origins.h"

#include <dlfcn.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/sampling/frame_pointer_backtrace.h"
#include "agent/sampling/libunwind_backtrace.h"

namespace jleak::agent {
namespace {

nlohmann::ordered_json PatcherJson(const sampling::PatcherStats& p) {
  return {{"objects_patched", p.objects_patched},
          {"objects_excluded", p.objects_excluded},
          {"objects_malformed", p.objects_malformed},
          {"slots_patched", p.slots_patched},
          {"slots_restored", p.slots_restored},
          {"slots_foreign", p.slots_foreign},
          {"slots_dropped", p.slots_dropped},
          {"objects_tracked", p.objects_tracked},
          {"slots_tracked", p.slots_tracked}};
}

// ThreadName: the kernel's name of our own thread `tid` (15 characters at
// most), or "" when it is gone.
std::string ThreadName(pid_t tid) {
  std::ifstream in(absl::StrCat("/proc/self/task/", tid, "/comm"));
  std::string name;
  if (!std::getline(in, name)) return "";
  return name.substr(0, 64);
}

// The walk at every hooked call: native frames by frame pointers (the JDK's
// libraries and libjvm keep them; a few ns a frame), then the Java frames
// through AsyncGetCallTrace, as the sampling engine walks.
void OriginsWalk(void** vec, unsigned* len, unsigned max_len) {
  sampling::FramePointerBacktrace(vec, len, max_len);
  JavaStacks::JavaFramesHook()(vec, len, max_len);
}

std::mutex g_mu;
bool g_wanted = false;
std::string g_off = "not started";  // why nothing is recorded, or ""

absl::Status Install(JavaVM* vm, jvmtiEnv* jvmti, JavaStacks* stacks) {
  OriginsOptions o;
  o.backtrace = &OriginsWalk;
  o.name_java = [vm, stacks](const std::vector<uint32_t>& ids) {
    JNIEnv* env = nullptr;
    if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK ||
        env == nullptr) {
      return std::vector<std::string>(ids.size());
    }
    std::vector<std::string> names = stacks->NameFrames(env, ids);
    for (std::string& n : names) n = ReportFrameText(n);
    return names;
  };
  // libjvm: its heap, metaspace and code cache are told apart from smaps.
  o.mmap_excluded_objects.push_back(
      reinterpret_cast<const void*>(jvmti->functions->GetVersionNumber));
  // libunwind (jemalloc's unwinder): the caches of our own stack walks.
  if (const void* unwinder = dlsym(RTLD_DEFAULT, "unw_backtrace")) {
    o.mmap_excluded_objects.push_back(unwinder);
  }
  // The sampling engine's libunwind, loaded RTLD_LOCAL (not in the above).
  if (const void* unwinder = sampling::LibunwindObject()) {
    o.mmap_excluded_objects.push_back(unwinder);
  }
  return NativeOrigins::Install(o);
}

}  // namespace

void StartJvmOrigins(const AgentOptions& options, JavaVM* vm, jvmtiEnv* jvmti,
                     JavaStacks* stacks) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_wanted = options.origins && !options.standby;
  if (!options.origins) {
    g_off = "off (origins=0)";
  } else if (options.standby) {
    g_off = "not in standby";
  } else if (stacks == nullptr) {
    g_off = "no Java frames (java_stacks off or refused)";
  } else if (absl::Status st = Install(vm, jvmti, stacks); !st.ok()) {
    g_off = std::string(st.message());
  } else {
    g_off = "";
  }
  if (g_wanted && !g_off.empty()) {
    std::fprintf(stderr,
                 "jleak agent: no origins of mappings and threads: %s\n",
                 g_off.c_str());
  }
}

nlohmann::ordered_json OriginsJson() {
  std::string off;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    off = g_off;
  }
  const OriginsStats st = NativeOrigins::Stats();
  nlohmann::ordered_json j;
  j["format"] = "jleak-origins 1";
  j["installed"] = st.installed;
  j["off"] = off;
  j["stats"] = {{"mmaps", st.mmaps},
                {"munmaps", st.munmaps},
                {"mremaps", st.mremaps},
                {"unmapped_whole", st.unmapped_whole},
                {"unmapped_part", st.unmapped_part},
                {"replaced", st.replaced},
                {"mappings_live", st.mappings_live},
                {"mappings_dropped", st.mappings_dropped},
                {"stacks", st.stacks},
                {"stacks_dropped", st.stacks_dropped},
                {"paths_unknown", st.paths_unknown},
                {"reentered", st.reentered},
                {"threads_started", st.threads_started},
                {"threads_live", st.threads_live},
                {"threads_dropped", st.threads_dropped},
                {"record_ns", st.record_ns},
                {"thread_ns", st.thread_ns},
                {"mmap_patcher", PatcherJson(st.mmap_patcher)},
                {"thread_patcher", PatcherJson(st.thread_patcher)}};
  // What reading them costs a snapshot (wall time, this thread).
  const auto t0 = std::chrono::steady_clock::now();
  j["mmap_sites"] = MmapSitesJson(nullptr);
  const auto t1 = std::chrono::steady_clock::now();
  nlohmann::ordered_json threads = nlohmann::ordered_json::array();
  for (const ThreadOrigin& t : NativeOrigins::ThreadOrigins()) {
    threads.push_back({{"tid", t.tid},
                       {"name", ThreadName(t.tid)},
                       {"started_from", t.started_from}});
  }
  j["threads"] = std::move(threads);
  const auto t2 = std::chrono::steady_clock::now();
  j["stats"]["read_sites_ns"] =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
  j["stats"]["read_threads_ns"] =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t2 - t1).count();
  return j;
}

nlohmann::ordered_json MmapSitesJson(const std::vector<FileRange>* files) {
  nlohmann::ordered_json sites = nlohmann::ordered_json::array();
  for (const MmapSiteRecord& r : NativeOrigins::LiveMmapSites(files)) {
    sites.push_back({{"kind", r.kind},
                     {"path", r.path},
                     {"mappings", r.mappings},
                     {"bytes", r.bytes},
                     {"java_frames", r.java_frames},
                     {"native_frames", r.native_frames}});
  }
  return sites;
}

namespace {

class HookedMemoryOrigins : public MemoryOrigins {
 public:
  std::vector<MmapSite> LiveMmapSites(
      const std::vector<SmapsEntry>& smaps) override {
    // The paths as /proc/self/maps prints them (NativeOrigins' FileRange).
    std::vector<FileRange> files;
    for (const SmapsEntry& e : smaps) {
      if (!e.is_file()) continue;
      files.push_back(
          {e.start, e.limit, e.deleted ? e.path + " (deleted)" : e.path});
    }
    std::sort(files.begin(), files.end(),
              [](const FileRange& a, const FileRange& b) {
                return a.start < b.start;
              });
    std::vector<MmapSite> sites;
    for (MmapSiteRecord& r : NativeOrigins::LiveMmapSites(&files)) {
      MmapSite site;
      site.kind = std::move(r.kind);
      site.path = std::move(r.path);
      site.mappings = r.mappings;
      site.bytes = r.bytes;
      site.java_frames = std::move(r.java_frames);
      site.native_frames = std::move(r.native_frames);
      sites.push_back(std::move(site));
    }
    return sites;
  }
  std::map<int64_t, std::vector<std::string>> ThreadStarts(
      const std::vector<int64_t>&) override {
    std::map<int64_t, std::vector<std::string>> out;
    for (ThreadOrigin& t : NativeOrigins::ThreadOrigins()) {
      if (!t.started_from.empty()) out[t.tid] = std::move(t.started_from);
    }
    return out;
  }
};

}  // namespace

MemoryOrigins* JvmMemoryOrigins() {
  static auto* origins = new HookedMemoryOrigins();
  return origins;
}

absl::Status FinishJvmOrigins(const std::string& out_dir) {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (!g_wanted) return absl::OkStatus();
  }
  // Paths are the process's own but may be any bytes: never throw on them.
  absl::Status written = WriteFileAtomically(
      absl::StrCat(out_dir, "/", kOriginsFileName),
      OriginsJson().dump(1, ' ', false,
                         nlohmann::ordered_json::error_handler_t::replace));
  absl::Status uninstalled = NativeOrigins::Uninstall();
  return written.ok() ? uninstalled : written;
}

}  // namespace jleak::agent
