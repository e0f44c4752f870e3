// File: engine.cc
//
// The sampling engine's hooks and its install / detach / snapshot (see
// engine.h). Everything the hooks read is published before the first slot
// is patched: g_state with a release store, read with acquire loads (plain
// moves on x86-64); the tables are lock-free; per-thread sampler state is a
// zero-initialized __thread POD (no TLS constructor, no destructor
// registration), created on a thread's first hooked allocation.

#include "agent/sampling/engine.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/sampling/heap_v2_writer.h"

namespace jleak::agent::sampling {
namespace {

// Frames asked of the walker: the stack table keeps 128 after our own
// frames are cut.
constexpr unsigned kMaxWalk = StackTable::kMaxFrames + 16;
constexpr unsigned kMaxOwnRanges = 4;

struct State {
  std::unique_ptr<LiveTable> live;
  std::unique_ptr<StackTable> stacks;
  Sampler sampler;
  std::atomic<BacktraceFn> backtrace{&FramePointerBacktrace};
  std::atomic<bool> active{false};
  uint32_t generation = 0;  // under g_mu
  // The executable segments of the engine's own object.
  uintptr_t own_lo[kMaxOwnRanges] = {};
  uintptr_t own_hi[kMaxOwnRanges] = {};
  unsigned n_own = 0;
  std::atomic<uint64_t> samples{0}, sampled_bytes{0}, samples_no_stack{0},
      realloc_failures{0};

