// File: heap_v2_writer.cc
//
// jemalloc 5.3's heap_v2 dump, from the engine's samples (see
// heap_v2_writer.h for the maths and the format).

#include "agent/sampling/heap_v2_writer.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jleak::agent::sampling {
namespace {

// SC_LG_TINY_MIN on x86-64: jemalloc keeps unbiased counts x8.
constexpr double kCountShift = 8.0;

// prof_double_uint64_cast: round, saturating (NaN-safe).
uint64_t RoundToUint64(double d) {
  const double rounded = std::round(d);
  if (!(rounded < static_cast<double>(UINT64_MAX))) return UINT64_MAX;
  if (!(rounded > 0)) return 0;
  return static_cast<uint64_t>(rounded);
}

void AppendCounts(std::string* out, const PrintedCounts& c) {
  absl::StrAppendFormat(out, "  t*: %u: %u [0: 0]\n", c.objects, c.bytes);
}

}  // namespace

UnbiasedSums ObjectSums(uint64_t size, uint64_t period) {
  const double z = static_cast<double>(size);
  // As jemalloc writes it (not expm1), for the same roundings.
  const double div = 1.0 - std::exp(-z / static_cast<double>(period));
  UnbiasedSums s;
  if (!(div > 0)) return s;  // size 0: never sampled, weighs nothing
  s.shifted_objects = RoundToUint64(kCountShift / div);
  s.bytes = RoundToUint64(z / div);
  return s;
}

PrintedCounts PrintedFromSums(const UnbiasedSums& sums, uint64_t period) {
  PrintedCounts p;
  if (sums.shifted_objects == 0 || sums.bytes == 0) return p;
  const double c_out = static_cast<double>(sums.shifted_objects) / kCountShift;
  const double s_out = static_cast<double>(sums.bytes);
  const double r = static_cast<double>(period);
  const double x = s_out / c_out;
  const double y = s_out * (1.0 - std::exp(-x / r));
  p.objects = RoundToUint64(y / x);
  p.bytes = RoundToUint64(y);
  return p;
}

std::string FormatHeapV2(const std::vector<SampledStack>& stacks,
                         uint64_t period, absl::string_view maps) {
  std::vector<UnbiasedSums> per_stack(stacks.size());
  UnbiasedSums all;
  for (size_t i = 0; i < stacks.size(); ++i) {
    for (uint64_t size : stacks[i].sizes) {
      per_stack[i] += ObjectSums(size, period);
    }
    all += per_stack[i];
  }
  std::string out = absl::StrCat("heap_v2/", period, "\n");
  AppendCounts(&out, PrintedFromSums(all, period));
  for (size_t i = 0; i < stacks.size(); ++i) {
    if (stacks[i].sizes.empty()) continue;
    out += '@';
    if (stacks[i].frames.empty()) {
      absl::StrAppendFormat(&out, " %#x", kNoStackFrame);
    }
    for (uint64_t pc : stacks[i].frames) {
      // %#x as jemalloc's "%#"FMTxPTR; a 0 frame (never written by the
      // engine) would print "0", which no reader accepts, so 0x0.
      if (pc == 0) {
        out += " 0x0";
      } else {
        absl::StrAppendFormat(&out, " %#x", pc);
      }
    }
    out += '\n';
    AppendCounts(&out, PrintedFromSums(per_stack[i], period));
  }
  out += "\nMAPPED_LIBRARIES:\n";
  out.append(maps.data(), maps.size());
  if (!maps.empty() && maps.back() != '\n') out += '\n';
  return out;
}

}  // namespace jleak::agent::sampling
