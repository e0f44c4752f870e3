// File: native_origins.cc
//
// The mmap-family and pthread_create hooks, their fixed tables, and the
// records read from them (see native_origins.h).

#include "agent/native_origins.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/sampling/frame_pointer_backtrace.h"
#include "profile/java_frame.h"

namespace jleak::agent {
namespace {

using sampling::GotHook;
using sampling::GotPatcher;

constexpr uint32_t kNone = UINT32_MAX;
constexpr unsigned kMaxFrames = NativeOrigins::kMaxFrames;
constexpr unsigned kMaxJavaFrames = NativeOrigins::kMaxJavaFrames;
// The walk's buffer: jemalloc's unwinder (the previous hook that
// JavaStacks::Hook calls) writes PROF_BT_MAX = 128 entries whatever
// max_len says (jemalloc 5.3 prof_sys.c: unw_backtrace(vec, PROF_BT_MAX)).
constexpr unsigned kWalkFrames = 128;
// Our own frames (the hook, the capture, the walker's) are among the first
// few of a walk.
constexpr unsigned kOwnFramesSearched = 12;
// Sanity bounds of the options.
constexpr uint32_t kMaxTableEntries = 1 << 22;

struct Mapping {
  uintptr_t start;
  uintptr_t end;
  uint32_t stack;  // or kNone
  bool file;
};

struct StackEntry {
  uint64_t hash;
  uint32_t n;
  void* frames[kMaxFrames];
};

struct ThreadEntry {
  pid_t tid;
  uint32_t stack;
};

using Counter = std::atomic<uint64_t>;

// Everything the hooks touch. Made by Install, never freed: a hook may run
// on any thread until the process exits.
struct State {
  OriginsOptions options;
  std::atomic<bool> active{false};
  uintptr_t own_lo = 0;  // this object's PT_LOAD span
  uintptr_t own_hi = 0;
  uintptr_t page_mask = 4095;

  std::mutex mu;  // guards the tables below
  std::unique_ptr<Mapping[]> maps;
  uint32_t n_maps = 0;
  std::unique_ptr<StackEntry[]> stacks;
  uint32_t n_stacks = 0;
  std::unique_ptr<uint32_t[]> stack_slots;  // open addressing, kNone free
  uint32_t stack_slot_mask = 0;
  std::unique_ptr<ThreadEntry[]> threads;
  uint32_t n_threads = 0;

