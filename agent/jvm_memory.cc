// File: jvm_memory.cc
//
// JvmProbe::DescribeMemory: what a HotSpot JVM can say of its own memory
// for memory-SEQ.json (see jvm_probe.h, memory_recorder.h).
//
// Address ranges come from HotSpot's structure table (gHotSpotVMStructs,
// exported for the serviceability agent): Universe::_collectedHeap ->
// CollectedHeap::_reserved (the heap's reservation), CodeCache::_low_bound
// and _high_bound, MetaspaceObj::_shared_metaspace_top (the end of the CDS
// archive, where the compressed class space reservation begins) or
// CompressedKlassPointers' base, and per thread java.lang.Thread.eetop ->
// JavaThread::_stack_base/_stack_size/_osthread -> OSThread::_thread_id.
// A thread in native code runs on during safepoints, so these structures
// can change or go while they are read: every read of VM memory goes
// through process_vm_readv on this process, which fails instead of
// faulting, and what it gives is only ever used as an address to look up,
// never followed further without the same care.

#include <dlfcn.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/hotspot_vmstructs.h"
#include "agent/java_stacks.h"
#include "agent/jvm_probe.h"
#include "agent/memory_recorder.h"
#include "profile/java_frame.h"

namespace jleak::agent {
namespace {

// Top frames of a parked thread kept in memory-SEQ.json.
constexpr int kParkedFrames = 8;
// Classes whose first method's Method* is read, in all: each such class
// gets jmethodIDs for its methods (kept by the VM for good).
constexpr int kMaxMetadataHints = 4096;
// Besides each class loader's first class, one class in this many.
constexpr int kHintEvery = 256;

// getpid(2) is a system call in glibc 2.25+, and this runs per thread.
pid_t SelfPid() {
  static const pid_t pid = getpid();
  return pid;
}

bool SafeRead(uintptr_t address, void* out, size_t n) {
  if (address == 0) return false;
  iovec local{out, n};
  iovec remote{reinterpret_cast<void*>(address), n};
  return process_vm_readv(SelfPid(), &local, 1, &remote, 1, 0) ==
         static_cast<ssize_t>(n);
}

// SafeReadMany does the reads of `remote` into `local` (same sizes) in as
// few process_vm_readv calls as IOV_MAX allows; a read that fails (and
// stops its call short) is retried alone, and left zero if it fails again.
void SafeReadMany(std::vector<iovec>& local, std::vector<iovec>& remote) {
  constexpr size_t kMaxIov = 1024;  // IOV_MAX on Linux
  size_t i = 0;
  while (i < local.size()) {
    const size_t n = std::min(kMaxIov, local.size() - i);
    ssize_t got = process_vm_readv(SelfPid(), &local[i], n, &remote[i], n, 0);
    size_t done = 0;
    // Whole iovecs read (a partial one counts as failed).
    for (size_t k = 0;
         k < n && got >= static_cast<ssize_t>(local[i + k].iov_len); ++k) {
      got -= static_cast<ssize_t>(local[i + k].iov_len);
      ++done;
    }
    i += done;
    if (done < n) {
      // The failing one, alone; zero when unreadable.
      if (!SafeRead(reinterpret_cast<uintptr_t>(remote[i].iov_base),
                    local[i].iov_base, local[i].iov_len)) {
        std::memset(local[i].iov_base, 0, local[i].iov_len);
      }
      ++i;
    }
  }
}

template <typename T>
bool SafeReadValue(uintptr_t address, T* out) {
  return SafeRead(address, out, sizeof(T));
}

// Where HotSpot keeps what DescribeMemory reads; 0 / -1 when absent.
struct VmLayout {
  uintptr_t collected_heap_at = 0;  // &Universe::_collectedHeap
  int64_t heap_reserved = -1;       // CollectedHeap::_reserved
  int64_t region_start = -1;        // MemRegion::_start
  int64_t region_words = -1;        // MemRegion::_word_size
  uintptr_t code_low_at = 0;        // &CodeCache::_low_bound
  uintptr_t code_high_at = 0;
  uintptr_t klass_base_at = 0;  // &CompressedKlassPointers::_narrow_klass._base
  uintptr_t shared_top_at = 0;  // &MetaspaceObj::_shared_metaspace_top
  int64_t stack_base = -1;      // JavaThread::_stack_base
  int64_t stack_size = -1;      // JavaThread::_stack_size
  int64_t osthread = -1;        // JavaThread::_osthread
  int64_t thread_id = -1;       // OSThread::_thread_id
};

VmLayout ReadLayout(jvmtiEnv* jvmti) {
  VmLayout l;
  const std::map<std::string, uintptr_t*, std::less<>> statics = {
      {"Universe::_collectedHeap", &l.collected_heap_at},
      {"CodeCache::_low_bound", &l.code_low_at},
      {"CodeCache::_high_bound", &l.code_high_at},
      {"CompressedKlassPointers::_narrow_klass._base", &l.klass_base_at},
      {"MetaspaceObj::_shared_metaspace_top", &l.shared_top_at},
  };
  const std::map<std::string, int64_t*, std::less<>> fields = {
      {"CollectedHeap::_reserved", &l.heap_reserved},
      {"MemRegion::_start", &l.region_start},
      {"MemRegion::_word_size", &l.region_words},
      {"JavaThread::_stack_base", &l.stack_base},
      {"JavaThread::_stack_size", &l.stack_size},
      {"JavaThread::_osthread", &l.osthread},
      {"OSThread::_thread_id", &l.thread_id},
  };
  ForEachVmStructEntry(jvmti, [&](const VmStructEntry& e) {
    const std::string key = absl::StrCat(e.type, "::", e.field);
    if (e.is_static) {
      if (auto it = statics.find(key); it != statics.end()) {
        *it->second = reinterpret_cast<uintptr_t>(e.address);
      }
    } else if (auto it = fields.find(key); it != fields.end()) {
      *it->second = static_cast<int64_t>(e.offset);
    }
  });
  return l;
}

const VmLayout& Layout(jvmtiEnv* jvmti) {
  static std::once_flag once;
  static VmLayout layout;
  std::call_once(once, [jvmti] { layout = ReadLayout(jvmti); });
  return layout;
}

const char* StateName(jint st) {
  if ((st & JVMTI_THREAD_STATE_ALIVE) == 0) {
    return (st & JVMTI_THREAD_STATE_TERMINATED) != 0 ? "TERMINATED" : "NEW";
  }
  switch (st & JVMTI_JAVA_LANG_THREAD_STATE_MASK) {
    case JVMTI_JAVA_LANG_THREAD_STATE_BLOCKED:
      return "BLOCKED";
    case JVMTI_JAVA_LANG_THREAD_STATE_WAITING:
      return "WAITING";
    case JVMTI_JAVA_LANG_THREAD_STATE_TIMED_WAITING:
      return "TIMED_WAITING";
    default:
      return "RUNNABLE";
  }
}

// "Ljava/net/URLClassLoader;" -> "java.net.URLClassLoader".
std::string ClassNameOf(const char* signature) {
  std::string s = signature != nullptr ? signature : "?";
  if (s.size() >= 2 && s.front() == 'L' && s.back() == ';') {
    s = s.substr(1, s.size() - 2);
  }
  for (char& c : s) {
    if (c == '/') c = '.';
  }
  return s;
}

void Free(jvmtiEnv* jvmti, void* p) {
  if (p != nullptr) jvmti->Deallocate(static_cast<unsigned char*>(p));
}

// Names frames as report.json does, each (method, location) once per
// snapshot.
class FrameNamer {
 public:
  FrameNamer(jvmtiEnv* jvmti, JNIEnv* env) : jvmti_(jvmti), env_(env) {}