  bool IsOwnCode(uintptr_t pc) const {
    for (unsigned i = 0; i < n_own; ++i) {
      if (pc >= own_lo[i] && pc < own_hi[i]) return true;
    }
    return false;
  }
};

std::atomic<State*> g_state{nullptr};
std::mutex g_mu;  // Install, Uninstall, Stats; never taken by the hooks
__thread ThreadSamplerState t_sampler;

// ---------------------------------------------------------------- record

__attribute__((noinline)) void RecordSample(State* s, void* p, size_t n) {
  ReentrancyGuard guard(&t_sampler);
  void* vec[kMaxWalk];
  unsigned len = 0;
  s->backtrace.load(std::memory_order_relaxed)(vec, &len, kMaxWalk);
  if (len > kMaxWalk) len = kMaxWalk;
  unsigned first = 0;
  while (first < len && s->IsOwnCode(reinterpret_cast<uintptr_t>(vec[first]))) {
    ++first;
  }
  const uint32_t stack = s->stacks->Intern(
      reinterpret_cast<const uintptr_t*>(vec + first), len - first);
  if (s->live->Insert(reinterpret_cast<uintptr_t>(p), n, stack)) {
    s->samples.fetch_add(1, std::memory_order_relaxed);
    s->sampled_bytes.fetch_add(n, std::memory_order_relaxed);
    if (stack == 0) s->samples_no_stack.fetch_add(1, std::memory_order_relaxed);
  }
}

// MaybeSample: the common path of every allocation hook.
inline void MaybeSample(void* p, size_t n) {
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return;
  ThreadSamplerState* t = &t_sampler;
  if (__builtin_expect(!s->sampler.Sample(t, n), 1)) return;
  if (t->busy != 0 || !s->active.load(std::memory_order_relaxed)) return;
  RecordSample(s, p, n);
}

// Forget: before a block is freed (or reallocated).
inline bool Forget(void* p, LiveEntry* removed) {
  State* s = g_state.load(std::memory_order_acquire);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  return s != nullptr && s->live->MayContain(a) && s->live->Remove(a, removed);
}

// ---------------------------------------------------------------- hooks
// `::malloc` etc. below go through this object's own import slots, which
// the patcher never writes (see engine.h for why not dlsym).

void* HookMalloc(size_t n) {
  void* p = ::malloc(n);
  if (p != nullptr) MaybeSample(p, n);
  return p;
}

void* HookCalloc(size_t count, size_t n) {
  void* p = ::calloc(count, n);
  size_t total = 0;
  if (p != nullptr && !__builtin_mul_overflow(count, n, &total)) {
    MaybeSample(p, total);
  }
  return p;
}

void HookFree(void* p) {
  if (p != nullptr) Forget(p, nullptr);
  ::free(p);
}

void* HookRealloc(void* p, size_t n) {
  if (p == nullptr) {
    void* q = ::realloc(nullptr, n);
    if (q != nullptr) MaybeSample(q, n);
    return q;
  }
  LiveEntry old;
  const bool had = Forget(p, &old);
  void* q = ::realloc(p, n);
  if (q == nullptr) {
    // n == 0: glibc freed p. Otherwise the call failed and p is still
    // live, and still ours: nobody else can have it.
    State* s = g_state.load(std::memory_order_acquire);
    if (n != 0 && had && s != nullptr && s->live->Reinsert(old)) {
      s->realloc_failures.fetch_add(1, std::memory_order_relaxed);
    }
    return nullptr;
  }
  MaybeSample(q, n);
  return q;
}

// reallocarray (glibc 2.26+) is realloc with an overflow check; hooked so
// that a sampled block it moves or frees does not stay behind as live.
void* HookReallocarray(void* p, size_t count, size_t n) {
  size_t total = 0;
  if (__builtin_mul_overflow(count, n, &total))
    return ::reallocarray(p, count, n);
  return HookRealloc(p, total);
}

int HookPosixMemalign(void** out, size_t alignment, size_t n) {
  const int r = ::posix_memalign(out, alignment, n);
  if (r == 0 && *out != nullptr) MaybeSample(*out, n);
  return r;
}

void* HookAlignedAlloc(size_t alignment, size_t n) {
  void* p = ::aligned_alloc(alignment, n);
  if (p != nullptr) MaybeSample(p, n);
  return p;
}

void* HookMemalign(size_t alignment, size_t n) {
  void* p = ::memalign(alignment, n);
  if (p != nullptr) MaybeSample(p, n);
  return p;
}

GotPatcher& Patcher();

void* HookDlopen(const char* file, int mode) {
  if (file == nullptr || strchr(file, '/') == nullptr ||
      strchr(file, '$') != nullptr) {
    // Searched (or expanded) with the caller's paths: a tail call, so that
    // glibc sees our caller's return address, not ours.
    return ::dlopen(file, mode);
  }
  void* handle = ::dlopen(file, mode);
  State* s = g_state.load(std::memory_order_acquire);
  if (handle != nullptr && s != nullptr &&
      s->active.load(std::memory_order_relaxed)) {
    Patcher().PatchIfIdle();
  }
  return handle;
}

const GotHook kHooks[] = {
    {"malloc", reinterpret_cast<void*>(&HookMalloc)},
    {"calloc", reinterpret_cast<void*>(&HookCalloc)},
    {"realloc", reinterpret_cast<void*>(&HookRealloc)},
    {"reallocarray", reinterpret_cast<void*>(&HookReallocarray)},
    {"free", reinterpret_cast<void*>(&HookFree)},
    {"posix_memalign", reinterpret_cast<void*>(&HookPosixMemalign)},
    {"aligned_alloc", reinterpret_cast<void*>(&HookAlignedAlloc)},
    {"memalign", reinterpret_cast<void*>(&HookMemalign)},
    {"dlopen", reinterpret_cast<void*>(&HookDlopen)},
};

GotPatcher& Patcher() {
  // Never destroyed: hooks may run until the process exits.
  static GotPatcher* patcher =
      new GotPatcher(kHooks, sizeof(kHooks) / sizeof(kHooks[0]));
  return *patcher;
}

// ---------------------------------------------------------------- helpers

int FindOwnCode(dl_phdr_info* info, size_t, void* arg) {
  auto* s = static_cast<State*>(arg);
  const uintptr_t marker = reinterpret_cast<uintptr_t>(&HookMalloc);
  bool ours = false;
  for (unsigned i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& p = info->dlpi_phdr[i];
    const uintptr_t lo = info->dlpi_addr + p.p_vaddr;
    if (p.p_type == PT_LOAD && marker >= lo && marker < lo + p.p_memsz) {
      ours = true;
    }
  }
  if (!ours) return 0;
  for (unsigned i = 0; i < info->dlpi_phnum && s->n_own < kMaxOwnRanges; ++i) {
    const ElfW(Phdr)& p = info->dlpi_phdr[i];
    if (p.p_type == PT_LOAD && (p.p_flags & PF_X) != 0) {
      s->own_lo[s->n_own] = info->dlpi_addr + p.p_vaddr;
      s->own_hi[s->n_own] = info->dlpi_addr + p.p_vaddr + p.p_memsz;
      ++s->n_own;
    }
  }
  return 1;
}

absl::StatusOr<std::string> ReadProcSelfMaps() {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("open /proc/self/maps: ", strerror(errno)));
  }
  std::string text;
  char buf[1 << 14];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

}  // namespace