  Counter mmaps{0}, munmaps{0}, mremaps{0}, unmapped_whole{0}, unmapped_part{0},
      replaced{0}, mappings_dropped{0}, stacks_dropped{0}, reentered{0},
      threads_started{0}, threads_dropped{0}, record_ns{0}, thread_ns{0},
      paths_unknown{0};
};

std::atomic<State*> g_state{nullptr};
// Depth of hooks on this thread: a zero-initialized POD, no TLS
// constructor (see sampling/engine.cc).
__thread int t_in_hook;

void Bump(Counter& c, uint64_t by = 1) {
  c.fetch_add(by, std::memory_order_relaxed);
}

// CLOCK_MONOTONIC through the vDSO: about 20 ns, no system call.
uint64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000u +
         static_cast<uint64_t>(t.tv_nsec);
}

State* ActiveState() {
  State* s = g_state.load(std::memory_order_acquire);
  return s != nullptr && s->active.load(std::memory_order_relaxed) ? s
                                                                   : nullptr;
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

uint64_t HashBytes(const void* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325;
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3;
  return Mix(h + n);
}

uint32_t TableSlots(uint32_t entries) {
  uint32_t n = 2;
  while (n < 2 * entries) n <<= 1;
  return n;
}

// ---------------------------------------------------------------- stacks

// A walked stack, reduced to what is kept: up to kMaxFrames - kMaxJavaFrames
// native frames (ours dropped), then up to kMaxJavaFrames Java frames.
struct Walk {
  void* frames[kMaxFrames];
  unsigned n = 0;
};

bool InOwnObject(const State* s, const void* pc) {
  const auto a = reinterpret_cast<uintptr_t>(pc);
  return a >= s->own_lo && a < s->own_hi;
}

__attribute__((noinline)) void WalkStack(const State* s, Walk* out) {
  void* vec[kWalkFrames];
  unsigned n = 0;
  OriginsBacktraceFn walk = s->options.backtrace != nullptr
                                ? s->options.backtrace
                                : &sampling::FramePointerBacktrace;
  walk(vec, &n, kWalkFrames);
  n = std::min(n, kWalkFrames);
  // Skip to the end of the first run of our own frames (anything before
  // it is the walker's: jemalloc's prof_backtrace_impl).
  unsigned first = 0;
  while (first < n && first < kOwnFramesSearched &&
         !InOwnObject(s, vec[first])) {
    ++first;
  }
  if (first == n || first == kOwnFramesSearched) first = 0;
  while (first < n && InOwnObject(s, vec[first])) ++first;
  unsigned java = n;
  for (unsigned i = first; i < n; ++i) {
    if (IsJavaFrameAddress(reinterpret_cast<uintptr_t>(vec[i]))) {
      java = i;
      break;
    }
  }
  const unsigned natives =
      std::min(java - std::min(java, first), kMaxFrames - kMaxJavaFrames);
  out->n = 0;
  for (unsigned i = 0; i < natives; ++i) out->frames[out->n++] = vec[first + i];
  for (unsigned i = java; i < n && out->n < natives + kMaxJavaFrames; ++i) {
    out->frames[out->n++] = vec[i];
  }
}

// InternStackLocked: the stack's index, or kNone when the table is full.
uint32_t InternStackLocked(State* s, const Walk& w) {
  const uint64_t h = HashBytes(w.frames, w.n * sizeof(w.frames[0]));
  uint32_t slot = static_cast<uint32_t>(h) & s->stack_slot_mask;
  for (uint32_t probe = 0; probe <= s->stack_slot_mask; ++probe) {
    const uint32_t i = s->stack_slots[slot];
    if (i == kNone) {
      if (s->n_stacks >= s->options.max_stacks) break;
      StackEntry& e = s->stacks[s->n_stacks];
      e.hash = h;
      e.n = w.n;
      std::memcpy(e.frames, w.frames, w.n * sizeof(w.frames[0]));
      s->stack_slots[slot] = s->n_stacks;
      return s->n_stacks++;
    }
    const StackEntry& e = s->stacks[i];
    if (e.hash == h && e.n == w.n &&
        std::memcmp(e.frames, w.frames, w.n * sizeof(w.frames[0])) == 0) {
      return i;
    }
    slot = (slot + 1) & s->stack_slot_mask;
  }
  Bump(s->stacks_dropped);
  return kNone;
}

// ---------------------------------------------------------------- ranges

// RemoveRangeLocked takes [lo, hi) out of every record. When `first` is
// given it receives the first record that overlapped (for mremap).
void RemoveRangeLocked(State* s, uintptr_t lo, uintptr_t hi, Counter& whole,
                       Mapping* first = nullptr, bool* found = nullptr) {
  for (uint32_t i = 0; i < s->n_maps; ++i) {
    Mapping& m = s->maps[i];
    if (m.end <= lo || m.start >= hi) continue;
    if (found != nullptr && !*found) {
      *first = m;
      *found = true;
    }
    if (lo <= m.start && m.end <= hi) {
      Bump(whole);
      m = s->maps[--s->n_maps];
      --i;  // the moved record is looked at next
      continue;
    }
    Bump(s->unmapped_part);
    if (m.start < lo && m.end > hi) {
      // A hole in the middle: the right part becomes a record of its own.
      Mapping right = m;
      right.start = hi;
      m.end = lo;
      if (s->n_maps < s->options.max_mappings) {
        s->maps[s->n_maps++] = right;
      } else {
        Bump(s->mappings_dropped);
      }
    } else if (m.start < lo) {
      m.end = lo;
    } else {
      m.start = hi;
    }
  }
}

void AddLocked(State* s, const Mapping& m) {
  RemoveRangeLocked(s, m.start, m.end, s->replaced);
  if (s->n_maps < s->options.max_mappings) {
    s->maps[s->n_maps++] = m;
  } else {
    Bump(s->mappings_dropped);
  }
}

// RecordMapping files a new mapping made through a hook.
void RecordMapping(State* s, void* p, size_t len, int flags, int fd) {
  if (t_in_hook != 0) {
    Bump(s->reentered);
    return;
  }
  ++t_in_hook;
  const uint64_t t0 = NowNs();
  Bump(s->mmaps);
  // The path is read from /proc/self/maps when the records are (a
  // readlink of /proc/self/fd/N here cost 11 us, most of the hook).
  const bool file = (flags & MAP_ANONYMOUS) == 0 && fd >= 0;
  Walk walk;
  WalkStack(s, &walk);
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t end = (start + len + s->page_mask) & ~s->page_mask;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    AddLocked(s, {start, end, InternStackLocked(s, walk), file});
  }
  Bump(s->record_ns, NowNs() - t0);
  --t_in_hook;
}

// ---------------------------------------------------------------- hooks

void* HookMmap(void* addr, size_t len, int prot, int flags, int fd,
               off_t offset) {
  void* p = ::mmap(addr, len, prot, flags, fd, offset);
  if (p != MAP_FAILED) {
    if (State* s = ActiveState()) RecordMapping(s, p, len, flags, fd);
  }
  return p;
}

// glibc's mmap64 is mmap on x86-64; a slot of its own, a hook of its own.
void* HookMmap64(void* addr, size_t len, int prot, int flags, int fd,
                 off_t offset) {
  void* p = ::mmap(addr, len, prot, flags, fd, offset);
  if (p != MAP_FAILED) {
    if (State* s = ActiveState()) RecordMapping(s, p, len, flags, fd);
  }
  return p;
}

int HookMunmap(void* addr, size_t len) {
  // Before the call: once the range is unmapped, another thread may map
  // the same addresses and record them.
  State* s = ActiveState();
  const auto lo = reinterpret_cast<uintptr_t>(addr);
  if (s != nullptr && len > 0 && (lo & s->page_mask) == 0) {
    Bump(s->munmaps);
    const uintptr_t hi = (lo + len + s->page_mask) & ~s->page_mask;
    std::lock_guard<std::mutex> lock(s->mu);
    RemoveRangeLocked(s, lo, hi, s->unmapped_whole);
  }
  return ::munmap(addr, len);
}

void* HookMremap(void* old, size_t old_size, size_t new_size, int flags, ...) {
  void* wanted = nullptr;
  if ((flags & MREMAP_FIXED) != 0) {
    va_list ap;
    va_start(ap, flags);
    wanted = va_arg(ap, void*);
    va_end(ap);
  }
  void* p = ::mremap(old, old_size, new_size, flags, wanted);
  State* s = ActiveState();
  if (p == MAP_FAILED || s == nullptr) return p;
  Bump(s->mremaps);
  const auto old_lo = reinterpret_cast<uintptr_t>(old);
  const uintptr_t old_hi = (old_lo + old_size + s->page_mask) & ~s->page_mask;
  const auto new_lo = reinterpret_cast<uintptr_t>(p);
  const uintptr_t new_hi = (new_lo + new_size + s->page_mask) & ~s->page_mask;
  std::lock_guard<std::mutex> lock(s->mu);
  Mapping moved = {};
  bool found = false;
  if ((flags & MREMAP_DONTUNMAP) == 0) {
    RemoveRangeLocked(s, old_lo, old_hi, s->unmapped_whole, &moved, &found);
  } else {
    // The old range stays mapped (empty): only learn whose it was.
    for (uint32_t i = 0; i < s->n_maps && !found; ++i) {
      const Mapping& m = s->maps[i];
      if (m.start <= old_lo && old_lo < m.end) {
        moved = m;
        found = true;
      }
    }
  }
  if (found) {
    moved.start = new_lo;
    moved.end = new_hi;
    AddLocked(s, moved);
  } else {
    RemoveRangeLocked(s, new_lo, new_hi, s->replaced);
  }
  return p;
}

struct Boot {
  void* (*start)(void*);
  void* arg;
  uint32_t stack;
  State* state;
};

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

void FileThread(State* s, pid_t tid, uint32_t stack) {
  std::lock_guard<std::mutex> lock(s->mu);
  for (uint32_t i = 0; i < s->n_threads; ++i) {
    if (s->threads[i].tid == tid) {
      s->threads[i].stack = stack;
      return;
    }
  }
  if (s->n_threads < s->options.max_threads) {
    s->threads[s->n_threads++] = {tid, stack};
  } else {
    Bump(s->threads_dropped);
  }
}

void ForgetThread(State* s, pid_t tid) {
  std::lock_guard<std::mutex> lock(s->mu);
  for (uint32_t i = 0; i < s->n_threads; ++i) {
    if (s->threads[i].tid == tid) {
      s->threads[i] = s->threads[--s->n_threads];
      return;
    }
  }
}

// The new thread's first frame: files the creator's stack under its tid.
void* ThreadTrampoline(void* p) {
  const Boot boot = *static_cast<Boot*>(p);
  free(p);
  const pid_t tid = Gettid();
  FileThread(boot.state, tid, boot.stack);
  void* result = boot.start(boot.arg);
  ForgetThread(boot.state, tid);
  return result;
}

int HookPthreadCreate(pthread_t* thread, const pthread_attr_t* attr,
                      void* (*start)(void*), void* arg) {
  State* s = ActiveState();
  if (s == nullptr || !s->options.hook_threads || t_in_hook != 0) {
    if (s != nullptr && t_in_hook != 0) Bump(s->reentered);
    return ::pthread_create(thread, attr, start, arg);
  }
  ++t_in_hook;
  const uint64_t t0 = NowNs();
  Bump(s->threads_started);
  Walk walk;
  WalkStack(s, &walk);
  uint32_t stack;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    stack = InternStackLocked(s, walk);
  }
  auto* boot = static_cast<Boot*>(malloc(sizeof(Boot)));
  Bump(s->thread_ns, NowNs() - t0);
  --t_in_hook;
  if (boot == nullptr) {
    Bump(s->threads_dropped);
    return ::pthread_create(thread, attr, start, arg);
  }
  *boot = {start, arg, stack, s};
  const int err = ::pthread_create(thread, attr, &ThreadTrampoline, boot);
  if (err != 0) free(boot);
  return err;
}

