// File: heap_profile.cc
//
// Parser for jemalloc heap_v2 profiles and the unsampling maths (see
// heap_profile.h for the format and the formula).

#include "profile/heap_profile.h"

#include <charconv>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace jleak {
namespace {

constexpr absl::string_view kMagic = "heap_v2/";
constexpr absl::string_view kMapsHeader = "MAPPED_LIBRARIES:";
constexpr absl::string_view kCountsSyntax =
    "'t<thread>: <objects>: <bytes> [<objects>: <bytes>]'";

// Reads lines one at a time, remembering the line number for messages.
class LineReader {
 public:
  LineReader(absl::string_view text, absl::string_view source)
      : text_(text), source_(source) {}

  bool Done() const { return pos_ >= text_.size(); }
  int line_number() const { return line_number_; }
  // Byte offset of the next line.
  size_t position() const { return pos_; }

  absl::string_view Next() {
    const size_t end = text_.find('\n', pos_);
    absl::string_view line = text_.substr(pos_, end == absl::string_view::npos
                                                    ? absl::string_view::npos
                                                    : end - pos_);
    pos_ = end == absl::string_view::npos ? text_.size() : end + 1;
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  absl::string_view Peek() const {
    LineReader copy = *this;
    return copy.Next();
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", line_number_, ": ", what));
  }

 private:
  absl::string_view text_;
  absl::string_view source_;
  size_t pos_ = 0;
  int line_number_ = 0;
};

std::string Quote(absl::string_view line) {
  constexpr size_t kMax = 60;
  std::string q(line.substr(0, kMax));
  for (char& c : q) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return absl::StrCat("'", q, line.size() > kMax ? "...'" : "'");
}

// absl::ascii_isspace's set, inline: the parser's innermost loops call it
// for every character between numbers.
inline bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

inline void SkipSpaces(absl::string_view* s) {
  size_t i = 0;
  while (i < s->size() && IsSpace((*s)[i])) ++i;
  s->remove_prefix(i);
}

// Consumes an unsigned decimal at the front of `s` (after spaces).
bool ConsumeUint(absl::string_view* s, uint64_t* out) {
  SkipSpaces(s);
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), *out);
  if (ec != std::errc() || end == s->data()) return false;
  s->remove_prefix(end - s->data());
  return true;
}