absl::Status SamplingEngine::Install(const EngineOptions& options) {
  std::lock_guard<std::mutex> lock(g_mu);
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) {
    absl::StatusOr<std::unique_ptr<LiveTable>> live =
        LiveTable::Create(options.live_table);
    if (!live.ok()) return live.status();
    absl::StatusOr<std::unique_ptr<StackTable>> stacks =
        StackTable::Create(options.stack_table);
    if (!stacks.ok()) return stacks.status();
    s = new State;  // never freed (see engine.h)
    s->live = *std::move(live);
    s->stacks = *std::move(stacks);
    dl_iterate_phdr(&FindOwnCode, s);
    g_state.store(s, std::memory_order_release);
  }
  if (s->active.load(std::memory_order_relaxed)) {
    return absl::FailedPreconditionError("the sampling engine is installed");
  }
  s->sampler.Reset(options.lg_sample, options.seed);
  s->backtrace.store(
      options.backtrace != nullptr ? options.backtrace : &FramePointerBacktrace,
      std::memory_order_relaxed);
  ++s->generation;
  s->live->set_generation(s->generation);
  // Blocks of an older session whose frees the engine did not see.
  s->live->RemoveOtherGenerations();
  s->active.store(true, std::memory_order_release);
  Patcher().Patch();
  return absl::OkStatus();
}

absl::Status SamplingEngine::Uninstall() {
  std::lock_guard<std::mutex> lock(g_mu);
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr || !s->active.load(std::memory_order_relaxed)) {
    return absl::FailedPreconditionError(
        "the sampling engine is not installed");
  }
  Patcher().Restore();
  s->active.store(false, std::memory_order_release);
  return absl::OkStatus();
}

void SamplingEngine::SetBacktrace(BacktraceFn backtrace) {
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return;
  s->backtrace.store(backtrace != nullptr ? backtrace : &FramePointerBacktrace,
                     std::memory_order_relaxed);
}

bool SamplingEngine::ExcludeObjectContaining(const void* address) {
  return Patcher().ExcludeObjectContaining(address);
}

int SamplingEngine::Repatch() {
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr || !s->active.load(std::memory_order_relaxed)) return 0;
  return Patcher().Patch();
}

absl::StatusOr<std::string> SamplingEngine::HeapProfile() {
  ReentrancyGuard guard(&t_sampler);  // our own allocations: unsampled
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) {
    return absl::FailedPreconditionError(
        "the sampling engine was never installed");
  }
  std::vector<LiveEntry> entries;
  s->live->Snapshot(&entries);
  std::map<uint32_t, std::vector<uint64_t>> sizes_by_id;
  for (const LiveEntry& e : entries) sizes_by_id[e.stack].push_back(e.size);
  // Stacks merged by frames: a stack that got two ids, and every stack
  // that could not be stored, are one record each.
  std::map<std::vector<uint64_t>, std::vector<uint64_t>> sizes_by_frames;
  std::vector<uint64_t> frames;
  for (auto& [id, sizes] : sizes_by_id) {
    if (!s->stacks->Frames(id, &frames)) frames.clear();
    std::vector<uint64_t>& all = sizes_by_frames[frames];
    all.insert(all.end(), sizes.begin(), sizes.end());
  }
  std::vector<SampledStack> stacks;
  stacks.reserve(sizes_by_frames.size());
  for (auto& [f, sizes] : sizes_by_frames) {
    stacks.push_back({f, std::move(sizes)});
  }
  absl::StatusOr<std::string> maps = ReadProcSelfMaps();
  if (!maps.ok()) return maps.status();
  return FormatHeapV2(stacks, s->sampler.period(), *maps);
}

EngineStats SamplingEngine::Stats() {
  EngineStats st;
  std::lock_guard<std::mutex> lock(g_mu);
  State* s = g_state.load(std::memory_order_acquire);
  if (s == nullptr) return st;
  st.installed = s->active.load(std::memory_order_relaxed);
  st.generation = s->generation;
  st.lg_sample = s->sampler.lg_sample();
  st.samples = s->samples.load(std::memory_order_relaxed);
  st.sampled_bytes = s->sampled_bytes.load(std::memory_order_relaxed);
  st.samples_no_stack = s->samples_no_stack.load(std::memory_order_relaxed);
  st.realloc_failures = s->realloc_failures.load(std::memory_order_relaxed);
  st.live = s->live->Stats();
  st.stacks = s->stacks->Stats();
  st.patcher = Patcher().Stats();
  return st;
}

std::vector<SlotInfo> SamplingEngine::ListSlots() {
  return Patcher().ListSlots();
}

void* SamplingEngine::HookFor(const char* function) {
  return Patcher().ReplacementFor(function);
}

}  // namespace jleak::agent::sampling