GotPatcher& AllObjects();
GotPatcher& MmapObjects();

void* HookDlopen(const char* file, int mode) {
  if (file == nullptr || strchr(file, '/') == nullptr ||
      strchr(file, '$') != nullptr) {
    // Searched with the caller's paths: a tail call, so that glibc sees our
    // caller's return address (sampling/engine.cc does the same).
    return ::dlopen(file, mode);
  }
  void* handle = ::dlopen(file, mode);
  if (State* s = ActiveState(); handle != nullptr && s != nullptr) {
    AllObjects().PatchIfIdle();
    if (s->options.hook_mmap) MmapObjects().PatchIfIdle();
  }
  return handle;
}

// pthread_create and dlopen in every object; the mmap family in every
// object but the excluded one (libjvm).
const GotHook kAllHooks[] = {
    {"pthread_create", reinterpret_cast<void*>(&HookPthreadCreate)},
    {"dlopen", reinterpret_cast<void*>(&HookDlopen)},
};
const GotHook kMmapHooks[] = {
    {"mmap", reinterpret_cast<void*>(&HookMmap)},
    {"mmap64", reinterpret_cast<void*>(&HookMmap64)},
    {"munmap", reinterpret_cast<void*>(&HookMunmap)},
    {"mremap", reinterpret_cast<void*>(&HookMremap)},
};