  std::string Name(jmethodID method, jlocation location) {
    auto key = std::make_pair(method, location);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
    std::string name = Compute(method, location);
    names_.emplace(key, name);
    return name;
  }

 private:
  std::string Compute(jmethodID method, jlocation location) {
    const std::optional<std::string> map_name = DescribeJavaMethod(
        jvmti_, env_, method, location >= 0 ? static_cast<int>(location) : -1);
    if (!map_name.has_value()) return "?";
    // report.json's java_method text: "pkg.Cls.method (Cls.java:42)",
    // hidden classes' addresses dropped.
    const JavaFrameName f = ParseJavaFrameName(*map_name);
    if (f.file.empty()) return f.method;
    if (f.line <= 0) return f.method + " (" + f.file + ")";
    return f.method + " (" + f.file + ":" + std::to_string(f.line) + ")";
  }

  jvmtiEnv* jvmti_;
  JNIEnv* env_;
  std::map<std::pair<jmethodID, jlocation>, std::string> names_;
};

// MethodAddress: the Method* of `klass`'s first method (a jmethodID points
// at a slot holding it), an address inside metaspace; 0 if none.
uintptr_t MethodAddress(jvmtiEnv* jvmti, jclass klass) {
  jint status = 0;
  if (jvmti->GetClassStatus(klass, &status) != JVMTI_ERROR_NONE ||
      (status & JVMTI_CLASS_STATUS_PREPARED) == 0 ||
      (status & (JVMTI_CLASS_STATUS_ARRAY | JVMTI_CLASS_STATUS_PRIMITIVE)) !=
          0) {
    return 0;
  }
  jint count = 0;
  jmethodID* methods = nullptr;
  if (jvmti->GetClassMethods(klass, &count, &methods) != JVMTI_ERROR_NONE) {
    return 0;
  }
  uintptr_t method = 0;
  if (count > 0 && methods != nullptr) {
    SafeReadValue(reinterpret_cast<uintptr_t>(methods[0]), &method);
  }
  Free(jvmti, methods);
  return method;
}

// AddThreadStacks reads each JavaThread's stack base and size and its
// OSThread's tid, all threads at once (two rounds of batched reads: the
// tid is behind the OSThread pointer), and adds the stack ranges.
void AddThreadStacks(const VmLayout& l,
                     const std::vector<uintptr_t>& java_threads,
                     MemoryFacts* facts) {
  const size_t n = java_threads.size();
  facts->thread_stack_range.assign(facts->threads.size(), -1);
  if (l.stack_base < 0 || l.stack_size < 0 || l.osthread < 0 || n == 0) {
    return;
  }
  std::vector<uintptr_t> fields(3 * n, 0);  // base, size, osthread
  std::vector<iovec> local, remote;
  std::vector<size_t> slot;
  for (size_t i = 0; i < n; ++i) {
    if (java_threads[i] == 0) continue;
    const int64_t offsets[3] = {l.stack_base, l.stack_size, l.osthread};
    for (int k = 0; k < 3; ++k) {
      local.push_back({&fields[3 * i + k], sizeof(uintptr_t)});
      remote.push_back({reinterpret_cast<void*>(java_threads[i] + offsets[k]),
                        sizeof(uintptr_t)});
    }
  }
  SafeReadMany(local, remote);
  std::vector<int32_t> tids(n, 0);
  local.clear();
  remote.clear();
  for (size_t i = 0; i < n; ++i) {
    const uintptr_t osthread = fields[3 * i + 2];
    if (osthread == 0 || l.thread_id < 0) continue;
    local.push_back({&tids[i], sizeof(int32_t)});
    remote.push_back(
        {reinterpret_cast<void*>(osthread + l.thread_id), sizeof(int32_t)});
  }
  SafeReadMany(local, remote);
  for (size_t i = 0; i < n && i < facts->threads.size(); ++i) {
    const uintptr_t base = fields[3 * i], size = fields[3 * i + 1];
    if (size > 0 && size <= (uintptr_t{1} << 32) && base > size) {
      facts->thread_stack_range[i] =
          static_cast<int>(facts->hints.ranges.size());
      facts->hints.ranges.push_back(
          {base - size, base, MemoryClass::kThreadStacks});
    }
    if (tids[i] > 0) facts->threads[i].tid = tids[i];
  }
}

}  // namespace

void JvmProbe::DescribeMemory(MemoryFacts* facts) {
  jvmtiEnv* jvmti = s_.jvmti;
  if (jvmti == nullptr) return;
  jvmtiPhase phase = JVMTI_PHASE_DEAD;
  if (jvmti->GetPhase(&phase) != JVMTI_ERROR_NONE ||
      phase != JVMTI_PHASE_LIVE) {
    return;
  }
  facts->jvm = true;
  ClassifyHints& hints = facts->hints;
  hints.jvm = true;
  const VmLayout& l = Layout(jvmti);

  uintptr_t heap = 0, start = 0, words = 0;
  if (l.heap_reserved >= 0 && l.region_start >= 0 && l.region_words >= 0 &&
      SafeReadValue(l.collected_heap_at, &heap) &&
      SafeReadValue(heap + l.heap_reserved + l.region_start, &start) &&
      SafeReadValue(heap + l.heap_reserved + l.region_words, &words) &&
      start != 0 && words != 0 && words < (uintptr_t{1} << 50)) {
    hints.ranges.push_back({start, start + words * 8, MemoryClass::kJavaHeap});
    hints.heap_known = true;
  }
  uintptr_t low = 0, high = 0;
  if (SafeReadValue(l.code_low_at, &low) &&
      SafeReadValue(l.code_high_at, &high) && low != 0 && high > low) {
    hints.ranges.push_back({low, high, MemoryClass::kCodeCache});
    hints.code_cache_known = true;
  }
  uintptr_t shared_top = 0, klass_base = 0;
  SafeReadValue(l.shared_top_at, &shared_top);
  SafeReadValue(l.klass_base_at, &klass_base);
  hints.class_space_start = shared_top != 0 ? shared_top : klass_base;

  if (env_->PushLocalFrame(64) != 0) {
    env_->ExceptionClear();
    return;
  }
  FrameNamer namer(jvmti, env_);

  // Threads: JVMTI's view, their stacks from the VM's own records.
  static jfieldID eetop = [this] {
    jclass thread_class = env_->FindClass("java/lang/Thread");
    jfieldID id = thread_class != nullptr
                      ? env_->GetFieldID(thread_class, "eetop", "J")
                      : nullptr;
    env_->ExceptionClear();
    return id;
  }();
  jint count = 0;
  jthread* threads = nullptr;
  std::vector<uintptr_t> java_threads;  // JavaThread*, per thread
  std::set<jmethodID> frame_methods;    // of parked threads' frames
  if (jvmti->GetAllThreads(&count, &threads) == JVMTI_ERROR_NONE) {
    jvmtiStackInfo* stacks = nullptr;
    if (jvmti->GetThreadListStackTraces(count, threads, kParkedFrames,
                                        &stacks) != JVMTI_ERROR_NONE) {
      stacks = nullptr;
    }
    for (jint i = 0; i < count; ++i) {
      MemoryThread t;
      t.java = true;
      jvmtiThreadInfo info;
      std::memset(&info, 0, sizeof info);
      if (jvmti->GetThreadInfo(threads[i], &info) == JVMTI_ERROR_NONE) {
        t.name = info.name != nullptr ? info.name : "";
        t.daemon = info.is_daemon == JNI_TRUE;
        Free(jvmti, info.name);
        if (info.thread_group) env_->DeleteLocalRef(info.thread_group);
        if (info.context_class_loader) {
          env_->DeleteLocalRef(info.context_class_loader);
        }
      }
      jint state = 0;
      if (stacks != nullptr) {
        state = stacks[i].state;
      } else {
        jvmti->GetThreadState(threads[i], &state);
      }
      t.state = StateName(state);
      java_threads.push_back(
          eetop != nullptr ? env_->GetLongField(threads[i], eetop) : 0);
      const bool parked = t.state == "WAITING" || t.state == "TIMED_WAITING" ||
                          t.state == "BLOCKED";
      if (parked && stacks != nullptr) {
        const jvmtiStackInfo& si = stacks[i];
        for (jint f = 0; f < si.frame_count && f < kParkedFrames; ++f) {
          t.parked_in.push_back(namer.Name(si.frame_buffer[f].method,
                                           si.frame_buffer[f].location));
          frame_methods.insert(si.frame_buffer[f].method);
        }
      }
      facts->threads.push_back(std::move(t));
      env_->DeleteLocalRef(threads[i]);
    }
    Free(jvmti, stacks);
    Free(jvmti, threads);
    AddThreadStacks(l, java_threads, facts);
  }
  // The frames' Method*s locate metaspace as well (one batched read).
  {
    std::vector<uintptr_t> methods(frame_methods.size(), 0);
    std::vector<iovec> local, remote;
    size_t k = 0;
    for (jmethodID id : frame_methods) {
      if (k >= static_cast<size_t>(kMaxMetadataHints)) break;
      local.push_back({&methods[k++], sizeof(uintptr_t)});
      remote.push_back({static_cast<void*>(id), sizeof(uintptr_t)});
    }
    SafeReadMany(local, remote);
    for (uintptr_t m : methods) {
      if (m != 0) hints.class_metadata_addresses.push_back(m);
    }
  }

  // Classes per defining loader, grouped by the loader's class name.
  jint class_count = 0;
  jclass* classes = nullptr;
  if (jvmti->GetLoadedClasses(&class_count, &classes) == JVMTI_ERROR_NONE) {
    struct Group {
      int64_t classes = 0;
      bool hinted = false;
    };
    std::map<std::pair<std::string, jint>, Group> loaders;
    std::unordered_map<jint, std::string> type_of;  // by identity hash
    for (jint i = 0; i < class_count; ++i) {
      jobject loader = nullptr;
      std::string type = "<bootstrap>";
      jint hash = 0;
      if (jvmti->GetClassLoader(classes[i], &loader) == JVMTI_ERROR_NONE &&
          loader != nullptr) {
        jvmti->GetObjectHashCode(loader, &hash);
        auto known = type_of.find(hash);
        if (known != type_of.end()) {
          type = known->second;
        } else {
          jclass loader_class = env_->GetObjectClass(loader);
          char* sig = nullptr;
          if (loader_class != nullptr &&
              jvmti->GetClassSignature(loader_class, &sig, nullptr) ==
                  JVMTI_ERROR_NONE) {
            type = ClassNameOf(sig);
          } else {
            type = "?";
          }
          Free(jvmti, sig);
          if (loader_class != nullptr) env_->DeleteLocalRef(loader_class);
          type_of.emplace(hash, type);
        }
        env_->DeleteLocalRef(loader);
      }
      Group& g = loaders[{type, hash}];
      ++g.classes;
      if (hints.class_metadata_addresses.size() < kMaxMetadataHints &&
          (!g.hinted || i % kHintEvery == 0)) {
        if (uintptr_t m = MethodAddress(jvmti, classes[i])) {
          hints.class_metadata_addresses.push_back(m);
          g.hinted = true;
        }
      }
      env_->DeleteLocalRef(classes[i]);
    }
    Free(jvmti, classes);
    std::map<std::string, ClassLoaderGroup> by_type;
    for (const auto& [key, g] : loaders) {
      ClassLoaderGroup& out = by_type[key.first];
      out.type = key.first;
      ++out.loaders;
      out.classes += g.classes;
    }
    for (auto& [type, g] : by_type) facts->class_loaders.push_back(g);
    std::stable_sort(facts->class_loaders.begin(), facts->class_loaders.end(),
                     [](const ClassLoaderGroup& a, const ClassLoaderGroup& b) {
                       return a.classes > b.classes;
                     });
  }
  env_->PopLocalFrame(nullptr);
}

}  // namespace jleak::agent
