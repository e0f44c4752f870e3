// File: named_profile.cc
//
// Symbolizing, trimming, merging and diffing profiles (see
// named_profile.h).

#include "profile/named_profile.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_join.h"
#include "profile/java_frame.h"

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

// Drops the leading inlined frames of the first address that are the
// allocator's (an inlined malloc wrapper), keeping that address's own frame.
void TrimInlinedAllocatorFrames(const FrameFilter& filter,
                                std::vector<NamedFrame>* frames) {
  size_t trim = 0;
  while (trim < frames->size() && (*frames)[trim].inlined &&
         filter.IsAllocatorFrame((*frames)[trim].function)) {
    ++trim;
  }
  frames->erase(frames->begin(), frames->begin() + trim);
}

}  // namespace

bool IsJavaFrame(const NamedFrame& frame) {
  return frame.module == kJavaModule;
}

bool IsStableFrame(const NamedFrame& frame) {
  return (!frame.module.empty() && frame.module[0] == '/') ||
         IsJavaFrame(frame);
}

std::string StackKey(const std::vector<NamedFrame>& frames) {
  std::string key;
  for (const NamedFrame& f : frames) {
    if (f.inlined) continue;
    if (!key.empty()) key += ';';
    key += f.function;
  }
  return key;
}

std::string StackKey(const NamedStack& stack) { return StackKey(stack.frames); }

StackNamer::StackNamer(Symbolizer& symbolizer, const FrameFilter& filter,
                       NameOptions options)
    : symbolizer_(symbolizer), filter_(filter), options_(options) {}

ProfileNamingContext StackNamer::Context(const HeapProfile& profile) const {
  ProfileNamingContext context;
  for (const Mapping& m : profile.mappings) {
    if (m.is_file() && filter_.IsAllocatorModule(m.path)) {
      context.allocator_ranges.emplace_back(m.start, m.limit);
    }
  }
  std::sort(context.allocator_ranges.begin(), context.allocator_ranges.end());
  context.has_java = std::any_of(
      profile.stacks.begin(), profile.stacks.end(),
      [](const StackSample& sample) {
        return std::any_of(sample.frames.begin(), sample.frames.end(),
                           [](uint64_t pc) { return IsJavaFrameAddress(pc); });
      });
  return context;
}

const std::vector<NamedFrame>& StackNamer::Lookup(uint64_t address,
                                                  bool detail) {
  auto& table = detail ? details_ : names_;
  auto it = table.find(address);
  if (it == table.end()) {
    std::vector<NamedFrame> frames;
    AppendFrames(detail ? symbolizer_.Symbolize(address)
                        : symbolizer_.SymbolizeName(address),
                 &frames);
    for (NamedFrame& f : frames) {
      f.kind = filter_.Classify(f.function, f.module);
    }
    it = table.emplace(address, std::move(frames)).first;
  }
  return it->second;
}

void StackNamer::NameStack(absl::Span<const uint64_t> addresses,
                           const ProfileNamingContext& context,
                           std::vector<NamedFrame>* frames) {
  frames->clear();
  // Leading frames inside an allocator module are trimmed unsymbolized.
  auto in_allocator_module = [&](uint64_t address) {
    const auto& r = context.allocator_ranges;
    auto it = std::upper_bound(
        r.begin(), r.end(), address,
        [](uint64_t a, const std::pair<uint64_t, uint64_t>& m) {
          return a < m.first;
        });
    return it != r.begin() && address < std::prev(it)->second;
  };
  size_t first = 0;
  if (!context.allocator_ranges.empty()) {
    while (first + 1 < addresses.size() &&
           in_allocator_module(addresses[first])) {
      ++first;
    }
  }
  // In a profile with the agent's Java frames, a stack without them is
  // one whose Java frames could not be walked (a GC in progress, an
  // unwalkable VM call): its JIT and interpreter frames are cut the same
  // way, so that no anonymous "Interpreter" frame is left in any stack.
  const bool has_java = context.has_java;
  bool below_java_code = false;
  // Each kept address's frames; the last of each is its own function.
  absl::InlinedVector<const std::vector<NamedFrame>*, 64> groups;
  for (size_t i = first; i < addresses.size(); ++i) {
    const uint64_t pc = addresses[i];
    const bool java = IsJavaFrameAddress(pc);
    if (has_java && !java && below_java_code) continue;
    // Callers' frames are return addresses: look up the call itself.
    const std::vector<NamedFrame>& group =
        Lookup(i == 0 || pc == 0 ? pc : pc - 1, options_.source_detail);
    if (has_java && !java && !group.empty() && !IsStableFrame(group.front())) {
      below_java_code = true;
      continue;
    }
    if (!group.empty()) groups.push_back(&group);
  }
  // Allocator frames are trimmed by each address's own function, so that
  // what is trimmed (and so the key) does not depend on inlined frames.
  size_t trim = 0;
  while (trim + 1 < groups.size() &&
         filter_.IsAllocatorFrame(groups[trim]->back().function)) {
    ++trim;
  }
  for (size_t g = trim; g < groups.size(); ++g) {
    frames->insert(frames->end(), groups[g]->begin(), groups[g]->end());
  }
  TrimInlinedAllocatorFrames(filter_, frames);
}

std::vector<NamedFrame> StackNamer::AddSourceDetail(
    const std::vector<NamedFrame>& frames) {
  std::vector<NamedFrame> out;
  out.reserve(frames.size());
  for (const NamedFrame& f : frames) {
    if (f.inlined) return frames;  // already detailed
    const std::vector<NamedFrame>& group = Lookup(f.address, true);
    out.insert(out.end(), group.begin(), group.end());
  }
  TrimInlinedAllocatorFrames(filter_, &out);
  return out;
}

NamedProfile NameProfile(const HeapProfile& profile, Symbolizer& symbolizer,
                         const FrameFilter& filter,
                         const NameOptions& options) {
  StackNamer namer(symbolizer, filter, options);
  const ProfileNamingContext context = namer.Context(profile);
  std::vector<NamedStack> stacks;
  stacks.reserve(profile.stacks.size());
  for (const StackSample& sample : profile.stacks) {
    NamedStack stack;
    namer.NameStack(sample.frames, context, &stack.frames);
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

void AddSourceDetail(NamedProfile* profile, Symbolizer& symbolizer,
                     const FrameFilter& filter) {
  StackNamer namer(symbolizer, filter);
  for (NamedStack& s : profile->stacks) {
    s.frames = namer.AddSourceDetail(s.frames);
  }
  profile->warnings = symbolizer.Warnings();
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