// Never destroyed: the hooks may run until the process exits.
GotPatcher& AllObjects() {
  static GotPatcher* p =
      new GotPatcher(kAllHooks, sizeof(kAllHooks) / sizeof(kAllHooks[0]));
  return *p;
}

GotPatcher& MmapObjects() {
  static GotPatcher* p =
      new GotPatcher(kMmapHooks, sizeof(kMmapHooks) / sizeof(kMmapHooks[0]));
  return *p;
}

int FindOwnObject(dl_phdr_info* info, size_t, void* arg) {
  auto* s = static_cast<State*>(arg);
  const auto marker = reinterpret_cast<uintptr_t>(&HookMmap);
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  bool ours = false;
  for (unsigned i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const uintptr_t a = info->dlpi_addr + ph.p_vaddr;
    lo = std::min(lo, a);
    hi = std::max(hi, a + ph.p_memsz);
    if (marker >= a && marker < a + ph.p_memsz) ours = true;
  }
  if (!ours) return 0;
  s->own_lo = lo;
  s->own_hi = hi;
  return 1;
}

// ---------------------------------------------------------------- reading

// ReadFileRanges: the file-backed ranges of a /proc/PID/maps text, sorted
// by start ("start-end perms offset dev inode path"; lines that do not
// parse, and pseudo-files like "[heap]", are skipped). Bounded: at most
// kMaxMapsBytes read, paths at most NativeOrigins::kMaxPath bytes.
constexpr size_t kMaxMapsBytes = 64 << 20;

}  // namespace