bool ConsumeChar(absl::string_view* s, char c) {
  SkipSpaces(s);
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

inline int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "t*: 783: 11472384 [0: 0]" or "t3: ...".
absl::StatusOr<ThreadCounts> ParseCountsLine(const LineReader& reader,
                                             absl::string_view line) {
  absl::string_view s = line;
  ThreadCounts tc;
  uint64_t objs = 0, bytes = 0, acc_objs = 0, acc_bytes = 0;
  bool ok = ConsumeChar(&s, 't');
  if (ok && ConsumeChar(&s, '*')) {
    tc.thread = -1;
  } else {
    uint64_t thread = 0;
    ok = ok && ConsumeUint(&s, &thread);
    tc.thread = static_cast<int64_t>(thread);
  }
  ok = ok && ConsumeChar(&s, ':') && ConsumeUint(&s, &objs) &&
       ConsumeChar(&s, ':') && ConsumeUint(&s, &bytes) &&
       ConsumeChar(&s, '[') && ConsumeUint(&s, &acc_objs) &&
       ConsumeChar(&s, ':') && ConsumeUint(&s, &acc_bytes) &&
       ConsumeChar(&s, ']') && absl::StripAsciiWhitespace(s).empty();
  if (!ok) {
    return reader.Error(
        absl::StrCat("expected ", kCountsSyntax, ", got ", Quote(line)));
  }
  if ((objs == 0 && bytes != 0) || (acc_objs == 0 && acc_bytes != 0)) {
    return reader.Error(absl::StrCat("zero objects with non-zero bytes in ",
                                     Quote(line), " (corrupt profile?)"));
  }
  tc.sampled = {static_cast<double>(objs), static_cast<double>(bytes)};
  tc.accumulated = {static_cast<double>(acc_objs),
                    static_cast<double>(acc_bytes)};
  return tc;
}

bool IsCountsLine(absl::string_view line) {
  SkipSpaces(&line);
  return !line.empty() && line.front() == 't';
}

// Parses the "t*:" line and the "t<N>:" lines that follow it.
absl::Status ParseCountsBlock(LineReader& reader, Counts* all,
                              std::vector<ThreadCounts>* threads,
                              absl::string_view what) {
  if (reader.Done() || !IsCountsLine(reader.Peek())) {
    const absl::string_view next = reader.Done() ? "" : reader.Peek();
    reader.Next();
    return reader.Error(absl::StrCat(
        "expected the 't*:' line of ", what,
        reader.Done() && next.empty() ? ", got end of file (truncated?)"
                                      : absl::StrCat(", got ", Quote(next))));
  }
  absl::StatusOr<ThreadCounts> total = ParseCountsLine(reader, reader.Next());
  if (!total.ok()) return total.status();
  if (total->thread != -1) {
    return reader.Error(
        absl::StrCat("expected the 't*:' line of ", what, " first"));
  }
  *all = total->sampled;
  while (!reader.Done() && IsCountsLine(reader.Peek())) {
    absl::StatusOr<ThreadCounts> tc = ParseCountsLine(reader, reader.Next());
    if (!tc.ok()) return tc.status();
    if (tc->thread == -1) return reader.Error("a second 't*:' line");
    threads->push_back(*tc);
  }
  return absl::OkStatus();
}

absl::Status ParseStackLine(const LineReader& reader, absl::string_view line,
                            std::vector<uint64_t>* frames) {
  // By hand rather than from_chars: this loop reads every address of every
  // profile, millions for a long series of a large service.
  const char* p = line.data() + 1;  // past '@'
  const char* const end = line.data() + line.size();
  while (true) {
    while (p < end && IsSpace(*p)) ++p;
    if (p == end) break;
    if (end - p < 2 || p[0] != '0' || p[1] != 'x') {
      return reader.Error(
          absl::StrCat("expected a 0x-prefixed address in ", Quote(line)));
    }
    p += 2;
    const char* const digits = p;
    while (p < end && *p == '0') ++p;  // leading zeros: no overflow
    const char* const significant = p;
    uint64_t pc = 0;
    int d;
    while (p < end && (d = HexDigit(*p)) >= 0) {
      pc = pc << 4 | static_cast<uint64_t>(d);
      ++p;
    }
    // As from_chars: at least one digit, 64 bits at most, then a space or
    // the end of the line.
    if (p == digits || p - significant > 16 || (p < end && *p != ' ')) {
      return reader.Error(
          absl::StrCat("bad address in stack line ", Quote(line)));
    }
    frames->push_back(pc);
  }
  if (frames->empty()) {
    return reader.Error("stack line '@' with no addresses");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HeapProfile> ParseHeapProfile(absl::string_view text,
                                             absl::string_view source_name) {
  HeapProfile profile;
  absl::Status st = ParseHeapProfileInto(text, source_name, &profile);
  if (!st.ok()) return st;
  return profile;
}

absl::Status ParseHeapProfileInto(absl::string_view text,
                                  absl::string_view source_name,
                                  HeapProfile* out) {
  LineReader reader(text, source_name);
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": empty file, not a heap profile"));
  }
  const absl::string_view header = reader.Next();
  if (absl::StartsWith(header, "heap profile:")) {
    return reader.Error(
        "this is a gperftools/tcmalloc heap profile ('heap profile: ...'), "
        "not a jemalloc heap_v2 profile; read it with pprof");
  }
  HeapProfile& profile = *out;
  {
    absl::string_view rest = header;
    uint64_t period = 0;
    if (!absl::StartsWith(rest, kMagic) ||
        (rest.remove_prefix(kMagic.size()), !ConsumeUint(&rest, &period)) ||
        !absl::StripAsciiWhitespace(rest).empty()) {
      return reader.Error(absl::StrCat(
          "not a jemalloc heap profile: expected 'heap_v2/<sample period>', "
          "got ",
          Quote(header)));
    }
    profile.sample_period = period;
  }
  profile.total_sampled = Counts();
  profile.thread_totals.clear();
  profile.mappings.clear();
  absl::Status st = ParseCountsBlock(reader, &profile.total_sampled,
                                     &profile.thread_totals, "the header");
  if (!st.ok()) return st;

  // The stacks of `out` are reused: their vectors keep their capacity from
  // one profile of a series to the next.
  size_t count = 0;
  bool saw_maps = false;
  while (!reader.Done()) {
    const absl::string_view line = reader.Next();
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (line == kMapsHeader) {
      saw_maps = true;
      break;
    }
    if (line.front() != '@') {
      profile.stacks.resize(count);
      return reader.Error(absl::StrCat(
          "expected a stack ('@ 0x...') or 'MAPPED_LIBRARIES:', got ",
          Quote(line)));
    }
    if (count == profile.stacks.size()) profile.stacks.emplace_back();
    StackSample& stack = profile.stacks[count++];
    stack.frames.clear();
    stack.threads.clear();
    stack.sampled = Counts();
    st = ParseStackLine(reader, line, &stack.frames);
    if (st.ok()) {
      st = ParseCountsBlock(reader, &stack.sampled, &stack.threads, "a stack");
    }
    if (!st.ok()) {
      profile.stacks.resize(count - 1);
      return st;
    }
  }
  profile.stacks.resize(count);
  if (!saw_maps) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ": truncated: ends at line ", reader.line_number(),
        " without the 'MAPPED_LIBRARIES:' section that jemalloc always "
        "writes (was the file copied while being written?)"));
  }
  absl::StatusOr<std::vector<Mapping>> maps = ParseMaps(
      text.substr(reader.position()), source_name, reader.line_number() + 1);
  if (!maps.ok()) return maps.status();
  profile.mappings = *std::move(maps);
  return absl::OkStatus();
}

Counts Unsample(const Counts& sampled, uint64_t sample_period) {
  if (sampled.objects <= 0 || sample_period == 0) return sampled;
  const double mean_size = sampled.bytes / sampled.objects;
  // -expm1(-x) == 1 - exp(-x), without cancellation for small x.
  const double p_sampled =
      -std::expm1(-mean_size / static_cast<double>(sample_period));
  if (p_sampled <= 0) return sampled;
  return {sampled.objects / p_sampled, sampled.bytes / p_sampled};
}

Counts TotalUnsampled(const HeapProfile& profile) {
  Counts total;
  for (const StackSample& s : profile.stacks) {
    total += Unsample(s.sampled, profile.sample_period);
  }
  return total;
}

}  // namespace jleak
