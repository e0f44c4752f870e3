// File: named_profile.cc
//
// Symbolizing, trimming, merging and diffing profiles (see
// named_profile.h).

#include "profiler/named_profile.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"
#include "profiler/java_frame.h"

namespace jleak {
namespace {

// Expands one symbolized address into frames, innermost (inlined) first.
void AppendFrames(const SymbolizedAddress& sym, std::vector<NamedFrame>* out) {
  for (size_t i = 0; i < sym.frames.size(); ++i) {
    const SourceFrame& f = sym.frames[i];
    NamedFrame nf;
    nf.function = f.function;
    nf.file = f.file;
    nf.line = f.line;
    nf.module = sym.module;
    nf.address = sym.address;
    nf.module_offset = sym.module_offset;
    nf.inlined = i + 1 < sym.frames.size();
    out->push_back(std::move(nf));
  }
}

// Merges stacks with equal keys, keeping first-seen order.
std::vector<NamedStack> Merge(std::vector<NamedStack> stacks) {
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<NamedStack> merged;
  merged.reserve(stacks.size());
  for (NamedStack& s : stacks) {
    auto [it, inserted] = index.emplace(StackKey(s), merged.size());
    if (inserted) {
      merged.push_back(std::move(s));
    } else {
      merged[it->second].counts += s.counts;
    }
  }
  return merged;
}

Counts Sum(const std::vector<NamedStack>& stacks) {
  Counts total;
  for (const NamedStack& s : stacks) total += s.counts;
  return total;
}

}  // namespace

bool IsJavaFrame(const NamedFrame& frame) {
  return frame.module == kJavaModule;
}

bool IsStableFrame(const NamedFrame& frame) {
  return (!frame.module.empty() && frame.module[0] == '/') ||
         IsJavaFrame(frame);
}

std::string StackKey(const NamedStack& stack) {
  return absl::StrJoin(
      stack.frames, ";",
      [](std::string* out, const NamedFrame& f) { out->append(f.function); });
}

NamedProfile NameProfile(const HeapProfile& profile, Symbolizer& symbolizer,
                         const FrameFilter& filter) {
  // Each distinct lookup address is symbolized, expanded and classified
  // once, whatever the symbolizer caches.
  absl::flat_hash_map<uint64_t, std::vector<NamedFrame>> frames_at;
  auto lookup = [&](uint64_t address) -> const std::vector<NamedFrame>& {
    auto it = frames_at.find(address);
    if (it == frames_at.end()) {
      std::vector<NamedFrame> frames;
      AppendFrames(symbolizer.Symbolize(address), &frames);
      for (NamedFrame& f : frames) {
        f.kind = filter.Classify(f.function, f.module);
      }
      it = frames_at.emplace(address, std::move(frames)).first;
    }
    return it->second;
  };

  // Leading frames inside an allocator module are trimmed unsymbolized.
  absl::flat_hash_map<const Mapping*, bool> allocator_module;
  auto in_allocator_module = [&](uint64_t address) {
    const Mapping* m = FindMapping(profile.mappings, address);
    if (m == nullptr || !m->is_file()) return false;
    auto [it, inserted] = allocator_module.emplace(m, false);
    if (inserted) it->second = filter.IsAllocatorModule(m->path);
    return it->second;
  };

  const bool profile_has_java = std::any_of(
      profile.stacks.begin(), profile.stacks.end(),
      [](const StackSample& sample) {
        return std::any_of(sample.frames.begin(), sample.frames.end(),
                           [](uint64_t pc) { return IsJavaFrameAddress(pc); });
      });
  std::vector<NamedStack> stacks;
  stacks.reserve(profile.stacks.size());
  for (const StackSample& sample : profile.stacks) {
    NamedStack stack;
    size_t first = 0;
    while (first + 1 < sample.frames.size() &&
           in_allocator_module(sample.frames[first])) {
      ++first;
    }
    // In a profile with the agent's Java frames, a stack without them is
    // one whose Java frames could not be walked (a GC in progress, an
    // unwalkable VM call): its JIT and interpreter frames are cut the same
    // way, so that no anonymous "Interpreter" frame is left in any stack.
    const bool has_java = profile_has_java;
    bool below_java_code = false;
    for (size_t i = first; i < sample.frames.size(); ++i) {
      const uint64_t pc = sample.frames[i];
      const bool java = IsJavaFrameAddress(pc);
      if (has_java && !java && below_java_code) continue;
      // Callers' frames are return addresses: look up the call itself.
      const std::vector<NamedFrame>& frames =
          lookup(i == 0 || pc == 0 ? pc : pc - 1);
      if (has_java && !java && !frames.empty() &&
          !IsStableFrame(frames.front())) {
        below_java_code = true;
        continue;
      }
      stack.frames.insert(stack.frames.end(), frames.begin(), frames.end());
    }
    size_t trim = 0;
    while (trim < stack.frames.size() &&
           filter.IsAllocatorFrame(stack.frames[trim].function)) {
      ++trim;
    }
    trim = std::min(trim, stack.frames.empty() ? 0 : stack.frames.size() - 1);
    stack.frames.erase(stack.frames.begin(), stack.frames.begin() + trim);
    stack.counts = Unsample(sample.sampled, profile.sample_period);
    stacks.push_back(std::move(stack));
  }

  NamedProfile named;
  named.stacks = Merge(std::move(stacks));
  named.total = Sum(named.stacks);
  named.sample_period = profile.sample_period;
  named.mappings = profile.mappings;
  named.warnings = symbolizer.Warnings();
  return named;
}

NamedProfile DiffProfiles(const NamedProfile& newer, const NamedProfile& base) {
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<NamedStack> diff;
  for (const NamedStack& s : newer.stacks) {
    index.emplace(StackKey(s), diff.size());
    diff.push_back(s);
  }
  for (const NamedStack& s : base.stacks) {
    auto it = index.find(StackKey(s));
    if (it == index.end()) {
      NamedStack freed = s;
      freed.counts = Counts{} - s.counts;
      diff.push_back(std::move(freed));
    } else {
      diff[it->second].counts = diff[it->second].counts - s.counts;
    }
  }
  diff.erase(std::remove_if(diff.begin(), diff.end(),
                            [](const NamedStack& s) {
                              return s.counts.bytes == 0 &&
                                     s.counts.objects == 0;
                            }),
             diff.end());
  NamedProfile out;
  out.stacks = std::move(diff);
  out.total = Sum(out.stacks);
  out.sample_period = newer.sample_period;
  out.mappings = newer.mappings;
  out.warnings = newer.warnings;
  return out;
}

void SortByBytes(std::vector<NamedStack>* stacks) {
  std::vector<std::pair<std::string, NamedStack>> keyed;
  keyed.reserve(stacks->size());
  for (NamedStack& s : *stacks) keyed.emplace_back(StackKey(s), std::move(s));
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) {
                     const double x = std::fabs(a.second.counts.bytes);
                     const double y = std::fabs(b.second.counts.bytes);
                     if (x != y) return x > y;
                     return a.first < b.first;
                   });
  stacks->clear();
  for (auto& [key, s] : keyed) stacks->push_back(std::move(s));
}

}  // namespace jleak