std::vector<FileRange> ParseFileRanges(absl::string_view text) {
  std::vector<FileRange> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    // Five fields, then the path after the spaces that pad it.
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits(' ', 5));
    if (f.size() < 6) continue;
    absl::string_view path = absl::StripLeadingAsciiWhitespace(f[5]);
    if (path.empty() || path[0] != '/' ||
        path.size() > NativeOrigins::kMaxPath) {
      continue;
    }
    std::vector<absl::string_view> range = absl::StrSplit(f[0], '-');
    uint64_t lo = 0, hi = 0;
    if (range.size() != 2 || !absl::SimpleHexAtoi(range[0], &lo) ||
        !absl::SimpleHexAtoi(range[1], &hi) || lo >= hi) {
      continue;
    }
    out.push_back({lo, hi, std::string(path)});
  }
  std::sort(out.begin(), out.end(), [](const FileRange& a, const FileRange& b) {
    return a.start < b.start;
  });
  return out;
}

namespace {

std::vector<FileRange> ReadFileRanges(const char* maps_path) {
  std::string text;
  const int fd = open(maps_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[64 << 10];
  while (text.size() < kMaxMapsBytes) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return ParseFileRanges(text);
}

std::string FilePathAt(const std::vector<FileRange>& files, uintptr_t a) {
  auto it = std::upper_bound(
      files.begin(), files.end(), a,
      [](uintptr_t x, const FileRange& r) { return x < r.start; });
  if (it == files.begin()) return "";
  --it;
  return a < it->end ? it->path : "";
}

// NativeFrameName: "symbol", or "libfoo.so+0x1234" without one; empty when
// no object holds the address (JIT or interpreter code).
std::string NativeFrameName(void* pc) {
  Dl_info info = {};
  // Return addresses: the call is the byte before.
  void* at = static_cast<char*>(pc) - 1;
  if (dladdr(at, &info) == 0 || info.dli_fname == nullptr) return "";
  if (info.dli_sname != nullptr) return info.dli_sname;
  const char* base = std::strrchr(info.dli_fname, '/');
  base = base != nullptr ? base + 1 : info.dli_fname;
  return absl::StrCat(
      base, "+0x",
      absl::Hex(reinterpret_cast<uintptr_t>(at) -
                reinterpret_cast<uintptr_t>(info.dli_fbase) + 1));
}

std::vector<uint32_t> JavaIds(const StackEntry& e) {
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < e.n; ++i) {
    const auto a = reinterpret_cast<uintptr_t>(e.frames[i]);
    if (IsJavaFrameAddress(a)) ids.push_back(JavaFrameId(a));
  }
  return ids;
}

// NameIds names `ids` through the namer (one call for all).
std::map<uint32_t, std::string> NameIds(const State* s,
                                        const std::vector<uint32_t>& ids) {
  std::map<uint32_t, std::string> out;
  std::vector<uint32_t> unique(ids);
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  std::vector<std::string> names;
  if (s->options.name_java && !unique.empty()) {
    names = s->options.name_java(unique);
  }
  for (size_t i = 0; i < unique.size(); ++i) {
    out[unique[i]] = i < names.size() && !names[i].empty()
                         ? names[i]
                         : absl::StrCat("[Java frame ", unique[i], "]");
  }
  return out;
}

std::vector<std::string> Names(const std::vector<uint32_t>& ids,
                               const std::map<uint32_t, std::string>& names) {
  std::vector<std::string> out;
  for (uint32_t id : ids) out.push_back(names.at(id));
  return out;
}

std::unique_ptr<State> MakeState(const OriginsOptions& options) {
  auto s = std::make_unique<State>();
  s->options = options;
  OriginsOptions& o = s->options;
  o.max_mappings = std::clamp<uint32_t>(o.max_mappings, 1, kMaxTableEntries);
  o.max_stacks = std::clamp<uint32_t>(o.max_stacks, 1, kMaxTableEntries);
  o.max_threads = std::clamp<uint32_t>(o.max_threads, 1, kMaxTableEntries);
  const long page = sysconf(_SC_PAGESIZE);
  s->page_mask = static_cast<uintptr_t>(page > 0 ? page : 4096) - 1;
  s->maps = std::make_unique<Mapping[]>(o.max_mappings);
  s->stacks = std::make_unique<StackEntry[]>(o.max_stacks);
  const uint32_t stack_slots = TableSlots(o.max_stacks);
  s->stack_slots = std::make_unique<uint32_t[]>(stack_slots);
  std::fill_n(s->stack_slots.get(), stack_slots, kNone);
  s->stack_slot_mask = stack_slots - 1;
  s->threads = std::make_unique<ThreadEntry[]>(o.max_threads);
  dl_iterate_phdr(&FindOwnObject, s.get());
  return s;
}

std::mutex g_install_mu;

// fork() while another thread holds the tables' lock would leave the child
// unable to map memory through a hook: the lock is taken around fork.
State* g_forking = nullptr;
void BeforeFork() {
  g_forking = g_state.load(std::memory_order_acquire);
  if (g_forking != nullptr) g_forking->mu.lock();
}
void AfterFork() {
  if (g_forking != nullptr) g_forking->mu.unlock();
  g_forking = nullptr;
}

}  // namespace

std::string ReportFrameText(absl::string_view map_name) {
  const size_t paren = map_name.find('(');
  if (map_name.empty() || map_name[0] == '[' || paren == 0 ||
      paren == absl::string_view::npos || map_name[paren - 1] == ' ') {
    return std::string(map_name);
  }
  return absl::StrCat(map_name.substr(0, paren), " ", map_name.substr(paren));
}

absl::Status NativeOrigins::Install(const OriginsOptions& options) {
  std::lock_guard<std::mutex> lock(g_install_mu);
  if (ActiveState() != nullptr) {
    return absl::FailedPreconditionError("native origins are installed");
  }
  std::unique_ptr<State> s = MakeState(options);
  if (s->own_hi == 0) {
    return absl::InternalError("cannot find the agent's own object");
  }
  for (const void* object : options.mmap_excluded_objects) {
    if (!MmapObjects().ExcludeObjectContaining(object)) {
      return absl::ResourceExhaustedError("too many objects excluded");
    }
  }
  static const bool at_fork =
      pthread_atfork(&BeforeFork, &AfterFork, &AfterFork) == 0;
  if (!at_fork) return absl::InternalError("pthread_atfork failed");
  s->active.store(true);
  // The state of an earlier install is left to any hook still in it.
  g_state.store(s.release(), std::memory_order_release);
  AllObjects().Patch();
  if (options.hook_mmap) MmapObjects().Patch();
  return absl::OkStatus();
}

absl::Status NativeOrigins::Uninstall() {
  std::lock_guard<std::mutex> lock(g_install_mu);
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr || !s->active.load()) return absl::OkStatus();
  s->active.store(false);
  AllObjects().Restore();
  MmapObjects().Restore();
  return absl::OkStatus();
}

void NativeOrigins::Repatch() {
  State* s = ActiveState();
  if (s == nullptr) return;
  AllObjects().Patch();
  if (s->options.hook_mmap) MmapObjects().Patch();
}

std::vector<MmapSiteRecord> NativeOrigins::LiveMmapSites(
    const std::vector<FileRange>* given_files) {
  Repatch();
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return {};
  // Copied under the lock, named outside it (dladdr and JVMTI take locks
  // of their own).
  struct Group {
    int64_t mappings = 0;
    int64_t bytes = 0;
  };
  std::vector<Mapping> maps;
  std::map<uint32_t, StackEntry> stacks;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    maps.assign(&s->maps[0], &s->maps[0] + s->n_maps);
    for (const Mapping& m : maps) {
      if (m.stack != kNone) stacks.emplace(m.stack, s->stacks[m.stack]);
    }
  }
  std::vector<FileRange> read_files;
  if (given_files == nullptr) read_files = ReadFileRanges("/proc/self/maps");
  const std::vector<FileRange>& files =
      given_files != nullptr ? *given_files : read_files;
  std::map<std::tuple<bool, std::string, uint32_t>, Group> groups;
  for (const Mapping& m : maps) {
    std::string path;
    if (m.file) {
      path = FilePathAt(files, m.start);
      if (path.empty()) Bump(s->paths_unknown);
    }
    Group& g = groups[{m.file, std::move(path), m.stack}];
    ++g.mappings;
    g.bytes += static_cast<int64_t>(m.end - m.start);
  }
  std::vector<uint32_t> all_ids;
  for (const auto& [index, e] : stacks) {
    for (uint32_t id : JavaIds(e)) all_ids.push_back(id);
  }
  const std::map<uint32_t, std::string> java_names = NameIds(s, all_ids);
  // Each stack named once (many files are mapped from one stack).
  struct Named {
    std::vector<std::string> native, java;
  };
  std::map<uint32_t, Named> named;
  for (const auto& [index, e] : stacks) {
    Named& n = named[index];
    for (uint32_t i = 0; i < e.n && n.native.size() < kMaxNativeNames; ++i) {
      if (IsJavaFrameAddress(reinterpret_cast<uintptr_t>(e.frames[i]))) break;
      std::string name = NativeFrameName(e.frames[i]);
      if (name.empty()) break;  // JIT or interpreter code: Java from here
      n.native.push_back(std::move(name));
    }
    n.java = Names(JavaIds(e), java_names);
  }
  std::vector<MmapSiteRecord> out;
  for (const auto& [key, g] : groups) {
    const auto& [file, path, stack] = key;
    MmapSiteRecord r;
    r.kind = file ? "file" : "anon";
    r.path = path;
    r.mappings = g.mappings;
    r.bytes = g.bytes;
    if (stack != kNone) {
      r.native_frames = named[stack].native;
      r.java_frames = named[stack].java;
    }
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MmapSiteRecord& a, const MmapSiteRecord& b) {
                     return a.bytes > b.bytes;
                   });
  return out;
}

std::vector<ThreadOrigin> NativeOrigins::ThreadOrigins() {
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return {};
  std::vector<std::pair<pid_t, StackEntry>> copied;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    for (uint32_t i = 0; i < s->n_threads; ++i) {
      const ThreadEntry& t = s->threads[i];
      StackEntry e = {};
      if (t.stack != kNone) e = s->stacks[t.stack];
      copied.emplace_back(t.tid, e);
    }
  }
  std::vector<uint32_t> all_ids;
  for (const auto& [tid, e] : copied) {
    for (uint32_t id : JavaIds(e)) all_ids.push_back(id);
  }
  const std::map<uint32_t, std::string> names = NameIds(s, all_ids);
  std::vector<ThreadOrigin> out;
  for (const auto& [tid, e] : copied) {
    out.push_back({tid, Names(JavaIds(e), names)});
  }
  std::sort(out.begin(), out.end(),
            [](const ThreadOrigin& a, const ThreadOrigin& b) {
              return a.tid < b.tid;
            });
  return out;
}

std::vector<std::string> NativeOrigins::StartedFrom(pid_t tid) {
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return {};
  StackEntry e = {};
  {
    std::lock_guard<std::mutex> lock(s->mu);
    for (uint32_t i = 0; i < s->n_threads; ++i) {
      const ThreadEntry& t = s->threads[i];
      if (t.tid == tid && t.stack != kNone) e = s->stacks[t.stack];
    }
  }
  const std::vector<uint32_t> ids = JavaIds(e);
  return Names(ids, NameIds(s, ids));
}

OriginsStats NativeOrigins::Stats() {
  OriginsStats st;
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return st;
  auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  st.installed = s->active.load();
  st.mmaps = get(s->mmaps);
  st.munmaps = get(s->munmaps);
  st.mremaps = get(s->mremaps);
  st.unmapped_whole = get(s->unmapped_whole);
  st.unmapped_part = get(s->unmapped_part);
  st.replaced = get(s->replaced);
  st.mappings_dropped = get(s->mappings_dropped);
  st.stacks_dropped = get(s->stacks_dropped);
  st.paths_unknown = get(s->paths_unknown);
  st.reentered = get(s->reentered);
  st.threads_started = get(s->threads_started);
  st.threads_dropped = get(s->threads_dropped);
  st.record_ns = get(s->record_ns);
  st.thread_ns = get(s->thread_ns);
  {
    std::lock_guard<std::mutex> lock(s->mu);
    st.mappings_live = s->n_maps;
    st.stacks = s->n_stacks;
    st.threads_live = s->n_threads;
  }
  st.mmap_patcher = MmapObjects().Stats();
  st.thread_patcher = AllObjects().Stats();
  return st;
}

void* NativeOrigins::HookFor(const char* name) {
  if (void* p = AllObjects().ReplacementFor(name)) return p;
  return MmapObjects().ReplacementFor(name);
}

}  // namespace jleak::agent
